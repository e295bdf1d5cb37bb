#pragma once

#include "registry/store.h"

#include <apiserver/registry.h>

#include <atomic>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <tuple>
#include <vector>

/// @file local_client.h
/// LocalClient: the in-process Client offered to plugins (kube's loopback client, without the
/// HTTP round trip). It goes through each resource's Store — strategy, admission, storage — as
/// the system user, and answers 503 until the server has started.

namespace apiserver::server {

class LocalClient final : public Client {
 public:
  /// GroupResourceLess orders the stores by group, then resource, so that a lookup compares the
  /// GroupResource it is given, with no key to build.
  struct GroupResourceLess {
    bool operator()(const GroupResource& a, const GroupResource& b) const {
      return std::tie(a.group, a.resource) < std::tie(b.group, b.resource);
    }
  };
  using StoreMap = std::map<GroupResource, std::shared_ptr<registry::Store>, GroupResourceLess>;

  /// attach makes the client usable (called once the stores have started).
  void attach(std::shared_ptr<const StoreMap> stores);
  /// detach makes it answer 503 again; the stores stay alive for the calls under way (the client
  /// keeps every map it was given).
  void detach() { stores_.store(nullptr, std::memory_order_release); }

  Result<json::object> get(const GroupResource& gr, std::string_view ns, std::string_view name) override;
  Result<std::shared_ptr<const json::object>> getCached(const GroupResource& gr, std::string_view ns,
                                                        std::string_view name) override;
  Result<ObjectList> list(const GroupResource& gr, std::string_view ns, std::string_view labelSelector,
                          std::string_view fieldSelector) override;
  Result<json::object> create(const GroupResource& gr, std::string_view ns, json::object obj) override;
  std::vector<ResourceSpec> resources() override;
  Result<json::object> update(const GroupResource& gr, std::string_view ns, json::object obj,
                              std::string_view subresource) override;
  Result<void> remove(const GroupResource& gr, std::string_view ns, std::string_view name) override;
  Result<void> removeCollection(const GroupResource& gr, std::string_view ns) override;
  Result<std::unique_ptr<ObjectWatch>> watch(const GroupResource& gr, std::string_view ns) override;

 private:
  /// StoreRef is a store of the attached map, which lives as long as this client: looking one up
  /// touches no reference count (a line every thread would write).
  struct StoreRef {
    const std::shared_ptr<registry::Store>* store;
    registry::Store* operator->() const { return store->get(); }
  };
  Result<StoreRef> store(const GroupResource& gr) const;
  Result<storage::CachedObjectPtr> read(const GroupResource& gr, std::string_view ns, std::string_view name,
                                        const registry::ReadOptions& opts);
  registry::WriteOptions writeOptions() const { return registry::WriteOptions{false, "apiserver-host", &user_}; }

  std::atomic<const StoreMap*> stores_{nullptr};
  std::mutex attachMu_;
  std::vector<std::shared_ptr<const StoreMap>> attached_;  // every map given, kept for stores_
  UserInfo user_{"system:apiserver", "", {"system:masters"}, {}};
};

}  // namespace apiserver::server
