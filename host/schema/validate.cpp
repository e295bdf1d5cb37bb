#include "schema/validate.h"

#include <boost/json/basic_parser_impl.hpp>
#include <boost/json/serialize.hpp>

#include <algorithm>
#include <charconv>
#include <set>

namespace apiserver::schema {

namespace {

void appendKey(std::string& path, std::string_view key) {
  if (!path.empty()) path += '.';
  path += key;
}

// declaresAdditional tells whether a node defines a map value schema (or allows any keys).
bool allowsAnyKeys(const SchemaNode& node) {
  const json::value* ap = node.keyword("additionalProperties");
  if (ap == nullptr) return false;
  if (ap->is_bool()) return ap->get_bool();
  return true;
}

void prune(json::value& v, const SchemaNode& node, std::string& path, std::vector<std::string>& unknown) {
  if (node.isUnknown() || node.preservesUnknownFields() || node.isIntOrString()) return;
  if (auto* o = v.if_object()) {
    const bool declared = node.hasProperties();
    const bool map = allowsAnyKeys(node);
    if (!declared && !map) return;  // a free-form object (FieldsV1, RawExtension)
    const auto required = declared ? node.required() : std::vector<std::string_view>{};
    for (auto it = o->begin(); it != o->end();) {
      const std::size_t mark = path.size();
      appendKey(path, it->key());
      std::optional<SchemaNode> child = declared ? node.property(it->key()) : std::nullopt;
      if (child) {
        prune(it->value(), *child, path, unknown);
        // Go's encoder omits empty slices and maps of optional (omitempty) fields, so a typed
        // kube object never shows `labels: {}` or `finalizers: []`.
        const bool emptyList = it->value().is_array() && it->value().get_array().empty();
        const bool emptyMap = it->value().is_object() && it->value().get_object().empty() &&
                              !child->hasProperties() && allowsAnyKeys(*child);
        if ((emptyList || emptyMap) && std::find(required.begin(), required.end(), it->key()) == required.end()) {
          path.resize(mark);
          it = o->stable_erase(it);
          continue;
        }
      } else if (map) {
        prune(it->value(), node.additionalProperties(), path, unknown);
      } else {
        unknown.push_back(path);
        path.resize(mark);
        it = o->stable_erase(it);  // keeps the remaining keys in their order
        continue;
      }
      path.resize(mark);
      ++it;
    }
  } else if (auto* a = v.if_array()) {
    const SchemaNode items = node.items();
    for (std::size_t i = 0; i < a->size(); ++i) {
      const std::size_t mark = path.size();
      path += "[" + std::to_string(i) + "]";
      prune((*a)[i], items, path, unknown);
      path.resize(mark);
    }
  }
}

std::string_view shortName(std::string_view definition) {
  auto dot = definition.rfind('.');
  return dot == std::string_view::npos ? definition : definition.substr(dot + 1);
}

// goType names the Go type kube would decode a node into, as Go's json errors print it.
std::string goType(const SchemaNode& node) {
  switch (node.type()) {
    case Type::String: return "string";
    case Type::Boolean: return "bool";
    case Type::Number: return "float64";
    case Type::Integer: return node.format() == "int32" ? "int32" : "int64";
    case Type::Array: return "[]" + goType(node.items());
    case Type::Object:
      if (!node.definitionName().empty()) return "v1." + std::string(shortName(node.definitionName()));
      return "map[string]" + (node.additionalProperties().isUnknown() ? std::string("string")
                                                                       : goType(node.additionalProperties()));
    case Type::Unknown: break;
  }
  return "interface {}";
}

std::string jsonKind(const json::value& v) {
  switch (v.kind()) {
    case json::kind::string: return "string";
    case json::kind::bool_: return "bool";
    case json::kind::object: return "object";
    case json::kind::array: return "array";
    case json::kind::double_: {
      // Go prints the literal as written; the shortest round-trip form is the usual spelling.
      char buf[64];
      auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v.get_double());
      return "number " + (ec == std::errc() ? std::string(buf, end) : json::serialize(v));
    }
    case json::kind::int64:
    case json::kind::uint64: return "number";
    case json::kind::null: break;
  }
  return "null";
}

bool allowed(const json::value& v, const SchemaNode& node) {
  if (v.is_null() || node.isUnknown() || (node.isIntOrString() && (v.is_string() || v.is_int64() || v.is_uint64())))
    return true;
  switch (node.type()) {
    case Type::String: return v.is_string();
    case Type::Boolean: return v.is_bool();
    case Type::Integer: return v.is_int64() || v.is_uint64();
    case Type::Number: return v.is_number();
    case Type::Object: return v.is_object();
    case Type::Array: return v.is_array();
    case Type::Unknown: return true;
  }
  return true;
}

std::optional<std::string> check(const json::value& v, const SchemaNode& node, std::string_view owner,
                                 std::string& fieldPath);

// checkObject checks the members of an object that `node` allows; `inner` is the struct name.
std::optional<std::string> checkObject(const json::object& o, const SchemaNode& node, std::string_view inner,
                                       std::string& fieldPath) {
  const bool declared = node.hasProperties();
  for (const auto& kv : o) {
    std::optional<SchemaNode> declaredChild = declared ? node.property(kv.key()) : std::nullopt;
    const SchemaNode child = declaredChild ? *declaredChild : node.additionalProperties();
    if (child.isUnknown()) continue;
    const std::size_t mark = fieldPath.size();
    appendKey(fieldPath, kv.key());
    auto e = check(kv.value(), child, inner, fieldPath);
    fieldPath.resize(mark);
    if (e) return e;
  }
  return std::nullopt;
}

// check walks values and schema together; `owner` is the innermost struct definition name and
// `fieldPath` the dotted field path without indexes, as Go's errors print them.
std::optional<std::string> check(const json::value& v, const SchemaNode& node, std::string_view owner,
                                 std::string& fieldPath) {
  if (node.isUnknown() || node.preservesUnknownFields() || v.is_null()) return std::nullopt;
  if (!allowed(v, node)) {
    return "json: cannot unmarshal " + jsonKind(v) + " into Go struct field " + std::string(owner) + "." + fieldPath +
           " of type " + goType(node);
  }
  std::string_view inner = node.definitionName().empty() ? owner : shortName(node.definitionName());
  if (const auto* o = v.if_object()) {
    if (auto e = checkObject(*o, node, inner, fieldPath)) return e;
  } else if (const auto* a = v.if_array()) {
    const SchemaNode items = node.items();
    for (const auto& e : *a)
      if (auto err = check(e, items, owner, fieldPath)) return err;
  }
  return std::nullopt;
}

/// DuplicateFinder is a basic_parser handler that only tracks the keys of each open object.
struct DuplicateFinder {
  static constexpr std::size_t max_object_size = std::size_t(-1);
  static constexpr std::size_t max_array_size = std::size_t(-1);
  static constexpr std::size_t max_key_size = std::size_t(-1);
  static constexpr std::size_t max_string_size = std::size_t(-1);

