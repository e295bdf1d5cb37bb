#include "patch/json_patch.h"

#include "golang/go_json.h"
#include "patch/errors.h"

#include <cstdint>
#include <utility>

namespace apiserver::patch {

namespace {

/// Step is one operation's failure before it is placed in a JsonPatchError.
using Step = Result<void, std::string>;

/// quoted is Go's %q-ish quoting for paths in messages (paths are plain text in practice).
std::string quoted(std::string_view s) {
  return "\"" + std::string(s) + "\"";
}

/// parseIndex reads an RFC 6901 array index: "0" or digits without a leading zero.
std::optional<std::size_t> parseIndex(std::string_view token) {
  if (token.empty() || token.size() > 18)
    return std::nullopt;
  if (token.size() > 1 && token[0] == '0')
    return std::nullopt;
  std::size_t n = 0;
  for (char c : token) {
    if (c < '0' || c > '9')
      return std::nullopt;
    n = n * 10 + static_cast<std::size_t>(c - '0');
  }
  return n;
}

/// numberOf reads any JSON number as a double (for RFC 6902 numeric equality).
bool numberOf(const json::value& v, double* out) {
  switch (v.kind()) {
    case json::kind::int64:
      *out = static_cast<double>(v.get_int64());
      return true;
    case json::kind::uint64:
      *out = static_cast<double>(v.get_uint64());
      return true;
    case json::kind::double_:
      *out = v.get_double();
      return true;
    default:
      return false;
  }
}

/// jsonEqual is RFC 6902's equality for "test": same type; numbers numerically equal; arrays
/// element by element; objects with the same members regardless of order.
bool jsonEqual(const json::value& a, const json::value& b) {
  double x = 0;
  double y = 0;
  if (numberOf(a, &x) && numberOf(b, &y)) {
    if (a.is_int64() && b.is_int64())
      return a.get_int64() == b.get_int64();
    if (a.is_uint64() && b.is_uint64())
      return a.get_uint64() == b.get_uint64();
    return x == y;
  }
  if (a.kind() != b.kind())
    return false;
  switch (a.kind()) {
    case json::kind::null:
      return true;
    case json::kind::bool_:
      return a.get_bool() == b.get_bool();
    case json::kind::string:
      return a.get_string() == b.get_string();
    case json::kind::array: {
      const auto& l = a.get_array();
      const auto& r = b.get_array();
      if (l.size() != r.size())
        return false;
      for (std::size_t i = 0; i < l.size(); ++i)
        if (!jsonEqual(l[i], r[i]))
          return false;
      return true;
    }
    case json::kind::object: {
      const auto& l = a.get_object();
      const auto& r = b.get_object();
      if (l.size() != r.size())
        return false;
      for (const auto& kv : l) {
        const json::value* other = r.if_contains(kv.key());
        if (other == nullptr || !jsonEqual(kv.value(), *other))
          return false;
      }
      return true;
    }
    default:
      return false;
  }
}

/// Applier runs one operation; `doc` is the document being patched.
class Applier {
 public:
  explicit Applier(json::value& doc) : doc_(doc) {}

  Step add(std::string_view op, std::string_view path, const std::vector<std::string>& tokens,
           json::value value) {
    if (tokens.empty()) {
      doc_ = std::move(value);
      return {};
    }
    json::value* parent = resolve(tokens, tokens.size() - 1);
    if (parent == nullptr)
      return missing(op, path);
    const std::string& key = tokens.back();
    if (json::object* o = parent->if_object()) {
      (*o)[key] = std::move(value);
      return {};
    }
    if (json::array* a = parent->if_array()) {
      if (key == "-") {
        a->push_back(std::move(value));
        return {};
      }
      auto index = parseIndex(key);
      if (!index)
        return badIndex(op, path, key);
      if (*index > a->size())
        return outOfBounds(op, path, *index, a->size());
      a->insert(a->begin() + static_cast<std::ptrdiff_t>(*index), std::move(value));
      return {};
    }
    return missing(op, path);
  }

  Step remove(std::string_view op, std::string_view path, const std::vector<std::string>& tokens,
              json::value* removed) {
    if (tokens.empty())
      return fail(std::string(op) + " operation does not apply: cannot remove the whole document");
    json::value* parent = resolve(tokens, tokens.size() - 1);
    if (parent == nullptr)
      return missing(op, path);
    const std::string& key = tokens.back();
    if (json::object* o = parent->if_object()) {
      auto it = o->find(key);
      if (it == o->end())
        return missing(op, path);
      if (removed != nullptr)
        *removed = std::move(it->value());
      o->stable_erase(it);
      return {};
    }
    if (json::array* a = parent->if_array()) {
      auto index = parseIndex(key);
      if (!index)
        return badIndex(op, path, key);
      if (*index >= a->size())
        return outOfBounds(op, path, *index, a->size());
      if (removed != nullptr)
        *removed = std::move((*a)[*index]);
      a->erase(a->begin() + static_cast<std::ptrdiff_t>(*index));
      return {};
    }
    return missing(op, path);
  }

