#include "controllers/garbage_collector.h"

#include <apiserver/object.h>

#include <algorithm>
#include <condition_variable>
#include <mutex>
#include <thread>

namespace apiserver::controllers {

namespace json = boost::json;

namespace {

constexpr std::string_view kOrphan = "orphan";
constexpr std::string_view kForeground = "foregroundDeletion";

const UserInfo& gcUser() {
  static const UserInfo user{"system:serviceaccount:kube-system:generic-garbage-collector", "", {"system:serviceaccounts"}, {}};
  return user;
}

/// Signal wakes the collector when any watcher has news.
struct Signal {
  std::mutex mu;
  std::condition_variable cv;
  bool raised = false;
  void raise() {
    std::lock_guard lock(mu);
    if (raised) return;  // the collector has not looked yet: one wake-up serves all news
    raised = true;
    cv.notify_all();
  }
};

/// kGather is how long the collector lets events gather after a wake-up.
constexpr std::chrono::milliseconds kGather{5};

bool gone(const ApiError& e) { return e.code == 404 || e.code == 409; }  // absent, or replaced by another uid

}  // namespace

struct GarbageCollector::Watch {
  std::size_t store = 0;
  storage::CacheWatcherPtr watcher;
};

GarbageCollector::GarbageCollector(std::vector<std::shared_ptr<registry::Store>> stores, Logger& log)
    : stores_(std::move(stores)), log_(log) {}

GarbageCollector::~GarbageCollector() { stop(); }

Result<void> GarbageCollector::start() {
  thread_ = std::jthread([this](std::stop_token stop) { run(stop); });
  return {};
}

void GarbageCollector::stop() {
  if (thread_.joinable()) {
    thread_.request_stop();
    thread_.join();
  }
  for (auto& w : watches_)
    if (w && w->watcher) stores_[w->store]->unwatch(w->watcher);
  watches_.clear();
}

void GarbageCollector::run(std::stop_token stop) {
  auto signal = std::make_shared<Signal>();
  auto subscribe = [&](std::size_t i) -> std::unique_ptr<Watch> {
    registry::WatchOptions opts;
    opts.ownershipOnly = true;  // an update of a plain object is nothing to the collector
    auto w =
        stores_[i]->watch("", opts, std::chrono::steady_clock::now() + std::chrono::seconds(10));
    if (!w)
      return nullptr;
    (*w)->setWake([signal] { signal->raise(); });
    return std::make_unique<Watch>(Watch{i, *w});
  };
  watches_.resize(stores_.size());
  std::set<std::string> retry;
  auto lastRetry = std::chrono::steady_clock::now();
  std::vector<storage::WatchEvent> events;
  while (!stop.stop_requested()) {
    {
      std::unique_lock lock(signal->mu);
      signal->cv.wait_for(lock, std::chrono::milliseconds(500), [&] { return signal->raised || stop.stop_requested(); });
    }
    // Under a stream of writes, let events gather for a moment: one wake-up then takes many
    // (every event used to wake this thread, a context switch each). The delay is kube's order
    // of magnitude for an informer-fed work queue, and far below what anyone waits on.
    std::this_thread::sleep_for(kGather);
    {
      std::lock_guard lock(signal->mu);
      signal->raised = false;
    }
    if (stop.stop_requested()) return;
    for (std::size_t i = 0; i < stores_.size(); ++i) {
      if (!watches_[i]) {
        watches_[i] = subscribe(i);  // first time, or after the watcher fell behind
        if (!watches_[i]) continue;
      }
      events.clear();
      const bool more = watches_[i]->watcher->take(events);
      for (const auto& ev : events) observe(i, ev);
      if (!more) {
        stores_[i]->unwatch(watches_[i]->watcher);
        watches_[i].reset();
        signal->raise();
      }
    }
    // Failed work is retried once a second.
    if (std::chrono::steady_clock::now() - lastRetry > std::chrono::seconds(1)) {
      dirty_.insert(retry.begin(), retry.end());
      retry.clear();
      lastRetry = std::chrono::steady_clock::now();
    }
    std::set<std::string> work;
    work.swap(dirty_);
    for (const auto& uid : work) {
      if (stop.stop_requested()) return;
      process(uid, retry);
    }
  }
}

void GarbageCollector::observe(std::size_t store, const storage::WatchEvent& ev) {
  if (!ev.object) return;
  // The watch (ownershipOnly) brings the changes of objects that have or had ownerReferences,
  // finalizers or a deletion mark, and every delete: a new or updated object without them is
  // nothing to follow (an owner the collector has not seen is looked up in its store when a
  // dependent needs it). Only a few metadata fields are kept: they are read from the bytes,
  // without parsing the object.
  auto scanned = scanOwnership(*ev.object->json);
  if (!scanned || scanned->uid.empty())
    return;
  Ownership& o = *scanned;
  const std::string& uid = o.uid;
  auto unlink = [&](const Node& n) {
    for (const auto& ref : n.owners) {
      auto it = dependents_.find(ref.uid);
      if (it == dependents_.end())
        continue;
      it->second.erase(uid);
      if (it->second.empty())
        dependents_.erase(it);
      dirty_.insert(ref.uid);  // an owner may be waiting for its dependents to go
    }
  };
  if (auto old = nodes_.find(uid); old != nodes_.end()) unlink(old->second);
  if (ev.type == storage::WatchEventType::Deleted) {
    nodes_.erase(uid);
    if (auto deps = dependents_.find(uid); deps != dependents_.end()) dirty_.insert(deps->second.begin(), deps->second.end());
    return;
  }
  Node n;
  n.store = store;
  n.namespace_ = std::move(o.namespace_);
  n.name = std::move(o.name);
  n.deleting = o.deleting;
  n.finalizers.insert(std::make_move_iterator(o.finalizers.begin()),
                      std::make_move_iterator(o.finalizers.end()));
  for (auto& ref : o.ownerReferences) {
    if (ref.uid.empty())
      continue;
    dependents_[ref.uid].insert(uid);
    dirty_.insert(ref.uid);
    n.owners.push_back(std::move(ref));
  }
  const bool mine = n.deleting && (n.finalizers.count(std::string(kOrphan)) || n.finalizers.count(std::string(kForeground)));
  if (!n.owners.empty() || mine) dirty_.insert(uid);
  nodes_[uid] = std::move(n);
}

bool GarbageCollector::ownerExists(const Node& dependent, const OwnerReference& ref) const {
  if (nodes_.count(ref.uid) != 0) return true;
  // Not seen (yet): ask the owner's store, which is authoritative.
  std::string group, version = ref.apiVersion;
  if (auto slash = ref.apiVersion.find('/'); slash != std::string::npos) {
    group = ref.apiVersion.substr(0, slash);
    version = ref.apiVersion.substr(slash + 1);
  }
  for (const auto& s : stores_) {
    const auto& spec = s->spec();
    if (spec.kind != ref.kind || spec.group != group) continue;
    auto got = s->get(s->namespaced() ? dependent.namespace_ : "", ref.name, {},
                      std::chrono::steady_clock::now() + std::chrono::seconds(5));
    if (!got) return got.error().code != 404;  // unsure: keep the dependent
    auto owner = scanOwnership(*(*got)->json);
    return !owner || owner->uid == ref.uid;
  }
  return true;  // a kind this server does not serve: leave the dependent alone
}

bool GarbageCollector::removeFinalizer(const Node& n, const std::string& uid, std::string_view finalizer) {
  registry::Mutation fn = [&](json::object cur) -> Result<json::object> {
    if (uidOf(cur) != uid) return fail(ApiError::conflict(stores_[n.store]->groupResource(), n.name, "replaced"));
    if (auto* f = metadata(cur).if_contains("finalizers"); f != nullptr && f->is_array()) {
      auto& a = f->get_array();
      a.erase(std::remove_if(a.begin(), a.end(), [&](const json::value& v) { return v.is_string() && v.get_string() == finalizer; }),
              a.end());
    }
    return cur;
  };
  auto r = stores_[n.store]->mutate(n.namespace_, n.name, fn, false, registry::WriteOptions{false, "garbage-collector", &gcUser()});
  if (!r && !gone(r.error())) {
    log_.warn("garbage collector: removing finalizer " + std::string(finalizer) + " from " + n.name + ": " + r.error().message);
    return false;
  }
  return true;
}

bool GarbageCollector::dropOwnerRefs(const Node& n, const std::string& uid, const std::set<std::string>& ownerUids) {
  registry::Mutation fn = [&](json::object cur) -> Result<json::object> {
    if (uidOf(cur) != uid) return fail(ApiError::conflict(stores_[n.store]->groupResource(), n.name, "replaced"));
    if (auto* refs = metadata(cur).if_contains("ownerReferences"); refs != nullptr && refs->is_array()) {
      auto& a = refs->get_array();
      a.erase(std::remove_if(a.begin(), a.end(),
                             [&](const json::value& v) {
                               return v.is_object() && ownerUids.count(std::string(stringField(v.get_object(), "", "uid")));
                             }),
              a.end());
      if (a.empty()) metadata(cur).stable_erase("ownerReferences");
    }
    return cur;
  };
  auto r = stores_[n.store]->mutate(n.namespace_, n.name, fn, false, registry::WriteOptions{false, "garbage-collector", &gcUser()});
  if (!r && !gone(r.error())) {
    log_.warn("garbage collector: updating owner references of " + n.name + ": " + r.error().message);
    return false;
  }
  return true;
}

bool GarbageCollector::deleteObject(const Node& n, const std::string& uid) {
  registry::DeleteOptions d;
  d.write = registry::WriteOptions{false, "garbage-collector", &gcUser()};
  d.preconditionUid = uid;
  d.propagation = registry::PropagationPolicy::Background;
  auto r = stores_[n.store]->remove(n.namespace_, n.name, d);
  if (!r && !gone(r.error())) {
    log_.warn("garbage collector: deleting " + stores_[n.store]->groupResource().str() + " " + n.name + ": " +
              r.error().message);
    return false;
  }
  return true;
}

void GarbageCollector::process(const std::string& uid, std::set<std::string>& retry) {
  auto it = nodes_.find(uid);
  if (it == nodes_.end()) return;
  const Node n = it->second;  // a copy: the maps may change while we act
  std::vector<std::pair<std::string, Node>> deps;
  if (auto d = dependents_.find(uid); d != dependents_.end())
    for (const auto& du : d->second)
      if (auto dn = nodes_.find(du); dn != nodes_.end()) deps.emplace_back(du, dn->second);

  bool ok = true;
  if (n.deleting && n.finalizers.count(std::string(kOrphan))) {
    for (const auto& [du, dn] : deps) ok = dropOwnerRefs(dn, du, {uid}) && ok;
    if (ok) ok = removeFinalizer(n, uid, kOrphan);
  } else if (n.deleting && n.finalizers.count(std::string(kForeground))) {
    bool blocked = false;
    for (const auto& [du, dn] : deps) {
      if (!dn.deleting) ok = deleteObject(dn, du) && ok;
      for (const auto& o : dn.owners) blocked = blocked || (o.uid == uid && o.blockOwnerDeletion);
    }
    // The owner goes once no dependent that blocks it is left (those are watched: their
    // deletion marks this owner dirty again).
    if (!blocked && ok) ok = removeFinalizer(n, uid, kForeground);
  }
  if (!n.owners.empty()) {
    std::set<std::string> missing;
    for (const auto& o : n.owners)
      if (!ownerExists(n, o)) missing.insert(o.uid);
    if (missing.size() == n.owners.size()) {
      ok = deleteObject(n, uid) && ok;  // every owner is gone: so goes the dependent
    } else if (!missing.empty()) {
      ok = dropOwnerRefs(n, uid, missing) && ok;
    }
  }
  if (!ok) retry.insert(uid);
}

}  // namespace apiserver::controllers
