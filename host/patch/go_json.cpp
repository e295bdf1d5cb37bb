#include "patch/go_json.h"

#include <boost/json/parse.hpp>
#include <boost/json/parse_options.hpp>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <string>
#include <vector>

namespace apiserver::patch::detail {

namespace {

/// appendUtf8 appends the UTF-8 encoding of code point `r` (< 0x800 here).
void appendUtf8(std::string& out, unsigned r) {
  if (r < 0x80) {
    out.push_back(static_cast<char>(r));
  } else {
    out.push_back(static_cast<char>(0xC0 | (r >> 6)));
    out.push_back(static_cast<char>(0x80 | (r & 0x3F)));
  }
}

/// quoteChar is encoding/json's quoteChar: the offending byte as Go prints it in syntax errors.
/// Go converts the byte to the rune of the same value and quotes it with strconv.Quote.
std::string quoteChar(unsigned char c) {
  if (c == '\'')
    return "'\\''";
  if (c == '"')
    return "'\"'";
  std::string s = "'";
  switch (c) {
    case '\a':
      s += "\\a";
      break;
    case '\b':
      s += "\\b";
      break;
    case '\f':
      s += "\\f";
      break;
    case '\n':
      s += "\\n";
      break;
    case '\r':
      s += "\\r";
      break;
    case '\t':
      s += "\\t";
      break;
    case '\v':
      s += "\\v";
      break;
    case '\\':
      s += "\\\\";
      break;
    default: {
      char buf[16];
      if (c < 0x20 || c == 0x7F) {
        std::snprintf(buf, sizeof buf, "\\x%02x", c);
        s += buf;
      } else if (c < 0x7F) {
        s.push_back(static_cast<char>(c));
      } else if (c < 0xA1 || c == 0xAD) {  // C1 controls, NBSP and soft hyphen are not printable
        std::snprintf(buf, sizeof buf, "\\u%04x", c);
        s += buf;
      } else {
        appendUtf8(s, c);
      }
    }
  }
  s += "'";
  return s;
}

/// GoScanner is a re-statement of encoding/json's scanner state machine, only to word syntax
/// errors as Go does.
class GoScanner {
 public:
  std::string check(std::string_view text) {
    for (char ch : text) {
      const auto c = static_cast<unsigned char>(ch);
      if (!step(c))
        return error_;
    }
    // End of input: a pending number or literal ends with the input; anything else is short.
    if (state_ == State::EndTop)
      return "";
    if (!step(' '))
      return error_;
    if (state_ == State::EndTop)
      return "";
    return "unexpected end of JSON input";
  }

 private:
  enum class State {
    BeginValue,
    BeginValueOrEmpty,
    BeginStringOrEmpty,
    BeginString,
    EndValue,
    EndTop,
    InString,
    InStringEsc,
    InStringEscU,
    InStringEscU1,
    InStringEscU12,
    InStringEscU123,
    Neg,
    One,
    Zero,
    Dot,
    Dot0,
    E,
    ESign,
    E0,
    T,
    Tr,
    Tru,
    F,
    Fa,
    Fal,
    Fals,
    N,
    Nu,
    Nul,
  };
  enum class Parse { ObjectKey, ObjectValue, ArrayValue };

  static bool isSpace(unsigned char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }
  static bool isDigit(unsigned char c) { return c >= '0' && c <= '9'; }
  static bool isHex(unsigned char c) {
    return isDigit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
  }

  bool fail(unsigned char c, const std::string& context) {
    error_ = "invalid character " + quoteChar(c) + " " + context;
    return false;
  }

  bool push(Parse p, unsigned char c) {
    stack_.push_back(p);
    if (stack_.size() > 10000)
      return fail(c, "exceeded max depth");
    return true;
  }

  bool beginValue(unsigned char c) {
    if (isSpace(c))
      return true;
    switch (c) {
      case '{':
        state_ = State::BeginStringOrEmpty;
        return push(Parse::ObjectKey, c);
      case '[':
        state_ = State::BeginValueOrEmpty;
        return push(Parse::ArrayValue, c);
      case '"':
        state_ = State::InString;
        return true;
      case '-':
        state_ = State::Neg;
        return true;
      case '0':
        state_ = State::Zero;
        return true;
      case 't':
        state_ = State::T;
        return true;
      case 'f':
        state_ = State::F;
        return true;
      case 'n':
        state_ = State::N;
        return true;
      default:
        if (c >= '1' && c <= '9') {
          state_ = State::One;
          return true;
        }
        return fail(c, "looking for beginning of value");
    }
  }

