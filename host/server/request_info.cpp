#include "server/request_info.h"

#include "selection/field_selector.h"

#include <apiserver/validation.h>

#include <algorithm>
#include <cctype>
#include <span>
#include <string_view>
#include <vector>

namespace apiserver::server {

namespace {

/// splitPath splits a path into its segments (no empty ones at either end), as views into it.
std::vector<std::string_view> splitPath(std::string_view path) {
  std::vector<std::string_view> parts;
  parts.reserve(8);  // /apis/group/version/namespaces/ns/resource/name/subresource
  while (!path.empty() && path.front() == '/') path.remove_prefix(1);
  while (!path.empty() && path.back() == '/') path.remove_suffix(1);
  while (!path.empty()) {
    auto slash = path.find('/');
    parts.push_back(path.substr(0, slash));
    if (slash == std::string_view::npos) break;
    path.remove_prefix(slash + 1);
  }
  return parts;
}

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

}  // namespace

RequestInfo resolveRequestInfo(const Request& req) {
  RequestInfo info;
  info.resolved = true;
  info.verb = lower(req.method);
  auto parts = splitPath(req.path);
  if (parts.empty() || (parts[0] != "api" && parts[0] != "apis")) return info;
  info.apiPrefix = parts[0];
  std::size_t i = 1;
  if (info.apiPrefix == "apis") {
    if (parts.size() <= i) return info;
    info.apiGroup = parts[i++];
  }
  if (parts.size() <= i) return info;
  info.apiVersion = parts[i++];
  if (parts.size() <= i) return info;
  info.isResourceRequest = true;

  const std::string& m = req.method;
  if (m == "POST") info.verb = "create";
  else if (m == "GET" || m == "HEAD") info.verb = "get";
  else if (m == "PUT") info.verb = "update";
  else if (m == "PATCH") info.verb = "patch";
  else if (m == "DELETE") info.verb = "delete";
  else info.verb = "";

  // The deprecated special verbs in the path: /api/v1/watch/... and /api/v1/proxy/...
  const bool proxy = parts[i] == "proxy";
  if (parts[i] == "watch" || proxy) {
    info.verb = parts[i];
    ++i;
    if (parts.size() <= i) {
      info.isResourceRequest = false;
      return info;
    }
  }
  std::span<const std::string_view> rest(parts.begin() + static_cast<std::ptrdiff_t>(i),
                                         parts.end());
  if (rest[0] == "namespaces") {
    if (rest.size() > 1) {
      info.namespace_ = rest[1];
      if (rest.size() > 2 && rest[2] != "status" && rest[2] != "finalize")
        rest = rest.subspan(2);
    }
  }
  if (rest.size() >= 3 && !proxy) info.subresource = rest[2];  // proxy takes the rest as a path
  if (rest.size() >= 2) info.name = rest[1];
  info.resource = rest[0];

  if (info.name.empty() && info.verb == "get") {
    auto w = req.query.get("watch");
    bool watch = w.has_value() && *w != "false" && *w != "0" && *w != "False" && *w != "FALSE";
    info.verb = watch ? "watch" : "list";
    // A list or watch pinned to one name (kubectl get NAME -w, kubectl wait) names the object,
    // so that authorization by resourceNames applies.
    if (auto fs = req.query.get("fieldSelector")) {
      if (auto sel = selection::FieldSelector::parse(*fs)) {
        if (auto name = sel->exactValue("metadata.name"))
          if (validation::isValidPathSegmentName(*name).empty()) info.name = std::string(*name);
      }
    }
  }
  if (info.name.empty() && info.verb == "delete") info.verb = "deletecollection";
  return info;
}

bool isLongRunning(const RequestInfo& info) {
  if (info.verb == "watch") return true;
  const std::string& s = info.subresource;
  return s == "proxy" || s == "exec" || s == "attach" || s == "portforward" || s == "log";
}

bool isMutating(const RequestInfo& info) {
  const std::string& v = info.verb;
  return v == "create" || v == "update" || v == "patch" || v == "delete" || v == "deletecollection" ||
         v == "post" || v == "put" || v == "delete";
}

}  // namespace apiserver::server
