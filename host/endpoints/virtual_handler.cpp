#include "endpoints/virtual_handler.h"

#include "endpoints/negotiation.h"

#include <boost/json/serialize.hpp>

namespace apiserver::endpoints {

namespace json = boost::json;

namespace {

ApiError methodNotAllowed() {
  return ApiError{405, "MethodNotAllowed", "the server does not allow this method on the requested resource",
                  ApiError::Details{}};
}

// dryRunOf reads the dryRun query parameter as kube's CreateOptions validation does.
Result<bool> dryRunOf(const Request& req) {
  bool dry = false;
  for (const auto& [k, v] : req.query.items) {
    if (k != "dryRun") continue;
    if (v != "All") {
      FieldError e = notSupportedField("dryRun", nullptr, {"All"});
      e.badValueText = "[]string{" + json::serialize(json::value(v)) + "}";
      return fail(ApiError::invalid({"meta.k8s.io", "CreateOptions"}, "", {e}));
    }
    dry = true;
  }
  return dry;
}

}  // namespace

Response VirtualResourceHandler::serve(Request& req) const {
  const RequestInfo& info = req.info;
  if (namespaced() && info.namespace_.empty())
    return Response::error(ApiError{404, "NotFound", "the server could not find the requested resource", ApiError::Details{}});
  if (info.verb != "create" || !info.name.empty() || !info.subresource.empty())
    return Response::error(methodNotAllowed());
  auto out = negotiateOutput(req);
  if (!out) return Response::error(out.error());
  if (out->format == Format::Table) out->format = Format::Json;  // nothing to tabulate
  auto dry = dryRunOf(req);
  if (!dry) return Response::error(dry.error());
  auto body = decodeBody(req);
  if (!body) return Response::error(body.error());
  std::string_view kind = stringField(*body, "", "kind");
  std::string_view apiVersion = stringField(*body, "", "apiVersion");
  if (!apiVersion.empty() && apiVersion != spec_.groupVersion())
    return Response::error(ApiError::badRequest("the API version in the data (" + std::string(apiVersion) +
                                                ") does not match the expected API version (" + spec_.groupVersion() + ")"));
  if (!kind.empty() && kind != spec_.kind)
    return Response::error(ApiError::badRequest("the kind in the data (" + std::string(kind) +
                                                ") does not match the expected kind (" + spec_.kind + ")"));
  const std::string ns = namespaced() ? info.namespace_ : std::string();
  if (namespaced()) {  // kube's EnsureObjectNamespaceMatchesRequestNamespace
    std::string_view objNs = namespaceOf(*body);
    if (objNs.empty()) {
      metadata(*body)["namespace"] = ns;
    } else if (objNs != ns) {
      return Response::error(ApiError::badRequest(
          "the namespace of the provided object does not match the namespace sent on the request"));
    }
  }
  CreateContext ctx;
  ctx.namespace_ = ns;
  ctx.user = &req.user;
  ctx.dryRun = *dry;
  Result<json::object> answer = [&]() -> Result<json::object> {
    try {
      return creater_->create(ctx, std::move(*body));
    } catch (const std::exception& e) {
      return fail(ApiError::internal(std::string("the create of ") + spec_.plural + " threw: " + e.what()));
    }
  }();
  if (!answer) return Response::error(answer.error());
  json::object result;
  result["kind"] = spec_.kind;
  result["apiVersion"] = spec_.groupVersion();
  for (auto& kv : *answer)
    if (kv.key() != "kind" && kv.key() != "apiVersion") result[kv.key()] = std::move(kv.value());
  return encode(201, result, *out);
}

}  // namespace apiserver::endpoints