  bool endValue(unsigned char c) {
    if (stack_.empty()) {
      state_ = State::EndTop;
      return endTop(c);
    }
    if (isSpace(c)) {
      state_ = State::EndValue;
      return true;
    }
    switch (stack_.back()) {
      case Parse::ObjectKey:
        if (c == ':') {
          stack_.back() = Parse::ObjectValue;
          state_ = State::BeginValue;
          return true;
        }
        return fail(c, "after object key");
      case Parse::ObjectValue:
        if (c == ',') {
          stack_.back() = Parse::ObjectKey;
          state_ = State::BeginString;
          return true;
        }
        if (c == '}') {
          stack_.pop_back();
          state_ = State::EndValue;
          if (stack_.empty())
            state_ = State::EndTop;
          return true;
        }
        return fail(c, "after object key:value pair");
      case Parse::ArrayValue:
        if (c == ',') {
          state_ = State::BeginValue;
          return true;
        }
        if (c == ']') {
          stack_.pop_back();
          state_ = State::EndValue;
          if (stack_.empty())
            state_ = State::EndTop;
          return true;
        }
        return fail(c, "after array element");
    }
    return true;
  }

  bool endTop(unsigned char c) {
    if (!isSpace(c))
      return fail(c, "after top-level value");
    return true;
  }

  bool literal(unsigned char c, char want, State next, const char* word) {
    if (c == static_cast<unsigned char>(want)) {
      state_ = next;
      return true;
    }
    return fail(c, std::string("in literal ") + word + " (expecting '" + want + "')");
  }

  bool step(unsigned char c) {
    switch (state_) {
      case State::BeginValue:
        return beginValue(c);
      case State::BeginValueOrEmpty:
        if (isSpace(c))
          return true;
        if (c == ']')
          return endValue(c);
        return beginValue(c);
      case State::BeginStringOrEmpty:
        if (isSpace(c))
          return true;
        if (c == '}') {
          stack_.back() = Parse::ObjectValue;
          return endValue(c);
        }
        [[fallthrough]];
      case State::BeginString:
        if (isSpace(c))
          return true;
        if (c == '"') {
          state_ = State::InString;
          return true;
        }
        return fail(c, "looking for beginning of object key string");
      case State::EndValue:
        return endValue(c);
      case State::EndTop:
        return endTop(c);
      case State::InString:
        if (c == '"') {
          state_ = State::EndValue;
          return true;
        }
        if (c == '\\') {
          state_ = State::InStringEsc;
          return true;
        }
        if (c < 0x20)
          return fail(c, "in string literal");
        return true;
      case State::InStringEsc:
        switch (c) {
          case 'b':
          case 'f':
          case 'n':
          case 'r':
          case 't':
          case '\\':
          case '/':
          case '"':
            state_ = State::InString;
            return true;
          case 'u':
            state_ = State::InStringEscU;
            return true;
          default:
            return fail(c, "in string escape code");
        }
      case State::InStringEscU:
      case State::InStringEscU1:
      case State::InStringEscU12:
      case State::InStringEscU123:
        if (!isHex(c))
          return fail(c, "in \\u hexadecimal character escape");
        state_ = state_ == State::InStringEscU     ? State::InStringEscU1
                 : state_ == State::InStringEscU1  ? State::InStringEscU12
                 : state_ == State::InStringEscU12 ? State::InStringEscU123
                                                   : State::InString;
        return true;
      case State::Neg:
        if (c == '0') {
          state_ = State::Zero;
          return true;
        }
        if (c >= '1' && c <= '9') {
          state_ = State::One;
          return true;
        }
        return fail(c, "in numeric literal");
      case State::One:
        if (isDigit(c))
          return true;
        [[fallthrough]];
      case State::Zero:
        if (c == '.') {
          state_ = State::Dot;
          return true;
        }
        if (c == 'e' || c == 'E') {
          state_ = State::E;
          return true;
        }
        return endValue(c);
      case State::Dot:
        if (isDigit(c)) {
          state_ = State::Dot0;
          return true;
        }
        return fail(c, "after decimal point in numeric literal");
      case State::Dot0:
        if (isDigit(c))
          return true;
        if (c == 'e' || c == 'E') {
          state_ = State::E;
          return true;
        }
        return endValue(c);
      case State::E:
        if (c == '+' || c == '-') {
          state_ = State::ESign;
          return true;
        }
        [[fallthrough]];
      case State::ESign:
        if (isDigit(c)) {
          state_ = State::E0;
          return true;
        }
        return fail(c, "in exponent of numeric literal");
      case State::E0:
        if (isDigit(c))
          return true;
        return endValue(c);
      case State::T:
        return literal(c, 'r', State::Tr, "true");
      case State::Tr:
        return literal(c, 'u', State::Tru, "true");
      case State::Tru:
        return literal(c, 'e', State::EndValue, "true");
      case State::F:
        return literal(c, 'a', State::Fa, "false");
      case State::Fa:
        return literal(c, 'l', State::Fal, "false");
      case State::Fal:
        return literal(c, 's', State::Fals, "false");
      case State::Fals:
        return literal(c, 'e', State::EndValue, "false");
      case State::N:
        return literal(c, 'u', State::Nu, "null");
      case State::Nu:
        return literal(c, 'l', State::Nul, "null");
      case State::Nul:
        return literal(c, 'l', State::EndValue, "null");
    }
    return true;
  }

