#pragma once

#include <apiserver/result.h>

#include <boost/json/value.hpp>

#include <algorithm>
#include <charconv>
#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

/// @file config.h
/// A section of the YAML configuration file as a plugin (or a host room) reads it, and
/// ConfigReader, which reads typed keys and reports every problem with file, line, key path and
/// what was expected.

namespace apiserver {

/// ConfigLocations maps a key path ("plugins.enabled[0].config.resources[1]") to where it stands
/// in its file ("config/apiserver.yaml:14:9").
using ConfigLocations = std::map<std::string, std::string, std::less<>>;

/// ConfigSection is one node of the configuration: its value (YAML converted to JSON; scalars
/// stay strings, as written) and its key path, able to say where each key came from.
class ConfigSection {
 public:
  ConfigSection() = default;
  ConfigSection(boost::json::value value, std::string path, std::shared_ptr<const ConfigLocations> locations)
      : value_(std::move(value)), path_(std::move(path)), locations_(std::move(locations)) {}

  const boost::json::value& value() const { return value_; }
  /// path is the key path of this section ("" for the document root).
  const std::string& path() const { return path_; }
  /// childPath is the key path of `key` below this section.
  std::string childPath(std::string_view key) const {
    if (!key.empty() && key.front() == '[') return path_ + std::string(key);
    return path_.empty() ? std::string(key) : path_ + "." + std::string(key);
  }
  /// where returns "file:line:col" of a key path, falling back to its nearest located parent.
  std::string where(std::string_view keyPath) const {
    if (!locations_) return {};
    std::string p(keyPath);
    for (;;) {
      if (auto it = locations_->find(p); it != locations_->end()) return it->second;
      auto cut = p.find_last_of(".[");
      if (cut == std::string::npos) break;
      p.resize(cut);
    }
    if (auto it = locations_->find(std::string_view("")); it != locations_->end()) return it->second;
    return {};
  }
  /// child is the section at `key` (a null value if absent).
  ConfigSection child(std::string_view key) const {
    boost::json::value v;
    if (value_.is_object())
      if (const auto* p = value_.get_object().if_contains(key)) v = *p;
    return ConfigSection(std::move(v), childPath(key), locations_);
  }
  /// element is the section at index i of a sequence.
  ConfigSection element(std::size_t i) const {
    boost::json::value v;
    if (value_.is_array() && i < value_.get_array().size()) v = value_.get_array()[i];
    return ConfigSection(std::move(v), path_ + "[" + std::to_string(i) + "]", locations_);
  }
  std::shared_ptr<const ConfigLocations> locations() const { return locations_; }

 private:
  boost::json::value value_;
  std::string path_;
  std::shared_ptr<const ConfigLocations> locations_;
};

/// ConfigError is one configuration problem. `str()` renders
/// "file:line:col: key.path: message".
struct ConfigError {
  std::string where;
  std::string path;
  std::string message;
  std::string str() const {
    std::string s;
    if (!where.empty()) s += where + ": ";
    if (!path.empty()) s += path + ": ";
    return s + message;
  }
};

/// configFailure turns collected config errors into one ApiError (reason Invalid), one cause per
/// problem, whose message holds one line per problem.
inline ApiError configFailure(const std::vector<ConfigError>& errors) {
  ApiError e{422, "Invalid", {}, ApiError::Details{}};
  for (std::size_t i = 0; i < errors.size(); ++i) {
    if (i) e.message += "\n";
    e.message += errors[i].str();
    e.details->causes.push_back({"FieldValueInvalid", errors[i].message, errors[i].path});
  }
  return e;
}

/// ConfigReader reads the keys of one mapping section. Every accessor records the key as known;
/// finish() then reports unknown keys and all errors at once. Scalars are accepted as YAML writes
/// them (strings), so `port: 8080` and `port: "8080"` read the same.
class ConfigReader {
 public:
  explicit ConfigReader(const ConfigSection& section) : section_(section) {
    const auto& v = section_.value();
    if (!v.is_null() && !v.is_object()) addError(section_.path(), "expected a mapping");
  }

