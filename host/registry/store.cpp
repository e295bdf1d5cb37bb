#include "registry/store.h"

#include "apply/field_manager.h"
#include "codec/json_writer.h"
#include "registry/continue_token.h"
#include "selection/list_selectors.h"
#include "selection/set.h"
#include "storage/calls_in_flight.h"
#include "tls/random.h"

#include <apiserver/object.h>
#include <apiserver/validation.h>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <algorithm>
#include <atomic>
#include <charconv>
#include <functional>
#include <mutex>
#include <optional>
#include <random>
#include <thread>
#include <unordered_map>

namespace apiserver::registry {

namespace {

constexpr int kMaxConflictRetries = 100;

// kube's utilrand.String: consonants and digits that cannot spell words.
std::string randomSuffix(std::size_t n) {
  static constexpr std::string_view kAlphabet = "bcdfghjklmnpqrstvwxz2456789";
  thread_local std::mt19937_64 rng{std::random_device{}()};
  std::uniform_int_distribution<std::size_t> pick(0, kAlphabet.size() - 1);
  std::string s;
  for (std::size_t i = 0; i < n; ++i) s.push_back(kAlphabet[pick(rng)]);
  return s;
}

/// SystemClock is the wall clock, for stores not given one.
class SystemClock final : public WallClock {
 public:
  TimePoint now() const override { return Clock::now(); }
};

// bounded caps how long a read waits for the watch cache when the request has no deadline.
std::chrono::steady_clock::time_point bounded(std::chrono::steady_clock::time_point deadline) {
  return std::min(deadline, std::chrono::steady_clock::now() + std::chrono::seconds(60));
}

void setResourceVersion(json::object& obj, std::int64_t rev) { metadata(obj)["resourceVersion"] = std::to_string(rev); }

// contentOf is everything but metadata and status: what `generation` tracks.
bool sameContent(const json::object& a, const json::object& b) {
  auto strip = [](const json::object& o) {
    json::object c = o;
    c.stable_erase("metadata");
    c.stable_erase("status");
    return c;
  };
  return strip(a) == strip(b);
}

bool sameIgnoringResourceVersion(json::object a, json::object b) {
  metadata(a).stable_erase("resourceVersion");
  metadata(b).stable_erase("resourceVersion");
  return a == b;
}

std::vector<std::string> finalizersOf(const json::object& obj) {
  std::vector<std::string> out;
  if (const auto* f = arrayField(obj, "metadata", "finalizers"))
    for (const auto& v : *f)
      if (v.is_string()) out.emplace_back(v.get_string());
  return out;
}

void setFinalizers(json::object& obj, const std::vector<std::string>& finalizers) {
  if (finalizers.empty()) {
    metadata(obj).stable_erase("finalizers");
    return;
  }
  json::array a;
  for (const auto& f : finalizers) a.emplace_back(f);
  metadata(obj)["finalizers"] = std::move(a);
}

bool beingDeleted(const json::object& obj) { return field(obj, "metadata", "deletionTimestamp") != nullptr; }

constexpr std::string_view kOrphanFinalizer = "orphan";
constexpr std::string_view kForegroundFinalizer = "foregroundDeletion";

std::vector<std::string> nameRuleErrors(NameRule rule, std::string_view name) {
  switch (rule) {
    case NameRule::Dns1123Label: return validation::isDns1123Label(name);
    case NameRule::Dns1035Label: return validation::isDns1035Label(name);
    case NameRule::PathSegment: return validation::isValidPathSegmentName(name);
    case NameRule::Dns1123Subdomain: break;
  }
  return validation::isDns1123Subdomain(name);
}

}  // namespace

// ---------------------------------------------------------------- AdmissionChain

Result<void> AdmissionChain::mutate(AdmissionAttributes& attrs) const {
  for (const auto& s : steps_)
    if (auto r = s->admit(attrs); !r) return r;
  return {};
}

Result<void> AdmissionChain::validate(const AdmissionAttributes& attrs) const {
  for (const auto& s : steps_)
    if (auto r = s->validate(attrs); !r) return r;
  return {};
}

bool AdmissionChain::mayWait() const {
  return std::any_of(steps_.begin(), steps_.end(), [](const auto& s) { return s->mayWait(); });
}

// ---------------------------------------------------------------- encoding

std::string encodeForStorage(json::object& obj) {
  if (auto* m = obj.if_contains("metadata"); m != nullptr && m->is_object()) m->get_object().stable_erase("resourceVersion");
  return codec::toJson(obj);
}

Result<json::object> parseObject(std::string_view bytes) {
  boost::system::error_code ec;
  json::value v = json::parse(bytes, ec);
  if (ec) return fail(ApiError::internal("stored object is not valid JSON: " + ec.message()));
  if (!v.is_object()) return fail(ApiError::internal("stored value is not a JSON object"));
  return std::move(v.get_object());
}

Result<std::shared_ptr<const json::object>> parsedObject(const storage::CachedObject& cached) {
  if (auto p = cached.parsed.load(std::memory_order_acquire)) return p;
  auto obj = parseObject(*cached.json);
  if (!obj) return fail(std::move(obj).error());
  std::shared_ptr<const json::object> p = std::make_shared<const json::object>(std::move(*obj));
  cached.parsed.store(p, std::memory_order_release);  // a racing reader's equal parse may win; either serves
  return p;
}

// ---------------------------------------------------------------- Store

/// PrimedWrites are values this store's creates wrote, decoded by the writer: the cacher's decode
/// of the same bytes (at whatever revision) takes the entry instead of parsing them back. The
/// decode runs where the backend delivers events, under the memory backend's dispatch lock or on
/// a watch thread, so that work leaves the one place all writes pass through. Bounded: an entry
/// the decode never takes (its write failed, a relist) is dropped later; a miss only costs the
/// parse.
struct Store::PrimedWrites {
  static constexpr std::size_t kMax = 1024;
  /// Object is what the cache will hold for a primed write: described (labels and fields) when
  /// the write is encoded, finished (key, revision, JSON) by the decode, which then sets
  /// `decoded` (release). The writer keeps it too: once decoded, its answer is the cached JSON.
  struct Object {
    storage::CachedObject cached;
    std::atomic<bool> decoded{false};
  };
  /// Entry is one create's served JSON with the placeholder's member in it: the bytes written are
  /// that JSON without the member (or, to a backend that stamps revisions, the JSON itself), and
  /// the JSON served at revision R has R for the placeholder.
  struct Entry {
    std::string served;
    std::size_t at = 0;  ///< where the member starts
    std::shared_ptr<Object> object;
    /// stamped: the backend stamps revisions, and was given `served` itself to write with the
    /// revision's digits for the placeholder; the cache keeps the stamped value as it is.
    bool stamped = false;
  };
  /// placeholder stands for the revision while the served JSON is rendered; random per store, so
  /// that no object holds it by chance.
  const std::string placeholder = "rv-" + tls::randomUuid();
  /// member is the placeholder as the last member of metadata, as the served JSON holds it.
  const std::string member = ",\"resourceVersion\":\"" + placeholder + "\"";
  /// memberAt is where `served` holds the member, or npos. A search that skips by the member's
  /// length, with its table made once: a plain find stops at every comma of the JSON before it.
  std::size_t memberAt(std::string_view served) const {
    const auto it = std::search(served.begin(), served.end(), findMember);
    return it == served.end() ? std::string::npos : static_cast<std::size_t>(it - served.begin());
  }
  const std::boyer_moore_horspool_searcher<std::string::const_iterator> findMember{member.begin(),
                                                                                   member.end()};
  std::mutex mu;
  std::unordered_map<std::string, Entry> byKey;
  /// servedSize is the size of the last served JSON rendered: the next one's first guess (objects
  /// of one resource written in a row are mostly alike), so that it is rendered in one buffer.
  std::atomic<std::size_t> servedSize{1024};
  static constexpr std::size_t kServedSlack = 64;

