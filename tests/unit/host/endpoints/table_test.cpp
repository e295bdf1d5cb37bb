// meta.k8s.io/v1 Table rendering (docs/kubectl-protocol.md section 6.1).

#include "endpoints/table.h"

#include <apiserver/object.h>

#include <gtest/gtest.h>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

namespace apiserver::endpoints {
namespace {

namespace json = boost::json;

json::object object(std::string_view text) {
  return json::parse(text).as_object();
}

const json::object kWeb = object(R"({"apiVersion":"v1","kind":"Pod",
  "metadata":{"name":"web","namespace":"default","uid":"u1","resourceVersion":"106",
              "creationTimestamp":"2024-01-02T03:04:05Z","labels":{"app":"x"},
              "managedFields":[{"manager":"kubectl"}]},
  "spec":{"nodeName":"node-1"},"status":{"phase":"Running"}})");

TimePoint at(std::string_view t) {
  return *parseTime(t);
}

class PodStrategy final : public Strategy {
 public:
  std::vector<TableColumn> tableColumns() const override {
    return {{"Name", "string", "name", "Name of the pod", 0},
            {"Status", "", "", "", 0},
            {"Age", "string", "", "", 0},
            {"Node", "string", "", "", 1}};
  }
  std::vector<json::value> tableRow(const json::object& obj, TimePoint now) const override {
    std::vector<json::value> cells{json::value(nameOf(obj)),
                                   json::value(stringField(obj, "", "status", "phase")),
                                   json::value(ageOf(obj, now))};
    if (withNode)
      cells.emplace_back(stringField(obj, "<none>", "spec", "nodeName"));
    return cells;
  }
  bool withNode = true;
};

TEST(Table, DefaultColumnsAreNameAndCreatedAt) {
  Strategy plain;
  TableRenderer t(plain);
  json::object table = t.table({kWeb}, ListMeta{"106", "", std::nullopt}, IncludeObject::Metadata,
                               at("2024-01-02T03:09:05Z"));
  EXPECT_EQ(table.at("kind"), "Table");
  EXPECT_EQ(table.at("apiVersion"), "meta.k8s.io/v1");
  EXPECT_EQ(table.at("metadata"), (json::object{{"resourceVersion", "106"}}));
  const auto& cols = table.at("columnDefinitions").as_array();
  ASSERT_EQ(cols.size(), 2u);
  EXPECT_EQ(cols[0].at("name"), "Name");
  EXPECT_EQ(cols[0].at("type"), "string");
  EXPECT_EQ(cols[0].at("format"), "name");
  EXPECT_EQ(cols[0].at("priority"), 0);
  EXPECT_NE(cols[0].at("description").as_string().find("Name must be unique within a namespace"),
            json::string::npos);
  EXPECT_EQ(cols[1].at("name"), "Created At");
  EXPECT_EQ(cols[1].at("type"), "date");
  EXPECT_EQ(cols[1].at("format"), "");
  const auto& rows = table.at("rows").as_array();
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0].at("cells"), json::parse(R"(["web","2024-01-02T03:04:05Z"])"));
}

TEST(Table, StrategyColumnsAndCells) {
  PodStrategy pods;
  TableRenderer t(pods);
  json::object table = t.table({kWeb}, ListMeta{"106", "tok", 4}, IncludeObject::Metadata,
                               at("2024-01-02T03:09:05Z"));
  EXPECT_EQ(
      table.at("metadata"),
      (json::object{{"resourceVersion", "106"}, {"continue", "tok"}, {"remainingItemCount", 4}}));
  const auto& cols = table.at("columnDefinitions").as_array();
  ASSERT_EQ(cols.size(), 4u);
  EXPECT_EQ(cols[1].at("type"), "string") << "an empty type defaults to string";
  EXPECT_EQ(cols[3].at("priority"), 1) << "-o wide only";
  for (const auto& c : cols)
    for (const char* k : {"name", "type", "format", "description", "priority"})
      EXPECT_NE(c.as_object().if_contains(k), nullptr) << k;
  EXPECT_EQ(table.at("rows").at(0).at("cells"), json::parse(R"(["web","Running","5m","node-1"])"));
}

TEST(Table, ShortRowsArePadded) {
  PodStrategy pods;
  pods.withNode = false;
  TableRenderer t(pods);
  json::object table = t.table({kWeb}, ListMeta{}, IncludeObject::None, at("2024-01-02T03:04:10Z"));
  EXPECT_EQ(table.at("rows").at(0).at("cells"), json::parse(R"(["web","Running","5s",""])"));
}

TEST(Table, RowObjects) {
  Strategy plain;
  TableRenderer t(plain);
  const TimePoint now = at("2024-01-02T03:04:05Z");

  json::object meta = t.table({kWeb}, ListMeta{}, IncludeObject::Metadata, now);
  const auto& partial = meta.at("rows").at(0).at("object");
  EXPECT_EQ(partial.at("kind"), "PartialObjectMetadata");
  EXPECT_EQ(partial.at("apiVersion"), "meta.k8s.io/v1");
  EXPECT_EQ(partial.at("metadata").at("name"), "web");
  EXPECT_EQ(partial.at("metadata").at("namespace"), "default") << "-A needs the namespace";
  EXPECT_EQ(partial.at("metadata").at("labels"), (json::object{{"app", "x"}}))
      << "--show-labels needs them";
  EXPECT_EQ(partial.at("metadata").as_object().if_contains("managedFields"), nullptr);
  EXPECT_EQ(partial.as_object().if_contains("spec"), nullptr);

  json::object full = t.table({kWeb}, ListMeta{}, IncludeObject::Object, now);
  EXPECT_EQ(full.at("rows").at(0).at("object"), json::value(kWeb))
      << "--sort-by needs the whole object";

  json::object none = t.table({kWeb}, ListMeta{}, IncludeObject::None, now);
  EXPECT_EQ(none.at("rows").at(0).as_object().if_contains("object"), nullptr);
}

TEST(Table, WatchEventsMayLeaveOutTheColumns) {
  Strategy plain;
  TableRenderer t(plain);
  json::object table =
      t.table({kWeb}, ListMeta{}, IncludeObject::Metadata, Clock::now(), /*withColumns=*/false);
  EXPECT_EQ(table.if_contains("columnDefinitions"), nullptr);
  EXPECT_EQ(table.at("rows").as_array().size(), 1u);
}

TEST(Table, NoObjectsIsAnEmptyRowList) {
  Strategy plain;
  TableRenderer t(plain);
  json::object table =
      t.table({}, ListMeta{"7", "", std::nullopt}, IncludeObject::Metadata, Clock::now());
  ASSERT_TRUE(table.at("rows").is_array()) << "kubectl prints \"No resources found\" for []";
  EXPECT_TRUE(table.at("rows").as_array().empty());
  EXPECT_EQ(table.at("columnDefinitions").as_array().size(), 2u);
}

TEST(Table, ManyRowsKeepTheirOrder) {
  Strategy plain;
  TableRenderer t(plain);
  std::vector<json::object> objs;
  for (int i = 0; i < 50; ++i) {
    json::object o = kWeb;
    metadata(o)["name"] = "pod-" + std::to_string(i);
    objs.push_back(std::move(o));
  }
  json::object table = t.table(objs, ListMeta{}, IncludeObject::None, Clock::now());
  const auto& rows = table.at("rows").as_array();
  ASSERT_EQ(rows.size(), 50u);
  for (int i = 0; i < 50; ++i)
    EXPECT_EQ(rows[i].at("cells").at(0).as_string(), "pod-" + std::to_string(i));
}

}  // namespace
}  // namespace apiserver::endpoints
