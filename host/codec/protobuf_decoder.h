#pragma once

#include <apiserver/result.h>

#include <boost/json/object.hpp>

#include <string>
#include <string_view>
#include <vector>

/// @file protobuf_decoder.h
/// Kubernetes protobuf request bodies (application/vnd.kubernetes.protobuf) turned into the
/// JSON object the server stores. Protobuf headers stay in the .cpp on purpose: this header is
/// cheap to include from the endpoint handlers.

namespace apiserver::codec {

/// kProtobufMediaType is the Content-Type kubectl's typed clients send
/// (`kubectl create namespace|configmap|secret|serviceaccount|service|quota`).
inline constexpr std::string_view kProtobufMediaType = "application/vnd.kubernetes.protobuf";

/// decodeProtobuf decodes a kube protobuf body ("k8s\0" followed by a runtime.Unknown envelope
/// whose raw bytes are the object) into the JSON object kube's JSON encoding gives for the same
/// object: "kind" and "apiVersion" from the envelope first, then the fields in Go struct order.
///
/// Empty values: a field that kube's Go type holds by value (string, number, bool, struct) is
/// written by kube's encoder even when empty, so it appears in the JSON only when non-empty
/// (e.g. kubectl's `metadata.generateName: ""`, `creationTimestamp: {}` and
/// `status: {phase: ""}` all disappear). A Go pointer field (`*bool`, `*int32`, `*Struct`) is
/// written only when set, so it is kept even when false/0/{} (`immutable: false`,
/// `emptyDir: {}`). Map values and list items are always kept. Bytes become base64, Time an
/// RFC 3339 string, Quantity a string, IntOrString a number or a string.
///
/// Errors (every one a 400 BadRequest, as kube-apiserver answers a body it cannot decode):
/// empty body, missing or wrong prefix, a truncated or malformed envelope or object, missing
/// kind or apiVersion, a kind this decoder has no schema for, a field the schema lacks that
/// carries a non-zero value (never dropped silently; zero values of unknown fields, such as the
/// `clusterName: ""` older clients always write, carry nothing and are ignored), invalid UTF-8
/// in a string, an out-of-range time, a FieldsV1 that is not JSON.
/// kube answers 415 only when the *resource* has no protobuf serializer at all (custom
/// resources); that is a content-type negotiation decision the endpoint makes before calling
/// this function (see supportsProtobufKind).
/// Thread-safety: safe to call concurrently. Never throws.
Result<boost::json::object> decodeProtobuf(std::string_view body);

/// supportsProtobufKind tells whether decodeProtobuf has a schema for apiVersion/kind
/// (e.g. "v1", "ConfigMap").
bool supportsProtobufKind(std::string_view apiVersion, std::string_view kind);

/// supportedProtobufKinds lists the "apiVersion/Kind" pairs decodeProtobuf decodes
/// (e.g. "v1/ConfigMap"), in a stable order.
std::vector<std::string> supportedProtobufKinds();

}  // namespace apiserver::codec
