// Label selector tests, ported from k8s.io/apimachinery/pkg/labels/selector_test.go where kube has
// a case, plus the exact error texts kube-apiserver answers with.

#include "selection/label_selector.h"

#include <gtest/gtest.h>

#include <optional>
#include <string>
#include <vector>

namespace apiserver::selection {
namespace {

constexpr const char* kNamePartRegex =
    "name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end "
    "with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for "
    "validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')";
constexpr const char* kLabelValueRegex =
    "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or "
    "'.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or "
    "'my_value',  or '12345', regex used for validation is "
    "'(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')";

// --- parse and String() ---------------------------------------------------------------------

struct RoundTripCase {
  std::string name;
  std::string input;
  std::string want;  // kube's String() of the parsed selector
};

TEST(LabelSelectorParse, RoundTrip) {
  const std::vector<RoundTripCase> cases = {
      // TestSelectorParse good strings: String() is the input without spaces.
      {"equals", "x=a,y=b,z=c", "x=a,y=b,z=c"},
      {"empty", "", ""},
      {"not equals", "x!=a,y=b", "x!=a,y=b"},
      {"empty value", "x=", "x="},
      {"empty value space", "x= ", "x="},
      {"two empty values", "x=,z= ", "x=,z="},
      {"two empty values spaced", "x= ,z= ", "x=,z="},
      {"does not exist", "!x", "!x"},
      {"greater than", "x>1", "x>1"},
      {"greater and less", "x>1,z<5", "x>1,z<5"},
      // TestSetSelectorParser valid cases.
      {"carriage return", "\rx", "x"},
      {"prefixed key", "this-is-a-dns.domain.com/key-with-dash",
       "this-is-a-dns.domain.com/key-with-dash"},
      {"prefixed key in", "this-is-another-dns.domain.com/key-with-dash in (so,what)",
       "this-is-another-dns.domain.com/key-with-dash in (so,what)"},
      {"numeric prefix notin", "0.1.2.domain/99 notin (10.10.100.1, tick.tack.clock)",
       "0.1.2.domain/99 notin (10.10.100.1,tick.tack.clock)"},
      {"spaces and tab", "foo  in\t (abc)", "foo in (abc)"},
      {"newline", "x notin\n (abc)", "x notin (abc)"},
      {"tabs", "x  notin\t\t\t(abc,def)", "x notin (abc,def)"},
      {"in two", "x in (abc,def)", "x in (abc,def)"},
      {"trailing comma in set", "x in (abc,)", "x in (,abc)"},
      {"empty set", "x in ()", "x in ()"},
      {"mixed sorted by key", "x notin (abc,,def),bar,z in (),w",
       "bar,w,x notin (,abc,def),z in ()"},
      {"exists then in", "x,y in (a)", "x,y in (a)"},
      {"single equals", "x=a", "x=a"},
      {"less than", "x<7", "x<7"},
      {"equals and not equals", "x=a,y!=b", "x=a,y!=b"},
      {"three kinds", "x=a,y!=b,z in (h,i,j)", "x=a,y!=b,z in (h,i,j)"},
      {"notin blank set", "x notin ( )", "x notin ()"},
      {"notin leading comma", "x notin (, a)", "x notin (,a)"},
      {"trailing space", "a ", "a"},
      {"keywords as values", "a in (x,y,notin, z,in)", "a in (in,notin,x,y,z)"},
      // TestDeterministicParse
      {"deterministic", "x=a,a=x", "a=x,x=a"},
      // Values are a set: sorted and unique.
      {"values sorted unique", "b in (b,a,a)", "b in (a,b)"},
      {"double comma", "x in (a,,,b)", "x in (,a,b)"},
      {"only comma", "x in (,)", "x in ()"},
      {"double equals kept", "x==a", "x==a"},
      {"empty double equals", "a==", "a=="},
      {"empty not equals", "x==,y!=", "x==,y!="},
      {"keywords as keys", "in in (in),notin=notin", "in in (in),notin=notin"},
      {"integer with zeros", "x>007", "x>007"},
      {"same key kept in order", "x!=a,x,a", "a,x!=a,x"},
      {"whitespace everywhere", " \t x \n in \r ( a , b ) , ! y ", "x in (a,b),!y"},
      {"value with dots and dashes", "k=a-b_c.d", "k=a-b_c.d"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    auto s = LabelSelector::parse(c.input);
    ASSERT_TRUE(s) << s.error().message;
    EXPECT_EQ(s->str(), c.want);
    EXPECT_EQ(s->empty(), c.want.empty());
    // String() parses back to the same selector.
    auto again = LabelSelector::parse(s->str());
    ASSERT_TRUE(again) << again.error().message;
    EXPECT_EQ(again->str(), c.want);
  }
}

TEST(LabelSelectorParse, Requirements) {
  auto s = LabelSelector::parse("z notin (b,a),!y,x>10,w");
  ASSERT_TRUE(s);
  const auto& reqs = s->requirements();
  ASSERT_EQ(reqs.size(), 4u);
  EXPECT_EQ(reqs[0].key(), "w");
  EXPECT_EQ(reqs[0].op(), Operator::kExists);
  EXPECT_TRUE(reqs[0].values().empty());
  EXPECT_EQ(reqs[1].key(), "x");
  EXPECT_EQ(reqs[1].op(), Operator::kGreaterThan);
  EXPECT_EQ(reqs[1].values(), std::vector<std::string>{"10"});
  EXPECT_EQ(reqs[2].key(), "y");
  EXPECT_EQ(reqs[2].op(), Operator::kDoesNotExist);
  EXPECT_EQ(reqs[3].key(), "z");
  EXPECT_EQ(reqs[3].op(), Operator::kNotIn);
  EXPECT_EQ(reqs[3].values(), (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(operatorName(reqs[3].op()), "notin");
}

struct ErrorCase {
  std::string name;
  std::string input;
  std::string message;  // the Status message kube-apiserver sends (400 BadRequest)
};

TEST(LabelSelectorParse, Errors) {
  const std::string long64(64, 'b');
  const std::vector<ErrorCase> cases = {
      // From the brief / real kubectl sessions.
      {"space between words (a%20b)", "a b",
       "unable to parse requirement: found 'b', expected: in, notin, =, ==, !=, gt, lt"},
      {"unclosed set", "x in (a", "unable to parse requirement: found '', expected: ',' or ')'"},
      {"no key", "=foo", "found '=', expected: !, identifier, or 'end of string'"},
      {"space in value", "a=b c", "found 'c', expected: ',' or 'end of string'"},
      {"value of 64 characters", "a=" + long64,
       "unable to parse requirement: values[0][a]: Invalid value: \"" + long64 +
           "\": must be no more than 63 characters"},
      {"missing closing paren (real kubectl)", "type=app,versionv1.0.1)",
       "unable to parse requirement: found ')', expected: in, notin, =, ==, !=, gt, lt"},
      {"upper-case IN", "env IN (a)",
       "unable to parse requirement: found 'IN', expected: in, notin, =, ==, !=, gt, lt"},
      {"colon in key (real kubectl)", "app:monolith",
       std::string("unable to parse requirement: <nil>: Invalid value: \"app:monolith\": ") +
           kNamePartRegex},
      {"star key", "*bar",
       std::string("unable to parse requirement: <nil>: Invalid value: \"*bar\": ") +
           kNamePartRegex},
      {"underscore in prefix (real kubectl)", "app.kubernetes_io/name=vault",
       "unable to parse requirement: <nil>: Invalid value: \"app.kubernetes_io/name\": prefix part "
       "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or "
       "'.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used "
       "for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')"},
      {"two slashes (kube test)", "a/b/c ?=? def",
       "unable to parse requirement: <nil>: Invalid value: \"a/b/c\": a qualified name must "
       "consist of alphanumeric characters, '-', '_' or '.', and must start and end with an "
       "alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for "
       "validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]') with an optional DNS subdomain "
       "prefix and '/' (e.g. 'example.com/MyName')"},
      {"empty name part", "a/",
       std::string("unable to parse requirement: <nil>: Invalid value: \"a/\": name part must be "
                   "non-empty; ") +
           kNamePartRegex},
      {"empty prefix", "/a",
       "unable to parse requirement: <nil>: Invalid value: \"/a\": prefix part must be non-empty"},
      {"key name too long", std::string(64, 'k'),
       "unable to parse requirement: <nil>: Invalid value: \"" + std::string(64, 'k') +
           "\": name part must be no more than 63 characters"},
      {"quote in value", "x=\"a\"",
       std::string("unable to parse requirement: values[0][x]: Invalid value: \"\\\"a\\\"\": ") +
           kLabelValueRegex},
      {"two bad values aggregated", "x in (-a,-b)",
       std::string("unable to parse requirement: [values[0][x]: Invalid value: \"-a\": ") +
           kLabelValueRegex + ", values[1][x]: Invalid value: \"-b\": " + kLabelValueRegex + "]"},
      {"value too long and bad", "x=-" + std::string(63, 'v'),
       "unable to parse requirement: values[0][x]: Invalid value: \"-" + std::string(63, 'v') +
           "\": must be no more than 63 characters; " + kLabelValueRegex},
      // TestSelectorParse bad strings.
      {"or operator", "x=a||y=b",
       std::string("unable to parse requirement: values[0][x]: Invalid value: \"a||y\": ") +
           kLabelValueRegex},
      {"chained double equals", "x==a==b", "found '==', expected: ',' or 'end of string'"},
      {"not with value", "!x=a", "found '=', expected: ',' or 'end of string'"},
      {"less than non-integer", "x<a",
       "unable to parse requirement: values[0]: Invalid value: \"a\": for 'Gt', 'Lt' operators, "
       "the value must be an integer"},
      {"greater than empty", "x>",
       "unable to parse requirement: values[0]: Invalid value: \"\": for 'Gt', 'Lt' operators, "
       "the value must be an integer"},
      {"greater than negative is no label value", "x>-1",
       std::string("unable to parse requirement: values[0][x]: Invalid value: \"-1\": ") +
           kLabelValueRegex},
      {"greater than overflow", "x>9223372036854775808",
       "unable to parse requirement: values[0]: Invalid value: \"9223372036854775808\": for 'Gt', "
       "'Lt' operators, the value must be an integer"},
      // TestSetSelectorParser invalid cases.
      {"double comma", "x,,y", "found ',', expected: identifier after ','"},
      {"leading comma", ",x,y", "found ',', expected: !, identifier, or 'end of string'"},
      {"misspelled operator", "x nott in (y)",
       "unable to parse requirement: found 'nott', expected: in, notin, =, ==, !=, gt, lt"},
      {"trailing comma", "a in (xyz),", "found '', expected: identifier after ','"},
      {"missing comma after set", "a in (xyz)b notin ()",
       "found 'b', expected: ',' or 'end of string'"},
      {"no comma in set", "a in (xyz abc)",
       "unable to parse requirement: found 'abc', expected: ',' or ')'"},
      {"set not closed", "a notin(",
       "unable to parse requirement: found '', expected: ',', ')' or identifier"},
      {"paren after key", "a (",
       "unable to parse requirement: found '(', expected: in, notin, =, ==, !=, gt, lt"},
      {"paren alone", "(", "found '(', expected: !, identifier, or 'end of string'"},
      // More parser paths.
      {"in without set", "x in", "unable to parse requirement: found '' expected: '('"},
      {"in with value", "x in a", "unable to parse requirement: found 'a' expected: '('"},
      {"set of operators", "x in (=)",
       "unable to parse requirement: found '=', expected: ',', ')' or identifier"},
      {"operator after comma in set", "x in (a,=)",
       "unable to parse requirement: found '=', expected: ',', or identifier"},
      {"set trailing comma unclosed", "x in (a,",
       "unable to parse requirement: found '', expected: ',', or identifier"},
      {"paren as value", "x=(", "unable to parse requirement: found '(', expected: identifier"},
      {"bang alone", "!", "unable to parse requirement: found '', expected: identifier"},
      {"bang then operator", "!=a", "found '!=', expected: !, identifier, or 'end of string'"},
      {"double bang", "!!x", "unable to parse requirement: found '!', expected: identifier"},
      {"not with in", "!x in (a)", "found 'in', expected: ',' or 'end of string'"},
      {"bad second requirement", "a=b,c d",
       "unable to parse requirement: found 'd', expected: in, notin, =, ==, !=, gt, lt"},
      {"operator twice", "x= =a", "unable to parse requirement: found '=', expected: identifier"},
      {"less-equals", "x<=1", "unable to parse requirement: found '=', expected: identifier"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    auto s = LabelSelector::parse(c.input);
    ASSERT_FALSE(s) << "parsed as " << s->str();
    EXPECT_EQ(s.error().code, 400);
    EXPECT_EQ(s.error().reason, "BadRequest");
    EXPECT_EQ(s.error().message, c.message);
    EXPECT_FALSE(s.error().details.has_value());
  }
}

TEST(LabelSelectorParse, NulByteLikeKube) {
  // kube's lexer reads a NUL byte like the end of input: it ends the token being scanned (and is
  // consumed), and where a token would start it ends the whole input.
  struct Case {
    std::string name;
    std::string input;
    std::string want;   // str() when ok
    std::string error;  // else the message
  };
  const std::vector<Case> cases = {
      {"after identifier", std::string("a\0", 2), "a", ""},
      {"after comma", std::string("a,\0b", 4), "a,b", ""},
      {"where a token starts", std::string("a \0b", 4), "a", ""},
      {"inside identifier", std::string("a\0b", 3), "",
       "unable to parse requirement: found 'b', expected: in, notin, =, ==, !=, gt, lt"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    auto s = LabelSelector::parse(c.input);
    if (c.error.empty()) {
      ASSERT_TRUE(s) << s.error().message;
      EXPECT_EQ(s->str(), c.want);
    } else {
      ASSERT_FALSE(s);
      EXPECT_EQ(s.error().message, c.error);
    }
  }
}

TEST(LabelSelectorParse, NonAsciiQuotedAsGo) {
  // Go's %q keeps printable UTF-8, escapes control bytes and invalid UTF-8.
  auto s = LabelSelector::parse("x=\xC3\xA9");
  ASSERT_FALSE(s);
  EXPECT_EQ(
      s.error().message,
      std::string("unable to parse requirement: values[0][x]: Invalid value: \"\xC3\xA9\": ") +
          kLabelValueRegex);
  auto t = LabelSelector::parse("x=a\x01\xFF");
  ASSERT_FALSE(t);
  EXPECT_EQ(t.error().message,
            std::string("unable to parse requirement: values[0][x]: Invalid value: "
                        "\"a\\x01\\xff\": ") +
                kLabelValueRegex);
}

// --- matching -------------------------------------------------------------------------------

struct MatchCase {
  std::string name;
  std::string selector;
  Labels labels;
  bool want;
};

TEST(LabelSelectorMatch, Table) {
  const Labels fooBaz = makeLabels({{"foo", "bar"}, {"baz", "blah"}});
  const std::vector<MatchCase> cases = {
      // TestSelectorMatches
      {"empty matches", "", makeLabels({{"x", "y"}}), true},
      {"equals", "x=y", makeLabels({{"x", "y"}}), true},
      {"two equals", "x=y,z=w", makeLabels({{"x", "y"}, {"z", "w"}}), true},
      {"two not equals", "x!=y,z!=w", makeLabels({{"x", "z"}, {"z", "a"}}), true},
      {"keywords as key and value", "notin=in", makeLabels({{"notin", "in"}}), true},
      {"exists", "x", makeLabels({{"x", "z"}}), true},
      {"does not exist", "!x", makeLabels({{"y", "z"}}), true},
      {"greater than", "x>1", makeLabels({{"x", "2"}}), true},
      {"less than", "x<1", makeLabels({{"x", "0"}}), true},
      {"equals on empty set", "x=z", {}, false},
      {"equals other value", "x=y", makeLabels({{"x", "z"}}), false},
      {"one of two equals fails", "x=y,z=w", makeLabels({{"x", "w"}, {"z", "w"}}), false},
      {"one of two not equals fails", "x!=y,z!=w", makeLabels({{"x", "z"}, {"z", "w"}}), false},
      {"exists missing", "x", makeLabels({{"y", "z"}}), false},
      {"does not exist present", "!x", makeLabels({{"x", "z"}}), false},
      {"greater than fails", "x>1", makeLabels({{"x", "0"}}), false},
      {"less than fails", "x<1", makeLabels({{"x", "2"}}), false},
      {"foo=bar", "foo=bar", fooBaz, true},
      {"baz=blah", "baz=blah", fooBaz, true},
      {"both", "foo=bar,baz=blah", fooBaz, true},
      {"foo=blah", "foo=blah", fooBaz, false},
      {"baz=bar", "baz=bar", fooBaz, false},
      {"extra key", "foo=bar,foobar=bar,baz=blah", fooBaz, false},
      // TestRequirementSelectorMatching
      {"in and notin", "x in (foo),y notin (alpha)", makeLabels({{"x", "foo"}, {"y", "baz"}}),
       true},
      {"in fails", "x in (foo),y in (alpha)", makeLabels({{"x", "foo"}, {"y", "baz"}}), false},
      {"notin missing key", "x notin (),y", makeLabels({{"y", ""}}), true},
      {"does not exist and exists", "!x,y", makeLabels({{"y", ""}}), true},
      {"notin and does not exist", "x notin (),!y", makeLabels({{"y", ""}}), false},
      {"in empty value", "x in ()", makeLabels({{"y", "baz"}}), false},
      {"greater than integer", "z>1", makeLabels({{"z", "2"}}), true},
      {"greater than non-integer label", "z>1", makeLabels({{"z", "v2"}}), false},
      // Matching objects without the key, as kube does.
      {"not equals missing key", "x!=a", makeLabels({{"y", "a"}}), true},
      {"not equals no labels", "x!=a", {}, true},
      {"notin missing key", "x notin (a,b)", {}, true},
      {"notin present other", "x notin (a,b)", makeLabels({{"x", "c"}}), true},
      {"notin present listed", "x notin (a,b)", makeLabels({{"x", "b"}}), false},
      {"in missing key", "x in (a,b)", {}, false},
      {"in listed", "x in (a,b)", makeLabels({{"x", "a"}}), true},
      {"equals empty matches empty value", "x=", makeLabels({{"x", ""}}), true},
      {"equals empty needs key", "x=", {}, false},
      {"double equals", "x==a", makeLabels({{"x", "a"}}), true},
      {"not equals empty value", "x!=", makeLabels({{"x", ""}}), false},
      {"less than missing key", "x<5", {}, false},
      {"greater than plus sign", "x>1", makeLabels({{"x", "+2"}}), true},
      {"less than negative", "x<0", makeLabels({{"x", "-3"}}), true},
      {"greater than huge", "x>1", makeLabels({{"x", "99999999999999999999"}}), false},
      {"many values binary search", "x in (a,b,c,d,e,f,g,h,i,j,k,l)", makeLabels({{"x", "k"}}),
       true},
      {"many values binary search miss", "x in (a,b,c,d,e,f,g,h,i,j,k,l)",
       makeLabels({{"x", "kk"}}), false},
      {"prefixed key", "example.com/app in (web)", makeLabels({{"example.com/app", "web"}}), true},
      {"key case matters", "App=web", makeLabels({{"app", "web"}}), false},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    auto s = LabelSelector::parse(c.selector);
    ASSERT_TRUE(s) << s.error().message;
    EXPECT_EQ(s->matches(c.labels), c.want);
  }
}

TEST(LabelSelectorMatch, EverythingAndNothing) {
  const Labels labels = makeLabels({{"x", "y"}});
  EXPECT_TRUE(LabelSelector().empty());
  EXPECT_TRUE(LabelSelector().matches(labels));
  EXPECT_TRUE(LabelSelector::everything().matches({}));
  EXPECT_EQ(LabelSelector::everything().str(), "");

  const LabelSelector nothing = LabelSelector::nothing();
  EXPECT_FALSE(nothing.empty());
  EXPECT_FALSE(nothing.selectable());
  EXPECT_FALSE(nothing.matches(labels));
  EXPECT_FALSE(nothing.matches({}));
  EXPECT_EQ(nothing.str(), "");
}

TEST(LabelSelectorMatch, FromSet) {
  // TestSetMatches (SelectorFromSet)
  const Labels labels = makeLabels({{"foo", "bar"}, {"baz", "blah"}});
  struct Case {
    std::string name;
    Labels set;
    bool want;
  };
  const std::vector<Case> cases = {
      {"empty", {}, true},
      {"foo", makeLabels({{"foo", "bar"}}), true},
      {"baz", makeLabels({{"baz", "blah"}}), true},
      {"both", makeLabels({{"foo", "bar"}, {"baz", "blah"}}), true},
      {"other value", makeLabels({{"foo", "=blah"}}), false},
      {"extra", makeLabels({{"foo", "bar"}, {"foobar", "bar"}, {"baz", "blah"}}), false},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    const LabelSelector s = LabelSelector::fromSet(c.set);
    EXPECT_EQ(s.matches(labels), c.want);
    EXPECT_EQ(s.empty(), c.set.empty());
  }
  EXPECT_EQ(LabelSelector::fromSet(makeLabels({{"b", "2"}, {"a", "1"}})).str(), "a=1,b=2");
}

// --- requirements ---------------------------------------------------------------------------

struct RequirementCase {
  std::string name;
  std::string key;
  Operator op;
  std::vector<std::string> values;
  std::string path;
  std::string error;  // "" when valid
};

TEST(LabelRequirement, Create) {
  // TestRequirementConstructor, with kube's messages.
  const std::vector<RequirementCase> cases = {
      {"in without values",
       "x",
       Operator::kIn,
       {},
       "",
       "values: Invalid value: []string(nil): for 'in', 'notin' operators, values set can't be "
       "empty"},
      {"notin without values",
       "x",
       Operator::kNotIn,
       {},
       "",
       "values: Invalid value: []string(nil): for 'in', 'notin' operators, values set can't be "
       "empty"},
      {"in", "x", Operator::kIn, {"foo"}, "", ""},
      {"notin", "x", Operator::kNotIn, {"foo"}, "", ""},
      {"exists", "x", Operator::kExists, {}, "", ""},
      {"does not exist", "x", Operator::kDoesNotExist, {}, "", ""},
      {"digit key", "1foo", Operator::kIn, {"bar"}, "", ""},
      {"digits key", "1234", Operator::kIn, {"bar"}, "", ""},
      {"greater than", "y", Operator::kGreaterThan, {"1"}, "", ""},
      {"less than", "z", Operator::kLessThan, {"6"}, "", ""},
      {"greater than word",
       "foo",
       Operator::kGreaterThan,
       {"bar"},
       "",
       "values[0]: Invalid value: \"bar\": for 'Gt', 'Lt' operators, the value must be an integer"},
      {"less than word",
       "barz",
       Operator::kLessThan,
       {"blah"},
       "",
       "values[0]: Invalid value: \"blah\": for 'Gt', 'Lt' operators, the value must be an "
       "integer"},
      {"key too long",
       std::string(254, 'a'),
       Operator::kExists,
       {},
       "",
       "key: Invalid value: \"" + std::string(254, 'a') +
           "\": name part must be no more than 63 characters"},
      {"equals two values",
       "x",
       Operator::kEquals,
       {"foo", "bar"},
       "",
       "values: Invalid value: []string{\"foo\", \"bar\"}: exact-match compatibility requires one "
       "single value"},
      {"exists with value",
       "x",
       Operator::kExists,
       {"foo"},
       "",
       "values: Invalid value: []string{\"foo\"}: values set must be empty for exists and does not "
       "exist"},
      {"greater than two values",
       "x",
       Operator::kGreaterThan,
       {"1", "2"},
       "",
       "values: Invalid value: []string{\"1\", \"2\"}: for 'Gt', 'Lt' operators, exactly one value "
       "is required"},
      {"with path",
       "bad key",
       Operator::kIn,
       {"ok", "not ok"},
       "spec.selector.matchExpressions[0]",
       "[spec.selector.matchExpressions[0].key: Invalid value: \"bad key\": " +
           std::string(kNamePartRegex) +
           ", spec.selector.matchExpressions[0].values[1][bad key]: Invalid value: \"not ok\": " +
           kLabelValueRegex + "]"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    auto r = LabelRequirement::create(c.key, c.op, c.values, c.path);
    if (c.error.empty()) {
      ASSERT_TRUE(r) << r.error().message;
      EXPECT_EQ(r->key(), c.key);
      EXPECT_EQ(r->op(), c.op);
    } else {
      ASSERT_FALSE(r);
      EXPECT_EQ(r.error().code, 400);
      EXPECT_EQ(r.error().message, c.error);
    }
  }
}

TEST(LabelRequirement, ToString) {
  // TestToString
  struct Case {
    std::string name;
    std::vector<std::tuple<std::string, Operator, std::vector<std::string>>> reqs;
    std::string want;
  };
  const std::vector<Case> cases = {
      {"in notin exists",
       {{"x", Operator::kIn, {"abc", "def"}},
        {"y", Operator::kNotIn, {"jkl"}},
        {"z", Operator::kExists, {}}},
       "x in (abc,def),y notin (jkl),z"},
      {"notin not equals does not exist",
       {{"x", Operator::kNotIn, {"abc", "def"}},
        {"y", Operator::kNotEquals, {"jkl"}},
        {"z", Operator::kDoesNotExist, {}}},
       "x notin (abc,def),y!=jkl,!z"},
      {"empty value in set",
       {{"x", Operator::kNotIn, {"abc"}},
        {"y", Operator::kIn, {"jkl", "mno"}},
        {"z", Operator::kNotIn, {""}}},
       "x notin (abc),y in (jkl,mno),z notin ()"},
      {"equals kinds",
       {{"x", Operator::kEquals, {"abc"}},
        {"y", Operator::kDoubleEquals, {"jkl"}},
        {"z", Operator::kNotEquals, {"a"}},
        {"z", Operator::kExists, {}}},
       "x=abc,y==jkl,z!=a,z"},
      {"gt lt",
       {{"x", Operator::kGreaterThan, {"2"}},
        {"y", Operator::kLessThan, {"8"}},
        {"z", Operator::kExists, {}}},
       "x>2,y<8,z"},
      {"unsorted values printed sorted", {{"x", Operator::kIn, {"b", "a", "a"}}}, "x in (a,a,b)"},
      {"added out of order", {{"b", Operator::kExists, {}}, {"a", Operator::kExists, {}}}, "a,b"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    std::vector<LabelRequirement> reqs;
    for (const auto& [key, op, values] : c.reqs) {
      auto r = LabelRequirement::create(key, op, values);
      ASSERT_TRUE(r) << r.error().message;
      reqs.push_back(std::move(*r));
    }
    EXPECT_EQ(LabelSelector::fromRequirements(std::move(reqs)).str(), c.want);
  }
}

TEST(LabelSelector, RequiresExactMatch) {
  // TestRequiresExactMatch
  struct Case {
    std::string name;
    std::string selector;
    std::string key;
    std::optional<std::string> want;
  };
  const std::vector<Case> cases = {
      {"in single value", "key in (value)", "key", "value"},
      {"in two values", "key in (value,value2)", "key", std::nullopt},
      {"second key", "key in (value,value1),key2 in (value2)", "key2", "value2"},
      {"equals", "key=value", "key", "value"},
      {"double equals", "key==value", "key", "value"},
      {"not equals", "key!=value", "key", std::nullopt},
      {"first key", "key in (value),key2 in (value2)", "key", "value"},
      {"missing key", "key=value", "other", std::nullopt},
      {"first requirement on key decides", "key,key=value", "key", std::nullopt},
      {"empty value", "key=", "key", ""},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    auto s = LabelSelector::parse(c.selector);
    ASSERT_TRUE(s) << s.error().message;
    const auto got = s->requiresExactMatch(c.key);
    ASSERT_EQ(got.has_value(), c.want.has_value());
    if (got) {
      EXPECT_EQ(*got, *c.want);
    }
  }
}

}  // namespace
}  // namespace apiserver::selection
