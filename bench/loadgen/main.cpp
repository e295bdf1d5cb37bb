// loadgen: the benchmark suite's load generator. One mode per run; the result is one JSON
// document on stdout, progress goes to stderr. See bench/README.md and docs/performance.md.
//
//   loadgen http   --port P --connections 32 --duration 10 [--rate R] --request "1 GET /path"
//   loadgen watch  --port P --watchers 1000 --rate 200 --body-file update.json
//   loadgen etcd   --endpoint 127.0.0.1:2379 --op put|txn|range --concurrency 32 [--watch P]
//   loadgen sqlite --db /tmp/x.db --concurrency 32 --value-file pod.json
//   loadgen fanout-server --port 0 --threads 2 --event-bytes 1600   (the raw watch fan-out)
#include <iostream>
#include <string>
#include <vector>

#include <boost/program_options.hpp>

#include "etcd_load.h"
#include "fanout_server.h"
#include "http_load.h"
#include "sqlite_load.h"
#include "util.h"
#include "watch_fanout.h"

namespace po = boost::program_options;

namespace {

int usage(const std::string& mode, const po::options_description& d) {
  std::cerr << "usage: loadgen " << mode << " [options]\n" << d << std::endl;
  return 2;
}

int parse(int argc, char** argv, const std::string& mode, const po::options_description& d) {
  po::variables_map vm;
  po::store(po::command_line_parser(argc, argv).options(d).run(), vm);
  if (vm.count("help"))
    return usage(mode, d);
  po::notify(vm);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::cerr
        << "usage: loadgen http|watch|etcd|sqlite|fanout-server [options] (--help for each)\n";
    return 2;
  }
  const std::string mode = argv[1];
  --argc;
  ++argv;
  try {
    if (mode == "http") {
      bench::HttpOptions o;
      std::vector<std::string> specs;
      po::options_description d("http");
      d.add_options()("help", "this text")("host", po::value(&o.host)->default_value(o.host),
                                           "server address")("port", po::value(&o.port)->required(),
                                                             "server port")(
          "connections,c", po::value(&o.connections)->default_value(o.connections),
          "keep-alive connections")("threads,t", po::value(&o.threads)->default_value(o.threads),
                                    "threads running the io_context")(
          "warmup", po::value(&o.warmupS)->default_value(o.warmupS), "seconds not measured first")(
          "duration,d", po::value(&o.durationS)->default_value(o.durationS), "seconds measured")(
          "rate,R", po::value(&o.rate)->default_value(o.rate),
          "open loop: requests per second (0: closed loop)")(
          "max-requests,n", po::value(&o.maxRequests)->default_value(0),
          "send exactly this many requests (no warm-up, no duration)")(
          "start-index", po::value(&o.startIndex)->default_value(0), "first {{n}}")(
          "rand-range", po::value(&o.randRange)->default_value(1), "{{r}} is in [0, this)")(
          "drain", po::value(&o.drainS)->default_value(o.drainS),
          "seconds outstanding requests may take after the window")(
          "timeout", po::value(&o.timeoutS)->default_value(o.timeoutS), "hard limit of the run")(
          "server-pid", po::value(&o.serverPid)->default_value(0), "sample its RSS and CPU")(
          "progress", po::bool_switch(&o.progress), "progress on stderr every second")(
          "request", po::value(&specs)->required(),
          "\"WEIGHT METHOD TARGET [@BODYFILE]\"; repeat for a mixed workload; {{n}} {{r}} {{ts}}");
      if (int rc = parse(argc, argv, mode, d))
        return rc;
      for (const auto& s : specs)
        o.requests.push_back(bench::parseRequestSpec(s));
      bench::printResult(bench::runHttp(o));
    } else if (mode == "watch") {
      bench::WatchOptions o;
      po::options_description d("watch");
      d.add_options()("help", "this text")("host", po::value(&o.host)->default_value(o.host),
                                           "server address")("port", po::value(&o.port)->required(),
                                                             "server port")(
          "watch-path", po::value(&o.watchPath)->default_value(o.watchPath), "collection watched")(
          "object-path", po::value(&o.objectPath)->required(), "PUT target, with {{n}}")(
          "body-file", po::value(&o.bodyFile)->required(),
          "PUT body with {{n}} and {{ts}} (annotation bench-sent-ns)")(
          "objects", po::value(&o.objects)->default_value(o.objects), "objects updated in turn")(
          "watchers,w", po::value(&o.watchers)->default_value(o.watchers),
          "watch streams (0: the updates alone, a baseline for memory)")(
          "threads,t", po::value(&o.threads)->default_value(o.threads), "io threads")(
          "connect-parallel", po::value(&o.connectParallel)->default_value(o.connectParallel),
          "connections opened at once")("rate,R", po::value(&o.rate)->default_value(o.rate),
                                        "updates per second")(
          "writers", po::value(&o.writers)->default_value(o.writers), "writer connections")(
          "warmup", po::value(&o.warmupS)->default_value(o.warmupS),
          "seconds of updates not measured")(
          "duration,d", po::value(&o.durationS)->default_value(o.durationS), "seconds measured")(
          "drain", po::value(&o.drainS)->default_value(o.drainS),
          "seconds to wait for late events")(
          "establish-timeout", po::value(&o.establishTimeoutS)->default_value(o.establishTimeoutS),
          "seconds to open every watch")("server-pid", po::value(&o.serverPid)->default_value(0),
                                         "sample its RSS and CPU")(
          "progress", po::bool_switch(&o.progress), "progress on stderr");
      if (int rc = parse(argc, argv, mode, d))
        return rc;
      bench::printResult(bench::runWatch(o));
    } else if (mode == "etcd") {
      bench::EtcdOptions o;
      po::options_description d("etcd");
      d.add_options()("help", "this text")(
          "endpoint", po::value(&o.endpoint)->default_value(o.endpoint), "host:port")(
          "op", po::value(&o.op)->default_value(o.op), "put, txn or range")(
          "concurrency,c", po::value(&o.concurrency)->default_value(o.concurrency),
          "calls in flight")("warmup", po::value(&o.warmupS)->default_value(o.warmupS),
                             "seconds not measured first")(
          "duration,d", po::value(&o.durationS)->default_value(o.durationS), "seconds measured")(
          "max-requests,n", po::value(&o.maxRequests)->default_value(0), "exactly this many calls")(
          "start-index", po::value(&o.startIndex)->default_value(0), "first {{n}}")(
          "key", po::value(&o.keyTemplate)->default_value(o.keyTemplate), "key with {{n}}")(
          "value-file", po::value(&o.valueFile), "value with {{n}} (put, txn)")(
          "range-prefix", po::value(&o.rangePrefix)->default_value(o.rangePrefix), "range: prefix")(
          "watch", po::value(&o.watchPrefix), "watch this prefix (prev_kv) while the calls run")(
          "timeout", po::value(&o.timeoutS)->default_value(o.timeoutS), "hard limit of the run")(
          "progress", po::bool_switch(&o.progress), "progress on stderr");
      if (int rc = parse(argc, argv, mode, d))
        return rc;
      bench::printResult(bench::runEtcd(o));
    } else if (mode == "sqlite") {
      bench::SqliteOptions o;
      po::options_description d("sqlite");
      d.add_options()("help", "this text")("db", po::value(&o.db)->required(), "database file")(
          "concurrency,c", po::value(&o.concurrency)->default_value(o.concurrency),
          "client threads")("warmup", po::value(&o.warmupS)->default_value(o.warmupS),
                            "seconds not measured first")(
          "duration,d", po::value(&o.durationS)->default_value(o.durationS), "seconds measured")(
          "max-requests,n", po::value(&o.maxRequests)->default_value(0),
          "exactly this many inserts")(
          "key", po::value(&o.keyTemplate)->default_value(o.keyTemplate), "key with {{n}}")(
          "value-file", po::value(&o.valueFile)->required(), "value with {{n}}")(
          "batch-max", po::value(&o.batchMax)->default_value(o.batchMax),
          "inserts per commit at most")("progress", po::bool_switch(&o.progress),
                                        "progress on stderr");
      if (int rc = parse(argc, argv, mode, d))
        return rc;
      bench::printResult(bench::runSqlite(o));
    } else if (mode == "fanout-server") {
      bench::FanoutServerOptions o;
      po::options_description d("fanout-server");
      d.add_options()("help", "this text")("host", po::value(&o.host)->default_value(o.host),
                                           "address to listen on")(
          "port", po::value(&o.port)->default_value(o.port), "port (0: any free port)")(
          "threads,t", po::value(&o.threads)->default_value(o.threads), "I/O threads")(
          "event-bytes", po::value(&o.eventBytes)->default_value(o.eventBytes),
          "pad each event line to this many bytes");
      if (int rc = parse(argc, argv, mode, d))
        return rc;
      return bench::runFanoutServer(o);
    } else {
      std::cerr << "loadgen: unknown mode \"" << mode
                << "\" (http, watch, etcd, sqlite, fanout-server)\n";
      return 2;
    }
  } catch (const std::exception& e) {
    std::cerr << "loadgen " << mode << ": " << e.what() << std::endl;
    return 1;
  }
  return 0;
}
