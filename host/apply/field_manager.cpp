#include "apply/field_manager.h"

#include "golang/go_json.h"

#include <boost/json/parse.hpp>

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <map>
#include <optional>
#include <utility>

namespace apiserver::apply {

namespace {

/// kBeforeFirstApply owns an object's fields when its first apply finds no managedFields.
constexpr std::string_view kBeforeFirstApply = "before-first-apply";
/// kAncientChanges is the bucket old Update entries are merged into.
constexpr std::string_view kAncientChanges = "ancient-changes";
/// kCurrentOperation is the working key of the write being recorded (not JSON, so it cannot be
/// a manager identifier).
const std::string kCurrentOperation = "current-operation";
/// kTotalAnnotationSizeLimit is kube's limit on the annotations of an object (256 KiB).
constexpr std::size_t kTotalAnnotationSizeLimit = 256 * 1024;
/// kFieldManagerMaxLength is kube's limit on a manager name.
constexpr std::size_t kFieldManagerMaxLength = 128;

Path pathOf(std::initializer_list<std::string_view> names) {
  Path p;
  for (auto n : names)
    p.push_back(PathElement::field(std::string(n)));
  return p;
}

/// GroupVersionKind of an object as kube's unstructured accessors read it.
struct Gvk {
  std::string group;
  std::string version;
  std::string kind;
  std::string str() const { return group + "/" + version + ", Kind=" + kind; }
};

Gvk gvkOf(const json::object& obj) {
  const std::string_view apiVersion = stringField(obj, "", "apiVersion");
  const std::string_view kind = stringField(obj, "", "kind");
  Gvk out;
  if (apiVersion.empty() || apiVersion == "/") {
    out.kind = std::string(kind);
    return out;
  }
  const auto slashes = std::count(apiVersion.begin(), apiVersion.end(), '/');
  if (slashes > 1)
    return out;  // ParseGroupVersion fails: the whole GVK is empty
  if (slashes == 0) {
    out.version = std::string(apiVersion);
  } else {
    const auto i = apiVersion.find('/');
    out.group = std::string(apiVersion.substr(0, i));
    out.version = std::string(apiVersion.substr(i + 1));
  }
  out.kind = std::string(kind);
  return out;
}

void removeManagedFields(json::object& obj) {
  if (auto* m = obj.if_contains("metadata"); m != nullptr && m->is_object())
    m->get_object().stable_erase("managedFields");
}

/// setManagedFields stores the entries last in metadata (where kube's ObjectMeta has them), or
/// removes the field when there are none.
void setManagedFields(json::object& obj, const Managed& managed) {
  json::object& meta = metadata(obj);
  meta.stable_erase("managedFields");
  if (!managed.fields.empty())
    meta["managedFields"] =
        encodeManagedFields(managed, meta.storage());  // built in place: no copy
}

bool hasLastApplied(const json::object& obj) {
  const json::value* v = field(obj, "metadata", "annotations", kLastAppliedAnnotation);
  return v != nullptr && v->is_string() && !v->get_string().empty();
}

/// buildLastApplied is the applied configuration as kube records it in the annotation: without
/// the annotation itself, json.Marshal'ed (sorted keys) and followed by a newline.
std::string buildLastApplied(const json::object& applied) {
  json::value copy(applied);
  if (auto* meta = copy.get_object().if_contains("metadata"); meta != nullptr && meta->is_object())
    if (auto* ann = meta->get_object().if_contains("annotations");
        ann != nullptr && ann->is_object())
      ann->get_object().stable_erase(kLastAppliedAnnotation);
  return golang::goMarshal(copy) + "\n";
}

/// setLastApplied sets the annotation unless the annotations would then exceed kube's total
/// size limit, in which case it is dropped (kube's SetLastApplied).
void setLastApplied(json::object& obj, std::string value) {
  json::value& ann = metadata(obj)["annotations"];
  if (!ann.is_object())
    ann = json::object();
  json::object& annotations = ann.get_object();
  annotations[kLastAppliedAnnotation] = std::move(value);
  std::size_t total = 0;
  for (const auto& kv : annotations)
    total += kv.key().size() + (kv.value().is_string() ? kv.value().get_string().size() : 0);
  if (total > kTotalAnnotationSizeLimit)
    annotations.stable_erase(kLastAppliedAnnotation);
}

std::int64_t secondsOf(const Managed& managed, const std::string& id) {
  auto it = managed.times.find(id);
  if (it == managed.times.end())
    return 0;
  auto t = parseTime(it->second);
  if (!t)
    return 0;
  return std::chrono::duration_cast<std::chrono::seconds>(t->time_since_epoch()).count();
}

void eraseEntry(Managed& managed, const std::string& id) {
  managed.fields.erase(id);
  managed.times.erase(id);
}

}  // namespace

// --- free functions ---

ApiError conflictError(const std::vector<Conflict>& conflicts, std::string_view name,
                       const GroupResource& resource) {
  std::string message;
  if (conflicts.size() == 1) {
    message = "Apply failed with 1 conflict: conflict with " + printManager(conflicts[0].manager) +
              ": " + pathString(conflicts[0].path);
  } else {
    std::map<std::string, std::vector<const Path*>> byManager;  // sorted by identifier
    for (const auto& c : conflicts)
      byManager[c.manager].push_back(&c.path);
    std::string lines;
    for (const auto& [manager, paths] : byManager) {
      if (!lines.empty())
        lines.push_back('\n');
      lines += "conflicts with " + printManager(manager) + ":";
      for (const Path* p : paths)
        lines += "\n- " + pathString(*p);
    }
    message = "Apply failed with " + std::to_string(conflicts.size()) + " conflicts: " + lines;
  }
  ApiError e{409, "Conflict", std::move(message), ApiError::Details{}};
  e.details->name = std::string(name);
  e.details->group = resource.group;
  e.details->kind = resource.resource;
  for (const auto& c : conflicts)
    e.details->causes.push_back(
        {"FieldManagerConflict", "conflict with " + printManager(c.manager), pathString(c.path)});
  return e;
}

std::string managerFromUserAgent(std::string_view userAgent) {
  const std::string_view prefix = userAgent.substr(0, userAgent.find('/'));
  std::string out;
  for (std::size_t i = 0; i < prefix.size();) {
    const auto c = static_cast<unsigned char>(prefix[i]);
    std::string rune;
    std::size_t len = 1;
    if (c < 0x80) {
      if (c < 0x20 || c == 0x7F) {  // unprintable
        ++i;
        continue;
      }
      rune.assign(1, static_cast<char>(c));
    } else {
      len = (c & 0xE0) == 0xC0 ? 2 : (c & 0xF0) == 0xE0 ? 3 : (c & 0xF8) == 0xF0 ? 4 : 0;
      bool valid = len != 0 && i + len <= prefix.size();
      for (std::size_t k = 1; valid && k < len; ++k)
        valid = (static_cast<unsigned char>(prefix[i + k]) & 0xC0) == 0x80;
      if (valid) {
        rune = std::string(prefix.substr(i, len));
        // C1 controls are unprintable.
        if (len == 2 && c == 0xC2 && static_cast<unsigned char>(prefix[i + 1]) < 0xA0) {
          i += len;
          continue;
        }
      } else {
        len = 1;
        rune = "\xEF\xBF\xBD";  // Go ranges invalid bytes as U+FFFD, which is printable
      }
    }
    if (out.size() + rune.size() > kFieldManagerMaxLength)
      break;
    out += rune;
    i += len;
  }
  return out;
}

Result<json::object> appliedObject(json::value body) {
  if (body.is_object())
    return std::move(body.get_object());
  if (body.is_null())
    return json::object();
  std::string_view kind = body.is_array()    ? "array"
                          : body.is_string() ? "string"
                          : body.is_bool()   ? "bool"
                                             : "number";
  return fail(ApiError::badRequest(
      "error decoding YAML: error unmarshaling JSON: while decoding JSON: json: cannot unmarshal " +
      std::string(kind) + " into Go value of type map[string]interface {}"));
}

Result<void> checkObjectName(const json::object& obj, std::string_view name, std::string_view ns) {
  const std::string_view objName = nameOf(obj);
  if (objName != name)
    return fail(ApiError::badRequest("the name of the object (" + std::string(objName) +
                                     ") does not match the name on the URL (" + std::string(name) +
                                     ")"));
  const std::string_view objNs = namespaceOf(obj);
  if (!ns.empty() && !objNs.empty() && objNs != ns)
    return fail(ApiError::badRequest("the namespace of the object (" + std::string(objNs) +
                                     ") does not match the namespace on the request (" +
                                     std::string(ns) + ")"));
  return {};
}

// --- FieldManager ---

FieldManager::FieldManager(schema::SchemaNode root, Options options)
    : root_(TypeRef::of(root)),
      zero_(std::move(zeroObject(root_).as_object())),
      opts_(std::move(options)) {
  groupVersion_ = opts_.group.empty() ? opts_.version : opts_.group + "/" + opts_.version;
  for (auto p : {pathOf({"apiVersion"}), pathOf({"kind"}), pathOf({"metadata"}),
                 pathOf({"metadata", "name"}), pathOf({"metadata", "namespace"}),
                 pathOf({"metadata", "creationTimestamp"}), pathOf({"metadata", "selfLink"}),
                 pathOf({"metadata", "uid"}), pathOf({"metadata", "clusterName"}),
                 pathOf({"metadata", "generation"}), pathOf({"metadata", "managedFields"}),
                 pathOf({"metadata", "resourceVersion"})})
    stripSet_.insert(p);
  if (opts_.statusSubresource) {
    // The main resource's strategy keeps the stored status; the status subresource keeps
    // everything but status (and the object's identity).
    ignoredMain_.insert(pathOf({"status"}));
    if (root_.isDeduced()) {
      ignoredStatus_.insert(pathOf({"spec"}));
    } else {
      for (const auto& p : root.properties())
        if (p.name != "apiVersion" && p.name != "kind" && p.name != "metadata" &&
            p.name != "status")
          ignoredStatus_.insert(pathOf({p.name}));
    }
    for (auto f : {"labels", "annotations", "ownerReferences", "finalizers"})
      ignoredStatus_.insert(pathOf({"metadata", f}));
  }
}

const FieldSet& FieldManager::ignoredFor(std::string_view subresource) const {
  if (subresource == "status")
    return ignoredStatus_;
  if (subresource.empty())
    return ignoredMain_;
  return noFields_;
}

void FieldManager::stripMeta(Managed& managed, const std::string& id) const {
  auto it = managed.fields.find(id);
  if (it == managed.fields.end())
    return;
  it->second.set = std::move(it->second.set).difference(stripSet_);
  if (it->second.set.empty())
    eraseEntry(managed, id);
}

Comparison FieldManager::updateManagers(const json::object& live, const json::object& next,
                                        Managed& managed, const std::string& workflow, bool force,
                                        const FieldSet& ignored,
                                        std::vector<Conflict>* conflicts) const {
  Comparison cmp = compareObjects(live, next, root_);
  cmp.excludeFields(ignored);
  std::optional<FieldSet> changed;               // only when another manager's fields may conflict
  std::map<std::string, FieldSet> conflictSets;  // sorted by identifier
  for (const auto& [id, vs] : managed.fields) {
    if (id == workflow)
      continue;
    if (!changed)
      changed = cmp.modified.unite(cmp.added);
    FieldSet c = vs.set.intersect(*changed);
    if (!c.empty())
      conflictSets.emplace(id, std::move(c));
  }
  if (!force && !conflictSets.empty()) {
    for (const auto& [id, set] : conflictSets)
      set.iterate([&, id = &id](const Path& p) { conflicts->push_back(Conflict{*id, p}); });
    return cmp;
  }
  for (const auto& [id, c] : conflictSets)
    managed.fields[id].set = std::move(managed.fields[id].set).difference(c);
  if (!cmp.removed.empty())
    for (auto& [id, vs] : managed.fields)
      if (id != workflow)
        vs.set = std::move(vs.set).difference(cmp.removed);
  for (auto it = managed.fields.begin(); it != managed.fields.end();) {
    if (it->second.set.empty()) {
      managed.times.erase(it->first);
      it = managed.fields.erase(it);
    } else {
      ++it;
    }
  }
  return cmp;
}

void FieldManager::capUpdateManagers(Managed& managed) const {
  std::vector<std::string> updaters;
  for (const auto& [id, vs] : managed.fields)
    if (!vs.applied)
      updaters.push_back(id);
  if (updaters.size() <= kMaxUpdateManagers)
    return;
  std::sort(updaters.begin(), updaters.end(), [&](const std::string& a, const std::string& b) {
    const std::int64_t sa = secondsOf(managed, a);
    const std::int64_t sb = secondsOf(managed, b);
    if (sa != sb)
      return sa < sb;
    return a < b;
  });
  std::map<std::string, std::string> versionToFirst;
  std::size_t length = updaters.size();
  for (std::size_t i = 0; i < updaters.size() && length > kMaxUpdateManagers; ++i) {
    const std::string& manager = updaters[i];
    auto it = managed.fields.find(manager);
    if (it == managed.fields.end())
      continue;
    VersionedSet vs = it->second;
    auto timeIt = managed.times.find(manager);
    std::optional<std::string> time;
    if (timeIt != managed.times.end())
      time = timeIt->second;
    const std::string bucket = buildManagerIdentifier(
        {std::string(kAncientChanges), std::string(kUpdateOperation), vs.apiVersion, ""});
    auto first = versionToFirst.find(vs.apiVersion);
    if (first == versionToFirst.end()) {
      versionToFirst.emplace(vs.apiVersion, manager);
      continue;
    }
    if (managed.fields.count(bucket) == 0) {
      VersionedSet moved = managed.fields[first->second];
      managed.fields.erase(first->second);
      managed.fields[bucket] = std::move(moved);
    }
    VersionedSet& b = managed.fields[bucket];
    b = VersionedSet{vs.set.unite(b.set), vs.apiVersion, vs.applied};
    if (manager != bucket)
      eraseEntry(managed, manager);
    --length;
    if (time) {
      managed.times[bucket] = *time;
    } else {
      managed.times.erase(bucket);
    }
  }
}

ManagerIdentity FieldManager::updateIdentity(std::string_view manager,
                                             std::string_view subresource) const {
  return {manager.empty() ? std::string("unknown") : std::string(manager),
          std::string(kUpdateOperation), groupVersion_, std::string(subresource)};
}

void FieldManager::updateCore(const json::object& live, const json::object& next, Managed& managed,
                              std::string_view manager, std::string_view subresource,
                              const std::string& now) const {
  const std::string id = buildManagerIdentifier(updateIdentity(manager, subresource));
  const FieldSet& ignored = ignoredFor(subresource);
  Comparison cmp = updateManagers(live, next, managed, kCurrentOperation, true, ignored, nullptr);
  FieldSet set =
      std::move(cmp.added).unite(cmp.modified).difference(cmp.removed).recursiveDifference(ignored);
  if (!set.empty())
    managed.fields[kCurrentOperation] = VersionedSet{std::move(set), groupVersion_, false};
  stripMeta(managed, kCurrentOperation);
  // The write took fields: its entry (merged with the manager's earlier updates) is stamped now.
  if (auto it = managed.fields.find(kCurrentOperation); it != managed.fields.end()) {
    VersionedSet vs = std::move(it->second);
    eraseEntry(managed, kCurrentOperation);
    if (auto prev = managed.fields.find(id); prev != managed.fields.end())
      vs.set = std::move(vs.set).unite(prev->second.set);
    managed.fields[id] = std::move(vs);
    managed.times[id] = now;
  }
  capUpdateManagers(managed);
}

json::value FieldManager::prune(const json::value& merged, const Managed& managed,
                                const VersionedSet* lastSet) const {
  if (lastSet == nullptr || lastSet->set.empty())
    return merged;
  // Remove what the manager applied last time, add back what anyone (the manager's new
  // configuration included) manages, then add back whatever was removed without having been
  // applied by the manager.
  const FieldSet last = ensureNamedFieldsAreMembers(lastSet->set, root_);
  json::value pruned = removeItems(merged, last, root_);
  FieldSet owned;
  for (const auto& [id, vs] : managed.fields)
    owned = std::move(owned).unite(vs.set);
  const FieldSet mergedSet = ensureNamedFieldsAreMembers(toFieldSet(merged, root_), root_);
  FieldSet prunedSet = ensureNamedFieldsAreMembers(toFieldSet(pruned, root_), root_);
  pruned = removeItems(
      merged, mergedSet.difference(prunedSet.unite(ensureNamedFieldsAreMembers(owned, root_))),
      root_);
  prunedSet = ensureNamedFieldsAreMembers(toFieldSet(pruned, root_), root_);
  return removeItems(merged, mergedSet.difference(prunedSet).intersect(last), root_);
}

std::optional<FieldSet> FieldManager::allowedConflictsFromLastApplied(
    const json::object& live) const {
  if (!hasLastApplied(live))
    return std::nullopt;  // no last applied annotation
  const std::string_view text =
      field(live, "metadata", "annotations", kLastAppliedAnnotation)->get_string();
  boost::system::error_code ec;
  json::value lastApplied = json::parse(text, ec);
  if (ec || !lastApplied.is_object())
    return std::nullopt;  // failed to decode last applied obj
  if (stringField(lastApplied.get_object(), "", "apiVersion") != groupVersion_)
    return std::nullopt;  // expected version of last applied to match live object
  if (!validate(lastApplied, root_).empty())
    return std::nullopt;  // failed to convert last applied to typed
  FieldSet set = toFieldSet(lastApplied, root_);
  const Comparison cmp = compareObjects(lastApplied.get_object(), live, root_);
  // Fields whose last-applied value differs from the live one are not the client's any more.
  return set.difference(cmp.modified).difference(cmp.added).difference(cmp.removed);
}

Managed FieldManager::applyCore(const json::value& live, const json::object& applied,
                                Managed managed, const ApplyOptions& options, bool force,
                                json::value* result, std::vector<Conflict>* conflicts) const {
  const std::string now = formatTime(options.now);
  // An object nobody manages yet: its current fields become "before-first-apply"'s.
  const json::object& liveObj = live.get_object();
  if (managed.fields.empty())
    updateCore(zero_, liveObj, managed, kBeforeFirstApply,
               options.subresource, now);

  const std::string id = buildManagerIdentifier(
      {options.manager, std::string(kApplyOperation), "", options.subresource});
  const json::value config(applied);
  json::value merged = merge(live, config, root_);
  std::optional<VersionedSet> last;
  if (auto it = managed.fields.find(id); it != managed.fields.end())
    last = it->second;
  const FieldSet& ignored = ignoredFor(options.subresource);
  managed.fields[id] =
      VersionedSet{toFieldSet(config, root_).recursiveDifference(ignored), groupVersion_, true};
  merged = prune(merged, managed, last ? &*last : nullptr);
  if (!merged.is_object())
    merged = json::object();  // pruned to nothing (cannot happen with apiVersion and kind)
  updateManagers(liveObj, merged.get_object(), managed, id, force, ignored, conflicts);
  if (!conflicts->empty())
    return managed;
  const bool noop = equalValues(live, merged);
  stripMeta(managed, id);
  if (noop) {
    *result = live;  // nothing changed: the entry keeps its time
  } else {
    if (managed.fields.count(id) != 0)
      managed.times[id] = now;
    *result = std::move(merged);
  }
  return managed;
}

void FieldManager::update(const json::object* live, json::object& object, std::string_view manager,
                          std::string_view subresource, TimePoint now) const {
  std::string error;
  auto decodeLive = [&]() -> Managed {
    if (live == nullptr)
      return Managed{};
    auto m = decodeManagedFields(field(*live, "metadata", "managedFields"), &error);
    return m ? std::move(*m) : Managed{};
  };
  // The client's managedFields win (it may edit them), unless it sent none, sent garbage or
  // wrote through a subresource; `[]` or `[{}]` asks to start over.
  Managed managed;
  const json::value* sent = field(object, "metadata", "managedFields");
  if (!subresource.empty()) {
    managed = decodeLive();
  } else if (!isResetManagedFields(sent)) {
    auto decoded = decodeManagedFields(sent, &error);
    if (decoded && !decoded->fields.empty()) {
      managed = std::move(*decoded);
    } else {
      managed = decodeLive();
    }
  }
  removeManagedFields(object);
  // An existing object that nobody manages stays untracked (kube's skipNonApplied).
  if (managed.fields.empty() && live != nullptr)
    return;
  if (live == nullptr && managed.fields.empty()) {
    recordCreate(object, manager, subresource, now);
    return;
  }
  updateCore(live != nullptr ? *live : zero_, object, managed, manager, subresource,
             formatTime(now));
  setManagedFields(object, managed);
}

struct FieldManager::CreatedFields {
  std::string subresource;
  std::string shape;
  json::object fields;  // in its own (default) storage
};

namespace {

/// ShapeWriter writes all of an object that the FieldsV1 of its creation depends on: every
/// member's name and the kind of its value, and every list in full (its items are told apart by
/// their keys or values). Objects of one shape differ only in scalars outside lists, which
/// changedFieldsV1 against the zero object reads as leaves. Names and strings are written with
/// their length first, so that no two shapes write the same bytes.
class ShapeWriter {
 public:
  /// write replaces `out` with the shape of `o`.
  static void write(const json::object& o, std::string& out) {
    out.resize(std::max<std::size_t>(out.capacity(), 1024));
    ShapeWriter w(out);
    w.object(o, false);
    out.resize(w.used_);
  }

