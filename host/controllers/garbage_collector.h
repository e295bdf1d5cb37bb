#pragma once

#include "controllers/ownership.h"
#include "registry/store.h"

#include <apiserver/registry.h>

#include <memory>
#include <set>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

/// @file garbage_collector.h
/// GarbageCollector: kube-controller-manager's garbage collector, in process. It follows every
/// resource through the watch caches, keeps the owner graph (metadata.ownerReferences), and
///   - deletes dependents once all their owners are gone (background propagation), and drops
///     references to owners that are gone while others remain;
///   - for an owner deleted with propagationPolicy=Foreground (finalizer "foregroundDeletion"),
///     deletes its dependents and removes the finalizer once no dependent with
///     blockOwnerDeletion is left;
///   - for an owner deleted with propagationPolicy=Orphan (finalizer "orphan"), removes the
///     owner reference from its dependents and then the finalizer.

namespace apiserver::controllers {

class GarbageCollector {
 public:
  GarbageCollector(std::vector<std::shared_ptr<registry::Store>> stores, Logger& log);
  ~GarbageCollector();
  GarbageCollector(const GarbageCollector&) = delete;
  GarbageCollector& operator=(const GarbageCollector&) = delete;

  /// start begins following the resources (their watch caches must have started).
  Result<void> start();
  /// stop ends the collector's thread.
  void stop();

 private:
  struct Node {
    std::size_t store = 0;
    std::string namespace_;
    std::string name;
    std::vector<OwnerReference> owners;
    bool deleting = false;
    std::set<std::string> finalizers;
  };
  struct Watch;

  void run(std::stop_token stop);
  void observe(std::size_t store, const storage::WatchEvent& ev);
  void process(const std::string& uid, std::set<std::string>& retry);
  bool ownerExists(const Node& dependent, const OwnerReference& ref) const;
  bool removeFinalizer(const Node& n, const std::string& uid, std::string_view finalizer);
  bool dropOwnerRefs(const Node& n, const std::string& uid, const std::set<std::string>& ownerUids);
  bool deleteObject(const Node& n, const std::string& uid);

  std::vector<std::shared_ptr<registry::Store>> stores_;
  Logger& log_;
  std::vector<std::unique_ptr<Watch>> watches_;
  // Every object of every resource is a node: hashed, as ordered maps of 36-character uids cost
  // a string comparison per level on every event.
  std::unordered_map<std::string, Node> nodes_;                        // by uid
  std::unordered_map<std::string, std::set<std::string>> dependents_;  // owner uid -> dependent uids
  std::set<std::string> dirty_;                                    // uids to look at
  std::jthread thread_;
};

}  // namespace apiserver::controllers
