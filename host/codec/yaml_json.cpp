#include "codec/yaml_json.h"

#include <yaml-cpp/yaml.h>

#include <boost/json/serialize.hpp>

#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstdlib>
#include <set>

namespace apiserver::codec {

namespace {

namespace json = boost::json;

bool isNull(const std::string& s) { return s.empty() || s == "~" || s == "null" || s == "Null" || s == "NULL"; }

std::optional<bool> asBool(const std::string& s) {
  static const std::set<std::string> kTrue = {"y", "Y", "yes", "Yes", "YES", "true", "True", "TRUE", "on", "On", "ON"};
  static const std::set<std::string> kFalse = {"n", "N", "no", "No", "NO", "false", "False", "FALSE", "off", "Off", "OFF"};
  if (kTrue.count(s)) return true;
  if (kFalse.count(s)) return false;
  return std::nullopt;
}

// isInfOrNan: YAML 1.1 floats JSON cannot hold.
bool isInfOrNan(const std::string& s) {
  static const std::set<std::string> k = {".inf", ".Inf", ".INF", "+.inf", "+.Inf", "+.INF", "-.inf",
                                          "-.Inf", "-.INF", ".nan", ".NaN", ".NAN"};
  return k.count(s) != 0;
}

std::optional<json::value> asNumber(const std::string& s) {
  if (s.empty()) return std::nullopt;
  std::string t;
  for (char c : s)
    if (c != '_') t.push_back(c);  // YAML 1.1 allows digit separators
  const char* b = t.c_str();
  char* end = nullptr;
  bool neg = t[0] == '-';
  std::size_t sign = (t[0] == '-' || t[0] == '+') ? 1 : 0;
  int base = 10;
  if (t.size() > sign + 2 && t[sign] == '0' && t[sign + 1] == 'b') {
    // YAML 1.1 binary: 0b101
    t.erase(sign, 2);
    if (t.size() == sign || t.find_first_not_of("01", sign) != std::string::npos) return std::nullopt;
    errno = 0;
    long long v = std::strtoll(t.c_str(), &end, 2);
    if (errno != 0 || *end != '\0') return std::nullopt;
    return json::value(static_cast<std::int64_t>(v));
  }
  if (t.size() > sign + 2 && t[sign] == '0' && (t[sign + 1] == 'x' || t[sign + 1] == 'X')) base = 16;
  else if (t.size() > sign + 2 && t[sign] == '0' && t[sign + 1] == 'o') { base = 8; t.erase(sign + 1, 1); b = t.c_str(); }
  else if (t.size() > sign + 1 && t[sign] == '0' && t.find_first_not_of("01234567", sign) == std::string::npos) base = 8;
  bool allDigits = t.size() > sign;
  for (std::size_t i = sign; i < t.size(); ++i) {
    char c = t[i];
    bool digit = base == 16 ? std::isxdigit(static_cast<unsigned char>(c)) || (i == sign + 1 && (c == 'x' || c == 'X'))
                            : (c >= '0' && c <= '9');
    if (!digit) allDigits = false;
  }
  if (allDigits) {
    errno = 0;
    if (neg) {
      long long v = std::strtoll(b, &end, base);
      if (errno == 0 && *end == '\0') return json::value(static_cast<std::int64_t>(v));
    } else {
      unsigned long long v = std::strtoull(b, &end, base);
      if (errno == 0 && *end == '\0') {
        if (v <= static_cast<unsigned long long>(INT64_MAX)) return json::value(static_cast<std::int64_t>(v));
        return json::value(static_cast<std::uint64_t>(v));
      }
    }
  }

  // A float needs a digit and only float characters.
  if (t.find_first_of("0123456789") == std::string::npos) return std::nullopt;
  if (t.find_first_not_of("0123456789+-.eE") != std::string::npos) return std::nullopt;
  errno = 0;
  double d = std::strtod(t.c_str(), &end);
  if (errno == 0 && *end == '\0' && std::isfinite(d)) return json::value(d);
  return std::nullopt;
}

/// ConversionError stops a conversion with a message (caught in yamlToJson).
struct ConversionError {
  std::string message;
  int line;
};

struct Converter {
  const YamlToJsonOptions& opts;
  std::string_view text;

  // A quoted scalar must be closed: yaml-cpp takes an unterminated one to the end of the
  // input, which would silently swallow everything after it.
  void checkQuoted(const YAML::Node& n) {
    const YAML::Mark m = n.Mark();
    if (m.pos < 0 || static_cast<std::size_t>(m.pos) >= text.size()) return;
    const char q = text[static_cast<std::size_t>(m.pos)];
    if (q != '"' && q != '\'') return;
    for (std::size_t i = static_cast<std::size_t>(m.pos) + 1; i < text.size(); ++i) {
      if (q == '"' && text[i] == '\\') {
        ++i;
        continue;
      }
      if (text[i] == q) {
        if (q == '\'' && i + 1 < text.size() && text[i + 1] == '\'') {
          ++i;  // '' is an escaped quote
          continue;
        }
        return;
      }
    }
    throw ConversionError{"found unexpected end of stream while scanning a quoted scalar", m.line};
  }