  /// digitsAt is where the placeholder starts in a served JSON whose member starts at `at`: after
  /// the opening quote.
  std::size_t digitsAt(std::size_t at) const { return at + member.size() - 1 - placeholder.size(); }
  /// wrote tells whether `value` is what e's write wrote at `revision`: its served JSON without
  /// the member, or when stamped, with the revision's digits for the placeholder.
  bool wrote(const Entry& e, std::string_view value, std::int64_t revision) const {
    if (!e.stamped)
      return isReplaced(value, e.served, e.at, member.size(), {});
    char buf[24];
    const std::string_view digits(
        buf, static_cast<std::size_t>(std::to_chars(buf, buf + sizeof buf, revision).ptr - buf));
    return isReplaced(value, e.served, digitsAt(e.at), placeholder.size(), digits);
  }
  /// isReplaced tells whether `value` is `s` with its `n` bytes at `pos` replaced by `with`.
  static bool isReplaced(std::string_view value, std::string_view s, std::size_t pos, std::size_t n,
                         std::string_view with) {
    return value.size() == s.size() - n + with.size() && value.substr(0, pos) == s.substr(0, pos) &&
           value.substr(pos, with.size()) == with &&
           value.substr(pos + with.size()) == s.substr(pos + n);
  }
  /// servedAt is `served` (an entry's served JSON, its member at `at`) with `revision` for the
  /// placeholder, made in place: the revision's digits are never longer than the placeholder, so
  /// the tail only moves left.
  std::string servedAt(std::string served, std::size_t at, std::int64_t revision) const {
    served.replace(digitsAt(at), placeholder.size(), std::to_string(revision));
    return served;
  }

