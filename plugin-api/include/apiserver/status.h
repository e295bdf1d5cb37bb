#pragma once

#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

/// @file status.h
/// ApiError: every failure a client can see, shaped like metav1.Status, with constructors that
/// word messages exactly as kube-apiserver's k8s.io/apimachinery/pkg/api/errors does.

namespace apiserver {

/// GroupResource names a resource the way kube qualifies it in messages ("pods",
/// "apiservices.apiregistration.k8s.io").
struct GroupResource {
  std::string group;
  std::string resource;

  std::string str() const { return group.empty() ? resource : resource + "." + group; }
  friend bool operator==(const GroupResource&, const GroupResource&) = default;
};

/// GroupKind names a kind the way kube qualifies it in Invalid messages ("Pod", "APIService.apiregistration.k8s.io").
struct GroupKind {
  std::string group;
  std::string kind;

  std::string str() const { return group.empty() ? kind : kind + "." + group; }
};

/// StatusCause is one entry of Status.details.causes.
struct StatusCause {
  std::string reason;   ///< e.g. "FieldValueRequired"
  std::string message;  ///< e.g. "Required value"
  std::string field;    ///< e.g. "spec.containers[0].image"
};

/// FieldError is one validation failure at a field path (kube's field.Error).
struct FieldError {
  /// Type is the kind of failure; each maps to kube's ErrorType string and cause reason.
  enum class Type { NotFound, Required, Duplicate, Invalid, NotSupported, Forbidden, TooLong, TooMany, Internal };

  Type type = Type::Invalid;
  std::string field;                           ///< dotted path with [i] indexes
  std::optional<boost::json::value> badValue;  ///< printed for Invalid/Duplicate/NotSupported/NotFound
  std::string detail;                          ///< appended after ": "
  /// badValueText, when set, is printed instead of badValue: for values kube prints in Go
  /// syntax (`[]string{"x"}`).
  std::optional<std::string> badValueText;

  /// typeString is kube's ErrorType.String() ("Required value", "Invalid value", ...).
  static const char* typeString(Type t) {
    switch (t) {
      case Type::NotFound: return "Not found";
      case Type::Required: return "Required value";
      case Type::Duplicate: return "Duplicate value";
      case Type::Invalid: return "Invalid value";
      case Type::NotSupported: return "Unsupported value";
      case Type::Forbidden: return "Forbidden";
      case Type::TooLong: return "Too long";
      case Type::TooMany: return "Too many";
      case Type::Internal: return "Internal error";
    }
    return "Invalid value";
  }
  /// causeReason is kube's CauseType for this error ("FieldValueRequired", ...).
  static const char* causeReason(Type t) {
    switch (t) {
      case Type::NotFound: return "FieldValueNotFound";
      case Type::Required: return "FieldValueRequired";
      case Type::Duplicate: return "FieldValueDuplicate";
      case Type::Invalid: return "FieldValueInvalid";
      case Type::NotSupported: return "FieldValueNotSupported";
      case Type::Forbidden: return "FieldValueForbidden";
      case Type::TooLong: return "FieldValueTooLong";
      case Type::TooMany: return "FieldValueTooMany";
      case Type::Internal: return "InternalError";
    }
    return "FieldValueInvalid";
  }

