#pragma once

#include "storage/encryption/encryption_config.h"
#include "storage/encryption/transformers.h"
#include "storage/interface.h"

#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

/// @file encrypted_storage.h
/// EncryptedStorage: a storage::Interface decorator that encrypts values on their way to the
/// backend and decrypts them on their way back (gets, lists, deletes and watch events), for the
/// keys of the resources an EncryptionConfiguration lists. It works on every backend because it
/// only sees keys and bytes; revisions, conflicts and watches pass through unchanged.

namespace apiserver::storage::encryption {

/// PrefixRule binds the storage key prefix of one resource to its transformer (null: stored as
/// it is). Rules are matched by the longest prefix, so that "/registry/apps/" (a core resource
/// "apps") does not capture "/registry/apps/deployments/".
struct PrefixRule {
  std::string keyPrefix;  ///< "/registry/secrets/"
  std::shared_ptr<const Transformer> transformer;
};

/// ServedResource names one served resource for rulesFor.
struct ServedResource {
  std::string group;
  std::string plural;
};

/// rulesFor maps every served resource to its key prefix (as the registry Store builds keys:
/// "<storagePrefix>/[<group>/]<plural>/") and the transformer the configuration gives it.
/// `encrypted` receives "<plural>[.<group>]" of each encrypted resource (for the log).
std::vector<PrefixRule> rulesFor(const EncryptionConfig& config, const std::vector<ServedResource>& resources,
                                 const std::string& storagePrefix, std::vector<std::string>* encrypted = nullptr);

/// EncryptedStorage is thread-safe (its rules are immutable).
class EncryptedStorage final : public Interface {
 public:
  EncryptedStorage(InterfacePtr inner, std::vector<PrefixRule> rules);

  Result<KeyValue> get(std::string_view key) override;
  Result<ListResult> list(std::string_view prefix, const ListOptions& opts) override;
  Result<std::int64_t> create(std::string_view key, std::string value) override;
  void createAsync(std::string_view key, std::string value, CreateCallback done) override;
  Result<std::int64_t> update(std::string_view key, std::string value, std::int64_t expectedModRevision) override;
  Result<DeleteResult> remove(std::string_view key, std::int64_t expectedModRevision) override;
  Result<std::unique_ptr<Watch>> watch(std::string_view prefix, std::int64_t afterRevision, WatchCallback callback) override;
  Result<std::int64_t> currentRevision() override { return inner_->currentRevision(); }
  void requestProgress() override { inner_->requestProgress(); }
  Result<void> compact(std::int64_t revision) override { return inner_->compact(revision); }
  bool writesWait() const override { return inner_->writesWait(); }
  bool createWaits() const override { return inner_->createWaits(); }

  /// inner is the decorated backend.
  const InterfacePtr& inner() const { return inner_; }

 private:
  /// Rules are the prefix rules, longest prefix first; shared with running watches.
  struct Rules {
    std::vector<PrefixRule> rules;
    const Transformer* transformerFor(std::string_view key) const;
    Result<std::string> encrypt(std::string_view key, std::string value) const;
    /// decrypt turns a stored value back into plain bytes; `stale`, when given, learns whether
    /// the value was written by another key than the one that writes now.
    Result<SharedBytes> decrypt(std::string_view key, const SharedBytes& value, bool* stale = nullptr) const;
  };

  InterfacePtr inner_;
  std::shared_ptr<const Rules> rules_;
};

}  // namespace apiserver::storage::encryption
