#include "golang/go_json.h"

#include "golang/go_text.h"

#include <boost/json/parse.hpp>
#include <boost/json/parse_options.hpp>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <vector>

namespace apiserver::golang {

namespace {

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
    error_ = "invalid character " + goQuoteRune(c) + " " + context;
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

/// asDouble is the float64 Go holds for a number that is not int64.
double asDouble(const json::value& v) {
  if (v.is_double())
    return v.get_double();
  if (v.is_uint64())
    return static_cast<double>(v.get_uint64());
  return static_cast<double>(v.get_int64());
}

/// Decimal is strconv's shortest decimal form of a non-zero float64: the digits "ddd" of
/// d.dd x 10^exp, the fewest that round-trip.
struct Decimal {
  bool negative = false;
  std::string digits;
  int exp = 0;
};

Decimal shortestDecimal(double f) {
  char buf[64];
  const auto res = std::to_chars(buf, buf + sizeof buf, f, std::chars_format::scientific);
  std::string_view sci(buf, static_cast<std::size_t>(res.ptr - buf));  // "[-]d[.ddd]e[+-]xx"
  Decimal d;
  d.negative = sci.front() == '-';
  if (d.negative)
    sci.remove_prefix(1);
  const std::size_t e = sci.find('e');
  for (char c : sci.substr(0, e))
    if (c != '.')
      d.digits.push_back(c);
  d.exp = std::atoi(std::string(sci.substr(e + 1)).c_str());
  return d;
}

/// appendE appends strconv's %e form of `d` with the shortest digits: "d[.ddd]e+XX", the
/// exponent with at least two digits.
void appendE(std::string& out, const Decimal& d) {
  if (d.negative)
    out.push_back('-');
  out.push_back(d.digits[0]);
  if (d.digits.size() > 1) {
    out.push_back('.');
    out.append(d.digits, 1, std::string::npos);
  }
  out.push_back('e');
  out.push_back(d.exp < 0 ? '-' : '+');
  const int a = d.exp < 0 ? -d.exp : d.exp;
  if (a < 10)
    out.push_back('0');
  out += std::to_string(a);
}

/// appendF appends strconv's %f form of `d` with the shortest digits: no exponent, the integer
/// part padded with zeros beyond the digits (Go's fmtF), no trailing fraction zeros.
void appendF(std::string& out, const Decimal& d) {
  if (d.negative)
    out.push_back('-');
  const int point = d.exp + 1;  // digits before the decimal point
  if (point <= 0) {
    out += "0.";
    out.append(static_cast<std::size_t>(-point), '0');
    out += d.digits;
  } else if (static_cast<std::size_t>(point) >= d.digits.size()) {
    out += d.digits;
    out.append(static_cast<std::size_t>(point) - d.digits.size(), '0');
  } else {
    out.append(d.digits, 0, static_cast<std::size_t>(point));
    out.push_back('.');
    out.append(d.digits, static_cast<std::size_t>(point), std::string::npos);
  }
}

void appendZero(std::string& out, double f) {
  out += std::signbit(f) ? "-0" : "0";
}

void formatTo(std::string& out, const json::value& v, char verb) {
  // %s of a non-string scalar is "%!s(type=value)", with the value as %v prints it.
  const bool bad = verb == 's' && !v.is_string() && !v.is_array() && !v.is_object();
  if (bad) {
    out += "%!s(";
    if (v.is_null()) {
      out += "<nil>)";
      return;
    }
    out += goTypeName(v);
    out.push_back('=');
  }
  switch (v.kind()) {
    case json::kind::null:
      out += "<nil>";
      break;
    case json::kind::bool_:
      out += v.get_bool() ? "true" : "false";
      break;
    case json::kind::int64:
      out += std::to_string(v.get_int64());
      break;
    case json::kind::uint64:
    case json::kind::double_:
      out += goFormatFloatV(asDouble(v));
      break;
    case json::kind::string:
      out += std::string_view(v.get_string());
      break;
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
      break;
    }
    case json::kind::object: {
      out += "map[";
      bool first = true;
      for (const auto* kv : sortedMembers(v.get_object())) {
        if (!first)
          out.push_back(' ');
        first = false;
        out += std::string_view(kv->key());
        out.push_back(':');
        formatTo(out, kv->value(), verb);
      }
      out.push_back(']');
      break;
    }
  }
  if (bad)
    out.push_back(')');
}

/// isPlainGoByte: printable ASCII that Go's encoder writes as it is — not '"' or '\\', nor the
/// HTML characters '<', '>' and '&' it escapes.
constexpr bool isPlainGoByte(unsigned char c) {
  return c >= 0x20 && c < 0x80 && c != '"' && c != '\\' && c != '<' && c != '>' && c != '&';
}

void appendU4(std::string& out, unsigned v) {
  static constexpr char kHex[] = "0123456789abcdef";
  out += "\\u";
  out.push_back(kHex[(v >> 12) & 0xF]);
  out.push_back(kHex[(v >> 8) & 0xF]);
  out.push_back(kHex[(v >> 4) & 0xF]);
  out.push_back(kHex[v & 0xF]);
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
      out += std::to_string(v.get_int64());
      return;
    case json::kind::uint64:
      out += std::to_string(v.get_uint64());
      return;
    case json::kind::double_:
      out += goFormatFloat(v.get_double());
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
      out.push_back('{');
      bool first = true;
      for (const auto* kv : sortedMembers(v.get_object())) {
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

bool isGoInteger(const json::value& v) {
  return goTypeOf(v) == GoType::Int64;
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

GoEquality goEqual(const json::value& a, const json::value& b) {
  const GoType ta = goTypeOf(a);
  const GoType tb = goTypeOf(b);
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

std::vector<const json::key_value_pair*> sortedMembers(const json::object& o) {
  std::vector<const json::key_value_pair*> members;
  members.reserve(o.size());
  for (const auto& kv : o)
    members.push_back(&kv);
  std::sort(members.begin(), members.end(),
            [](const auto* a, const auto* b) { return a->key() < b->key(); });
  return members;
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

std::string goFormatFloatV(double f) {
  std::string out;
  if (f == 0) {
    appendZero(out, f);
    return out;
  }
  // Go's shortest %g decides with precision 6.
  const Decimal d = shortestDecimal(f);
  if (d.exp < -4 || d.exp >= 6) {
    appendE(out, d);
  } else {
    appendF(out, d);
  }
  return out;
}

std::string goFormatFloat(double f) {
  std::string out;
  if (f == 0) {
    appendZero(out, f);
    return out;
  }
  const Decimal d = shortestDecimal(f);
  const double abs = std::fabs(f);
  if (abs < 1e-6 || abs >= 1e21) {
    appendE(out, d);
    // Go cleans up e-09 to e-9.
    const std::size_t n = out.size();
    if (n >= 4 && out[n - 4] == 'e' && out[n - 3] == '-' && out[n - 2] == '0') {
      out[n - 2] = out[n - 1];
      out.pop_back();
    }
  } else {
    appendF(out, d);
  }
  return out;
}

void appendGoString(std::string& out, std::string_view s) {
  out.push_back('"');
  for (std::size_t i = 0; i < s.size();) {
    // A run of printable ASCII that needs no escape is appended at once.
    std::size_t plain = i;
    while (plain < s.size() && isPlainGoByte(static_cast<unsigned char>(s[plain])))
      ++plain;
    if (plain != i) {
      out.append(s.data() + i, plain - i);
      i = plain;
      continue;
    }
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
    const Rune r = decodeRune(s.substr(i));
    if (r.value == kRuneError && r.width == 1) {
      out += "\\ufffd";
    } else if (r.value == 0x2028 || r.value == 0x2029) {
      appendU4(out, static_cast<unsigned>(r.value));
    } else {
      out.append(s.substr(i, r.width));
    }
    i += r.width;
  }
  out.push_back('"');
}

std::string goMarshal(const json::value& v) {
  std::string out;
  marshal(out, v);
  return out;
}

void appendGoMarshal(std::string& out, const json::value& v) {
  marshal(out, v);
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
      std::string out;
      for (const auto* kv : sortedMembers(v.get_object())) {
        out += std::string_view(kv->key());
        out.push_back('=');
        out += smdToString(kv->value());
      }
      return out;
    }
    default:
      return goFormatV(v);
  }
}

}  // namespace apiserver::golang
