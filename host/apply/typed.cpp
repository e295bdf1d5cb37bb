#include "apply/typed.h"

#include <apiserver/object.h>

#include "golang/go_json.h"
#include "golang/go_text.h"

#include <boost/container/small_vector.hpp>
#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>

#include <algorithm>
#include <map>
#include <utility>

namespace apiserver::apply {

namespace {

/// kMaxDepth bounds recursion along values and schemas (objects are far shallower).
constexpr int kMaxDepth = 256;

bool isScalar(const json::value& v) {
  return v.is_string() || v.is_int64() || v.is_uint64() || v.is_double() || v.is_bool();
}

/// Atom is the shape a type takes for one value (structured-merge-diff's deduceAtom).
enum class Atom { None, Scalar, List, Map };

Atom atomFor(const TypeRef& t, const json::value* v) {
  if (v != nullptr) {
    if (isScalar(*v) && t.allowsScalar())
      return Atom::Scalar;
    if (v->is_array() && t.allowsList())
      return Atom::List;
    if (v->is_object() && t.allowsMap())
      return Atom::Map;
  }
  // null, absent or not allowed: the type's first shape (kube tries map, scalar, list).
  if (t.allowsMap())
    return Atom::Map;
  if (t.allowsScalar())
    return Atom::Scalar;
  if (t.allowsList())
    return Atom::List;
  return Atom::None;
}

/// fits tells whether a value can be walked as `atom` (null fits every shape).
bool fits(Atom atom, const json::value* v) {
  if (v == nullptr || v->is_null())
    return true;
  switch (atom) {
    case Atom::Scalar:
      return isScalar(*v);
    case Atom::List:
      return v->is_array();
    case Atom::Map:
      return v->is_object();
    case Atom::None:
      return false;
  }
  return false;
}

const json::array* listOf(const json::value* v) {
  return v != nullptr ? v->if_array() : nullptr;
}
const json::object* mapOf(const json::value* v) {
  return v != nullptr ? v->if_object() : nullptr;
}

/// memberType is the type of a map entry, deduced where the schema allows none (live objects
/// may carry fields their schema does not declare).
TypeRef memberType(const TypeRef& t, std::string_view key) {
  auto ft = t.fieldType(key);
  return ft ? *ft : TypeRef::deduced();
}

/// ItemRef is a list item's path element by reference into the item (a map list's key fields,
/// a set's value) or by position: what listItemElement builds, without copying anything.
struct ItemRef {
  PathElement::Kind kind = PathElement::Kind::Index;
  boost::container::small_vector<KeyFieldView, 2> key;  ///< Key: the fields, sorted by name
  const json::value* value = nullptr;                   ///< Value: the item
  std::size_t index = 0;                                ///< Index: the position

