#include "patch/strategic_merge_patch.h"

#include "golang/go_json.h"
#include "patch/errors.h"
#include "patch/go_sort.h"

#include <cstddef>
#include <initializer_list>
#include <optional>
#include <string>
#include <utility>
#include <vector>

// The algorithm follows k8s.io/apimachinery/pkg/util/strategicpatch (patch.go: mergeMap,
// mergePatchIntoOriginal, mergeSlice, normalizeElementOrder, ...) as the API server runs it
// (MergeParallelList and IgnoreUnmatchedNulls set), including its error texts. Two Go details
// shape the result and are reproduced on purpose:
//  - items are ordered with sort.SliceStable under a comparison that is not a strict weak order
//    (detail::goSliceStable);
//  - when a `$setElementOrder` list and its patch list are merged, kube orders the server-only
//    items against the live list *after* mergeSlice edited it in place through a shared Go slice
//    (deletions shift its cells left, appends fill the freed cells). AliasedList replays that.

namespace apiserver::patch {

namespace {

using schema::SchemaNode;

constexpr std::string_view kDirectiveMarker = "$patch";
constexpr std::string_view kDeleteDirective = "delete";
constexpr std::string_view kReplaceDirective = "replace";
constexpr std::string_view kMergeDirective = "merge";
constexpr std::string_view kRetainKeysStrategy = "retainKeys";
constexpr std::string_view kRetainKeysDirective = "$retainKeys";
constexpr std::string_view kDeleteFromPrimitiveListPrefix = "$deleteFromPrimitiveList";
constexpr std::string_view kSetElementOrderPrefix = "$setElementOrder";

// mergepatch's sentinel errors that handlers/patch.go answers with 400.
constexpr const char* kErrBadPrimitiveList = "invalid patch format of primitive list";
constexpr const char* kErrBadRetainKeys = "invalid patch format of retainKeys";
constexpr const char* kErrBadSetElementOrder = "invalid patch format of setElementOrder list";

constexpr std::string_view kMapType = "map[string]interface {}";
constexpr std::string_view kSliceType = "[]interface {}";

bool startsWith(std::string_view s, std::string_view prefix) {
  return s.substr(0, prefix.size()) == prefix;
}

/// isString tells whether `v` is the string `s` (Go compares an interface{} with a constant).
bool isString(const json::value* v, std::string_view s) {
  return v != nullptr && v->is_string() && v->get_string() == s;
}

/// errBadArgType is mergepatch.ErrBadArgType.
ApiError errBadArgType(std::string_view expected, const json::value& actual) {
  return unknownError("expected a " + std::string(expected) + ", but received a " +
                      std::string(golang::goTypeName(actual)));
}

/// errNoMergeKey is mergepatch.ErrNoMergeKey.
ApiError errNoMergeKey(const json::value& m, std::string_view key) {
  return unknownError("map: " + golang::goFormatV(m) +
                      " does not contain declared merge key: " + std::string(key));
}

/// errBadPatchType is mergepatch.ErrBadPatchType.
ApiError errBadPatchType(const json::value& directive, const json::value& m) {
  return unknownError("unknown patch type: " + golang::goFormatS(directive) +
                      " in map: " + golang::goFormatV(m));
}

/// extractKey is strategicpatch's extractKey: "<prefix>/<key>" -> "<key>"; nullopt when `s` is
/// not of that form (see badDirectiveFormat).
std::optional<std::string> extractKey(std::string_view s, std::string_view prefix) {
  std::size_t slash = s.find('/');
  if (slash == std::string_view::npos || s.substr(0, slash) != prefix)
    return std::nullopt;
  return std::string(s.substr(slash + 1));
}

/// badDirectiveFormat is extractKey's error: mergepatch's sentinel for the directive (400).
ApiError badDirectiveFormat(std::string_view prefix) {
  return ApiError::badRequest(prefix == kDeleteFromPrimitiveListPrefix ? kErrBadPrimitiveList
                                                                       : kErrBadSetElementOrder);
}

/// extractRetainKeysPatchStrategy splits off "retainKeys" and returns the other strategy;
/// nullopt when the combination is not one kube accepts (see unexpectedStrategy).
std::optional<std::string> extractRetainKeysPatchStrategy(
    const std::vector<std::string_view>& strategies) {
  switch (strategies.size()) {
    case 0:
      return std::string();
    case 1:
      return strategies[0] == kRetainKeysStrategy ? std::string() : std::string(strategies[0]);
    case 2:
      if (strategies[0] == kRetainKeysStrategy)
        return std::string(strategies[1]);
      if (strategies[1] == kRetainKeysStrategy)
        return std::string(strategies[0]);
      return std::nullopt;
    default:
      return std::nullopt;
  }
}

/// unexpectedStrategy is extractRetainKeysPatchStrategy's error ("unexpected patch strategy:
/// [merge replace]", Go's %v of a []string).
ApiError unexpectedStrategy(const std::vector<std::string_view>& strategies) {
  std::string list = "[";
  for (std::size_t i = 0; i < strategies.size(); ++i) {
    if (i)
      list += " ";
    list += std::string(strategies[i]);
  }
  return unknownError("unexpected patch strategy: " + list + "]");
}

/// elementSchema is what kube's slice lookup gives for a list field: its items, or the field
/// itself when the schema types it as an object (Go's pointer-to-struct case).
SchemaNode elementSchema(const SchemaNode& field) {
  switch (field.type()) {
    case schema::Type::Array:
      return field.items();
    case schema::Type::Object:
      return field;
    default:
      return {};
  }
}

/// schemaName is LookupPatchMeta.Name() of an element schema, as the struct-based lookup kube's
/// server uses would print it (reflect Kind of the element type).
std::string schemaName(const SchemaNode& elem) {
  if (elem.hasProperties())
    return "struct";
  if (!elem.additionalProperties().isUnknown())
    return "map";
  return "interface";
}

/// removeDirectives drops every object carrying `$patch` (and the field or item holding it)
/// from a value that is taken over as is. Returns false when `v` itself is such an object.
bool removeDirectives(json::value& v) {
  if (json::object* o = v.if_object()) {
    if (o->contains(kDirectiveMarker))
      return false;
    for (auto it = o->begin(); it != o->end();) {
      if (!removeDirectives(it->value())) {
        it = o->stable_erase(it);
      } else {
        ++it;
      }
    }
  } else if (json::array* a = v.if_array()) {
    json::array kept;
    kept.reserve(a->size());
    for (auto& e : *a)
      if (removeDirectives(e))
        kept.push_back(std::move(e));
    *a = std::move(kept);
  }
  return true;
}

/// discardNullValues drops null object members at every depth (array elements stay).
void discardNullValues(json::value& v) {
  if (json::object* o = v.if_object()) {
    for (auto it = o->begin(); it != o->end();) {
      if (it->value().is_null()) {
        it = o->stable_erase(it);
      } else {
        discardNullValues(it->value());
        ++it;
      }
    }
  } else if (json::array* a = v.if_array()) {
    for (auto& e : *a)
      discardNullValues(e);
  }
}

/// ElemKind is what a merged list holds: objects (merged by key) or scalars.
enum class ElemKind { Map, Scalar };

/// keyStub is the part of an object list item that ordering looks at: {mergeKey: value}.
json::value keyStub(const json::value& item, std::string_view mergeKey) {
  json::object stub;
  if (const json::object* o = item.if_object())
    if (const json::value* k = o->if_contains(mergeKey))
      stub[mergeKey] = *k;
  return stub;
}

/// AliasedList replays a Go slice that shares its backing array with the live list: removing an
/// item shifts the shared cells left, appending fills the first free cell while there is one,
/// and only then moves to an array of its own. Elements are ids into an item store.
class AliasedList {
 public:
  explicit AliasedList(std::size_t n) : cells_(n), len_(n) {
    for (std::size_t i = 0; i < n; ++i)
      cells_[i] = i;
  }
  std::size_t size() const { return shared_ ? len_ : own_.size(); }
  std::size_t at(std::size_t i) const { return shared_ ? cells_[i] : own_[i]; }
  void erase(std::size_t k) {
    if (!shared_) {
      own_.erase(own_.begin() + static_cast<std::ptrdiff_t>(k));
      return;
    }
    for (std::size_t t = k; t + 1 < len_; ++t)
      cells_[t] = cells_[t + 1];
    --len_;
  }
  void append(std::size_t id) {
    if (shared_) {
      if (len_ < cells_.size()) {
        cells_[len_++] = id;
        return;
      }
      own_.assign(cells_.begin(), cells_.begin() + static_cast<std::ptrdiff_t>(len_));
      shared_ = false;
    }
    own_.push_back(id);
  }
  void replace(std::vector<std::size_t> ids) {
    own_ = std::move(ids);
    shared_ = false;
  }
  std::vector<std::size_t> ids() const {
    std::vector<std::size_t> out;
    for (std::size_t i = 0; i < size(); ++i)
      out.push_back(at(i));
    return out;
  }
  /// cells is the live list as kube reads it afterwards (all of its original cells).
  const std::vector<std::size_t>& cells() const { return cells_; }

