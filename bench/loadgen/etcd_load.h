// The etcd reference: raw etcd v3 calls over gRPC (the project's own etcd .proto), closed loop
// with a fixed number of calls in flight on one channel (as the etcd3 backend uses one).
//   put    Put(key_n, value_n)                               (the write reference)
//   txn    Txn(if create_revision(key_n) == 0 then Put)     (what a create costs the backend)
//   range  Range(prefix) with every key and value           (the LIST reference)
// With a watch prefix, a Watch stream on the same channel (with prev_kv, as an API server's watch
// cache keeps one) receives every event under the prefix while the calls run.
#pragma once

#include <cstdint>
#include <string>

#include <boost/json.hpp>

namespace bench {

struct EtcdOptions {
  std::string endpoint = "127.0.0.1:2379";
  std::string op = "put";
  int concurrency = 32;
  double warmupS = 0;
  double durationS = 10;
  std::uint64_t maxRequests = 0;  // > 0: exactly this many calls (e.g. to load data), no warm-up
  std::uint64_t startIndex = 0;
  std::string keyTemplate = "/bench/pods/default/bench-{{n}}";
  std::string valueFile;  // value with {{n}}
  std::string rangePrefix = "/registry/pods/";
  std::string watchPrefix;  // non-empty: watch it while the calls run
  double timeoutS = 900;
  bool progress = false;
};

boost::json::object runEtcd(const EtcdOptions& options);

}  // namespace bench