 private:
  explicit ShapeWriter(std::string& out) : out_(out) {}

  void object(const json::object& o, bool inList) {
    put('{');
    for (const auto& kv : o) {
      sized(kv.key());
      value(kv.value(), inList);
    }
    put('}');
  }

  void value(const json::value& v, bool inList) {
    switch (v.kind()) {
      case json::kind::object:
        return object(v.get_object(), inList);
      case json::kind::array:
        put('[');
        for (const auto& item : v.get_array())
          value(item, true);
        return put(']');
      case json::kind::string:
        put('s');
        if (inList)
          sized(v.get_string());
        return;
      case json::kind::int64:
        return scalar('i', v.get_int64(), inList);
      case json::kind::uint64:
        return scalar('u', v.get_uint64(), inList);
      case json::kind::double_:
        return scalar('d', v.get_double(), inList);
      case json::kind::bool_:
        return put(inList ? (v.get_bool() ? 'T' : 'F') : 'b');
      case json::kind::null:
        return put('z');
    }
  }

  char* room(std::size_t n) {
    if (used_ + n > out_.size())
      out_.resize(std::max(out_.size() * 2, used_ + n));
    return out_.data() + used_;
  }
  void put(char c) {
    *room(1) = c;
    ++used_;
  }
  void sized(std::string_view s) {
    const auto n = static_cast<std::uint32_t>(s.size());
    char* p = room(sizeof n + s.size());
    std::memcpy(p, &n, sizeof n);
    std::memcpy(p + sizeof n, s.data(), s.size());
    used_ += sizeof n + s.size();
  }
  template <class T>
  void scalar(char kind, T v, bool inList) {
    char* p = room(1 + sizeof v);
    *p = kind;
    std::size_t n = 1;
    if (inList) {
      std::memcpy(p + 1, &v, sizeof v);
      n += sizeof v;
    }
    used_ += n;
  }

