#include "endpoints/resource_handler.h"

#include "apply/field_manager.h"
#include "codec/yaml_json.h"
#include "endpoints/negotiation.h"
#include "endpoints/watch_stream.h"
#include "golang/go_json.h"
#include "patch/json_patch.h"
#include "patch/merge_patch.h"
#include "patch/patch_type.h"
#include "patch/strategic_merge_patch.h"
#include "schema/validate.h"

#include <apiserver/config.h>

#include <boost/json/serialize.hpp>

#include <mutex>
#include <optional>
#include <random>

namespace apiserver::endpoints {

namespace json = boost::json;

namespace {

const SharedBytes& comma() {
  static const SharedBytes k = makeBytes(",");
  return k;
}
const SharedBytes& listSuffix() {
  static const SharedBytes k = makeBytes("]}");
  return k;
}

std::string_view param(const Request& req, std::string_view name) { return req.query.get(name).value_or(""); }

/// encodedResponse answers with an object's JSON as it was encoded already (no copy).
Response encodedResponse(int status, SharedBytes json) {
  Response r;
  r.status = status;
  r.body.push_back(std::move(json));
  return r;
}

Result<std::int64_t> intParam(const Request& req, std::string_view name) {
  auto v = req.query.get(name);
  if (!v || v->empty()) return std::int64_t{0};
  auto n = ConfigReader::parseInteger(*v);
  if (!n) return fail(ApiError::badRequest("invalid value for " + std::string(name) + ": strconv.ParseInt: parsing \"" +
                                          std::string(*v) + "\": invalid syntax"));
  return *n;
}

ApiError listOptionsInvalid(FieldErrors errs) {
  return ApiError::invalid({"meta.k8s.io", "ListOptions"}, "", errs);
}

std::optional<bool> boolParam(const Request& req, std::string_view name) {
  auto v = req.query.get(name);
  if (!v) return std::nullopt;
  return *v == "true" || *v == "1" || *v == "True" || *v == "TRUE";
}

// parseMatch checks resourceVersionMatch (and, for a watch, sendInitialEvents) as kube's
// ValidateListOptions does.
Result<registry::RvMatch> parseMatch(const Request& req, bool watch) {
  std::string_view m = param(req, "resourceVersionMatch");
  std::string_view rv = param(req, "resourceVersion");
  const bool sendInitial = req.query.has("sendInitialEvents");
  FieldErrors errs;
  if (watch) {
    if (sendInitial && m != "NotOlderThan")
      errs.push_back(forbiddenField("resourceVersionMatch", "sendInitialEvents requires setting resourceVersionMatch to NotOlderThan"));
    if (!m.empty()) {
      if (!sendInitial)
        errs.push_back(forbiddenField("resourceVersionMatch", "resourceVersionMatch is forbidden for watch unless sendInitialEvents is provided"));
      if (m != "NotOlderThan")
        errs.push_back(notSupportedField("resourceVersionMatch", json::value(m), {"NotOlderThan"}));
      if (!param(req, "continue").empty())
        errs.push_back(forbiddenField("resourceVersionMatch", "resourceVersionMatch is forbidden when continue is provided"));
    }
  } else {
    if (!m.empty()) {
      if (rv.empty())
        errs.push_back(forbiddenField("resourceVersionMatch", "resourceVersionMatch is forbidden unless resourceVersion is provided"));
      if (!param(req, "continue").empty())
        errs.push_back(forbiddenField("resourceVersionMatch", "resourceVersionMatch is forbidden when continue is provided"));
      if (m != "NotOlderThan" && m != "Exact")
        errs.push_back(notSupportedField("resourceVersionMatch", json::value(m), {"Exact", "NotOlderThan", ""}));
      if (m == "Exact" && rv == "0")
        errs.push_back(forbiddenField("resourceVersionMatch", "resourceVersionMatch \"exact\" is forbidden for resourceVersion \"0\""));
    }
    if (sendInitial) errs.push_back(forbiddenField("sendInitialEvents", "sendInitialEvents is forbidden for list"));
  }
  if (!errs.empty()) return fail(listOptionsInvalid(std::move(errs)));
  if (m == "Exact") return registry::RvMatch::Exact;
  return m.empty() ? registry::RvMatch::Unset : registry::RvMatch::NotOlderThan;
}

// parseDryRun validates dryRun as kube's Create/Update/Patch/DeleteOptions validation does:
// only "All" is known.
Result<bool> parseDryRun(const json::value* v, std::string_view optionsKind) {
  if (v == nullptr || v->is_null()) return false;
  std::vector<std::string> vals;
  if (v->is_string()) vals.emplace_back(v->get_string());
  if (v->is_array())
    for (const auto& e : v->get_array())
      if (e.is_string()) vals.emplace_back(e.get_string());
  for (const auto& s : vals)
    if (s != "All") {
      std::string goList = "[]string{";
      for (std::size_t i = 0; i < vals.size(); ++i) goList += (i ? ", " : "") + json::serialize(json::value(vals[i]));
      goList += "}";
      FieldError e = notSupportedField("dryRun", nullptr, {"All"});
      e.badValueText = goList;
      return fail(ApiError::invalid({"meta.k8s.io", std::string(optionsKind)}, "", {e}));
    }
  return !vals.empty();
}

std::string_view optionsKindOf(const Request& req) {
  if (req.method == "POST") return "CreateOptions";
  if (req.method == "PUT") return "UpdateOptions";
  if (req.method == "PATCH") return "PatchOptions";
  return "DeleteOptions";
}

}  // namespace

ResourceHandler::ResourceHandler(std::shared_ptr<registry::Store> store, Options options)
    : store_(std::move(store)), opts_(std::move(options)) {
  table_ = std::make_shared<TableRenderer>(store_->strategy());
  const auto& spec = store_->spec();
  std::string kind = spec.listKind.empty() ? spec.kind + "List" : spec.listKind;
  listPrefixKind_ = makeBytes(R"({"kind":")" + kind + R"(","apiVersion":")" + spec.groupVersion() + R"(","metadata":)");
}

Response ResourceHandler::serve(Request& req) const {
  const RequestInfo& info = req.info;
  const bool status = info.subresource == "status";
  const bool finalize = info.subresource == "finalize";
  if (!info.subresource.empty() && !(status && store_->hasStatus()) && !(finalize && store_->hasFinalize()))
    return Response::error(ApiError{404, "NotFound", "the server could not find the requested resource", ApiError::Details{}});
  if (finalize) {
    if (info.verb == "update") return update(req, Output{});
    return Response::error(ApiError::methodNotSupported(store_->groupResource(), info.verb));
  }
  auto out = negotiateOutput(req);
  if (!out) return Response::error(out.error());
  const std::string& v = info.verb;
  if (v == "get") return get(req, *out);
  if (v == "list" && !status) return list(req, *out);
  if (v == "watch" && !status) return watch(req, *out);
  if (v == "create" && !status && info.name.empty()) return create(req, *out);
  if (v == "update" && !info.name.empty()) return update(req, *out);
  if (v == "patch" && !info.name.empty()) return patch(req, *out);
  if (v == "delete" && !status) return remove(req, *out);
  if (v == "deletecollection" && !status) return removeCollection(req, *out);
  std::string action = v == "deletecollection" ? "deletecollection" : v;
  return Response::error(ApiError::methodNotSupported(store_->groupResource(), action));
}

Response ResourceHandler::objectResponse(int status, const storage::CachedObjectPtr& obj, const Output& out) const {
  if (out.format == Format::Json)
    return encodedResponse(status, obj->json);
  auto parsed = registry::parseObject(*obj->json);
  if (!parsed) return Response::error(parsed.error());
  return objectResponse(status, *parsed, out);
}

Response ResourceHandler::objectResponse(int status, const json::object& obj, const Output& out) const {
  if (out.format == Format::Table) {
    std::vector<json::object> one{obj};
    return Response::json(status, table_->table(one, ListMeta{std::string(resourceVersionOf(obj)), {}, {}}, out.include,
                                                opts_.clock->now()));
  }
  return encode(status, obj, out);
}

Response ResourceHandler::get(Request& req, const Output& out) const {
  registry::ReadOptions ro;
  ro.resourceVersion = std::string(param(req, "resourceVersion"));
  const std::string ns = store_->namespaced() ? req.info.namespace_ : std::string();
  auto obj = store_->get(ns, req.info.name, ro, req.deadline);
  if (!obj) return Response::error(obj.error());
  return objectResponse(200, *obj, out);
}

Response ResourceHandler::list(Request& req, const Output& out) const {
  registry::ListOptions lo;
  lo.read.resourceVersion = std::string(param(req, "resourceVersion"));
  auto match = parseMatch(req, false);
  if (!match) return Response::error(match.error());
  lo.read.match = *match;
  lo.labelSelector = std::string(param(req, "labelSelector"));
  lo.fieldSelector = std::string(param(req, "fieldSelector"));
  auto limit = intParam(req, "limit");
  if (!limit) return Response::error(limit.error());
  lo.limit = std::max<std::int64_t>(*limit, 0);
  lo.continueToken = std::string(param(req, "continue"));
  const std::string ns = store_->namespaced() ? req.info.namespace_ : std::string();
  auto page = store_->list(ns, lo, req.deadline);
  if (!page) return Response::error(page.error());

  json::object meta;
  meta["resourceVersion"] = page->resourceVersion;
  if (!page->continueToken.empty()) meta["continue"] = page->continueToken;
  if (page->remainingItemCount) meta["remainingItemCount"] = *page->remainingItemCount;

  if (out.format == Format::Json) {
    Response r;
    r.body.reserve(page->items.size() * 2 + 3);
    r.body.push_back(listPrefixKind_);
    r.body.push_back(makeBytes(json::serialize(meta) + R"(,"items":[)"));
    for (std::size_t i = 0; i < page->items.size(); ++i) {
      if (i) r.body.push_back(comma());
      r.body.push_back(page->items[i]->json);
    }
    r.body.push_back(listSuffix());
    return r;
  }
  std::vector<json::object> objects;
  objects.reserve(page->items.size());
  for (const auto& item : page->items) {
    auto o = registry::parseObject(*item->json);
    if (!o) return Response::error(o.error());
    objects.push_back(std::move(*o));
  }
  if (out.format == Format::Table) {
    return Response::json(200, table_->table(objects, ListMeta{page->resourceVersion, page->continueToken,
                                                              page->remainingItemCount},
                                             out.include, opts_.clock->now()));
  }
  const auto& spec = store_->spec();
  json::object list;
  list["kind"] = spec.listKind.empty() ? spec.kind + "List" : spec.listKind;
  list["apiVersion"] = spec.groupVersion();
  list["metadata"] = std::move(meta);
  json::array items;
  for (auto& o : objects) items.push_back(std::move(o));
  list["items"] = std::move(items);
  return encode(200, list, out);
}

Response ResourceHandler::watch(Request& req, const Output& out) const {
  if (auto m = parseMatch(req, true); !m) return Response::error(m.error());
  registry::WatchOptions wo;
  wo.resourceVersion = std::string(param(req, "resourceVersion"));
  wo.labelSelector = std::string(param(req, "labelSelector"));
  wo.fieldSelector = std::string(param(req, "fieldSelector"));
  wo.allowBookmarks = boolParam(req, "allowWatchBookmarks").value_or(false);
  wo.sendInitialEvents = boolParam(req, "sendInitialEvents");
  auto timeout = intParam(req, "timeoutSeconds");
  if (!timeout) return Response::error(timeout.error());
  const std::string ns = store_->namespaced() ? req.info.namespace_ : std::string();
  auto w = store_->watch(ns, wo, req.deadline);
  Response r;
  r.contentType = "application/json";
  if (!w) {
    if (w.error().code != 410) return Response::error(w.error());
    r.stream = std::make_shared<ErrorEventStream>(w.error());
    return r;
  }
  Output streamOut = out;
  if (streamOut.format == Format::Yaml) streamOut.format = Format::Json;  // watch events are JSON lines
  r.stream = std::make_shared<WatchStream>(store_, *w, streamOut, table_, opts_.clock);
  std::chrono::seconds length{*timeout};
  if (length.count() <= 0) {
    // kube spreads watch lengths over [min, 2*min] so that clients do not reconnect in step.
    thread_local std::mt19937_64 rng{std::random_device{}()};
    const auto min = opts_.minRequestTimeout.count();
    length = std::chrono::seconds(min + std::uniform_int_distribution<std::int64_t>(0, min)(rng));
  }
  r.streamDeadline = std::chrono::steady_clock::now() + length;
  r.longRunning = true;
  return r;
}

Result<registry::WriteOptions> ResourceHandler::writeOptions(const Request& req) const {
  registry::WriteOptions wo;
  if (auto d = req.query.get("dryRun")) {
    json::value v(*d);
    auto dry = parseDryRun(&v, optionsKindOf(req));
    if (!dry) return fail(std::move(dry).error());
    wo.dryRun = *dry;
  }
  wo.fieldManager = std::string(param(req, "fieldManager"));
  if (wo.fieldManager.size() > 128)
    return fail(ApiError::badRequest("fieldManager: Too long: may not be more than 128 bytes"));
  // kube's managerOrUserAgent: a write without fieldManager is recorded under the client's name.
  if (wo.fieldManager.empty())
    wo.fieldManager = apply::managerFromUserAgent(req.header("User-Agent").value_or(""));
  wo.user = &req.user;
  return wo;
}

namespace {

// fieldValidationOf reads kube's fieldValidation parameter (case-insensitive; absent means Warn).
Result<schema::FieldValidation> fieldValidationOf(const Request& req) {
  std::string mode(param(req, "fieldValidation"));
  for (auto& c : mode) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (mode.empty() || mode == "warn") return schema::FieldValidation::Warn;
  if (mode == "strict") return schema::FieldValidation::Strict;
  if (mode == "ignore") return schema::FieldValidation::Ignore;
  return fail(ApiError::badRequest("fieldValidation: Unsupported value: \"" + std::string(param(req, "fieldValidation")) +
                                   "\": supported values: \"Ignore\", \"Strict\", \"Warn\""));
}

}  // namespace

Result<std::vector<std::string>> ResourceHandler::checkFields(
    json::object& obj, const std::vector<std::string>& duplicates, const Request& req,
    bool patched) const {
  auto mode = fieldValidationOf(req);
  if (!mode) return fail(std::move(mode).error());
  const schema::FieldValidation fv = *mode;
  const auto& spec = store_->spec();
  auto prefix = [&] {
    return spec.kind + " in version \"" + spec.version + "\" cannot be handled as a " + spec.kind +
           ": ";
  };
  const schema::SchemaNode root = store_->schema().root();
  std::vector<std::string> unknown;
  if (auto err = schema::decodeFields(obj, root, unknown))
    return fail(ApiError::badRequest(prefix() + *err));
  std::vector<std::string> problems;
  if (fv != schema::FieldValidation::Ignore) {
    for (const auto& d : duplicates)
      problems.push_back("duplicate field \"" + d + "\"");
    for (auto& u : unknown) problems.push_back("unknown field \"" + u + "\"");
  }
  if (fv == schema::FieldValidation::Strict && !problems.empty()) {
    std::string msg = "strict decoding error: ";
    for (std::size_t i = 0; i < problems.size(); ++i) msg += (i ? ", " : "") + problems[i];
    // A patch's result is refused as kube's patcher does: 422 on the field "patch".
    if (patched)
      return fail(ApiError::invalid({}, "", {invalidField("patch", json::value(json::serialize(obj)), std::move(msg))}));
    return fail(ApiError::badRequest(prefix() + msg));
  }
  return problems;
}

Result<ResourceHandler::Decoded> ResourceHandler::decodeObject(const Request& req) const {
  std::vector<std::string> duplicates;
  BodyArena arena;
  auto body = decodeBody(req, &duplicates, &arena);
  if (!body) return fail(std::move(body).error());
  const auto& spec = store_->spec();
  std::string_view kind = stringField(*body, "", "kind");
  std::string_view apiVersion = stringField(*body, "", "apiVersion");
  if (!apiVersion.empty() && apiVersion != spec.groupVersion())
    return fail(ApiError::badRequest("the API version in the data (" + std::string(apiVersion) +
                                     ") does not match the expected API version (" + spec.groupVersion() + ")"));
  if (!kind.empty() && kind != spec.kind)
    return fail(ApiError::badRequest("the kind in the data (" + std::string(kind) + ") does not match the expected kind (" +
                                     spec.kind + ")"));
  auto warnings = checkFields(*body, duplicates, req);
  if (!warnings) return fail(std::move(warnings).error());
  return Decoded{std::move(arena), std::move(*body), std::move(*warnings)};
}

namespace {
/// withWarnings adds one Warning header per problem (kubectl prints "Warning: <text>").
Response withWarnings(Response r, const std::vector<std::string>& warnings) {
  for (const auto& w : warnings) {
    std::string quoted;
    for (char c : w) {
      if (c == '"' || c == '\\') quoted += '\\';
      quoted += c;
    }
    r.headers.emplace_back("Warning", "299 - \"" + quoted + "\"");
  }
  return r;
}

/// InPlaceOrLater is the answer of a handler whose work completes through a callback: in place
/// when the callback ran before the handler returns (nothing waits for anything), otherwise
/// later, through a pending response the callback completes, so that no thread waits for it.
class InPlaceOrLater {
 public:
  /// give is the callback's side: the answer, once, from any thread.
  void give(Response r) {
    std::unique_lock lock(mu_);
    if (!returned_) {
      inPlace_ = std::move(r);
      return;
    }
    auto later = later_;
    lock.unlock();
    later->complete(std::move(r));
  }
  /// take is the handler's side, once the work has started: the answer if it is there, or the
  /// placeholder for it.
  Response take() {
    std::lock_guard lock(mu_);
    returned_ = true;
    if (inPlace_)
      return std::move(*inPlace_);
    later_ = std::make_shared<DeferredResponse>();
    return Response::later(later_);
  }

