#include "etcd_load.h"

#include <grpcpp/grpcpp.h>

#include <atomic>
#include <iostream>
#include <memory>
#include <stdexcept>
#include <thread>

#include "etcdpb/rpc.grpc.pb.h"
#include "histogram.h"
#include "util.h"

namespace bench {

namespace {

struct Call {
  grpc::ClientContext ctx;
  grpc::Status status;
  std::uint64_t startNs = 0;
  etcdserverpb::PutResponse put;
  etcdserverpb::TxnResponse txn;
  etcdserverpb::RangeResponse range;
  std::unique_ptr<grpc::ClientAsyncResponseReader<etcdserverpb::PutResponse>> putReader;
  std::unique_ptr<grpc::ClientAsyncResponseReader<etcdserverpb::TxnResponse>> txnReader;
  std::unique_ptr<grpc::ClientAsyncResponseReader<etcdserverpb::RangeResponse>> rangeReader;
};

std::string prefixEnd(std::string p) {
  while (!p.empty()) {
    if (static_cast<unsigned char>(p.back()) < 0xff) {
      p.back() = static_cast<char>(p.back() + 1);
      return p;
    }
    p.pop_back();
  }
  return std::string(1, '\0');
}

// EventReader is the watch an API server keeps on its keys: one Watch stream, read by a thread of
// its own (as the etcd3 backend's), counting the events it receives.
class EventReader {
 public:
  EventReader(const std::shared_ptr<grpc::Channel>& channel, const std::string& prefix)
      : stub_(etcdserverpb::Watch::NewStub(channel)), stream_(stub_->Watch(&ctx_)) {
    etcdserverpb::WatchRequest req;
    auto* c = req.mutable_create_request();
    c->set_key(prefix);
    c->set_range_end(prefixEnd(prefix));
    c->set_prev_kv(true);
    c->set_watch_id(1);
    etcdserverpb::WatchResponse resp;
    if (!stream_->Write(req) || !stream_->Read(&resp) || !resp.created())
      throw std::runtime_error("etcd did not create the watch on " + prefix);
    thread_ = std::thread([this] {
      etcdserverpb::WatchResponse r;
      while (stream_->Read(&r))
        events_.fetch_add(static_cast<std::uint64_t>(r.events_size()), std::memory_order_relaxed);
    });
  }
  ~EventReader() {
    ctx_.TryCancel();
    thread_.join();
    (void)stream_->Finish();
  }
  std::uint64_t events() const { return events_.load(std::memory_order_relaxed); }

 private:
  std::unique_ptr<etcdserverpb::Watch::Stub> stub_;
  grpc::ClientContext ctx_;
  std::unique_ptr<grpc::ClientReaderWriter<etcdserverpb::WatchRequest, etcdserverpb::WatchResponse>>
      stream_;
  std::atomic<std::uint64_t> events_{0};
  std::thread thread_;
};

}  // namespace

boost::json::object runEtcd(const EtcdOptions& o) {
  if (o.op != "put" && o.op != "txn" && o.op != "range")
    throw std::runtime_error("--op must be put, txn or range");
  if (o.concurrency < 1)
    throw std::runtime_error("--concurrency must be >= 1");
  grpc::ChannelArguments args;
  args.SetMaxReceiveMessageSize(-1);
  args.SetMaxSendMessageSize(-1);
  auto channel = grpc::CreateCustomChannel(o.endpoint, grpc::InsecureChannelCredentials(), args);
  auto stub = etcdserverpb::KV::NewStub(channel);
  grpc::CompletionQueue cq;
  const Template key(o.keyTemplate);
  const Template value(o.op == "range" ? std::string() : readFile(o.valueFile));
  etcdserverpb::RangeRequest rangeReq;
  rangeReq.set_key(o.rangePrefix);
  rangeReq.set_range_end(prefixEnd(o.rangePrefix));
  std::unique_ptr<EventReader> watch;
  if (!o.watchPrefix.empty())
    watch = std::make_unique<EventReader>(channel, o.watchPrefix);

  const std::uint64_t t0 = nowNs();
  const bool byCount = o.maxRequests > 0;
  const std::uint64_t measureStart = byCount ? 0 : t0 + static_cast<std::uint64_t>(o.warmupS * 1e9);
  const std::uint64_t measureEnd =
      byCount ? UINT64_MAX : measureStart + static_cast<std::uint64_t>(o.durationS * 1e9);
  const std::uint64_t hardEnd = t0 + static_cast<std::uint64_t>(o.timeoutS * 1e9);
  std::uint64_t issued = 0;
  Histogram hist;
  std::uint64_t ok = 0, errors = 0, bytes = 0, kvs = 0, lastDone = t0;
  std::string firstError, k, v;
  const double cpu0 = selfCpuSeconds();

  auto start = [&]() -> bool {
    const std::uint64_t now = nowNs();
    if (byCount ? issued >= o.maxRequests : now >= measureEnd)
      return false;
    if (now >= hardEnd)
      return false;
    const std::uint64_t n = o.startIndex + issued++;
    auto* c = new Call;
    c->ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(30));
    c->startNs = now;
    if (o.op == "range") {
      c->rangeReader = stub->PrepareAsyncRange(&c->ctx, rangeReq, &cq);
      c->rangeReader->StartCall();
      c->rangeReader->Finish(&c->range, &c->status, c);
      return true;
    }
    key.render(k, n, 0, now);
    value.render(v, n, 0, now);
    if (o.op == "put") {
      etcdserverpb::PutRequest req;
      req.set_key(k);
      req.set_value(v);
      c->putReader = stub->PrepareAsyncPut(&c->ctx, req, &cq);
      c->putReader->StartCall();
      c->putReader->Finish(&c->put, &c->status, c);
    } else {
      etcdserverpb::TxnRequest req;
      auto* cmp = req.add_compare();
      cmp->set_result(etcdserverpb::Compare::EQUAL);
      cmp->set_target(etcdserverpb::Compare::CREATE);
      cmp->set_key(k);
      cmp->set_create_revision(0);
      auto* put = req.add_success()->mutable_request_put();
      put->set_key(k);
      put->set_value(v);
      c->txnReader = stub->PrepareAsyncTxn(&c->ctx, req, &cq);
      c->txnReader->StartCall();
      c->txnReader->Finish(&c->txn, &c->status, c);
    }
    return true;
  };