  std::string& out_;
  std::size_t used_ = 0;
};

}  // namespace

json::object FieldManager::createdFields(const json::object& object,
                                         std::string_view subresource) const {
  // The shape is written into a buffer of the thread's: a create that finds it kept allocates
  // nothing for it.
  thread_local std::string shape;
  ShapeWriter::write(object, shape);
  if (auto last = lastCreated_.load(std::memory_order_acquire);
      last != nullptr && last->subresource == subresource && last->shape == shape)
    return json::object(last->fields, object.storage());
  auto fresh = std::make_shared<CreatedFields>();
  fresh->subresource = subresource;
  fresh->shape = shape;
  fresh->fields = changedFieldsV1(zero_, object, root_, ignoredFor(subresource), stripSet_, {});
  json::object fields(fresh->fields, object.storage());
  lastCreated_.store(std::move(fresh), std::memory_order_release);
  return fields;
}

void FieldManager::recordCreate(json::object& object, std::string_view manager,
                                std::string_view subresource, TimePoint now) const {
  json::object fields = createdFields(object, subresource);
  if (fields.empty())
    return;  // nothing of the object is anyone's: no entry, as stripMeta leaves none
  json::object& meta = metadata(object);
  json::array entries(meta.storage());
  entries.push_back(encodeManagedEntry(updateIdentity(manager, subresource), formatTime(now),
                                       std::move(fields), meta.storage()));
  meta.emplace("managedFields", std::move(entries));
}

Result<json::object> FieldManager::apply(const json::object* live, const json::object& applied,
                                         const ApplyOptions& options) const {
  const Gvk gvk = gvkOf(applied);
  if (gvk.group != opts_.group || gvk.version != opts_.version || gvk.kind != opts_.kind)
    return fail(ApiError::badRequest("invalid object type: " + gvk.str()));

  json::object liveObj = live != nullptr ? *live : json::object();
  std::string error;
  auto managed = decodeManagedFields(field(liveObj, "metadata", "managedFields"), &error);
  if (!managed)
    return fail(ApiError{500, "", "failed to decode managed fields: " + error, std::nullopt});
  removeManagedFields(liveObj);

  if (const json::value* mf = field(applied, "metadata", "managedFields");
      mf != nullptr && mf->is_array() &&
      std::all_of(mf->get_array().begin(), mf->get_array().end(),
                  [](const json::value& e) { return e.is_object(); }))
    return fail(ApiError::badRequest("metadata.managedFields must be nil"));
  if (ValidationErrors errors = validate(json::value(applied), root_); !errors.empty())
    return fail(ApiError{500, "",
                         "failed to create typed patch object (" +
                             std::string(namespaceOf(applied)) + "/" +
                             std::string(nameOf(applied)) + "; " + gvk.str() +
                             "): " + validationErrorsString(errors),
                         std::nullopt});

  const json::value liveValue(liveObj);
  json::value result;
  std::vector<Conflict> conflicts;
  Managed out =
      applyCore(liveValue, applied, *managed, options, options.force, &result, &conflicts);
  // kubectl taking over from client-side apply: conflicts on fields whose live value is still
  // what the last-applied annotation says are the client's own, so they are forced.
  if (!conflicts.empty() && options.manager == "kubectl") {
    if (auto allowed = allowedConflictsFromLastApplied(liveObj)) {
      std::vector<Conflict> remaining;
      for (auto& c : conflicts)
        if (!allowed->has(c.path))
          remaining.push_back(std::move(c));
      conflicts = std::move(remaining);
      if (conflicts.empty())
        out = applyCore(liveValue, applied, *managed, options, true, &result, &conflicts);
    }
  }
  if (!conflicts.empty())
    return fail(conflictError(conflicts, nameOf(live != nullptr ? *live : applied),
                              GroupResource{opts_.group, opts_.resource}));

  if (!root_.isDeduced())
    dropNullFields(result, root_);
  json::object object = result.is_object() ? std::move(result.get_object()) : json::object();
  if (options.manager == "kubectl" && hasLastApplied(object))
    setLastApplied(object, buildLastApplied(applied));
  setManagedFields(object, out);
  return object;
}

}  // namespace apiserver::apply
