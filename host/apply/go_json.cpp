#include "apply/go_json.h"

#include <boost/json/object.hpp>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <vector>

namespace apiserver::apply::detail {

namespace {

constexpr char kHex[] = "0123456789abcdef";

/// decodeRune reads one UTF-8 sequence at s[i]; returns the code point and its length, or
/// {-1, 1} for an invalid byte (Go's utf8.RuneError with width 1).
std::pair<std::int32_t, std::size_t> decodeRune(std::string_view s, std::size_t i) {
  const auto b0 = static_cast<unsigned char>(s[i]);
  if (b0 < 0x80)
    return {b0, 1};
  std::size_t len = 0;
  std::int32_t cp = 0;
  std::int32_t min = 0;
  if ((b0 & 0xE0) == 0xC0) {
    len = 2;
    cp = b0 & 0x1F;
    min = 0x80;
  } else if ((b0 & 0xF0) == 0xE0) {
    len = 3;
    cp = b0 & 0x0F;
    min = 0x800;
  } else if ((b0 & 0xF8) == 0xF0) {
    len = 4;
    cp = b0 & 0x07;
    min = 0x10000;
  } else {
    return {-1, 1};
  }
  if (i + len > s.size())
    return {-1, 1};
  for (std::size_t k = 1; k < len; ++k) {
    const auto b = static_cast<unsigned char>(s[i + k]);
    if ((b & 0xC0) != 0x80)
      return {-1, 1};
    cp = (cp << 6) | (b & 0x3F);
  }
  if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
    return {-1, 1};
  return {cp, len};
}

void appendU4(std::string& out, unsigned v) {
  out += "\\u";
  out.push_back(kHex[(v >> 12) & 0xF]);
  out.push_back(kHex[(v >> 8) & 0xF]);
  out.push_back(kHex[(v >> 4) & 0xF]);
  out.push_back(kHex[v & 0xF]);
}

void appendNumber(std::string& out, const json::value& v) {
  if (v.is_int64()) {
    out += std::to_string(v.get_int64());
  } else if (v.is_uint64()) {
    out += std::to_string(v.get_uint64());
  } else {
    out += goFormatFloat(v.get_double());
  }
}

void marshal(std::string& out, const json::value& v) {
  switch (v.kind()) {
    case json::kind::null:
      out += "null";
      return;
    case json::kind::bool_:
      out += v.get_bool() ? "true" : "false";
      return;
    case json::kind::int64:
    case json::kind::uint64:
    case json::kind::double_:
      appendNumber(out, v);
      return;
    case json::kind::string:
      appendGoString(out, v.get_string());
      return;
    case json::kind::array: {
      out.push_back('[');
      bool first = true;
      for (const auto& e : v.get_array()) {
        if (!first)
          out.push_back(',');
        first = false;
        marshal(out, e);
      }
      out.push_back(']');
      return;
    }
    case json::kind::object: {
      const json::object& o = v.get_object();
      std::vector<const json::key_value_pair*> items;
      items.reserve(o.size());
      for (const auto& kv : o)
        items.push_back(&kv);
      std::sort(items.begin(), items.end(),
                [](const auto* a, const auto* b) { return a->key() < b->key(); });
      out.push_back('{');
      bool first = true;
      for (const auto* kv : items) {
        if (!first)
          out.push_back(',');
        first = false;
        appendGoString(out, kv->key());
        out.push_back(':');
        marshal(out, kv->value());
      }
      out.push_back('}');
      return;
    }
  }
}

/// shortestFixed and shortestScientific are strconv.FormatFloat(f, 'f'|'e', -1, 64).
std::string shortestFixed(double f) {
  char buf[400];
  auto r = std::to_chars(buf, buf + sizeof buf, f, std::chars_format::fixed);
  return std::string(buf, r.ptr);
}

std::string shortestScientific(double f) {
  char buf[64];
  auto r = std::to_chars(buf, buf + sizeof buf, f, std::chars_format::scientific);
  return std::string(buf, r.ptr);
}

std::string formatFloatV(double f) {
  // fmt's %v of a float64 is strconv's shortest 'g' form: the exponent form when the decimal
  // exponent is below -4 or at least 6 (Go's precision for this decision with shortest digits).
  if (f == 0)
    return std::signbit(f) ? "-0" : "0";
  std::string sci = shortestScientific(f);
  const std::size_t e = sci.find('e');
  const int exp = std::atoi(sci.c_str() + e + 1);
  if (exp < -4 || exp >= 6)
    return sci;
  return shortestFixed(f);
}

void formatV(std::string& out, const json::value& v) {
  switch (v.kind()) {
    case json::kind::null:
      out += "<nil>";
      return;
    case json::kind::bool_:
      out += v.get_bool() ? "true" : "false";
      return;
    case json::kind::int64:
      out += std::to_string(v.get_int64());
      return;
    case json::kind::uint64:
      out += std::to_string(v.get_uint64());
      return;
    case json::kind::double_:
      out += formatFloatV(v.get_double());
      return;
    case json::kind::string:
      out += v.get_string();
      return;
    case json::kind::array: {
      out.push_back('[');
      bool first = true;
      for (const auto& e : v.get_array()) {
        if (!first)
          out.push_back(' ');
        first = false;
        formatV(out, e);
      }
      out.push_back(']');
      return;
    }
    case json::kind::object: {
      const json::object& o = v.get_object();
      std::vector<const json::key_value_pair*> items;
      for (const auto& kv : o)
        items.push_back(&kv);
      std::sort(items.begin(), items.end(),
                [](const auto* a, const auto* b) { return a->key() < b->key(); });
      out += "map[";
      bool first = true;
      for (const auto* kv : items) {
        if (!first)
          out.push_back(' ');
        first = false;
        out += kv->key();
        out.push_back(':');
        formatV(out, kv->value());
      }
      out.push_back(']');
      return;
    }
  }
}

}  // namespace

void appendGoString(std::string& out, std::string_view s) {
  out.push_back('"');
  for (std::size_t i = 0; i < s.size();) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c < 0x80) {
      switch (c) {
        case '"':
          out += "\\\"";
          break;
        case '\\':
          out += "\\\\";
          break;
        case '\n':
          out += "\\n";
          break;
        case '\r':
          out += "\\r";
          break;
        case '\t':
          out += "\\t";
          break;
        case '\b':
          out += "\\b";
          break;
        case '\f':
          out += "\\f";
          break;
        case '<':
        case '>':
        case '&':
          appendU4(out, c);
          break;
        default:
          if (c < 0x20) {
            appendU4(out, c);
          } else {
            out.push_back(static_cast<char>(c));
          }
      }
      ++i;
      continue;
    }
    auto [cp, len] = decodeRune(s, i);
    if (cp < 0) {
      out += "\\ufffd";
    } else if (cp == 0x2028 || cp == 0x2029) {
      appendU4(out, static_cast<unsigned>(cp));
    } else {
      out.append(s.substr(i, len));
    }
    i += len;
  }
  out.push_back('"');
}

