#include "patch/patch_type.h"

#include <gtest/gtest.h>

namespace apiserver::patch {
namespace {

TEST(PatchTypeTest, ContentTypes) {
  EXPECT_EQ(patchTypeOf("application/json-patch+json"), PatchType::Json);
  EXPECT_EQ(patchTypeOf("application/merge-patch+json"), PatchType::Merge);
  EXPECT_EQ(patchTypeOf("application/strategic-merge-patch+json"), PatchType::Strategic);
  EXPECT_EQ(patchTypeOf("application/apply-patch+yaml"), PatchType::Apply);
  EXPECT_EQ(patchTypeOf("application/strategic-merge-patch+json; charset=utf-8"),
            PatchType::Strategic);
  EXPECT_EQ(patchTypeOf("application/json-patch+json;charset=UTF-8"), PatchType::Json);
}

TEST(PatchTypeTest, UnsupportedAsKubeDecides) {
  EXPECT_EQ(patchTypeOf(""), PatchType::Unsupported);
  EXPECT_EQ(patchTypeOf("application/json"), PatchType::Unsupported);
  EXPECT_EQ(patchTypeOf("application/apply-patch+cbor"), PatchType::Unsupported);
  EXPECT_EQ(patchTypeOf("Application/Merge-Patch+JSON"), PatchType::Unsupported);  // exact match
  EXPECT_EQ(patchTypeOf("application/merge-patch+json ; charset=utf-8"),
            PatchType::Unsupported);  // kube does not trim
  EXPECT_EQ(patchTypeOf(";application/merge-patch+json"), PatchType::Unsupported);
}

TEST(PatchTypeTest, RoundTrip) {
  for (PatchType t : {PatchType::Json, PatchType::Merge, PatchType::Strategic, PatchType::Apply})
    EXPECT_EQ(patchTypeOf(contentTypeOf(t)), t);
  EXPECT_EQ(contentTypeOf(PatchType::Unsupported), "");
}

TEST(PatchTypeTest, UnsupportedMediaTypeError) {
  ApiError e = unsupportedPatchTypeError();
  EXPECT_EQ(e.code, 415);
  EXPECT_EQ(e.reason, "UnsupportedMediaType");
  EXPECT_EQ(e.message,
            "the body of the request was in an unknown format - accepted media types include: "
            "application/json-patch+json, application/merge-patch+json, "
            "application/strategic-merge-patch+json, application/apply-patch+yaml");
  EXPECT_FALSE(e.details.has_value());
  EXPECT_EQ(unsupportedPatchTypeError(false).message,
            "the body of the request was in an unknown format - accepted media types include: "
            "application/json-patch+json, application/merge-patch+json, "
            "application/apply-patch+yaml");
}

}  // namespace
}  // namespace apiserver::patch
