#include "storage/etcd3/etcd3_storage.h"
#include "storage/calls_in_flight.h"

#include "etcdpb/rpc.grpc.pb.h"

#include <absl/synchronization/mutex.h>
#include <grpcpp/alarm.h>
#include <grpcpp/grpcpp.h>

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <deque>
#include <fstream>
#include <limits>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <sstream>
#include <thread>

namespace apiserver::storage {

namespace pb = ::etcdserverpb;
namespace mvcc = ::mvccpb;

namespace {

using Clock = std::chrono::steady_clock;

// kube's compactor coordinates API servers through this key's version (not under the prefix).
constexpr const char* kCompactRevKey = "compact_rev_key";

// prefixEnd is etcd's range end for "every key with this prefix": the prefix with its last byte
// below 0xff incremented; "\0" (every key from the start key on) when there is none.
std::string prefixEnd(std::string_view prefix) {
  std::string end(prefix);
  while (!end.empty()) {
    auto& c = reinterpret_cast<unsigned char&>(end.back());
    if (c < 0xff) {
      ++c;
      return end;
    }
    end.pop_back();
  }
  return std::string(1, '\0');
}

bool contains(const std::string& s, std::string_view what) {
  return s.find(what) != std::string::npos;
}

// toError translates a failed gRPC call: etcd's ErrCompacted / ErrFutureRev are OUT_OF_RANGE
// with their message; a member that is down or without a leader is UNAVAILABLE.
Error toError(const grpc::Status& st, std::string_view what, std::int64_t requested = 0,
              std::int64_t knownCompacted = 0) {
  const std::string& m = st.error_message();
  std::string msg = "etcd " + std::string(what) + ": " +
                    (m.empty() ? "status " + std::to_string(st.error_code()) : m);
  if (contains(m, "required revision has been compacted"))
    return Error::compacted(requested, std::max<std::int64_t>(knownCompacted + 1, requested + 1));
  if (contains(m, "required revision is a future revision"))
    return Error::revisionTooLarge(requested, 0);
  switch (st.error_code()) {
    case grpc::StatusCode::DEADLINE_EXCEEDED:
      return Error{ErrorCode::Timeout, {}, 0, std::move(msg)};
    case grpc::StatusCode::UNAVAILABLE:
      if (contains(m, "timed out"))
        return Error{ErrorCode::Timeout, {}, 0, std::move(msg)};
      return Error{ErrorCode::Unreachable, {}, 0, std::move(msg)};
    case grpc::StatusCode::CANCELLED:
      return Error{ErrorCode::Unreachable, {}, 0, std::move(msg)};
    default:
      return Error::internal(std::move(msg));
  }
}

// isEndpointFailure: the member we talk to is down or cut off; another one may answer.
bool isEndpointFailure(const grpc::Status& st) {
  if (st.error_code() == grpc::StatusCode::UNAVAILABLE)
    return true;
  const std::string& m = st.error_message();
  return contains(m, "no leader") || contains(m, "leader changed");
}

// grpcTarget names host:port for gRPC: IP literals through its ipv4:/ipv6: resolvers.
std::string grpcTarget(const std::string& hostPort) {
  if (!hostPort.empty() && hostPort.front() == '[')
    return "ipv6:" + hostPort;
  const auto colon = hostPort.rfind(':');
  const std::string host = hostPort.substr(0, colon);
  const bool ipv4 = !host.empty() && std::all_of(host.begin(), host.end(), [](char c) {
    return (c >= '0' && c <= '9') || c == '.';
  }) && std::count(host.begin(), host.end(), '.') == 3;
  return ipv4 ? "ipv4:" + hostPort : "dns:///" + hostPort;
}

Result<std::string> readFile(const std::string& path, const char* what) {
  std::ifstream in(path, std::ios::binary);
  if (!in)
    return fail(Error::internal(std::string("cannot read etcd ") + what + " " + path));
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

KeyValue toKeyValue(const mvcc::KeyValue& kv) {
  return KeyValue{kv.key(), makeBytes(kv.value()), kv.create_revision(), kv.mod_revision()};
}

std::chrono::system_clock::time_point deadlineIn(std::chrono::milliseconds d) {
  return std::chrono::system_clock::now() + d;
}

// Stubs are one channel to a member and the stubs over it.
struct Stubs {
  std::shared_ptr<grpc::Channel> channel;
  std::unique_ptr<pb::KV::Stub> kv;
  std::unique_ptr<pb::Watch::Stub> watch;
  std::unique_ptr<pb::Lease::Stub> lease;
  std::unique_ptr<pb::Maintenance::Stub> maintenance;
};

// Endpoint is one member. Its channel is replaced by a fresh one when a call finds the member
// unreachable and the channel has given up (gRPC's pick_first can sit in TRANSIENT_FAILURE for
// seconds after the member is back), so that a member that returns is used at once.
class Endpoint {
 public:
  Endpoint(std::string url, std::string target, std::shared_ptr<grpc::ChannelCredentials> creds,
           grpc::ChannelArguments args)
      : url_(std::move(url)),
        target_(std::move(target)),
        creds_(std::move(creds)),
        args_(std::move(args)) {
    stubs_ = connect();
  }
  const std::string& url() const { return url_; }
  std::shared_ptr<Stubs> stubs() {
    std::lock_guard lock(mu_);
    return stubs_;
  }
  // kick: after a failed call. At most every 200 ms, so that a member that stays down costs
  // one connection attempt per 200 ms, not one per call.
  void kick() {
    std::lock_guard lock(mu_);
    const auto now = Clock::now();
    if (now - lastKick_ < std::chrono::milliseconds(200))
      return;
    lastKick_ = now;
    const auto state = stubs_->channel->GetState(false);
    if (state == GRPC_CHANNEL_TRANSIENT_FAILURE || state == GRPC_CHANNEL_IDLE ||
        state == GRPC_CHANNEL_SHUTDOWN) {
      stubs_ = connect();
    } else {
      grpc::experimental::ChannelResetConnectionBackoff(stubs_->channel.get());
    }
  }

 private:
  std::shared_ptr<Stubs> connect() {
    auto s = std::make_shared<Stubs>();
    s->channel = grpc::CreateCustomChannel(target_, creds_, args_);
    s->kv = pb::KV::NewStub(s->channel);
    s->watch = pb::Watch::NewStub(s->channel);
    s->lease = pb::Lease::NewStub(s->channel);
    s->maintenance = pb::Maintenance::NewStub(s->channel);
    return s;
  }

  const std::string url_;
  const std::string target_;
  const std::shared_ptr<grpc::ChannelCredentials> creds_;
  const grpc::ChannelArguments args_;
  std::mutex mu_;
  std::shared_ptr<Stubs> stubs_;
  Clock::time_point lastKick_{};
};

// AsyncTxn is one Txn on the completion queue: one create (Etcd3Storage::createAsync), or a batch
// of creates made into one Txn (`members`, each answered with the batch's outcome).
struct AsyncTxn {
  pb::TxnRequest req;
  grpc::ClientContext ctx;
  pb::TxnResponse resp;
  grpc::Status status;
  std::shared_ptr<Stubs> stubs;  // the channel the call is on
  std::size_t endpoint = 0;
  std::int64_t leaseUsed = 0;
  int attempt = 0;
  std::unique_ptr<grpc::ClientAsyncResponseReader<pb::TxnResponse>> reader;
  std::function<void(const grpc::Status&, const pb::TxnResponse&)> done;
  // A batch: the creates whose compare and put `req` holds, in order. Empty for a single call.
  std::vector<std::unique_ptr<AsyncTxn>> members;
  bool alone = false;  // to be sent in a Txn of its own (its batch failed as a whole)

  // batchable: a create-if-absent of one key (one compare, one put, no failure branch).
  bool batchable() const {
    return !alone && req.compare_size() == 1 && req.success_size() == 1 &&
           req.failure_size() == 0 && req.success(0).has_request_put();
  }
  const std::string& key() const { return req.success(0).request_put().key(); }
};

}  // namespace

// ---------------------------------------------------------------- Core

struct Etcd3Storage::Core {
  struct WatchEntry {
    std::int64_t id = 0;  // our watch_id on the stream; never reused
    std::string prefix;
    WatchCallback callback;
    std::int64_t next = 0;  // the revision to resume from (last delivered + 1); guarded by mu
    // Until then the stream's progress answers skip the watch (see onStreamProgress); guarded by
    // mu.
    Clock::time_point settles{};
    std::atomic<bool> active{true};
  };
  // etcd before 3.4.25 / 3.5.8 answers a progress request with the store's revision even while a
  // watch created behind the store's head is still "unsynced" (its missed events come from a sync
  // loop that runs every 100 ms), so that answer could overtake those events. A watch (re)created
  // on a stream therefore takes stream progress only after this long, or once etcd has sent it
  // its own progress notification (which etcd sends to synced watches only).
  static constexpr auto kSettle = std::chrono::milliseconds(500);
  using Stream = grpc::ClientReaderWriter<pb::WatchRequest, pb::WatchResponse>;

