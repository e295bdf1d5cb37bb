// HTTP load over keep-alive connections (Boost.Beast, one io_context).
//
// Closed loop (rate 0): every connection sends its next request as soon as the previous answer
// is in. Open loop (rate R): requests are due at fixed times start + k/R whatever the server
// does; a due request waits for a free connection, and its latency is measured from the time it
// was due, so a stalled server shows in the percentiles instead of slowing the client down
// (no coordinated omission).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <boost/json.hpp>

#include "util.h"

namespace bench {

struct RequestSpec {
  double weight = 1;
  std::string method = "GET";
  Template target;
  Template body;  // empty: no body
  std::string contentType = "application/json";
};

// "WEIGHT METHOD TARGET [@BODYFILE]", e.g. "1 POST /api/v1/namespaces/default/pods @pod.json".
RequestSpec parseRequestSpec(const std::string& spec);

struct HttpOptions {
  std::string host = "127.0.0.1";
  unsigned short port = 0;
  int connections = 32;
  int threads = 1;
  double warmupS = 0;
  double durationS = 10;
  double rate = 0;                // requests per second over all connections; 0 = closed loop
  std::uint64_t maxRequests = 0;  // > 0: send exactly this many requests, then stop (no warm-up)
  std::uint64_t startIndex = 0;   // first {{n}}
  std::uint64_t randRange = 1;    // {{r}} is in [0, randRange)
  double drainS = 10;             // after the window: how long outstanding requests may take
  double timeoutS = 900;          // hard limit of the whole run
  int serverPid = 0;              // sample its VmRSS and CPU time before and after
  bool progress = false;
  std::vector<RequestSpec> requests;
};

boost::json::object runHttp(const HttpOptions& options);

}  // namespace bench