  /// get finds the value at a pointer, or explains why there is none.
  Result<json::value*, std::string> get(std::string_view op, std::string_view path,
                                        const std::vector<std::string>& tokens) {
    if (tokens.empty())
      return &doc_;
    json::value* parent = resolve(tokens, tokens.size() - 1);
    if (parent == nullptr)
      return fail(missingText(op, path));
    const std::string& key = tokens.back();
    if (json::object* o = parent->if_object()) {
      json::value* v = o->if_contains(key);
      if (v == nullptr)
        return fail(missingText(op, path));
      return v;
    }
    if (json::array* a = parent->if_array()) {
      auto index = parseIndex(key);
      if (!index)
        return fail(badIndexText(op, path, key));
      if (*index >= a->size())
        return fail(outOfBoundsText(op, path, *index, a->size()));
      return &(*a)[*index];
    }
    return fail(missingText(op, path));
  }

 private:
  /// resolve walks the first `count` tokens; nullptr when a step does not exist.
  json::value* resolve(const std::vector<std::string>& tokens, std::size_t count) {
    json::value* cur = &doc_;
    for (std::size_t i = 0; i < count; ++i) {
      if (json::object* o = cur->if_object()) {
        cur = o->if_contains(tokens[i]);
        if (cur == nullptr)
          return nullptr;
      } else if (json::array* a = cur->if_array()) {
        auto index = parseIndex(tokens[i]);
        if (!index || *index >= a->size())
          return nullptr;
        cur = &(*a)[*index];
      } else {
        return nullptr;
      }
    }
    return cur;
  }

  static std::string missingText(std::string_view op, std::string_view path) {
    return std::string(op) + " operation does not apply: doc is missing path: " + quoted(path);
  }
  static std::string badIndexText(std::string_view op, std::string_view path,
                                  std::string_view key) {
    return std::string(op) + " operation does not apply: invalid array index " + quoted(key) +
           " in path " + quoted(path);
  }
  static std::string outOfBoundsText(std::string_view op, std::string_view path, std::size_t index,
                                     std::size_t size) {
    return std::string(op) + " operation does not apply: index " + std::to_string(index) +
           " is out of bounds (array length " + std::to_string(size) + ") in path " + quoted(path);
  }
  static Step missing(std::string_view op, std::string_view path) {
    return fail(missingText(op, path));
  }
  static Step badIndex(std::string_view op, std::string_view path, std::string_view key) {
    return fail(badIndexText(op, path, key));
  }
  static Step outOfBounds(std::string_view op, std::string_view path, std::size_t index,
                          std::size_t size) {
    return fail(outOfBoundsText(op, path, index, size));
  }