  Etcd3Options opts;
  std::vector<std::unique_ptr<Endpoint>> endpoints;
  std::atomic<std::size_t> current{0};
  std::atomic<std::int64_t> knownCompacted{0};

  // Leases for events: one per window, shared by every key written in it (kube's lease manager).
  std::mutex leaseMu;
  std::int64_t leaseId = 0;
  Clock::time_point leaseGranted;

  // The watch stream. Lock order: deliverMu, then writeMu, then mu.
  std::mutex deliverMu;  // held while callbacks run
  std::atomic<std::thread::id> deliveringThread{};
  std::mutex writeMu;  // guards stream/streamReady and writes to the stream
  std::mutex ctxMu;    // guards streamCtx (so that shutdown can cancel a blocked write)
  std::unique_ptr<grpc::ClientContext> streamCtx;
  std::unique_ptr<Stream> stream;
  bool streamReady = false;
  std::mutex mu;  // guards watches and the stop flags
  std::condition_variable stopCv;
  std::map<std::int64_t, std::shared_ptr<WatchEntry>> watches;
  std::int64_t nextWatchId = 1;
  // requestProgress: 0 idle, 1 waiting for the first progress answer, 2 for the second (see
  // onStreamProgress); `progressAgain` asks for another round after this one.
  int progressPhase = 0;
  std::int64_t progressRevision = 0;
  bool progressAgain = false;
  Clock::time_point progressRetryAt{};  // when progressLoop asks again for settling watches
  std::atomic<bool> stopping{false};    // set under mu
  std::thread watchThread;
  std::thread progressThread;
  std::thread compactorThread;

  // Asynchronous writes: their answers arrive on one completion queue, read by one thread.
  grpc::CompletionQueue cq;
  std::thread cqThread;
  CallsInFlight asyncCalls;  // one per create, from startTxn to its answer; closed at shutdown
  // Group commit: while a create Txn is in flight (kTxnsInFlight), the creates queued meanwhile
  // wait, then go to etcd together, as one Txn that compares and puts each key (up to
  // opts.createsPerTxn keys and about kBatchBytes), and share its revision. At one create at a time
  // nothing waits. One Txn costs etcd (its gRPC call, its raft entry, the one event message per
  // watcher) about as much as a Txn of a few keys. One in flight gave more creates than two or
  // four, and took etcd less CPU; docs/storage.md, docs/performance.md.
  static constexpr int kTxnsInFlight = 1;
  // txnsAllowed: kTxnsInFlight, or no limit when every create goes alone (createsPerTxn 1).
  int txnsAllowed() const {
    return opts.createsPerTxn > 1 ? kTxnsInFlight : std::numeric_limits<int>::max();
  }
  static constexpr std::size_t kBatchBytes = 512 << 10;  // etcd's --max-request-bytes: 1.5 MiB
  std::deque<std::unique_ptr<AsyncTxn>> waiting;         // the completion thread's only
  // Calls are started by that thread too, so that one thread does the channel's work for them
  // (started on the I/O threads, the same creates took 10-20% more of the server's CPU;
  // docs/performance.md). An I/O thread queues its call in `toStart` and wakes the completion
  // thread with `wake` if the queue was empty and a Txn may start: while every slot is taken,
  // the thread takes the queue when a Txn ends.
  std::mutex startMu;
  std::vector<std::unique_ptr<AsyncTxn>> toStart;  // guarded by startMu
  int txnsInFlight = 0;                            // guarded by startMu
  bool wakeSet = false;                            // `wake` is pending; guarded by startMu
  grpc::Alarm wake;

  ~Core() { shutdown(); }

  Result<void> init();
  void shutdown();

  Endpoint& pick(std::size_t& index) {
    index = current.load() % endpoints.size();
    return *endpoints[index];
  }
  void failover(std::size_t from) {
    std::size_t expected = from;
    current.compare_exchange_strong(expected, (from + 1) % endpoints.size());
  }

  // unary runs call(endpoint, ctx) with a deadline. Reads (retry) move on to the next member when
  // one cannot be reached, within the deadline; writes are never retried (a write that might
  // have been applied must not be applied twice), they fail over for the next call.
  template <class Call>
  grpc::Status unary(bool retry, Call&& call) {
    const auto deadline = deadlineIn(opts.requestTimeout);
    grpc::Status st;
    for (std::size_t attempt = 0; attempt < endpoints.size(); ++attempt) {
      std::size_t index;
      Endpoint& ep = pick(index);
      grpc::ClientContext ctx;
      ctx.set_deadline(deadline);
      auto stubs = ep.stubs();
      st = call(*stubs, ctx);
      if (st.ok() || !isEndpointFailure(st))
        return st;
      ep.kick();
      failover(index);
      if (!retry || std::chrono::system_clock::now() >= deadline)
        return st;
    }
    return st;
  }