  int compare(const ItemRef& other) const {
    if (kind != other.kind)
      return static_cast<int>(kind) < static_cast<int>(other.kind) ? -1 : 1;
    switch (kind) {
      case PathElement::Kind::Key:
        return compareKeyFields(key, other.key);
      case PathElement::Kind::Value:
        return compareValues(*value, *other.value);
      default:
        return index < other.index ? -1 : (index > other.index ? 1 : 0);
    }
  }
  void appendSerialized(std::string& out) const {
    switch (kind) {
      case PathElement::Kind::Key:
        appendKeyFields(out, key);
        return;
      case PathElement::Kind::Value:
        out.append("v:");
        golang::appendGoMarshal(out, *value);
        return;
      default:
        out.append("i:").append(std::to_string(index));
    }
  }
  /// element is the PathElement this refers to (a copy).
  PathElement element() const {
    switch (kind) {
      case PathElement::Kind::Key: {
        std::vector<KeyField> fields;
        fields.reserve(key.size());
        for (const auto& f : key)
          fields.push_back(KeyField{std::string(f.name), *f.value});
        return PathElement::key(std::move(fields));
      }
      case PathElement::Kind::Value:
        return PathElement::value(*value);
      default:
        return PathElement::index(static_cast<std::int64_t>(index));
    }
  }
};

/// listItemRef is the path element of a list item (kube's listItemToPathElement), by reference.
std::optional<ItemRef> listItemRef(const TypeRef& list, const json::value& item, std::size_t index,
                                   std::string* error) {
  ItemRef out;
  switch (list.listKind()) {
    case ListKind::Map: {
      if (item.is_null()) {
        *error = "associative list with keys may not have a null element";
        return std::nullopt;
      }
      const json::object* m = item.if_object();
      if (m == nullptr) {
        *error = "associative list with keys may not have non-map elements";
        return std::nullopt;
      }
      out.kind = PathElement::Kind::Key;
      for (const std::string_view name : list.listKeys()) {
        if (const json::value* v = apiserver::member(*m, name)) {
          out.key.push_back(KeyFieldView{name, v});
        } else if (const json::value* def = list.keyDefault(name)) {
          out.key.push_back(KeyFieldView{name, def});
        } else {
          *error = "associative list with keys has an element that omits key field " +
                   golang::goQuote(name) + " (and doesn't have default value)";
          return std::nullopt;
        }
      }
      std::stable_sort(
          out.key.begin(), out.key.end(),
          [](const KeyFieldView& a, const KeyFieldView& b) { return a.name < b.name; });
      return out;
    }
    case ListKind::Set:
      if (item.is_object()) {
        *error = "associative list without keys has an element that's a map type";
        return std::nullopt;
      }
      if (item.is_array()) {
        *error = "not supported: associative list with lists as elements";
        return std::nullopt;
      }
      if (item.is_null()) {
        *error = "associative list without keys has an element that's an explicit null";
        return std::nullopt;
      }
      out.kind = PathElement::Kind::Value;
      out.value = &item;
      return out;
    case ListKind::Atomic:
      break;
  }
  out.index = index;
  return out;
}

/// listItemElement is listItemRef's element, copied out of the item.
std::optional<PathElement> listItemElement(const TypeRef& list, const json::value& item,
                                           std::size_t index, std::string* error) {
  auto ref = listItemRef(list, item, index, error);
  if (!ref)
    return std::nullopt;
  return ref->element();
}

/// IndexedList is a list's items by path element, in order, first occurrence kept.
struct IndexedList {
  std::vector<PathElement> order;
  std::map<PathElement, const json::value*> items;
};

IndexedList indexList(const TypeRef& t, const json::array* list) {
  IndexedList out;
  if (list == nullptr)
    return out;
  for (std::size_t i = 0; i < list->size(); ++i) {
    std::string error;
    auto pe = listItemElement(t, (*list)[i], i, &error);
    if (!pe || out.items.count(*pe) != 0)
      continue;  // live objects: unusable or repeated items are skipped
    out.items.emplace(*pe, &(*list)[i]);
    out.order.push_back(std::move(*pe));
  }
  return out;
}

// --- toFieldSet ---
//
// The walks build sets level by level: a node is recorded as a member of its parent's set under
// its own element (the root has none: nobody owns the whole object), and the members below it go
// into a subset that is attached to the parent when not empty.

void markMember(FieldSet& parent, const PathElement* element) {
  if (element != nullptr)
    parent.insertMember(*element);
}

void toFieldSetWalk(const json::value& v, const TypeRef& t, const PathElement* element,
                    FieldSet& parent, int depth) {
  if (depth > kMaxDepth)
    return;
  const Atom atom = atomFor(t, &v);
  if (!fits(atom, &v))
    return;
  FieldSet sub;
  FieldSet& into = element != nullptr ? sub : parent;
  switch (atom) {
    case Atom::None:
      return;
    case Atom::Scalar:
      markMember(parent, element);
      return;
    case Atom::List: {
      if (t.listKind() == ListKind::Atomic) {
        markMember(parent, element);
        return;
      }
      const json::array* list = v.if_array();
      if (list == nullptr)
        return;
      const TypeRef elem = t.elementType();
      for (std::size_t i = 0; i < list->size(); ++i) {
        std::string error;
        auto pe = listItemElement(t, (*list)[i], i, &error);
        if (!pe)
          continue;
        toFieldSetWalk((*list)[i], elem, &*pe, into, depth + 1);
        into.insertMember(*pe);
      }
      break;
    }
    case Atom::Map: {
      if (t.mapIsAtomic()) {
        markMember(parent, element);
        return;
      }
      const json::object* m = v.if_object();
      if (m == nullptr)
        return;
      for (const auto& kv : *m) {
        const PathElement pe = PathElement::field(std::string(kv.key()));
        toFieldSetWalk(kv.value(), memberType(t, kv.key()), &pe, into, depth + 1);
        if (!t.declares(kv.key()))
          into.insertMember(pe);
      }
      break;
    }
  }
  if (element != nullptr)
    parent.setChild(*element, std::move(sub));
}

// --- compare ---

struct Comparer {
  static void leaf(const json::value* lhs, const json::value* rhs, const PathElement* element,
                   Comparison& parent) {
    if (lhs == nullptr) {
      markMember(parent.added, element);
    } else if (rhs == nullptr) {
      markMember(parent.removed, element);
    } else if (!equalValues(*lhs, *rhs)) {
      markMember(parent.modified, element);
    }
  }

  static void attach(Comparison& parent, const PathElement& element, Comparison sub) {
    parent.removed.setChild(element, std::move(sub.removed));
    parent.modified.setChild(element, std::move(sub.modified));
    parent.added.setChild(element, std::move(sub.added));
  }

  void walk(const json::value* lhs, const json::value* rhs, const TypeRef& t,
            const PathElement* element, Comparison& parent, int depth) {
    if (lhs == nullptr && rhs != nullptr) {
      added(*rhs, t, element, parent.added, depth);
      return;
    }
    if (depth > kMaxDepth) {
      leaf(lhs, rhs, element, parent);
      return;
    }
    const Atom al = lhs != nullptr ? atomFor(t, lhs) : Atom::None;
    const Atom ar = rhs != nullptr ? atomFor(t, rhs) : Atom::None;
    Atom atom = rhs == nullptr ? al : ar;
    const bool mismatch = lhs != nullptr && rhs != nullptr && al != ar;
    if (mismatch || !fits(atom, lhs) || !fits(atom, rhs) || atom == Atom::None ||
        atom == Atom::Scalar) {
      leaf(lhs, rhs, element, parent);
      return;
    }
    Comparison sub;
    Comparison& into = element != nullptr ? sub : parent;
    bool inLeaf = false;
    if (atom == Atom::List) {
      const json::array* l = listOf(lhs);
      const json::array* r = listOf(rhs);
      const bool emptyBoth = (l == nullptr || l->empty()) && (r == nullptr || r->empty());
      if (t.listKind() == ListKind::Atomic || emptyBoth) {
        leaf(lhs, rhs, element, parent);
        inLeaf = true;
      } else {
        visitList(t, l, r, into, depth);
      }
    } else {
      const json::object* l = mapOf(lhs);
      const json::object* r = mapOf(rhs);
      const bool emptyBoth = (l == nullptr || l->empty()) && (r == nullptr || r->empty());
      if (t.mapIsAtomic() || emptyBoth) {
        leaf(lhs, rhs, element, parent);
        inLeaf = true;
      } else {
        visitMap(t, l, r, into, depth);
      }
    }
    if (element != nullptr)
      attach(parent, *element, std::move(sub));
    if (!inLeaf) {
      if (lhs == nullptr) {
        markMember(parent.added, element);
      } else if (rhs == nullptr) {
        markMember(parent.removed, element);
      }
    }
  }

