// The building blocks of DUMP payloads: CRC-64, LZF, the RDB string and
// length encodings, listpacks, ziplists and intsets.
#include <gtest/gtest.h>

#include <random>
#include <string>
#include <vector>

#include "kvd/persist/crc64.hpp"
#include "kvd/persist/listpack.hpp"
#include "kvd/persist/lzf.hpp"
#include "kvd/persist/rdb_format.hpp"
#include "kvd/persist/ziplist.hpp"

namespace kvd::persist {
namespace {

TEST(Crc64, MatchesTheJonesCheckValue) {
  EXPECT_EQ(crc64(0, "123456789", 9), 0xe9c6d914c4b8d9caULL);
  // In pieces, including the 8-byte fast path and a tail.
  std::string s(1000, '\0');
  for (size_t i = 0; i < s.size(); ++i) s[i] = static_cast<char>(i * 7);
  uint64_t whole = crc64(0, s.data(), s.size());
  EXPECT_EQ(crc64(crc64(0, s.data(), 333), s.data() + 333, s.size() - 333), whole);
}

std::string lzf_round_trip(const std::string& in) {
  std::string out(in.size() + in.size() / 32 + 64, '\0');
  size_t n = lzf_compress(reinterpret_cast<const uint8_t*>(in.data()), in.size(),
                          reinterpret_cast<uint8_t*>(out.data()), out.size());
  EXPECT_GT(n, 0u);
  std::string back(in.size(), '\0');
  EXPECT_TRUE(lzf_decompress(reinterpret_cast<const uint8_t*>(out.data()), n,
                             reinterpret_cast<uint8_t*>(back.data()), back.size()));
  return back;
}

TEST(Lzf, RoundTripsRunsTextAndNoise) {
  std::mt19937 rng(7);
  std::string noise(5000, '\0');
  for (char& c : noise) c = static_cast<char>(rng());
  std::string text;
  for (int i = 0; i < 2000; ++i) text += "field" + std::to_string(i % 37) + ",";
  for (const std::string& s : {std::string(100000, 'a'), noise, text, std::string("abc")}) {
    EXPECT_EQ(lzf_round_trip(s), s);
  }
  // A long run compresses to a small fraction.
  std::string run(10000, 'x'), out(10000, '\0');
  size_t n = lzf_compress(reinterpret_cast<const uint8_t*>(run.data()), run.size(),
                          reinterpret_cast<uint8_t*>(out.data()), out.size());
  EXPECT_LT(n, 200u);
  // Noise does not fit in fewer bytes than it has.
  EXPECT_EQ(lzf_compress(reinterpret_cast<const uint8_t*>(noise.data()), noise.size(),
                         reinterpret_cast<uint8_t*>(out.data()), noise.size() - 4),
            0u);
}

TEST(Lzf, DecompressRefusesMalformedInput) {
  uint8_t out[16];
  // A back reference before the start of the output.
  const uint8_t before_start[] = {0x00, 'a', 0x20, 0x05};
  EXPECT_FALSE(lzf_decompress(before_start, sizeof before_start, out, 4));
  // A literal run longer than the input.
  const uint8_t truncated[] = {0x05, 'a', 'b'};
  EXPECT_FALSE(lzf_decompress(truncated, sizeof truncated, out, 6));
  // Output longer or shorter than announced.
  const uint8_t two[] = {0x01, 'a', 'b'};
  EXPECT_FALSE(lzf_decompress(two, sizeof two, out, 1));
  EXPECT_FALSE(lzf_decompress(two, sizeof two, out, 3));
  EXPECT_TRUE(lzf_decompress(two, sizeof two, out, 2));
}

TEST(RdbFormat, LengthsAndStringsRoundTrip) {
  std::string buf;
  rdb::Writer w(&buf, true);
  const std::vector<uint64_t> lengths = {0, 63, 64, 16383, 16384, UINT32_MAX, uint64_t{1} << 40};
  for (uint64_t n : lengths) w.length(n);
  const std::vector<std::string> strings = {"",
                                            "hello",
                                            "0",
                                            "-128",
                                            "127",
                                            "32767",
                                            "-2147483648",
                                            "2147483648",
                                            "007",
                                            std::string(300, 'z'),
                                            "12345678901234567890"};
  for (const std::string& s : strings) w.string(s);
  w.binary_double(-2.5);

  rdb::Reader r(buf);
  for (uint64_t n : lengths) {
    uint64_t got;
    ASSERT_TRUE(r.length(&got));
    EXPECT_EQ(got, n);
  }
  for (const std::string& s : strings) {
    std::string got;
    ASSERT_TRUE(r.string(&got));
    EXPECT_EQ(got, s);
  }
  double d;
  ASSERT_TRUE(r.binary_double(&d));
  EXPECT_EQ(d, -2.5);
  EXPECT_EQ(r.remaining(), 0u);
}

TEST(RdbFormat, SmallIntegersUseTheIntegerEncodings) {
  std::string buf;
  rdb::Writer w(&buf, false);
  w.string("-5");
  EXPECT_EQ(buf, std::string("\xC0\xFB", 2));
  buf.clear();
  w.string("70000");
  EXPECT_EQ(buf, std::string("\xC2\x70\x11\x01\x00", 5));
}

TEST(RdbFormat, ReaderRefusesTruncatedAndOversizedStrings) {
  std::string s;
  rdb::Reader truncated(
      std::string_view("\x05"
                       "abc",
                       4));
  EXPECT_FALSE(truncated.string(&s));
  // An LZF string claiming 4 GB from 3 compressed bytes is refused unread.
  rdb::Reader bomb(
      std::string_view("\xC3\x03\x80\xFF\xFF\xFF\xFF"
                       "abc",
                       10));
  EXPECT_FALSE(bomb.string(&s));
  rdb::Reader unknown(std::string_view("\xC7", 1));
  EXPECT_FALSE(unknown.string(&s));
}

TEST(Listpack, EveryEncodingRoundTrips) {
  const std::vector<std::string> items = {"0",
                                          "127",
                                          "128",
                                          "-1",
                                          "4095",
                                          "-4096",
                                          "4096",
                                          "32767",
                                          "-32768",
                                          "8388607",
                                          "-8388608",
                                          "2147483647",
                                          "-2147483648",
                                          "9223372036854775807",
                                          "-9223372036854775808",
                                          "9223372036854775808",
                                          "",
                                          "abc",
                                          std::string(63, 'a'),
                                          std::string(64, 'b'),
                                          std::string(4095, 'c'),
                                          std::string(4096, 'd'),
                                          std::string(70000, 'e'),
                                          "01"};
  ListpackWriter w;
  for (const std::string& s : items) w.add(s);
  std::string lp = w.finish();
  ListpackCursor c;
  ASSERT_TRUE(c.open(lp));
  PackedElem e;
  char scratch[24];
  for (const std::string& s : items) {
    ASSERT_TRUE(c.next(&e)) << s;
    EXPECT_EQ(e.str(scratch), s);
  }
  EXPECT_FALSE(c.next(&e));
  EXPECT_TRUE(c.done());
}

TEST(Listpack, CursorRefusesCorruption) {
  ListpackWriter w;
  w.add("hello");
  w.add(std::string(200, 'x'));
  std::string lp = w.finish();
  PackedElem e;
  {
    std::string bad = lp;
    bad[0] = static_cast<char>(bad[0] + 1);  // total size disagrees
    ListpackCursor c;
    EXPECT_FALSE(c.open(bad));
  }
  {
    std::string bad = lp;
    bad[6 + 1 + 5] ^= 0x01;  // the first element's backlen
    ListpackCursor c;
    ASSERT_TRUE(c.open(bad));
    EXPECT_FALSE(c.next(&e));
    EXPECT_TRUE(c.failed());
  }
  {
    std::string bad = lp;
    bad[4] = 3;  // three elements announced, two present
    ListpackCursor c;
    ASSERT_TRUE(c.open(bad));
    while (c.next(&e)) {
    }
    EXPECT_FALSE(c.done());
  }
}

// A ziplist as Redis 6 wrote it: "a", 5, -300, "bc" (hand-assembled).
TEST(Ziplist, ReadsEveryEntryAndChecksPrevLengths) {
  std::string body;
  body += std::string(
      "\x00\x01"
      "a",
      3);                                      // prevlen 0, 6-bit string
  body += std::string("\x03\xF6", 2);          // prevlen 3, immediate 5
  body += std::string("\x02\xC0\xD4\xFE", 4);  // prevlen 2, int16 -300
  body += std::string(
      "\x04\x02"
      "bc",
      4);  // prevlen 4, 6-bit string
  std::string zl(10, '\0');
  zl += body;
  zl.push_back('\xFF');
  zl[0] = static_cast<char>(zl.size());
  zl[8] = 4;
  ZiplistCursor c;
  ASSERT_TRUE(c.open(zl));
  PackedElem e;
  char scratch[24];
  std::vector<std::string> got;
  while (c.next(&e)) got.emplace_back(e.str(scratch));
  EXPECT_TRUE(c.done());
  EXPECT_EQ(got, (std::vector<std::string>{"a", "5", "-300", "bc"}));

  zl[10 + 3] = 9;  // a wrong previous-entry length
  ZiplistCursor bad;
  ASSERT_TRUE(bad.open(zl));
  while (bad.next(&e)) {
  }
  EXPECT_TRUE(bad.failed());
}

TEST(Intset, ParsesSortedBlobsOnly) {
  std::vector<int64_t> v;
  std::string blob("\x02\x00\x00\x00\x03\x00\x00\x00\xFF\xFF\x01\x00\x02\x00", 14);
  ASSERT_TRUE(parse_intset(blob, &v));
  EXPECT_EQ(v, (std::vector<int64_t>{-1, 1, 2}));
  std::string unsorted("\x02\x00\x00\x00\x02\x00\x00\x00\x02\x00\x01\x00", 12);
  EXPECT_FALSE(parse_intset(unsorted, &v));
  std::string short_blob("\x04\x00\x00\x00\x02\x00\x00\x00\x01\x00\x00\x00", 12);
  EXPECT_FALSE(parse_intset(short_blob, &v));
}

}  // namespace
}  // namespace kvd::persist