  Result<pb::RangeResponse> range(const pb::RangeRequest& req, std::string_view what) {
    pb::RangeResponse resp;
    auto st = unary(
        true, [&](Stubs& ep, grpc::ClientContext& ctx) { return ep.kv->Range(&ctx, req, &resp); });
    if (!st.ok())
      return fail(toError(st, what, req.revision(), knownCompacted.load()));
    return resp;
  }
  Result<pb::TxnResponse> txn(const pb::TxnRequest& req, std::string_view what) {
    pb::TxnResponse resp;
    auto st = unary(
        false, [&](Stubs& ep, grpc::ClientContext& ctx) { return ep.kv->Txn(&ctx, req, &resp); });
    if (!st.ok())
      return fail(toError(st, what));
    return resp;
  }

  bool leased(std::string_view key) const {
    if (opts.eventTTL.count() <= 0)
      return false;
    return std::any_of(opts.leasedPrefixes.begin(), opts.leasedPrefixes.end(),
                       [&](const std::string& p) { return key.starts_with(p); });
  }
  Result<std::int64_t> lease();
  void dropLease(std::int64_t id) {
    std::lock_guard lock(leaseMu);
    if (leaseId == id)
      leaseId = 0;
  }
  // startTxn queues t's Txn without waiting; the completion queue's thread starts it
  // (launchWaiting, launchTxn) and answers it (finishTxn).
  void startTxn(std::unique_ptr<AsyncTxn> t);
  // launchWaiting moves `toStart` to `waiting`, and starts waiting creates while fewer than
  // txnsAllowed() Txns are in flight;
  // nextTxn takes the next Txn from `waiting` (a batch when more than one create can go).
  void launchWaiting();
  std::unique_ptr<AsyncTxn> nextTxn();
  void launchTxn(std::unique_ptr<AsyncTxn> t);
  void finishTxn(std::unique_ptr<AsyncTxn> t);
  void finishBatch(std::unique_ptr<AsyncTxn> t);
  // answer answers t's create (counted by startTxn).
  void answer(AsyncTxn& t, const grpc::Status& st, const pb::TxnResponse& resp) {
    t.done(st, resp);
    asyncCalls.end();
  }
  void cqLoop();
  // putRequest is the Txn that puts key (on the events' lease if key takes one) if `compares`
  // hold, and reads it otherwise if `rangeOnFailure`.
  Result<pb::TxnRequest> putRequest(std::string_view key, const std::string& value,
                                    const std::vector<pb::Compare>& compares, bool rangeOnFailure,
                                    std::int64_t& leaseUsed);
  // putTxn writes key under the compares (putRequest) and waits for etcd's answer; a lost
  // lease (etcd restored, lease revoked) is replaced once.
  Result<pb::TxnResponse> putTxn(std::string_view key, const std::string& value,
                                 std::vector<pb::Compare> compares, bool rangeOnFailure,
                                 std::string_view what);

  // Watch stream.
  void watchLoop();
  bool sendCreate(const WatchEntry& w);  // writeMu held
  void sendCancel(std::int64_t id);
  void handle(const pb::WatchResponse& resp);
  void requestProgress();
  void onStreamProgress(std::int64_t revision);  // deliverMu held
  void progressLoop();
  bool sendProgressRequest();  // writeMu held
  void endWatch(const std::shared_ptr<WatchEntry>& w, Error err);
  void removeWatch(const std::shared_ptr<WatchEntry>& w);

  // Compaction.
  void compactorLoop();
  std::pair<std::int64_t, std::int64_t> compactOnce(std::int64_t version, std::int64_t rev);
  Result<void> compactTo(std::int64_t revision);
};

Result<void> Etcd3Storage::Core::init() {
  if (opts.servers.empty())
    return fail(Error::internal("etcd3 storage: no servers given"));
  std::shared_ptr<grpc::ChannelCredentials> tls;
  for (const auto& url : opts.servers) {
    bool secure = false;
    std::string target;
    if (url.rfind("http://", 0) == 0) {
      target = url.substr(7);
    } else if (url.rfind("https://", 0) == 0) {
      target = url.substr(8);
      secure = true;
    } else {
      return fail(Error::internal("etcd3 storage: server \"" + url +
                                  "\" is not an http:// or https:// URL"));
    }
    while (!target.empty() && target.back() == '/')
      target.pop_back();
    if (target.empty())
      return fail(Error::internal("etcd3 storage: server \"" + url + "\" has no host"));
    std::shared_ptr<grpc::ChannelCredentials> creds;
    if (secure) {
      if (!tls) {
        grpc::SslCredentialsOptions so;
        if (!opts.caFile.empty()) {
          auto ca = readFile(opts.caFile, "CA file");
          if (!ca)
            return fail(std::move(ca).error());
          so.pem_root_certs = std::move(*ca);
        }
        if (!opts.certFile.empty() || !opts.keyFile.empty()) {
          if (opts.certFile.empty() || opts.keyFile.empty())
            return fail(Error::internal(
                "etcd3 storage: a client certificate needs both a cert file and a key file"));
          auto cert = readFile(opts.certFile, "cert file");
          if (!cert)
            return fail(std::move(cert).error());
          auto key = readFile(opts.keyFile, "key file");
          if (!key)
            return fail(std::move(key).error());
          so.pem_cert_chain = std::move(*cert);
          so.pem_private_key = std::move(*key);
        }
        tls = grpc::SslCredentials(so);
      }
      creds = tls;
    } else {
      creds = grpc::InsecureChannelCredentials();
    }
    grpc::ChannelArguments args;
    args.SetMaxReceiveMessageSize(-1);  // lists can be large; etcd bounds requests itself
    args.SetMaxSendMessageSize(-1);
    // A dead member is noticed by keepalive even without traffic on the watch stream (etcd's
    // default enforcement allows pings every 5 s while a stream is open).
    args.SetInt(GRPC_ARG_KEEPALIVE_TIME_MS, 10000);
    args.SetInt(GRPC_ARG_KEEPALIVE_TIMEOUT_MS, 5000);
    args.SetInt(GRPC_ARG_KEEPALIVE_PERMIT_WITHOUT_CALLS, 0);
    args.SetInt(GRPC_ARG_HTTP2_MAX_PINGS_WITHOUT_DATA, 0);
    // Reconnect quickly when a member comes back.
    args.SetInt(GRPC_ARG_INITIAL_RECONNECT_BACKOFF_MS, 100);
    args.SetInt(GRPC_ARG_MAX_RECONNECT_BACKOFF_MS, 1000);
    // Each channel has its own subchannels, so that a fresh channel really reconnects.
    args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);
    auto ep = std::make_unique<Endpoint>(url, grpcTarget(target), creds, args);
    endpoints.push_back(std::move(ep));
  }