  json::value& doc_;
};

/// pointerMember reads the "path" or "from" member of an operation as a pointer.
Result<std::vector<std::string>, std::string> pointerMember(const json::object& op,
                                                            std::string_view kind,
                                                            std::string_view member) {
  const json::value* v = op.if_contains(member);
  if (v == nullptr || v->is_null())
    return fail(std::string(kind) + " operation is missing the \"" + std::string(member) +
                "\" member");
  if (!v->is_string())
    return fail(std::string(kind) + " operation has a \"" + std::string(member) +
                "\" member that is not a string");
  auto tokens = parseJsonPointer(v->get_string());
  if (!tokens)
    return fail(std::string(kind) + " operation does not apply: invalid JSON pointer " +
                quoted(std::string_view(v->get_string())));
  return std::move(*tokens);
}

/// isProperPrefix tells whether pointer `a` names an ancestor of pointer `b`.
bool isProperPrefix(const std::vector<std::string>& a, const std::vector<std::string>& b) {
  if (a.size() >= b.size())
    return false;
  for (std::size_t i = 0; i < a.size(); ++i)
    if (a[i] != b[i])
      return false;
  return true;
}

/// applyOne runs operation `opv` on `doc`.
Step applyOne(json::value& doc, const json::value& opv, std::string_view kind,
              std::string_view path) {
  const json::object* op = opv.if_object();
  if (op == nullptr)
    return fail(std::string("Unexpected kind: unknown"));
  if (kind != "add" && kind != "remove" && kind != "replace" && kind != "move" && kind != "copy" &&
      kind != "test")
    return fail("Unexpected kind: " + std::string(kind));
  auto tokens = pointerMember(*op, kind, "path");
  if (!tokens)
    return fail(std::move(tokens).error());
  Applier applier(doc);
  const json::value* value = op->if_contains("value");
  auto needValue = [&]() -> Step {
    if (value == nullptr)
      return fail(std::string(kind) + " operation is missing the \"value\" member");
    return {};
  };

  if (kind == "add") {
    if (auto s = needValue(); !s)
      return s;
    return applier.add(kind, path, *tokens, *value);
  }
  if (kind == "remove")
    return applier.remove(kind, path, *tokens, nullptr);
  if (kind == "replace") {
    if (auto s = needValue(); !s)
      return s;
    auto target = applier.get(kind, path, *tokens);
    if (!target)
      return fail(std::move(target).error());
    **target = *value;
    return {};
  }
  if (kind == "test") {
    if (auto s = needValue(); !s)
      return s;
    auto target = applier.get(kind, path, *tokens);
    if (!target)
      return fail(std::move(target).error());
    if (!jsonEqual(**target, *value))
      return fail("testing value " + std::string(path) + " failed: test failed");
    return {};
  }
  // move and copy
  auto from = pointerMember(*op, kind, "from");
  if (!from)
    return fail(std::move(from).error());
  const std::string fromText(op->if_contains("from")->get_string());  // checked above
  if (kind == "copy") {
    auto source = applier.get(kind, fromText, *from);
    if (!source)
      return fail(std::move(source).error());
    json::value copy = **source;
    return applier.add(kind, path, *tokens, std::move(copy));
  }
  // move
  if (isProperPrefix(*from, *tokens))
    return fail("move operation does not apply: \"from\" " + quoted(fromText) +
                " is a proper prefix of \"path\" " + quoted(path));
  auto source = applier.get(kind, fromText, *from);
  if (!source)
    return fail(std::move(source).error());
  if (*from == *tokens)
    return {};
  json::value moved;
  if (auto s = applier.remove(kind, fromText, *from, &moved); !s)
    return s;
  return applier.add(kind, path, *tokens, std::move(moved));
}

}  // namespace

std::string JsonPatchError::str() const {
  return "json patch operation " + std::to_string(index) + " (" + op + " " + path + "): " + message;
}

ApiError JsonPatchError::toApiError() const {
  return patchInvalidError();
}

Result<JsonPatch> JsonPatch::parse(std::string_view body) {
  auto parsed = golang::parseJson(body);
  if (!parsed)
    return fail(ApiError::badRequest(std::move(parsed).error()));
  return fromValue(*parsed);
}

Result<JsonPatch> JsonPatch::fromValue(const json::value& patch) {
  JsonPatch out;
  if (patch.is_null())
    return out;  // Go decodes `null` into a nil Patch: no operations
  const json::array* ops = patch.if_array();
  if (ops == nullptr)
    return fail(ApiError::badRequest("json: cannot unmarshal " +
                                     std::string(golang::goJsonKind(patch)) +
                                     " into Go value of type jsonpatch.Patch"));
  for (const auto& op : *ops) {
    if (!op.is_object() && !op.is_null())
      return fail(ApiError::badRequest("json: cannot unmarshal " +
                                       std::string(golang::goJsonKind(op)) +
                                       " into Go value of type jsonpatch.Operation"));
  }
  if (ops->size() > kMaxOperations)
    return fail(ApiError::requestEntityTooLarge(
        "The allowed maximum operations in a JSON patch is " + std::to_string(kMaxOperations) +
        ", got " + std::to_string(ops->size())));
  out.operations_ = *ops;
  return out;
}

Result<json::value, JsonPatchError> JsonPatch::apply(json::value doc) const {
  for (std::size_t i = 0; i < operations_.size(); ++i) {
    const json::value& opv = operations_[i];
    std::string kind = "unknown";
    std::string path;
    if (const json::object* o = opv.if_object()) {
      if (const auto* k = o->if_contains("op"); k != nullptr && k->is_string())
        kind = k->get_string();
      if (const auto* p = o->if_contains("path"); p != nullptr && p->is_string())
        path = p->get_string();
    }
    if (auto step = applyOne(doc, opv, kind, path); !step)
      return JsonPatchError{i, std::move(kind), std::move(path), std::move(step).error()};
  }
  return doc;
}

Result<json::value> applyJsonPatch(const json::value& doc, std::string_view patchBody) {
  auto patch = JsonPatch::parse(patchBody);
  if (!patch)
    return fail(std::move(patch).error());
  auto result = patch->apply(doc);
  if (!result)
    return fail(result.error().toApiError());
  return std::move(*result);
}

std::optional<std::vector<std::string>> parseJsonPointer(std::string_view pointer) {
  std::vector<std::string> tokens;
  if (pointer.empty())
    return tokens;
  if (pointer.front() != '/')
    return std::nullopt;
  std::string cur;
  for (std::size_t i = 1; i <= pointer.size(); ++i) {
    if (i == pointer.size() || pointer[i] == '/') {
      tokens.push_back(std::move(cur));
      cur.clear();
      continue;
    }
    char c = pointer[i];
    if (c == '~') {
      if (i + 1 >= pointer.size())
        return std::nullopt;
      char n = pointer[i + 1];
      if (n == '0') {
        cur.push_back('~');
      } else if (n == '1') {
        cur.push_back('/');
      } else {
        return std::nullopt;
      }
      ++i;
    } else {
      cur.push_back(c);
    }
  }
  return tokens;
}

}  // namespace apiserver::patch