  /// body is kube's ErrorBody(): the message without the field path.
  std::string body() const {
    std::string s = typeString(type);
    const bool showsValue = type != Type::Required && type != Type::Forbidden && type != Type::TooLong &&
                            type != Type::Internal && (badValue.has_value() || badValueText.has_value());
    if (showsValue) {
      s += ": ";
      s += badValueText ? *badValueText : boost::json::serialize(*badValue);
    }
    if (!detail.empty()) {
      s += ": ";
      s += detail;
    }
    return s;
  }
  /// str is kube's Error(): "<field>: <body>".
  std::string str() const { return field + ": " + body(); }
};

using FieldErrors = std::vector<FieldError>;

/// Field error constructors, named after kube's field.Required, field.Invalid, ...
inline FieldError requiredField(std::string field, std::string detail = {}) {
  return {FieldError::Type::Required, std::move(field), std::nullopt, std::move(detail)};
}
inline FieldError invalidField(std::string field, boost::json::value value, std::string detail) {
  return {FieldError::Type::Invalid, std::move(field), std::move(value), std::move(detail)};
}
inline FieldError duplicateField(std::string field, boost::json::value value) {
  return {FieldError::Type::Duplicate, std::move(field), std::move(value), {}};
}
inline FieldError forbiddenField(std::string field, std::string detail) {
  return {FieldError::Type::Forbidden, std::move(field), std::nullopt, std::move(detail)};
}
inline FieldError tooLongField(std::string field, std::size_t max) {
  return {FieldError::Type::TooLong, std::move(field), std::nullopt,
          "must have at most " + std::to_string(max) + " bytes"};
}
inline FieldError notSupportedField(std::string field, boost::json::value value,
                                    const std::vector<std::string>& supported) {
  std::string detail;
  if (!supported.empty()) {
    detail = "supported values: ";
    for (std::size_t i = 0; i < supported.size(); ++i) {
      if (i) detail += ", ";
      detail += boost::json::serialize(boost::json::value(supported[i]));
    }
  }
  return {FieldError::Type::NotSupported, std::move(field), std::move(value), std::move(detail)};
}

/// ApiError is an error value with the parts of a metav1.Status: HTTP code, reason, message and
/// details. It is what every layer returns instead of throwing.
struct ApiError {
  int code = 500;
  std::string reason;   ///< StatusReason ("NotFound", "Invalid", ...); empty for "Unknown"
  std::string message;  ///< human-readable, as kube words it
  struct Details {
    std::string name;
    std::string group;
    std::string kind;  ///< the resource (for NotFound etc.) or kind (for Invalid), as kube does
    std::string uid;
    std::vector<StatusCause> causes;
    int retryAfterSeconds = 0;
  };
  std::optional<Details> details;
  /// continueToken is Status.metadata.continue: the inconsistent continue token of a 410 on a
  /// paged list whose snapshot is gone.
  std::string continueToken;

  /// toJson renders the metav1.Status document.
  boost::json::object toJson() const {
    boost::json::object o;
    o["kind"] = "Status";
    o["apiVersion"] = "v1";
    boost::json::object meta;
    if (!continueToken.empty()) meta["continue"] = continueToken;
    o["metadata"] = std::move(meta);
    o["status"] = "Failure";
    if (!message.empty()) o["message"] = message;
    if (!reason.empty()) o["reason"] = reason;
    if (details) {
      boost::json::object d;
      if (!details->name.empty()) d["name"] = details->name;
      if (!details->group.empty()) d["group"] = details->group;
      if (!details->kind.empty()) d["kind"] = details->kind;
      if (!details->uid.empty()) d["uid"] = details->uid;
      if (!details->causes.empty()) {
        boost::json::array causes;
        for (const auto& c : details->causes) {
          boost::json::object co;
          if (!c.reason.empty()) co["reason"] = c.reason;
          if (!c.message.empty()) co["message"] = c.message;
          if (!c.field.empty()) co["field"] = c.field;
          causes.push_back(std::move(co));
        }
        d["causes"] = std::move(causes);
      }
      if (details->retryAfterSeconds > 0) d["retryAfterSeconds"] = details->retryAfterSeconds;
      o["details"] = std::move(d);
    }
    o["code"] = code;
    return o;
  }

  // --- constructors, as k8s.io/apimachinery/pkg/api/errors words them ---