 private:
  std::vector<std::size_t> cells_;
  std::size_t len_;
  bool shared_ = true;
  std::vector<std::size_t> own_;
};

/// Merger applies one strategic merge patch, in place. Its steps return false on failure and
/// keep the first error (a Go runtime panic of kube's code, such as comparing two maps, included)
/// in error_: no Result values travel the recursive path, whose stack frames stay small.
class Merger {
 public:
  /// mergeMap merges `patch` into `original` (kube's mergeMap); `patch` is consumed.
  bool mergeMap(json::object& original, json::object& patch, const SchemaNode& schema);
  /// takeError is the failure after a step returned false.
  ApiError takeError() { return error_ ? std::move(*error_) : ApiError::internal("no error"); }

 private:
  bool fail(ApiError e) {
    if (!error_)
      error_ = std::move(e);
    return false;
  }
  bool ok() const { return !error_.has_value(); }
  // Failure helpers, out of line so that the recursive steps' frames hold no error temporaries.
  bool failNoMergeKey(const json::value& m, std::string_view key);
  bool failNotAMap(std::size_t index);
  bool failBadPatchType(const json::value& directive, const json::value& m);
  bool failUnexpectedStrategy(const std::vector<std::string_view>& strategies);
  bool failBadDirectiveFormat(std::string_view prefix);
  bool failNoMergeKeyForList(const SchemaNode& elem);
  bool failMergeListDirective();
  bool failBadArgType(std::string_view expected, const json::value& actual);
  bool checkElementType(const json::array& list, const json::array& patch, ElemKind& kind);

