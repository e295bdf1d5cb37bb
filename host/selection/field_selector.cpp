#include "selection/field_selector.h"

#include "golang/go_text.h"

#include <algorithm>
#include <array>

namespace apiserver::selection {

namespace {

// splitTerms is kube's splitTerms: the comma-separated terms, a backslash-escaped comma being
// data (kept with its backslash). Bytewise iteration is equivalent to Go's rune iteration here:
// the bytes it looks at are ASCII and never continuation bytes.
std::vector<std::string_view> splitTerms(std::string_view selector) {
  std::vector<std::string_view> terms;
  if (selector.empty())
    return terms;
  std::size_t start = 0;
  bool inSlash = false;
  for (std::size_t i = 0; i < selector.size(); ++i) {
    const char c = selector[i];
    if (inSlash) {
      inSlash = false;
    } else if (c == '\\') {
      inSlash = true;
    } else if (c == ',') {
      terms.push_back(selector.substr(start, i - start));
      start = i + 1;
    }
  }
  terms.push_back(selector.substr(start));
  return terms;
}

struct Term {
  std::string_view lhs;
  std::string_view op;
  std::string_view rhs;
};

// splitTerm is kube's splitTerm: the first occurrence of "!=", "==" or "=" (tried in that order
// at each position) splits the term; no escaping is supported on the left.
std::optional<Term> splitTerm(std::string_view term) {
  static constexpr std::array<std::string_view, 3> kOperators = {"!=", "==", "="};
  for (std::size_t i = 0; i < term.size(); ++i) {
    const std::string_view remaining = term.substr(i);
    for (std::string_view op : kOperators) {
      if (remaining.substr(0, op.size()) == op) {
        return Term{term.substr(0, i), op, term.substr(i + op.size())};
      }
    }
  }
  return std::nullopt;
}

ApiError invalidEscapeSequence(std::string_view sequence) {
  std::string msg = "invalid field selector: invalid escape sequence: ";
  msg += sequence;
  return ApiError::badRequest(std::move(msg));
}

}  // namespace

std::string escapeFieldValue(std::string_view value) {
  std::string out;
  out.reserve(value.size());
  for (char c : value) {
    if (c == '\\' || c == ',' || c == '=')
      out += '\\';
    out += c;
  }
  return out;
}

Result<std::string> unescapeFieldValue(std::string_view value) {
  // No escaping or special characters: the value as is (kube returns it without re-encoding).
  if (value.find_first_of("\\,=") == std::string_view::npos)
    return std::string(value);

  std::string out;
  out.reserve(value.size());
  bool inSlash = false;
  std::size_t i = 0;
  while (i < value.size()) {
    const golang::Rune r = golang::decodeRune(value.substr(i));
    i += r.width;
    const char32_t c = r.value;
    if (inSlash) {
      if (c == '\\' || c == ',' || c == '=') {
        out += static_cast<char>(c);  // omit the \ of a recognized escape sequence
      } else {
        std::string sequence = "\\";
        golang::appendRune(sequence, c);
        return invalidEscapeSequence(sequence);
      }
      inSlash = false;
      continue;
    }
    switch (c) {
      case '\\':
        inSlash = true;
        break;
      case ',':
      case '=':
        // Go formats the rune with %v: its number.
        return ApiError::badRequest("invalid field selector: unescaped character in value: " +
                                    std::to_string(static_cast<std::uint32_t>(c)));
      default:
        golang::appendRune(out, c);  // as Go's WriteRune: invalid UTF-8 becomes U+FFFD
    }
  }
  if (inSlash)
    return invalidEscapeSequence("\\");  // a single trailing backslash
  return out;
}

Result<FieldSelector> FieldSelector::parse(std::string_view text) {
  std::vector<std::string_view> parts = splitTerms(text);
  std::sort(parts.begin(), parts.end());
  FieldSelector selector;
  selector.requirements_.reserve(parts.size());
  for (std::string_view part : parts) {
    if (part.empty())
      continue;
    const auto term = splitTerm(part);
    if (!term) {
      std::string msg = "invalid selector: '";
      msg += text;
      msg += "'; can't understand '";
      msg += part;
      msg += "'";
      return ApiError::badRequest(std::move(msg));
    }
    auto value = unescapeFieldValue(term->rhs);
    if (!value)
      return std::move(value).error();
    // kube applies the identity transform, which drops a term with an empty field and value.
    if (term->lhs.empty() && value->empty())
      continue;
    selector.requirements_.push_back({std::string(term->lhs),
                                      term->op == "!=" ? Operator::kNotEquals : Operator::kEquals,
                                      std::move(*value)});
  }
  return selector;
}

FieldSelector FieldSelector::oneTermEqual(std::string field, std::string value) {
  FieldSelector s;
  s.requirements_.push_back({std::move(field), Operator::kEquals, std::move(value)});
  return s;
}

bool FieldSelector::matches(const Fields& fields) const noexcept {
  for (const auto& r : requirements_) {
    const bool equal = fields.get(r.field) == std::string_view(r.value);
    if (equal != (r.op != Operator::kNotEquals))
      return false;
  }
  return true;
}

std::string FieldSelector::str() const {
  std::string s;
  for (std::size_t i = 0; i < requirements_.size(); ++i) {
    const auto& r = requirements_[i];
    if (i != 0)
      s += ',';
    s += r.field;
    s += r.op == Operator::kNotEquals ? "!=" : "=";
    s += escapeFieldValue(r.value);
  }
  return s;
}

std::optional<std::string_view> FieldSelector::exactValue(std::string_view field) const noexcept {
  for (const auto& r : requirements_) {
    if (r.op != Operator::kNotEquals && r.field == field)
      return std::string_view(r.value);
  }
  return std::nullopt;
}

Result<FieldSelector> FieldSelector::transform(
    const std::function<Result<std::pair<std::string, std::string>>(
        const std::string&, const std::string&)>& fn) const {
  FieldSelector out;
  out.requirements_.reserve(requirements_.size());
  for (const auto& r : requirements_) {
    auto converted = fn(r.field, r.value);
    if (!converted)
      return std::move(converted).error();
    auto& [field, value] = *converted;
    if (field.empty() && value.empty())
      continue;
    out.requirements_.push_back({std::move(field), r.op, std::move(value)});
  }
  return out;
}

Result<FieldSelector> FieldSelector::convert(const FieldLabelConversion& conversion) const {
  return transform([&](const std::string& field,
                       const std::string& value) -> Result<std::pair<std::string, std::string>> {
    const bool accepted = (conversion.metadataName && field == "metadata.name") ||
                          (conversion.metadataNamespace && field == "metadata.namespace") ||
                          std::find(conversion.fields.begin(), conversion.fields.end(), field) !=
                              conversion.fields.end();
    if (accepted)
      return std::pair{field, value};
    for (const auto& [from, to] : conversion.aliases) {
      if (field == from)
        return std::pair{to, value};
    }
    if (conversion.wording == UnsupportedFieldWording::kNotAKnownFieldSelector) {
      return ApiError::badRequest(golang::goQuote(field) +
                                  " is not a known field selector: only \"metadata.name\", "
                                  "\"metadata.namespace\"");
    }
    return ApiError::badRequest("field label not supported: " + field);
  });
}

Result<void> FieldSelector::checkSupported(const std::vector<std::string>& allowed,
                                           UnsupportedFieldWording wording) const {
  FieldLabelConversion conversion;
  conversion.fields = allowed;
  conversion.wording = wording;
  auto converted = convert(conversion);
  if (!converted)
    return std::move(converted).error();
  return {};
}

}  // namespace apiserver::selection
