#include "selection/label_selector.h"

#include "golang/go_text.h"

#include <apiserver/validation.h>

#include <algorithm>
#include <utility>

namespace apiserver::selection {

namespace {

// Lexer tokens, as kube's labels.Token.
enum class Token {
  kError,
  kEndOfString,
  kClosedPar,
  kComma,
  kDoesNotExist,
  kDoubleEquals,
  kEquals,
  kGreaterThan,
  kIdentifier,
  kIn,
  kLessThan,
  kNotEquals,
  kNotIn,
  kOpenPar,
};

struct Item {
  Token tok = Token::kEndOfString;
  std::string_view lit;
};

bool isWhitespace(char ch) {
  return ch == ' ' || ch == '\t' || ch == '\r' || ch == '\n';
}

bool isSpecialSymbol(char ch) {
  switch (ch) {
    case '=':
    case '!':
    case '(':
    case ')':
    case ',':
    case '>':
    case '<':
      return true;
    default:
      return false;
  }
}

// string2token: the literal tokens (everything but identifiers, end of string and errors).
std::optional<Token> literalToken(std::string_view s) {
  if (s == ")")
    return Token::kClosedPar;
  if (s == ",")
    return Token::kComma;
  if (s == "!")
    return Token::kDoesNotExist;
  if (s == "==")
    return Token::kDoubleEquals;
  if (s == "=")
    return Token::kEquals;
  if (s == ">")
    return Token::kGreaterThan;
  if (s == "in")
    return Token::kIn;
  if (s == "<")
    return Token::kLessThan;
  if (s == "!=")
    return Token::kNotEquals;
  if (s == "notin")
    return Token::kNotIn;
  if (s == "(")
    return Token::kOpenPar;
  return std::nullopt;
}

// Lexer is kube's labels.Lexer, byte for byte: read() yields 0 both at the end and for a NUL
// byte (which it consumes), and a NUL therefore ends an identifier or the whole input.
class Lexer {
 public:
  explicit Lexer(std::string_view s) : s_(s) {}

  Item lex() {
    const char ch = skipWhiteSpaces(read());
    if (ch == 0)
      return {Token::kEndOfString, {}};
    unread();
    return isSpecialSymbol(ch) ? scanSpecialSymbol() : scanIdOrKeyword();
  }

 private:
  char read() {
    char b = 0;
    if (pos_ < s_.size()) {
      b = s_[pos_];
      ++pos_;
    }
    return b;
  }
  void unread() { --pos_; }

  char skipWhiteSpaces(char ch) {
    while (isWhitespace(ch))
      ch = read();
    return ch;
  }

  Item scanIdOrKeyword() {
    const std::size_t start = pos_;
    std::size_t end = start;
    for (;;) {
      const std::size_t before = pos_;
      const char ch = read();
      if (ch == 0) {
        end = before;
        break;
      }
      if (isSpecialSymbol(ch) || isWhitespace(ch)) {
        unread();
        end = pos_;
        break;
      }
    }
    const std::string_view lit = s_.substr(start, end - start);
    if (auto tok = literalToken(lit))
      return {*tok, lit};
    return {Token::kIdentifier, lit};
  }

  Item scanSpecialSymbol() {
    const std::size_t start = pos_;
    std::optional<Item> last;
    for (;;) {
      const char ch = read();
      if (ch == 0)
        break;
      if (!isSpecialSymbol(ch)) {
        unread();
        break;
      }
      const std::string_view buffer = s_.substr(start, pos_ - start);
      if (auto tok = literalToken(buffer)) {
        last = Item{*tok, buffer};
      } else if (last) {
        unread();
        break;
      }
    }
    // Every single special symbol is a token, so kube's "error expected: keyword found '...'"
    // cannot happen; keep the shape anyway.
    if (!last)
      return {Token::kError, {}};
    return *last;
  }