  /// added is walk(nullptr, &rhs, ...): a value only the right side has, everything in it added.
  /// The one set it builds is the `added` of walk's three; the other two stay empty.
  void added(const json::value& rhs, const TypeRef& t, const PathElement* element, FieldSet& parent,
             int depth) {
    const Atom atom = atomFor(t, &rhs);
    if (depth > kMaxDepth || !fits(atom, &rhs) || atom == Atom::None || atom == Atom::Scalar) {
      markMember(parent, element);
      return;
    }
    FieldSet sub;
    FieldSet& into = element != nullptr ? sub : parent;
    if (atom == Atom::List) {
      const json::array* r = rhs.if_array();
      if (t.listKind() == ListKind::Atomic || r == nullptr || r->empty()) {
        markMember(parent, element);
        return;
      }
      const TypeRef elem = t.elementType();
      IndexedList items = indexList(t, r);
      for (const auto& pe : items.order)
        added(*items.items.at(pe), elem, &pe, into, depth + 1);
    } else {
      const json::object* r = rhs.if_object();
      if (t.mapIsAtomic() || r == nullptr || r->empty()) {
        markMember(parent, element);
        return;
      }
      for (const auto& kv : *r) {
        const PathElement pe = PathElement::field(std::string(kv.key()));
        added(kv.value(), memberType(t, kv.key()), &pe, into, depth + 1);
      }
    }
    if (element != nullptr) {
      parent.setChild(*element, std::move(sub));
      parent.insertMember(*element);
    }
  }

  void visitList(const TypeRef& t, const json::array* l, const json::array* r, Comparison& into,
                 int depth) {
    const TypeRef elem = t.elementType();
    IndexedList lhs = indexList(t, l);
    IndexedList rhs = indexList(t, r);
    for (const auto& pe : rhs.order) {
      auto it = lhs.items.find(pe);
      walk(it != lhs.items.end() ? it->second : nullptr, rhs.items.at(pe), elem, &pe, into,
           depth + 1);
    }
    for (const auto& pe : lhs.order) {
      if (rhs.items.count(pe) != 0)
        continue;
      walk(lhs.items.at(pe), nullptr, elem, &pe, into, depth + 1);
    }
  }

  void visitMap(const TypeRef& t, const json::object* l, const json::object* r, Comparison& into,
                int depth) {
    if (l != nullptr) {
      for (const auto& kv : *l) {
        const PathElement pe = PathElement::field(std::string(kv.key()));
        walk(&kv.value(), r != nullptr ? r->if_contains(kv.key()) : nullptr,
             memberType(t, kv.key()), &pe, into, depth + 1);
      }
    }
    if (r != nullptr) {
      for (const auto& kv : *r) {
        if (l != nullptr && l->contains(kv.key()))
          continue;
        const PathElement pe = PathElement::field(std::string(kv.key()));
        walk(nullptr, &kv.value(), memberType(t, kv.key()), &pe, into, depth + 1);
      }
    }
  }
};

// --- changedFieldsV1 ---
//
// The FieldsV1 of a comparison's added and modified fields, written during the walk with
// Comparer's rules instead of being built as sets and encoded afterwards. A node's shape is
// known before its children are walked: nothing (equal leaves), a member without children
// (`{}`), or a container whose children follow — itself a member when it was added (`"."`).

class ChangedFieldsWriter {
 public:
  explicit ChangedFieldsWriter(json::storage_ptr sp) : sp_(std::move(sp)) {}

  /// Filter is what `ignored` (members with everything below them) and `strip` (members only)
  /// say below a node; nullptr: nothing.
  struct Filter {
    const FieldSet* ignored = nullptr;
    const FieldSet* strip = nullptr;
  };

  /// mapChildren writes the changes of a map's entries (visitMap; `l` nullptr: all added).
  void mapChildren(const json::object* l, const json::object* r, const TypeRef& t, Filter below,
                   json::object& out, int depth) {
    if (r == nullptr)
      return;  // entries only the left side has are removed, not written
    boost::container::small_vector<const json::key_value_pair*, 16> entries;
    for (const auto& kv : *r)
      entries.push_back(&kv);
    std::sort(entries.begin(), entries.end(),
              [](const json::key_value_pair* a, const json::key_value_pair* b) {
                return nameLess(a->key(), b->key());
              });
    out.reserve(out.size() + entries.size());
    for (const json::key_value_pair* kv : entries) {
      const std::string_view name = kv->key();
      if (below.ignored != nullptr && below.ignored->hasField(name))
        continue;
      const Filter filter{below.ignored != nullptr ? below.ignored->fieldChild(name) : nullptr,
                          below.strip != nullptr ? below.strip->fieldChild(name) : nullptr};
      const bool stripped = below.strip != nullptr && below.strip->hasField(name);
      node(
          l != nullptr ? member(*l, name) : nullptr, kv->value(), memberType(t, name), stripped,
          filter, out, [&] { key_.assign("f:").append(name); }, depth + 1);
    }
  }