  bool mergeEntry(json::object& original, std::string key, json::value& patchV,
                  const SchemaNode& schema);
  bool applyRetainKeys(json::object& original, json::object& patch);
  bool mergePatchIntoOriginal(json::object& original, json::object& patch,
                              const SchemaNode& schema);
  bool mergeSetElementOrder(json::object& original, json::object& patch,
                            const std::string& directive, const SchemaNode& schema);
  bool validatePatchWithSetOrderList(const json::array& patchList, const json::array& setOrder,
                                     std::string_view mergeKey);
  bool mergeSliceHandler(json::array& list, json::array& patch, const SchemaNode& elem,
                         std::string_view strategy, std::string_view mergeKey, bool isDeleteList,
                         json::array* view);
  bool mergeSlice(json::array& list, json::array& patch, const SchemaNode& elem,
                  std::string_view mergeKey, bool isDeleteList, json::array* view);
  bool mergeScalarSlice(json::array& list, json::array& patch, std::string_view mergeKey,
                        bool isDeleteList, json::array* view);
  bool mergeMapSlice(json::array& list, json::array& patch, const SchemaNode& elem,
                     std::string_view mergeKey, json::array* view);
  std::optional<ElemKind> sliceElementType(std::initializer_list<const json::array*> lists,
                                           std::optional<ApiError>& error) const;
  bool partitionMaps(json::array& merged, const json::array& by, std::string_view mergeKey,
                     json::array& in, json::array& out);
  bool partitionPrimitives(json::array& merged, const json::array& by, json::array& in,
                           json::array& out);
  bool findMapByKey(const json::array& list, std::string_view mergeKey, const json::value& value,
                    bool& found);
  bool normalizeElementOrder(json::array& patch, json::array& serverOnly,
                             const json::array& patchOrder, const json::array& serverOrder,
                             std::string_view mergeKey, ElemKind kind, json::array& out);
  bool normalizeSliceOrder(json::array& toSort, const json::array& order, std::string_view mergeKey,
                           ElemKind kind);
  json::array mergeSortedSlice(json::array& left, json::array& right,
                               const json::array& serverOrder, std::string_view mergeKey,
                               ElemKind kind);
  std::ptrdiff_t index(const json::array& list, const json::value& value, std::string_view mergeKey,
                       ElemKind kind);
  bool equal(const json::value& a, const json::value& b);
  bool hashable(const json::value& v);

