#pragma once

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <ctime>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

/// @file object.h
/// Helpers over objects in their unstructured form (a boost::json::object), in the manner of
/// k8s.io/apimachinery's unstructured helpers. None of them throws.

namespace apiserver {

namespace json = boost::json;

using Clock = std::chrono::system_clock;
using TimePoint = Clock::time_point;

/// member is obj.if_contains(key), inline for the small objects most documents are made of: a
/// scan that compares each key's length, then its first byte, before its bytes. (boost::json
/// makes two calls into its library per lookup and a memcmp call per key of the same length;
/// an object past kScanMembers has boost::json's index, which it keeps using.)
inline constexpr std::size_t kScanMembers = 16;
inline const json::value* member(const json::object& obj, std::string_view key) noexcept {
  if (obj.size() > kScanMembers)
    return obj.if_contains(key);
  for (const json::key_value_pair& kv : obj) {
    const std::string_view k = kv.key();
    if (k.size() == key.size() && (key.empty() || (k[0] == key[0] && k == key)))
      return &kv.value();
  }
  return nullptr;
}
inline json::value* member(json::object& obj, std::string_view key) noexcept {
  return const_cast<json::value*>(member(std::as_const(obj), key));
}

/// field(obj, "spec", "nodeName") returns the value at that path, or nullptr if any step is
/// missing or not an object.
template <class... Keys>
const json::value* field(const json::object& obj, std::string_view first, Keys... rest) {
  const json::value* v = member(obj, first);
  if constexpr (sizeof...(rest) == 0) {
    return v;
  } else {
    if (v == nullptr || !v->is_object()) return nullptr;
    return field(v->get_object(), rest...);
  }
}

/// stringField returns the string at a path or `fallback` when missing or not a string.
template <class... Keys>
std::string_view stringField(const json::object& obj, std::string_view fallback, Keys... path) {
  const json::value* v = field(obj, path...);
  if (v == nullptr || !v->is_string()) return fallback;
  return v->get_string();
}

/// objectField returns the object at a path, or nullptr.
template <class... Keys>
const json::object* objectField(const json::object& obj, Keys... path) {
  const json::value* v = field(obj, path...);
  return v != nullptr && v->is_object() ? &v->get_object() : nullptr;
}

/// arrayField returns the array at a path, or nullptr.
template <class... Keys>
const json::array* arrayField(const json::object& obj, Keys... path) {
  const json::value* v = field(obj, path...);
  return v != nullptr && v->is_array() ? &v->get_array() : nullptr;
}

/// int64Field returns the integer at a path (also accepting integral doubles), or nullopt.
template <class... Keys>
std::optional<std::int64_t> int64Field(const json::object& obj, Keys... path) {
  const json::value* v = field(obj, path...);
  if (v == nullptr) return std::nullopt;
  if (v->is_int64()) return v->get_int64();
  if (v->is_uint64() && v->get_uint64() <= static_cast<std::uint64_t>(INT64_MAX))
    return static_cast<std::int64_t>(v->get_uint64());
  if (v->is_double()) {
    double d = v->get_double();
    if (d == static_cast<double>(static_cast<std::int64_t>(d))) return static_cast<std::int64_t>(d);
  }
  return std::nullopt;
}

/// metadata(obj) returns obj.metadata, creating it (as an empty object) if needed.
inline json::object& metadata(json::object& obj) {
  json::value& m = obj["metadata"];
  if (!m.is_object()) m = json::object();
  return m.get_object();
}

/// Accessors for the commonly used ObjectMeta fields.
inline std::string_view nameOf(const json::object& obj) { return stringField(obj, "", "metadata", "name"); }
inline std::string_view namespaceOf(const json::object& obj) {
  return stringField(obj, "", "metadata", "namespace");
}
inline std::string_view uidOf(const json::object& obj) { return stringField(obj, "", "metadata", "uid"); }
inline std::string_view resourceVersionOf(const json::object& obj) {
  return stringField(obj, "", "metadata", "resourceVersion");
}
inline std::string_view creationTimestampOf(const json::object& obj) {
  return stringField(obj, "", "metadata", "creationTimestamp");
}

/// formatTime renders kube's metav1.Time form: RFC 3339 in UTC with second precision. The
/// calendar arithmetic is chrono's (no gmtime, no printf: a create formats two of these).
inline std::string formatTime(TimePoint t) {
  using namespace std::chrono;
  const auto secs = floor<seconds>(t);
  const auto day = floor<days>(secs);
  const year_month_day ymd{day};
  const hh_mm_ss hms{secs - day};
  const int year = static_cast<int>(ymd.year());
  if (year < 0 || year > 9999) {  // outside RFC 3339's four digits: as printf would write it
    char buf[64];
    std::snprintf(buf, sizeof buf, "%04d-%02u-%02uT%02d:%02d:%02dZ", year,
                  static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()),
                  static_cast<int>(hms.hours().count()), static_cast<int>(hms.minutes().count()),
                  static_cast<int>(hms.seconds().count()));
    return buf;
  }
  std::string out = "0000-00-00T00:00:00Z";
  auto put = [&out](std::size_t at, unsigned v, std::size_t width) {
    for (std::size_t i = width; i-- > 0; v /= 10)
      out[at + i] = static_cast<char>('0' + v % 10);
  };
  put(0, static_cast<unsigned>(year), 4);
  put(5, static_cast<unsigned>(ymd.month()), 2);
  put(8, static_cast<unsigned>(ymd.day()), 2);
  put(11, static_cast<unsigned>(hms.hours().count()), 2);
  put(14, static_cast<unsigned>(hms.minutes().count()), 2);
  put(17, static_cast<unsigned>(hms.seconds().count()), 2);
  return out;
}