  /// string reads a scalar key.
  std::optional<std::string> string(std::string_view key) {
    const boost::json::value* v = lookup(key);
    if (v == nullptr) return std::nullopt;
    if (v->is_string()) return std::string(v->get_string());
    addError(section_.childPath(key), "expected a string");
    return std::nullopt;
  }
  /// oneOf reads a string key that must be one of `allowed`.
  std::optional<std::string> oneOf(std::string_view key, const std::vector<std::string>& allowed) {
    auto s = string(key);
    if (s && std::find(allowed.begin(), allowed.end(), *s) == allowed.end()) {
      std::string list;
      for (const auto& a : allowed) list += (list.empty() ? "" : ", ") + ("\"" + a + "\"");
      addError(section_.childPath(key), "unsupported value \"" + *s + "\"; expected one of " + list);
      return std::nullopt;
    }
    return s;
  }
  /// boolean reads true/false.
  std::optional<bool> boolean(std::string_view key) {
    auto s = scalar(key, "expected a boolean (true or false)");
    if (!s) return std::nullopt;
    if (*s == "true") return true;
    if (*s == "false") return false;
    addError(section_.childPath(key), "expected a boolean (true or false), got \"" + *s + "\"");
    return std::nullopt;
  }
  /// integer reads a whole number within [min, max].
  std::optional<std::int64_t> integer(std::string_view key, std::int64_t min = INT64_MIN,
                                      std::int64_t max = INT64_MAX) {
    auto s = scalar(key, "expected an integer");
    if (!s) return std::nullopt;
    auto n = parseInteger(*s);
    if (!n) {
      addError(section_.childPath(key), "expected an integer, got \"" + *s + "\"");
      return std::nullopt;
    }
    if (*n < min || *n > max) {
      addError(section_.childPath(key), "must be between " + std::to_string(min) + " and " +
                                            std::to_string(max) + ", got " + std::to_string(*n));
      return std::nullopt;
    }
    return n;
  }
  /// duration reads a Go-style duration ("60s", "1m30s", "500ms", "1h"); a bare number means
  /// seconds.
  std::optional<std::chrono::milliseconds> duration(std::string_view key) {
    auto s = scalar(key, "expected a duration such as 60s, 5m or 1h");
    if (!s) return std::nullopt;
    auto d = parseDuration(*s);
    if (!d) addError(section_.childPath(key), "expected a duration such as 60s, 5m or 1h, got \"" + *s + "\"");
    return d;
  }
  /// stringList reads a sequence of scalars.
  std::optional<std::vector<std::string>> stringList(std::string_view key) {
    const boost::json::value* v = lookup(key);
    if (v == nullptr) return std::nullopt;
    if (!v->is_array()) {
      addError(section_.childPath(key), "expected a list of strings");
      return std::nullopt;
    }
    std::vector<std::string> out;
    for (std::size_t i = 0; i < v->get_array().size(); ++i) {
      const auto& e = v->get_array()[i];
      if (!e.is_string()) {
        addError(section_.childPath(key) + "[" + std::to_string(i) + "]", "expected a string");
        continue;
      }
      out.emplace_back(e.get_string());
    }
    return out;
  }
  /// section returns a nested section (a mapping or sequence is up to the caller to check).
  std::optional<ConfigSection> section(std::string_view key) {
    if (lookup(key) == nullptr) return std::nullopt;
    return section_.child(key);
  }
  /// error records a problem with `key` (a child key of this section, or "" for the section).
  void error(std::string_view key, std::string message) {
    addError(key.empty() ? section_.path() : section_.childPath(key), std::move(message));
  }
  /// errorAt records a problem at a full key path.
  void errorAt(std::string path, std::string message) { addError(std::move(path), std::move(message)); }
  /// merge adopts the errors another reader (for a nested section) collected.
  void merge(ConfigReader& other) {
    other.collectUnknown();
    for (auto& e : other.errors_) errors_.push_back(std::move(e));
    other.errors_.clear();
  }
  bool ok() const { return errors_.empty(); }
  /// errors returns the problems found so far, unknown keys included.
  std::vector<ConfigError> errors() {
    collectUnknown();
    return errors_;
  }
  /// finish reports unknown keys plus every recorded error as one failed Result.
  Result<void> finish() {
    collectUnknown();
    if (errors_.empty()) return {};
    return configFailure(errors_);
  }

