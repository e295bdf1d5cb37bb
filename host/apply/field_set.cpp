#include "apply/field_set.h"

#include <boost/json/serialize.hpp>

#include <algorithm>
#include <utility>

namespace apiserver::apply {

namespace {

/// kMaxFieldsDepth bounds how deep a FieldsV1 document may nest (objects are never this deep).
constexpr int kMaxFieldsDepth = 512;

bool elementLess(const PathElement& a, const PathElement& b) {
  return a.compare(b) < 0;
}

std::vector<PathElement> membersUnion(const std::vector<PathElement>& a,
                                      const std::vector<PathElement>& b) {
  std::vector<PathElement> out;
  out.reserve(a.size() + b.size());
  std::set_union(a.begin(), a.end(), b.begin(), b.end(), std::back_inserter(out), elementLess);
  return out;
}

std::vector<PathElement> membersIntersection(const std::vector<PathElement>& a,
                                             const std::vector<PathElement>& b) {
  std::vector<PathElement> out;
  std::set_intersection(a.begin(), a.end(), b.begin(), b.end(), std::back_inserter(out),
                        elementLess);
  return out;
}

std::vector<PathElement> membersDifference(const std::vector<PathElement>& a,
                                           const std::vector<PathElement>& b) {
  std::vector<PathElement> out;
  std::set_difference(a.begin(), a.end(), b.begin(), b.end(), std::back_inserter(out), elementLess);
  return out;
}

bool sortedHas(const std::vector<PathElement>& v, const PathElement& e) {
  auto it = std::lower_bound(v.begin(), v.end(), e, elementLess);
  return it != v.end() && *it == e;
}

}  // namespace

FieldSet::FieldSet() = default;
FieldSet::FieldSet(const FieldSet&) = default;
FieldSet::FieldSet(FieldSet&&) noexcept = default;
FieldSet& FieldSet::operator=(const FieldSet&) = default;
FieldSet& FieldSet::operator=(FieldSet&&) noexcept = default;
FieldSet::~FieldSet() = default;

FieldSet& FieldSet::descend(const PathElement& element) {
  auto it = std::lower_bound(children_.begin(), children_.end(), element,
                             [](const Child& c, const PathElement& e) { return c.element < e; });
  if (it != children_.end() && it->element == element)
    return it->set;
  it = children_.insert(it, Child{element, FieldSet()});
  return it->set;
}

void FieldSet::insertMember(const PathElement& element) {
  // Walks mostly insert in order: check the end first.
  if (members_.empty() || members_.back() < element) {
    members_.push_back(element);
    return;
  }
  auto it = std::lower_bound(members_.begin(), members_.end(), element, elementLess);
  if (it == members_.end() || !(*it == element))
    members_.insert(it, element);
}

void FieldSet::setChild(const PathElement& element, FieldSet set) {
  if (set.empty())
    return;
  if (children_.empty() || children_.back().element < element) {
    children_.push_back(Child{element, std::move(set)});
    return;
  }
  descend(element) = std::move(set);
}

void FieldSet::insert(const Path& path) {
  if (path.empty())
    return;
  FieldSet* s = this;
  for (std::size_t i = 0; i + 1 < path.size(); ++i)
    s = &s->descend(path[i]);
  s->insertMember(path.back());
}

bool FieldSet::has(const Path& path) const {
  if (path.empty())
    return false;
  const FieldSet* s = this;
  for (std::size_t i = 0; i + 1 < path.size(); ++i) {
    s = s->child(path[i]);
    if (s == nullptr)
      return false;
  }
  return s->hasMember(path.back());
}

bool FieldSet::hasMember(const PathElement& element) const {
  return sortedHas(members_, element);
}

bool FieldSet::empty() const {
  if (!members_.empty())
    return false;
  return std::all_of(children_.begin(), children_.end(),
                     [](const Child& c) { return c.set.empty(); });
}

std::size_t FieldSet::size() const {
  std::size_t n = members_.size();
  for (const auto& c : children_)
    n += c.set.size();
  return n;
}

const FieldSet* FieldSet::child(const PathElement& element) const {
  auto it = std::lower_bound(children_.begin(), children_.end(), element,
                             [](const Child& c, const PathElement& e) { return c.element < e; });
  if (it != children_.end() && it->element == element)
    return &it->set;
  return nullptr;
}

namespace {

/// fieldBefore orders an element before the field `name` (fields sort first, by name).
bool fieldBefore(const PathElement& e, std::string_view name) {
  return e.kind() == PathElement::Kind::Field && nameLess(e.fieldName(), name);
}

bool isField(const PathElement& e, std::string_view name) {
  return e.kind() == PathElement::Kind::Field && e.fieldName() == name;
}

}  // namespace

bool FieldSet::hasField(std::string_view name) const {
  auto it = std::lower_bound(members_.begin(), members_.end(), name, fieldBefore);
  return it != members_.end() && isField(*it, name);
}

const FieldSet* FieldSet::fieldChild(std::string_view name) const {
  auto it = std::lower_bound(
      children_.begin(), children_.end(), name,
      [](const Child& c, std::string_view n) { return fieldBefore(c.element, n); });
  return it != children_.end() && isField(it->element, name) ? &it->set : nullptr;
}

FieldSet FieldSet::withPrefix(const PathElement& element) const {
  const FieldSet* s = child(element);
  return s != nullptr ? *s : FieldSet();
}

FieldSet FieldSet::unite(const FieldSet& other) const& {
  FieldSet out;
  out.members_ = membersUnion(members_, other.members_);
  std::size_t i = 0;
  std::size_t j = 0;
  while (i < children_.size() && j < other.children_.size()) {
    const int c = children_[i].element.compare(other.children_[j].element);
    if (c < 0) {
      out.children_.push_back(children_[i++]);
    } else if (c > 0) {
      out.children_.push_back(other.children_[j++]);
    } else {
      out.children_.push_back(
          Child{children_[i].element, children_[i].set.unite(other.children_[j].set)});
      ++i;
      ++j;
    }
  }
  for (; i < children_.size(); ++i)
    out.children_.push_back(children_[i]);
  for (; j < other.children_.size(); ++j)
    out.children_.push_back(other.children_[j]);
  return out;
}

FieldSet FieldSet::intersect(const FieldSet& other) const {
  FieldSet out;
  out.members_ = membersIntersection(members_, other.members_);
  std::size_t i = 0;
  std::size_t j = 0;
  while (i < children_.size() && j < other.children_.size()) {
    const int c = children_[i].element.compare(other.children_[j].element);
    if (c < 0) {
      ++i;
    } else if (c > 0) {
      ++j;
    } else {
      FieldSet sub = children_[i].set.intersect(other.children_[j].set);
      if (!sub.empty())
        out.children_.push_back(Child{children_[i].element, std::move(sub)});
      ++i;
      ++j;
    }
  }
  return out;
}

FieldSet FieldSet::difference(const FieldSet& other) const& {
  FieldSet out;
  out.members_ = membersDifference(members_, other.members_);
  std::size_t j = 0;
  for (const auto& c : children_) {
    while (j < other.children_.size() && other.children_[j].element < c.element)
      ++j;
    if (j < other.children_.size() && other.children_[j].element == c.element) {
      FieldSet sub = c.set.difference(other.children_[j].set);
      if (!sub.empty())
        out.children_.push_back(Child{c.element, std::move(sub)});
    } else {
      out.children_.push_back(c);
    }
  }
  return out;
}

FieldSet FieldSet::recursiveDifference(const FieldSet& other) const& {
  FieldSet out;
  out.members_ = membersDifference(members_, other.members_);
  std::size_t j = 0;
  for (const auto& c : children_) {
    if (other.hasMember(c.element))
      continue;  // the whole subtree goes
    while (j < other.children_.size() && other.children_[j].element < c.element)
      ++j;
    if (j < other.children_.size() && other.children_[j].element == c.element) {
      FieldSet sub = c.set.recursiveDifference(other.children_[j].set);
      if (!sub.empty())
        out.children_.push_back(Child{c.element, std::move(sub)});
    } else {
      out.children_.push_back(c);
    }
  }
  return out;
}

FieldSet FieldSet::unite(const FieldSet& other) && {
  mergeIn(other);
  return std::move(*this);
}

FieldSet FieldSet::difference(const FieldSet& other) && {
  removeIn(other, false);
  return std::move(*this);
}

FieldSet FieldSet::recursiveDifference(const FieldSet& other) && {
  removeIn(other, true);
  return std::move(*this);
}

void FieldSet::mergeIn(const FieldSet& other) {
  if (!other.members_.empty())
    members_ = membersUnion(members_, other.members_);
  for (const auto& c : other.children_)
    descend(c.element).mergeIn(c.set);
}

void FieldSet::removeIn(const FieldSet& other, bool recursive) {
  if (!members_.empty() && !other.members_.empty())
    std::erase_if(members_, [&](const PathElement& m) { return sortedHas(other.members_, m); });
  if (other.children_.empty() && (!recursive || other.members_.empty()))
    return;
  std::size_t j = 0;
  std::size_t kept = 0;
  for (std::size_t i = 0; i < children_.size(); ++i) {
    Child& c = children_[i];
    if (recursive && other.hasMember(c.element))
      continue;  // the whole subtree goes
    while (j < other.children_.size() && other.children_[j].element < c.element)
      ++j;
    if (j < other.children_.size() && other.children_[j].element == c.element) {
      c.set.removeIn(other.children_[j].set, recursive);
      if (c.set.empty())
        continue;
    }
    if (kept != i)
      children_[kept] = std::move(c);
    ++kept;
  }
  children_.erase(children_.begin() + static_cast<std::ptrdiff_t>(kept), children_.end());
}

void FieldSet::iteratePrefix(Path& prefix, const std::function<void(const Path&)>& fn) const {
  for (const auto& m : members_) {
    prefix.push_back(m);
    fn(prefix);
    prefix.pop_back();
  }
  for (const auto& c : children_) {
    prefix.push_back(c.element);
    c.set.iteratePrefix(prefix, fn);
    prefix.pop_back();
  }
}

void FieldSet::iterate(const std::function<void(const Path&)>& fn) const {
  Path prefix;
  iteratePrefix(prefix, fn);
}

std::vector<Path> FieldSet::paths() const {
  std::vector<Path> out;
  iterate([&](const Path& p) { out.push_back(p); });
  return out;
}

std::string FieldSet::str() const {
  std::string out;
  iterate([&](const Path& p) {
    if (!out.empty())
      out.push_back('\n');
    out += pathString(p);
  });
  return out;
}

bool operator==(const FieldSet& a, const FieldSet& b) {
  if (a.members_.size() != b.members_.size() || a.children_.size() != b.children_.size())
    return false;
  for (std::size_t i = 0; i < a.members_.size(); ++i)
    if (!(a.members_[i] == b.members_[i]))
      return false;
  for (std::size_t i = 0; i < a.children_.size(); ++i)
    if (!(a.children_[i].element == b.children_[i].element) ||
        !(a.children_[i].set == b.children_[i].set))
      return false;
  return true;
}

// --- FieldsV1 ---

void FieldSet::emitFieldsV1(json::object& out, bool includeSelf, std::string& key) const {
  out.reserve(members_.size() + children_.size() + (includeSelf ? 1 : 0));
  if (includeSelf && !(members_.empty() && children_.empty()))
    out.emplace(".", json::object());
  std::size_t mi = 0;
  std::size_t ci = 0;
  while (mi < members_.size() || ci < children_.size()) {
    int c = 0;
    if (mi >= members_.size()) {
      c = 1;
    } else if (ci >= children_.size()) {
      c = -1;
    } else {
      c = members_[mi].compare(children_[ci].element);
    }
    if (c < 0) {
      key.clear();
      members_[mi].appendSerialized(key);
      out.emplace(key, json::object());
      ++mi;
      continue;
    }
    json::object sub(out.storage());
    children_[ci].set.emitFieldsV1(sub, c == 0, key);  // `key` is the children's scratch first
    key.clear();
    children_[ci].element.appendSerialized(key);
    out.emplace(key, std::move(sub));
    if (c == 0)
      ++mi;
    ++ci;
  }
}

json::object FieldSet::toFieldsV1(json::storage_ptr sp) const {
  json::object out(std::move(sp));
  std::string key;
  emitFieldsV1(out, false, key);
  return out;
}

std::optional<FieldSet> FieldSet::readFieldsV1(const json::object& obj, bool* isMember,
                                               std::string* error, int depth) {
  if (depth > kMaxFieldsDepth) {
    *error = "parsing JSON: exceeded max depth";
    return std::nullopt;
  }
  FieldSet out;
  bool any = false;
  *isMember = false;
  for (const auto& kv : obj) {
    if (kv.key() == ".") {
      *isMember = true;
      continue;
    }
    PathElement::DeserializeError perr;
    auto pe = PathElement::deserialize(kv.key(), &perr);
    if (!pe) {
      if (perr.unknownType)
        continue;  // a later version may know it; kube drops such keys
      *error = "parsing key as path element: " + perr.message;
      return std::nullopt;
    }
    const json::object* sub = kv.value().if_object();
    if (sub == nullptr) {
      *error = "parsing value as set: parsing JSON: expected an object, got " +
               json::serialize(kv.value());
      return std::nullopt;
    }
    bool childMember = false;
    auto grand = readFieldsV1(*sub, &childMember, error, depth + 1);
    if (!grand) {
      if (error->rfind("parsing value as set: ", 0) != 0)
        *error = "parsing value as set: " + *error;
      return std::nullopt;
    }
    if (childMember) {
      out.members_.push_back(*pe);
      any = true;
    }
    if (!grand->empty()) {
      out.children_.push_back(Child{*pe, std::move(*grand)});
      any = true;
    }
  }
  std::stable_sort(out.members_.begin(), out.members_.end(), elementLess);
  out.members_.erase(std::unique(out.members_.begin(), out.members_.end()), out.members_.end());
  std::stable_sort(out.children_.begin(), out.children_.end(),
                   [](const Child& a, const Child& b) { return a.element < b.element; });
  // Two keys that decode to the same element (e.g. key fields in another order) are merged.
  std::vector<Child> merged;
  for (auto& c : out.children_) {
    if (!merged.empty() && merged.back().element == c.element) {
      merged.back().set = std::move(merged.back().set).unite(c.set);
    } else {
      merged.push_back(std::move(c));
    }
  }
  out.children_ = std::move(merged);
  if (!any)
    *isMember = true;  // `{}`: a member without children
  return out;
}

std::optional<FieldSet> FieldSet::fromFieldsV1(const json::value& fields, std::string* error) {
  std::string ignored;
  std::string& err = error != nullptr ? *error : ignored;
  const json::object* obj = fields.if_object();
  if (obj == nullptr) {
    if (fields.is_null())
      return FieldSet();
    err = "parsing JSON: expected an object, got " + json::serialize(fields);
    return std::nullopt;
  }
  bool member = false;
  return readFieldsV1(*obj, &member, &err, 0);
}

FieldSet fieldSetOf(const std::vector<Path>& paths) {
  FieldSet s;
  for (const auto& p : paths)
    s.insert(p);
  return s;
}

}  // namespace apiserver::apply