  static ApiError notFound(const GroupResource& gr, std::string_view name) {
    return withResource(404, "NotFound", gr.str() + " \"" + std::string(name) + "\" not found", gr, name);
  }
  static ApiError alreadyExists(const GroupResource& gr, std::string_view name) {
    return withResource(409, "AlreadyExists", gr.str() + " \"" + std::string(name) + "\" already exists",
                        gr, name);
  }
  static ApiError conflict(const GroupResource& gr, std::string_view name, std::string_view why) {
    return withResource(409, "Conflict",
                        "Operation cannot be fulfilled on " + gr.str() + " \"" + std::string(name) +
                            "\": " + std::string(why),
                        gr, name);
  }
  /// conflictModified is the optimistic-concurrency conflict of a stale resourceVersion.
  static ApiError conflictModified(const GroupResource& gr, std::string_view name) {
    return conflict(gr, name,
                    "the object has been modified; please apply your changes to the latest version "
                    "and try again");
  }
  static ApiError invalid(const GroupKind& gk, std::string_view name, const FieldErrors& errs) {
    ApiError e{422, "Invalid", {}, Details{}};
    e.details->group = gk.group;
    e.details->kind = gk.kind;
    e.details->name = std::string(name);
    std::vector<std::string> seen;
    for (const auto& fe : errs) {
      e.details->causes.push_back({FieldError::causeReason(fe.type), fe.body(), fe.field});
      std::string s = fe.str();
      bool dup = false;
      for (const auto& x : seen) dup = dup || x == s;
      if (!dup) seen.push_back(std::move(s));
    }
    e.message = gk.str() + " \"" + std::string(name) + "\" is invalid";
    if (seen.size() == 1) {
      e.message += ": " + seen[0];
    } else if (seen.size() > 1) {
      e.message += ": [";
      for (std::size_t i = 0; i < seen.size(); ++i) e.message += (i ? ", " : "") + seen[i];
      e.message += "]";
    }
    return e;
  }
  static ApiError badRequest(std::string message) { return {400, "BadRequest", std::move(message), {}}; }
  static ApiError unauthorized(std::string message = "Unauthorized") {
    return {401, "Unauthorized", std::move(message), {}};
  }
  static ApiError forbidden(const GroupResource& gr, std::string_view name, std::string_view why) {
    std::string msg = name.empty() ? gr.str() + " is forbidden: " + std::string(why)
                                   : gr.str() + " \"" + std::string(name) + "\" is forbidden: " + std::string(why);
    return withResource(403, "Forbidden", std::move(msg), gr, name);
  }
  static ApiError methodNotSupported(const GroupResource& gr, std::string_view action) {
    ApiError e{405, "MethodNotAllowed",
               std::string(action) + " is not supported on resources of kind \"" + gr.str() + "\"",
               Details{}};
    e.details->group = gr.group;
    e.details->kind = gr.resource;
    return e;
  }
  static ApiError notAcceptable(std::string message) {
    return {406, "NotAcceptable", std::move(message), {}};
  }
  static ApiError unsupportedMediaType() {
    return {415, "UnsupportedMediaType",
            "the body of the request was in an unknown format - accepted media types include: "
            "application/json, application/yaml, application/vnd.kubernetes.protobuf",
            {}};
  }
  static ApiError requestEntityTooLarge(std::string why) {
    return {413, "RequestEntityTooLarge", "Request entity too large: " + why, {}};
  }
  static ApiError expired(std::string message) { return {410, "Expired", std::move(message), {}}; }
  static ApiError gone(std::string message) { return {410, "Gone", std::move(message), {}}; }
  static ApiError tooManyRequests(std::string message, int retryAfterSeconds) {
    ApiError e{429, "TooManyRequests", std::move(message), Details{}};
    e.details->retryAfterSeconds = retryAfterSeconds;
    return e;
  }
  static ApiError internal(std::string why) {
    ApiError e{500, "InternalError", "Internal error occurred: " + why, Details{}};
    e.details->causes.push_back({"", why, ""});
    return e;
  }
  static ApiError serviceUnavailable(std::string message) {
    return {503, "ServiceUnavailable", std::move(message), {}};
  }
  static ApiError timeout(std::string message, int retryAfterSeconds = 0) {
    ApiError e{504, "Timeout", "Timeout: " + message, Details{}};
    e.details->retryAfterSeconds = retryAfterSeconds;
    return e;
  }

 private:
  static ApiError withResource(int code, const char* reason, std::string msg, const GroupResource& gr,
                               std::string_view name) {
    ApiError e{code, reason, std::move(msg), Details{}};
    e.details->name = std::string(name);
    e.details->group = gr.group;
    e.details->kind = gr.resource;
    return e;
  }
};

}  // namespace apiserver