  std::string_view s_;
  std::size_t pos_ = 0;
};

// The name part regex message of kube's IsQualifiedName. kube reports it also for an empty name
// part ("example.com/"); add it when the shared validation leaves it out, so that the text is
// kube's either way.
constexpr std::string_view kNamePartRegexMessage =
    "name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end "
    "with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for "
    "validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')";

std::vector<std::string> labelKeyErrors(std::string_view key) {
  std::vector<std::string> errs = validation::isQualifiedName(key);
  const auto slash = key.find('/');
  const bool emptyNamePart =
      slash != std::string_view::npos && slash + 1 == key.size() && key.find('/') == key.rfind('/');
  if (emptyNamePart && std::find(errs.begin(), errs.end(), kNamePartRegexMessage) == errs.end()) {
    errs.emplace_back(kNamePartRegexMessage);
  }
  return errs;
}

std::string join(const std::vector<std::string>& parts, std::string_view sep) {
  std::string out;
  for (std::size_t i = 0; i < parts.size(); ++i) {
    if (i != 0)
      out += sep;
    out += parts[i];
  }
  return out;
}

// invalidValue is field.Invalid(path, value, detail).Error() for a string value.
std::string invalidValue(std::string_view path, std::string_view value, std::string_view detail) {
  std::string s(path);
  s += ": Invalid value: ";
  s += golang::goQuote(value);
  s += ": ";
  s += detail;
  return s;
}

// validateLabelKey is kube's validateLabelKey(k, path): "" when valid.
std::string validateLabelKey(std::string_view key, std::string_view path) {
  const auto errs = labelKeyErrors(key);
  if (errs.empty())
    return {};
  return invalidValue(path, key, join(errs, "; "));
}

constexpr std::string_view kBinaryOperators = "in, notin, =, ==, !=, gt, lt";

}  // namespace

// ---------------------------------------------------------------------------------------------
// LabelRequirement

LabelRequirement::LabelRequirement(std::string key, Operator op, std::vector<std::string> values)
    : key_(std::move(key)), op_(op), values_(std::move(values)) {
  std::sort(values_.begin(), values_.end());
  if ((op_ == Operator::kGreaterThan || op_ == Operator::kLessThan) && values_.size() == 1) {
    number_ = golang::parseInt64(values_.front()).value_or(0);
  }
}

Result<LabelRequirement> LabelRequirement::create(std::string key, Operator op,
                                                  std::vector<std::string> values,
                                                  std::string_view path) {
  const std::string prefix = path.empty() ? std::string() : std::string(path) + ".";
  const std::string valuesPath = prefix + "values";
  std::vector<std::string> errs;
  if (std::string e = validateLabelKey(key, prefix + "key"); !e.empty())
    errs.push_back(std::move(e));

  const auto invalidValues = [&](std::string_view detail) {
    std::string s = valuesPath + ": Invalid value: " + golang::goStringSlice(values) + ": ";
    s += detail;
    errs.push_back(std::move(s));
  };
  switch (op) {
    case Operator::kIn:
    case Operator::kNotIn:
      if (values.empty())
        invalidValues("for 'in', 'notin' operators, values set can't be empty");
      break;
    case Operator::kEquals:
    case Operator::kDoubleEquals:
    case Operator::kNotEquals:
      if (values.size() != 1)
        invalidValues("exact-match compatibility requires one single value");
      break;
    case Operator::kExists:
    case Operator::kDoesNotExist:
      if (!values.empty())
        invalidValues("values set must be empty for exists and does not exist");
      break;
    case Operator::kGreaterThan:
    case Operator::kLessThan:
      if (values.size() != 1)
        invalidValues("for 'Gt', 'Lt' operators, exactly one value is required");
      for (std::size_t i = 0; i < values.size(); ++i) {
        if (!golang::parseInt64(values[i])) {
          errs.push_back(invalidValue(valuesPath + "[" + std::to_string(i) + "]", values[i],
                                      "for 'Gt', 'Lt' operators, the value must be an integer"));
        }
      }
      break;
  }
  for (std::size_t i = 0; i < values.size(); ++i) {
    const auto valueErrs = validation::isValidLabelValue(values[i]);
    if (!valueErrs.empty()) {
      errs.push_back(invalidValue(valuesPath + "[" + std::to_string(i) + "][" + key + "]",
                                  values[i], join(valueErrs, "; ")));
    }
  }
  if (!errs.empty())
    return ApiError::badRequest(golang::aggregate(errs));
  return LabelRequirement(std::move(key), op, std::move(values));
}

bool LabelRequirement::hasValue(std::string_view value) const noexcept {
  if (values_.size() <= 8) {
    for (const auto& v : values_) {
      if (v == value)
        return true;
    }
    return false;
  }
  return std::binary_search(values_.begin(), values_.end(), value, std::less<>());
}

bool LabelRequirement::matches(const Labels& labels) const noexcept {
  const std::string* value = find(labels, key_);
  switch (op_) {
    case Operator::kIn:
    case Operator::kEquals:
    case Operator::kDoubleEquals:
      return value != nullptr && hasValue(*value);
    case Operator::kNotIn:
    case Operator::kNotEquals:
      return value == nullptr || !hasValue(*value);
    case Operator::kExists:
      return value != nullptr;
    case Operator::kDoesNotExist:
      return value == nullptr;
    case Operator::kGreaterThan:
    case Operator::kLessThan: {
      if (value == nullptr || values_.size() != 1)
        return false;
      const auto n = golang::parseInt64(*value);
      if (!n)
        return false;
      return op_ == Operator::kGreaterThan ? *n > number_ : *n < number_;
    }
  }
  return false;
}

std::string LabelRequirement::str() const {
  std::string s;
  s.reserve(key_.size() + 8 + 5 * values_.size());
  if (op_ == Operator::kDoesNotExist)
    s += '!';
  s += key_;
  switch (op_) {
    case Operator::kEquals:
      s += "=";
      break;
    case Operator::kDoubleEquals:
      s += "==";
      break;
    case Operator::kNotEquals:
      s += "!=";
      break;
    case Operator::kIn:
      s += " in ";
      break;
    case Operator::kNotIn:
      s += " notin ";
      break;
    case Operator::kGreaterThan:
      s += ">";
      break;
    case Operator::kLessThan:
      s += "<";
      break;
    case Operator::kExists:
    case Operator::kDoesNotExist:
      return s;
  }
  const bool set = op_ == Operator::kIn || op_ == Operator::kNotIn;
  if (set)
    s += '(';
  s += join(values_, ",");  // values_ are sorted, as kube's safeSort prints them
  if (set)
    s += ')';
  return s;
}

// ---------------------------------------------------------------------------------------------
// Parser: kube's labels.Parser, including its error texts.

class LabelSelectorParser {
 public:
  explicit LabelSelectorParser(std::string_view text) {
    Lexer lexer(text);
    for (;;) {
      Item item = lexer.lex();
      items_.push_back(item);
      if (item.tok == Token::kEndOfString)
        break;
    }
  }

