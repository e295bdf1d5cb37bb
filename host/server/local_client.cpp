#include "server/local_client.h"

#include <chrono>
#include <condition_variable>
#include <mutex>

namespace apiserver::server {

namespace {
std::chrono::steady_clock::time_point deadline() { return std::chrono::steady_clock::now() + std::chrono::seconds(30); }
}  // namespace

void LocalClient::attach(std::shared_ptr<const StoreMap> stores) {
  std::lock_guard lock(attachMu_);
  const StoreMap* current = stores.get();
  attached_.push_back(std::move(stores));
  stores_.store(current, std::memory_order_release);
}

Result<LocalClient::StoreRef> LocalClient::store(const GroupResource& gr) const {
  const StoreMap* stores = stores_.load(std::memory_order_acquire);
  if (stores == nullptr)
    return fail(ApiError::serviceUnavailable("the server has not started yet"));
  auto it = stores->find(gr);
  if (it == stores->end())
    return fail(ApiError{404, "NotFound", "the server could not find the requested resource (" + gr.str() + ")", {}});
  return StoreRef{&it->second};
}

Result<json::object> LocalClient::get(const GroupResource& gr, std::string_view ns, std::string_view name) {
  auto obj = read(gr, ns, name, {});
  if (!obj) return fail(std::move(obj).error());
  return registry::parseObject(*(*obj)->json);  // the caller's own copy, which it may change
}

Result<std::shared_ptr<const json::object>> LocalClient::getCached(const GroupResource& gr, std::string_view ns,
                                                                   std::string_view name) {
  registry::ReadOptions any;
  any.resourceVersion = "0";  // whatever the watch cache holds, as a lister reads it
  auto obj = read(gr, ns, name, any);
  if (!obj) return fail(std::move(obj).error());
  return registry::parsedObject(**obj);
}

Result<storage::CachedObjectPtr> LocalClient::read(const GroupResource& gr, std::string_view ns, std::string_view name,
                                                   const registry::ReadOptions& opts) {
  auto s = store(gr);
  if (!s) return fail(std::move(s).error());
  return (*s)->get((*s)->namespaced() ? ns : "", name, opts, deadline());
}

Result<ObjectList> LocalClient::list(const GroupResource& gr, std::string_view ns, std::string_view labelSelector,
                                     std::string_view fieldSelector) {
  auto s = store(gr);
  if (!s) return fail(std::move(s).error());
  registry::ListOptions lo;
  lo.labelSelector = std::string(labelSelector);
  lo.fieldSelector = std::string(fieldSelector);
  auto page = (*s)->list((*s)->namespaced() ? ns : "", lo, deadline());
  if (!page) return fail(std::move(page).error());
  ObjectList out;
  out.resourceVersion = page->resourceVersion;
  out.items.reserve(page->items.size());
  for (const auto& item : page->items) {
    auto o = registry::parseObject(*item->json);
    if (!o) return fail(std::move(o).error());
    out.items.push_back(std::move(*o));
  }
  return out;
}

Result<json::object> LocalClient::create(const GroupResource& gr, std::string_view ns, json::object obj) {
  auto s = store(gr);
  if (!s) return fail(std::move(s).error());
  auto r = (*s)->create((*s)->namespaced() ? ns : "", std::move(obj), writeOptions());
  if (!r) return fail(std::move(r).error());
  return std::move(r->object);
}

std::vector<ResourceSpec> LocalClient::resources() {
  std::vector<ResourceSpec> out;
  if (const StoreMap* stores = stores_.load(std::memory_order_acquire))
    for (const auto& [key, s] : *stores) out.push_back(s->spec());
  return out;
}

Result<json::object> LocalClient::update(const GroupResource& gr, std::string_view ns, json::object obj,
                                         std::string_view subresource) {
  auto s = store(gr);
  if (!s) return fail(std::move(s).error());
  std::string name(nameOf(obj));
  const std::string_view scope = (*s)->namespaced() ? ns : "";
  if (subresource == "finalize" && !(*s)->hasFinalize()) return fail(ApiError::notFound(gr, name));
  if (subresource == "status" && !(*s)->hasStatus()) return fail(ApiError::notFound(gr, name));
  auto r = subresource == "finalize" ? (*s)->finalize(scope, name, std::move(obj), writeOptions())
                                     : (*s)->update(scope, name, std::move(obj), subresource == "status", writeOptions());
  if (!r) return fail(std::move(r).error());
  return std::move(r->object);
}

Result<void> LocalClient::remove(const GroupResource& gr, std::string_view ns, std::string_view name) {
  auto s = store(gr);
  if (!s) return fail(std::move(s).error());
  registry::DeleteOptions d;
  d.write = writeOptions();
  auto r = (*s)->remove((*s)->namespaced() ? ns : "", name, d);
  if (!r) return fail(std::move(r).error());
  return {};
}

Result<void> LocalClient::removeCollection(const GroupResource& gr, std::string_view ns) {
  auto s = store(gr);
  if (!s) return fail(std::move(s).error());
  registry::DeleteOptions d;
  d.write = writeOptions();
  auto r = (*s)->removeCollection((*s)->namespaced() ? ns : "", {}, d, deadline());
  if (!r) return fail(std::move(r).error());
  return {};
}

namespace {

/// StoreWatch adapts a watch-cache watcher to the pull API controllers use.
class StoreWatch final : public ObjectWatch {
 public:
  StoreWatch(std::shared_ptr<registry::Store> store, storage::CacheWatcherPtr watcher)
      : store_(std::move(store)), watcher_(std::move(watcher)) {
    watcher_->setWake([state = state_] {
      std::lock_guard lock(state->mu);
      state->signalled = true;
      state->cv.notify_all();
    });
  }
  ~StoreWatch() override { store_->unwatch(watcher_); }

  bool next(std::vector<ObjectEvent>& out, std::chrono::milliseconds timeout) override {
    {
      std::unique_lock lock(state_->mu);
      state_->cv.wait_for(lock, timeout, [&] { return state_->signalled; });
      state_->signalled = false;
    }
    std::vector<storage::WatchEvent> events;
    const bool more = watcher_->take(events);
    for (const auto& ev : events) {
      if (!ev.object) continue;  // bookmarks
      auto obj = registry::parseObject(*ev.object->json);
      if (!obj) continue;
      ObjectEvent oe;
      oe.type = ev.type == storage::WatchEventType::Added      ? ObjectEvent::Type::Added
                : ev.type == storage::WatchEventType::Modified ? ObjectEvent::Type::Modified
                                                               : ObjectEvent::Type::Deleted;
      oe.object = std::move(*obj);
      out.push_back(std::move(oe));
    }
    return more;
  }

 private:
  struct State {
    std::mutex mu;
    std::condition_variable cv;
    bool signalled = false;
  };
  std::shared_ptr<registry::Store> store_;
  storage::CacheWatcherPtr watcher_;
  std::shared_ptr<State> state_ = std::make_shared<State>();
};

}  // namespace

Result<std::unique_ptr<ObjectWatch>> LocalClient::watch(const GroupResource& gr, std::string_view ns) {
  auto s = store(gr);
  if (!s) return fail(std::move(s).error());
  auto w = (*s)->watch((*s)->namespaced() ? ns : "", {}, deadline());
  if (!w) return fail(std::move(w).error());
  return std::unique_ptr<ObjectWatch>(std::make_unique<StoreWatch>(*s->store, *w));
}

}  // namespace apiserver::server
