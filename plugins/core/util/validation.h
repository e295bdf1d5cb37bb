#pragma once

#include <apiserver/status.h>
#include <apiserver/validation.h>

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

/// @file validation.h
/// Validation helpers shared by the core resources, worded as kube's
/// k8s.io/apimachinery/pkg/util/validation and pkg/apis/core/validation word them.

namespace apiserver::plugins::core {

namespace json = boost::json;

/// kSupportedPortProtocols are the protocols a port may name, sorted as kube lists them.
inline const std::vector<std::string> kSupportedPortProtocols = {"SCTP", "TCP", "UDP"};

/// kMaxSecretSize is the limit on the summed size of a Secret's or ConfigMap's values (1 MiB).
inline constexpr std::size_t kMaxSecretSize = 1024 * 1024;

/// isValidPortNum: "must be between 1 and 65535, inclusive" unless 1 <= port <= 65535.
std::vector<std::string> isValidPortNum(std::int64_t port);

/// isValidPortName: IANA_SVC_NAME rules (at most 15 characters, lower-case alphanumerics and
/// single hyphens, at least one letter), used for container port and targetPort names.
std::vector<std::string> isValidPortName(std::string_view name);

/// isConfigMapKey: a key of ConfigMap.data, ConfigMap.binaryData or Secret.data.
std::vector<std::string> isConfigMapKey(std::string_view key);

/// inclusiveRangeError is kube's "must be between <lo> and <hi>, inclusive".
std::string inclusiveRangeError(std::int64_t lo, std::int64_t hi);

/// kInvalidIpMessage is the message for a value that is not an IP address.
inline constexpr const char* kInvalidIpMessage =
    "must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)";

/// validateIp appends an Invalid error at `field` unless `ip` is an IPv4 or IPv6 address.
void validateIp(std::string_view ip, const std::string& field, FieldErrors& out);

/// validateNonSpecialIp appends the errors of kube's ValidateNonSpecialIP (unspecified, loopback,
/// link-local and link-local multicast addresses are refused). `ip` must already be valid.
void validateNonSpecialIp(std::string_view ip, const std::string& field, FieldErrors& out);

/// validateDns1123Label appends one Invalid error per problem of `value` as a DNS-1123 label, at
/// `parent`.`key` (the path is built only for an error).
void validateDns1123Label(std::string_view value, std::string_view parent, std::string_view key,
                          FieldErrors& out);

/// validateDns1123Subdomain appends one Invalid error per problem of `value` as a DNS subdomain.
void validateDns1123Subdomain(std::string_view value, const std::string& field, FieldErrors& out);

/// validateQualifiedName appends one Invalid error per problem of `value` as a qualified name.
void validateQualifiedName(std::string_view value, const std::string& field, FieldErrors& out);

/// validateProtocol checks a port protocol: Required when missing or empty, NotSupported unless
/// TCP, UDP or SCTP; at `parent`.`key` (the path is built only for an error).
void validateProtocol(const json::value* protocol, std::string_view parent, std::string_view key,
                      FieldErrors& out);

/// validatePortNumOrName checks an IntOrString port (kube's ValidatePortNumOrName).
void validatePortNumOrName(const json::value& port, const std::string& field, FieldErrors& out);

/// validateImmutableField appends kube's "field is immutable" Invalid error when `newValue` and
/// `oldValue` differ semantically (missing values are passed as nullptr).
void validateImmutableField(const json::value* newValue, const json::value* oldValue,
                            const std::string& field, FieldErrors& out);

/// validateStringMap checks that `map` (when set) is an object of strings, appending an Invalid
/// error per offending entry. Returns the object, or nullptr when unset or not an object.
const json::object* validateStringMap(const json::value* map, const std::string& field,
                                      FieldErrors& out);

/// validateConfigKeys checks every key of `map` with isConfigMapKey, reporting problems at
/// `field[key]` as kube does for ConfigMap.data, ConfigMap.binaryData and Secret.data.
void validateConfigKeys(const json::object& map, const std::string& field, FieldErrors& out);

/// validateBase64Values checks that every value of `map` is base64 as Go's encoding/json decodes
/// []byte (Invalid at `field[key]`, value redacted). It returns the summed decoded size.
std::size_t validateBase64Values(const json::object& map, const std::string& field,
                                 FieldErrors& out);

/// validateImmutableWhenSet implements the `immutable: true` rule of ConfigMaps and Secrets:
/// once the old object is immutable, `immutable` may not be unset and none of `fields` may
/// change (Forbidden "field is immutable when `immutable` is set").
void validateImmutableWhenSet(const json::object& obj, const json::object& old,
                              const std::vector<std::string>& fields, FieldErrors& out);

}  // namespace apiserver::plugins::core