  // key resolves a mapping key as sigs.k8s.io/yaml does: plain keys that YAML reads as booleans
  // or numbers become their JSON text; a null key is refused.
  std::string key(const YAML::Node& k) {
    if (k.IsNull() && opts.typedScalars) throw ConversionError{"unsupported map key: null", k.Mark().line};
    if (!k.IsScalar()) return YAML::Dump(k);
    checkQuoted(k);
    const std::string& s = k.Scalar();
    if (!opts.typedScalars || k.Tag() != "?") return s;
    if (isNull(s)) throw ConversionError{"unsupported map key: null", k.Mark().line};
    if (auto b = asBool(s)) return *b ? "true" : "false";
    if (auto num = asNumber(s)) {
      if (num->is_double()) {
        char buf[64];
        auto [end, ec] = std::to_chars(buf, buf + sizeof buf, num->get_double());
        return ec == std::errc() ? std::string(buf, end) : s;
      }
      return json::serialize(*num);
    }
    return s;
  }

  void record(const std::string& path, const YAML::Mark& m) {
    if (opts.locations == nullptr || m.line < 0) return;
    (*opts.locations)[path] = opts.file + ":" + std::to_string(m.line + 1) + ":" + std::to_string(m.column + 1);
  }

  json::value convert(const YAML::Node& n, const std::string& path) {
    record(path, n.Mark());
    switch (n.Type()) {
      case YAML::NodeType::Null:
      case YAML::NodeType::Undefined:
        return nullptr;
      case YAML::NodeType::Scalar: {
        checkQuoted(n);
        const std::string& s = n.Scalar();
        if (!opts.typedScalars || n.Tag() == "!" || n.Tag() == "tag:yaml.org,2002:str") return json::value(s);
        if (isNull(s)) return nullptr;
        if (auto b = asBool(s)) return json::value(*b);
        if (isInfOrNan(s)) throw ConversionError{"json: unsupported value: " + s, n.Mark().line};
        if (auto num = asNumber(s)) return *num;
        return json::value(s);
      }
      case YAML::NodeType::Sequence: {
        json::array a;
        a.reserve(n.size());
        std::size_t i = 0;
        for (const auto& e : n) a.push_back(convert(e, path + "[" + std::to_string(i++) + "]"));
        return a;
      }
      case YAML::NodeType::Map: {
        json::object o;
        for (const auto& kv : n) {
          std::string key = this->key(kv.first);
          std::string child = path.empty() ? key : path + "." + key;
          record(child, kv.first.Mark());
          o[key] = convert(kv.second, child);
          record(child, kv.first.Mark());  // the key's position is what a person looks for
        }
        return o;
      }
    }
    return nullptr;
  }
};

void emit(YAML::Emitter& out, const json::value& v) {
  switch (v.kind()) {
    case json::kind::null: out << YAML::Null; break;
    case json::kind::bool_: out << (v.get_bool() ? "true" : "false"); break;
    case json::kind::int64: out << v.get_int64(); break;
    case json::kind::uint64: out << v.get_uint64(); break;
    case json::kind::double_: out << v.get_double(); break;
    case json::kind::string: {
      std::string s(v.get_string());
      // Quote strings that YAML would otherwise read back as another type.
      bool ambiguous = isNull(s) || asBool(s).has_value() || asNumber(s).has_value() || isInfOrNan(s);
      if (ambiguous) out << YAML::DoubleQuoted;
      out << s;
      break;
    }
    case json::kind::array:
      out << YAML::BeginSeq;
      for (const auto& e : v.get_array()) emit(out, e);
      out << YAML::EndSeq;
      break;
    case json::kind::object:
      out << YAML::BeginMap;
      for (const auto& kv : v.get_object()) {
        out << YAML::Key << std::string(kv.key()) << YAML::Value;
        emit(out, kv.value());
      }
      out << YAML::EndMap;
      break;
  }
}

}  // namespace

Result<boost::json::value> yamlToJson(std::string_view text, const YamlToJsonOptions& options) {
  try {
    YAML::Node root = YAML::Load(std::string(text));
    Converter c{options, text};
    return c.convert(root, "");
  } catch (const ConversionError& e) {
    std::string where = options.file.empty() ? "yaml: " : options.file + ": ";
    return fail(ApiError::badRequest("error converting YAML to JSON: " + where + "line " + std::to_string(e.line + 1) +
                                     ": " + e.message));
  } catch (const YAML::Exception& e) {
    std::string where = options.file.empty() ? "yaml: " : options.file + ": ";
    return fail(ApiError::badRequest("error converting YAML to JSON: " + where + "line " +
                                     std::to_string(e.mark.line + 1) + ": " + e.msg));
  } catch (const std::exception& e) {
    return fail(ApiError::badRequest(std::string("error converting YAML to JSON: ") + e.what()));
  }
}

Result<ConfigSection, std::string> configYaml(std::string_view text, const std::string& file) {
  auto locations = std::make_shared<ConfigLocations>();
  YamlToJsonOptions yo;
  yo.typedScalars = false;
  yo.locations = locations.get();
  yo.file = file;
  auto doc = yamlToJson(text, yo);
  if (!doc) {
    std::string msg = std::move(doc).error().message;
    constexpr std::string_view kPrefix = "error converting YAML to JSON: ";
    if (std::string_view(msg).substr(0, kPrefix.size()) == kPrefix)
      msg.erase(0, kPrefix.size());
    return fail("invalid YAML: " + msg);
  }
  (*locations)[""] = file;
  return ConfigSection(std::move(*doc), "", std::move(locations));
}

std::string jsonToYaml(const boost::json::value& value) {
  YAML::Emitter out;
  out.SetNullFormat(YAML::LowerNull);  // "null", as kube writes it
  emit(out, value);
  std::string s = out.c_str();
  s.push_back('\n');
  return s;
}

}  // namespace apiserver::codec
