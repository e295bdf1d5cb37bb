// The static token file: kube's CSV format, and malformed lines reported with their line number.

#include "authentication/token_file.h"

#include <gtest/gtest.h>

namespace apiserver::authentication {
namespace {

TEST(TokenFile, ReadsKubesFormat) {
  std::vector<std::string> warnings;
  auto f = TokenFile::parse(
      "t1,alice,uid-1,\"dev,ops\"\n"
      "t2, bob, uid-2\r\n"
      "\n"
      "   \n"
      "t3,carol,uid-3,single\n"
      "t4,dave,uid-4,\"\",ignored-fifth\n",
      "tokens.csv", &warnings);
  ASSERT_TRUE(f) << f.error().message;
  EXPECT_TRUE(warnings.empty());
  EXPECT_EQ(f->size(), 4u);
  const UserInfo* a = f->find("t1");
  ASSERT_NE(a, nullptr);
  EXPECT_EQ(a->name, "alice");
  EXPECT_EQ(a->uid, "uid-1");
  EXPECT_EQ(a->groups, (std::vector<std::string>{"dev", "ops"}));
  const UserInfo* b = f->find("t2");
  ASSERT_NE(b, nullptr);
  EXPECT_EQ(b->name, "bob") << "leading spaces are trimmed (Go's TrimLeadingSpace)";
  EXPECT_EQ(b->uid, "uid-2") << "a CRLF line ending is not part of the field";
  EXPECT_TRUE(b->groups.empty());
  EXPECT_EQ(f->find("t3")->groups, (std::vector<std::string>{"single"}));
  EXPECT_TRUE(f->find("t4")->groups.empty());
  EXPECT_EQ(f->find("nope"), nullptr);
  EXPECT_EQ(f->find(""), nullptr);
}

TEST(TokenFile, QuotesAsGoReadsThem) {
  auto f = TokenFile::parse("\"to,ken\",\"say \"\"hi\"\"\",u,\"a,\nb\"\nt2,x,y\n", "q.csv", nullptr);
  ASSERT_TRUE(f) << f.error().message;
  const UserInfo* u = f->find("to,ken");
  ASSERT_NE(u, nullptr);
  EXPECT_EQ(u->name, "say \"hi\"");
  EXPECT_EQ(u->groups, (std::vector<std::string>{"a", "\nb"}));
  EXPECT_NE(f->find("t2"), nullptr);
}

TEST(TokenFile, WarnsAboutEmptyAndDuplicateTokens) {
  std::vector<std::string> warnings;
  auto f = TokenFile::parse(",nobody,0\nt,first,1\nt,second,2\n", "w.csv", &warnings);
  ASSERT_TRUE(f) << f.error().message;
  ASSERT_EQ(warnings.size(), 2u);
  EXPECT_EQ(warnings[0], "empty token has been found in token file 'w.csv', line 1 (record number 1)");
  EXPECT_EQ(warnings[1],
            "duplicate token has been found in token file 'w.csv', line 3 (record number 3); the later line wins");
  EXPECT_EQ(f->find("t")->name, "second");
  EXPECT_EQ(f->size(), 1u);
}

TEST(TokenFile, AMalformedLineIsAnErrorWithItsLineNumber) {
  struct Case {
    std::string name;
    std::string csv;
    std::string error;
  };
  const std::vector<Case> cases = {
      {"two columns", "t1,alice,1\n\nt2,bob\n",
       "token file 'bad.csv' line 3: must have at least 3 columns (token, user name, user uid), found 2"},
      {"one column", "# a comment is no comment\n",
       "token file 'bad.csv' line 1: must have at least 3 columns (token, user name, user uid), found 1"},
      {"bare quote", "t1,alice,1\nt2,bo\"b,2\n", "token file 'bad.csv' line 2, column 6: bare \" in non-quoted-field"},
      {"unterminated quote", "t1,alice,1,\"dev\n", "token file 'bad.csv' line 1, column 12: extraneous or missing \" in quoted-field"},
      {"text after a quote", "t1,\"alice\"x,1\n", "token file 'bad.csv' line 1, column 11: extraneous or missing \" in quoted-field"},
      {"after a multi-line field", "t1,a,1,\"x\ny\"\nt2\n",
       "token file 'bad.csv' line 3: must have at least 3 columns (token, user name, user uid), found 1"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    auto f = TokenFile::parse(c.csv, "bad.csv", nullptr);
    ASSERT_FALSE(f);
    EXPECT_EQ(f.error().message, c.error);
  }
}

TEST(TokenFile, AMissingFileIsAnError) {
  auto f = TokenFile::load("/nonexistent/tokens.csv", nullptr);
  ASSERT_FALSE(f);
  EXPECT_EQ(f.error().message, "open /nonexistent/tokens.csv: no such file or not readable");
}

}  // namespace
}  // namespace apiserver::authentication
