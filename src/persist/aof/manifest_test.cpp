// The AOF manifest: Redis 7.0's line format, its error messages, and how a
// rewrite turns files into history.
#include "manifest.hpp"

#include <gtest/gtest.h>

namespace kvd::persist::aof {
namespace {

std::string parse_error(const std::string& text) {
  AofManifest m;
  int line_no;
  std::string line;
  return parse_manifest(text, &m, &line_no, &line);
}

TEST(AofManifest, ParsesWhatItFormats) {
  AofManifest m;
  m.new_base("appendonly.aof", true);
  m.new_incr("appendonly.aof");
  EXPECT_EQ(m.format(),
            "file appendonly.aof.1.base.rdb seq 1 type b\n"
            "file appendonly.aof.1.incr.aof seq 1 type i\n");
  AofManifest back;
  int line_no;
  std::string line;
  ASSERT_EQ(parse_manifest(m.format(), &back, &line_no, &line), "");
  EXPECT_EQ(back.format(), m.format());
  EXPECT_EQ(back.base_seq, 1);
  EXPECT_EQ(back.incr_seq, 1);
}

TEST(AofManifest, NamesWithBlanksAreQuoted) {
  AofManifest m;
  m.new_base("my aof", false);
  EXPECT_EQ(m.format(), "file \"my aof.1.base.aof\" seq 1 type b\n");
  AofManifest back;
  int line_no;
  std::string line;
  ASSERT_EQ(parse_manifest(m.format(), &back, &line_no, &line), "");
  EXPECT_EQ(back.base.name, "my aof.1.base.aof");
}

TEST(AofManifest, RefusesWhatRedisRefuses) {
  EXPECT_EQ(parse_error(""), "Found an empty AOF manifest");
  EXPECT_EQ(parse_error("file a seq 1\n"), "Invalid AOF manifest file format");
  EXPECT_EQ(parse_error("file a seq 1 type x\n"), "Unknown AOF file type");
  EXPECT_EQ(parse_error("file a/b seq 1 type b\n"), "File can't be a path, just a filename");
  EXPECT_EQ(parse_error("file a seq 1 type b\nfile b seq 2 type b\n"),
            "Found duplicate base file information");
  EXPECT_EQ(parse_error("file a seq 2 type i\nfile b seq 1 type i\n"),
            "Found a non-monotonic sequence number");
  EXPECT_EQ(parse_error("# a comment\nfile a seq 1 type b\n"), "");
}

TEST(AofManifest, ARewriteMakesTheOldBaseAndIncrsHistoryNewestFirst) {
  AofManifest m;
  m.new_base("f", true);
  m.new_incr("f");
  m.new_incr("f");  // opened when the rewrite started
  m.new_base("f", true);
  m.retire_incrs_but_last();
  EXPECT_EQ(m.format(),
            "file f.2.base.rdb seq 2 type b\n"
            "file f.1.incr.aof seq 1 type h\n"
            "file f.1.base.rdb seq 1 type h\n"
            "file f.2.incr.aof seq 2 type i\n");
}

}  // namespace
}  // namespace kvd::persist::aof
