#pragma once

#include "storage/interface.h"

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

/// @file etcd3_storage.h
/// Etcd3Storage: the backend for more than one machine, over a real etcd cluster (etcd's v3 gRPC
/// API). This header stays free of gRPC and protobuf: everything of theirs lives in the .cpp.

namespace apiserver::storage {

/// Etcd3Options configure an Etcd3Storage.
struct Etcd3Options {
  /// Client URLs of the cluster's members, "http://host:port" or "https://host:port". Calls go
  /// to one member at a time and move to the next when it cannot be reached.
  std::vector<std::string> servers;
  /// TLS (for https:// servers): the CA bundle that signed the members' certificates, and the
  /// client certificate and key presented to them. Empty: no client certificate / system roots.
  std::string caFile;
  std::string certFile;
  std::string keyFile;
  /// Deadline of every unary call (a lost member gives Timeout or Unreachable within it).
  std::chrono::milliseconds requestTimeout{5000};
  /// How often history is compacted, to the revision seen one interval before (kube's
  /// compactor, coordinated between API servers through etcd's `compact_rev_key`); 0: never.
  std::chrono::milliseconds compactionInterval{5 * 60 * 1000};
  /// How many creates queued while a create Txn is in flight go to etcd together, in one Txn that
  /// compares and puts each key: they share its revision (group commit). 1: each create a Txn of
  /// its own. At most 128 (etcd's default --max-txn-ops).
  int createsPerTxn = 64;
  /// Keys under these prefixes (events) get a lease so that etcd deletes them after eventTTL.
  std::vector<std::string> leasedPrefixes;
  /// How long leased keys live; 0: no leases.
  std::chrono::milliseconds eventTTL{60 * 60 * 1000};
};

/// Etcd3Storage implements Interface over etcd v3. Writes are transactions that compare the
/// key's mod_revision (create: create_revision == 0); lists are Range reads at a revision with
/// limit; all watches share one bidirectional Watch stream (with progress notifications), which
/// is re-established from each watch's last seen revision when it breaks. Thread-safe.
class Etcd3Storage final : public Interface {
 public:
  /// open connects to the cluster and checks that one member answers. Fails with Unreachable if
  /// none does, Internal for bad options (no servers, unreadable TLS files).
  static Result<std::shared_ptr<Etcd3Storage>> open(Etcd3Options options);
  ~Etcd3Storage() override;
  Etcd3Storage(const Etcd3Storage&) = delete;
  Etcd3Storage& operator=(const Etcd3Storage&) = delete;

  Result<KeyValue> get(std::string_view key) override;
  Result<ListResult> list(std::string_view prefix, const ListOptions& opts) override;
  Result<std::int64_t> create(std::string_view key, std::string value) override;
  /// createAsync answers on the thread that receives etcd's answers (a gRPC completion queue).
  void createAsync(std::string_view key, std::string value, CreateCallback done) override;
  bool createWaits() const override { return false; }
  Result<std::int64_t> update(std::string_view key, std::string value,
                              std::int64_t expectedModRevision) override;
  Result<DeleteResult> remove(std::string_view key, std::int64_t expectedModRevision) override;
  Result<std::unique_ptr<Watch>> watch(std::string_view prefix, std::int64_t afterRevision,
                                       WatchCallback callback) override;
  Result<std::int64_t> currentRevision() override;
  /// requestProgress asks etcd, on the watch stream, for the store's revision and passes it to
  /// every watch as a progress notification (once it is sure no earlier event is still queued).
  void requestProgress() override;
  Result<void> compact(std::int64_t revision) override;

  /// leaseOf returns the lease attached to key (0: none), for tests and operators.
  Result<std::int64_t> leaseOf(std::string_view key);
  /// endpoint is the client URL calls currently go to.
  std::string endpoint() const;

  struct Core;  // the implementation, shared with watch handles and background threads

 private:
  explicit Etcd3Storage(std::shared_ptr<Core> core);
  std::shared_ptr<Core> core_;
};

}  // namespace apiserver::storage
