#include "apply/field_path.h"

#include "golang/go_json.h"

#include <boost/container/small_vector.hpp>
#include <boost/json/object.hpp>
#include <boost/json/parse.hpp>

#include <algorithm>
#include <charconv>
#include <utility>

namespace apiserver::apply {

namespace {

int sign(int v) {
  return v < 0 ? -1 : (v > 0 ? 1 : 0);
}

bool isNumber(const json::value& v) {
  return v.is_int64() || v.is_uint64() || v.is_double();
}

double asDouble(const json::value& v) {
  if (v.is_int64())
    return static_cast<double>(v.get_int64());
  if (v.is_uint64())
    return static_cast<double>(v.get_uint64());
  return v.get_double();
}

int compareFloats(double a, double b) {
  return a < b ? -1 : (a > b ? 1 : 0);
}

int compareInts(const json::value& a, const json::value& b) {
  // Both hold integers: compare exactly across int64/uint64.
  if (a.is_int64() && b.is_int64())
    return a.get_int64() < b.get_int64() ? -1 : (a.get_int64() > b.get_int64() ? 1 : 0);
  if (a.is_uint64() && b.is_uint64())
    return a.get_uint64() < b.get_uint64() ? -1 : (a.get_uint64() > b.get_uint64() ? 1 : 0);
  if (a.is_int64())  // b is uint64
    return a.get_int64() < 0
               ? -1
               : compareInts(json::value(static_cast<std::uint64_t>(a.get_int64())), b);
  return -compareInts(b, a);
}

/// rank is the position of a value's type in structured-merge-diff's order.
int rank(const json::value& v) {
  if (isNumber(v))
    return 0;
  if (v.is_string())
    return 1;
  if (v.is_bool())
    return 2;
  if (v.is_array())
    return 3;
  if (v.is_object())
    return 4;
  return 5;  // null
}

}  // namespace

int compareValues(const json::value& a, const json::value& b) {
  const int ra = rank(a);
  const int rb = rank(b);
  if (ra != rb)
    return ra < rb ? -1 : 1;
  switch (ra) {
    case 0:
      if (a.is_double() || b.is_double())
        return compareFloats(asDouble(a), asDouble(b));
      return compareInts(a, b);
    case 1:
      return sign(std::string_view(a.get_string()).compare(std::string_view(b.get_string())));
    case 2:
      return a.get_bool() == b.get_bool() ? 0 : (a.get_bool() ? 1 : -1);
    case 3: {
      const auto& la = a.get_array();
      const auto& lb = b.get_array();
      for (std::size_t i = 0; i < la.size() && i < lb.size(); ++i)
        if (int c = compareValues(la[i], lb[i]); c != 0)
          return c;
      return la.size() == lb.size() ? 0 : (la.size() < lb.size() ? -1 : 1);
    }
    case 4: {
      // structured-merge-diff compares maps key by key in sorted (Go) key order.
      auto ia = golang::sortedMembers(a.get_object());
      auto ib = golang::sortedMembers(b.get_object());
      for (std::size_t i = 0; i < ia.size() && i < ib.size(); ++i) {
        if (int c = sign(std::string_view(ia[i]->key()).compare(ib[i]->key())); c != 0)
          return c;
        if (int c = compareValues(ia[i]->value(), ib[i]->value()); c != 0)
          return c;
      }
      return ia.size() == ib.size() ? 0 : (ia.size() < ib.size() ? -1 : 1);
    }
    default:
      return 0;
  }
}

bool equalValues(const json::value& a, const json::value& b) {
  if (isNumber(a) || isNumber(b)) {
    if (!isNumber(a) || !isNumber(b))
      return false;
    if (a.is_double() || b.is_double())
      return asDouble(a) == asDouble(b);
    return compareInts(a, b) == 0;
  }
  if (a.kind() != b.kind())
    return false;
  switch (a.kind()) {
    case json::kind::string:
      return a.get_string() == b.get_string();
    case json::kind::bool_:
      return a.get_bool() == b.get_bool();
    case json::kind::null:
      return true;
    case json::kind::array: {
      const auto& la = a.get_array();
      const auto& lb = b.get_array();
      if (la.size() != lb.size())
        return false;
      for (std::size_t i = 0; i < la.size(); ++i)
        if (!equalValues(la[i], lb[i]))
          return false;
      return true;
    }
    case json::kind::object: {
      const auto& oa = a.get_object();
      const auto& ob = b.get_object();
      if (oa.size() != ob.size())
        return false;
      for (const auto& kv : oa) {
        const json::value* other = ob.if_contains(kv.key());
        if (other == nullptr || !equalValues(kv.value(), *other))
          return false;
      }
      return true;
    }
    default:
      return false;
  }
}

// --- PathElement ---

PathElement PathElement::field(std::string name) {
  PathElement e;
  e.kind_ = Kind::Field;
  e.name_ = std::move(name);
  return e;
}

PathElement PathElement::key(std::vector<KeyField> fields) {
  std::stable_sort(fields.begin(), fields.end(),
                   [](const KeyField& a, const KeyField& b) { return a.name < b.name; });
  PathElement e;
  e.kind_ = Kind::Key;
  e.key_ = std::move(fields);
  return e;
}

PathElement PathElement::value(json::value v) {
  PathElement e;
  e.kind_ = Kind::Value;
  e.value_ = std::move(v);
  return e;
}

PathElement PathElement::index(std::int64_t i) {
  PathElement e;
  e.kind_ = Kind::Index;
  e.index_ = i;
  return e;
}

int compareKeyFields(std::span<const KeyFieldView> a, std::span<const KeyFieldView> b) {
  for (std::size_t i = 0; i < a.size() && i < b.size(); ++i) {
    if (int c = sign(a[i].name.compare(b[i].name)); c != 0)
      return c;
    if (int c = compareValues(*a[i].value, *b[i].value); c != 0)
      return c;
  }
  return a.size() == b.size() ? 0 : (a.size() < b.size() ? -1 : 1);
}

void appendKeyFields(std::string& out, std::span<const KeyFieldView> fields) {
  out.append("k:{");
  for (std::size_t i = 0; i < fields.size(); ++i) {
    if (i)
      out.push_back(',');
    golang::appendGoString(out, fields[i].name);
    out.push_back(':');
    golang::appendGoMarshal(out, *fields[i].value);
  }
  out.push_back('}');
}

namespace {

/// keyViews are a Key element's fields as views.
boost::container::small_vector<KeyFieldView, 2> keyViews(const std::vector<KeyField>& key) {
  boost::container::small_vector<KeyFieldView, 2> out;
  for (const auto& f : key)
    out.push_back(KeyFieldView{f.name, &f.value});
  return out;
}

}  // namespace

int PathElement::compare(const PathElement& other) const {
  if (kind_ != other.kind_)
    return static_cast<int>(kind_) < static_cast<int>(other.kind_) ? -1 : 1;
  switch (kind_) {
    case Kind::Field:
      return sign(name_.compare(other.name_));
    case Kind::Key:
      return compareKeyFields(keyViews(key_), keyViews(other.key_));
    case Kind::Value:
      return compareValues(value_, other.value_);
    case Kind::Index:
      return index_ < other.index_ ? -1 : (index_ > other.index_ ? 1 : 0);
  }
  return 0;
}

std::string PathElement::str() const {
  switch (kind_) {
    case Kind::Field:
      return "." + name_;
    case Kind::Key: {
      std::string out = "[";
      for (std::size_t i = 0; i < key_.size(); ++i) {
        if (i)
          out.push_back(',');
        out += key_[i].name;
        out.push_back('=');
        out += golang::smdToString(key_[i].value);
      }
      out.push_back(']');
      return out;
    }
    case Kind::Value:
      return "[=" + golang::smdToString(value_) + "]";
    case Kind::Index:
      return "[" + std::to_string(index_) + "]";
  }
  return "{{invalid path element}}";
}

std::string PathElement::serialize() const {
  std::string out;
  appendSerialized(out);
  return out;
}

void PathElement::appendSerialized(std::string& out) const {
  switch (kind_) {
    case Kind::Field:
      out.append("f:").append(name_);
      return;
    case Kind::Key:
      appendKeyFields(out, keyViews(key_));
      return;
    case Kind::Value:
      out.append("v:");
      golang::appendGoMarshal(out, value_);
      return;
    case Kind::Index:
      out.append("i:").append(std::to_string(index_));
      return;
  }
}

std::optional<PathElement> PathElement::deserialize(std::string_view key, DeserializeError* error) {
  auto failWith = [&](std::string message, bool unknown = false) -> std::optional<PathElement> {
    if (error != nullptr) {
      error->unknownType = unknown;
      error->message = std::move(message);
    }
    return std::nullopt;
  };
  if (key.size() < 2)
    return failWith("key must be 2 characters long: " + std::string(key));
  if (key[1] != ':')
    return failWith("missing colon: " + std::string(key));
  const std::string_view rest = key.substr(2);
  switch (key[0]) {
    case 'f':
      return field(std::string(rest));
    case 'v': {
      boost::system::error_code ec;
      json::value v = json::parse(rest, ec);
      if (ec)
        return failWith("parsing JSON: " + ec.message());
      return value(std::move(v));
    }
    case 'k': {
      boost::system::error_code ec;
      json::value v = json::parse(rest, ec);
      if (ec)
        return failWith("parsing JSON: " + ec.message());
      if (!v.is_object())
        return failWith("ReadObjectCB: expect { or n, but found " + std::string(rest.substr(0, 1)));
      std::vector<KeyField> fields;
      for (auto& kv : v.get_object())
        fields.push_back(KeyField{std::string(kv.key()), kv.value()});
      return PathElement::key(std::move(fields));
    }
    case 'i': {
      std::int64_t i = 0;
      auto [ptr, ec] = std::from_chars(rest.data(), rest.data() + rest.size(), i);
      if (ec != std::errc() || ptr != rest.data() + rest.size() || rest.empty())
        return failWith("strconv.Atoi: parsing \"" + std::string(rest) + "\": invalid syntax");
      return index(i);
    }
    default:
      return failWith("unknown path element type", true);
  }
}

std::string pathString(const Path& path) {
  std::string out;
  for (const auto& e : path)
    out += e.str();
  return out;
}

}  // namespace apiserver::apply
