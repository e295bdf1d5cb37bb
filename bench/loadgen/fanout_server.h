// The raw watch fan-out: the least a server can do for the WATCH scenario, the bench's reference
// for scale there (what nginx serving a static file is for GET). It speaks just enough HTTP/1.1
// for `loadgen watch`: a GET whose target asks for a watch gets a chunked 200 and then every
// event; any other GET gets an empty list at resourceVersion 1; a PUT or POST gets its body back,
// and the body goes to every open watch as a MODIFIED event line, padded to --event-bytes (the
// size of the API server's events). Each thread (--threads; connections are dealt to the threads
// in turn) keeps a log of the events not yet written to all its watches and a cursor per
// watch; a pass over its watches writes each the log past its cursor in one send (one event when
// it keeps up, several when it is behind), reading requests every few watches as the API server
// does. A watch whose socket is full keeps the rest and gets it with its next writable edge.
#pragma once

#include <cstddef>
#include <string>

namespace bench {

struct FanoutServerOptions {
  std::string host = "127.0.0.1";
  unsigned short port = 0;  // 0: any free port
  int threads = 2;
  std::size_t eventBytes = 0;  // an event line (newline included) is padded to this size
};

// runFanoutServer listens, prints {"port":N} on stdout and serves until SIGINT or SIGTERM.
// Returns the process exit code.
int runFanoutServer(const FanoutServerOptions& options);

}  // namespace bench