  // One member must answer before the server starts; later outages are survived. Each member
  // gets its share of the deadline, waiting for its channel to connect.
  grpc::Status st;
  const auto share = std::max(opts.requestTimeout / static_cast<int>(endpoints.size()),
                              std::chrono::milliseconds(500));
  for (std::size_t i = 0; i < endpoints.size(); ++i) {
    std::size_t index;
    Endpoint& ep = pick(index);
    grpc::ClientContext ctx;
    ctx.set_deadline(deadlineIn(share));
    ctx.set_wait_for_ready(true);
    pb::StatusResponse status;
    st = ep.stubs()->maintenance->Status(&ctx, pb::StatusRequest(), &status);
    if (st.ok())
      break;
    failover(index);
  }
  if (!st.ok()) {
    std::string all;
    for (const auto& s : opts.servers)
      all += (all.empty() ? "" : ", ") + s;
    Error e = toError(st, "status");
    e.code = ErrorCode::Unreachable;
    e.message = "cannot reach etcd at " + all + ": " + e.message;
    return fail(std::move(e));
  }

  cqThread = std::thread([this] { cqLoop(); });
  watchThread = std::thread([this] { watchLoop(); });
  progressThread = std::thread([this] { progressLoop(); });
  if (opts.compactionInterval.count() > 0)
    compactorThread = std::thread([this] { compactorLoop(); });
  return {};
}

void Etcd3Storage::Core::shutdown() {
  // Writes in flight are answered (each has a deadline) before the queue closes.
  asyncCalls.close();
  cq.Shutdown();
  if (cqThread.joinable()) {
    cqThread.join();
  } else {  // never started (init failed): a queue is drained before it goes
    void* tag = nullptr;
    bool ok = false;
    while (cq.Next(&tag, &ok)) {
    }
  }
  {
    std::lock_guard lock(mu);
    stopping = true;
  }
  stopCv.notify_all();
  {
    std::lock_guard lock(ctxMu);
    if (streamCtx)
      streamCtx->TryCancel();
  }
  if (watchThread.joinable())
    watchThread.join();
  if (progressThread.joinable())
    progressThread.join();
  if (compactorThread.joinable())
    compactorThread.join();
}

Result<std::int64_t> Etcd3Storage::Core::lease() {
  std::lock_guard lock(leaseMu);
  const auto ttl = std::chrono::duration_cast<std::chrono::seconds>(opts.eventTTL);
  // Reuse one lease for 5% of the TTL (at most a minute); each lease lives TTL + that window, so
  // that every key attached to it lives at least the TTL.
  const auto window = std::clamp(std::chrono::seconds(ttl.count() / 20), std::chrono::seconds(1),
                                 std::chrono::seconds(60));
  const auto now = Clock::now();
  if (leaseId != 0 && now - leaseGranted < window)
    return leaseId;
  pb::LeaseGrantRequest req;
  req.set_ttl(std::max<std::int64_t>(ttl.count(), 1) + window.count());
  pb::LeaseGrantResponse resp;
  auto st = unary(false, [&](Stubs& ep, grpc::ClientContext& ctx) {
    return ep.lease->LeaseGrant(&ctx, req, &resp);
  });
  if (!st.ok())
    return fail(toError(st, "lease grant"));
  if (!resp.error().empty())
    return fail(Error::internal("etcd lease grant: " + resp.error()));
  leaseId = resp.id();
  leaseGranted = now;
  return leaseId;
}

Result<pb::TxnRequest> Etcd3Storage::Core::putRequest(std::string_view key,
                                                      const std::string& value,
                                                      const std::vector<pb::Compare>& compares,
                                                      bool rangeOnFailure,
                                                      std::int64_t& leaseUsed) {
  pb::TxnRequest req;
  for (const auto& c : compares)
    *req.add_compare() = c;
  auto* put = req.add_success()->mutable_request_put();
  put->set_key(std::string(key));
  put->set_value(value);
  leaseUsed = 0;
  if (leased(key)) {
    auto id = lease();  // a round trip once per lease window; otherwise the one in use
    if (!id)
      return fail(std::move(id).error());
    leaseUsed = *id;
    put->set_lease(leaseUsed);
  }
  if (rangeOnFailure)
    req.add_failure()->mutable_request_range()->set_key(std::string(key));
  return req;
}

void Etcd3Storage::Core::startTxn(std::unique_ptr<AsyncTxn> t) {
  if (!asyncCalls.begin())
    return t->done(grpc::Status(grpc::StatusCode::UNAVAILABLE, "etcd3 storage is closing"),
                   t->resp);
  std::lock_guard lock(startMu);
  toStart.push_back(std::move(t));
  if (!wakeSet && txnsInFlight < txnsAllowed()) {
    wakeSet = true;
    wake.Set(&cq, gpr_time_0(GPR_CLOCK_REALTIME), &wake);
  }
}

void Etcd3Storage::Core::launchWaiting() {
  for (;;) {
    {
      std::lock_guard lock(startMu);
      for (auto& t : toStart)
        waiting.push_back(std::move(t));
      toStart.clear();
      if (waiting.empty() || txnsInFlight >= txnsAllowed())
        return;
      ++txnsInFlight;
    }
    launchTxn(nextTxn());
  }
}

std::unique_ptr<AsyncTxn> Etcd3Storage::Core::nextTxn() {
  auto first = std::move(waiting.front());
  waiting.pop_front();
  if (waiting.empty() || !first->batchable() || opts.createsPerTxn <= 1)
    return first;
  auto batch = std::make_unique<AsyncTxn>();
  std::size_t bytes = first->req.ByteSizeLong();
  std::set<std::string_view> keys{first->key()};
  batch->members.push_back(std::move(first));
  // etcd refuses a Txn that puts one key twice: a second create of a key waits for the next Txn
  // (and finds the key there).
  std::vector<std::unique_ptr<AsyncTxn>> later;
  while (!waiting.empty() && batch->members.size() < static_cast<std::size_t>(opts.createsPerTxn)) {
    auto& t = waiting.front();
    if (!t->batchable())
      break;
    const std::size_t size = t->req.ByteSizeLong();
    if (bytes + size > kBatchBytes)
      break;
    if (keys.insert(t->key()).second) {
      bytes += size;
      batch->members.push_back(std::move(t));
    } else {
      later.push_back(std::move(t));
    }
    waiting.pop_front();
  }
  for (auto it = later.rbegin(); it != later.rend(); ++it)
    waiting.push_front(std::move(*it));
  if (batch->members.size() == 1)
    return std::move(batch->members.front());
  for (auto& m : batch->members) {
    *batch->req.add_compare() = m->req.compare(0);
    batch->req.add_success()->Swap(m->req.mutable_success(0));  // the put and its value, moved
  }
  return batch;
}

void Etcd3Storage::Core::launchTxn(std::unique_ptr<AsyncTxn> t) {
  Endpoint& ep = pick(t->endpoint);
  t->stubs = ep.stubs();
  t->ctx.set_deadline(deadlineIn(opts.requestTimeout));
  t->reader = t->stubs->kv->AsyncTxn(&t->ctx, t->req, &cq);
  AsyncTxn* call = t.release();  // the completion queue's tag, owned again by cqLoop
  call->reader->Finish(&call->resp, &call->status, call);
}

void Etcd3Storage::Core::cqLoop() {
  void* tag = nullptr;
  bool ok = false;
  while (cq.Next(&tag, &ok)) {
    if (tag == &wake) {
      {
        std::lock_guard lock(startMu);
        wakeSet = false;
      }
      launchWaiting();
      continue;
    }
    {
      std::lock_guard lock(startMu);
      --txnsInFlight;
    }
    finishTxn(std::unique_ptr<AsyncTxn>(static_cast<AsyncTxn*>(tag)));
    launchWaiting();
  }
}

void Etcd3Storage::Core::finishTxn(std::unique_ptr<AsyncTxn> t) {
  const grpc::Status& st = t->status;
  if (!st.ok() && isEndpointFailure(st)) {
    // As unary() does for a write: not retried (it may have been applied), the next call fails
    // over.
    endpoints[t->endpoint]->kick();
    failover(t->endpoint);
  }
  if (!t->members.empty())
    return finishBatch(std::move(t));
  if (!st.ok() && t->leaseUsed != 0 && t->attempt == 0 &&
      contains(st.error_message(), "lease not found")) {
    // As putTxn: the shared lease expired; once more with a new one (still counted as the same
    // create).
    dropLease(t->leaseUsed);
    auto again = std::make_unique<AsyncTxn>();
    again->req = std::move(t->req);
    again->done = std::move(t->done);
    again->attempt = 1;
    auto id = lease();
    if (!id)
      return answer(*again, grpc::Status(grpc::StatusCode::UNAVAILABLE, id.error().message),
                    again->resp);
    again->leaseUsed = *id;
    again->req.mutable_success(0)->mutable_request_put()->set_lease(*id);
    waiting.push_front(std::move(again));
    return;
  }
  answer(*t, st, t->resp);
}

void Etcd3Storage::Core::finishBatch(std::unique_ptr<AsyncTxn> t) {
  const grpc::Status& st = t->status;
  // Every member gets the batch's outcome, unless etcd applied none of it for a reason that
  // concerns one member or the batch as a whole: a failed compare (a key exists: which, each
  // member learns alone), or a refusal of the batch (a lost lease; a cluster whose --max-txn-ops
  // or --max-request-bytes is below ours). Then each member goes again in a Txn of its own.
  const bool again = st.ok() ? !t->resp.succeeded()
                             : st.error_code() == grpc::StatusCode::INVALID_ARGUMENT ||
                                   st.error_code() == grpc::StatusCode::NOT_FOUND ||
                                   st.error_code() == grpc::StatusCode::RESOURCE_EXHAUSTED;
  if (!again) {
    for (auto& m : t->members)
      answer(*m, st, t->resp);
    return;
  }
  for (std::size_t i = t->members.size(); i-- > 0;) {
    auto& m = t->members[i];
    m->req.mutable_success(0)->Swap(t->req.mutable_success(static_cast<int>(i)));
    m->alone = true;
    waiting.push_front(std::move(m));
  }
}

Result<pb::TxnResponse> Etcd3Storage::Core::putTxn(std::string_view key, const std::string& value,
                                                   std::vector<pb::Compare> compares,
                                                   bool rangeOnFailure, std::string_view what) {
  for (int attempt = 0;; ++attempt) {
    std::int64_t leaseUsed = 0;
    auto built = putRequest(key, value, compares, rangeOnFailure, leaseUsed);
    if (!built)
      return fail(std::move(built).error());
    const pb::TxnRequest& req = *built;
    pb::TxnResponse resp;
    auto st = unary(
        false, [&](Stubs& ep, grpc::ClientContext& ctx) { return ep.kv->Txn(&ctx, req, &resp); });
    if (st.ok())
      return resp;
    if (leaseUsed != 0 && attempt == 0 && contains(st.error_message(), "lease not found")) {
      dropLease(leaseUsed);
      continue;
    }
    return fail(toError(st, what));
  }
}

// ---------------------------------------------------------------- watch stream

bool Etcd3Storage::Core::sendCreate(const WatchEntry& w) {
  pb::WatchRequest req;
  auto* c = req.mutable_create_request();
  c->set_key(w.prefix);
  c->set_range_end(prefixEnd(w.prefix));
  c->set_start_revision(w.next);
  c->set_progress_notify(true);
  c->set_prev_kv(true);
  c->set_watch_id(w.id);
  return stream->Write(req);
}

void Etcd3Storage::Core::sendCancel(std::int64_t id) {
  std::lock_guard lock(writeMu);
  if (!streamReady)
    return;
  pb::WatchRequest req;
  req.mutable_cancel_request()->set_watch_id(id);
  (void)stream->Write(req);
}

void Etcd3Storage::Core::watchLoop() {
  auto backoff = std::chrono::milliseconds(100);
  for (;;) {
    std::size_t index;
    Endpoint* ep = nullptr;
    std::shared_ptr<Stubs> stubs;
    {
      std::lock_guard wlock(writeMu);
      {
        std::lock_guard lock(mu);
        if (stopping)
          return;
      }
      ep = &pick(index);
      auto ctx = std::make_unique<grpc::ClientContext>();
      // Like kube (clientv3.WithRequireLeader): a member that loses its leader ends the stream,
      // and the watches move to a member that has one.
      ctx->AddMetadata("hasleader", "true");
      {
        std::lock_guard clock(ctxMu);
        if (stopping)
          return;
        streamCtx = std::move(ctx);
      }
      stubs = ep->stubs();
      stream = stubs->watch->Watch(streamCtx.get());
      streamReady = true;
      {
        std::lock_guard lock(mu);
        // Requests sent on the old stream are lost with it; ask again on this one.
        if (progressPhase != 0)
          progressAgain = true;
        progressPhase = 0;
      }
      std::vector<std::shared_ptr<WatchEntry>> all;
      {
        std::lock_guard lock(mu);
        for (auto& [id, w] : watches)
          all.push_back(w);
      }
      for (auto& w : all) {
        std::int64_t next;
        {
          std::lock_guard lock(mu);
          next = w->next;
          w->settles = Clock::now() + kSettle;
        }
        WatchEntry copy;
        copy.id = w->id;
        copy.prefix = w->prefix;
        copy.next = next;
        if (!sendCreate(copy))
          break;
      }
      bool again = false;
      {
        std::lock_guard lock(mu);
        if (progressAgain) {
          progressAgain = false;
          progressPhase = 1;
          again = true;
        }
      }
      if (again)
        (void)sendProgressRequest();
    }
    pb::WatchResponse resp;
    bool gotAny = false;
    while (stream->Read(&resp)) {
      gotAny = true;
      handle(resp);
    }
    grpc::Status st;
    {
      std::lock_guard wlock(writeMu);
      streamReady = false;
      st = stream->Finish();
      stream.reset();
      std::lock_guard clock(ctxMu);
      streamCtx.reset();
    }
    std::unique_lock lock(mu);
    if (stopping)
      return;
    if (isEndpointFailure(st) || !gotAny) {
      ep->kick();
      failover(index);
    }
    backoff = gotAny ? std::chrono::milliseconds(100)
                     : std::min(backoff * 2, std::chrono::milliseconds(2000));
    stopCv.wait_for(lock, backoff, [&] { return stopping.load(); });
  }
}

void Etcd3Storage::Core::handle(const pb::WatchResponse& resp) {
  std::lock_guard dlock(deliverMu);
  if (resp.watch_id() == -1 && resp.events_size() == 0 && !resp.created() && !resp.canceled())
    return onStreamProgress(resp.header().revision());
  std::shared_ptr<WatchEntry> w;
  {
    std::lock_guard lock(mu);
    auto it = watches.find(resp.watch_id());
    if (it != watches.end())
      w = it->second;
  }
  if (!w || !w->active.load())
    return;
  if (resp.compact_revision() > 0) {
    knownCompacted = std::max(knownCompacted.load(), resp.compact_revision());
    std::int64_t next;
    {
      std::lock_guard lock(mu);
      next = w->next;
    }
    return endWatch(w, Error::compacted(next - 1, resp.compact_revision()));
  }
  if (resp.canceled()) {
    // Canceled without compaction: our own cancel (the entry is gone then) or a server refusal.
    return endWatch(w, Error::internal("etcd canceled the watch: " + resp.cancel_reason()));
  }
  if (resp.events_size() == 0) {
    // The watch's own periodic progress notification (progress_notify): etcd sends it through
    // the watch's event queue, so every event up to header.revision was sent before it.
    if (resp.created() || resp.header().revision() <= 0)
      return;
    const std::int64_t rev = resp.header().revision();
    {
      std::lock_guard lock(mu);
      w->next = std::max(w->next, rev + 1);
      w->settles = {};
    }
    deliveringThread = std::this_thread::get_id();
    w->callback(WatchNotification{{}, std::nullopt, rev});
    deliveringThread = std::thread::id();
    return;
  }
  WatchNotification n;
  n.events.reserve(static_cast<std::size_t>(resp.events_size()));
  std::int64_t next;
  {
    std::lock_guard lock(mu);
    next = w->next;
  }
  for (const auto& e : resp.events()) {
    const auto& kv = e.kv();
    if (kv.mod_revision() < next)
      continue;  // already delivered before a reconnect
    Event ev;
    ev.key = kv.key();
    ev.revision = kv.mod_revision();
    if (e.has_prev_kv()) {
      ev.previous = makeBytes(e.prev_kv().value());
      ev.previousRevision = e.prev_kv().mod_revision();
    }
    if (e.type() == mvcc::Event::PUT) {
      ev.type = EventType::Put;
      ev.value = makeBytes(kv.value());
      ev.createRevision = kv.create_revision();
      if (kv.version() == 1) {  // a create: no previous value, whatever prev_kv says
        ev.previous = nullptr;
        ev.previousRevision = 0;
      }
    } else {
      ev.type = EventType::Delete;
      ev.createRevision = e.has_prev_kv() ? e.prev_kv().create_revision() : 0;
    }
    n.events.push_back(std::move(ev));
  }
  if (n.events.empty())
    return;
  {
    std::lock_guard lock(mu);
    w->next = n.events.back().revision + 1;
  }
  deliveringThread = std::this_thread::get_id();
  w->callback(std::move(n));
  deliveringThread = std::thread::id();
}

bool Etcd3Storage::Core::sendProgressRequest() {
  pb::WatchRequest req;
  req.mutable_progress_request();
  return stream->Write(req);
}

void Etcd3Storage::Core::requestProgress() {
  std::lock_guard wlock(writeMu);
  {
    std::lock_guard lock(mu);
    // Between streams (not opened yet, or reconnecting) the request waits for the next stream,
    // which sends it after re-creating the watches.
    if (progressPhase != 0 || !streamReady) {
      progressAgain = true;
      return;
    }
    progressPhase = 1;
  }
  (void)sendProgressRequest();
}

void Etcd3Storage::Core::onStreamProgress(std::int64_t revision) {
  // etcd answers a progress request on the stream's control queue with the store's revision;
  // before 3.4.25 / 3.5.8 that answer can overtake events already queued for the watches. So
  // the first answer's revision is only passed on once a second request has gone round: while
  // it travels, the server drains the events that were queued before the first answer.
  std::int64_t deliver = 0;
  {
    std::lock_guard wlock(writeMu);
    std::lock_guard lock(mu);
    if (progressPhase == 1) {
      progressRevision = revision;
      progressPhase = 2;
      if (streamReady)
        (void)sendProgressRequest();
      return;
    }
    if (progressPhase != 2)
      return;
    deliver = progressRevision;
    progressPhase = 0;
    if (progressAgain && streamReady) {
      progressAgain = false;
      progressPhase = 1;
      (void)sendProgressRequest();
    }
  }
  std::vector<std::shared_ptr<WatchEntry>> settled;
  {
    std::lock_guard lock(mu);
    const auto now = Clock::now();
    Clock::time_point retry{};
    for (auto& [id, w] : watches) {
      if (w->settles > now)
        retry = std::max(retry, w->settles);
      else
        settled.push_back(w);
    }
    if (retry != Clock::time_point{}) {
      progressRetryAt = std::max(progressRetryAt, retry);
      stopCv.notify_all();
    }
  }
  deliveringThread = std::this_thread::get_id();
  for (auto& w : settled)
    if (w->active.load())
      w->callback(WatchNotification{{}, std::nullopt, deliver});
  deliveringThread = std::thread::id();
}

void Etcd3Storage::Core::progressLoop() {
  // Asks for progress again once the watches that a progress answer skipped have settled.
  std::unique_lock lock(mu);
  for (;;) {
    stopCv.wait(lock, [&] { return stopping.load() || progressRetryAt != Clock::time_point{}; });
    if (stopping)
      return;
    const auto at = progressRetryAt;
    if (stopCv.wait_until(lock, at, [&] { return stopping.load() || progressRetryAt > at; }))
      continue;  // stopping, or the retry moved later
    progressRetryAt = {};
    lock.unlock();
    requestProgress();
    lock.lock();
  }
}

void Etcd3Storage::Core::endWatch(const std::shared_ptr<WatchEntry>& w, Error err) {
  // deliverMu is held by the caller.
  if (!w->active.exchange(false))
    return;
  {
    std::lock_guard lock(mu);
    watches.erase(w->id);
  }
  deliveringThread = std::this_thread::get_id();
  w->callback(WatchNotification{{}, std::move(err)});
  deliveringThread = std::thread::id();
}

void Etcd3Storage::Core::removeWatch(const std::shared_ptr<WatchEntry>& w) {
  // Waiting for deliverMu: the callback is not running once stop() returns (unless stop() is
  // called from inside a callback, on the delivering thread).
  std::unique_lock<std::mutex> dlock;
  if (deliveringThread.load() != std::this_thread::get_id())
    dlock = std::unique_lock(deliverMu);
  bool wasActive = w->active.exchange(false);
  {
    std::lock_guard lock(mu);
    watches.erase(w->id);
  }
  if (dlock.owns_lock())
    dlock.unlock();
  if (wasActive)
    sendCancel(w->id);
}

// ---------------------------------------------------------------- compaction

std::pair<std::int64_t, std::int64_t> Etcd3Storage::Core::compactOnce(std::int64_t version,
                                                                      std::int64_t rev) {
  // One API server per interval wins the compare on the key's version and compacts; the others
  // learn the version and try again next interval (kube's compactor).
  pb::TxnRequest req;
  auto* c = req.add_compare();
  c->set_result(pb::Compare::EQUAL);
  c->set_target(pb::Compare::VERSION);
  c->set_key(kCompactRevKey);
  c->set_version(version);
  auto* put = req.add_success()->mutable_request_put();
  put->set_key(kCompactRevKey);
  put->set_value(std::to_string(rev));
  req.add_failure()->mutable_request_range()->set_key(kCompactRevKey);
  auto resp = txn(req, "compaction bookkeeping");
  if (!resp)
    return {version, rev};  // try again next time, with the same revision
  const std::int64_t currentRev = resp->header().revision();
  if (!resp->succeeded()) {
    std::int64_t v = 0;
    if (resp->responses_size() > 0 && resp->responses(0).response_range().kvs_size() > 0)
      v = resp->responses(0).response_range().kvs(0).version();
    return {v, currentRev};
  }
  if (rev > 0)
    (void)compactTo(rev);
  return {version + 1, currentRev};
}

Result<void> Etcd3Storage::Core::compactTo(std::int64_t revision) {
  pb::CompactionRequest req;
  req.set_revision(revision);
  pb::CompactionResponse resp;
  auto st = unary(
      false, [&](Stubs& ep, grpc::ClientContext& ctx) { return ep.kv->Compact(&ctx, req, &resp); });
  if (!st.ok()) {
    Error e = toError(st, "compact", revision, knownCompacted.load());
    if (e.code == ErrorCode::RevisionTooLarge)
      e = Error::revisionTooLarge(revision, 0);
    return fail(std::move(e));
  }
  std::int64_t prev = knownCompacted.load();
  while (prev < revision && !knownCompacted.compare_exchange_weak(prev, revision)) {
  }
  return {};
}

void Etcd3Storage::Core::compactorLoop() {
  std::int64_t version = 0;
  std::int64_t rev = 0;
  std::unique_lock lock(mu);
  for (;;) {
    if (stopCv.wait_for(lock, opts.compactionInterval, [&] { return stopping.load(); }))
      return;
    lock.unlock();
    std::tie(version, rev) = compactOnce(version, rev);
    lock.lock();
  }
}

// ---------------------------------------------------------------- Etcd3Storage

namespace {

pb::Compare compare(pb::Compare::CompareTarget target, pb::Compare::CompareResult result,
                    std::string_view key, std::int64_t value) {
  pb::Compare c;
  c.set_target(target);
  c.set_result(result);
  c.set_key(std::string(key));
  if (target == pb::Compare::MOD) {
    c.set_mod_revision(value);
  } else {
    c.set_create_revision(value);
  }
  return c;
}

// currentOf reads the key's mod revision from a Txn's failure branch (a Range of the key):
// KeyNotFound if it is gone, Conflict with the current revision otherwise.
Error conflictFrom(const pb::TxnResponse& resp, std::string_view key) {
  if (resp.responses_size() > 0 && resp.responses(0).response_range().kvs_size() > 0)
    return Error::conflict(key, resp.responses(0).response_range().kvs(0).mod_revision());
  return Error::keyNotFound(key);
}

}  // namespace

Etcd3Storage::Etcd3Storage(std::shared_ptr<Core> core) : core_(std::move(core)) {}

Etcd3Storage::~Etcd3Storage() {
  core_->shutdown();
}

Result<std::shared_ptr<Etcd3Storage>> Etcd3Storage::open(Etcd3Options options) {
  // gRPC's locks are Abseil's, and Debian builds Abseil without NDEBUG: its deadlock detector
  // then records the order of every two locks held together (with a stack trace for each new
  // pair), to report a cycle by aborting the process. That costs a create through etcd about 3%
  // of the server's CPU, and an abort is no way for a server to report a lock-order problem.
  absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kIgnore);
  auto core = std::make_shared<Core>();
  core->opts = std::move(options);
  if (core->opts.requestTimeout.count() <= 0)
    core->opts.requestTimeout = std::chrono::milliseconds(5000);
  if (auto r = core->init(); !r) {
    core->shutdown();
    return fail(std::move(r).error());
  }
  return std::shared_ptr<Etcd3Storage>(new Etcd3Storage(std::move(core)));
}