namespace kvd::persist {
namespace {

// Zipmaps as Redis 2.4 wrote them: short lengths, a long (254 + u32) value,
// free bytes after a value, and the entry count in the header.
TEST(Zipmap, ParsesPairsAndRefusesMalformedBlobs) {
  std::string big(300, 'x');
  std::string zm;
  zm += '\x02';
  zm += '\x02';
  zm += "f1";
  zm += '\x02';
  zm += '\x03';  // three free bytes after the value
  zm += "v1";
  zm += "...";
  zm += '\x02';
  zm += "f2";
  zm += '\xfe';
  zm += std::string("\x2c\x01\x00\x00", 4);  // 300, little-endian
  zm += '\x00';
  zm += big;
  zm += '\xff';
  std::vector<std::string_view> pairs;
  ASSERT_TRUE(parse_zipmap(zm, &pairs));
  ASSERT_EQ(pairs.size(), 4u);
  EXPECT_EQ(pairs[0], "f1");
  EXPECT_EQ(pairs[1], "v1");
  EXPECT_EQ(pairs[2], "f2");
  EXPECT_EQ(pairs[3], big);

  pairs.clear();
  EXPECT_FALSE(parse_zipmap(zm.substr(0, zm.size() - 1), &pairs));  // no end marker
  pairs.clear();
  std::string wrong_count = zm;
  wrong_count[0] = '\x03';
  EXPECT_FALSE(parse_zipmap(wrong_count, &pairs));
  pairs.clear();
  std::string long_value = zm;
  long_value[18] = '\x7f';  // the long length now runs past the blob
  EXPECT_FALSE(parse_zipmap(long_value, &pairs));
}

}  // namespace
}  // namespace kvd::persist