 private:
  enum class Shape { Nothing, Member, Map, List };

  /// shapeOf is how the change from `lhs` (nullptr: absent) to `rhs` is written; `member` tells
  /// whether a container is itself a member (added).
  static Shape shapeOf(const json::value* lhs, const json::value& rhs, const TypeRef& t, int depth,
                       bool* member) {
    *member = lhs == nullptr;
    if (lhs == nullptr) {  // Comparer::added
      const Atom atom = atomFor(t, &rhs);
      if (depth > kMaxDepth || !fits(atom, &rhs) || atom == Atom::None || atom == Atom::Scalar)
        return Shape::Member;
      if (atom == Atom::List) {
        const json::array* r = rhs.if_array();
        return t.listKind() == ListKind::Atomic || r == nullptr || r->empty() ? Shape::Member
                                                                              : Shape::List;
      }
      const json::object* r = rhs.if_object();
      return t.mapIsAtomic() || r == nullptr || r->empty() ? Shape::Member : Shape::Map;
    }
    auto leaf = [&] {  // Comparer::leaf
      return equalValues(*lhs, rhs) ? Shape::Nothing : Shape::Member;
    };
    if (depth > kMaxDepth)
      return leaf();
    const Atom al = atomFor(t, lhs);
    const Atom ar = atomFor(t, &rhs);
    if (al != ar || !fits(ar, lhs) || !fits(ar, &rhs) || ar == Atom::None || ar == Atom::Scalar)
      return leaf();
    if (ar == Atom::List) {
      const json::array* l = listOf(lhs);
      const json::array* r = rhs.if_array();
      const bool emptyBoth = (l == nullptr || l->empty()) && (r == nullptr || r->empty());
      return t.listKind() == ListKind::Atomic || emptyBoth ? leaf() : Shape::List;
    }
    const json::object* l = mapOf(lhs);
    const json::object* r = rhs.if_object();
    const bool emptyBoth = (l == nullptr || l->empty()) && (r == nullptr || r->empty());
    return t.mapIsAtomic() || emptyBoth ? leaf() : Shape::Map;
  }

  /// node writes one element's change into `out` under the key `makeKey` leaves in key_
  /// (called after the children, which use key_ too).
  template <class MakeKey>
  void node(const json::value* lhs, const json::value& rhs, const TypeRef& t, bool stripped,
            Filter below, json::object& out, const MakeKey& makeKey, int depth) {
    bool member = false;
    const Shape shape = shapeOf(lhs, rhs, t, depth, &member);
    if (shape == Shape::Nothing)
      return;
    if (shape == Shape::Member) {
      if (stripped)
        return;
      makeKey();
      out.emplace(key_, json::object_kind);  // made in place, in out's memory
      return;
    }
    member = member && !stripped;
    json::object sub(sp_);
    // Room for "." and every child, so that the children's writes do not regrow it.
    const json::object* rmap = rhs.if_object();
    const json::array* rlist = rhs.if_array();  // either may be null: a null replacing a value
    sub.reserve((rmap != nullptr ? rmap->size() : rlist != nullptr ? rlist->size() : 0) + 1);
    if (member)
      sub.emplace(".", json::object_kind);
    if (shape == Shape::Map) {
      mapChildren(mapOf(lhs), rmap, t, below, sub, depth);
    } else {
      listChildren(listOf(lhs), rlist, t, below, sub, depth);
    }
    if (sub.size() == (member ? 1U : 0U)) {
      if (!member)
        return;  // nothing changed below a container that was already there
      sub.clear();
    }
    makeKey();
    out.emplace(key_, std::move(sub));
  }

  /// listChildren writes the changes of a list's items (visitList; `l` nullptr: all added), in
  /// element order, the first of equal items kept.
  void listChildren(const json::array* l, const json::array* r, const TypeRef& t, Filter below,
                    json::object& out, int depth) {
    if (r == nullptr)
      return;
    struct Item {
      ItemRef ref;
      const json::value* value;
    };
    auto itemsOf = [&](const json::array& list) {
      std::vector<Item> items;
      items.reserve(list.size());
      std::string error;
      for (std::size_t i = 0; i < list.size(); ++i)
        if (auto ref = listItemRef(t, list[i], i, &error))
          items.push_back(Item{std::move(*ref), &list[i]});
      return items;
    };
    std::vector<Item> items = itemsOf(*r);
    std::stable_sort(items.begin(), items.end(),
                     [](const Item& a, const Item& b) { return a.ref.compare(b.ref) < 0; });
    const std::vector<Item> lhsItems = l != nullptr ? itemsOf(*l) : std::vector<Item>{};
    const TypeRef elem = t.elementType();
    out.reserve(out.size() + items.size());
    for (std::size_t i = 0; i < items.size(); ++i) {
      const ItemRef& ref = items[i].ref;
      if (i > 0 && items[i - 1].ref.compare(ref) == 0)
        continue;  // a repeated item: the first one counts
      Filter filter;
      bool stripped = false;
      if (below.ignored != nullptr || below.strip != nullptr) {  // filters name items rarely
        const PathElement pe = ref.element();
        if (below.ignored != nullptr && below.ignored->hasMember(pe))
          continue;
        filter = Filter{below.ignored != nullptr ? below.ignored->child(pe) : nullptr,
                        below.strip != nullptr ? below.strip->child(pe) : nullptr};
        stripped = below.strip != nullptr && below.strip->hasMember(pe);
      }
      auto match = std::find_if(lhsItems.begin(), lhsItems.end(),
                                [&](const Item& li) { return li.ref.compare(ref) == 0; });
      node(
          match != lhsItems.end() ? match->value : nullptr, *items[i].value, elem, stripped, filter,
          out,
          [&] {
            key_.clear();
            ref.appendSerialized(key_);
          },
          depth + 1);
    }
  }

