// Labels / Fields sets, and that matching never allocates.

#include "selection/set.h"
#include "selection/field_selector.h"
#include "selection/label_selector.h"

#include <gtest/gtest.h>
#include <boost/json/parse.hpp>

#include <atomic>
#include <cstdlib>
#include <new>
#include <string>
#include <vector>

// Counting global allocation functions, for the no-allocation checks below.
namespace {
std::atomic<long> gAllocations{0};
}  // namespace

// The replacements pair malloc with free on purpose; GCC cannot see that at -O2.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
void* operator new(std::size_t n) {
  gAllocations.fetch_add(1, std::memory_order_relaxed);
  if (void* p = std::malloc(n == 0 ? 1 : n))
    return p;
  throw std::bad_alloc();
}
void* operator new[](std::size_t n) {
  gAllocations.fetch_add(1, std::memory_order_relaxed);
  if (void* p = std::malloc(n == 0 ? 1 : n))
    return p;
  throw std::bad_alloc();
}
void* operator new(std::size_t n, const std::nothrow_t&) noexcept {
  gAllocations.fetch_add(1, std::memory_order_relaxed);
  return std::malloc(n == 0 ? 1 : n);
}
void* operator new[](std::size_t n, const std::nothrow_t&) noexcept {
  gAllocations.fetch_add(1, std::memory_order_relaxed);
  return std::malloc(n == 0 ? 1 : n);
}
void operator delete(void* p, const std::nothrow_t&) noexcept {
  std::free(p);
}
void operator delete[](void* p, const std::nothrow_t&) noexcept {
  std::free(p);
}
void operator delete(void* p) noexcept {
  std::free(p);
}
void operator delete[](void* p) noexcept {
  std::free(p);
}
void operator delete(void* p, std::size_t) noexcept {
  std::free(p);
}
void operator delete[](void* p, std::size_t) noexcept {
  std::free(p);
}
#pragma GCC diagnostic pop

namespace apiserver::selection {
namespace {

TEST(Set, Normalize) {
  struct Case {
    std::string name;
    KeyValues in;
    KeyValues want;
  };
  const std::vector<Case> cases = {
      {"empty", {}, {}},
      {"sorted", {{"b", "2"}, {"a", "1"}}, {{"a", "1"}, {"b", "2"}}},
      {"last value wins", {{"a", "1"}, {"b", "2"}, {"a", "3"}}, {{"a", "3"}, {"b", "2"}}},
      {"bytewise order",
       {{"a", "x"}, {"B", "y"}, {"a.b/c", "z"}},
       {{"B", "y"}, {"a", "x"}, {"a.b/c", "z"}}},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    EXPECT_EQ(makeLabels(c.in), c.want);
  }
}

TEST(Set, FindAndGet) {
  const Labels labels = makeLabels({{"app", "web"}, {"tier", ""}, {"example.com/x", "1"}});
  ASSERT_NE(find(labels, "app"), nullptr);
  EXPECT_EQ(*find(labels, "app"), "web");
  EXPECT_EQ(find(labels, "ap"), nullptr);
  EXPECT_EQ(find(labels, "zzz"), nullptr);
  EXPECT_TRUE(has(labels, "tier"));
  EXPECT_EQ(get(labels, "tier"), "");
  EXPECT_EQ(get(labels, "missing"), "");
  EXPECT_FALSE(has(labels, "missing"));
  EXPECT_EQ(get(labels, "example.com/x"), "1");
  EXPECT_EQ(find(Labels{}, "a"), nullptr);
}

TEST(Set, FromJson) {
  const auto obj =
      boost::json::parse(R"({"metadata":{"name":"web","labels":{"tier":"db","app":"web","n":1}}})")
          .as_object();
  EXPECT_EQ(labelsOfObject(obj), (Labels{{"app", "web"}, {"tier", "db"}}));
  EXPECT_EQ(labelsOfObject(boost::json::parse(R"({"metadata":{}})").as_object()), Labels{});
  EXPECT_EQ(labelsOfObject(boost::json::parse(R"({})").as_object()), Labels{});
  EXPECT_EQ(labelsOfObject(boost::json::parse(R"({"metadata":{"labels":null}})").as_object()),
            Labels{});
}

TEST(Set, ObjectFields) {
  const Fields web = objectFields("web", "default", {{"status.phase", "Running"}});
  EXPECT_EQ(web.size(), 3u);
  EXPECT_EQ(web.get("metadata.name"), "web");
  EXPECT_EQ(web.get("metadata.namespace"), "default");
  EXPECT_EQ(web.get("status.phase"), "Running");
  EXPECT_EQ(web.get("spec.nodeName"), "");
  const Fields node = objectFields("n1", "");
  EXPECT_EQ(node.size(), 2u);
  EXPECT_EQ(node.get("metadata.name"), "n1");
  EXPECT_EQ(node.get("metadata.namespace"), "");
}

TEST(Set, FieldsShareTheirResourceNames) {
  const FieldNamesPtr names = fieldNames({"status.phase", "spec.nodeName", "metadata.name"});
  EXPECT_EQ(*names, (FieldNames{"metadata.name", "metadata.namespace", "spec.nodeName", "status.phase"}));
  // A key that is not a name is dropped; a name without a value is ""; the last value wins.
  const Fields a = objectFields(names, "a", "ns1",
                                {{"status.phase", "Pending"}, {"spec.undeclared", "x"}, {"status.phase", "Running"}});
  EXPECT_EQ(a.size(), 4u);
  EXPECT_EQ(a.get("metadata.name"), "a");
  EXPECT_EQ(a.get("metadata.namespace"), "ns1");
  EXPECT_EQ(a.get("spec.nodeName"), "");
  EXPECT_EQ(a.get("status.phase"), "Running");
  EXPECT_EQ(a.get("spec.undeclared"), "");
  // Copies own their values.
  Fields b = a;
  const Fields c = objectFields(names, "c", "", {});
  b = c;
  EXPECT_EQ(a.get("status.phase"), "Running");
  EXPECT_EQ(b.get("metadata.name"), "c");
  EXPECT_EQ(b.get("status.phase"), "");
  EXPECT_EQ(Fields().get("metadata.name"), "");
  EXPECT_EQ(Fields().size(), 0u);
}

TEST(Matching, DoesNotAllocate) {
  auto labels = LabelSelector::parse(
      "app in (web,api,a,b,c,d,e,f,g,h),tier notin (db),!legacy,env,rank>3,x!=y,z=,w==1,size<100");
  ASSERT_TRUE(labels);
  auto fields = FieldSelector::parse("metadata.name!=x,status.phase=Running,spec.nodeName=");
  ASSERT_TRUE(fields);
  const Labels objectLabels = makeLabels({{"app", "web"},
                                          {"env", "prod"},
                                          {"rank", "5"},
                                          {"size", "10"},
                                          {"tier", "front"},
                                          {"w", "1"},
                                          {"z", ""},
                                          {"a-very-long-label-key-that-does-not-fit-sso", "v"}});
  const Fields objectFields_ = objectFields("web", "default", {{"status.phase", "Running"}});

  const long before = gAllocations.load();
  bool all = true;
  for (int i = 0; i < 1000; ++i) {
    all = labels->matches(objectLabels) && all;
    all = fields->matches(objectFields_) && all;
    all = !labels->matches(Labels{}) && all;
    all = !LabelSelector::nothing().matches(objectLabels) && all;  // small object, no heap
  }
  const long after = gAllocations.load();
  EXPECT_TRUE(all);
  EXPECT_EQ(after - before, 0);
}

}  // namespace
}  // namespace apiserver::selection
