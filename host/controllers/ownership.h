#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

/// @file ownership.h
/// The part of an object's metadata the garbage collector follows, read straight from the
/// object's JSON: the collector sees every event of every resource, and a full parse of each
/// object (spec, status and all) only to keep a few metadata fields cost more than the write
/// that produced it.

namespace apiserver::controllers {

/// OwnerReference is one entry of metadata.ownerReferences, the fields the collector uses.
struct OwnerReference {
  std::string uid;
  std::string apiVersion;
  std::string kind;
  std::string name;
  bool blockOwnerDeletion = false;
};

/// Ownership is what the collector keeps of an object's metadata. A field that is absent or not
/// of its JSON type reads as empty (as the object accessors read it); `deleting` is the presence
/// of metadata.deletionTimestamp.
struct Ownership {
  std::string uid;
  std::string name;
  std::string namespace_;
  bool deleting = false;
  std::vector<std::string> finalizers;          ///< the string entries, in order
  std::vector<OwnerReference> ownerReferences;  ///< the object entries, in order
};

/// scanOwnership reads Ownership from a JSON object without building it: the scan stops at the
/// end of the top-level `metadata` object. nullopt when the text is not JSON (up to that point)
/// or its top level is not an object. A member given twice counts as kube's decoder counts it:
/// the last one.
std::optional<Ownership> scanOwnership(std::string_view json);

}  // namespace apiserver::controllers
