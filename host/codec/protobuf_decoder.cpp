#include "codec/protobuf_decoder.h"

#include "proto/k8s_authentication_v1.pb.h"
#include "proto/k8s_authorization_v1.pb.h"
#include "proto/k8s_core_v1.pb.h"
#include "proto/k8s_intstr.pb.h"
#include "proto/k8s_json.pb.h"
#include "proto/k8s_meta_v1.pb.h"
#include "proto/k8s_rbac_v1.pb.h"
#include "proto/k8s_resource.pb.h"
#include "proto/k8s_runtime.pb.h"

#include <google/protobuf/descriptor.h>
#include <google/protobuf/message.h>
#include <google/protobuf/reflection.h>
#include <google/protobuf/unknown_field_set.h>

#include <boost/beast/core/detail/base64.hpp>
#include <boost/json/array.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>

#include <algorithm>
#include <array>
#include <climits>
#include <cstdint>
#include <cstdio>
#include <exception>
#include <memory>
#include <optional>
#include <utility>

namespace apiserver::codec {
namespace {

namespace pb = google::protobuf;
namespace json = boost::json;
namespace core = k8s::io::api::core::v1;
namespace rbac = k8s::io::api::rbac::v1;
namespace authz = k8s::io::api::authorization::v1;
namespace authn = k8s::io::api::authentication::v1;

/// kPrefix is kube's protoEncodingPrefix: "k8s" plus the encoding-style byte 0 (runtime.Unknown).
constexpr std::string_view kPrefix{"k8s\0", 4};

// ------------------------------------------------------------------ the kinds ("scheme")

/// KindEntry binds an envelope's apiVersion/kind to the generated message that decodes it.
/// Referencing default_instance() also keeps the generated code linked in from the static
/// library (a descriptor-pool lookup by name alone would not).
struct KindEntry {
  std::string_view apiVersion;
  std::string_view kind;
  const pb::Message& (*prototype)();
};

template <class M>
const pb::Message& prototypeOf() {
  return M::default_instance();
}

constexpr std::array kKinds{
    KindEntry{"v1", "ConfigMap", &prototypeOf<core::ConfigMap>},
    KindEntry{"v1", "Endpoints", &prototypeOf<core::Endpoints>},
    KindEntry{"v1", "Namespace", &prototypeOf<core::Namespace>},
    KindEntry{"v1", "Pod", &prototypeOf<core::Pod>},
    KindEntry{"v1", "ResourceQuota", &prototypeOf<core::ResourceQuota>},
    KindEntry{"v1", "Secret", &prototypeOf<core::Secret>},
    KindEntry{"v1", "Service", &prototypeOf<core::Service>},
    KindEntry{"v1", "ServiceAccount", &prototypeOf<core::ServiceAccount>},
    KindEntry{"rbac.authorization.k8s.io/v1", "ClusterRole", &prototypeOf<rbac::ClusterRole>},
    KindEntry{"rbac.authorization.k8s.io/v1", "ClusterRoleBinding", &prototypeOf<rbac::ClusterRoleBinding>},
    KindEntry{"rbac.authorization.k8s.io/v1", "Role", &prototypeOf<rbac::Role>},
    KindEntry{"rbac.authorization.k8s.io/v1", "RoleBinding", &prototypeOf<rbac::RoleBinding>},
    KindEntry{"authorization.k8s.io/v1", "LocalSubjectAccessReview", &prototypeOf<authz::LocalSubjectAccessReview>},
    KindEntry{"authorization.k8s.io/v1", "SelfSubjectAccessReview", &prototypeOf<authz::SelfSubjectAccessReview>},
    KindEntry{"authorization.k8s.io/v1", "SelfSubjectRulesReview", &prototypeOf<authz::SelfSubjectRulesReview>},
    KindEntry{"authorization.k8s.io/v1", "SubjectAccessReview", &prototypeOf<authz::SubjectAccessReview>},
    KindEntry{"authentication.k8s.io/v1", "SelfSubjectReview", &prototypeOf<authn::SelfSubjectReview>},
};

const KindEntry* findKind(std::string_view apiVersion, std::string_view kind) {
  for (const auto& k : kKinds) {
    if (k.apiVersion == apiVersion && k.kind == kind) {
      return &k;
    }
  }
  return nullptr;
}

// ------------------------------------------------------------------ small helpers

/// quote renders s the way Go's %q would for the printable ASCII we expect in names.
std::string quote(std::string_view s) {
  std::string out = "\"";
  for (unsigned char c : s) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += static_cast<char>(c);
    } else if (c < 0x20 || c >= 0x7f) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\x%02x", c);
      out += buf;
    } else {
      out += static_cast<char>(c);
    }
  }
  out += '"';
  return out;
}