  Result<LabelSelector> parse() {
    LabelSelector selector;
    for (;;) {
      const Item next = lookahead(Context::kValues);
      switch (next.tok) {
        case Token::kIdentifier:
        case Token::kDoesNotExist: {
          auto r = parseRequirement();
          if (!r) {
            return ApiError::badRequest("unable to parse requirement: " +
                                        std::move(r).error().message);
          }
          selector.requirements_.push_back(std::move(*r));
          const Item after = consume(Context::kValues);
          if (after.tok == Token::kEndOfString)
            return finish(std::move(selector));
          if (after.tok == Token::kComma) {
            const Item n2 = lookahead(Context::kValues);
            if (n2.tok != Token::kIdentifier && n2.tok != Token::kDoesNotExist) {
              return found(n2.lit, "expected: identifier after ','");
            }
            break;
          }
          return found(after.lit, "expected: ',' or 'end of string'");
        }
        case Token::kEndOfString:
          return finish(std::move(selector));
        default:
          return found(next.lit, "expected: !, identifier, or 'end of string'");
      }
    }
  }

 private:
  // In the Values context, "in" and "notin" are ordinary identifiers ("x in (in)").
  enum class Context { kKeyAndOperator, kValues };

  static ApiError found(std::string_view lit, std::string_view expected) {
    std::string msg = "found '";
    msg += lit;
    msg += "', ";
    msg += expected;
    return ApiError::badRequest(std::move(msg));
  }

