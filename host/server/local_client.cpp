#include "server/local_client.h"

#include <chrono>

namespace apiserver::server {

namespace {
std::chrono::steady_clock::time_point deadline() { return std::chrono::steady_clock::now() + std::chrono::seconds(30); }
}  // namespace

Result<std::shared_ptr<registry::Store>> LocalClient::store(const GroupResource& gr) const {
  auto stores = stores_.load();
  if (!stores) return fail(ApiError::serviceUnavailable("the server has not started yet"));
  auto it = stores->find(gr.group + "/" + gr.resource);
  if (it == stores->end())
    return fail(ApiError{404, "NotFound", "the server could not find the requested resource (" + gr.str() + ")", {}});
  return it->second;
}

Result<json::object> LocalClient::get(const GroupResource& gr, std::string_view ns, std::string_view name) {
  auto s = store(gr);
  if (!s) return fail(std::move(s).error());
  auto obj = (*s)->get((*s)->namespaced() ? ns : "", name, {}, deadline());
  if (!obj) return fail(std::move(obj).error());
  return registry::parseObject(*(*obj)->json);
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

Result<json::object> LocalClient::update(const GroupResource& gr, std::string_view ns, json::object obj) {
  auto s = store(gr);
  if (!s) return fail(std::move(s).error());
  std::string name(nameOf(obj));
  auto r = (*s)->update((*s)->namespaced() ? ns : "", name, std::move(obj), false, writeOptions());
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

}  // namespace apiserver::server
