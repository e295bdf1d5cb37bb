// Field selector tests, ported from k8s.io/apimachinery/pkg/fields/selector_test.go where kube has
// a case, plus kube-apiserver's field label conversion messages.

#include "selection/field_selector.h"

#include <gtest/gtest.h>

#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace apiserver::selection {
namespace {

// --- escaping -------------------------------------------------------------------------------

TEST(FieldValueEscaping, RoundTrip) {
  // TestEscapeValue
  struct Case {
    std::string name;
    std::string unescaped;
    std::string escaped;
  };
  const std::vector<Case> cases = {
      {"empty", "", ""},     {"plain", "a", "a"},         {"equals", "=", "\\="},
      {"comma", ",", "\\,"}, {"backslash", "\\", "\\\\"}, {"all", "\\=\\,\\", "\\\\\\=\\\\\\,\\\\"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    EXPECT_EQ(escapeFieldValue(c.unescaped), c.escaped);
    auto back = unescapeFieldValue(c.escaped);
    ASSERT_TRUE(back) << back.error().message;
    EXPECT_EQ(*back, c.unescaped);
  }
}

TEST(FieldValueEscaping, Errors) {
  struct Case {
    std::string name;
    std::string value;
    std::string message;
  };
  const std::vector<Case> cases = {
      {"orphan slash", "\\", "invalid field selector: invalid escape sequence: \\"},
      {"orphan slash after escape", "\\\\\\",
       "invalid field selector: invalid escape sequence: \\"},
      {"unknown escape", "\\a", "invalid field selector: invalid escape sequence: \\a"},
      {"unknown escape multibyte", "\\\xC3\xA9",
       "invalid field selector: invalid escape sequence: \\\xC3\xA9"},
      {"unknown escape invalid utf8", "\\\xFF",
       "invalid field selector: invalid escape sequence: \\\xEF\xBF\xBD"},
      {"bare equals (Go prints the rune number)", "a=b",
       "invalid field selector: unescaped character in value: 61"},
      {"bare comma", "a,b", "invalid field selector: unescaped character in value: 44"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    auto r = unescapeFieldValue(c.value);
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, 400);
    EXPECT_EQ(r.error().reason, "BadRequest");
    EXPECT_EQ(r.error().message, c.message);
  }
}

TEST(FieldValueEscaping, InvalidUtf8) {
  // Without special characters the value is returned untouched ...
  auto plain = unescapeFieldValue("a\xFF");
  ASSERT_TRUE(plain);
  EXPECT_EQ(*plain, "a\xFF");
  // ... with them, Go's rune loop re-encodes invalid bytes as U+FFFD.
  auto escaped = unescapeFieldValue("a\xFF\\,");
  ASSERT_TRUE(escaped);
  EXPECT_EQ(*escaped, "a\xEF\xBF\xBD,");
}

// --- parse and String() ---------------------------------------------------------------------

struct RoundTripCase {
  std::string name;
  std::string input;
  std::string want;
  std::vector<FieldRequirement> requirements;
};

TEST(FieldSelectorParse, RoundTrip) {
  const std::vector<RoundTripCase> cases = {
      // TestSelectorParse good strings: String() is the input.
      {"three equals",
       "x=a,y=b,z=c",
       "x=a,y=b,z=c",
       {{"x", Operator::kEquals, "a"},
        {"y", Operator::kEquals, "b"},
        {"z", Operator::kEquals, "c"}}},
      {"empty", "", "", {}},
      {"not equals",
       "x!=a,y=b",
       "x!=a,y=b",
       {{"x", Operator::kNotEquals, "a"}, {"y", Operator::kEquals, "b"}}},
      {"escaped equals in value", "x=a||y\\=b", "x=a||y\\=b", {{"x", Operator::kEquals, "a||y=b"}}},
      {"two escaped equals", "x=a\\=\\=b", "x=a\\=\\=b", {{"x", Operator::kEquals, "a==b"}}},
      // Canonical forms.
      {"double equals prints as equals", "x==a", "x=a", {{"x", Operator::kEquals, "a"}}},
      {"sorted as text",
       "b=1,a=2",
       "a=2,b=1",
       {{"a", Operator::kEquals, "2"}, {"b", Operator::kEquals, "1"}}},
      {"empty terms skipped", ",a=a,,", "a=a", {{"a", Operator::kEquals, "a"}}},
      {"empty value",
       "metadata.name=",
       "metadata.name=",
       {{"metadata.name", Operator::kEquals, ""}}},
      {"empty field kept with value", "=x", "=x", {{"", Operator::kEquals, "x"}}},
      {"empty field and value dropped", "=", "", {}},
      {"empty field and value dropped (==)", "==", "", {}},
      {"empty field and value dropped (!=)", "!=", "", {}},
      // Terms sort as written: "k2=..." < "k=..." ('2' < '=').
      {"escaped comma",
       "k=\\,,k2=v2",
       "k2=v2,k=\\,",
       {{"k2", Operator::kEquals, "v2"}, {"k", Operator::kEquals, ","}}},
      {"escaped backslash then comma",
       "k=\\\\,k2=v2",
       "k2=v2,k=\\\\",
       {{"k2", Operator::kEquals, "v2"}, {"k", Operator::kEquals, "\\"}}},
      {"escaped backslash and comma",
       "k=\\\\\\,,k2=v2",
       "k2=v2,k=\\\\\\,",
       {{"k2", Operator::kEquals, "v2"}, {"k", Operator::kEquals, "\\,"}}},
      {"multi-byte sorted bytewise",
       "\xED\x95\xA8=\xEC\x88\x98,\xEB\xAA\xA9=\xEB\xA1\x9D",
       "\xEB\xAA\xA9=\xEB\xA1\x9D,\xED\x95\xA8=\xEC\x88\x98",
       {{"\xEB\xAA\xA9", Operator::kEquals, "\xEB\xA1\x9D"},
        {"\xED\x95\xA8", Operator::kEquals, "\xEC\x88\x98"}}},
      {"spaces are data", " a = b ", " a = b ", {{" a ", Operator::kEquals, " b "}}},
      {"involvedObject",
       "involvedObject.kind=Pod,involvedObject.name=web",
       "involvedObject.kind=Pod,involvedObject.name=web",
       {{"involvedObject.kind", Operator::kEquals, "Pod"},
        {"involvedObject.name", Operator::kEquals, "web"}}},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    auto s = FieldSelector::parse(c.input);
    ASSERT_TRUE(s) << s.error().message;
    EXPECT_EQ(s->str(), c.want);
    EXPECT_EQ(s->empty(), c.requirements.empty());
    EXPECT_EQ(s->requirements(), c.requirements);
    auto again = FieldSelector::parse(s->str());
    ASSERT_TRUE(again) << again.error().message;
    EXPECT_EQ(again->str(), c.want);
  }
}

TEST(FieldSelectorParse, Deterministic) {
  auto a = FieldSelector::parse("x=a,a=x");
  auto b = FieldSelector::parse("a=x,x=a");
  ASSERT_TRUE(a);
  ASSERT_TRUE(b);
  EXPECT_EQ(a->str(), b->str());
}

TEST(FieldSelectorParse, Errors) {
  struct Case {
    std::string name;
    std::string input;
    std::string message;
  };
  const std::vector<Case> cases = {
      // TestSelectorParse bad strings.
      {"or", "x=a||y=b", "invalid field selector: unescaped character in value: 61"},
      {"chained", "x==a==b", "invalid field selector: unescaped character in value: 61"},
      {"first operator splits", "a!=b=c",
       "invalid field selector: unescaped character in value: 61"},
      {"term without operator", "x=a,b", "invalid selector: 'x=a,b'; can't understand 'b'"},
      {"set syntax", "x in (a)", "invalid selector: 'x in (a)'; can't understand 'x in (a)'"},
      {"set syntax, first sorted term named", "x in (a,b,c)",
       "invalid selector: 'x in (a,b,c)'; can't understand 'b'"},
      {"bare field", "x", "invalid selector: 'x'; can't understand 'x'"},
      // Escapes.
      {"unknown escape", "k=\\a", "invalid field selector: invalid escape sequence: \\a"},
      {"orphan backslash", "k=\\", "invalid field selector: invalid escape sequence: \\"},
      {"escaped comma then orphan", "a=\\,\\",
       "invalid field selector: invalid escape sequence: \\"},
      // The first failing term in sorted order is reported.
      {"sorted order decides", "z,a=\\q", "invalid field selector: invalid escape sequence: \\q"},
      {"label selector syntax", "app in (web)",
       "invalid selector: 'app in (web)'; can't understand 'app in (web)'"},
      {"exists syntax", "!spec.nodeName",
       "invalid selector: '!spec.nodeName'; can't understand '!spec.nodeName'"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    auto s = FieldSelector::parse(c.input);
    ASSERT_FALSE(s) << "parsed as " << s->str();
    EXPECT_EQ(s.error().code, 400);
    EXPECT_EQ(s.error().reason, "BadRequest");
    EXPECT_EQ(s.error().message, c.message);
  }
}

// --- matching -------------------------------------------------------------------------------

TEST(FieldSelectorMatch, Table) {
  struct Case {
    std::string name;
    std::string selector;
    Fields fields;
    bool want;
  };
  const Fields fieldset = makeFields({{"foo", "bar"}, {"baz", "blah"}, {"complex", "=value\\,\\"}});
  const std::vector<Case> cases = {
      // TestSelectorMatches
      {"empty", "", makeFields({{"x", "y"}}), true},
      {"equals", "x=y", makeFields({{"x", "y"}}), true},
      {"two equals", "x=y,z=w", makeFields({{"x", "y"}, {"z", "w"}}), true},
      {"two not equals", "x!=y,z!=w", makeFields({{"x", "z"}, {"z", "a"}}), true},
      {"keywords", "notin=in", makeFields({{"notin", "in"}}), true},
      {"other value", "x=y", makeFields({{"x", "z"}}), false},
      {"one fails", "x=y,z=w", makeFields({{"x", "w"}, {"z", "w"}}), false},
      {"one not equals fails", "x!=y,z!=w", makeFields({{"x", "z"}, {"z", "w"}}), false},
      {"foo", "foo=bar", fieldset, true},
      {"baz", "baz=blah", fieldset, true},
      {"both", "foo=bar,baz=blah", fieldset, true},
      {"escaped complex", "foo=bar,baz=blah,complex=\\=value\\\\\\,\\\\", fieldset, true},
      {"foo blah", "foo=blah", fieldset, false},
      {"baz bar", "baz=bar", fieldset, false},
      {"extra field", "foo=bar,foobar=bar,baz=blah", fieldset, false},
      // A field that is not present compares as "".
      {"missing equals empty", "spec.nodeName=", makeFields({{"metadata.name", "p"}}), true},
      {"missing equals value", "spec.nodeName=n1", makeFields({{"metadata.name", "p"}}), false},
      {"missing not equals value", "spec.nodeName!=n1", makeFields({{"metadata.name", "p"}}), true},
      {"missing not equals empty", "spec.nodeName!=", makeFields({{"metadata.name", "p"}}), false},
      {"present not equals empty", "spec.nodeName!=", makeFields({{"spec.nodeName", "n1"}}), true},
      {"empty field with value", "=x", makeFields({{"", "x"}}), true},
      {"name and namespace", "metadata.name=web,metadata.namespace=default",
       objectFields("web", "default"), true},
      {"namespace mismatch", "metadata.name=web,metadata.namespace=kube-system",
       objectFields("web", "default"), false},
      {"status phase", "status.phase!=Running,status.phase!=Succeeded",
       objectFields("web", "default", {{"status.phase", "Pending"}}), true},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    auto s = FieldSelector::parse(c.selector);
    ASSERT_TRUE(s) << s.error().message;
    EXPECT_EQ(s->matches(c.fields), c.want);
  }
}

TEST(FieldSelectorMatch, OneTermEqual) {
  // TestOneTermEqualSelector
  const FieldSelector s = FieldSelector::oneTermEqual("x", "y");
  EXPECT_TRUE(s.matches(makeFields({{"x", "y"}})));
  EXPECT_FALSE(s.matches(makeFields({{"x", "z"}})));
  EXPECT_EQ(s.str(), "x=y");
  EXPECT_FALSE(s.empty());
  EXPECT_TRUE(FieldSelector().empty());
  EXPECT_TRUE(FieldSelector().matches(makeFields({{"x", "y"}})));
}

TEST(FieldSelector, ExactValue) {
  // TestRequiresExactMatch
  struct Case {
    std::string name;
    std::string selector;
    std::string field;
    std::optional<std::string> want;
  };
  const std::vector<Case> cases = {
      {"empty", "", "test", std::nullopt},
      {"other field", "a=b", "test", std::nullopt},
      {"equals", "test=b", "test", "b"},
      {"double equals", "test==b", "test", "b"},
      {"equals no value", "test=", "test", ""},
      {"not equals", "test!=b", "test", std::nullopt},
      {"not equals no value", "test!=", "test", std::nullopt},
      {"among others", "a=b,test=c", "test", "c"},
      {"not equals then equals", "test!=a,test=b", "test", "b"},
      {"first in sorted order", "test=b,test=a", "test", "a"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    auto s = FieldSelector::parse(c.selector);
    ASSERT_TRUE(s) << s.error().message;
    const auto got = s->exactValue(c.field);
    ASSERT_EQ(got.has_value(), c.want.has_value());
    if (got) {
      EXPECT_EQ(*got, *c.want);
    }
  }
}

TEST(FieldSelector, Transform) {
  // TestTransform
  using Fn = std::function<Result<std::pair<std::string, std::string>>(const std::string&,
                                                                       const std::string&)>;
  const Fn identity = [](const std::string& f,
                         const std::string& v) -> Result<std::pair<std::string, std::string>> {
    return std::pair{f, v};
  };
  struct Case {
    std::string name;
    std::string selector;
    Fn fn;
    std::string want;
    bool empty;
  };
  const std::vector<Case> cases = {
      {"empty selector", "", identity, "", true},
      {"no-op transform", "a=b,c=d", identity, "a=b,c=d", false},
      {"transform one field", "a=b,c=d",
       [](const std::string& f,
          const std::string& v) -> Result<std::pair<std::string, std::string>> {
         if (f == "a")
           return std::pair<std::string, std::string>{"e", "f"};
         return std::pair{f, v};
       },
       "e=f,c=d", false},
      {"remove field to make empty", "a=b",
       [](const std::string&, const std::string&) -> Result<std::pair<std::string, std::string>> {
         return std::pair<std::string, std::string>{"", ""};
       },
       "", true},
      {"remove only one field", "a=b,c=d,e=f",
       [](const std::string& f,
          const std::string& v) -> Result<std::pair<std::string, std::string>> {
         if (f == "c")
           return std::pair<std::string, std::string>{"", ""};
         return std::pair{f, v};
       },
       "a=b,e=f", false},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    auto s = FieldSelector::parse(c.selector);
    ASSERT_TRUE(s);
    auto t = s->transform(c.fn);
    ASSERT_TRUE(t) << t.error().message;
    EXPECT_EQ(t->str(), c.want);
    EXPECT_EQ(t->empty(), c.empty);
  }
}

// --- field label conversion -----------------------------------------------------------------

FieldLabelConversion podConversion() {
  // pkg/apis/core/v1/conversion.go, kind Pod.
  FieldLabelConversion c;
  c.fields = {"spec.nodeName",
              "spec.restartPolicy",
              "spec.schedulerName",
              "spec.serviceAccountName",
              "spec.hostNetwork",
              "status.phase",
              "status.podIP",
              "status.podIPs",
              "status.nominatedNodeName"};
  c.aliases = {{"spec.host", "spec.nodeName"}};
  return c;
}

FieldLabelConversion nodeConversion() {
  // kind Node: metadata.name and spec.unschedulable only.
  FieldLabelConversion c;
  c.fields = {"spec.unschedulable"};
  c.metadataNamespace = false;
  return c;
}

TEST(FieldSelector, Convert) {
  struct Case {
    std::string name;
    std::string selector;
    FieldLabelConversion conversion;
    std::string want;   // converted String() when ok
    std::string error;  // else the message
  };
  const std::vector<Case> cases = {
      {"pods: unsupported field", "spec.foo=bar", podConversion(), "",
       "field label not supported: spec.foo"},
      {"pods: supported", "spec.nodeName=n1,status.phase!=Running", podConversion(),
       "spec.nodeName=n1,status.phase!=Running", ""},
      {"pods: metadata", "metadata.name=web,metadata.namespace=default", podConversion(),
       "metadata.name=web,metadata.namespace=default", ""},
      {"pods: spec.host alias", "spec.host=n1", podConversion(), "spec.nodeName=n1", ""},
      {"pods: first unsupported in sorted order", "zzz=1,aaa=2", podConversion(), "",
       "field label not supported: aaa"},
      {"pods: empty field", "=x", podConversion(), "", "field label not supported: "},
      {"nodes: metadata.namespace refused", "metadata.namespace=default", nodeConversion(), "",
       "field label not supported: metadata.namespace"},
      {"nodes: unschedulable", "spec.unschedulable=true", nodeConversion(),
       "spec.unschedulable=true", ""},
      {"default: unknown field", "spec.foo=bar", FieldLabelConversion::defaults(), "",
       "\"spec.foo\" is not a known field selector: only \"metadata.name\", "
       "\"metadata.namespace\""},
      {"default: quoting as Go", "a\"b=1", FieldLabelConversion::defaults(), "",
       "\"a\\\"b\" is not a known field selector: only \"metadata.name\", \"metadata.namespace\""},
      {"default: metadata ok", "metadata.name=x", FieldLabelConversion::defaults(),
       "metadata.name=x", ""},
      {"empty selector", "", FieldLabelConversion::defaults(), "", ""},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    auto s = FieldSelector::parse(c.selector);
    ASSERT_TRUE(s) << s.error().message;
    auto converted = s->convert(c.conversion);
    if (c.error.empty()) {
      ASSERT_TRUE(converted) << converted.error().message;
      EXPECT_EQ(converted->str(), c.want);
    } else {
      ASSERT_FALSE(converted);
      EXPECT_EQ(converted.error().code, 400);
      EXPECT_EQ(converted.error().reason, "BadRequest");
      EXPECT_EQ(converted.error().message, c.error);
    }
  }
}

TEST(FieldSelector, CheckSupported) {
  auto s = FieldSelector::parse("metadata.name=a,metadata.namespace=b,spec.nodeName=c");
  ASSERT_TRUE(s);
  EXPECT_TRUE(s->checkSupported({"spec.nodeName"}));
  auto refused = s->checkSupported({});
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().message, "field label not supported: spec.nodeName");
  auto defaultWording = s->checkSupported({}, UnsupportedFieldWording::kNotAKnownFieldSelector);
  ASSERT_FALSE(defaultWording);
  EXPECT_EQ(defaultWording.error().message,
            "\"spec.nodeName\" is not a known field selector: only \"metadata.name\", "
            "\"metadata.namespace\"");
}

}  // namespace
}  // namespace apiserver::selection