  static LabelSelector finish(LabelSelector selector) {
    std::stable_sort(
        selector.requirements_.begin(), selector.requirements_.end(),
        [](const LabelRequirement& a, const LabelRequirement& b) { return a.key_ < b.key_; });
    return selector;
  }

  Item at(std::size_t i, Context context) const {
    Item item = i < items_.size() ? items_[i] : Item{Token::kEndOfString, {}};
    if (context == Context::kValues && (item.tok == Token::kIn || item.tok == Token::kNotIn)) {
      item.tok = Token::kIdentifier;
    }
    return item;
  }
  Item lookahead(Context context) const { return at(position_, context); }
  Item consume(Context context) { return at(position_++, context); }

  Result<LabelRequirement> parseRequirement() {
    // parseKeyAndInferOperator
    std::optional<Operator> op;
    Item item = consume(Context::kValues);
    if (item.tok == Token::kDoesNotExist) {
      op = Operator::kDoesNotExist;
      item = consume(Context::kValues);
    }
    if (item.tok != Token::kIdentifier)
      return found(item.lit, "expected: identifier");
    if (std::string e = validateLabelKey(item.lit, "<nil>"); !e.empty()) {
      return ApiError::badRequest(std::move(e));
    }
    std::string key(item.lit);
    const Token next = lookahead(Context::kValues).tok;
    if ((next == Token::kEndOfString || next == Token::kComma) && !op)
      op = Operator::kExists;
    if (op)
      return LabelRequirement::create(std::move(key), *op, {});

    // parseOperator
    const Item opItem = consume(Context::kKeyAndOperator);
    switch (opItem.tok) {
      case Token::kIn:
        op = Operator::kIn;
        break;
      case Token::kEquals:
        op = Operator::kEquals;
        break;
      case Token::kDoubleEquals:
        op = Operator::kDoubleEquals;
        break;
      case Token::kGreaterThan:
        op = Operator::kGreaterThan;
        break;
      case Token::kLessThan:
        op = Operator::kLessThan;
        break;
      case Token::kNotIn:
        op = Operator::kNotIn;
        break;
      case Token::kNotEquals:
        op = Operator::kNotEquals;
        break;
      default: {
        std::string expected = "expected: ";
        expected += kBinaryOperators;
        return found(opItem.lit, expected);
      }
    }

    std::vector<std::string> values;
    if (*op == Operator::kIn || *op == Operator::kNotIn) {
      if (auto err = parseValues(values))
        return std::move(*err);
    } else {
      if (auto err = parseExactValue(values))
        return std::move(*err);
    }
    // kube collects the values in a sets.String and passes values.List(): sorted, unique.
    std::sort(values.begin(), values.end());
    values.erase(std::unique(values.begin(), values.end()), values.end());
    return LabelRequirement::create(std::move(key), *op, std::move(values));
  }

  // parseValues parses "(" values ")" for in/notin.
  std::optional<ApiError> parseValues(std::vector<std::string>& values) {
    const Item open = consume(Context::kValues);
    if (open.tok != Token::kOpenPar) {
      // kube's text has no comma here: "found '%s' expected: '('".
      std::string msg = "found '";
      msg += open.lit;
      msg += "' expected: '('";
      return ApiError::badRequest(std::move(msg));
    }
    const Item first = lookahead(Context::kValues);
    switch (first.tok) {
      case Token::kIdentifier:
      case Token::kComma: {
        if (auto err = parseIdentifiersList(values))
          return err;
        if (consume(Context::kValues).tok != Token::kClosedPar) {
          return found(first.lit, "expected: ')'");
        }
        return std::nullopt;
      }
      case Token::kClosedPar:  // "()"
        consume(Context::kValues);
        values.emplace_back();
        return std::nullopt;
      default:
        return found(first.lit, "expected: ',', ')' or identifier");
    }
  }