Result<KeyValue> Etcd3Storage::get(std::string_view key) {
  pb::RangeRequest req;
  req.set_key(std::string(key));
  auto resp = core_->range(req, "get " + std::string(key));
  if (!resp)
    return fail(std::move(resp).error());
  if (resp->kvs_size() == 0)
    return fail(Error::keyNotFound(key));
  return toKeyValue(resp->kvs(0));
}

Result<ListResult> Etcd3Storage::list(std::string_view prefix, const ListOptions& opts) {
  pb::RangeRequest req;
  const std::string start =
      opts.startKey.empty() || opts.startKey < prefix ? std::string(prefix) : opts.startKey;
  req.set_key(start);
  req.set_range_end(prefixEnd(prefix));
  req.set_revision(opts.revision);
  if (opts.limit > 0)
    req.set_limit(opts.limit);
  auto resp = core_->range(req, "list " + std::string(prefix));
  if (!resp) {
    Error e = std::move(resp).error();
    if (e.code == ErrorCode::RevisionTooLarge) {
      auto cur = currentRevision();
      e = Error::revisionTooLarge(opts.revision, cur ? *cur : 0);
    }
    return fail(std::move(e));
  }
  ListResult out;
  out.revision = opts.revision != 0 ? opts.revision : resp->header().revision();
  out.items.reserve(static_cast<std::size_t>(resp->kvs_size()));
  for (const auto& kv : resp->kvs())
    out.items.push_back(toKeyValue(kv));
  out.more = resp->more();
  out.remaining = std::max<std::int64_t>(0, resp->count() - resp->kvs_size());
  return out;
}