  std::optional<Entry> take(std::string_view key, const std::string& value, std::int64_t revision) {
    std::lock_guard lock(mu);
    auto it = byKey.find(std::string(key));
    if (it == byKey.end() || !wrote(it->second, value, revision))
      return std::nullopt;
    Entry e = std::move(it->second);
    byKey.erase(it);
    return e;
  }
  void put(const std::string& key, Entry e) {
    std::lock_guard lock(mu);
    if (byKey.size() >= kMax) byKey.erase(byKey.begin());
    byKey.insert_or_assign(key, std::move(e));
  }
};

/// PrimedAnswer is how a create's answer is rendered without serializing the object again.
struct Store::PrimedAnswer {
  /// A backend whose writes wait delivers the write to the cache after it answers: a copy of
  /// the primed JSON, with the placeholder's member at `member`, gives the answer.
  std::string served;
  std::size_t member = 0;
  /// Any other backend decodes the write during it, on its own thread most of the time: the
  /// answer is then the cached JSON, taken from here without asking the cache.
  std::shared_ptr<const PrimedWrites::Object> object;
  /// A backend that stamps revisions is given the served JSON itself to write, its placeholder
  /// here, so that the value it keeps and the cached JSON are one buffer; the answer is that
  /// buffer too (`stored`, once written), whether or not the cache has it yet.
  std::optional<storage::RevisionStamp> stamp;
  SharedBytes stored;
};

/// PreparedCreate is a create up to its write (prepareCreate).
struct Store::PreparedCreate {
  std::shared_ptr<const void> keepAlive;  ///< WriteOptions::keepAlive: destroyed after `object`
  json::object object;
  std::string name;
  std::string key;      ///< empty for a dry run: nothing is written
  std::string value;    ///< what is written under key
  PrimedAnswer answer;  ///< empty when the write was not primed
};

Store::Store(ResourceSpec spec, std::shared_ptr<const Strategy> strategy,
             storage::InterfacePtr backend, Options options)
    : spec_(std::move(spec)),
      strategy_(std::move(strategy)),
      backend_(std::move(backend)),
      opts_(std::move(options)),
      schema_(schema::SchemaSet::fromResource(spec_)),
      primed_(std::make_unique<PrimedWrites>()),
      asyncCreates_(std::make_unique<storage::CallsInFlight>()) {
  if (!opts_.clock) opts_.clock = std::make_shared<SystemClock>();
  hasStatus_ = std::find(spec_.subresources.begin(), spec_.subresources.end(), "status") != spec_.subresources.end();
  hasFinalize_ =
      std::find(spec_.subresources.begin(), spec_.subresources.end(), "finalize") != spec_.subresources.end();
  fieldManager_ = std::make_unique<const apply::FieldManager>(
      schema_.root(), apply::FieldManager::Options{spec_.group, spec_.version, spec_.kind, spec_.plural, hasStatus_});
  // kube words refusals differently for kinds with their own field-label conversion (those with
  // selectable fields) and for the rest; its cluster-scoped kinds with a conversion refuse
  // metadata.namespace.
  fieldLabels_.fields = strategy_->selectableFieldNames();
  fieldNames_ = selection::fieldNames(fieldLabels_.fields);
  if (fieldLabels_.fields.empty()) {
    fieldLabels_ = selection::FieldLabelConversion::defaults();
  } else {
    fieldLabels_.metadataNamespace = namespaced();
  }
  storage::Cacher::Options co;
  co.prefix = prefix("");
  co.historySize = opts_.watchCacheSize;
  co.decode = [this](std::string_view key, const SharedBytes& value, std::int64_t rev) {
    return decode(key, value, rev);
  };
  co.logError = opts_.logError;
  cacher_ = std::make_unique<storage::Cacher>(backend_, std::move(co));
}

Store::~Store() { stop(); }

Result<void> Store::start() {
  auto r = cacher_->start();
  if (!r) return fail(translate(r.error(), ""));
  return {};
}

void Store::stop() {
  asyncCreates_->wait();
  cacher_->stop();
}

std::string Store::prefix(std::string_view ns) const {
  std::string p = opts_.keyPrefix + "/";
  if (!spec_.group.empty()) p += spec_.group + "/";
  p += spec_.plural + "/";
  if (!ns.empty()) {
    p += ns;
    p += '/';
  }
  return p;
}

std::string Store::key(std::string_view ns, std::string_view name) const { return prefix(ns) + std::string(name); }

void Store::describe(const json::object& obj, storage::CachedObject& out) const {
  out.labels = selection::labelsOfObject(obj);
  SelectableFields selectable;
  selectable.reserve(16);  // a kind's few fields, without regrowing
  strategy_->selectableFields(obj, selectable);
  out.fields = selection::objectFields(fieldNames_, nameOf(obj), namespaceOf(obj), std::move(selectable));
  const json::object* m = objectField(obj, "metadata");
  out.ownership = m != nullptr && (member(*m, "ownerReferences") != nullptr ||
                                   member(*m, "finalizers") != nullptr ||
                                   member(*m, "deletionTimestamp") != nullptr);
}

std::string Store::encodePrimed(const std::string& key, json::object& obj,
                                PrimedAnswer& answer) const {
  // One serialization gives both forms: the JSON the decode would serve, with the revision as a
  // placeholder member last in metadata (as the decode sets it), and the stored value, which is
  // the same bytes without that member (encodeForStorage's output).
  json::object& meta = metadata(obj);
  meta.stable_erase("resourceVersion");
  if (meta.empty()) return encodeForStorage(obj);  // no member before it to cut the comma after
  meta["resourceVersion"] = primed_->placeholder;
  const std::size_t guess = primed_->servedSize.load(std::memory_order_relaxed);
  std::string served = codec::toJson(obj, guess + PrimedWrites::kServedSlack);
  // Written only when it changes: creates on every I/O thread read it, and a write each time
  // would move its cache line between the cores on every create.
  if (served.size() != guess)
    primed_->servedSize.store(served.size(), std::memory_order_relaxed);
  meta.stable_erase("resourceVersion");
  const std::string& member = primed_->member;
  const auto at = primed_->memberAt(served);
  if (at == std::string::npos) return encodeForStorage(obj);
  PrimedWrites::Entry e;
  e.at = at;
  e.object = std::make_shared<PrimedWrites::Object>();
  describe(obj, e.object->cached);
  if (backend_->stampsRevisions()) {
    // The entry keeps a copy to recognize the write by, until the decode takes it.
    answer.stamp = storage::RevisionStamp{primed_->digitsAt(at), primed_->placeholder.size()};
    e.stamped = true;
    e.served = served;
    primed_->put(key, std::move(e));
    return served;
  }
  std::string value;
  value.reserve(served.size() - member.size());
  value.append(served, 0, at).append(served, at + member.size());
  if (backend_->writesWait()) {
    answer.served = served;
    answer.member = at;
  } else {
    answer.object = e.object;
  }
  e.served = std::move(served);
  primed_->put(key, std::move(e));
  return value;
}

Result<storage::CachedObjectPtr> Store::decode(std::string_view key, const SharedBytes& value,
                                               std::int64_t revision) const {
  if (auto p = primed_->take(key, *value, revision)) {
    storage::CachedObject& out = p->object->cached;
    out.key = std::string(key);
    out.revision = revision;
    out.json =
        p->stamped ? value : makeBytes(primed_->servedAt(std::move(p->served), p->at, revision));
    p->object->decoded.store(true, std::memory_order_release);
    return storage::CachedObjectPtr(p->object, &out);
  }
  auto out = std::make_shared<storage::CachedObject>();
  out->key = std::string(key);
  out->revision = revision;
  auto obj = parseObject(*value);
  if (!obj) return fail(std::move(obj).error());
  setResourceVersion(*obj, revision);
  describe(*obj, *out);
  out->json = makeBytes(codec::toJson(*obj));
  return storage::CachedObjectPtr(std::move(out));
}

ApiError Store::translate(const storage::Error& e, std::string_view name) const {
  using storage::ErrorCode;
  switch (e.code) {
    case ErrorCode::KeyNotFound: return ApiError::notFound(groupResource(), name);
    case ErrorCode::KeyExists: return ApiError::alreadyExists(groupResource(), name);
    case ErrorCode::Conflict: return ApiError::conflictModified(groupResource(), name);
    case ErrorCode::Compacted: return ApiError::expired(e.message);
    case ErrorCode::RevisionTooLarge: {
      // kube's storage.NewTooLargeResourceVersionError.
      ApiError err = ApiError::timeout("Too large resource version: " + std::to_string(e.requested) +
                                           ", current: " + std::to_string(e.revision),
                                       1);
      err.details->causes.push_back({"ResourceVersionTooLarge", "Too large resource version", ""});
      return err;
    }
    case ErrorCode::Unreachable: return ApiError::serviceUnavailable("storage is unavailable: " + e.message);
    case ErrorCode::Timeout: return ApiError::timeout(e.message, 1);
    case ErrorCode::Internal: break;
  }
  return ApiError::internal(e.message);
}

ApiError Store::invalid(std::string_view name, const FieldErrors& errs) const {
  return ApiError::invalid({spec_.group, spec_.kind}, name, errs);
}

Result<std::int64_t> Store::parseResourceVersion(std::string_view rv) const {
  auto n = ConfigReader::parseInteger(rv);
  if (!n || *n < 0) return fail(ApiError::badRequest("invalid resource version: " + std::string(rv)));
  return *n;
}

FieldErrors Store::validateMeta(const json::object& obj) const {
  FieldErrors errs;
  std::string_view name = nameOf(obj);
  std::string_view generateName = stringField(obj, "", "metadata", "generateName");
  if (name.empty() && generateName.empty()) {
    errs.push_back(requiredField("metadata.name", "name or generateName is required"));
  } else if (!name.empty()) {
    validation::addInvalid(errs, "metadata.name", name, nameRuleErrors(spec_.nameRule, name));
  }
  if (!generateName.empty()) {
    std::string masked(generateName);  // a trailing '-' is fine in a prefix
    if (masked.size() > 1 && masked.back() == '-') masked.back() = 'a';
    validation::addInvalid(errs, "metadata.generateName", generateName, nameRuleErrors(spec_.nameRule, masked));
  }
  std::string_view ns = namespaceOf(obj);
  if (namespaced() && ns.empty()) errs.push_back(requiredField("metadata.namespace"));
  if (!namespaced() && !ns.empty()) errs.push_back(forbiddenField("metadata.namespace", "not allowed on this type"));
  validation::validateLabels(field(obj, "metadata", "labels"), "metadata.labels", errs);
  validation::validateAnnotations(field(obj, "metadata", "annotations"), "metadata.annotations", errs);
  if (const auto* f = field(obj, "metadata", "finalizers"); f != nullptr && !f->is_null() && !f->is_array())
    errs.push_back(invalidField("metadata.finalizers", *f, "must be a list of strings"));
  return errs;
}

FieldErrors Store::validateMetaUpdate(const json::object& obj, const json::object& old) const {
  FieldErrors errs = validateMeta(obj);
  auto immutable = [&](const char* key) {
    std::string_view now = stringField(obj, "", "metadata", key);
    std::string_view was = stringField(old, "", "metadata", key);
    if (now != was) errs.push_back(invalidField(std::string("metadata.") + key, json::value(now), "field is immutable"));
  };
  immutable("name");
  immutable("namespace");
  immutable("uid");
  immutable("creationTimestamp");
  return errs;
}

Result<void> Store::admit(AdmissionPhase phase, Operation op, std::string_view ns, std::string_view name, bool status,
                          json::object* obj, const json::object* old, const WriteOptions& opts) const {
  if (!opts_.admission) return {};
  AdmissionAttributes a;
  a.operation = op;
  a.resource = &spec_;
  a.namespace_ = ns;
  a.name = name;
  a.subresource = status ? "status" : "";
  a.object = obj;
  a.oldObject = old;
  a.user = opts.user;
  a.dryRun = opts.dryRun;
  if (phase != AdmissionPhase::Validate)
    if (auto r = opts_.admission->mutate(a); !r) return r;
  if (phase != AdmissionPhase::Mutate) return opts_.admission->validate(a);
  return {};
}

// ---------------------------------------------------------------- reads

Result<storage::Filter> Store::filter(std::string_view ns, std::string_view labelSelector,
                                      std::string_view fieldSelector) const {
  auto parsed = selection::parseListSelectors(labelSelector, fieldSelector, fieldLabels_);
  if (!parsed) return fail(std::move(parsed).error());
  storage::Filter f;
  f.prefix = prefix(ns);
  f.labels = std::move(parsed->labels);
  f.fields = std::move(parsed->fields);
  // A selector that pins the name (kubectl get NAME -w, wait, describe) reads one key.
  if (auto name = f.fields.exactValue("metadata.name")) {
    std::string_view scope = ns;
    if (auto fns = f.fields.exactValue("metadata.namespace"); fns && ns.empty()) scope = *fns;
    if (!namespaced() || !scope.empty()) f.key = key(namespaced() ? scope : "", *name);
  }
  return f;
}

Result<storage::CachedObjectPtr> Store::get(std::string_view ns, std::string_view name, const ReadOptions& opts,
                                            std::chrono::steady_clock::time_point deadline) const {
  if (opts.resourceVersion.empty()) {
    if (auto r = cacher_->waitFresh(bounded(deadline)); !r) return fail(translate(r.error(), name));
  } else if (opts.resourceVersion != "0") {
    auto rv = parseResourceVersion(opts.resourceVersion);
    if (!rv) return fail(std::move(rv).error());
    auto until = std::min(deadline, std::chrono::steady_clock::now() + std::chrono::seconds(3));
    if (auto r = cacher_->waitFor(*rv, until); !r)
      return fail(translate(storage::Error::revisionTooLarge(*rv, cacher_->revision()), name));
  }
  auto obj = cacher_->get(key(ns, name));
  if (!obj) return fail(translate(obj.error(), name));
  return *obj;
}

Result<ListResult> Store::list(std::string_view ns, const ListOptions& opts,
                               std::chrono::steady_clock::time_point deadline) const {
  auto made = filter(ns, opts.labelSelector, opts.fieldSelector);
  if (!made) return fail(std::move(made).error());
  storage::Filter& filter = *made;
  storage::Cacher::ListRequest req;
  req.filter = &filter;
  req.limit = opts.limit;
  if (!opts.continueToken.empty()) {
    if (!opts.read.resourceVersion.empty() && opts.read.resourceVersion != "0")
      return fail(ApiError::invalid({"meta.k8s.io", "ListOptions"}, "",
                                    {forbiddenField("resourceVersion",
                                                    "specifying resource version is not allowed when using continue")}));
    auto token = decodeContinue(opts.continueToken);
    if (!token) return fail(std::move(token).error());
    if (token->revision < 0) {
      // An inconsistent continue (after 410): the rest of the list, at the latest revision.
      if (auto r = cacher_->waitFresh(bounded(deadline)); !r) return fail(translate(r.error(), ""));
    } else {
      req.revision = token->revision;
    }
    req.startKey = prefix("") + token->start;
    if (req.startKey.compare(0, filter.prefix.size(), filter.prefix) != 0) req.startKey = filter.prefix;
  } else if (opts.read.resourceVersion.empty()) {
    if (auto r = cacher_->waitFresh(bounded(deadline)); !r) return fail(translate(r.error(), ""));
  } else if (opts.read.resourceVersion != "0") {
    auto rv = parseResourceVersion(opts.read.resourceVersion);
    if (!rv) return fail(std::move(rv).error());
    const bool exact = opts.read.match == RvMatch::Exact || (opts.read.match == RvMatch::Unset && opts.limit > 0);
    auto until = std::min(deadline, std::chrono::steady_clock::now() + std::chrono::seconds(3));
    if (auto r = cacher_->waitFor(*rv, until); !r)
      return fail(translate(storage::Error::revisionTooLarge(*rv, cacher_->revision()), ""));
    if (exact) req.revision = *rv;
  }

  auto page = cacher_->list(req);
  if (!page) {
    if (page.error().code == storage::ErrorCode::Compacted && !opts.continueToken.empty()) {
      // kube's handleCompactedErrorForPaging: a token with revision -1 continues at the latest one.
      ApiError e = ApiError::expired(
          "The provided continue parameter is too old to display a consistent list result. You can start a new "
          "list without the continue parameter, or use the continue token in this response to retrieve the "
          "remainder of the results. Continuing with the provided token results in an inconsistent list - objects "
          "that were created, modified, or deleted between the time the first chunk was returned and now may show "
          "up in the list.");
      e.continueToken = encodeContinue({-1, req.startKey.substr(prefix("").size())});
      return fail(std::move(e));
    }
    if (page.error().code == storage::ErrorCode::Compacted)
      return fail(ApiError::expired("too old resource version: " + opts.read.resourceVersion + " (" +
                                    std::to_string(page.error().revision) + ")"));
    return fail(translate(page.error(), ""));
  }
  ListResult out;
  out.items = std::move(page->items);
  out.resourceVersion = std::to_string(page->revision);
  if (!page->nextKey.empty())
    out.continueToken = encodeContinue({page->revision, page->nextKey.substr(prefix("").size())});
  out.remainingItemCount = page->remaining;
  return out;
}

Result<storage::CacheWatcherPtr> Store::watch(std::string_view ns, const WatchOptions& opts,
                                              std::chrono::steady_clock::time_point deadline) const {
  storage::Cacher::WatchRequest req;
  auto made = filter(ns, opts.labelSelector, opts.fieldSelector);
  if (!made) return fail(std::move(made).error());
  req.filter = std::move(*made);
  req.filter.ownershipOnly = opts.ownershipOnly;
  req.bookmarks = opts.allowBookmarks;
  if (opts.sendInitialEvents) {
    // Watch-list: the state "not older than" resourceVersion, then changes.
    if (opts.resourceVersion.empty()) {
      if (auto r = cacher_->waitFresh(bounded(deadline)); !r) return fail(translate(r.error(), ""));
    } else if (opts.resourceVersion != "0") {
      auto rv = parseResourceVersion(opts.resourceVersion);
      if (!rv) return fail(std::move(rv).error());
      auto until = std::min(deadline, std::chrono::steady_clock::now() + std::chrono::seconds(3));
      if (auto r = cacher_->waitFor(*rv, until); !r)
        return fail(translate(storage::Error::revisionTooLarge(*rv, cacher_->revision()), ""));
    }
    if (*opts.sendInitialEvents) {
      req.initialEvents = true;
      req.initialEventsEnd = opts.allowBookmarks;
    } else {
      req.afterRevision = cacher_->revision();
    }
  } else if (opts.resourceVersion.empty() || opts.resourceVersion == "0") {
    req.initialEvents = true;
  } else {
    auto rv = parseResourceVersion(opts.resourceVersion);
    if (!rv) return fail(std::move(rv).error());
    req.afterRevision = *rv;
  }
  auto w = cacher_->watch(std::move(req));
  if (!w) {
    if (w.error().code == storage::ErrorCode::Compacted)
      return fail(ApiError::expired("too old resource version: " + opts.resourceVersion + " (" +
                                    std::to_string(w.error().revision) + ")"));
    return fail(translate(w.error(), ""));
  }
  return *w;
}

// ---------------------------------------------------------------- writes

Result<void> Store::checkNew(std::string_view ns, json::object& obj) const {
  if (!resourceVersionOf(obj).empty())
    return fail(ApiError::badRequest("resourceVersion should not be set on objects to be created"));
  json::object& meta = metadata(obj);
  if (namespaced()) {
    std::string_view bodyNs = namespaceOf(obj);
    if (!bodyNs.empty() && bodyNs != ns)
      return fail(ApiError::badRequest("the namespace of the provided object does not match the namespace sent on the request"));
    meta["namespace"] = ns;
  } else {
    meta.stable_erase("namespace");
  }
  return {};
}

Result<WriteResult> Store::create(std::string_view ns, json::object obj,
                                  const WriteOptions& opts) const {
  if (auto r = checkNew(ns, obj); !r)
    return fail(std::move(r).error());
  return createObject(ns, std::move(obj), opts);
}

void Store::createAsync(std::string_view ns, json::object obj, const WriteOptions& opts,
                        CreateCallback done) const {
  if (auto r = checkNew(ns, obj); !r)
    return done(fail(std::move(r).error()));
  auto p = prepareCreate(ns, std::move(obj), opts);
  if (!p)
    return done(fail(std::move(p).error()));
  if (p->key.empty())
    return done(WriteResult{std::move(p->object), true});
  if (p->answer.stamp)  // a backend that stamps revisions keeps the value in memory: no wait
    return done(finishCreate(*p, writeNew(*p)));
  auto state = std::make_shared<PreparedCreate>(std::move(*p));
  asyncCreates_->begin();  // never closed: stop() waits, later creates still run
  backend_->createAsync(state->key, std::move(state->value),
                        [this, state, done = std::move(done)](storage::Result<std::int64_t> rev) {
                          done(finishCreate(*state, std::move(rev)));
                          asyncCreates_->end();
                        });
}

bool Store::createWaits() const {
  return backend_->createWaits() || (opts_.admission && opts_.admission->mayWait());
}

Result<WriteResult> Store::finishCreate(PreparedCreate& p,
                                        storage::Result<std::int64_t> rev) const {
  if (!rev)
    return fail(translate(rev.error(), p.name));
  setResourceVersion(p.object, *rev);
  WriteResult out{std::move(p.object), true};
  PrimedAnswer& a = p.answer;
  if (a.stored) {
    out.json = std::move(a.stored);  // what the backend keeps, and the cache will serve
  } else if (!a.served.empty()) {
    // A backend whose writes wait: the cache most likely has not seen the write yet, and asking
    // it would take its lock on the thread that answers the backend's writes.
    out.json = makeBytes(primed_->servedAt(std::move(a.served), a.member, *rev));
  } else if (a.object != nullptr && a.object->decoded.load(std::memory_order_acquire) &&
             a.object->cached.revision == *rev) {
    out.json = a.object->cached.json;  // decoded during the write: no lock, no lookup
  } else if (auto cached = cacher_->get(p.key); cached && (*cached)->revision == *rev) {
    out.json = (*cached)->json;
  }
  return out;
}

Result<WriteResult> Store::createObject(std::string_view ns, json::object obj, const WriteOptions& opts) const {
  auto p = prepareCreate(ns, std::move(obj), opts);
  if (!p)
    return fail(std::move(p).error());
  if (p->key.empty())
    return WriteResult{std::move(p->object), true};
  return finishCreate(*p, writeNew(*p));
}

storage::Result<std::int64_t> Store::writeNew(PreparedCreate& p) const {
  if (!p.answer.stamp)
    return backend_->create(p.key, std::move(p.value));
  auto w = backend_->createStamped(p.key, std::move(p.value), *p.answer.stamp);
  if (!w)
    return fail(std::move(w).error());
  p.answer.stored = std::move(w->value);
  return w->revision;
}

Result<Store::PreparedCreate> Store::prepareCreate(std::string_view ns, json::object obj,
                                                   const WriteOptions& opts) const {
  obj["apiVersion"] = spec_.groupVersion();
  obj["kind"] = spec_.kind;
  json::object& meta = metadata(obj);
  if (nameOf(obj).empty()) {
    std::string_view gen = stringField(obj, "", "metadata", "generateName");
    if (!gen.empty()) meta["name"] = std::string(gen.substr(0, 58)) + randomSuffix(5);
  }
  meta.stable_erase("deletionTimestamp");
  meta.stable_erase("deletionGracePeriodSeconds");
  meta.stable_erase("resourceVersion");
  meta["uid"] = tls::randomUuid();
  meta["creationTimestamp"] = formatTime(opts_.clock->now());
  if (spec_.tracksGeneration) {
    meta["generation"] = 1;
  } else {
    meta.stable_erase("generation");
  }
  strategy_->prepareForCreate(obj);
  // kube's field manager runs on every write before admission; an apply recorded its own.
  if (!opts.managedFieldsSet) fieldManager_->update(nullptr, obj, opts.fieldManager, "", opts_.clock->now());
  std::string name(nameOf(obj));

  // kube's order: mutating admission, then validation, then validating admission.
  if (auto r = admit(AdmissionPhase::Mutate, Operation::Create, ns, name, false, &obj, nullptr, opts); !r)
    return fail(std::move(r).error());
  FieldErrors errs = validateMeta(obj);
  for (auto& e : strategy_->validate(obj)) errs.push_back(std::move(e));
  if (!errs.empty()) return fail(invalid(name, errs));
  if (auto r = admit(AdmissionPhase::Validate, Operation::Create, ns, name, false, &obj, nullptr, opts); !r)
    return fail(std::move(r).error());

  if (opts.dryRun) {
    if (cacher_->get(key(ns, name))) return fail(ApiError::alreadyExists(groupResource(), name));
    return PreparedCreate{opts.keepAlive, std::move(obj), std::move(name)};
  }
  std::string k = key(ns, name);
  // (The object is moved into place, never assigned: it lives in the request's arena, and
  // assigning it to an object of other memory would copy it.)
  PrimedAnswer answer;
  std::string value = encodePrimed(k, obj, answer);
  return PreparedCreate{opts.keepAlive, std::move(obj),   std::move(name),
                        std::move(k),   std::move(value), std::move(answer)};
}

Result<WriteResult> Store::update(std::string_view ns, std::string_view name, json::object obj, bool status,
                                  const WriteOptions& opts) const {
  std::string_view bodyName = nameOf(obj);
  if (bodyName != name)  // kube's checkName: an update names its object in the body too
    return fail(ApiError::badRequest("the name of the object (" + std::string(bodyName) +
                                     ") does not match the name on the URL (" + std::string(name) + ")"));
  if (namespaced()) {
    std::string_view bodyNs = namespaceOf(obj);
    if (!bodyNs.empty() && bodyNs != ns)
      return fail(ApiError::badRequest("the namespace of the provided object does not match the namespace sent on the request"));
  }
  std::optional<std::int64_t> precondition;
  if (std::string_view rv = resourceVersionOf(obj); !rv.empty()) {
    auto n = parseResourceVersion(rv);
    if (!n) return fail(invalid(name, {invalidField("metadata.resourceVersion", json::value(rv), "must be an integer")}));
    precondition = *n;
  } else if (!status && !strategy_->allowUnconditionalUpdate()) {
    return fail(invalid(name, {invalidField("metadata.resourceVersion", json::value(0), "must be specified for an update")}));
  }
  auto body = std::make_shared<json::object>(std::move(obj));
  Mutation fn = [body](json::object) -> Result<json::object> { return *body; };
  return guaranteedUpdate(ns, name, status ? UpdateKind::Status : UpdateKind::Put, fn, precondition, opts);
}

Result<WriteResult> Store::mutate(std::string_view ns, std::string_view name, const Mutation& fn, bool status,
                                  const WriteOptions& opts) const {
  return guaranteedUpdate(ns, name, status ? UpdateKind::Status : UpdateKind::Mutation, fn, std::nullopt, opts);
}

Result<WriteResult> Store::guaranteedUpdate(std::string_view ns, std::string_view name, UpdateKind kind,
                                            const Mutation& fn, std::optional<std::int64_t> precondition,
                                            const WriteOptions& opts) const {
  const std::string k = key(ns, name);
  for (int attempt = 0; attempt < kMaxConflictRetries; ++attempt) {
    auto cur = backend_->get(k);
    if (!cur) {
      if (cur.error().code != storage::ErrorCode::KeyNotFound) return fail(translate(cur.error(), name));
      const bool mayCreate = (kind == UpdateKind::Put && strategy_->allowCreateOnUpdate()) ||
                             (kind == UpdateKind::Mutation && opts.forceAllowCreate);
      if (!mayCreate) return fail(ApiError::notFound(groupResource(), name));
      auto candidate = fn(json::object());
      if (!candidate) return fail(std::move(candidate).error());
      metadata(*candidate).stable_erase("resourceVersion");
      metadata(*candidate)["name"] = name;
      if (namespaced()) metadata(*candidate)["namespace"] = ns;
      auto created = createObject(ns, std::move(*candidate), opts);
      if (!created && created.error().reason == "AlreadyExists") continue;  // raced with a create
      return created;
    }
    auto old = parseObject(*cur->value);
    if (!old) return fail(std::move(old).error());
    setResourceVersion(*old, cur->modRevision);
    if (precondition && *precondition != cur->modRevision) return fail(ApiError::conflictModified(groupResource(), name));

    auto candidate = fn(*old);
    if (!candidate) return fail(std::move(candidate).error());
    if (kind == UpdateKind::Mutation) {
      std::string_view rv = resourceVersionOf(*candidate);
      if (!rv.empty() && rv != resourceVersionOf(*old)) return fail(ApiError::conflictModified(groupResource(), name));
      std::string_view n = nameOf(*candidate);
      if (n != name)
        return fail(ApiError::badRequest("the name of the object (" + std::string(n) +
                                         ") does not match the name on the URL (" + std::string(name) + ")"));
    }

    // In the candidate's memory (a PUT's body lives in the request's arena): moving it in below
    // is then a move, not a copy.
    json::object next(candidate->storage());
    if (kind == UpdateKind::Status) {
      next = *old;
      if (const auto* s = candidate->if_contains("status")) {
        next["status"] = *s;
      } else {
        next.stable_erase("status");
      }
    } else if (kind == UpdateKind::Finalize) {
      // Only spec.finalizers changes through the finalize subresource.
      next = *old;
      json::value& spec = next["spec"];
      if (!spec.is_object()) spec = json::object();
      if (const auto* f = field(*candidate, "spec", "finalizers")) {
        spec.get_object()["finalizers"] = *f;
      } else {
        spec.get_object().stable_erase("finalizers");
      }
    } else {
      next = std::move(*candidate);
      next["apiVersion"] = spec_.groupVersion();
      next["kind"] = spec_.kind;
      json::object& meta = metadata(next);
      static const json::object kNoMeta;
      const json::object* oldMetaP = objectField(*old, "metadata");
      const json::object& oldMeta = oldMetaP != nullptr ? *oldMetaP : kNoMeta;
      if (stringField(next, "", "metadata", "uid").empty())
        if (const auto* uid = oldMeta.if_contains("uid")) meta["uid"] = *uid;
      if (const auto* ct = oldMeta.if_contains("creationTimestamp")) meta["creationTimestamp"] = *ct;
      for (const char* f : {"deletionTimestamp", "deletionGracePeriodSeconds", "generation"}) {
        if (const auto* v = oldMeta.if_contains(f)) {
          meta[f] = *v;
        } else {
          meta.erase(f);
        }
      }
      if (namespaced() && namespaceOf(next).empty()) meta["namespace"] = ns;
      if (hasStatus_) {
        if (const auto* s = old->if_contains("status")) {
          next["status"] = *s;
        } else {
          next.stable_erase("status");
        }
      }
      strategy_->prepareForUpdate(next, *old);
    }
    if (!opts.managedFieldsSet) {
      const char* subresource = kind == UpdateKind::Status ? "status" : kind == UpdateKind::Finalize ? "finalize" : "";
      fieldManager_->update(&*old, next, opts.fieldManager, subresource, opts_.clock->now());
    } else if (kind == UpdateKind::Status) {
      if (const auto* mf = field(*candidate, "metadata", "managedFields")) {
        metadata(next)["managedFields"] = *mf;
      } else {
        metadata(next).stable_erase("managedFields");
      }
    }
    setResourceVersion(next, cur->modRevision);

    const bool status = kind == UpdateKind::Status;
    if (auto r = admit(AdmissionPhase::Mutate, Operation::Update, ns, name, status, &next, &*old, opts); !r)
      return fail(std::move(r).error());
    FieldErrors errs = validateMetaUpdate(next, *old);
    auto more = status ? strategy_->validateStatusUpdate(next, *old) : strategy_->validateUpdate(next, *old);
    for (auto& e : more) errs.push_back(std::move(e));
    if (beingDeleted(*old)) {
      // An object on its way out may lose finalizers but not gain them.
      auto was = finalizersOf(*old);
      std::vector<std::string> added;
      for (const auto& f : finalizersOf(next))
        if (std::find(was.begin(), was.end(), f) == was.end()) added.push_back(f);
      if (!added.empty()) {
        std::string list;
        for (const auto& f : added) list += (list.empty() ? "\"" : ", \"") + f + "\"";
        errs.push_back(forbiddenField("metadata.finalizers",
                                      "no new finalizers can be added if the object is being deleted, found new "
                                      "finalizers []string{" + list + "}"));
      }
    }
    if (!errs.empty()) return fail(invalid(name, errs));

    if (!status && spec_.tracksGeneration && !sameContent(next, *old)) {
      auto gen = int64Field(*old, "metadata", "generation").value_or(0);
      metadata(next)["generation"] = gen + 1;
    }
    // Admission sees every update, even one that turns out to change nothing (as in kube).
    if (auto r = admit(AdmissionPhase::Validate, Operation::Update, ns, name, status, &next, &*old, opts); !r)
      return fail(std::move(r).error());
    // Nothing to write, unless the stored form is stale (kube's GuaranteedUpdate rewrites it).
    if (!cur->stale && sameIgnoringResourceVersion(next, *old)) return WriteResult{std::move(*old), false};

    // The last finalizer of an object being deleted is gone: the update completes the delete.
    if (beingDeleted(next) && finalizersOf(next).empty() && !strategy_->holdsDeletion(next)) {
      if (opts.dryRun) return WriteResult{std::move(next), false, true};
      auto removed = backend_->remove(k, cur->modRevision);
      if (!removed) {
        if (removed.error().code == storage::ErrorCode::Conflict && !precondition) continue;
        return fail(translate(removed.error(), name));
      }
      return WriteResult{std::move(next), false, true};
    }
    if (opts.dryRun) return WriteResult{std::move(next), false};

    auto rev = backend_->update(k, encodeForStorage(next), cur->modRevision);
    if (!rev) {
      if (rev.error().code == storage::ErrorCode::Conflict && !precondition) continue;
      if (rev.error().code == storage::ErrorCode::KeyNotFound && !precondition) continue;
      return fail(translate(rev.error(), name));
    }
    setResourceVersion(next, *rev);
    return WriteResult{std::move(next), false};
  }
  return fail(ApiError::conflict(groupResource(), name, "too many conflicting updates; try again"));
}

Result<WriteResult> Store::remove(std::string_view ns, std::string_view name, const DeleteOptions& opts) const {
  const std::string k = key(ns, name);
  for (int attempt = 0; attempt < kMaxConflictRetries; ++attempt) {
    auto cur = backend_->get(k);
    if (!cur) return fail(translate(cur.error(), name));
    auto old = parseObject(*cur->value);
    if (!old) return fail(std::move(old).error());
    setResourceVersion(*old, cur->modRevision);
    if (opts.preconditionUid && *opts.preconditionUid != uidOf(*old))
      return fail(ApiError::conflict(groupResource(), name,
                                     "Precondition failed: UID in precondition: " + *opts.preconditionUid +
                                         ", UID in object meta: " + std::string(uidOf(*old))));
    if (opts.preconditionResourceVersion && *opts.preconditionResourceVersion != resourceVersionOf(*old))
      return fail(ApiError::conflict(groupResource(), name,
                                     "Precondition failed: ResourceVersion in precondition: " +
                                         *opts.preconditionResourceVersion + ", ResourceVersion in object meta: " +
                                         std::string(resourceVersionOf(*old))));
    if (auto r = admit(AdmissionPhase::Both, Operation::Delete, ns, name, false, nullptr, &*old, opts.write); !r)
      return fail(std::move(r).error());

    // The garbage collector's finalizers carry the propagation policy (kube's
    // deletionFinalizersForGarbageCollection): Orphan adds "orphan", Foreground
    // "foregroundDeletion", Background removes both.
    auto finalizers = finalizersOf(*old);
    auto drop = [&](std::string_view f) { finalizers.erase(std::remove(finalizers.begin(), finalizers.end(), f), finalizers.end()); };
    auto add = [&](std::string_view f) {
      if (std::find(finalizers.begin(), finalizers.end(), f) == finalizers.end()) finalizers.emplace_back(f);
    };
    switch (opts.propagation) {
      case PropagationPolicy::Orphan: add(kOrphanFinalizer); drop(kForegroundFinalizer); break;
      case PropagationPolicy::Foreground: add(kForegroundFinalizer); drop(kOrphanFinalizer); break;
      case PropagationPolicy::Background: drop(kOrphanFinalizer); drop(kForegroundFinalizer); break;
      case PropagationPolicy::Default: break;
    }

    if (finalizers.empty() && !strategy_->holdsDeletion(*old)) {
      if (opts.write.dryRun) return WriteResult{std::move(*old), false, true};
      auto removed = backend_->remove(k, cur->modRevision);
      if (!removed) {
        if (removed.error().code == storage::ErrorCode::Conflict) continue;
        return fail(translate(removed.error(), name));
      }
      return WriteResult{std::move(*old), false, true};
    }

    // The object stays until its finalizers are done: mark it deleted (once) instead.
    json::object next = *old;
    setFinalizers(next, finalizers);
    if (!beingDeleted(next)) {
      json::object& meta = metadata(next);
      meta["deletionTimestamp"] = formatTime(opts_.clock->now());
      meta["deletionGracePeriodSeconds"] = 0;
      // kube's BeforeDelete: the generation of a kind that tracks one moves on.
      if (auto gen = int64Field(next, "metadata", "generation"); gen && *gen > 0) meta["generation"] = *gen + 1;
      strategy_->prepareForDelete(next);
    }
    if (sameIgnoringResourceVersion(next, *old) || opts.write.dryRun) return WriteResult{std::move(next), false, false};
    auto rev = backend_->update(k, encodeForStorage(next), cur->modRevision);
    if (!rev) {
      if (rev.error().code == storage::ErrorCode::Conflict) continue;
      return fail(translate(rev.error(), name));
    }
    setResourceVersion(next, *rev);
    return WriteResult{std::move(next), false, false};
  }
  return fail(ApiError::conflict(groupResource(), name, "too many conflicting updates; try again"));
}

Result<std::vector<json::object>> Store::removeCollection(std::string_view ns, const ListOptions& list,
                                                          const DeleteOptions& opts,
                                                          std::chrono::steady_clock::time_point deadline) const {
  ListOptions all = list;
  all.limit = 0;
  all.continueToken.clear();
  auto page = this->list(ns, all, deadline);
  if (!page) return fail(std::move(page).error());
  std::vector<json::object> out;
  out.reserve(page->items.size());
  for (const auto& item : page->items) {
    auto r = remove(item->namespace_(), item->name(), opts);
    if (!r) {
      if (r.error().code == 404) continue;  // gone meanwhile
      return fail(std::move(r).error());
    }
    out.push_back(std::move(r->object));
  }
  return out;
}

Result<WriteResult> Store::finalize(std::string_view ns, std::string_view name, json::object obj,
                                    const WriteOptions& opts) const {
  std::optional<std::int64_t> precondition;
  if (std::string_view rv = resourceVersionOf(obj); !rv.empty()) {
    auto n = parseResourceVersion(rv);
    if (!n) return fail(std::move(n).error());
    precondition = *n;
  }
  auto body = std::make_shared<json::object>(std::move(obj));
  Mutation fn = [body](json::object) -> Result<json::object> { return *body; };
  return guaranteedUpdate(ns, name, UpdateKind::Finalize, fn, precondition, opts);
}

}  // namespace apiserver::registry