/// parseTime reads an RFC 3339 timestamp ("2006-01-02T15:04:05Z", fractions and offsets
/// allowed); nullopt if it is not one.
inline std::optional<TimePoint> parseTime(std::string_view s) {
  int y, mo, d, h, mi, sec;
  char rest[16] = {0};
  std::string str(s.substr(0, 40));
  int n = std::sscanf(str.c_str(), "%4d-%2d-%2dT%2d:%2d:%2d%15s", &y, &mo, &d, &h, &mi, &sec, rest);
  if (n < 6 || mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || sec > 60) return std::nullopt;
  std::tm tm{};
  tm.tm_year = y - 1900;
  tm.tm_mon = mo - 1;
  tm.tm_mday = d;
  tm.tm_hour = h;
  tm.tm_min = mi;
  tm.tm_sec = sec;
  std::time_t tt = timegm(&tm);
  std::string_view r(rest);
  if (!r.empty() && r.front() == '.') {  // fractional seconds are dropped
    std::size_t i = 1;
    while (i < r.size() && r[i] >= '0' && r[i] <= '9') ++i;
    r.remove_prefix(i);
  }
  if (r.size() == 6 && (r[0] == '+' || r[0] == '-') && r[3] == ':') {
    int oh = (r[1] - '0') * 10 + (r[2] - '0');
    int om = (r[4] - '0') * 10 + (r[5] - '0');
    std::time_t off = (oh * 60 + om) * 60;
    tt = r[0] == '+' ? tt - off : tt + off;
  } else if (!(r == "Z" || r == "z")) {
    return std::nullopt;
  }
  return Clock::from_time_t(tt);
}

/// humanDuration renders an age the way kubectl and kube's printers do ("5s", "3m2s", "4h",
/// "2d3h", "45d", "3y12d").
inline std::string humanDuration(std::chrono::seconds d) {
  long long s = d.count();
  if (s < -1) return "<invalid>";
  if (s < 0) return "0s";
  auto str = [](long long v) { return std::to_string(v); };
  if (s < 60 * 2) return str(s) + "s";
  long long m = s / 60;
  if (m < 10) {
    long long rs = s % 60;
    return rs == 0 ? str(m) + "m" : str(m) + "m" + str(rs) + "s";
  }
  if (m < 60 * 3) return str(m) + "m";
  long long h = m / 60;
  if (h < 8) {
    long long rm = m % 60;
    return rm == 0 ? str(h) + "h" : str(h) + "h" + str(rm) + "m";
  }
  if (h < 48) return str(h) + "h";
  if (h < 24 * 8) {
    long long rh = h % 24;
    return rh == 0 ? str(h / 24) + "d" : str(h / 24) + "d" + str(rh) + "h";
  }
  if (h < 24 * 365 * 2) return str(h / 24) + "d";
  if (h < 24 * 365 * 8) {
    long long dy = (h / 24) % 365;
    return dy == 0 ? str(h / 24 / 365) + "y" : str(h / 24 / 365) + "y" + str(dy) + "d";
  }
  return str(h / 24 / 365) + "y";
}

/// ageOf renders the age of obj (from metadata.creationTimestamp) at `now`, or "<unknown>".
inline std::string ageOf(const json::object& obj, TimePoint now) {
  auto t = parseTime(creationTimestampOf(obj));
  if (!t) return "<unknown>";
  return humanDuration(std::chrono::duration_cast<std::chrono::seconds>(now - *t));
}

}  // namespace apiserver
