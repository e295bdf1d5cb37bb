#pragma once

#include "schema/schema.h"

#include <apiserver/result.h>

#include <boost/json/value.hpp>

#include <string_view>

/// @file strategic_merge_patch.h
/// Kubernetes strategic merge patch (application/strategic-merge-patch+json), the way
/// kube-apiserver applies it (k8s.io/apimachinery/pkg/util/strategicpatch StrategicMergeMapPatch,
/// server side: parallel lists merged, unmatched nulls ignored), with the patch metadata read
/// from the resource's OpenAPI schema instead of Go struct tags:
///  - a list is merged when its field's `x-kubernetes-patch-strategy` contains "merge": lists of
///    objects by `x-kubernetes-patch-merge-key` (items deep-merged, new ones appended), lists of
///    scalars as a union; any other list is replaced;
///  - an object is merged key by key unless its strategy is "replace"; `null` deletes a key;
///  - directives: `$patch: replace|delete` in an object, `$patch: delete|replace` items in a merged
///    list, `$retainKeys`, `$deleteFromPrimitiveList/<field>`, `$setElementOrder/<field>`
///    (ordering exactly as kube computes it, server-only items included);
///  - where the schema says nothing (no schema, an undeclared field of an object preserving
///    unknown fields) the patch metadata is empty, as kube's OpenAPI-driven lookup makes it:
///    lists are replaced and objects merged — JSON merge patch semantics, with the directives
///    above still honoured. (kube itself refuses strategic merge patch for custom resources with
///    415; our schema-less kinds are our own and get these semantics.)
///
/// Errors are kube's, with kube's status codes (handlers/patch.go
/// interpretStrategicMergePatchError):
///  - 400 BadRequest for "invalid patch format of primitive list|retainKeys|setElementOrder list"
///    and for a body that does not decode into a JSON object;
///  - 422 Invalid (kube's generic message) for a list of lists;
///  - 500 with no reason and the library's text otherwise, e.g.
///    "map: map[image:x] does not contain declared merge key: name",
///    "unknown patch type: foo in map: map[$patch:foo name:c1]",
///    "merging lists cannot yet be specified in the patch".
///
/// Key order: the document's keys keep their order, new keys follow in patch order (kube's Go
/// maps have no order; it serializes typed objects in struct order).

namespace apiserver::patch {

namespace json = boost::json;

/// applyStrategicMergePatch applies `patch` to a copy of `doc` (both JSON objects) using the
/// patch metadata of `schema` (the kind's root node; the unknown node for none). A `null` patch
/// changes nothing; any other non-object patch fails with 400 as kube's decoder does.
Result<json::value> applyStrategicMergePatch(const json::value& doc, const json::value& patch,
                                             const schema::SchemaNode& schema);

/// applyStrategicMergePatchBody decodes a request body (400 BadRequest with Go's json message
/// when it is not JSON) and applies it.
Result<json::value> applyStrategicMergePatchBody(const json::value& doc, std::string_view body,
                                                 const schema::SchemaNode& schema);

}  // namespace apiserver::patch