  std::optional<ApiError> error_;
};

bool Merger::equal(const json::value& a, const json::value& b) {
  switch (golang::goEqual(a, b)) {
    case golang::GoEquality::Equal:
      return true;
    case golang::GoEquality::NotEqual:
      return false;
    case golang::GoEquality::Uncomparable:
      fail(panicError("comparing uncomparable type " + std::string(golang::goTypeName(a))));
      return false;
  }
  return false;
}

bool Merger::hashable(const json::value& v) {
  if (!v.is_object() && !v.is_array())
    return true;
  return fail(panicError("hash of unhashable type " + std::string(golang::goTypeName(v))));
}

bool Merger::failNoMergeKey(const json::value& m, std::string_view key) {
  return fail(errNoMergeKey(m, key));
}

bool Merger::failNotAMap(std::size_t index) {
  return fail(unknownError("value for key " + std::to_string(index) + " is not a map"));
}

bool Merger::failBadPatchType(const json::value& directive, const json::value& m) {
  return fail(errBadPatchType(directive, m));
}

bool Merger::failUnexpectedStrategy(const std::vector<std::string_view>& strategies) {
  return fail(unexpectedStrategy(strategies));
}

bool Merger::failBadDirectiveFormat(std::string_view prefix) {
  return fail(badDirectiveFormat(prefix));
}

bool Merger::failNoMergeKeyForList(const SchemaNode& elem) {
  return fail(unknownError("cannot merge lists without merge key for " + schemaName(elem)));
}

bool Merger::failBadArgType(std::string_view expected, const json::value& actual) {
  return fail(errBadArgType(expected, actual));
}

bool Merger::failMergeListDirective() {
  return fail(unknownError("merging lists cannot yet be specified in the patch"));
}

bool Merger::checkElementType(const json::array& list, const json::array& patch, ElemKind& kind) {
  std::optional<ApiError> error;
  std::optional<ElemKind> k = sliceElementType({&list, &patch}, error);
  if (!k)
    return fail(std::move(*error));
  kind = *k;
  return true;
}

bool Merger::mergeMap(json::object& original, json::object& patch, const SchemaNode& schema) {
  if (const json::value* directive = patch.if_contains(kDirectiveMarker)) {
    if (isString(directive, kReplaceDirective)) {
      patch.stable_erase(kDirectiveMarker);
      original = std::move(patch);
      return true;
    }
    if (isString(directive, kDeleteDirective)) {
      original = json::object();
      return true;
    }
    return failBadPatchType(*directive, json::value(patch));
  }
  if (patch.contains(kRetainKeysDirective) && !applyRetainKeys(original, patch))
    return false;
  if (!mergePatchIntoOriginal(original, patch, schema))
    return false;
  for (auto& kv : patch)
    if (!mergeEntry(original, std::string(kv.key()), kv.value(), schema))
      return false;
  return true;
}

bool Merger::mergeEntry(json::object& original, std::string key, json::value& patchV,
                        const SchemaNode& schema) {
  bool isDeleteList = false;
  if (startsWith(key, kDeleteFromPrimitiveListPrefix)) {
    auto field = extractKey(key, kDeleteFromPrimitiveListPrefix);
    if (!field)
      return failBadDirectiveFormat(kDeleteFromPrimitiveListPrefix);
    isDeleteList = true;
    if (!field->empty())
      key = std::move(*field);
  }
  if (patchV.is_null()) {  // delete; an unmatched null is dropped (IgnoreUnmatchedNulls)
    original.stable_erase(key);
    return true;
  }
  json::value* orig = original.if_contains(key);
  if (orig == nullptr || golang::goTypeName(*orig) != golang::goTypeName(patchV)) {
    // Absent, or of another type: the patch value is taken, minus nulls and directives.
    if (isDeleteList)
      return true;
    discardNullValues(patchV);
    if (removeDirectives(patchV)) {
      original[key] = std::move(patchV);
    } else {
      original.stable_erase(key);
    }
    return true;
  }
  if (!orig->is_object() && !orig->is_array()) {
    *orig = std::move(patchV);  // a scalar replaces a scalar
    return true;
  }
  SchemaNode field = schema.field(key);
  auto strategy = extractRetainKeysPatchStrategy(field.patchStrategies());
  if (!strategy)
    return failUnexpectedStrategy(field.patchStrategies());
  if (orig->is_object()) {
    if (*strategy == kReplaceDirective) {
      *orig = std::move(patchV);
      return true;
    }
    return mergeMap(orig->get_object(), patchV.get_object(), field);
  }
  return mergeSliceHandler(orig->get_array(), patchV.get_array(), elementSchema(field), *strategy,
                           field.patchMergeKey(), isDeleteList, nullptr);
}

bool Merger::applyRetainKeys(json::object& original, json::object& patch) {
  json::value retain = std::move(patch[kRetainKeysDirective]);
  patch.stable_erase(kRetainKeysDirective);
  const json::array* list = retain.if_array();
  if (list == nullptr)
    return fail(ApiError::badRequest(kErrBadRetainKeys));
  for (const auto& v : *list)  // Go builds a map keyed by the list's values
    if (!hashable(v))
      return false;
  auto retained = [&](std::string_view key) {
    for (const auto& v : *list)
      if (v.is_string() && v.get_string() == key)
        return true;
    return false;
  };
  for (const auto& kv : patch) {
    if (kv.value().is_null() || startsWith(kv.key(), kDeleteFromPrimitiveListPrefix) ||
        startsWith(kv.key(), kSetElementOrderPrefix))
      continue;
    if (!retained(kv.key()))
      return fail(ApiError::badRequest(kErrBadRetainKeys));
  }
  for (auto it = original.begin(); it != original.end();) {
    if (!retained(it->key())) {
      it = original.stable_erase(it);
    } else {
      ++it;
    }
  }
  return true;
}

bool Merger::mergePatchIntoOriginal(json::object& original, json::object& patch,
                                    const SchemaNode& schema) {
  std::vector<std::string> directives;
  for (const auto& kv : patch)
    if (startsWith(kv.key(), kSetElementOrderPrefix))
      directives.emplace_back(kv.key());
  for (const std::string& directive : directives)
    if (!mergeSetElementOrder(original, patch, directive, schema))
      return false;
  return true;
}

bool Merger::mergeSetElementOrder(json::object& original, json::object& patch,
                                  const std::string& directive, const SchemaNode& schema) {
  json::value setOrderValue = std::move(patch[directive]);
  patch.stable_erase(directive);
  if (!setOrderValue.is_array())
    return failBadArgType(kSliceType, setOrderValue);
  const json::array& setOrder = setOrderValue.get_array();
  auto key = extractKey(directive, kSetElementOrderPrefix);
  if (!key)
    return failBadDirectiveFormat(kSetElementOrderPrefix);

  json::value* originalList = original.if_contains(*key);
  json::value* patchList = patch.if_contains(*key);
  if (originalList != nullptr && !originalList->is_array())
    return failBadArgType(kSliceType, *originalList);
  if (patchList != nullptr && !patchList->is_array())
    return failBadArgType(kSliceType, *patchList);

  SchemaNode field = schema.field(*key);
  auto strategy = extractRetainKeysPatchStrategy(field.patchStrategies());
  if (!strategy)
    return failUnexpectedStrategy(field.patchStrategies());
  std::string_view mergeKey = field.patchMergeKey();
  const json::array noItems;
  const json::array& patchItems = patchList != nullptr ? patchList->get_array() : noItems;
  if (!validatePatchWithSetOrderList(patchItems, setOrder, mergeKey))
    return false;
  if (originalList == nullptr && patchList == nullptr)
    return true;

  // kube reads the element type after merging, from the lists as they were given (merging does
  // not change their types): find it now, report it in kube's order.
  const json::array& originalItems = originalList != nullptr ? originalList->get_array() : noItems;
  std::optional<ApiError> kindError;
  std::optional<ElemKind> kind = sliceElementType({&originalItems, &patchItems}, kindError);

  json::array merged;
  json::array view;  // the live list as kube reads it after merging
  if (originalList != nullptr && patchList == nullptr) {
    merged = std::move(originalList->get_array());
    if (mergeKey.empty()) {
      view = merged;
    } else {  // only the keys matter for ordering (partitioning validates the items first)
      for (const auto& item : merged)
        view.push_back(keyStub(item, mergeKey));
    }
  } else if (originalList == nullptr) {
    removeDirectives(*patchList);  // never drops the list itself
    merged = std::move(patchList->get_array());
  } else {
    merged = std::move(originalList->get_array());
    if (!mergeSliceHandler(merged, patchList->get_array(), elementSchema(field), *strategy,
                           mergeKey, false, &view))
      return false;
  }

  json::array in;
  json::array out;
  bool parted = mergeKey.empty() ? partitionPrimitives(merged, setOrder, in, out)
                                 : partitionMaps(merged, setOrder, mergeKey, in, out);
  if (!parted)
    return false;
  if (!kind)
    return fail(std::move(*kindError));
  json::array both;
  if (!normalizeElementOrder(in, out, setOrder, view, mergeKey, *kind, both))
    return false;
  original[*key] = std::move(both);
  patch.stable_erase(*key);
  return true;
}

bool Merger::validatePatchWithSetOrderList(const json::array& patchList,
                                           const json::array& setOrder, std::string_view mergeKey) {
  if (setOrder.empty() || patchList.empty())
    return true;
  std::vector<const json::value*> nonDelete;
  for (const auto& item : patchList) {
    if (mergeKey.empty()) {
      nonDelete.push_back(&item);
      continue;
    }
    const json::object* o = item.if_object();
    if (o == nullptr)
      return failBadArgType(kMapType, item);
    if (!isString(o->if_contains(kDirectiveMarker), kDeleteDirective))
      nonDelete.push_back(&item);
  }
  std::size_t p = 0;
  std::size_t s = 0;
  while (p < nonDelete.size() && s < setOrder.size()) {
    const json::value& left = *nonDelete[p];
    if (const json::object* o = left.if_object(); o != nullptr && o->contains(kDirectiveMarker)) {
      ++p;
      continue;
    }
    const json::value& right = setOrder[s];
    bool same = false;
    if (mergeKey.empty()) {
      same = equal(left, right);
    } else {
      const json::object* l = left.if_object();
      const json::object* r = right.if_object();
      if (l == nullptr)
        return failBadArgType(kMapType, left);
      if (r == nullptr)
        return failBadArgType(kMapType, right);
      const json::value* lk = l->if_contains(mergeKey);
      if (lk == nullptr)
        return fail(errNoMergeKey(left, mergeKey));
      const json::value* rk = r->if_contains(mergeKey);
      if (rk == nullptr)
        return fail(errNoMergeKey(right, mergeKey));
      same = equal(*lk, *rk);
    }
    if (!ok())
      return false;
    if (same)
      ++p;
    ++s;
  }
  if (p < nonDelete.size() && s >= setOrder.size())
    return fail(unknownError("The order in patch list:\n" +
                             golang::goFormatV(json::value(patchList)) + "\n doesn't match " +
                             std::string(kSetElementOrderPrefix) + " list:\n" +
                             golang::goFormatV(json::value(setOrder)) + "\n"));
  return true;
}

bool Merger::mergeSliceHandler(json::array& list, json::array& patch, const SchemaNode& elem,
                               std::string_view strategy, std::string_view mergeKey,
                               bool isDeleteList, json::array* view) {
  // Delete lists are handled the same way whatever the field's strategy is.
  if (strategy == kMergeDirective || isDeleteList)
    return mergeSlice(list, patch, elem, mergeKey, isDeleteList, view);
  if (view != nullptr)
    *view = std::move(list);
  list = std::move(patch);  // replaced, verbatim
  return true;
}

std::optional<ElemKind> Merger::sliceElementType(std::initializer_list<const json::array*> lists,
                                                 std::optional<ApiError>& error) const {
  std::optional<std::string_view> first;
  for (const json::array* list : lists) {
    for (const auto& v : *list) {
      if (!first) {
        if (v.is_null()) {
          error = panicError("invalid memory address or nil pointer dereference");
          return std::nullopt;
        }
        if (v.is_array()) {
          error = patchInvalidError();  // mergepatch.ErrNoListOfLists, answered with 422
          return std::nullopt;
        }
        first = golang::goTypeName(v);
      } else if (golang::goTypeName(v) != *first) {
        json::array all;
        for (const json::array* l : lists)
          all.push_back(*l);
        error = unknownError("list element types are not identical: " +
                             golang::goFormatV(json::value(std::move(all))));
        return std::nullopt;
      }
    }
  }
  if (!first) {
    error = unknownError("no elements in any of the given slices");
    return std::nullopt;
  }
  return *first == kMapType ? ElemKind::Map : ElemKind::Scalar;
}

bool Merger::mergeSlice(json::array& list, json::array& patch, const SchemaNode& elem,
                        std::string_view mergeKey, bool isDeleteList, json::array* view) {
  if (list.empty() && patch.empty())
    return true;  // the live (empty) list stays
  ElemKind kind = ElemKind::Map;
  if (!checkElementType(list, patch, kind))
    return false;
  if (kind == ElemKind::Scalar)
    return mergeScalarSlice(list, patch, mergeKey, isDeleteList, view);
  if (mergeKey.empty())
    return failNoMergeKeyForList(elem);
  return mergeMapSlice(list, patch, elem, mergeKey, view);
}

bool Merger::mergeScalarSlice(json::array& list, json::array& patch, std::string_view mergeKey,
                              bool isDeleteList, json::array* view) {
  if (isDeleteList) {  // deleteFromSlice: keep what the parallel list does not name
    for (const auto& d : patch)
      if (!hashable(d))
        return false;
    json::array kept;
    for (const auto& v : list) {
      bool drop = false;
      for (const auto& d : patch)
        drop = drop || equal(v, d);
      if (!drop)
        kept.push_back(v);
    }
    if (!ok())
      return false;
    if (view != nullptr)
      *view = std::move(list);
    list = std::move(kept);
    return true;
  }
  // deduplicateScalars(append(original, patch...)): Go's in-place de-duplication, which moves
  // the last element into each duplicate's place. With nothing to append, append returns the
  // live slice itself, so the live list's cells are edited too (the view shows that).
  const bool inPlace = patch.empty();
  std::vector<json::value> s(list.begin(), list.end());
  s.insert(s.end(), patch.begin(), patch.end());
  std::ptrdiff_t length = static_cast<std::ptrdiff_t>(s.size()) - 1;
  for (std::ptrdiff_t i = 0; i < length; ++i) {
    for (std::ptrdiff_t j = i + 1; j <= length; ++j) {
      auto& sj = s[static_cast<std::size_t>(j)];
      if (equal(s[static_cast<std::size_t>(i)], sj)) {
        sj = s[static_cast<std::size_t>(length)];
        --length;
        --j;
      }
    }
  }
  if (!ok())
    return false;
  json::array merged;
  for (std::ptrdiff_t i = 0; i <= length; ++i)
    merged.push_back(s[static_cast<std::size_t>(i)]);
  json::array live;
  if (inPlace) {
    for (std::size_t i = 0; i < list.size(); ++i)
      live.push_back(s[i]);
  } else {
    live = std::move(list);
  }
  // Enforce the order: patch items by the patch, the others by the (possibly edited) live list.
  json::array in;
  json::array out;
  bool parted = mergeKey.empty() ? partitionPrimitives(merged, patch, in, out)
                                 : partitionMaps(merged, patch, mergeKey, in, out);
  if (!parted)
    return false;
  json::array ordered;
  if (!normalizeElementOrder(in, out, patch, live, mergeKey, ElemKind::Scalar, ordered))
    return false;
  list = std::move(ordered);
  if (view != nullptr)
    *view = std::move(live);
  return true;
}

bool Merger::mergeMapSlice(json::array& list, json::array& patch, const SchemaNode& elem,
                           std::string_view mergeKey, json::array* view) {
  // Item store: the live items first (ids 0..n-1), then patch items as they are appended.
  std::vector<json::value> items(std::make_move_iterator(list.begin()),
                                 std::make_move_iterator(list.end()));
  AliasedList live(items.size());

  // mergeSliceWithSpecialElements: `$patch: delete` items delete every item with their key,
  // `$patch: replace` makes the patch's plain items the whole list.
  json::array plain;
  bool replace = false;
  for (auto& v : patch) {
    const json::object& item = v.get_object();  // sliceElementType made sure these are objects
    const json::value* directive = item.if_contains(kDirectiveMarker);
    if (directive == nullptr) {
      plain.push_back(std::move(v));
      continue;
    }
    if (isString(directive, kDeleteDirective)) {
      const json::value* key = item.if_contains(mergeKey);
      if (key == nullptr)
        return failNoMergeKey(v, mergeKey);
      while (true) {  // deleteMatchingEntries
        std::optional<std::size_t> hit;
        for (std::size_t k = 0; k < live.size() && !hit; ++k) {
          const json::object* o = items[live.at(k)].if_object();
          if (o == nullptr)
            return failNotAMap(k);
          const json::value* candidate = o->if_contains(mergeKey);
          if (candidate != nullptr && equal(*candidate, *key))
            hit = k;
        }
        if (!ok())
          return false;
        if (!hit)
          break;
        live.erase(*hit);
      }
    } else if (isString(directive, kReplaceDirective)) {
      replace = true;  // keep going: the other `$patch` items are still applied or pruned
    } else if (isString(directive, kMergeDirective)) {
      return failMergeListDirective();
    } else {
      return failBadPatchType(*directive, v);
    }
  }
  if (replace) {
    std::vector<std::size_t> ids;
    for (auto& v : plain) {
      ids.push_back(items.size());
      items.push_back(std::move(v));
    }
    live.replace(std::move(ids));
    plain.clear();
  }
  // kube orders the server-only items by the list as it stands after the special items.
  const std::vector<std::size_t> serverOrderIds = live.ids();

  // mergeSliceWithoutSpecialElements: merge into the item with the same key, or append.
  json::array patchOrder;
  for (auto& v : plain) {
    const json::value* key = v.get_object().if_contains(mergeKey);
    if (key == nullptr)
      return failNoMergeKey(v, mergeKey);
    patchOrder.push_back(keyStub(v, mergeKey));
    std::optional<std::size_t> hit;
    for (std::size_t k = 0; k < live.size() && !hit; ++k) {
      const json::object* o = items[live.at(k)].if_object();
      if (o == nullptr)
        return failNotAMap(k);
      const json::value* candidate = o->if_contains(mergeKey);
      if (candidate != nullptr && equal(*candidate, *key))
        hit = k;
    }
    if (!ok())
      return false;
    if (hit) {
      json::value& target = items[live.at(*hit)];
      if (!mergeMap(target.get_object(), v.get_object(), elem))
        return false;
    } else {
      live.append(items.size());
      items.push_back(std::move(v));
    }
  }

  json::array serverOrder;
  for (std::size_t id : serverOrderIds)
    serverOrder.push_back(keyStub(items[id], mergeKey));
  if (view != nullptr) {
    view->clear();
    for (std::size_t id : live.cells())
      view->push_back(keyStub(items[id], mergeKey));
  }
  json::array merged;
  for (std::size_t id : live.ids())
    merged.push_back(std::move(items[id]));  // ids in the list are distinct

  json::array in;
  json::array out;
  if (!partitionMaps(merged, patchOrder, mergeKey, in, out))
    return false;
  json::array ordered;
  if (!normalizeElementOrder(in, out, patchOrder, serverOrder, mergeKey, ElemKind::Map, ordered))
    return false;
  list = std::move(ordered);
  return true;
}

bool Merger::findMapByKey(const json::array& list, std::string_view mergeKey,
                          const json::value& value, bool& found) {
  found = false;
  for (std::size_t k = 0; k < list.size(); ++k) {
    const json::object* o = list[k].if_object();
    if (o == nullptr)
      return failNotAMap(k);
    const json::value* candidate = o->if_contains(mergeKey);
    if (candidate != nullptr && equal(*candidate, value)) {
      found = true;
      break;
    }
  }
  return ok();
}

bool Merger::partitionMaps(json::array& merged, const json::array& by, std::string_view mergeKey,
                           json::array& in, json::array& out) {
  for (auto& v : merged) {
    const json::object* o = v.if_object();
    if (o == nullptr)
      return failBadArgType(kMapType, v);
    const json::value* key = o->if_contains(mergeKey);
    if (key == nullptr)
      return failNoMergeKey(v, mergeKey);
    bool found = false;
    if (!findMapByKey(by, mergeKey, *key, found))
      return false;
    (found ? in : out).push_back(std::move(v));
  }
  return true;
}

bool Merger::partitionPrimitives(json::array& merged, const json::array& by, json::array& in,
                                 json::array& out) {
  for (const auto& b : by)
    if (!hashable(b))
      return false;
  for (auto& v : merged) {
    if (!hashable(v))
      return false;
    bool found = false;
    for (const auto& b : by)
      found = found || equal(v, b);
    (found ? in : out).push_back(std::move(v));
  }
  return ok();
}

bool Merger::normalizeElementOrder(json::array& patch, json::array& serverOnly,
                                   const json::array& patchOrder, const json::array& serverOrder,
                                   std::string_view mergeKey, ElemKind kind, json::array& out) {
  if (!normalizeSliceOrder(patch, patchOrder, mergeKey, kind))
    return false;
  if (!normalizeSliceOrder(serverOnly, serverOrder, mergeKey, kind))
    return false;
  out = mergeSortedSlice(serverOnly, patch, serverOrder, mergeKey, kind);
  return ok();
}

bool Merger::normalizeSliceOrder(json::array& toSort, const json::array& order,
                                 std::string_view mergeKey, ElemKind kind) {
  json::array toDelete;
  if (kind == ElemKind::Map) {
    for (const json::array* list : {static_cast<const json::array*>(&toSort), &order}) {
      for (const auto& item : *list) {  // validateMergeKeyInLists
        const json::object* o = item.if_object();
        if (o == nullptr)
          return failBadArgType(kMapType, item);
        if (!o->contains(mergeKey))
          return fail(errNoMergeKey(item, mergeKey));
      }
    }
    json::array keep;
    for (auto& item : toSort) {  // extractToDeleteItems
      if (isString(item.get_object().if_contains(kDirectiveMarker), kDeleteDirective)) {
        toDelete.push_back(std::move(item));
      } else {
        keep.push_back(std::move(item));
      }
    }
    toSort = std::move(keep);
  }
  detail::goSliceStable(
      toSort.size(),
      [&](std::size_t i, std::size_t j) {
        std::ptrdiff_t ii = index(order, toSort[i], mergeKey, kind);
        if (ii >= 0) {
          std::ptrdiff_t ij = index(order, toSort[j], mergeKey, kind);
          if (ij >= 0)
            return ii < ij;
        }
        return true;
      },
      [&](std::size_t i, std::size_t j) { std::swap(toSort[i], toSort[j]); });
  if (!ok())
    return false;
  for (auto& d : toDelete)
    toSort.push_back(std::move(d));
  return true;
}

json::array Merger::mergeSortedSlice(json::array& left, json::array& right,
                                     const json::array& serverOrder, std::string_view mergeKey,
                                     ElemKind kind) {
  json::array out;
  out.reserve(left.size() + right.size());
  std::size_t i = 0;
  std::size_t j = 0;
  const std::size_t size = left.size() + right.size();
  for (std::size_t k = 0; k < size; ++k) {
    if (i >= left.size() && j < right.size()) {
      out.push_back(std::move(right[j++]));
    } else if (j >= right.size() && i < left.size()) {
      out.push_back(std::move(left[i++]));
    } else {
      // left[i] goes first only when both are in the live list and it comes earlier there.
      std::ptrdiff_t li = index(serverOrder, left[i], mergeKey, kind);
      std::ptrdiff_t ri = index(serverOrder, right[j], mergeKey, kind);
      if (li >= 0 && ri >= 0 && li < ri) {
        out.push_back(std::move(left[i++]));
      } else {
        out.push_back(std::move(right[j++]));
      }
    }
  }
  return out;
}

std::ptrdiff_t Merger::index(const json::array& list, const json::value& value,
                             std::string_view mergeKey, ElemKind kind) {
  static const json::value kNil;  // Go's nil interface: a missing key or a non-map item
  auto keyOf = [&](const json::value& item) -> const json::value& {
    if (kind != ElemKind::Map)
      return item;
    const json::object* o = item.if_object();
    if (o == nullptr)
      return kNil;
    const json::value* k = o->if_contains(mergeKey);
    return k != nullptr ? *k : kNil;
  };
  const json::value& wanted = keyOf(value);
  for (std::size_t i = 0; i < list.size(); ++i)
    if (equal(wanted, keyOf(list[i])))
      return static_cast<std::ptrdiff_t>(i);
  return -1;
}

}  // namespace

Result<json::value> applyStrategicMergePatch(const json::value& doc, const json::value& patch,
                                             const SchemaNode& schema) {
  if (patch.is_null())
    return doc;  // Go decodes `null` into a nil map: nothing to merge
  if (!patch.is_object())
    return fail(ApiError::badRequest("json: cannot unmarshal " +
                                     std::string(golang::goJsonKind(patch)) +
                                     " into Go value of type map[string]interface {}"));
  if (!doc.is_object())
    return fail(ApiError::internal("the object to patch is not a JSON object"));
  json::object merged = doc.get_object();
  json::object consumed = patch.get_object();
  Merger merger;
  if (!merger.mergeMap(merged, consumed, schema))
    return fail(merger.takeError());
  return json::value(std::move(merged));
}

Result<json::value> applyStrategicMergePatchBody(const json::value& doc, std::string_view body,
                                                 const SchemaNode& schema) {
  auto parsed = golang::parseJson(body);
  if (!parsed)
    return fail(ApiError::badRequest(std::move(parsed).error()));
  return applyStrategicMergePatch(doc, *parsed, schema);
}

}  // namespace apiserver::patch