  // parseIdentifiersList parses a (possibly empty) list of comma separated (possibly empty)
  // identifiers, leaving the closing parenthesis.
  std::optional<ApiError> parseIdentifiersList(std::vector<std::string>& values) {
    for (;;) {
      const Item item = consume(Context::kValues);
      switch (item.tok) {
        case Token::kIdentifier: {
          values.emplace_back(item.lit);
          const Item next = lookahead(Context::kValues);
          if (next.tok == Token::kComma)
            continue;
          if (next.tok == Token::kClosedPar)
            return std::nullopt;
          return found(next.lit, "expected: ',' or ')'");
        }
        case Token::kComma: {
          if (values.empty())
            values.emplace_back();  // "(,"
          const Token next = lookahead(Context::kValues).tok;
          if (next == Token::kClosedPar) {  // ",)"
            values.emplace_back();
            return std::nullopt;
          }
          if (next == Token::kComma) {  // ",,"
            consume(Context::kValues);
            values.emplace_back();
          }
          break;
        }
        default:
          return found(item.lit, "expected: ',', or identifier");
      }
    }
  }

  // parseExactValue parses the single value of =, ==, !=, >, <.
  std::optional<ApiError> parseExactValue(std::vector<std::string>& values) {
    const Token next = lookahead(Context::kValues).tok;
    if (next == Token::kEndOfString || next == Token::kComma) {
      values.emplace_back();
      return std::nullopt;
    }
    const Item item = consume(Context::kValues);
    if (item.tok == Token::kIdentifier) {
      values.emplace_back(item.lit);
      return std::nullopt;
    }
    return found(item.lit, "expected: identifier");
  }

  std::vector<Item> items_;
  std::size_t position_ = 0;
};

// ---------------------------------------------------------------------------------------------
// LabelSelector

Result<LabelSelector> LabelSelector::parse(std::string_view text) {
  return LabelSelectorParser(text).parse();
}

LabelSelector LabelSelector::nothing() {
  LabelSelector s;
  s.nothing_ = true;
  return s;
}

LabelSelector LabelSelector::fromRequirements(std::vector<LabelRequirement> requirements) {
  LabelSelector s;
  s.requirements_ = std::move(requirements);
  std::stable_sort(
      s.requirements_.begin(), s.requirements_.end(),
      [](const LabelRequirement& a, const LabelRequirement& b) { return a.key_ < b.key_; });
  return s;
}

LabelSelector LabelSelector::fromSet(const Labels& set) {
  std::vector<LabelRequirement> reqs;
  reqs.reserve(set.size());
  for (const auto& [k, v] : set)
    reqs.push_back(LabelRequirement(k, Operator::kEquals, {v}));
  return fromRequirements(std::move(reqs));
}

bool LabelSelector::matches(const Labels& labels) const noexcept {
  if (nothing_)
    return false;
  for (const auto& r : requirements_) {
    if (!r.matches(labels))
      return false;
  }
  return true;
}

std::string LabelSelector::str() const {
  std::string s;
  for (std::size_t i = 0; i < requirements_.size(); ++i) {
    if (i != 0)
      s += ',';
    s += requirements_[i].str();
  }
  return s;
}

std::optional<std::string_view> LabelSelector::requiresExactMatch(
    std::string_view key) const noexcept {
  for (const auto& r : requirements_) {
    if (r.key() != key)
      continue;
    const bool exact =
        r.op() == Operator::kEquals || r.op() == Operator::kDoubleEquals || r.op() == Operator::kIn;
    if (exact && r.values().size() == 1)
      return std::string_view(r.values().front());
    return std::nullopt;
  }
  return std::nullopt;
}

}  // namespace apiserver::selection
