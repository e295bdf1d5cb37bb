#pragma once

#include "endpoints/table.h"
#include "registry/store.h"

#include <apiserver/chain.h>
#include <apiserver/registry.h>

#include <chrono>
#include <memory>
#include <string>
#include <vector>

/// @file resource_handler.h
/// ResourceHandler serves every REST verb of one resource (kube's endpoints/handlers: get, list,
/// watch, create, update, patch, delete) on top of its registry Store.

namespace apiserver::endpoints {

/// ResourceHandler is thread-safe; one instance serves all requests for its resource.
class ResourceHandler {
 public:
  struct Options {
    std::shared_ptr<const WallClock> clock;
    /// A watch without timeoutSeconds lasts a random time in [min, 2*min] (kube's
    /// --min-request-timeout).
    std::chrono::seconds minRequestTimeout{1800};
  };

  ResourceHandler(std::shared_ptr<registry::Store> store, Options options);

  /// serve answers a resource request whose RequestInfo names this handler's resource.
  Response serve(Request& req) const;

  const registry::Store& store() const { return *store_; }

 private:
  Response get(Request& req, const Output& out) const;
  Response list(Request& req, const Output& out) const;
  Response watch(Request& req, const Output& out) const;
  Response create(Request& req, const Output& out) const;
  Response update(Request& req, const Output& out) const;
  Response patch(Request& req, const Output& out) const;
  Response remove(Request& req, const Output& out) const;
  Response removeCollection(Request& req, const Output& out) const;
  Result<registry::DeleteOptions> deleteOptions(const Request& req) const;
  Response objectResponse(int status, const storage::CachedObjectPtr& obj, const Output& out) const;
  Response objectResponse(int status, const boost::json::object& obj, const Output& out) const;
  Result<registry::WriteOptions> writeOptions(const Request& req) const;
  /// Decoded is a request body as kube's decoder leaves it, with the warnings to send.
  struct Decoded {
    BodyArena arena;  ///< what `object` lives in: first, so that it is destroyed last
    json::object object;
    std::vector<std::string> warnings;
  };
  /// decodeObject decodes a create/update body: kind and apiVersion must be the resource's, and
  /// fields are checked against the schema per the fieldValidation parameter.
  Result<Decoded> decodeObject(const Request& req) const;
  /// checkFields drops unknown fields and refuses wrongly typed ones, as kube's decoder does;
  /// unknown and duplicate fields are errors (Strict), warnings (Warn) or nothing (Ignore).
  /// `duplicates` are the repeated keys of the JSON the object came from (decodeBody).
  /// `patched`: the object is a patch's result (a Strict refusal is then kube's 422 on "patch").
  Result<std::vector<std::string>> checkFields(json::object& obj,
                                               const std::vector<std::string>& duplicates,
                                               const Request& req, bool patched = false) const;

  std::shared_ptr<registry::Store> store_;
  Options opts_;
  std::shared_ptr<const TableRenderer> table_;
  SharedBytes listPrefixKind_;  // {"kind":"PodList","apiVersion":"v1","metadata":
};

}  // namespace apiserver::endpoints
