// Gadget (the sample plugin): defaulting, validation, Table, field selector, schema, and the
// controller's status write.
#include "sample/gadget_controller.h"
#include "sample/gadgets.h"

#include <apiserver/object.h>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <gtest/gtest.h>

#include <map>
#include <mutex>

namespace apiserver::plugins::sample {
namespace {

json::object obj(std::string_view text) { return boost::json::parse(text).as_object(); }

std::string render(const FieldErrors& errs) {
  std::string s;
  for (const auto& e : errs) s += e.str() + "\n";
  return s;
}

TEST(GadgetStrategy, DefaultsColorAndDropsStatusOnCreate) {
  GadgetStrategy s;
  auto o = obj(R"({"metadata":{"name":"g"},"spec":{"size":3},"status":{"phase":"Ready"}})");
  s.prepareForCreate(o);
  EXPECT_EQ(boost::json::serialize(o), R"({"metadata":{"name":"g"},"spec":{"size":3,"color":"blue"}})");
  auto red = obj(R"({"spec":{"size":3,"color":"red"}})");
  s.prepareForUpdate(red, red);
  EXPECT_EQ(red.at("spec").at("color"), "red");
}

TEST(GadgetStrategy, ValidationIsWordedAsKubes) {
  GadgetStrategy s;
  EXPECT_EQ(render(s.validate(obj(R"({"spec":{"size":3,"color":"green","parts":[{"name":"a","count":0}]}})"))), "");
  EXPECT_EQ(render(s.validate(obj(R"({})"))), "spec: Required value\n");
  EXPECT_EQ(render(s.validate(obj(R"({"spec":{}})"))), "spec.size: Required value\n");
  EXPECT_EQ(render(s.validate(obj(R"({"spec":{"size":101,"color":"pink"}})"))),
            "spec.size: Invalid value: 101: must be between 1 and 100, inclusive\n"
            "spec.color: Unsupported value: \"pink\": supported values: \"blue\", \"green\", \"red\"\n");
  EXPECT_EQ(render(s.validate(obj(R"({"spec":{"size":1,"parts":[{"name":"a"},{"name":"a","count":-1},{}]}})"))),
            "spec.parts[1].name: Duplicate value: \"a\"\n"
            "spec.parts[1].count: Invalid value: -1: must be greater than or equal to 0\n"
            "spec.parts[2].name: Required value\n");
  auto st = obj(R"({"status":{"phase":"Broken"}})");
  EXPECT_EQ(render(s.validateStatusUpdate(st, st)),
            "status.phase: Unsupported value: \"Broken\": supported values: \"Pending\", \"Ready\"\n");
}

TEST(GadgetStrategy, TableAndFieldSelector) {
  GadgetStrategy s;
  std::vector<std::string> names;
  for (const auto& c : s.tableColumns()) names.push_back(c.name + (c.priority ? "*" : ""));
  EXPECT_EQ(names, (std::vector<std::string>{"Name", "Size", "Color", "Phase", "Parts*", "Age"}));
  auto o = obj(R"({"metadata":{"name":"g1","creationTimestamp":"2024-01-01T11:59:00Z"},)"
               R"("spec":{"size":3,"color":"red","parts":[{"name":"a"}]},"status":{"phase":"Ready"}})");
  auto row = s.tableRow(o, *parseTime("2024-01-01T12:00:00Z"));
  EXPECT_EQ(boost::json::serialize(boost::json::array(row.begin(), row.end())), R"(["g1",3,"red","Ready",1,"60s"])");
  EXPECT_EQ(s.selectableFieldNames(), (std::vector<std::string>{"spec.color"}));
  SelectableFields f;
  s.selectableFields(o, f);
  EXPECT_EQ(f, (SelectableFields{{"spec.color", "red"}}));
}

TEST(GadgetResourceSpec, SchemaAndNames) {
  ResourceSpec s = gadgetResourceSpec();
  EXPECT_EQ(s.groupVersion(), "samples.example.com/v1alpha1");
  EXPECT_EQ(s.shortNames, (std::vector<std::string>{"gd"}));
  EXPECT_EQ(s.subresources, (std::vector<std::string>{"status"}));
  EXPECT_TRUE(s.tracksGeneration);
  ASSERT_FALSE(s.schema.empty());
  EXPECT_EQ(s.schema.at("description"),
            "Gadget is the sample plugin's kind: a thing of some size and color, made of parts.");
  ASSERT_TRUE(s.definitions.contains("com.example.samples.v1alpha1.GadgetSpec"));
  const auto& parts = s.definitions.at("com.example.samples.v1alpha1.GadgetSpec").at("properties").at("parts");
  EXPECT_EQ(parts.at("x-kubernetes-patch-merge-key"), "name");
  EXPECT_EQ(parts.at("x-kubernetes-list-type"), "map");
}

/// OneGadgetClient holds the gadget the controller writes.
class OneGadgetClient final : public Client {
 public:
  std::vector<ResourceSpec> resources() override { return {}; }
  Result<json::object> get(const GroupResource&, std::string_view, std::string_view) override { return written; }
  Result<ObjectList> list(const GroupResource&, std::string_view, std::string_view, std::string_view) override {
    return ObjectList{};
  }
  Result<json::object> create(const GroupResource&, std::string_view, json::object o) override { return o; }
  Result<json::object> update(const GroupResource&, std::string_view ns, json::object o,
                              std::string_view subresource) override {
    ++writes;
    lastNamespace = std::string(ns);
    lastSubresource = std::string(subresource);
    written = o;
    return o;
  }
  Result<void> remove(const GroupResource&, std::string_view, std::string_view) override { return {}; }
  Result<void> removeCollection(const GroupResource&, std::string_view) override { return {}; }
  Result<std::unique_ptr<ObjectWatch>> watch(const GroupResource&, std::string_view) override {
    return ApiError::serviceUnavailable("no watch here");
  }
  int writes = 0;
  std::string lastNamespace, lastSubresource;
  json::object written;
};

class NullLogger final : public Logger {
 public:
  void log(LogLevel, std::string_view) override {}
  bool enabled(LogLevel) const override { return false; }
};

TEST(GadgetController, WritesReadyWithTheObservedGenerationOnce) {
  OneGadgetClient client;
  NullLogger log;
  auto g = obj(R"({"metadata":{"name":"g1","namespace":"ns","generation":2},"spec":{"size":1}})");
  EXPECT_TRUE(GadgetController::reconcile(client, g, log));
  EXPECT_EQ(client.writes, 1);
  EXPECT_EQ(client.lastSubresource, "status");
  EXPECT_EQ(client.lastNamespace, "ns");
  EXPECT_EQ(boost::json::serialize(client.written.at("status")), R"({"phase":"Ready","observedGeneration":2})");
  // Up to date: nothing to write.
  EXPECT_TRUE(GadgetController::reconcile(client, client.written, log));
  EXPECT_EQ(client.writes, 1);
  // Being deleted: left alone.
  auto gone = obj(R"({"metadata":{"name":"g2","namespace":"ns","deletionTimestamp":"2024-01-01T00:00:00Z"}})");
  EXPECT_TRUE(GadgetController::reconcile(client, gone, log));
  EXPECT_EQ(client.writes, 1);
}

}  // namespace
}  // namespace apiserver::plugins::sample