  json::storage_ptr sp_;
  std::string key_;  // scratch for element keys
};

// --- merge ---

json::value mergeWalk(const json::value* lhs, const json::value* rhs, const TypeRef& t, int depth);

json::value mergeLists(const TypeRef& t, const json::array* l, const json::array* r, int depth) {
  const TypeRef elem = t.elementType();
  IndexedList lhs = indexList(t, l);
  IndexedList rhs = indexList(t, r);
  auto inLhs = [&](const PathElement& pe) { return lhs.items.count(pe) != 0; };
  auto inRhs = [&](const PathElement& pe) { return rhs.items.count(pe) != 0; };
  auto lhsItem = [&](const PathElement& pe) -> const json::value* {
    auto it = lhs.items.find(pe);
    return it != lhs.items.end() ? it->second : nullptr;
  };
  auto rhsItem = [&](const PathElement& pe) -> const json::value* {
    auto it = rhs.items.find(pe);
    return it != rhs.items.end() ? it->second : nullptr;
  };

  // The items both sides have, in the applied order: they appear in that order; live-only items
  // keep their place relative to them, applied-only items come where the configuration has them.
  std::vector<const PathElement*> shared;
  for (const auto& pe : rhs.order)
    if (inLhs(pe))
      shared.push_back(&pe);
  std::size_t nextShared = 0;
  auto sharedDue = [&]() -> const PathElement* {
    return nextShared < shared.size() ? shared[nextShared] : nullptr;
  };

  json::array out;
  const std::size_t lLen = lhs.order.size();
  const std::size_t rLen = rhs.order.size();
  std::size_t li = 0;
  std::size_t ri = 0;
  while (li < lLen || ri < rLen) {
    if (li < lLen && ri < rLen) {
      const PathElement& pe = lhs.order[li];
      if (pe == rhs.order[ri]) {
        out.push_back(mergeWalk(lhsItem(pe), rhsItem(pe), elem, depth + 1));
        ++li;
        ++ri;
        ++nextShared;
        continue;
      }
      if (inRhs(pe) && sharedDue() != nullptr && !(*sharedDue() == pe)) {
        ++li;  // a shared item, but not the one due now
        continue;
      }
    }
    if (li < lLen && !inRhs(lhs.order[li])) {
      out.push_back(*lhsItem(lhs.order[li]));
      ++li;
      continue;
    }
    if (ri < rLen) {
      const PathElement& pe = rhs.order[ri];
      out.push_back(mergeWalk(lhsItem(pe), rhsItem(pe), elem, depth + 1));
      ++ri;
      if (sharedDue() != nullptr && *sharedDue() == pe)
        ++nextShared;
      continue;
    }
    ++li;  // cannot happen (every shared live item is emitted with its applied twin)
  }
  return out;
}

json::value mergeWalk(const json::value* lhs, const json::value* rhs, const TypeRef& t, int depth) {
  if (rhs == nullptr)
    return *lhs;
  if (lhs == nullptr || depth > kMaxDepth)
    return *rhs;
  const Atom al = atomFor(t, lhs);
  const Atom ar = atomFor(t, rhs);
  if (al != ar || !fits(ar, lhs) || !fits(ar, rhs) || ar == Atom::None || ar == Atom::Scalar)
    return *rhs;
  if (ar == Atom::List) {
    const json::array* l = listOf(lhs);
    const json::array* r = listOf(rhs);
    const bool emptyBoth = (l == nullptr || l->empty()) && (r == nullptr || r->empty());
    if (t.listKind() == ListKind::Atomic || emptyBoth)
      return *rhs;
    return mergeLists(t, l, r, depth);
  }
  const json::object* l = mapOf(lhs);
  const json::object* r = mapOf(rhs);
  const bool emptyBoth = (l == nullptr || l->empty()) && (r == nullptr || r->empty());
  if (t.mapIsAtomic() || emptyBoth)
    return *rhs;
  json::object out;
  if (l != nullptr) {
    for (const auto& kv : *l)
      out.emplace(kv.key(),
                  mergeWalk(&kv.value(), r != nullptr ? r->if_contains(kv.key()) : nullptr,
                            memberType(t, kv.key()), depth + 1));
  }
  if (r != nullptr) {
    for (const auto& kv : *r)
      if (l == nullptr || !l->contains(kv.key()))
        out.emplace(kv.key(), mergeWalk(nullptr, &kv.value(), memberType(t, kv.key()), depth + 1));
  }
  return out;
}

// --- removeItems ---

json::value removeWalk(const json::value& v, const FieldSet& toRemove, const TypeRef& t,
                       int depth) {
  if (depth > kMaxDepth)
    return v;
  const Atom atom = atomFor(t, &v);
  if (atom == Atom::Scalar || atom == Atom::None || !fits(atom, &v))
    return v;
  if (atom == Atom::List) {
    const json::array* list = v.if_array();
    if (list == nullptr || list->empty() || t.listKind() == ListKind::Atomic)
      return nullptr;
    const TypeRef elem = t.elementType();
    json::array out;
    for (std::size_t i = 0; i < list->size(); ++i) {
      const json::value& item = (*list)[i];
      std::string error;
      auto pe = listItemElement(t, item, i, &error);
      if (pe && toRemove.hasMember(*pe))
        continue;
      const FieldSet* sub = pe ? toRemove.child(*pe) : nullptr;
      if (sub != nullptr && !sub->empty()) {
        out.push_back(removeWalk(item, *sub, elem, depth + 1));
      } else {
        out.push_back(item);
      }
    }
    if (out.empty())
      return nullptr;
    return out;
  }
  const json::object* m = v.if_object();
  if (m == nullptr || m->empty() || t.mapIsAtomic())
    return nullptr;
  json::object out;
  for (const auto& kv : *m) {
    const PathElement pe = PathElement::field(std::string(kv.key()));
    if (toRemove.hasMember(pe))
      continue;
    const FieldSet* sub = toRemove.child(pe);
    if (sub != nullptr && !sub->empty()) {
      out.emplace(kv.key(), removeWalk(kv.value(), *sub, memberType(t, kv.key()), depth + 1));
    } else {
      out.emplace(kv.key(), kv.value());
    }
  }
  if (out.empty())
    return nullptr;
  return out;
}

// --- validate ---

/// goValueV is `%v` of structured-merge-diff's *valueUnstructured holding the value: `&{...}`.
std::string goValueV(const json::value& v) {
  return "&{" + golang::goFormatV(v) + "}";
}

/// goValueSharpV approximates `%#v` of a *valueUnstructured.
std::string goValueSharpV(const json::value& v) {
  std::string inner;
  if (v.is_string()) {
    inner = golang::goQuote(v.get_string());
  } else if (v.is_object()) {
    inner = "map[string]interface {}{";
    bool first = true;
    for (const auto& kv : v.get_object()) {
      if (!first)
        inner += ", ";
      first = false;
      inner += golang::goQuote(kv.key()) + ":" + goValueSharpV(kv.value()).substr(0);
    }
    inner += "}";
  } else if (v.is_array()) {
    inner = "[]interface {}{";
    bool first = true;
    for (const auto& e : v.get_array()) {
      if (!first)
        inner += ", ";
      first = false;
      inner += e.is_string() ? golang::goQuote(e.get_string()) : golang::goFormatV(e);
    }
    inner += "}";
  } else {
    inner = golang::goFormatV(v);
  }
  return "&value.valueUnstructured{Value:" + inner + "}";
}

struct Validator {
  ValidationErrors errors;

