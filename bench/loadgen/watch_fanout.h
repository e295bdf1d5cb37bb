// Watch fan-out: N watch streams on one resource, a writer updating objects at a fixed rate, and
// the delay from each update's intended send time (carried in an annotation of the object) to the
// moment each watcher has its event; plus the server's memory per open watch.
#pragma once

#include <cstdint>
#include <string>

#include <boost/json.hpp>

namespace bench {

struct WatchOptions {
  std::string host = "127.0.0.1";
  unsigned short port = 0;
  std::string watchPath = "/api/v1/namespaces/default/pods";    // watched with ?watch=true
  std::string objectPath = "/api/v1/namespaces/default/pods/";  // + name: PUT target
  int watchers = 1000;
  int threads = 1;
  int connectParallel = 256;  // connections being opened at once
  double rate = 200;          // updates per second
  int writers = 16;           // writer connections (enough that the writer never queues)
  std::string bodyFile;       // PUT body with {{n}} (object index) and {{ts}} (send time, ns)
  int objects = 100;          // objects bench-w-0 .. updated round robin
  double warmupS = 2;
  double durationS = 10;
  double drainS = 5;
  double establishTimeoutS = 120;
  int serverPid = 0;
  bool progress = false;
};

boost::json::object runWatch(const WatchOptions& options);

}  // namespace bench