/// validUtf8 is true when s is well-formed UTF-8 (no overlongs, surrogates or values > U+10FFFF).
bool validUtf8(std::string_view s) {
  std::size_t i = 0;
  const std::size_t n = s.size();
  while (i < n) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c < 0x80) {
      ++i;
      continue;
    }
    std::size_t len = 0;
    std::uint32_t cp = 0;
    if ((c & 0xE0) == 0xC0) {
      len = 2;
      cp = c & 0x1F;
    } else if ((c & 0xF0) == 0xE0) {
      len = 3;
      cp = c & 0x0F;
    } else if ((c & 0xF8) == 0xF0) {
      len = 4;
      cp = c & 0x07;
    } else {
      return false;
    }
    if (i + len > n) {
      return false;
    }
    for (std::size_t k = 1; k < len; ++k) {
      const auto cc = static_cast<unsigned char>(s[i + k]);
      if ((cc & 0xC0) != 0x80) {
        return false;
      }
      cp = (cp << 6) | (cc & 0x3F);
    }
    const bool overlong =
        (len == 2 && cp < 0x80) || (len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000);
    if (overlong || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) {
      return false;
    }
    i += len;
  }
  return true;
}

std::string base64(std::string_view bytes) {
  namespace b64 = boost::beast::detail::base64;
  std::string out(b64::encoded_size(bytes.size()), '\0');
  out.resize(b64::encode(out.data(), bytes.data(), bytes.size()));
  return out;
}