  void add(const Path& path, std::string message) {
    errors.push_back(ValidationError{pathString(path), std::move(message)});
  }

  void scalar(const TypeRef& t, const json::value& v, const Path& path) {
    if (v.is_null())
      return;
    switch (t.scalarKind()) {
      case ScalarKind::Numeric:
        if (!(v.is_int64() || v.is_uint64() || v.is_double()))
          add(path, "expected numeric (int or float), got " + std::string(golang::goTypeName(v)));
        return;
      case ScalarKind::String:
        if (!v.is_string())
          add(path, "expected string, got " + goValueSharpV(v));
        return;
      case ScalarKind::Boolean:
        if (!v.is_bool())
          add(path, "expected boolean, got " + goValueV(v));
        return;
      case ScalarKind::Untyped:
        if (!isScalar(v))
          add(path, "expected any scalar, got " + goValueV(v));
        return;
    }
  }

  void walk(const json::value& v, const TypeRef& t, Path& path, int depth) {
    if (depth > kMaxDepth) {
      add(path, "exceeded max depth");
      return;
    }
    const Atom atom = atomFor(t, &v);
    switch (atom) {
      case Atom::None:
        add(path, "schema error: invalid atom: inlined");
        return;
      case Atom::Scalar:
        scalar(t, v, path);
        return;
      case Atom::List: {
        if (v.is_null())
          return;
        const json::array* list = v.if_array();
        if (list == nullptr) {
          add(path, "expected list, got " + goValueV(v));
          return;
        }
        const TypeRef elem = t.elementType();
        std::vector<PathElement> seen;
        for (std::size_t i = 0; i < list->size(); ++i) {
          std::optional<PathElement> pe;
          if (t.listKind() == ListKind::Atomic) {
            pe = PathElement::index(static_cast<std::int64_t>(i));
          } else {
            std::string error;
            pe = listItemElement(t, (*list)[i], i, &error);
            if (!pe) {
              add(path, "element " + std::to_string(i) + ": " + error);
              return;  // kube stops at the first item it cannot key
            }
            if (std::find(seen.begin(), seen.end(), *pe) != seen.end())
              add(path, "duplicate entries for key " + pe->str());
            seen.push_back(*pe);
          }
          path.push_back(std::move(*pe));
          walk((*list)[i], elem, path, depth + 1);
          path.pop_back();
        }
        return;
      }
      case Atom::Map: {
        if (v.is_null())
          return;
        const json::object* m = v.if_object();
        if (m == nullptr) {
          add(path, "expected map, got " + goValueV(v));
          return;
        }
        for (const auto& kv : *m) {
          path.push_back(PathElement::field(std::string(kv.key())));
          auto ft = t.fieldType(kv.key());
          if (!ft) {
            add(path, "field not declared in schema");
            path.pop_back();
            return;  // kube stops iterating the map at the first undeclared field
          }
          walk(kv.value(), *ft, path, depth + 1);
          path.pop_back();
        }
        return;
      }
    }
  }
};

// --- ensureNamedFieldsAreMembers ---

FieldSet ensureWalk(const FieldSet& set, const TypeRef& t, int depth) {
  if (depth > kMaxDepth)
    return set;
  FieldSet out;
  for (const auto& m : set.members())
    out.insertMember(m);
  for (const auto& c : set.children()) {
    TypeRef childType = TypeRef::deduced();
    if (c.element.kind() == PathElement::Kind::Field && t.allowsMap()) {
      if (t.declares(c.element.fieldName()))
        out.insertMember(c.element);
      childType = memberType(t, c.element.fieldName());
    } else if (c.element.kind() == PathElement::Kind::Key && t.allowsList()) {
      childType = t.elementType();
    }
    out.setChild(c.element, ensureWalk(c.set, childType, depth + 1));
  }
  return out;
}

// --- zeroObject / dropNullFields ---

json::value zeroWalk(const TypeRef& t, int depth) {
  json::object out;
  if (depth > 32 || t.isDeduced() || !t.allowsMap())
    return out;
  const std::vector<std::string_view>& required = t.node().required();
  for (const auto& p : t.node().properties()) {
    const json::value* def = p.schema.keyword("default");
    if (def != nullptr && def->is_object()) {
      out.emplace(p.name, zeroWalk(TypeRef::of(p.schema), depth + 1));
    } else if (std::find(required.begin(), required.end(), p.name) != required.end()) {
      out.emplace(p.name, nullptr);
    }
  }
  return out;
}

void dropNullsWalk(json::value& v, const TypeRef& t, int depth) {
  if (depth > kMaxDepth)
    return;
  const Atom atom = atomFor(t, &v);
  if (atom == Atom::Map) {
    json::object* m = v.if_object();
    if (m == nullptr)
      return;
    if (!t.isDeduced()) {
      for (auto it = m->begin(); it != m->end();) {
        if (it->value().is_null() && t.declares(it->key())) {
          it = m->stable_erase(it);
        } else {
          ++it;
        }
      }
    }
    for (auto& kv : *m)
      dropNullsWalk(kv.value(), memberType(t, kv.key()), depth + 1);
  } else if (atom == Atom::List) {
    json::array* list = v.if_array();
    if (list == nullptr)
      return;
    const TypeRef elem = t.elementType();
    for (auto& item : *list)
      dropNullsWalk(item, elem, depth + 1);
  }
}

}  // namespace

// --- TypeRef ---

TypeRef TypeRef::deduced() {
  return TypeRef();
}

TypeRef TypeRef::of(const schema::SchemaNode& node, bool preserveUnknown) {
  TypeRef t;
  if (node.isUnknown())
    return t;
  t.node_ = node;
  t.type_ = node.type();
  t.mode_ = Mode::Schema;
  // kube's converter carries preserve-unknown-fields into inline sub-schemas, not into named
  // ($ref) types, which are converted on their own.
  t.preserve_ = node.preservesUnknownFields() || (preserveUnknown && node.definitionName().empty());
  return t;
}

bool TypeRef::allowsScalar() const {
  if (mode_ != Mode::Schema)
    return true;
  return type_ != schema::Type::Object && type_ != schema::Type::Array;
}

bool TypeRef::allowsList() const {
  if (mode_ != Mode::Schema)
    return true;
  return type_ == schema::Type::Array || type_ == schema::Type::Unknown;
}

bool TypeRef::allowsMap() const {
  if (mode_ != Mode::Schema)
    return true;
  return type_ == schema::Type::Object || type_ == schema::Type::Unknown;
}

ScalarKind TypeRef::scalarKind() const {
  if (mode_ != Mode::Schema)
    return ScalarKind::Untyped;
  switch (type_) {
    case schema::Type::Integer:
    case schema::Type::Number:
      return ScalarKind::Numeric;
    case schema::Type::Boolean:
      return ScalarKind::Boolean;
    case schema::Type::String: {
      const std::string_view format = node_.format();
      return format.empty() || format == "byte" ? ScalarKind::String : ScalarKind::Untyped;
    }
    default:
      return ScalarKind::Untyped;
  }
}

bool TypeRef::mapIsAtomic() const {
  if (mode_ == Mode::UntypedAtomic)
    return true;
  if (mode_ == Mode::Deduced)
    return false;
  return node_.mapType() == schema::MapType::Atomic;
}

bool TypeRef::declares(std::string_view name) const {
  return mode_ == Mode::Schema && node_.hasProperty(name);
}

std::optional<TypeRef> TypeRef::fieldType(std::string_view name) const {
  if (mode_ == Mode::Deduced)
    return deduced();
  if (mode_ == Mode::UntypedAtomic) {
    TypeRef t;
    t.mode_ = Mode::UntypedAtomic;
    return t;
  }
  if (auto p = node_.property(name))
    return of(*p, preserve_);
  const json::value* ap = node_.additionalPropertiesKeyword();
  if (ap != nullptr) {
    if (ap->is_object())
      return of(node_.additionalProperties(), preserve_);
    if (ap->is_bool() && ap->get_bool())
      return deduced();
    return std::nullopt;  // additionalProperties: false
  }
  const json::value* props = node_.propertiesKeyword();
  const bool hasProperties = props != nullptr && props->is_object() && !props->get_object().empty();
  if (preserve_ || !hasProperties)
    return deduced();
  return std::nullopt;
}

ListKind TypeRef::listKind() const {
  if (mode_ != Mode::Schema)
    return ListKind::Atomic;
  switch (node_.listType()) {
    case schema::ListType::Atomic:
      return ListKind::Atomic;
    case schema::ListType::Set:
      return ListKind::Set;
    case schema::ListType::Map:
      return node_.listMapKeys().empty() ? ListKind::Set : ListKind::Map;
    case schema::ListType::Unspecified:
      break;
  }
  const std::string_view strategy = node_.patchStrategy();
  if (strategy == "merge" || strategy == "merge,retainKeys")
    return node_.patchMergeKey().empty() ? ListKind::Set : ListKind::Map;
  return ListKind::Atomic;
}

boost::container::small_vector<std::string_view, 2> TypeRef::listKeys() const {
  boost::container::small_vector<std::string_view, 2> out;
  if (mode_ != Mode::Schema)
    return out;
  if (node_.listType() == schema::ListType::Map) {
    const auto& keys = node_.listMapKeys();
    out.assign(keys.begin(), keys.end());
  } else if (!node_.patchMergeKey().empty()) {
    out.push_back(node_.patchMergeKey());
  }
  return out;
}

TypeRef TypeRef::elementType() const {
  if (mode_ != Mode::Schema || node_.itemsKeyword() == nullptr) {
    TypeRef t;
    t.mode_ = Mode::UntypedAtomic;  // items of deduced (atomic) lists, or lists without items
    return t;
  }
  return of(node_.items(), preserve_);
}

const json::value* TypeRef::keyDefault(std::string_view key) const {
  if (mode_ != Mode::Schema)
    return nullptr;
  const schema::SchemaNode items = node_.items();
  if (items.isUnknown() || !items.hasProperty(key))
    return nullptr;
  return items.field(key).keyword("default");
}

// --- free functions ---

std::string validationErrorsString(const ValidationErrors& errors) {
  if (errors.empty())
    return {};
  if (errors.size() == 1)
    return errors.front().str();
  std::string out = "errors:";
  for (const auto& e : errors)
    out += "\n  " + e.str();
  return out;
}

void Comparison::excludeFields(const FieldSet& fields) {
  if (fields.empty())
    return;
  removed = std::move(removed).recursiveDifference(fields);
  modified = std::move(modified).recursiveDifference(fields);
  added = std::move(added).recursiveDifference(fields);
}

ValidationErrors validate(const json::value& value, const TypeRef& type) {
  Validator v;
  Path path;
  v.walk(value, type, path, 0);
  return std::move(v.errors);
}

json::object changedFieldsV1(const json::object& lhs, const json::object& rhs, const TypeRef& type,
                             const FieldSet& ignored, const FieldSet& strip, json::storage_ptr sp) {
  json::object out(sp);
  // The root as compareObjects sees it: as a leaf (empty on both sides, atomic) it is nobody's.
  if ((lhs.empty() && rhs.empty()) || type.mapIsAtomic() || !type.allowsMap())
    return out;
  ChangedFieldsWriter(std::move(sp)).mapChildren(&lhs, &rhs, type, {&ignored, &strip}, out, 0);
  return out;
}

FieldSet toFieldSet(const json::value& value, const TypeRef& type) {
  FieldSet set;
  toFieldSetWalk(value, type, nullptr, set, 0);
  return set;
}

Comparison compare(const json::value* lhs, const json::value* rhs, const TypeRef& type) {
  Comparison cmp;
  if (lhs == nullptr && rhs == nullptr)
    return cmp;
  Comparer{}.walk(lhs, rhs, type, nullptr, cmp, 0);
  return cmp;
}

Comparison compareObjects(const json::object& lhs, const json::object& rhs, const TypeRef& type) {
  Comparison cmp;
  // The root is a map: as a leaf (empty on both sides, atomic) it is nobody's field.
  if ((lhs.empty() && rhs.empty()) || type.mapIsAtomic() || !type.allowsMap())
    return cmp;
  Comparer{}.visitMap(type, &lhs, &rhs, cmp, 0);
  return cmp;
}

json::value merge(const json::value& lhs, const json::value& rhs, const TypeRef& type) {
  return mergeWalk(&lhs, &rhs, type, 0);
}

json::value removeItems(const json::value& value, const FieldSet& toRemove, const TypeRef& type) {
  return removeWalk(value, toRemove, type, 0);
}

FieldSet ensureNamedFieldsAreMembers(const FieldSet& set, const TypeRef& type) {
  return ensureWalk(set, type, 0);
}

json::value zeroObject(const TypeRef& type) {
  return zeroWalk(type, 0);
}

void dropNullFields(json::value& value, const TypeRef& type) {
  dropNullsWalk(value, type, 0);
}

}  // namespace apiserver::apply