Result<std::int64_t> Etcd3Storage::create(std::string_view key, std::string value) {
  auto resp = core_->putTxn(key, value, {compare(pb::Compare::CREATE, pb::Compare::EQUAL, key, 0)},
                            false, "create " + std::string(key));
  if (!resp)
    return fail(std::move(resp).error());
  if (!resp->succeeded())
    return fail(Error::keyExists(key));
  return resp->header().revision();
}

void Etcd3Storage::createAsync(std::string_view key, std::string value, CreateCallback done) {
  auto t = std::make_unique<AsyncTxn>();
  auto req = core_->putRequest(
      key, value, {compare(pb::Compare::CREATE, pb::Compare::EQUAL, key, 0)}, false, t->leaseUsed);
  if (!req)
    return done(fail(std::move(req).error()));
  t->req = std::move(*req);
  t->done = [key = std::string(key), done = std::move(done)](const grpc::Status& st,
                                                             const pb::TxnResponse& resp) {
    if (!st.ok())
      return done(fail(toError(st, "create " + key)));
    if (!resp.succeeded())
      return done(fail(Error::keyExists(key)));
    done(resp.header().revision());
  };
  core_->startTxn(std::move(t));
}

Result<std::int64_t> Etcd3Storage::update(std::string_view key, std::string value,
                                          std::int64_t expectedModRevision) {
  auto resp =
      core_->putTxn(key, value,
                    {compare(pb::Compare::CREATE, pb::Compare::GREATER, key, 0),
                     compare(pb::Compare::MOD, pb::Compare::EQUAL, key, expectedModRevision)},
                    true, "update " + std::string(key));
  if (!resp)
    return fail(std::move(resp).error());
  if (!resp->succeeded())
    return fail(conflictFrom(*resp, key));
  return resp->header().revision();
}

