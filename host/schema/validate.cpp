#include "schema/validate.h"

#include <boost/json/basic_parser_impl.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value_stack.hpp>

#include <algorithm>
#include <charconv>
#include <functional>
#include <iterator>
#include <memory>
#include <unordered_set>

namespace apiserver::schema {

namespace {

void appendKey(std::string& path, std::string_view key) {
  if (!path.empty()) path += '.';
  path += key;
}

// declaresAdditional tells whether a node defines a map value schema (or allows any keys).
bool allowsAnyKeys(const SchemaNode& node) {
  const json::value* ap = node.additionalPropertiesKeyword();
  if (ap == nullptr) return false;
  if (ap->is_bool()) return ap->get_bool();
  return true;
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

/// FieldDecoder is decodeFields' walk: the type check and the pruning of one body together,
/// over the values and their schema.
class FieldDecoder {
 public:
  explicit FieldDecoder(std::vector<std::string>& unknown) : unknown_(unknown) {}

  /// value checks and prunes `v`; `owner` is the innermost struct's name (Go's error names it).
  std::optional<std::string> value(json::value& v, const SchemaNode& node, std::string_view owner) {
    if (node.isUnknown() || node.preservesUnknownFields() || v.is_null())
      return std::nullopt;
    if (!allowed(v, node))
      return refusal(jsonKind(v), node, owner);
    if (node.isIntOrString())
      return std::nullopt;
    if (auto* o = v.if_object())
      return object(*o, node, innerName(node, owner));
    if (auto* a = v.if_array()) {
      const SchemaNode items = node.items();
      for (std::size_t i = 0; i < a->size(); ++i) {
        const std::size_t mark = path_.size();
        path_ += '[';
        path_ += std::to_string(i);
        path_ += ']';
        auto e = value((*a)[i], items, owner);  // Go names a list item's errors by the list's owner
        path_.resize(mark);
        if (e)
          return e;
      }
    }
    return std::nullopt;
  }

  /// object checks and prunes the members of an object that `node` allows; `inner` is its name.
  std::optional<std::string> object(json::object& o, const SchemaNode& node,
                                    std::string_view inner) {
    const bool declared = node.hasProperties();
    const bool map = allowsAnyKeys(node);
    if (!declared && !map)
      return std::nullopt;  // a free-form object (FieldsV1, RawExtension)
    const auto& required = node.required();
    for (auto it = o.begin(); it != o.end();) {
      const std::size_t mark = path_.size();
      const std::size_t fieldMark = fieldPath_.size();
      appendKey(path_, it->key());
      appendKey(fieldPath_, it->key());
      std::optional<SchemaNode> child = declared ? node.property(it->key()) : std::nullopt;
      std::optional<std::string> error;
      bool drop = false;
      if (child) {
        error = value(it->value(), *child, inner);
        // Go's encoder omits empty slices and maps of optional (omitempty) fields, so a typed
        // kube object never shows `labels: {}` or `finalizers: []`.
        const bool emptyList = it->value().is_array() && it->value().get_array().empty();
        const bool emptyMap = it->value().is_object() && it->value().get_object().empty() &&
                              !child->hasProperties() && allowsAnyKeys(*child);
        drop = (emptyList || emptyMap) &&
               std::find(required.begin(), required.end(), it->key()) == required.end();
      } else if (map) {
        error = value(it->value(), node.additionalProperties(), inner);
      } else {
        unknown_.push_back(path_);
        drop = true;
      }
      path_.resize(mark);
      fieldPath_.resize(fieldMark);
      if (error)
        return error;
      it =
          drop ? o.stable_erase(it) : std::next(it);  // stable: the remaining keys keep their order
    }
    return std::nullopt;
  }

  /// refusal is Go's json error for a value of JSON kind `kind` where `node` wants another.
  std::string refusal(std::string_view kind, const SchemaNode& node, std::string_view owner) const {
    return "json: cannot unmarshal " + std::string(kind) + " into Go struct field " +
           std::string(owner) + "." + fieldPath_ + " of type " + goType(node);
  }

  static std::string_view innerName(const SchemaNode& node, std::string_view owner) {
    return node.definitionName().empty() ? owner : shortName(node.definitionName());
  }

 private:
  std::vector<std::string>& unknown_;
  std::string path_;       ///< the pruned fields' paths: "spec.containers[0].foo"
  std::string fieldPath_;  ///< Go's error path: dotted, without list indexes
};

/// DuplicateFinder is a basic_parser handler that only tracks the keys of each open object. The
/// keys of the open objects are kept in one buffer (an object's keys follow its parent's, and go
/// when it closes), so a key costs no allocation; an object with many keys gets a hash set of
/// them too.
struct DuplicateFinder {
  static constexpr std::size_t max_object_size = std::size_t(-1);
  static constexpr std::size_t max_array_size = std::size_t(-1);
  static constexpr std::size_t max_key_size = std::size_t(-1);
  static constexpr std::size_t max_string_size = std::size_t(-1);
  /// kScanKeys is how many keys a new key is compared with one by one.
  static constexpr std::size_t kScanKeys = 32;

  struct Key {
    std::size_t at;
    std::size_t size;
  };
  /// Keys in a hash set are indexes into `keys`, hashed and compared by their bytes, so that
  /// `buffer` may move.
  struct KeyHash {
    const DuplicateFinder* f;
    std::size_t operator()(std::size_t i) const {
      return std::hash<std::string_view>{}(f->keyAt(i));
    }
  };
  struct KeyEqual {
    const DuplicateFinder* f;
    bool operator()(std::size_t a, std::size_t b) const { return f->keyAt(a) == f->keyAt(b); }
  };
  using KeySet = std::unordered_set<std::size_t, KeyHash, KeyEqual>;
  struct Frame {
    bool object = false;
    std::size_t firstKey = 0;  // objects: where this object's keys start in `keys`
    std::size_t index = 0;     // arrays: the next element's index
    std::size_t name = 0;      // how the parent names this container: its key (an index into
                               // `keys`) in an object, its index in an array
    std::unique_ptr<KeySet> many;
  };
  std::vector<Frame> stack;
  std::string buffer;       // the keys' bytes
  std::vector<Key> keys;    // the keys of the open objects, back to back in `buffer`
  std::vector<std::string> found;

  std::string_view keyAt(std::size_t i) const {
    return std::string_view(buffer).substr(keys[i].at, keys[i].size);
  }

  std::string pathWith(std::string_view key) const {
    std::string p;
    for (std::size_t i = 1; i < stack.size(); ++i) {
      if (stack[i - 1].object) {
        if (!p.empty())
          p += '.';
        p += keyAt(stack[i].name);
      } else {
        p += "[" + std::to_string(stack[i].name) + "]";
      }
    }
    if (!p.empty()) p += '.';
    p += key;
    return p;
  }
  // A value starts in the current container: the name a nested container gets.
  std::size_t nextName() {
    if (stack.empty())
      return 0;
    Frame& f = stack.back();
    if (f.object)
      return keys.size() - 1;
    return f.index++;
  }
  void open(bool object) {
    const std::size_t name = nextName();
    stack.push_back(Frame{object, keys.size(), 0, name, nullptr});
  }
  void close() {
    const Frame& f = stack.back();
    if (f.object && f.firstKey < keys.size()) {
      buffer.resize(keys[f.firstKey].at);
      keys.resize(f.firstKey);
    }
    stack.pop_back();
  }
  void scalar() {
    if (!stack.empty() && !stack.back().object) ++stack.back().index;
  }
  /// repeated tells whether the object's last key (just read) is one it had already.
  bool repeated(Frame& f) {
    const std::size_t last = keys.size() - 1;
    if (f.many)
      return !f.many->insert(last).second;
    const std::string_view key = keyAt(last);
    for (std::size_t i = f.firstKey; i < last; ++i)
      if (keyAt(i) == key)
        return true;
    if (last - f.firstKey >= kScanKeys) {
      f.many = std::make_unique<KeySet>(2 * kScanKeys, KeyHash{this}, KeyEqual{this});
      for (std::size_t i = f.firstKey; i <= last; ++i)
        f.many->insert(i);
    }
    return false;
  }

  bool on_document_begin(boost::system::error_code&) { return true; }
  bool on_document_end(boost::system::error_code&) { return true; }
  bool on_object_begin(boost::system::error_code&) {
    open(true);
    return true;
  }
  bool on_object_end(std::size_t, boost::system::error_code&) {
    close();
    return true;
  }
  bool on_array_begin(boost::system::error_code&) {
    open(false);
    return true;
  }
  bool on_array_end(std::size_t, boost::system::error_code&) {
    close();
    return true;
  }
  bool on_key_part(boost::json::string_view s, std::size_t, boost::system::error_code&) {
    buffer.append(s.data(), s.size());
    return true;
  }
  bool on_key(boost::json::string_view s, std::size_t, boost::system::error_code&) {
    // The key read starts where the last open key ends.
    const std::size_t at = keys.empty() ? 0 : keys.back().at + keys.back().size;
    buffer.append(s.data(), s.size());
    keys.push_back(Key{at, buffer.size() - at});
    if (!stack.empty() && repeated(stack.back()))
      found.push_back(pathWith(keyAt(keys.size() - 1)));
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

/// ValueBuilder is boost::json's own parse handler (a value_stack fed by every event) that
/// counts the keys it reads: an object built from the stack keeps the last of repeated keys, so
/// a document has a repeated key exactly when its objects hold fewer members than keys were read.
struct ValueBuilder {
  static constexpr std::size_t max_object_size = json::object::max_size();
  static constexpr std::size_t max_array_size = json::array::max_size();
  static constexpr std::size_t max_key_size = json::string::max_size();
  static constexpr std::size_t max_string_size = json::string::max_size();

  json::value_stack st;
  std::size_t keys = 0;

  ValueBuilder(json::storage_ptr sp, unsigned char* buffer, std::size_t size)
      : st(std::move(sp), buffer, size) {}

  bool on_document_begin(boost::system::error_code&) { return true; }
  bool on_document_end(boost::system::error_code&) { return true; }
  bool on_object_begin(boost::system::error_code&) { return true; }
  bool on_object_end(std::size_t n, boost::system::error_code&) {
    st.push_object(n);
    return true;
  }
  bool on_array_begin(boost::system::error_code&) { return true; }
  bool on_array_end(std::size_t n, boost::system::error_code&) {
    st.push_array(n);
    return true;
  }
  bool on_key_part(boost::json::string_view s, std::size_t, boost::system::error_code&) {
    st.push_chars(s);
    return true;
  }
  bool on_key(boost::json::string_view s, std::size_t, boost::system::error_code&) {
    st.push_key(s);
    ++keys;
    return true;
  }
  bool on_string_part(boost::json::string_view s, std::size_t, boost::system::error_code&) {
    st.push_chars(s);
    return true;
  }
  bool on_string(boost::json::string_view s, std::size_t, boost::system::error_code&) {
    st.push_string(s);
    return true;
  }
  bool on_number_part(boost::json::string_view, boost::system::error_code&) { return true; }
  bool on_int64(std::int64_t i, boost::json::string_view, boost::system::error_code&) {
    st.push_int64(i);
    return true;
  }
  bool on_uint64(std::uint64_t u, boost::json::string_view, boost::system::error_code&) {
    st.push_uint64(u);
    return true;
  }
  bool on_double(double d, boost::json::string_view, boost::system::error_code&) {
    st.push_double(d);
    return true;
  }
  bool on_bool(bool b, boost::system::error_code&) {
    st.push_bool(b);
    return true;
  }
  bool on_null(boost::system::error_code&) {
    st.push_null();
    return true;
  }
  bool on_comment_part(boost::json::string_view, boost::system::error_code&) { return true; }
  bool on_comment(boost::json::string_view, boost::system::error_code&) { return true; }
};

/// members counts the members of every object in `v`.
std::size_t members(const json::value& v) {
  std::size_t n = 0;
  if (const json::object* o = v.if_object()) {
    n = o->size();
    for (const auto& kv : *o)
      if (kv.value().is_structured())
        n += members(kv.value());
  } else if (const json::array* a = v.if_array()) {
    for (const auto& e : *a)
      if (e.is_structured())
        n += members(e);
  }
  return n;
}

}  // namespace

json::value parseFindingDuplicates(std::string_view text, boost::system::error_code& ec,
                                   json::storage_ptr sp, const json::parse_options& options,
                                   std::vector<std::string>* duplicates) {
  unsigned char buffer[BOOST_JSON_STACK_BUFFER_SIZE];
  boost::json::basic_parser<ValueBuilder> p(options, json::storage_ptr(), buffer, sizeof buffer);
  p.handler().st.reset(std::move(sp));
  const std::size_t n = p.write_some(false, text.data(), text.size(), ec);
  if (!ec && n < text.size())
    ec = boost::json::error::extra_data;
  if (ec)
    return nullptr;
  json::value out = p.handler().st.release();
  // Fewer members than keys read: some key was repeated. Only then is the text read again, by
  // the finder that names every repeated key with its path.
  if (duplicates != nullptr && members(out) != p.handler().keys) {
    std::vector<std::string> found = duplicateFields(text);
    std::move(found.begin(), found.end(), std::back_inserter(*duplicates));
  }
  return out;
}

std::optional<std::string> decodeFields(json::object& obj, const SchemaNode& root,
                                        std::vector<std::string>& unknown) {
  if (root.isUnknown() || root.preservesUnknownFields()) return std::nullopt;
  FieldDecoder d(unknown);
  const std::string_view owner = shortName(root.definitionName());
  if (root.isIntOrString())
    return std::nullopt;
  const Type t = root.type();
  if (t != Type::Object && t != Type::Unknown)
    return d.refusal("object", root, owner);  // a root schema that is not an object's
  return d.object(obj, root, owner);
}

std::vector<std::string> duplicateFields(std::string_view jsonText) {
  boost::json::basic_parser<DuplicateFinder> p{boost::json::parse_options{}};
  boost::system::error_code ec;
  p.write_some(false, jsonText.data(), jsonText.size(), ec);
  return std::move(p.handler().found);
}

}  // namespace apiserver::schema
