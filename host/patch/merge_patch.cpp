#include "patch/merge_patch.h"

#include "golang/go_json.h"

#include <utility>

namespace apiserver::patch {

namespace {

void pruneNulls(json::value& v);

/// pruneObjectNulls drops null members at every depth (evanphx's pruneDocNulls).
void pruneObjectNulls(json::object& o) {
  for (auto it = o.begin(); it != o.end();) {
    if (it->value().is_null()) {
      it = o.stable_erase(it);
    } else {
      pruneNulls(it->value());
      ++it;
    }
  }
}

/// pruneNulls prunes an object's null members, or the objects inside an array (whose own null
/// elements stay), as evanphx's pruneNulls/pruneAryNulls do.
void pruneNulls(json::value& v) {
  if (json::object* o = v.if_object()) {
    pruneObjectNulls(*o);
  } else if (json::array* a = v.if_array()) {
    for (auto& e : *a)
      if (!e.is_null())
        pruneNulls(e);
  }
}

void mergeObjects(json::object& doc, json::object& patch);

/// mergeValue is evanphx's merge(cur, patch): a non-object target takes the pruned patch, a
/// non-object patch replaces the target, two objects merge.
void mergeValue(json::value& cur, json::value& patch) {
  json::object* curObj = cur.if_object();
  if (curObj == nullptr) {
    pruneNulls(patch);
    cur = std::move(patch);
    return;
  }
  json::object* patchObj = patch.if_object();
  if (patchObj == nullptr) {
    cur = std::move(patch);
    return;
  }
  mergeObjects(*curObj, *patchObj);
}

/// mergeObjects is evanphx's mergeDocs: null deletes; a key that is absent or null in the
/// document takes the pruned patch value; otherwise the values merge.
void mergeObjects(json::object& doc, json::object& patch) {
  for (auto& kv : patch) {
    json::value& pv = kv.value();
    if (pv.is_null()) {
      doc.stable_erase(kv.key());
      continue;
    }
    json::value* cur = doc.if_contains(kv.key());
    if (cur == nullptr || cur->is_null()) {
      pruneNulls(pv);
      doc[kv.key()] = std::move(pv);
    } else {
      mergeValue(*cur, pv);
    }
  }
}

}  // namespace

Result<json::value> applyMergePatch(const json::value& doc, const json::value& patch) {
  json::value p = patch;
  if (!p.is_object()) {
    // RFC 7386: a non-object patch replaces the target (kube prunes an array's objects).
    pruneNulls(p);
    return p;
  }
  if (!doc.is_object()) {
    pruneNulls(p);
    return p;
  }
  json::value out = doc;
  mergeObjects(out.get_object(), p.get_object());
  return out;
}

Result<json::value> applyMergePatchBody(const json::value& doc, std::string_view body) {
  auto parsed = golang::parseJson(body);
  // jsonpatch.ErrBadJSONPatch, which handlers/patch.go turns into a 400.
  if (!parsed || !(parsed->is_object() || parsed->is_array()))
    return fail(ApiError::badRequest("Invalid JSON Patch"));
  return applyMergePatch(doc, *parsed);
}

}  // namespace apiserver::patch
