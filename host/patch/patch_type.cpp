#include "patch/patch_type.h"

#include <string>

namespace apiserver::patch {

namespace {

constexpr std::string_view kJson = "application/json-patch+json";
constexpr std::string_view kMerge = "application/merge-patch+json";
constexpr std::string_view kStrategic = "application/strategic-merge-patch+json";
constexpr std::string_view kApply = "application/apply-patch+yaml";

}  // namespace

PatchType patchTypeOf(std::string_view contentType) {
  // patch.go: `if idx := strings.Index(contentType, ";"); idx > 0 { contentType = contentType[:idx]
  // }`
  if (std::size_t semi = contentType.find(';'); semi != std::string_view::npos && semi > 0)
    contentType = contentType.substr(0, semi);
  if (contentType == kJson)
    return PatchType::Json;
  if (contentType == kMerge)
    return PatchType::Merge;
  if (contentType == kStrategic)
    return PatchType::Strategic;
  if (contentType == kApply)
    return PatchType::Apply;
  return PatchType::Unsupported;
}

std::string_view contentTypeOf(PatchType type) {
  switch (type) {
    case PatchType::Json:
      return kJson;
    case PatchType::Merge:
      return kMerge;
    case PatchType::Strategic:
      return kStrategic;
    case PatchType::Apply:
      return kApply;
    case PatchType::Unsupported:
      return "";
  }
  return "";
}

ApiError unsupportedPatchTypeError(bool strategic) {
  // negotiation.NewUnsupportedMediaTypeError(patchTypes): the handler's supported list in order.
  std::string accepted = std::string(kJson) + ", " + std::string(kMerge) + ", ";
  if (strategic)
    accepted += std::string(kStrategic) + ", ";
  accepted += std::string(kApply);
  return ApiError{415, "UnsupportedMediaType",
                  "the body of the request was in an unknown format - accepted media types "
                  "include: " +
                      accepted,
                  std::nullopt};
}

}  // namespace apiserver::patch