Result<DeleteResult> Etcd3Storage::remove(std::string_view key, std::int64_t expectedModRevision) {
  pb::TxnRequest req;
  *req.add_compare() = compare(pb::Compare::CREATE, pb::Compare::GREATER, key, 0);
  if (expectedModRevision != 0)
    *req.add_compare() = compare(pb::Compare::MOD, pb::Compare::EQUAL, key, expectedModRevision);
  auto* del = req.add_success()->mutable_request_delete_range();
  del->set_key(std::string(key));
  del->set_prev_kv(true);
  req.add_failure()->mutable_request_range()->set_key(std::string(key));
  auto resp = core_->txn(req, "delete " + std::string(key));
  if (!resp)
    return fail(std::move(resp).error());
  if (!resp->succeeded())
    return fail(conflictFrom(*resp, key));
  DeleteResult out;
  out.revision = resp->header().revision();
  if (resp->responses_size() > 0 && resp->responses(0).response_delete_range().prev_kvs_size() > 0)
    out.previous = toKeyValue(resp->responses(0).response_delete_range().prev_kvs(0));
  return out;
}

Result<std::unique_ptr<Watch>> Etcd3Storage::watch(std::string_view prefix,
                                                   std::int64_t afterRevision,
                                                   WatchCallback callback) {
  Core& c = *core_;
  // etcd reports a compacted start revision asynchronously; a Range at that revision answers
  // the same question now, as the contract asks.
  if (afterRevision > 0) {
    pb::RangeRequest probe;
    probe.set_key(std::string(prefix));
    probe.set_range_end(prefixEnd(prefix));
    probe.set_revision(afterRevision);
    probe.set_count_only(true);
    auto r = c.range(probe, "watch " + std::string(prefix));
    if (!r && r.error().code != ErrorCode::RevisionTooLarge) {
      Error e = std::move(r).error();
      if (e.code == ErrorCode::Compacted)
        e = Error::compacted(afterRevision, std::max(c.knownCompacted.load(), afterRevision + 1));
      return fail(std::move(e));
    }
  }
  auto w = std::make_shared<Core::WatchEntry>();
  w->prefix = std::string(prefix);
  w->callback = std::move(callback);
  w->next = afterRevision + 1;
  {
    std::lock_guard wlock(c.writeMu);
    {
      std::lock_guard lock(c.mu);
      if (c.stopping)
        return fail(Error{ErrorCode::Unreachable, {}, 0, "etcd3 storage is closing"});
      w->id = c.nextWatchId++;
      w->settles = Clock::now() + Core::kSettle;
      c.watches.emplace(w->id, w);
    }
    // Without a stream now, the watch loop creates it when it connects.
    if (c.streamReady)
      (void)c.sendCreate(*w);
  }
  std::weak_ptr<Core> weak = core_;
  return std::unique_ptr<Watch>(std::make_unique<RemovingWatch>([weak, w] {
    if (auto core = weak.lock())
      core->removeWatch(w);
  }));
}

Result<std::int64_t> Etcd3Storage::currentRevision() {
  // A linearizable read of any key: its header carries the store's revision.
  pb::RangeRequest req;
  req.set_key(kCompactRevKey);
  req.set_count_only(true);
  auto resp = core_->range(req, "current revision");
  if (!resp)
    return fail(std::move(resp).error());
  return resp->header().revision();
}

Result<void> Etcd3Storage::compact(std::int64_t revision) {
  return core_->compactTo(revision);
}

void Etcd3Storage::requestProgress() {
  core_->requestProgress();
}

Result<std::int64_t> Etcd3Storage::leaseOf(std::string_view key) {
  pb::RangeRequest req;
  req.set_key(std::string(key));
  auto resp = core_->range(req, "get " + std::string(key));
  if (!resp)
    return fail(std::move(resp).error());
  if (resp->kvs_size() == 0)
    return fail(Error::keyNotFound(key));
  return resp->kvs(0).lease();
}

std::string Etcd3Storage::endpoint() const {
  return core_->endpoints[core_->current.load() % core_->endpoints.size()]->url();
}

}  // namespace apiserver::storage