/// civilFromDays converts days since 1970-01-01 to a proleptic Gregorian date
/// (Howard Hinnant's algorithm, exact for the whole 0001..9999 range).
void civilFromDays(std::int64_t z, std::int64_t& y, unsigned& m, unsigned& d) {
  z += 719468;
  const std::int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const auto doe = static_cast<unsigned>(z - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  d = doy - (153 * mp + 2) / 5 + 1;
  m = mp < 10 ? mp + 3 : mp - 9;
  y = static_cast<std::int64_t>(yoe) + era * 400 + (m <= 2 ? 1 : 0);
}

/// Unix seconds of 0001-01-01T00:00:00Z (Go's zero time.Time) and of 9999-12-31T23:59:59Z.
constexpr std::int64_t kMinSeconds = -62135596800;
constexpr std::int64_t kMaxSeconds = 253402300799;

/// formatTime renders UTC seconds (+ microseconds when micro) as Go's RFC3339 / RFC3339Micro.
std::string formatTime(std::int64_t seconds, std::int32_t nanos, bool micro) {
  std::int64_t days = seconds / 86400;
  std::int64_t rem = seconds % 86400;
  if (rem < 0) {
    rem += 86400;
    --days;
  }
  std::int64_t y = 0;
  unsigned mo = 0;
  unsigned d = 0;
  civilFromDays(days, y, mo, d);
  char buf[40];
  const int hh = static_cast<int>(rem / 3600);
  const int mm = static_cast<int>(rem / 60 % 60);
  const int ss = static_cast<int>(rem % 60);
  if (micro) {
    std::snprintf(buf, sizeof buf, "%04lld-%02u-%02uT%02d:%02d:%02d.%06dZ",
                  static_cast<long long>(y), mo, d, hh, mm, ss, nanos / 1000);
  } else {
    std::snprintf(buf, sizeof buf, "%04lld-%02u-%02uT%02d:%02d:%02dZ", static_cast<long long>(y),
                  mo, d, hh, mm, ss);
  }
  return buf;
}

/// jsonEmpty is kube's omitempty test on a rendered value: "", 0, false, {} and [] are empty.
bool jsonEmpty(const json::value& v) {
  switch (v.kind()) {
    case json::kind::null:
      return true;
    case json::kind::bool_:
      return !v.get_bool();
    case json::kind::int64:
      return v.get_int64() == 0;
    case json::kind::uint64:
      return v.get_uint64() == 0;
    case json::kind::double_:
      return v.get_double() == 0;
    case json::kind::string:
      return v.get_string().empty();
    case json::kind::array:
      return v.get_array().empty();
    case json::kind::object:
      return v.get_object().empty();
  }
  return false;
}

/// firstSetUnknownField returns the number of the first field in m that our schema lacks and
/// that carries a non-zero value, or 0. Kube's encoder writes every non-pointer field, so clients
/// older or newer than this schema send fields we do not know (ObjectMeta.clusterName, removed
/// in 1.25, arrives as ""); a zero value would be omitted from the JSON anyway, so only a
/// non-zero one is information we would lose.
int firstSetUnknownField(const pb::Message& m) {
  const pb::UnknownFieldSet& unknown = m.GetReflection()->GetUnknownFields(m);
  for (int i = 0; i < unknown.field_count(); ++i) {
    const pb::UnknownField& f = unknown.field(i);
    bool zero = false;
    switch (f.type()) {
      case pb::UnknownField::TYPE_VARINT:
        zero = f.varint() == 0;
        break;
      case pb::UnknownField::TYPE_FIXED32:
        zero = f.fixed32() == 0;
        break;
      case pb::UnknownField::TYPE_FIXED64:
        zero = f.fixed64() == 0;
        break;
      case pb::UnknownField::TYPE_LENGTH_DELIMITED:
        zero = f.length_delimited().empty();
        break;
      case pb::UnknownField::TYPE_GROUP:
        zero = false;
        break;
    }
    if (!zero) {
      return f.number();
    }
  }
  return 0;
}

// ------------------------------------------------------------------ message -> JSON

/// Walker renders generated kube messages as kube JSON through protobuf reflection. Every kube
/// rule lives here: the well-known types (Time, MicroTime, Quantity, IntOrString, FieldsV1),
/// pointer vs value fields, inline structs, bytes as base64, map keys sorted as Go's encoder
/// sorts them. The first error stops the walk and is kept in error_.
class Walker {
 public:
  explicit Walker(std::string what) : what_(std::move(what)) {}

  /// object renders m's fields into a new JSON object; nullopt after an error.
  std::optional<json::object> object(const pb::Message& m, const std::string& path) {
    json::object out;
    if (!fields(m, path, out)) {
      return std::nullopt;
    }
    return out;
  }

  ApiError takeError() { return std::move(*error_); }

 private:
  bool fail(std::string message) {
    if (!error_) {
      error_ = ApiError::badRequest(what_ + ": " + std::move(message));
    }
    return false;
  }

  static std::string join(const std::string& path, std::string_view name) {
    return path.empty() ? std::string(name) : path + "." + std::string(name);
  }

  /// fields writes m's fields, in declaration (= Go struct) order, into out.
  bool fields(const pb::Message& m, const std::string& path, json::object& out) {
    const pb::Descriptor* d = m.GetDescriptor();
    const pb::Reflection* r = m.GetReflection();
    if (const int unknown = firstSetUnknownField(m); unknown != 0) {
      // A field our schema lacks: refuse rather than store the object without it.
      return fail("field number " + std::to_string(unknown) + " of " + d->full_name() +
                  (path.empty() ? "" : " (at " + path + ")") +
                  " is not supported by this server's protobuf decoder; send the object as "
                  "application/json");
    }
    for (int i = 0; i < d->field_count(); ++i) {
      const pb::FieldDescriptor* f = d->field(i);
      const std::string fieldPath = join(path, f->name());
      if (f->is_map()) {
        if (r->FieldSize(m, f) == 0) {
          continue;
        }
        auto v = mapValue(m, f, fieldPath);
        if (!v) {
          return false;
        }
        out[f->name()] = std::move(*v);
      } else if (f->is_repeated()) {
        if (r->FieldSize(m, f) == 0) {
          continue;
        }
        auto v = listValue(m, f, fieldPath);
        if (!v) {
          return false;
        }
        out[f->name()] = std::move(*v);
      } else {
        if (!r->HasField(m, f)) {
          continue;
        }
        const bool pointer = f->options().GetExtension(k8sjson::pointer);
        if (f->cpp_type() == pb::FieldDescriptor::CPPTYPE_MESSAGE &&
            f->options().GetExtension(k8sjson::embedded)) {
          // An embedded struct: its fields are the parent's.
          if (!fields(r->GetMessage(m, f), path, out)) {
            return false;
          }
          continue;
        }
        std::optional<json::value> v;
        if (f->cpp_type() == pb::FieldDescriptor::CPPTYPE_MESSAGE) {
          bool absent = false;
          v = messageValue(r->GetMessage(m, f), fieldPath, absent);
          if (!v && !absent) {
            return false;
          }
          if (absent) {
            continue;
          }
        } else {
          v = scalarValue(m, f, -1, fieldPath);
          if (!v) {
            return false;
          }
        }
        // Why: a Go value field is always on the wire, so only its content says "set".
        if (!pointer && jsonEmpty(*v)) {
          continue;
        }
        if (!pointer && isZeroQuantity(f, *v)) {
          continue;
        }
        out[f->name()] = std::move(*v);
      }
    }
    return true;
  }

  static bool isZeroQuantity(const pb::FieldDescriptor* f, const json::value& v) {
    return f->message_type() != nullptr &&
           f->message_type() == k8s::io::apimachinery::pkg::api::resource::Quantity::descriptor() &&
           v.is_string() && v.get_string() == "0";
  }

  /// messageValue renders a message field. Types with their own JSON form are handled here;
  /// absent is set (with nullopt) for a value that has no JSON form, i.e. a zero Time.
  std::optional<json::value> messageValue(const pb::Message& m, const std::string& path,
                                          bool& absent) {
    absent = false;
    const pb::Descriptor* d = m.GetDescriptor();
    namespace meta = k8s::io::apimachinery::pkg::apis::meta::v1;
    if (d == meta::Time::descriptor() || d == meta::MicroTime::descriptor()) {
      const pb::Reflection* r = m.GetReflection();
      const auto* fs = d->FindFieldByNumber(1);
      const auto* fn = d->FindFieldByNumber(2);
      if (firstSetUnknownField(m) != 0) {
        return failValue("malformed time at " + path);
      }
      const bool has = r->HasField(m, fs) || r->HasField(m, fn);
      const std::int64_t seconds = r->GetInt64(m, fs);
      const std::int32_t nanos = r->GetInt32(m, fn);
      // Why: an empty Time message is how kube's encoder writes Go's zero time (omitted in
      // JSON, e.g. kubectl's creationTimestamp); year 1 is the same zero time spelled out.
      if (!has || (seconds == kMinSeconds && nanos == 0)) {
        absent = true;
        return std::nullopt;
      }
      if (seconds < kMinSeconds || seconds > kMaxSeconds || nanos < 0 || nanos > 999999999) {
        return failValue("time out of range at " + path + " (seconds " + std::to_string(seconds) +
                         ", nanos " + std::to_string(nanos) + ")");
      }
      return json::value(formatTime(seconds, nanos, d == meta::MicroTime::descriptor()));
    }
    if (d == k8s::io::apimachinery::pkg::api::resource::Quantity::descriptor()) {
      const auto& q = static_cast<const k8s::io::apimachinery::pkg::api::resource::Quantity&>(m);
      if (firstSetUnknownField(q) != 0) {
        return failValue("malformed quantity at " + path);
      }
      if (!validUtf8(q.string())) {
        return failValue("invalid UTF-8 in quantity at " + path);
      }
      // Go's zero Quantity prints as "0".
      return json::value(q.string().empty() ? std::string("0") : q.string());
    }
    if (d == k8s::io::apimachinery::pkg::util::intstr::IntOrString::descriptor()) {
      const auto& v = static_cast<const k8s::io::apimachinery::pkg::util::intstr::IntOrString&>(m);
      if (firstSetUnknownField(v) != 0) {
        return failValue("malformed int-or-string at " + path);
      }
      if (v.type() == 1) {
        if (!validUtf8(v.strval())) {
          return failValue("invalid UTF-8 in string at " + path);
        }
        return json::value(v.strval());
      }
      if (v.type() != 0) {
        return failValue("int-or-string at " + path + " has unknown type " +
                         std::to_string(v.type()));
      }
      return json::value(static_cast<std::int64_t>(v.intval()));
    }
    if (d == meta::FieldsV1::descriptor()) {
      const auto& v = static_cast<const meta::FieldsV1&>(m);
      if (v.raw().empty()) {
        return json::value(json::object());
      }
      boost::system::error_code ec;
      json::value parsed = json::parse(v.raw(), ec);
      if (ec) {
        return failValue("fieldsV1 at " + path + " is not valid JSON: " + ec.message());
      }
      return parsed;
    }
    auto o = object(m, path);
    if (!o) {
      return std::nullopt;
    }
    return json::value(std::move(*o));
  }

  std::optional<json::value> failValue(std::string message) {
    fail(std::move(message));
    return std::nullopt;
  }

  /// scalarValue renders a non-message field (index >= 0: an element of a repeated field).
  std::optional<json::value> scalarValue(const pb::Message& m, const pb::FieldDescriptor* f,
                                         int index, const std::string& path) {
    const pb::Reflection* r = m.GetReflection();
    const bool rep = index >= 0;
    switch (f->cpp_type()) {
      case pb::FieldDescriptor::CPPTYPE_INT32:
        return json::value(
            static_cast<std::int64_t>(rep ? r->GetRepeatedInt32(m, f, index) : r->GetInt32(m, f)));
      case pb::FieldDescriptor::CPPTYPE_INT64:
        return json::value(rep ? r->GetRepeatedInt64(m, f, index) : r->GetInt64(m, f));
      case pb::FieldDescriptor::CPPTYPE_UINT32:
        return json::value(static_cast<std::uint64_t>(rep ? r->GetRepeatedUInt32(m, f, index)
                                                          : r->GetUInt32(m, f)));
      case pb::FieldDescriptor::CPPTYPE_UINT64:
        return json::value(rep ? r->GetRepeatedUInt64(m, f, index) : r->GetUInt64(m, f));
      case pb::FieldDescriptor::CPPTYPE_DOUBLE:
        return json::value(rep ? r->GetRepeatedDouble(m, f, index) : r->GetDouble(m, f));
      case pb::FieldDescriptor::CPPTYPE_FLOAT:
        return json::value(
            static_cast<double>(rep ? r->GetRepeatedFloat(m, f, index) : r->GetFloat(m, f)));
      case pb::FieldDescriptor::CPPTYPE_BOOL:
        return json::value(rep ? r->GetRepeatedBool(m, f, index) : r->GetBool(m, f));
      case pb::FieldDescriptor::CPPTYPE_ENUM:
        return json::value(rep ? r->GetRepeatedEnum(m, f, index)->name()
                               : r->GetEnum(m, f)->name());
      case pb::FieldDescriptor::CPPTYPE_STRING: {
        std::string scratch;
        const std::string& s = rep ? r->GetRepeatedStringReference(m, f, index, &scratch)
                                   : r->GetStringReference(m, f, &scratch);
        if (f->type() == pb::FieldDescriptor::TYPE_BYTES) {
          return json::value(base64(s));
        }
        if (!validUtf8(s)) {
          return failValue("invalid UTF-8 in string at " + path +
                           " (binary data belongs in a bytes field such as binaryData)");
        }
        return json::value(s);
      }
      case pb::FieldDescriptor::CPPTYPE_MESSAGE:
        break;
    }
    return failValue("unexpected field type at " + path);
  }

  std::optional<json::value> listValue(const pb::Message& m, const pb::FieldDescriptor* f,
                                       const std::string& path) {
    const pb::Reflection* r = m.GetReflection();
    json::array out;
    const int n = r->FieldSize(m, f);
    out.reserve(static_cast<std::size_t>(n));
    for (int i = 0; i < n; ++i) {
      const std::string itemPath = path + "[" + std::to_string(i) + "]";
      if (f->cpp_type() == pb::FieldDescriptor::CPPTYPE_MESSAGE) {
        bool absent = false;
        auto v = messageValue(r->GetRepeatedMessage(m, f, i), itemPath, absent);
        if (!v && !absent) {
          return std::nullopt;
        }
        out.push_back(v ? std::move(*v) : json::value(nullptr));
      } else {
        auto v = scalarValue(m, f, i, itemPath);
        if (!v) {
          return std::nullopt;
        }
        out.push_back(std::move(*v));
      }
    }
    return json::value(std::move(out));
  }

  /// mapValue renders a proto map (repeated key/value entries) as a JSON object with sorted
  /// keys; a repeated key keeps its last value, as Go's decoder does.
  std::optional<json::value> mapValue(const pb::Message& m, const pb::FieldDescriptor* f,
                                      const std::string& path) {
    const pb::Reflection* r = m.GetReflection();
    const pb::Descriptor* entry = f->message_type();
    const pb::FieldDescriptor* keyField = entry->map_key();
    const pb::FieldDescriptor* valueField = entry->map_value();
    std::vector<std::pair<std::string, json::value>> items;
    const int n = r->FieldSize(m, f);
    items.reserve(static_cast<std::size_t>(n));
    for (int i = 0; i < n; ++i) {
      const pb::Message& e = r->GetRepeatedMessage(m, f, i);
      const pb::Reflection* er = e.GetReflection();
      std::string key = er->GetString(e, keyField);
      if (!validUtf8(key)) {
        return failValue("invalid UTF-8 in a key of " + path);
      }
      const std::string itemPath = path + "[" + quote(key) + "]";
      std::optional<json::value> v;
      if (valueField->cpp_type() == pb::FieldDescriptor::CPPTYPE_MESSAGE) {
        bool absent = false;
        v = messageValue(er->GetMessage(e, valueField), itemPath, absent);
        if (!v && !absent) {
          return std::nullopt;
        }
        if (absent) {
          v = json::value(nullptr);
        }
      } else {
        v = scalarValue(e, valueField, -1, itemPath);
        if (!v) {
          return std::nullopt;
        }
      }
      items.emplace_back(std::move(key), std::move(*v));
    }
    // Stable sort keeps wire order among equal keys; the last one then wins below.
    std::stable_sort(items.begin(), items.end(),
                     [](const auto& a, const auto& b) { return a.first < b.first; });
    json::object out;
    out.reserve(items.size());
    for (auto& [k, v] : items) {
      out[k] = std::move(v);
    }
    return json::value(std::move(out));
  }

  std::string what_;
  std::optional<ApiError> error_;
};

/// decodeImpl is decodeProtobuf without the exception guard.
Result<json::object> decodeImpl(std::string_view body) {
  // Same checks and wording as kube's protobuf.Serializer.Decode.
  if (body.empty()) {
    return ApiError::badRequest("empty data: the protobuf request body is empty");
  }
  if (body.size() < kPrefix.size() || body.substr(0, kPrefix.size()) != kPrefix) {
    return ApiError::badRequest(
        "provided data does not appear to be a protobuf message, expected prefix [107 56 115 0]");
  }
  if (body.size() == kPrefix.size()) {
    return ApiError::badRequest("empty body: nothing follows the protobuf prefix");
  }
  const std::string_view data = body.substr(kPrefix.size());
  if (data.size() > static_cast<std::size_t>(INT_MAX)) {
    return ApiError::badRequest("protobuf body too large");
  }

  k8s::io::apimachinery::pkg::runtime::Unknown unknown;
  if (!unknown.ParseFromArray(data.data(), static_cast<int>(data.size()))) {
    return ApiError::badRequest("cannot parse the protobuf envelope (runtime.Unknown, " +
                                std::to_string(data.size()) +
                                " bytes after the prefix): truncated or malformed message");
  }
  if (const int extra = firstSetUnknownField(unknown); extra != 0) {
    return ApiError::badRequest(
        "malformed protobuf envelope: runtime.Unknown has unexpected field number " +
        std::to_string(extra));
  }
  const std::string& apiVersion = unknown.typemeta().apiversion();
  const std::string& kind = unknown.typemeta().kind();
  const std::string typeMeta = "{apiVersion: " + quote(apiVersion) + ", kind: " + quote(kind) + "}";
  if (kind.empty()) {
    return ApiError::badRequest("Object 'Kind' is missing in protobuf envelope " + typeMeta);
  }
  if (apiVersion.empty()) {
    return ApiError::badRequest("Object 'apiVersion' is missing in protobuf envelope " + typeMeta);
  }
  if (!unknown.contentencoding().empty()) {
    return ApiError::badRequest("unsupported contentEncoding " + quote(unknown.contentencoding()) +
                                " in protobuf envelope for " + kind);
  }
  const KindEntry* entry = findKind(apiVersion, kind);
  if (entry == nullptr) {
    std::string supported;
    for (const auto& k : kKinds) {
      supported += supported.empty() ? "" : ", ";
      supported += std::string(k.apiVersion) + "/" + std::string(k.kind);
    }
    return ApiError::badRequest("no kind " + quote(kind) + " is registered for version " +
                                quote(apiVersion) + " in the protobuf decoder (supported: " +
                                supported + "); send the object as application/json");
  }

  const std::string what = "protobuf " + apiVersion + "/" + kind;
  std::unique_ptr<pb::Message> object(entry->prototype().New());
  const std::string& raw = unknown.raw();
  if (!object->ParseFromArray(raw.data(), static_cast<int>(raw.size()))) {
    return ApiError::badRequest(what + ": cannot parse the object (" + std::to_string(raw.size()) +
                                " bytes): truncated or malformed message");
  }

  Walker walker(what);
  auto fields = walker.object(*object, "");
  if (!fields) {
    return walker.takeError();
  }
  json::object out;
  out.reserve(fields->size() + 2);
  out["kind"] = kind;
  out["apiVersion"] = apiVersion;
  for (auto& kv : *fields) {
    out[kv.key()] = std::move(kv.value());
  }
  return out;
}

}  // namespace

Result<json::object> decodeProtobuf(std::string_view body) {
  try {
    return decodeImpl(body);
  } catch (const std::exception& e) {
    return ApiError::internal(std::string("decoding protobuf body: ") + e.what());
  } catch (...) {
    return ApiError::internal("decoding protobuf body: unknown exception");
  }
}

bool supportsProtobufKind(std::string_view apiVersion, std::string_view kind) {
  return findKind(apiVersion, kind) != nullptr;
}

std::vector<std::string> supportedProtobufKinds() {
  std::vector<std::string> out;
  out.reserve(kKinds.size());
  for (const auto& k : kKinds) {
    out.push_back(std::string(k.apiVersion) + "/" + std::string(k.kind));
  }
  return out;
}

}  // namespace apiserver::codec
