#include "storage/encryption/encrypted_storage.h"

#include <algorithm>
#include <atomic>

namespace apiserver::storage::encryption {

namespace {

// reasonOf is the bare reason of a transformer's error (without "Internal error occurred: ").
std::string reasonOf(const ApiError& e) {
  if (e.details && !e.details->causes.empty()) return e.details->causes.front().message;
  return e.message;
}

Error transformError(std::string_view key, const ApiError& e, const char* direction) {
  Error err = Error::internal(std::string(direction) + " " + std::string(key) + ": " + reasonOf(e));
  err.key = std::string(key);
  return err;
}

}  // namespace

std::vector<PrefixRule> rulesFor(const EncryptionConfig& config, const std::vector<ServedResource>& resources,
                                 const std::string& storagePrefix, std::vector<std::string>* encrypted) {
  std::vector<PrefixRule> out;
  // One transformer per rule, shared by every resource the rule covers.
  std::vector<std::pair<const ResourceRule*, std::shared_ptr<const Transformer>>> built;
  for (const auto& r : resources) {
    std::string prefix = storagePrefix + "/" + (r.group.empty() ? "" : r.group + "/") + r.plural + "/";
    const ResourceRule* rule = config.ruleFor(r.group, r.plural);
    std::shared_ptr<const Transformer> t;
    if (rule != nullptr) {
      auto it = std::find_if(built.begin(), built.end(), [&](const auto& b) { return b.first == rule; });
      if (it == built.end()) {
        built.emplace_back(rule, transformerFor(*rule));
        it = std::prev(built.end());
      }
      t = it->second;
      if (encrypted != nullptr) encrypted->push_back(r.plural + (r.group.empty() ? "" : "." + r.group));
    }
    out.push_back({std::move(prefix), std::move(t)});
  }
  return out;
}

EncryptedStorage::EncryptedStorage(InterfacePtr inner, std::vector<PrefixRule> rules) : inner_(std::move(inner)) {
  std::stable_sort(rules.begin(), rules.end(),
                   [](const PrefixRule& a, const PrefixRule& b) { return a.keyPrefix.size() > b.keyPrefix.size(); });
  rules_ = std::make_shared<const Rules>(Rules{std::move(rules)});
}

const Transformer* EncryptedStorage::Rules::transformerFor(std::string_view key) const {
  for (const auto& r : rules)
    if (key.substr(0, r.keyPrefix.size()) == r.keyPrefix) return r.transformer.get();
  return nullptr;
}

Result<std::string> EncryptedStorage::Rules::encrypt(std::string_view key, std::string value) const {
  const Transformer* t = transformerFor(key);
  if (t == nullptr) return value;
  auto out = t->toStorage(value, key);
  if (!out) return fail(transformError(key, out.error(), "encrypting"));
  return std::move(*out);
}

Result<SharedBytes> EncryptedStorage::Rules::decrypt(std::string_view key, const SharedBytes& value,
                                                     bool* stale) const {
  const Transformer* t = transformerFor(key);
  if (t == nullptr || !value) return value;
  if (stale != nullptr) *stale = t->stale(*value);
  auto out = t->fromStorage(*value, key);
  if (!out) return fail(transformError(key, out.error(), "decrypting"));
  return makeBytes(std::move(*out));
}

Result<KeyValue> EncryptedStorage::get(std::string_view key) {
  auto kv = inner_->get(key);
  if (!kv) return kv;
  auto plain = rules_->decrypt(kv->key, kv->value, &kv->stale);
  if (!plain) return fail(std::move(plain).error());
  kv->value = std::move(*plain);
  return kv;
}

Result<ListResult> EncryptedStorage::list(std::string_view prefix, const ListOptions& opts) {
  auto r = inner_->list(prefix, opts);
  if (!r) return r;
  for (auto& kv : r->items) {
    auto plain = rules_->decrypt(kv.key, kv.value);
    if (!plain) return fail(std::move(plain).error());
    kv.value = std::move(*plain);
  }
  return r;
}

Result<std::int64_t> EncryptedStorage::create(std::string_view key, std::string value) {
  auto stored = rules_->encrypt(key, std::move(value));
  if (!stored) return fail(std::move(stored).error());
  return inner_->create(key, std::move(*stored));
}

void EncryptedStorage::createAsync(std::string_view key, std::string value, CreateCallback done) {
  auto stored = rules_->encrypt(key, std::move(value));
  if (!stored)
    return done(fail(std::move(stored).error()));
  inner_->createAsync(key, std::move(*stored), std::move(done));
}

Result<std::int64_t> EncryptedStorage::update(std::string_view key, std::string value,
                                              std::int64_t expectedModRevision) {
  auto stored = rules_->encrypt(key, std::move(value));
  if (!stored) return fail(std::move(stored).error());
  return inner_->update(key, std::move(*stored), expectedModRevision);
}

Result<DeleteResult> EncryptedStorage::remove(std::string_view key, std::int64_t expectedModRevision) {
  auto r = inner_->remove(key, expectedModRevision);
  if (!r) return r;
  auto plain = rules_->decrypt(r->previous.key.empty() ? key : std::string_view(r->previous.key), r->previous.value);
  if (!plain) return fail(std::move(plain).error());
  r->previous.value = std::move(*plain);
  return r;
}

Result<std::unique_ptr<Watch>> EncryptedStorage::watch(std::string_view prefix, std::int64_t afterRevision,
                                                       WatchCallback callback) {
  // Deliveries of one watch never overlap, so the flag needs no more than being atomic for
  // stop()'s sake. After a value that cannot be decrypted the watch ends with that error, as
  // kube's watcher does; later deliveries of the backend are dropped.
  auto failed = std::make_shared<std::atomic<bool>>(false);
  WatchCallback wrapped = [rules = rules_, cb = std::move(callback), failed](WatchNotification&& n) {
    if (failed->load()) return;
    if (!n.error) {
      for (std::size_t i = 0; i < n.events.size(); ++i) {
        Event& ev = n.events[i];
        for (SharedBytes* v : {&ev.value, &ev.previous}) {
          auto plain = rules->decrypt(ev.key, *v);
          if (!plain) {
            failed->store(true);
            n.events.resize(i);  // the events before it still go out, then the error
            n.progress = 0;
            if (!n.events.empty()) cb(std::move(n));
            WatchNotification err;
            err.error = std::move(plain).error();
            cb(std::move(err));
            return;
          }
          *v = std::move(*plain);
        }
      }
    }
    cb(std::move(n));
  };
  return inner_->watch(prefix, afterRevision, std::move(wrapped));
}

}  // namespace apiserver::storage::encryption