 private:
  std::mutex mu_;
  bool returned_ = false;
  std::optional<Response> inPlace_;
  std::shared_ptr<DeferredResponse> later_;
};
}  // namespace

Response ResourceHandler::create(Request& req, const Output& out) const {
  auto wo = writeOptions(req);
  if (!wo) return Response::error(wo.error());
  auto body = decodeObject(req);
  if (!body) return Response::error(body.error());
  const std::string ns = store_->namespaced() ? req.info.namespace_ : std::string();
  wo->keepAlive = body->arena;  // the object may be answered after this frame is gone
  // A durable backend answers on its own thread once the write is committed; the answer is
  // rendered there and this thread is free meanwhile (docs/performance.md).
  auto answer = std::make_shared<InPlaceOrLater>();
  store_->createAsync(
      ns, std::move(body->object), *wo,
      [this, answer, out,
       warnings = std::move(body->warnings)](Result<registry::WriteResult> created) {
        try {
          if (!created)
            return answer->give(Response::error(created.error()));
          const bool encoded = created->json && out.format == Format::Json;
          answer->give(withWarnings(encoded ? encodedResponse(201, std::move(created->json))
                                            : objectResponse(201, created->object, out),
                                    warnings));
        } catch (const std::exception& e) {
          answer->give(Response::error(
              ApiError::internal(std::string("rendering the created object: ") + e.what())));
        }
      });
  return answer->take();
}

Response ResourceHandler::update(Request& req, const Output& out) const {
  auto wo = writeOptions(req);
  if (!wo) return Response::error(wo.error());
  auto body = decodeObject(req);
  if (!body) return Response::error(body.error());
  const std::string ns = store_->namespaced() ? req.info.namespace_ : std::string();
  auto updated = req.info.subresource == "finalize"
                     ? store_->finalize(ns, req.info.name, std::move(body->object), *wo)
                     : store_->update(ns, req.info.name, std::move(body->object), req.info.subresource == "status", *wo);
  if (!updated) return Response::error(updated.error());
  return withWarnings(objectResponse(updated->created ? 201 : 200, updated->object, out), body->warnings);
}

Response ResourceHandler::patch(Request& req, const Output& out) const {
  const auto type = patch::patchTypeOf(req.header("Content-Type").value_or(""));
  if (type == patch::PatchType::Unsupported) return Response::error(patch::unsupportedPatchTypeError());
  auto wo = writeOptions(req);
  if (!wo) return Response::error(wo.error());
  {  // kube's ValidatePatchOptions
    FieldErrors errs;
    if (type != patch::PatchType::Apply && req.query.has("force"))
      errs.push_back(forbiddenField("force", "may not be specified for non-apply patch"));
    if (type == patch::PatchType::Apply && param(req, "fieldManager").empty())
      errs.push_back(requiredField("fieldManager", "is required for apply patch"));
    if (!errs.empty()) return Response::error(ApiError::invalid({"meta.k8s.io", "PatchOptions"}, "", errs));
  }
  const std::string ns = store_->namespaced() ? req.info.namespace_ : std::string();
  if (type == patch::PatchType::Apply) {
    // Server-side apply: the body is YAML (JSON is YAML too); a missing object is created.
    auto decoded = codec::yamlToJson(req.body);
    if (!decoded) return Response::error(ApiError::badRequest("error decoding YAML: " + decoded.error().message));
    auto applied = apply::appliedObject(std::move(*decoded));
    if (!applied) return Response::error(applied.error());
    apply::FieldManager::ApplyOptions ao{std::string(param(req, "fieldManager")),
                                         boolParam(req, "force").value_or(false), req.info.subresource,
                                         opts_.clock->now()};
    registry::Mutation fn = [&](json::object current) -> Result<json::object> {
      const bool exists = !uidOf(current).empty();
      auto merged = store_->fieldManager().apply(exists ? &current : nullptr, *applied, ao);
      if (!merged) return fail(std::move(merged).error());
      if (!exists && !uidOf(*merged).empty())
        return fail(ApiError::conflict(store_->groupResource(), req.info.name,
                                       "uid mismatch: the provided object specified uid " + std::string(uidOf(*merged)) +
                                           ", and no existing object was found"));
      if (auto named = apply::checkObjectName(*merged, req.info.name, ns); !named) return fail(std::move(named).error());
      return std::move(*merged);
    };
    wo->forceAllowCreate = true;
    wo->managedFieldsSet = true;
    auto applyResult = store_->mutate(ns, req.info.name, fn, req.info.subresource == "status", *wo);
    if (!applyResult) return Response::error(applyResult.error());
    return objectResponse(applyResult->created ? 201 : 200, applyResult->object, out);
  }
  const std::string& body = req.body;
  // Unless asked to ignore problems, kube decodes a JSON or merge patch strictly first.
  auto fv = fieldValidationOf(req);
  if (!fv) return Response::error(fv.error());
  if (*fv != schema::FieldValidation::Ignore && (type == patch::PatchType::Json || type == patch::PatchType::Merge))
    if (auto decoded = golang::parseJson(body); !decoded)
      return Response::error(ApiError::badRequest("error decoding patch: " + decoded.error()));
  const schema::SchemaNode root = store_->schema().root();
  std::vector<std::string> warnings;
  registry::Mutation fn = [&](json::object current) -> Result<json::object> {
    const json::value doc(std::move(current));
    Result<json::value> patched = type == patch::PatchType::Json    ? patch::applyJsonPatch(doc, body)
                                  : type == patch::PatchType::Merge ? patch::applyMergePatchBody(doc, body)
                                                                    : patch::applyStrategicMergePatchBody(doc, body, root);
    if (!patched) return fail(std::move(patched).error());
    if (!patched->is_object())
      return fail(ApiError::badRequest("the patched object is not a JSON object"));
    // The patched object is decoded as a body would be: unknown fields per fieldValidation.
    auto checked = checkFields(patched->get_object(), /*duplicates=*/{}, req, /*patched=*/true);
    if (!checked) return fail(std::move(checked).error());
    warnings = std::move(*checked);
    return std::move(patched->get_object());
  };
  auto patched = store_->mutate(ns, req.info.name, fn, req.info.subresource == "status", *wo);
  if (!patched) return Response::error(patched.error());
  return withWarnings(objectResponse(200, patched->object, out), warnings);
}

Result<registry::DeleteOptions> ResourceHandler::deleteOptions(const Request& req) const {
  registry::DeleteOptions del;
  auto wo = writeOptions(req);
  if (!wo) return fail(std::move(wo).error());
  del.write = *wo;
  json::object options;
  if (!req.body.empty()) {
    auto body = decodeBody(req);
    if (!body) return fail(std::move(body).error());
    options = std::move(*body);
  }
  auto dry = parseDryRun(options.if_contains("dryRun"), "DeleteOptions");
  if (!dry) return fail(std::move(dry).error());
  del.write.dryRun = del.write.dryRun || *dry;
  std::string_view policy = stringField(options, param(req, "propagationPolicy"), "propagationPolicy");
  if (policy == "Orphan") {
    del.propagation = registry::PropagationPolicy::Orphan;
  } else if (policy == "Background") {
    del.propagation = registry::PropagationPolicy::Background;
  } else if (policy == "Foreground") {
    del.propagation = registry::PropagationPolicy::Foreground;
  } else if (!policy.empty()) {
    return fail(ApiError::invalid({"meta.k8s.io", "DeleteOptions"}, "",
                                  {notSupportedField("propagationPolicy", json::value(policy),
                                                     {"Foreground", "Background", "Orphan", "nil"})}));
  }
  // The deprecated orphanDependents maps onto the policy when none is given.
  if (const auto* orphan = options.if_contains("orphanDependents");
      orphan != nullptr && orphan->is_bool() && policy.empty())
    del.propagation = orphan->get_bool() ? registry::PropagationPolicy::Orphan : registry::PropagationPolicy::Background;
  if (const auto* pre = objectField(options, "preconditions")) {
    if (const auto* uid = pre->if_contains("uid"); uid != nullptr && uid->is_string())
      del.preconditionUid = std::string(uid->get_string());
    if (const auto* rv = pre->if_contains("resourceVersion"); rv != nullptr && rv->is_string())
      del.preconditionResourceVersion = std::string(rv->get_string());
  }
  return del;
}

Response ResourceHandler::remove(Request& req, const Output& out) const {
  auto del = deleteOptions(req);
  if (!del) return Response::error(del.error());
  const std::string ns = store_->namespaced() ? req.info.namespace_ : std::string();
  auto removed = store_->remove(ns, req.info.name, *del);
  if (!removed) return Response::error(removed.error());
  // An object that is not gone yet (finalizers) is always returned, as kube does.
  if (!removed->deleted || store_->spec().returnDeletedObject) return objectResponse(200, removed->object, out);
  json::object details{{"name", req.info.name}, {"kind", store_->spec().plural}};
  if (!store_->spec().group.empty()) details["group"] = store_->spec().group;
  details["uid"] = uidOf(removed->object);
  json::object st{{"kind", "Status"}, {"apiVersion", "v1"}, {"metadata", json::object()}, {"status", "Success"},
                  {"details", std::move(details)}};
  return encode(200, st, out);
}

Response ResourceHandler::removeCollection(Request& req, const Output& out) const {
  auto del = deleteOptions(req);
  if (!del) return Response::error(del.error());
  registry::ListOptions lo;
  lo.labelSelector = std::string(param(req, "labelSelector"));
  lo.fieldSelector = std::string(param(req, "fieldSelector"));
  const std::string ns = store_->namespaced() ? req.info.namespace_ : std::string();
  auto removed = store_->removeCollection(ns, lo, *del, req.deadline);
  if (!removed) return Response::error(removed.error());
  const auto& spec = store_->spec();
  json::array items;
  for (auto& o : *removed) items.push_back(std::move(o));
  json::object list{{"kind", spec.listKind.empty() ? spec.kind + "List" : spec.listKind},
                    {"apiVersion", spec.groupVersion()},
                    {"metadata", json::object()},
                    {"items", std::move(items)}};
  return encode(200, list, out);
}

}  // namespace apiserver::endpoints