  State state_ = State::BeginValue;
  std::vector<Parse> stack_;
  std::string error_;
};

/// appendGoFloat appends strconv.FormatFloat(d, 'g', -1, 64), which is what fmt's %v prints for a
/// float64: the shortest digits that round-trip, in %e form when the decimal exponent is < -4 or
/// >= 6 (Go's shortest %g decides with precision 6), otherwise in %f form.
void appendGoFloat(std::string& out, double d) {
  if (d == 0) {
    out += std::signbit(d) ? "-0" : "0";
    return;
  }
  char buf[64];
  auto res = std::to_chars(buf, buf + sizeof buf, d, std::chars_format::scientific);
  std::string_view sci(buf, static_cast<std::size_t>(res.ptr - buf));
  // sci is "[-]d[.ddd]e[+-]xx"
  bool negative = sci.front() == '-';
  if (negative)
    sci.remove_prefix(1);
  std::size_t e = sci.find('e');
  std::string digits;
  for (char c : sci.substr(0, e))
    if (c != '.')
      digits.push_back(c);
  int exp = std::atoi(std::string(sci.substr(e + 1)).c_str());
  int eprec = 6;
  if (negative)
    out.push_back('-');
  if (exp < -4 || exp >= eprec) {
    out.push_back(digits[0]);
    if (digits.size() > 1) {
      out.push_back('.');
      out.append(digits, 1, std::string::npos);
    }
    out.push_back('e');
    out.push_back(exp < 0 ? '-' : '+');
    int a = exp < 0 ? -exp : exp;
    if (a < 10)
      out.push_back('0');
    out += std::to_string(a);
    return;
  }
  // %f with just enough digits.
  int point = exp + 1;  // digits before the decimal point
  if (point <= 0) {
    out += "0.";
    out.append(static_cast<std::size_t>(-point), '0');
    out += digits;
  } else if (static_cast<std::size_t>(point) >= digits.size()) {
    out += digits;
    out.append(static_cast<std::size_t>(point) - digits.size(), '0');
  } else {
    out.append(digits, 0, static_cast<std::size_t>(point));
    out.push_back('.');
    out.append(digits, static_cast<std::size_t>(point), std::string::npos);
  }
}

void formatTo(std::string& out, const json::value& v, char verb) {
  switch (v.kind()) {
    case json::kind::null:
      out += verb == 's' ? "%!s(<nil>)" : "<nil>";
      return;
    case json::kind::bool_:
      if (verb == 's')
        out += "%!s(bool=";
      out += v.get_bool() ? "true" : "false";
      if (verb == 's')
        out += ")";
      return;
    case json::kind::int64:
      if (verb == 's')
        out += "%!s(int64=";
      out += std::to_string(v.get_int64());
      if (verb == 's')
        out += ")";
      return;
    case json::kind::uint64:
      if (verb == 's')
        out += "%!s(float64=";
      appendGoFloat(out, static_cast<double>(v.get_uint64()));
      if (verb == 's')
        out += ")";
      return;
    case json::kind::double_:
      if (verb == 's')
        out += "%!s(float64=";
      appendGoFloat(out, v.get_double());
      if (verb == 's')
        out += ")";
      return;
    case json::kind::string:
      out += std::string_view(v.get_string());
      return;
    case json::kind::array: {
      out.push_back('[');
      bool first = true;
      for (const auto& e : v.get_array()) {
        if (!first)
          out.push_back(' ');
        first = false;
        formatTo(out, e, verb);
      }
      out.push_back(']');
      return;
    }
    case json::kind::object: {
      const auto& o = v.get_object();
      std::vector<const json::key_value_pair*> entries;
      entries.reserve(o.size());
      for (const auto& kv : o)
        entries.push_back(&kv);
      std::sort(entries.begin(), entries.end(),
                [](const auto* a, const auto* b) { return a->key() < b->key(); });
      out += "map[";
      bool first = true;
      for (const auto* kv : entries) {
        if (!first)
          out.push_back(' ');
        first = false;
        out += std::string_view(kv->key());
        out.push_back(':');
        formatTo(out, kv->value(), verb);
      }
      out.push_back(']');
      return;
    }
  }
}

/// GoType classifies a decoded value by the Go type kube's decoder gives it.
enum class GoType { Nil, Bool, Int64, Float64, String, Slice, Map };

GoType goTypeOf(const json::value& v) {
  switch (v.kind()) {
    case json::kind::null:
      return GoType::Nil;
    case json::kind::bool_:
      return GoType::Bool;
    case json::kind::int64:
      return GoType::Int64;
    case json::kind::uint64:
      return GoType::Float64;  // beyond int64: Go falls back to float64
    case json::kind::double_:
      return GoType::Float64;
    case json::kind::string:
      return GoType::String;
    case json::kind::array:
      return GoType::Slice;
    case json::kind::object:
      return GoType::Map;
  }
  return GoType::Nil;
}

double asDouble(const json::value& v) {
  if (v.is_double())
    return v.get_double();
  if (v.is_uint64())
    return static_cast<double>(v.get_uint64());
  return static_cast<double>(v.get_int64());
}

}  // namespace

std::string goSyntaxError(std::string_view text) {
  return GoScanner().check(text);
}

Result<json::value, std::string> parseJson(std::string_view text) {
  json::parse_options options;
  options.max_depth = kMaxJsonDepth;
  boost::system::error_code ec;
  json::value v = json::parse(text, ec, {}, options);
  if (!ec)
    return v;
  std::string message = goSyntaxError(text);
  if (message.empty()) {
    if (ec == json::error::too_deep) {
      message = "invalid character '{' exceeded max depth";
    } else {
      message = "invalid JSON input: " + ec.message();
    }
  }
  return fail(std::move(message));
}

std::string_view goTypeName(const json::value& v) {
  switch (goTypeOf(v)) {
    case GoType::Nil:
      return "<nil>";
    case GoType::Bool:
      return "bool";
    case GoType::Int64:
      return "int64";
    case GoType::Float64:
      return "float64";
    case GoType::String:
      return "string";
    case GoType::Slice:
      return "[]interface {}";
    case GoType::Map:
      return "map[string]interface {}";
  }
  return "<nil>";
}

std::string_view goJsonKind(const json::value& v) {
  switch (v.kind()) {
    case json::kind::null:
      return "null";
    case json::kind::bool_:
      return "bool";
    case json::kind::int64:
    case json::kind::uint64:
    case json::kind::double_:
      return "number";
    case json::kind::string:
      return "string";
    case json::kind::array:
      return "array";
    case json::kind::object:
      return "object";
  }
  return "null";
}

std::string goFormatV(const json::value& v) {
  std::string out;
  formatTo(out, v, 'v');
  return out;
}

std::string goFormatS(const json::value& v) {
  std::string out;
  formatTo(out, v, 's');
  return out;
}

GoEquality goEqual(const json::value& a, const json::value& b) {
  GoType ta = goTypeOf(a);
  GoType tb = goTypeOf(b);
  if (ta != tb)
    return GoEquality::NotEqual;
  switch (ta) {
    case GoType::Nil:
      return GoEquality::Equal;
    case GoType::Bool:
      return a.get_bool() == b.get_bool() ? GoEquality::Equal : GoEquality::NotEqual;
    case GoType::Int64:
      return a.get_int64() == b.get_int64() ? GoEquality::Equal : GoEquality::NotEqual;
    case GoType::Float64:
      return asDouble(a) == asDouble(b) ? GoEquality::Equal : GoEquality::NotEqual;
    case GoType::String:
      return a.get_string() == b.get_string() ? GoEquality::Equal : GoEquality::NotEqual;
    case GoType::Slice:
    case GoType::Map:
      return GoEquality::Uncomparable;
  }
  return GoEquality::NotEqual;
}

bool isGoInteger(const json::value& v) {
  return v.is_int64();
}

}  // namespace apiserver::patch::detail