  static std::optional<std::int64_t> parseInteger(std::string_view s) {
    if (s.empty()) return std::nullopt;
    bool neg = s.front() == '-';
    if (neg || s.front() == '+') s.remove_prefix(1);
    if (s.empty() || s.size() > 18) return std::nullopt;
    std::int64_t n = 0;
    for (char c : s) {
      if (c < '0' || c > '9') return std::nullopt;
      n = n * 10 + (c - '0');
    }
    return neg ? -n : n;
  }

  /// parseDuration reads a non-negative Go-style duration: a bare number of seconds, or
  /// number+unit terms ("1h30m", "1.5s", "250ms"). nullopt for anything else or above 100 years.
  static std::optional<std::chrono::milliseconds> parseDuration(std::string_view s) {
    if (auto n = parseInteger(s)) {
      if (*n < 0 || *n > kMaxDurationSeconds) return std::nullopt;
      return std::chrono::seconds(*n);
    }
    if (s.empty()) return std::nullopt;
    double total = 0;
    while (!s.empty()) {
      std::size_t i = 0;
      int dots = 0;
      bool digits = false;
      for (; i < s.size() && ((s[i] >= '0' && s[i] <= '9') || s[i] == '.'); ++i) {
        dots += s[i] == '.';
        digits = digits || s[i] != '.';
      }
      if (!digits || dots > 1) return std::nullopt;
      double num = 0;
      auto [end, ec] = std::from_chars(s.data(), s.data() + i, num);
      if (ec != std::errc() || end != s.data() + i) return std::nullopt;
      s.remove_prefix(i);
      std::size_t j = 0;
      while (j < s.size() && !((s[j] >= '0' && s[j] <= '9') || s[j] == '.')) ++j;
      std::string_view unit = s.substr(0, j);
      s.remove_prefix(j);
      if (unit == "ms") total += num;
      else if (unit == "s") total += num * 1000;
      else if (unit == "m") total += num * 60000;
      else if (unit == "h") total += num * 3600000;
      else return std::nullopt;
      if (total > static_cast<double>(kMaxDurationSeconds) * 1000) return std::nullopt;
    }
    return std::chrono::milliseconds(static_cast<std::int64_t>(total));
  }

  /// kMaxDurationSeconds bounds durations (100 years), far below any overflow.
  static constexpr std::int64_t kMaxDurationSeconds = 100LL * 365 * 24 * 3600;

 private:
  const boost::json::value* lookup(std::string_view key) {
    known_.insert(std::string(key));
    if (!section_.value().is_object()) return nullptr;
    const auto* v = section_.value().get_object().if_contains(key);
    return v == nullptr || v->is_null() ? nullptr : v;
  }
  std::optional<std::string> scalar(std::string_view key, const char* expected) {
    const boost::json::value* v = lookup(key);
    if (v == nullptr) return std::nullopt;
    if (v->is_string()) return std::string(v->get_string());
    addError(section_.childPath(key), expected);
    return std::nullopt;
  }
  void addError(std::string path, std::string message) {
    errors_.push_back({section_.where(path), std::move(path), std::move(message)});
  }
  void collectUnknown() {
    if (checkedUnknown_ || !section_.value().is_object()) return;
    checkedUnknown_ = true;
    for (const auto& kv : section_.value().get_object()) {
      if (known_.count(std::string(kv.key())) != 0) continue;
      std::string list;
      for (const auto& k : known_) list += (list.empty() ? "" : ", ") + k;
      addError(section_.childPath(kv.key()),
               "unknown key" + (list.empty() ? std::string(" (this section takes no keys)")
                                             : "; expected one of: " + list));
    }
  }

  ConfigSection section_;
  std::set<std::string> known_;
  std::vector<ConfigError> errors_;
  bool checkedUnknown_ = false;
};

}  // namespace apiserver