std::string goMarshal(const json::value& v) {
  std::string out;
  marshal(out, v);
  return out;
}

std::string goFormatFloat(double f) {
  const double abs = std::fabs(f);
  if (abs != 0 && (abs < 1e-6 || abs >= 1e21)) {
    std::string s = shortestScientific(f);
    // Go cleans up e-09 to e-9.
    const std::size_t n = s.size();
    if (n >= 4 && s[n - 4] == 'e' && s[n - 3] == '-' && s[n - 2] == '0') {
      s[n - 2] = s[n - 1];
      s.pop_back();
    }
    return s;
  }
  return shortestFixed(f);
}

std::string goQuote(std::string_view s) {
  std::string out = "\"";
  for (std::size_t i = 0; i < s.size();) {
    auto [cp, len] = decodeRune(s, i);
    if (cp < 0) {
      const auto b = static_cast<unsigned char>(s[i]);
      out += "\\x";
      out.push_back(kHex[b >> 4]);
      out.push_back(kHex[b & 0xF]);
      i += 1;
      continue;
    }
    switch (cp) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\a':
        out += "\\a";
        break;
      case '\b':
        out += "\\b";
        break;
      case '\f':
        out += "\\f";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      case '\v':
        out += "\\v";
        break;
      default:
        if (cp < 0x20 || cp == 0x7F) {
          out += "\\x";
          out.push_back(kHex[(cp >> 4) & 0xF]);
          out.push_back(kHex[cp & 0xF]);
        } else if ((cp >= 0x80 && cp < 0xA0) || cp == 0x2028 || cp == 0x2029 || cp == 0xFEFF) {
          appendU4(out, static_cast<unsigned>(cp));
        } else {
          out.append(s.substr(i, len));
        }
    }
    i += len;
  }
  out.push_back('"');
  return out;
}

std::string goFormatV(const json::value& v) {
  std::string out;
  formatV(out, v);
  return out;
}

std::string smdToString(const json::value& v) {
  switch (v.kind()) {
    case json::kind::null:
      return "null";
    case json::kind::string:
      return goQuote(v.get_string());
    case json::kind::array: {
      std::string out = "[";
      bool first = true;
      for (const auto& e : v.get_array()) {
        if (!first)
          out.push_back(',');
        first = false;
        out += smdToString(e);
      }
      out.push_back(']');
      return out;
    }
    case json::kind::object: {
      std::vector<const json::key_value_pair*> items;
      for (const auto& kv : v.get_object())
        items.push_back(&kv);
      std::sort(items.begin(), items.end(),
                [](const auto* a, const auto* b) { return a->key() < b->key(); });
      std::string out;
      for (const auto* kv : items) {
        out += kv->key();
        out.push_back('=');
        out += smdToString(kv->value());
      }
      return out;
    }
    default:
      return goFormatV(v);
  }
}

}  // namespace apiserver::apply::detail
