#include <gtest/gtest.h>

#include <string>

#include "kvd/common/strings.hpp"

namespace kvd {
namespace {

struct Case {
  const char* pattern;
  const char* str;
  bool match;
};

// Expected answers are Redis 7.0's (checked against redis-server with KEYS).
void expect_cases(std::initializer_list<Case> cases, bool nocase = false) {
  for (const auto& c : cases) {
    EXPECT_EQ(glob_match(c.pattern, c.str, nocase), c.match)
        << "pattern '" << c.pattern << "' string '" << c.str << "' nocase " << nocase;
  }
}

TEST(Glob, Literals) {
  expect_cases({{"abc", "abc", true},
                {"abc", "abd", false},
                {"abc", "ab", false},
                {"ab", "abc", false},
                {"", "", true},
                {"", "a", false},
                {"a", "", false}});
}

TEST(Glob, Star) {
  expect_cases({{"*", "anything", true},
                {"a*", "a", true},
                {"a*", "abc", true},
                {"*c", "abc", true},
                {"*c", "abd", false},
                {"a*c", "ac", true},
                {"a*c", "abbbc", true},
                {"a*c", "abbbd", false},
                {"a**c", "abc", true},
                {"*a*b*", "xxaxxbxx", true},
                {"*a*b*", "xxbxxaxx", false},
                {"h*llo*", "hello world", true},
                {"abc*", "abc", true},
                {"abc**", "abc", true}});
}

// Redis never matches the empty string against a non-empty pattern, not even
// "*" (KEYS special-cases a lone "*" before matching).
TEST(Glob, EmptyStringOnlyMatchesEmptyPattern) {
  expect_cases({{"*", "", false}, {"**", "", false}, {"?", "", false}, {"", "", true}});
}

TEST(Glob, QuestionMark) {
  expect_cases({{"h?llo", "hello", true},
                {"h?llo", "hallo", true},
                {"h?llo", "hllo", false},
                {"??", "ab", true},
                {"??", "a", false},
                {"?*", "a", true}});
}

TEST(Glob, Classes) {
  expect_cases({{"h[ae]llo", "hello", true},
                {"h[ae]llo", "hallo", true},
                {"h[ae]llo", "hillo", false},
                {"h[^e]llo", "hallo", true},
                {"h[^e]llo", "hello", false},
                {"h[a-b]llo", "hbllo", true},
                {"h[a-b]llo", "hcllo", false},
                {"[b-a]", "a", true},  // reversed range ends are swapped
                {"[0-9]*", "7abc", true},
                {"[]", "a", false},
                {"[^]", "a", true},
                {"[a-]", "-", false},  // "a-]" is a range a..']' and the class runs to the end
                {"[a-]", "^", true},
                {"[a-]", "a", true}});
}

TEST(Glob, UnterminatedClassEndsWithThePattern) {
  expect_cases({{"[abc", "a", true},
                {"[abc", "d", false},
                {"a[", "a", false},
                {"a[", "ab", false},
                {"[^", "a", true},
                {"x[^a", "xb", true},
                {"x[^a", "xa", false}});
}

TEST(Glob, Escapes) {
  expect_cases({{"\\*", "*", true},
                {"\\*", "a", false},
                {"\\?", "?", true},
                {"\\?", "a", false},
                {"a\\[b", "a[b", true},
                {"\\a", "a", true},
                {"a\\", "a\\", true},  // a trailing backslash is literal
                {"[\\]]", "]", true},
                {"[\\-]", "-", true},
                {"[a\\-z]", "b", false},
                {"[\\^a]", "^", true}});
}

TEST(Glob, NoCase) {
  expect_cases({{"HeLLo", "hello", true},
                {"h[A-Z]llo", "hello", true},
                {"h[^E]llo", "hello", false},
                {"H?LLO", "hello", true},
                {"[\\E]", "e", false},  // escaped class members compare exactly
                {"\\E", "e", true}},
               true);
  EXPECT_FALSE(glob_match("HeLLo", "hello"));
  EXPECT_FALSE(glob_match("h[A-Z]llo", "hello"));
}

// Ranges are swapped before folding, so "[Z-a]" covers 'Z'..'a' exactly and
// folds to the empty range 'z'..'a' under nocase.
TEST(Glob, NoCaseRangeFoldsAfterSwap) {
  EXPECT_TRUE(glob_match("[Z-a]", "_"));
  EXPECT_FALSE(glob_match("[Z-a]", "_", true));
  EXPECT_FALSE(glob_match("[Z-a]", "z", true));
}

TEST(Glob, BinarySafe) {
  std::string s("a\0b", 3);
  EXPECT_TRUE(glob_match(std::string("a\0b", 3), s));
  EXPECT_TRUE(glob_match("a?b", s));
  EXPECT_FALSE(glob_match("a", s));
}

// The pattern from Redis's "pattern matching long nested loops" regression: a
// backtracking matcher takes exponential time on it.
TEST(Glob, NestedStarsStayFast) {
  std::string str(50, 'a');
  std::string pattern;
  for (int i = 0; i < 40; ++i) pattern += "a*";
  pattern += "b";
  EXPECT_FALSE(glob_match(pattern, str));
  std::string stars(100000, '*');
  EXPECT_TRUE(glob_match(stars + "x" + stars, "yyyyx"));
  std::string deep;
  for (int i = 0; i < 100000; ++i) deep += "*a";
  EXPECT_FALSE(glob_match(deep, std::string(1000, 'a')));
}

}  // namespace
}  // namespace kvd