  struct Frame {
    bool object = false;
    std::set<std::string, std::less<>> keys;
    std::size_t index = 0;        // next element index, for arrays
    std::string segment;          // this container's path segment within its parent
  };
  std::vector<Frame> stack;
  std::string pendingKey;
  std::string lastKey;
  std::vector<std::string> found;

  std::string pathWith(std::string_view key) const {
    std::string p;
    for (std::size_t i = 1; i < stack.size(); ++i) {
      const auto& seg = stack[i].segment;
      if (!p.empty() && seg.front() != '[') p += '.';
      p += seg;
    }
    if (!p.empty()) p += '.';
    p += key;
    return p;
  }
  // A value starts in the current container: remember the segment a nested container gets.
  std::string nextSegment() {
    if (stack.empty()) return {};
    Frame& f = stack.back();
    if (f.object) return lastKey;
    return "[" + std::to_string(f.index++) + "]";
  }
  void scalar() {
    if (!stack.empty() && !stack.back().object) ++stack.back().index;
  }

  bool on_document_begin(boost::system::error_code&) { return true; }
  bool on_document_end(boost::system::error_code&) { return true; }
  bool on_object_begin(boost::system::error_code&) {
    std::string seg = nextSegment();
    stack.push_back(Frame{true, {}, 0, std::move(seg)});
    return true;
  }
  bool on_object_end(std::size_t, boost::system::error_code&) {
    stack.pop_back();
    return true;
  }
  bool on_array_begin(boost::system::error_code&) {
    std::string seg = nextSegment();
    stack.push_back(Frame{false, {}, 0, std::move(seg)});
    return true;
  }
  bool on_array_end(std::size_t, boost::system::error_code&) {
    stack.pop_back();
    return true;
  }
  bool on_key_part(boost::json::string_view s, std::size_t, boost::system::error_code&) {
    pendingKey.append(s.data(), s.size());
    return true;
  }
  bool on_key(boost::json::string_view s, std::size_t, boost::system::error_code&) {
    pendingKey.append(s.data(), s.size());
    if (!stack.empty() && !stack.back().keys.insert(pendingKey).second) found.push_back(pathWith(pendingKey));
    lastKey = std::move(pendingKey);
    pendingKey.clear();
    return true;
  }
  bool on_string_part(boost::json::string_view, std::size_t, boost::system::error_code&) { return true; }
  bool on_string(boost::json::string_view, std::size_t, boost::system::error_code&) {
    scalar();
    return true;
  }
  bool on_number_part(boost::json::string_view, boost::system::error_code&) { return true; }
  bool on_int64(std::int64_t, boost::json::string_view, boost::system::error_code&) {
    scalar();
    return true;
  }
  bool on_uint64(std::uint64_t, boost::json::string_view, boost::system::error_code&) {
    scalar();
    return true;
  }
  bool on_double(double, boost::json::string_view, boost::system::error_code&) {
    scalar();
    return true;
  }
  bool on_bool(bool, boost::system::error_code&) {
    scalar();
    return true;
  }
  bool on_null(boost::system::error_code&) {
    scalar();
    return true;
  }
  bool on_comment_part(boost::json::string_view, boost::system::error_code&) { return true; }
  bool on_comment(boost::json::string_view, boost::system::error_code&) { return true; }
};

}  // namespace

void pruneUnknownFields(json::object& obj, const SchemaNode& root, std::vector<std::string>& unknown) {
  json::value v(std::move(obj));
  std::string path;
  prune(v, root, path, unknown);
  obj = std::move(v.get_object());
}

std::optional<std::string> typeError(const json::object& obj, const SchemaNode& root) {
  std::string fieldPath;
  std::string_view owner = shortName(root.definitionName());
  if (root.isUnknown() || root.preservesUnknownFields()) return std::nullopt;
  const Type t = root.type();
  if (t != Type::Object && t != Type::Unknown) {
    const json::value v(obj);  // refused below: a root schema that is not an object's
    return check(v, root, owner, fieldPath);
  }
  // An object against an object schema: check its members without copying it into a value.
  return checkObject(obj, root, owner, fieldPath);
}

std::vector<std::string> duplicateFields(std::string_view jsonText) {
  boost::json::basic_parser<DuplicateFinder> p{boost::json::parse_options{}};
  boost::system::error_code ec;
  p.write_some(false, jsonText.data(), jsonText.size(), ec);
  return std::move(p.handler().found);
}

}  // namespace apiserver::schema