  int inFlight = 0;
  for (int i = 0; i < o.concurrency; ++i)
    if (start())
      ++inFlight;
  std::uint64_t lastReport = t0, lastOk = 0;
  while (inFlight > 0) {
    void* tag = nullptr;
    bool okEvent = false;
    const auto deadline = std::chrono::system_clock::now() + std::chrono::seconds(1);
    const auto st = cq.AsyncNext(&tag, &okEvent, deadline);
    const std::uint64_t now = nowNs();
    if (o.progress && now - lastReport > 1000000000) {
      std::cerr << "  [loadgen] " << (now - t0) / 1000000000 << "s: " << ok << " ok ("
                << ok - lastOk << "/s)" << std::endl;
      lastReport = now;
      lastOk = ok;
    }
    if (st != grpc::CompletionQueue::GOT_EVENT) {
      if (now > hardEnd + 35000000000ULL)
        break;  // every call has a 30 s deadline
      continue;
    }
    std::unique_ptr<Call> c(static_cast<Call*>(tag));
    --inFlight;
    lastDone = now;
    if (c->startNs >= measureStart && c->startNs < measureEnd) {
      hist.record(now - c->startNs);
      bool good = c->status.ok() && okEvent;
      if (good && o.op == "txn" && !c->txn.succeeded())
        good = false;
      if (good) {
        ++ok;
        if (o.op == "range") {
          kvs += static_cast<std::uint64_t>(c->range.kvs_size());
          for (const auto& kv : c->range.kvs())
            bytes += kv.value().size();
        } else {
          bytes += v.size();
        }
      } else {
        ++errors;
        if (firstError.empty())
          firstError =
              c->status.ok() ? "txn compare failed (key exists)" : c->status.error_message();
      }
    }
    if (start())
      ++inFlight;
  }
  const std::uint64_t watched = watch ? watch->events() : 0;
  watch.reset();
  cq.Shutdown();
  void* tag = nullptr;
  bool okEvent = false;
  while (cq.Next(&tag, &okEvent))
    delete static_cast<Call*>(tag);
  const double windowS = byCount ? static_cast<double>(lastDone - t0) / 1e9 : o.durationS;
  boost::json::object r;
  r["mode"] = "etcd";
  r["op"] = o.op;
  r["concurrency"] = o.concurrency;
  r["window_s"] = windowS;
  r["requests"] = ok + errors;
  r["ok"] = ok;
  r["errors"] = errors;
  r["rps"] = static_cast<double>(ok) / windowS;
  r["bytes"] = bytes;
  r["mb_per_s"] = static_cast<double>(bytes) / windowS / 1e6;
  if (o.op == "range")
    r["kvs_per_range"] = ok ? static_cast<double>(kvs) / ok : 0.0;
  r["latency"] = hist.toJson();
  if (!o.watchPrefix.empty())
    r["watch_events"] = watched;
  r["loadgen_cpu_s"] = selfCpuSeconds() - cpu0;
  if (!firstError.empty())
    r["first_error"] = firstError;
  return r;
}

}  // namespace bench
