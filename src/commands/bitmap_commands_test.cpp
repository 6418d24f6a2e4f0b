#include <gtest/gtest.h>

#include <random>
#include <string>

#include "support/engine_harness.hpp"
#include "support/fake_object.hpp"

// Expected replies were checked against redis-server 7.0.15; the fuzz tests
// compare with straightforward bit-by-bit models.
namespace kvd::test {
namespace {

const std::string kBitOffsetErr = error("ERR bit offset is not an integer or out of range");
const std::string kBitValueErr = error("ERR bit is not an integer or out of range");
const std::string kTypeErr = error(
    "ERR Invalid bitfield type. Use something like i16 u8. Note that u64 is not supported but "
    "i64 is.");

std::string bytes(std::initializer_list<int> v) {
  std::string s;
  for (int b : v) s.push_back(static_cast<char>(b));
  return s;
}

int model_bit(const std::string& s, int64_t i) {
  if (i < 0 || (i >> 3) >= static_cast<int64_t>(s.size())) return 0;
  return (static_cast<unsigned char>(s[i >> 3]) >> (7 - (i & 7))) & 1;
}

std::string random_bytes(std::mt19937& rng, size_t max_len) {
  std::string s(rng() % (max_len + 1), '\0');
  int mode = static_cast<int>(rng() % 3);
  for (auto& c : s) {
    // Mostly-zero and mostly-one strings exercise the word-skipping paths.
    unsigned r = rng();
    c = static_cast<char>(mode == 0 ? r : mode == 1 ? (r % 13 ? 0 : r) : (r % 13 ? 0xFF : r));
  }
  return s;
}

// ---------------------------------------------------------------------------
// SETBIT / GETBIT

TEST(BitmapCommands, SetBitCreatesRawString) {
  EngineHarness h;
  EXPECT_EQ(h.run({"SETBIT", "mykey", "1", "1"}), integer(0));
  EXPECT_EQ(h.run({"GET", "mykey"}), bulk(bytes({0x40})));
  EXPECT_EQ(encoding_of(h, "mykey"), "raw");
  EXPECT_EQ(h.run({"SETBIT", "mykey", "1", "0"}), integer(1));
  EXPECT_EQ(h.run({"SETBIT", "mykey", "100", "1"}), integer(0));
  EXPECT_EQ(h.run({"STRLEN", "mykey"}), integer(13));
  EXPECT_EQ(h.run({"SETBIT", "zero", "0", "0"}), integer(0));
  EXPECT_EQ(h.run({"GET", "zero"}), bulk(bytes({0})));
}

TEST(BitmapCommands, SetBitOnStringAndIntegerValues) {
  EngineHarness h;
  h.run({"SET", "mykey", "@"});
  EXPECT_EQ(h.run({"SETBIT", "mykey", "2", "1"}), integer(0));
  EXPECT_EQ(h.run({"GET", "mykey"}), bulk(bytes({0x60})));
  EXPECT_EQ(h.run({"SETBIT", "mykey", "1", "0"}), integer(1));
  EXPECT_EQ(h.run({"GET", "mykey"}), bulk(bytes({0x20})));

  h.run({"SET", "num", "1"});  // ASCII '1' is 0b00110001
  EXPECT_EQ(h.run({"SETBIT", "num", "6", "1"}), integer(0));
  EXPECT_EQ(h.run({"GET", "num"}), bulk(bytes({0x33})));
  EXPECT_EQ(h.run({"SETBIT", "num", "2", "0"}), integer(1));
  EXPECT_EQ(h.run({"GET", "num"}), bulk(bytes({0x13})));
}

TEST(BitmapCommands, SetBitKeepsTtl) {
  EngineHarness h;
  h.run({"SET", "k", "a", "EX", "10"});
  h.run({"SETBIT", "k", "20", "1"});
  EXPECT_EQ(h.engine().db(0).expire_of(raw_entry(h, "k")), h.clock().now_ms() + 10'000);
}

TEST(BitmapCommands, SetBitErrors) {
  EngineHarness h;
  EXPECT_EQ(h.run({"SETBIT", "mykey", "4294967296", "1"}), kBitOffsetErr);
  EXPECT_EQ(h.run({"SETBIT", "mykey", "-1", "1"}), kBitOffsetErr);
  EXPECT_EQ(h.run({"SETBIT", "mykey", "x", "1"}), kBitOffsetErr);
  EXPECT_EQ(h.run({"SETBIT", "mykey", "01", "1"}), kBitOffsetErr);
  EXPECT_EQ(h.run({"SETBIT", "mykey", "+1", "1"}), kBitOffsetErr);
  for (const char* v : {"-1", "2", "10", "20", "x", "", "1.0"}) {
    EXPECT_EQ(h.run({"SETBIT", "mykey", "0", v}), kBitValueErr) << v;
  }
  EXPECT_EQ(raw_entry(h, "mykey"), nullptr);
  add_fake_list(h, "l");
  EXPECT_EQ(h.run({"SETBIT", "l", "0", "1"}), kWrongType);
  EXPECT_EQ(h.run({"GETBIT", "l", "0"}), kWrongType);
  EXPECT_EQ(h.run({"SETBIT", "l", "0"}),
            error("ERR wrong number of arguments for 'setbit' command"));
}

TEST(BitmapCommands, BitOffsetBoundedByProtoMaxBulkLen) {
  EngineHarness h;
  h.config().v().proto_max_bulk_len = 1024 * 1024;
  EXPECT_EQ(h.run({"SETBIT", "k", std::to_string(8 * 1024 * 1024), "1"}), kBitOffsetErr);
  EXPECT_EQ(h.run({"SETBIT", "k", std::to_string(8 * 1024 * 1024 - 1), "1"}), integer(0));
  EXPECT_EQ(h.run({"STRLEN", "k"}), integer(1024 * 1024));
  EXPECT_EQ(h.run({"GETBIT", "k", std::to_string(8 * 1024 * 1024 - 1)}), integer(1));
  EXPECT_EQ(h.run({"GETBIT", "k", std::to_string(8 * 1024 * 1024)}), kBitOffsetErr);
}

TEST(BitmapCommands, SetBitFuzzing) {
  EngineHarness h;
  std::mt19937 rng(42);
  std::string model;
  for (int i = 0; i < 2000; ++i) {
    int64_t bit = rng() % (256 * 8);
    int val = static_cast<int>(rng() % 2);
    if ((bit >> 3) >= static_cast<int64_t>(model.size())) model.resize((bit >> 3) + 1, '\0');
    int old = model_bit(model, bit);
    auto mask = static_cast<char>(1 << (7 - (bit & 7)));
    model[bit >> 3] = static_cast<char>(val ? model[bit >> 3] | mask : model[bit >> 3] & ~mask);
    ASSERT_EQ(h.run({"SETBIT", "mykey", std::to_string(bit), std::to_string(val)}), integer(old));
  }
  EXPECT_EQ(h.run({"GET", "mykey"}), bulk(model));
}

TEST(BitmapCommands, GetBit) {
  EngineHarness h;
  EXPECT_EQ(h.run({"GETBIT", "mykey", "0"}), integer(0));
  h.run({"SET", "mykey", "`"});
  EXPECT_EQ(h.run({"GETBIT", "mykey", "0"}), integer(0));
  EXPECT_EQ(h.run({"GETBIT", "mykey", "1"}), integer(1));
  EXPECT_EQ(h.run({"GETBIT", "mykey", "2"}), integer(1));
  EXPECT_EQ(h.run({"GETBIT", "mykey", "3"}), integer(0));
  EXPECT_EQ(h.run({"GETBIT", "mykey", "8"}), integer(0));
  EXPECT_EQ(h.run({"GETBIT", "mykey", "10000"}), integer(0));
  h.run({"SET", "num", "1"});
  EXPECT_EQ(h.run({"GETBIT", "num", "2"}), integer(1));
  EXPECT_EQ(h.run({"GETBIT", "num", "3"}), integer(1));
  EXPECT_EQ(h.run({"GETBIT", "num", "4"}), integer(0));
  EXPECT_EQ(encoding_of(h, "num"), "int");  // reading never converts
  EXPECT_EQ(h.run({"GETBIT", "mykey", "-1"}), kBitOffsetErr);
  EXPECT_EQ(h.run({"GETBIT", "missing", "x"}), kBitOffsetErr);
}

// ---------------------------------------------------------------------------
// BITCOUNT

TEST(BitmapCommands, BitCountBasics) {
  EngineHarness h;
  EXPECT_EQ(h.run({"BITCOUNT", "no-key"}), integer(0));
  EXPECT_EQ(h.run({"BITCOUNT", "no-key", "0", "1000", "bit"}), integer(0));
  h.run({"SET", "s", "foobar"});
  EXPECT_EQ(h.run({"BITCOUNT", "s"}), integer(26));
  EXPECT_EQ(h.run({"BITCOUNT", "s", "0", "0"}), integer(4));
  EXPECT_EQ(h.run({"BITCOUNT", "s", "1", "1"}), integer(6));
  EXPECT_EQ(h.run({"BITCOUNT", "s", "1", "-2"}), integer(18));
  EXPECT_EQ(h.run({"BITCOUNT", "s", "-2", "1"}), integer(0));
  EXPECT_EQ(h.run({"BITCOUNT", "s", "0", "1000"}), integer(26));
  EXPECT_EQ(h.run({"BITCOUNT", "s", "5", "30", "BIT"}), integer(17));
  EXPECT_EQ(h.run({"BITCOUNT", "s", "5", "30", "byte"}), integer(4));
  EXPECT_EQ(h.run({"BITCOUNT", "s", "-6", "-7"}), integer(0));
  EXPECT_EQ(h.run({"BITCOUNT", "s", "-6", "-15", "bit"}), integer(0));
  EXPECT_EQ(h.run({"BITCOUNT", "s", "7", "7", "bit"}), integer(0));
  EXPECT_EQ(h.run({"BITCOUNT", "s", "47", "100", "bit"}), integer(0));
  EXPECT_EQ(h.run({"BITCOUNT", "s", "0", "4294967296"}), integer(26));
  EXPECT_EQ(h.run({"BITCOUNT", "s", "-9223372036854775808", "9223372036854775807", "bit"}),
            integer(26));
  h.run({"SET", "num", "12"});
  EXPECT_EQ(h.run({"BITCOUNT", "num"}), integer(6));
  h.run({"SET", "e", ""});
  EXPECT_EQ(h.run({"BITCOUNT", "e"}), integer(0));
  EXPECT_EQ(h.run({"BITCOUNT", "e", "0", "-1", "bit"}), integer(0));
}

TEST(BitmapCommands, BitCountMisaligned) {
  EngineHarness h;
  h.run({"SET", "str", "ab"});
  EXPECT_EQ(h.run({"BITCOUNT", "str", "1", "-1"}), integer(3));
  h.run({"SET", "str", "__PPxxxxxxxxxxxxxxxxRR__"});
  EXPECT_EQ(h.run({"BITCOUNT", "str", "2", "-3"}), integer(74));
}

TEST(BitmapCommands, BitCountErrors) {
  EngineHarness h;
  h.run({"SET", "s", "foobar"});
  EXPECT_EQ(h.run({"BITCOUNT", "s", "0"}), kSyntaxErr);
  EXPECT_EQ(h.run({"BITCOUNT", "s", "0", "1", "hello"}), kSyntaxErr);
  EXPECT_EQ(h.run({"BITCOUNT", "s", "0", "1", "bit", "x"}), kSyntaxErr);
  EXPECT_EQ(h.run({"BITCOUNT", "s", "a", "1"}), kNotInt);
  // A reversed negative range answers 0 before the unit is even looked at.
  EXPECT_EQ(h.run({"BITCOUNT", "s", "-1", "-5", "xx"}), integer(0));
  // A missing key answers 0 whatever the arguments.
  EXPECT_EQ(h.run({"BITCOUNT", "none", "0"}), integer(0));
  add_fake_list(h, "l");
  EXPECT_EQ(h.run({"BITCOUNT", "l"}), kWrongType);
}

TEST(BitmapCommands, BitCountFuzzing) {
  EngineHarness h;
  std::mt19937 rng(7);
  for (int iter = 0; iter < 300; ++iter) {
    std::string s = random_bytes(rng, 100);
    h.run({"SET", "str", s});
    int64_t bits = static_cast<int64_t>(s.size()) * 8;
    bool bit_unit = rng() % 2;
    int64_t span = bit_unit ? bits + 20 : static_cast<int64_t>(s.size()) + 5;
    int64_t start = static_cast<int64_t>(rng() % (2 * span + 1)) - span;
    int64_t end = static_cast<int64_t>(rng() % (2 * span + 1)) - span;
    int64_t total = bit_unit ? bits : static_cast<int64_t>(s.size());
    int64_t a = start < 0 ? std::max<int64_t>(0, total + start) : start;
    int64_t b = end < 0 ? std::max<int64_t>(0, total + end) : end;
    b = std::min(b, total - 1);
    int64_t expected = 0;
    if (!(start < 0 && end < 0 && start > end)) {
      for (int64_t i = a; i <= b; ++i) {
        if (bit_unit)
          expected += model_bit(s, i);
        else
          for (int k = 0; k < 8; ++k) expected += model_bit(s, i * 8 + k);
      }
    }
    ASSERT_EQ(h.run({"BITCOUNT", "str", std::to_string(start), std::to_string(end),
                     bit_unit ? "BIT" : "BYTE"}),
              integer(expected))
        << start << " " << end << " len " << s.size();
  }
}

// ---------------------------------------------------------------------------
// BITPOS

TEST(BitmapCommands, BitPosMissingAndEmpty) {
  EngineHarness h;
  EXPECT_EQ(h.run({"BITPOS", "none", "1"}), integer(-1));
  EXPECT_EQ(h.run({"BITPOS", "none", "0"}), integer(0));
  EXPECT_EQ(h.run({"BITPOS", "none", "0", "x"}), integer(0));  // range never parsed
  h.run({"SET", "e", ""});
  EXPECT_EQ(h.run({"BITPOS", "e", "0"}), integer(-1));
  EXPECT_EQ(h.run({"BITPOS", "e", "1"}), integer(-1));
  EXPECT_EQ(h.run({"BITPOS", "e", "0", "0", "-1", "bit"}), integer(-1));
}

TEST(BitmapCommands, BitPosClearBits) {
  EngineHarness h;
  h.run({"SET", "str", bytes({0xff, 0xf0, 0x00})});
  EXPECT_EQ(h.run({"BITPOS", "str", "0"}), integer(12));
  EXPECT_EQ(h.run({"BITPOS", "str", "0", "0", "-1", "bit"}), integer(12));
  EXPECT_EQ(h.run({"BITPOS", "str", "0", "0", "11", "bit"}), integer(-1));
  EXPECT_EQ(h.run({"BITPOS", "str", "0", "0", "12", "bit"}), integer(12));
  h.run({"SET", "str", bytes({0xff, 0xff, 0xff})});
  EXPECT_EQ(h.run({"BITPOS", "str", "0"}), integer(24));       // zero padding on the right
  EXPECT_EQ(h.run({"BITPOS", "str", "0", "0"}), integer(24));  // ... also with only a start
  EXPECT_EQ(h.run({"BITPOS", "str", "0", "0", "-1"}), integer(-1));
  EXPECT_EQ(h.run({"BITPOS", "str", "0", "0", "-1", "bit"}), integer(-1));
  // With two range arguments the second is the end index, never the unit.
  EXPECT_EQ(h.run({"BITPOS", "str", "0", "8", "bit"}), kNotInt);
  h.run({"SET", "str", bytes({0x00, 0xff, 0x00})});
  EXPECT_EQ(h.run({"BITPOS", "str", "0", "0", "-1"}), integer(0));
  EXPECT_EQ(h.run({"BITPOS", "str", "0", "1", "-1"}), integer(16));
  EXPECT_EQ(h.run({"BITPOS", "str", "0", "2", "200"}), integer(16));
  EXPECT_EQ(h.run({"BITPOS", "str", "0", "1", "1"}), integer(-1));
  EXPECT_EQ(h.run({"BITPOS", "str", "0", "8", "-1", "bit"}), integer(16));
  EXPECT_EQ(h.run({"BITPOS", "str", "0", "16", "200", "bit"}), integer(16));
  EXPECT_EQ(h.run({"BITPOS", "str", "0", "8", "8", "bit"}), integer(-1));
}

TEST(BitmapCommands, BitPosSetBits) {
  EngineHarness h;
  h.run({"SET", "str", bytes({0x00, 0xff, 0x00})});
  EXPECT_EQ(h.run({"BITPOS", "str", "1", "0", "-1"}), integer(8));
  EXPECT_EQ(h.run({"BITPOS", "str", "1", "2", "-1"}), integer(-1));
  EXPECT_EQ(h.run({"BITPOS", "str", "1", "2", "200"}), integer(-1));
  EXPECT_EQ(h.run({"BITPOS", "str", "1", "1", "1"}), integer(8));
  EXPECT_EQ(h.run({"BITPOS", "str", "1", "16", "-1", "bit"}), integer(-1));
  EXPECT_EQ(h.run({"BITPOS", "str", "1", "8", "8", "bit"}), integer(8));
  h.run({"SET", "z", std::string(3, '\0')});
  EXPECT_EQ(h.run({"BITPOS", "z", "1"}), integer(-1));
  h.run({"SET", "num", "1"});
  EXPECT_EQ(h.run({"BITPOS", "num", "1"}), integer(2));
  h.run({"SET", "f", bytes({0xff, 0xff, 0xff})});
  EXPECT_EQ(h.run({"BITPOS", "f", "0", "-100", "-50"}), integer(-1));
  EXPECT_EQ(h.run({"BITPOS", "f", "0", "100", "200"}), integer(-1));
}

TEST(BitmapCommands, BitPosLongRunsUseEveryPath) {
  EngineHarness h;
  // One set bit after a long zero run, at every alignment.
  for (int pos : {0, 7, 8, 63, 64, 65, 200, 511, 777}) {
    std::string s(100, '\0');
    s[pos / 8] = static_cast<char>(1 << (7 - pos % 8));
    h.run({"SET", "k", s});
    EXPECT_EQ(h.run({"BITPOS", "k", "1"}), integer(pos)) << pos;
    EXPECT_EQ(h.run({"BITPOS", "k", "1", "0", "-1", "bit"}), integer(pos)) << pos;
    std::string inv = s;
    for (auto& c : inv) c = static_cast<char>(~c);
    h.run({"SET", "k", inv});
    EXPECT_EQ(h.run({"BITPOS", "k", "0"}), integer(pos)) << pos;
  }
}

TEST(BitmapCommands, BitPosErrors) {
  EngineHarness h;
  h.run({"SET", "s", "abc"});
  EXPECT_EQ(h.run({"BITPOS", "s", "2"}), error("ERR The bit argument must be 1 or 0."));
  EXPECT_EQ(h.run({"BITPOS", "s", "-1"}), error("ERR The bit argument must be 1 or 0."));
  EXPECT_EQ(h.run({"BITPOS", "s", "x"}), kNotInt);
  EXPECT_EQ(h.run({"BITPOS", "s", "0", "x"}), kNotInt);
  EXPECT_EQ(h.run({"BITPOS", "s", "0", "0", "x"}), kNotInt);
  EXPECT_EQ(h.run({"BITPOS", "s", "0", "0", "1", "xx"}), kSyntaxErr);
  EXPECT_EQ(h.run({"BITPOS", "s", "0", "0", "1", "bit", "y"}), kSyntaxErr);
  // The unit is checked before the end index.
  EXPECT_EQ(h.run({"BITPOS", "s", "0", "0", "x", "zz"}), kSyntaxErr);
  add_fake_list(h, "l");
  EXPECT_EQ(h.run({"BITPOS", "l", "1"}), kWrongType);
}

// First index in [a, b] (unit bits) holding `bit`, per Redis's BITPOS rules.
int64_t model_bitpos(const std::string& s, int bit, int64_t a, int64_t b, bool end_given) {
  for (int64_t i = a; i <= b; ++i) {
    if (model_bit(s, i) == bit) return i;
  }
  return bit == 1 || end_given ? -1 : b + 1;
}

TEST(BitmapCommands, BitPosFuzzing) {
  EngineHarness h;
  std::mt19937 rng(11);
  for (int iter = 0; iter < 400; ++iter) {
    std::string s = random_bytes(rng, 80);
    if (s.empty()) continue;
    h.run({"SET", "str", s});
    int bit = static_cast<int>(rng() % 2);
    bool bit_unit = rng() % 2;
    bool end_given = rng() % 2;
    int64_t total = static_cast<int64_t>(s.size()) * (bit_unit ? 8 : 1);
    int64_t start = static_cast<int64_t>(rng() % (2 * total + 10)) - total - 5;
    int64_t end = end_given ? static_cast<int64_t>(rng() % (2 * total + 10)) - total - 5 : -1;
    int64_t a = start < 0 ? std::max<int64_t>(0, total + start) : start;
    int64_t b = end < 0 ? std::max<int64_t>(0, total + end) : std::min(end, total - 1);
    int64_t expected = -1;
    if (a <= b) {
      int64_t first = bit_unit ? a : a * 8, last = bit_unit ? b : b * 8 + 7;
      expected = model_bitpos(s, bit, first, last, end_given);
    }
    std::vector<std::string> args = {"BITPOS", "str", std::to_string(bit), std::to_string(start)};
    if (end_given) {
      args.push_back(std::to_string(end));
      args.push_back(bit_unit ? "BIT" : "BYTE");
    } else if (bit_unit) {
      continue;  // the unit needs an explicit end
    }
    ASSERT_EQ(h.run(args), integer(expected)) << start << " " << end << " len " << s.size();
  }
}

// ---------------------------------------------------------------------------
// BITOP

TEST(BitmapCommands, BitOpBasics) {
  EngineHarness h;
  h.run({"SET", "a", bytes({0x01, 0x02, 0xff, 0xff})});
  h.run({"SET", "b", bytes({0x01, 0x02, 0xff})});
  EXPECT_EQ(h.run({"BITOP", "and", "r1", "a", "b"}), integer(4));
  EXPECT_EQ(h.run({"BITOP", "OR", "r2", "a", "b"}), integer(4));
  EXPECT_EQ(h.run({"BITOP", "xor", "r3", "a", "b"}), integer(4));
  EXPECT_EQ(h.run({"BITOP", "NOT", "r4", "a"}), integer(4));
  EXPECT_EQ(h.run({"GET", "r1"}), bulk(bytes({0x01, 0x02, 0xff, 0x00})));
  EXPECT_EQ(h.run({"GET", "r2"}), bulk(bytes({0x01, 0x02, 0xff, 0xff})));
  EXPECT_EQ(h.run({"GET", "r3"}), bulk(bytes({0x00, 0x00, 0x00, 0xff})));
  EXPECT_EQ(h.run({"GET", "r4"}), bulk(bytes({0xfe, 0xfd, 0x00, 0x00})));
  EXPECT_EQ(encoding_of(h, "r1"), "raw");
}

TEST(BitmapCommands, BitOpSingleAndMissingSources) {
  EngineHarness h;
  h.run({"SET", "a", bytes({0x01, 0x02, 0xff})});
  for (const char* op : {"and", "or", "xor"}) {
    h.run({"BITOP", op, "res", "a"});
    EXPECT_EQ(h.run({"GET", "res"}), bulk(bytes({0x01, 0x02, 0xff}))) << op;
  }
  h.run({"BITOP", "and", "res", "no-such-key", "a"});
  EXPECT_EQ(h.run({"GET", "res"}), bulk(bytes({0, 0, 0})));
  h.run({"BITOP", "or", "res", "no-such-key", "a", "no-such-key"});
  EXPECT_EQ(h.run({"GET", "res"}), bulk(bytes({0x01, 0x02, 0xff})));
  // All sources empty: the destination is deleted.
  h.run({"SET", "dest", "keep", "EX", "100"});
  EXPECT_EQ(h.run({"BITOP", "or", "dest", "nokey"}), integer(0));
  EXPECT_EQ(raw_entry(h, "dest"), nullptr);
  h.run({"SET", "e", ""});
  EXPECT_EQ(h.run({"BITOP", "not", "dest", "e"}), integer(0));
  EXPECT_EQ(h.run({"GET", "dest"}), kNil);
}

TEST(BitmapCommands, BitOpDestinationAmongSources) {
  EngineHarness h;
  h.run({"SET", "s", bytes({0xaa, 0x00, 0xff, 0x55})});
  h.run({"BITOP", "not", "s", "s"});
  EXPECT_EQ(h.run({"GET", "s"}), bulk(bytes({0x55, 0xff, 0x00, 0xaa})));
  // Zero-padding after a long all-zero source (issue #529).
  h.run({"SET", "z", std::string(32, '\0')});
  EXPECT_EQ(h.run({"BITOP", "or", "x", "z", "b"}), integer(32));
  // Integer-encoded sources use their decimal text.
  h.run({"SET", "i1", "1"});
  h.run({"SET", "i2", "2"});
  h.run({"BITOP", "xor", "d", "i1", "i2", "i1"});
  EXPECT_EQ(h.run({"GET", "d"}), bulk("2"));
  // BITOP overwrites a destination of any type and clears its TTL.
  add_fake_list(h, "l");
  h.run({"BITOP", "or", "l", "i1"});
  EXPECT_EQ(h.run({"GET", "l"}), bulk("1"));
}

TEST(BitmapCommands, BitOpErrors) {
  EngineHarness h;
  h.run({"SET", "a", "1"});
  add_fake_list(h, "c");
  EXPECT_EQ(h.run({"BITOP", "xor", "dest", "a", "c", "d"}), kWrongType);
  EXPECT_EQ(raw_entry(h, "dest"), nullptr);
  EXPECT_EQ(h.run({"BITOP", "not", "dest", "a", "a"}),
            error("ERR BITOP NOT must be called with a single source key."));
  EXPECT_EQ(h.run({"BITOP", "nand", "dest", "a"}), kSyntaxErr);
  EXPECT_EQ(h.run({"BITOP", "and", "dest"}),
            error("ERR wrong number of arguments for 'bitop' command"));
}

TEST(BitmapCommands, BitOpFuzzing) {
  EngineHarness h;
  std::mt19937 rng(3);
  for (const char* op : {"AND", "OR", "XOR", "NOT"}) {
    for (int iter = 0; iter < 20; ++iter) {
      int n = std::string(op) == "NOT" ? 1 : 1 + static_cast<int>(rng() % 10);
      std::vector<std::string> srcs;
      std::vector<std::string> args = {"BITOP", op, "target"};
      size_t maxlen = 0;
      for (int k = 0; k < n; ++k) {
        srcs.push_back(random_bytes(rng, 100));
        maxlen = std::max(maxlen, srcs.back().size());
        args.push_back("v" + std::to_string(k));
        h.run({"SET", args.back(), srcs.back()});
      }
      std::string expected(maxlen, '\0');
      for (size_t i = 0; i < maxlen; ++i) {
        auto at = [&](int k) { return i < srcs[k].size() ? srcs[k][i] : '\0'; };
        char out = at(0);
        if (std::string(op) == "NOT") out = static_cast<char>(~out);
        for (int k = 1; k < n; ++k) {
          if (std::string(op) == "AND")
            out &= at(k);
          else if (std::string(op) == "OR")
            out |= at(k);
          else
            out ^= at(k);
        }
        expected[i] = out;
      }
      ASSERT_EQ(h.run(args), integer(static_cast<int64_t>(maxlen)));
      ASSERT_EQ(h.run({"GET", "target"}), maxlen ? bulk(expected) : kNil);
    }
  }
}

// ---------------------------------------------------------------------------
// BITFIELD

TEST(BitmapCommands, BitFieldSetAndGet) {
  EngineHarness h;
  EXPECT_EQ(h.run({"BITFIELD", "bits", "set", "i8", "0", "-100"}), array({integer(0)}));
  EXPECT_EQ(h.run({"BITFIELD", "bits", "set", "i8", "0", "101"}), array({integer(-100)}));
  EXPECT_EQ(h.run({"BITFIELD", "bits", "get", "i8", "0"}), array({integer(101)}));
  EXPECT_EQ(h.run({"BITFIELD", "u", "set", "u8", "0", "255"}), array({integer(0)}));
  EXPECT_EQ(h.run({"BITFIELD", "u", "set", "u8", "0", "100"}), array({integer(255)}));
  EXPECT_EQ(h.run({"BITFIELD", "u", "get", "u8", "0"}), array({integer(100)}));
  EXPECT_EQ(
      h.run({"BITFIELD", "t", "set", "i8", "0", "255", "set", "i8", "0", "100", "get", "i8", "0"}),
      array({integer(0), integer(-1), integer(100)}));
  EXPECT_EQ(h.run({"BITFIELD", "w", "set", "u8", "0", "255", "incrby", "u8", "0", "100", "get",
                   "u8", "0"}),
            array({integer(0), integer(99), integer(99)}));
  EXPECT_EQ(encoding_of(h, "w"), "raw");
}

TEST(BitmapCommands, BitFieldNoOpsAndHashOffsets) {
  EngineHarness h;
  EXPECT_EQ(h.run({"BITFIELD", "bits"}), "*0\r\n");
  EXPECT_EQ(raw_entry(h, "bits"), nullptr);
  h.run({"BITFIELD", "bits", "set", "u8", "#0", "65"});
  h.run({"BITFIELD", "bits", "set", "u8", "#1", "66"});
  h.run({"BITFIELD", "bits", "set", "u8", "#2", "67"});
  EXPECT_EQ(h.run({"GET", "bits"}), bulk("ABC"));
  EXPECT_EQ(h.run({"BITFIELD", "bits", "get", "u4", "#3", "get", "i64", "0", "get", "u63", "0"}),
            array({integer(2), integer(4702394628207280128), integer(2351197314103640064)}));
}

TEST(BitmapCommands, BitFieldIncrBy) {
  EngineHarness h;
  h.run({"BITFIELD", "bits", "set", "u8", "#0", "10"});
  EXPECT_EQ(h.run({"BITFIELD", "bits", "incrby", "u8", "#0", "100"}), array({integer(110)}));
  EXPECT_EQ(h.run({"BITFIELD", "bits", "incrby", "u8", "#0", "100", "incrby", "u8", "#0", "100"}),
            array({integer(210), integer(54)}));
}

TEST(BitmapCommands, BitFieldOverflowPolicies) {
  EngineHarness h;
  h.run({"BITFIELD", "u", "set", "u8", "#0", "100"});
  EXPECT_EQ(h.run({"BITFIELD", "u", "overflow", "wrap", "incrby", "u8", "#0", "257"}),
            array({integer(101)}));
  EXPECT_EQ(h.run({"BITFIELD", "u", "overflow", "wrap", "incrby", "u8", "#0", "255"}),
            array({integer(100)}));
  EXPECT_EQ(h.run({"BITFIELD", "u", "overflow", "sat", "incrby", "u8", "#0", "257"}),
            array({integer(255)}));
  EXPECT_EQ(h.run({"BITFIELD", "u", "overflow", "SAT", "incrby", "u8", "#0", "-255"}),
            array({integer(0)}));
  h.run({"BITFIELD", "s", "set", "i8", "#0", "100"});
  EXPECT_EQ(h.run({"BITFIELD", "s", "overflow", "wrap", "incrby", "i8", "#0", "257"}),
            array({integer(101)}));
  EXPECT_EQ(h.run({"BITFIELD", "s", "overflow", "wrap", "incrby", "i8", "#0", "255"}),
            array({integer(100)}));
  EXPECT_EQ(h.run({"BITFIELD", "s", "overflow", "sat", "incrby", "i8", "#0", "257"}),
            array({integer(127)}));
  EXPECT_EQ(h.run({"BITFIELD", "s", "overflow", "sat", "incrby", "i8", "#0", "-255"}),
            array({integer(-128)}));
  // FAIL returns nil and leaves the field alone; the policy sticks for later ops.
  EXPECT_EQ(h.run({"BITFIELD", "f",        "overflow", "fail",   "incrby", "u2", "0",
                   "4",        "overflow", "sat",      "incrby", "u2",     "0",  "4",
                   "overflow", "wrap",     "incrby",   "u2",     "0",      "5"}),
            array({kNil, integer(3), integer(0)}));
  EXPECT_EQ(h.run({"BITFIELD", "f", "overflow", "fail", "set", "i4", "0", "8", "set", "u4", "0",
                   "-1", "set", "u4", "0", "16", "get", "u8", "0"}),
            array({kNil, kNil, kNil, integer(0)}));
  // SET saturates/wraps the written value too; unsigned fields read negatives as huge.
  EXPECT_EQ(h.run({"BITFIELD", "g",  "overflow", "sat", "set", "i4",   "0",   "100", "get",
                   "i4",       "0",  "set",      "i4",  "0",   "-100", "get", "i4",  "0",
                   "set",      "u4", "0",        "-1",  "get", "u4",   "0"}),
            array({integer(0), integer(7), integer(7), integer(-8), integer(8), integer(15)}));
}

TEST(BitmapCommands, BitFieldSatOfHugeNegativeSetMatchesRedis) {
  EngineHarness h;
  // Redis's overflow check wraps for values this negative and saturates high.
  EXPECT_EQ(
      h.run({"BITFIELD",
             "k",
             "OVERFLOW",
             "SAT",
             "SET",
             "i8",
             "0",
             "-9223372036854775808",
             "GET",
             "i8",
             "0",
             "SET",
             "i8",
             "0",
             "-9223372036854775680",
             "GET",
             "i8",
             "0",
             "SET",
             "i8",
             "0",
             "-9223372036854775681",
             "GET",
             "i8",
             "0"}),
      array({integer(0), integer(127), integer(127), integer(-128), integer(-128), integer(127)}));
  EXPECT_EQ(h.run({"BITFIELD", "k", "OVERFLOW", "WRAP", "SET", "i8", "0", "-9223372036854775808",
                   "GET", "i8", "0"}),
            array({integer(127), integer(0)}));
}

TEST(BitmapCommands, BitFieldSixtyFourBitEdges) {
  EngineHarness h;
  EXPECT_EQ(h.run({"BITFIELD", "d",
                   "set",      "i64",
                   "0",        "-9223372036854775808",
                   "incrby",   "i64",
                   "0",        "-1",
                   "overflow", "sat",
                   "incrby",   "i64",
                   "0",        "-1",
                   "incrby",   "i64",
                   "0",        "9223372036854775807",
                   "incrby",   "i64",
                   "0",        "9223372036854775807",
                   "overflow", "fail",
                   "incrby",   "i64",
                   "0",        "1",
                   "incrby",   "i64",
                   "0",        "-1"}),
            array({integer(0), integer(INT64_MAX), integer(9223372036854775806), integer(INT64_MAX),
                   integer(INT64_MAX), kNil, integer(9223372036854775806)}));
  EXPECT_EQ(h.run({"BITFIELD", "e",
                   "set",      "u63",
                   "0",        "9223372036854775807",
                   "incrby",   "u63",
                   "0",        "1",
                   "overflow", "sat",
                   "incrby",   "u63",
                   "0",        "-9223372036854775808",
                   "incrby",   "u63",
                   "0",        "9223372036854775807",
                   "incrby",   "u63",
                   "0",        "1"}),
            array({integer(0), integer(0), integer(0), integer(INT64_MAX), integer(INT64_MAX)}));
}

TEST(BitmapCommands, BitFieldRegressions) {
  EngineHarness h;
  h.run({"SET", "bits", "1"});  // #3221: integer-encoded value
  EXPECT_EQ(h.run({"BITFIELD", "bits", "get", "u1", "0"}), array({integer(0)}));
  for (int i = 0; i < 10; ++i) {  // #3564
    EXPECT_EQ(h.run({"BITFIELD", "ms" + std::to_string(i), "SET", "i8", "0", "10", "SET", "i8",
                     "64", "10", "INCRBY", "i8", "10", "99900"}),
              array({integer(0), integer(0), integer(60)}));
  }
  // A GET beyond the end of a string that the same command grows.
  EXPECT_EQ(
      h.run({"BITFIELD", "g", "get", "i8", "999999", "set", "u1", "3", "1", "get", "u1", "3"}),
      array({integer(0), integer(0), integer(1)}));
}

TEST(BitmapCommands, BitFieldErrors) {
  EngineHarness h;
  h.run({"SET", "b", "AB"});
  EXPECT_EQ(h.run({"BITFIELD", "b", "get", "u64", "0"}), kTypeErr);
  EXPECT_EQ(h.run({"BITFIELD", "b", "get", "i65", "0"}), kTypeErr);
  EXPECT_EQ(h.run({"BITFIELD", "b", "get", "i0", "0"}), kTypeErr);
  EXPECT_EQ(h.run({"BITFIELD", "b", "get", "x8", "0"}), kTypeErr);
  EXPECT_EQ(h.run({"BITFIELD", "b", "get", "", "0"}), kTypeErr);
  EXPECT_EQ(h.run({"BITFIELD", "b", "get", "i8", "-1"}), kBitOffsetErr);
  EXPECT_EQ(h.run({"BITFIELD", "b", "get", "i8", "#-1"}), kBitOffsetErr);
  EXPECT_EQ(h.run({"BITFIELD", "b", "get", "i8", "x"}), kBitOffsetErr);
  EXPECT_EQ(h.run({"BITFIELD", "b", "get", "i8", "4294967296"}), kBitOffsetErr);
  EXPECT_EQ(h.run({"BITFIELD", "b", "get", "i8", "#536870912"}), kBitOffsetErr);
  EXPECT_EQ(h.run({"BITFIELD", "b", "get", "i8", "4294967295"}), array({integer(0)}));
  EXPECT_EQ(h.run({"BITFIELD", "b", "get", "i8"}), kSyntaxErr);
  EXPECT_EQ(h.run({"BITFIELD", "b", "set", "i8", "0"}), kSyntaxErr);
  EXPECT_EQ(h.run({"BITFIELD", "b", "set", "i8", "0", "x"}), kNotInt);
  EXPECT_EQ(h.run({"BITFIELD", "b", "overflow"}), kSyntaxErr);
  EXPECT_EQ(h.run({"BITFIELD", "b", "foo"}), kSyntaxErr);
  EXPECT_EQ(h.run({"BITFIELD", "b", "overflow", "foo", "get", "i8", "0"}),
            error("ERR Invalid OVERFLOW type specified"));
  // Nothing runs when a later op is malformed.
  EXPECT_EQ(h.run({"BITFIELD", "b", "set", "u8", "0", "0", "set", "u8", "0", "x"}), kNotInt);
  EXPECT_EQ(h.run({"GET", "b"}), bulk("AB"));
  add_fake_list(h, "l");
  EXPECT_EQ(h.run({"BITFIELD", "l", "get", "u8", "0"}), kWrongType);
  EXPECT_EQ(h.run({"BITFIELD", "l", "set", "u8", "0", "1"}), kWrongType);
}

TEST(BitmapCommands, BitFieldReadOnly) {
  EngineHarness h;
  h.run({"BITFIELD", "bits", "set", "u8", "0", "100"});
  EXPECT_EQ(h.run({"BITFIELD_RO", "bits", "get", "u8", "0"}), array({integer(100)}));
  EXPECT_EQ(h.run({"BITFIELD_RO", "bits"}), "*0\r\n");
  EXPECT_EQ(h.run({"BITFIELD_RO", "none", "get", "u8", "0"}), array({integer(0)}));
  EXPECT_EQ(raw_entry(h, "none"), nullptr);
  const std::string ro_err = error("ERR BITFIELD_RO only supports the GET subcommand");
  EXPECT_EQ(h.run({"BITFIELD_RO", "bits", "set", "u8", "0", "100", "get", "u8", "0"}), ro_err);
  EXPECT_EQ(h.run({"BITFIELD_RO", "bits", "incrby", "u8", "0", "1"}), ro_err);
  EXPECT_EQ(h.run({"BITFIELD_RO", "bits", "set", "u8", "0"}), kSyntaxErr);  // parsed first
}

// Overflow detection and wrapping against arbitrary-precision arithmetic, as
// Redis's own fuzz tests do.
TEST(BitmapCommands, BitFieldOverflowFuzzing) {
  EngineHarness h;
  std::mt19937_64 rng(99);
  for (int iter = 0; iter < 2000; ++iter) {
    int bits = 1 + static_cast<int>(rng() % 64);
    bool is_signed = bits == 64 || rng() % 2;
    __int128 range = __int128(1) << bits;
    __int128 min = is_signed ? -range / 2 : 0;
    __int128 max = min + range - 1;
    auto pick = [&]() {
      __int128 v = min * 2 + static_cast<__int128>(rng() % static_cast<uint64_t>(std::min<__int128>(
                                                               range * 2, ~0ull)));
      return static_cast<int64_t>(std::clamp<__int128>(v, INT64_MIN, INT64_MAX));
    };
    int64_t value = pick(), incr = pick();
    std::string type = (is_signed ? "i" : "u") + std::to_string(bits);
    std::string key = "k" + std::to_string(iter);
    bool overflow =
        value > max || value < min || __int128(value) + incr > max || __int128(value) + incr < min;
    std::string r1 =
        h.run({"BITFIELD", key, "overflow", "fail", "set", type, "0", std::to_string(value)});
    std::string r2 =
        h.run({"BITFIELD", key, "overflow", "fail", "incrby", type, "0", std::to_string(incr)});
    bool failed = r1 == array({kNil}) || r2 == array({kNil});
    ASSERT_EQ(failed, overflow) << type << " " << value << " + " << incr;

    std::string wkey = "w" + std::to_string(iter);
    h.run({"BITFIELD", wkey, "set", type, "0", std::to_string(value)});
    h.run({"BITFIELD", wkey, "incrby", type, "0", std::to_string(incr)});
    __int128 expected = ((__int128(value) + incr - min) % range + range) % range + min;
    ASSERT_EQ(h.run({"BITFIELD", wkey, "get", type, "0"}),
              array({integer(static_cast<int64_t>(expected))}))
        << type << " " << value << " + " << incr;
  }
}

TEST(BitmapCommands, CommandSpecs) {
  EngineHarness h;
  const auto& t = h.engine().commands();
  for (const char* name :
       {"setbit", "getbit", "bitcount", "bitpos", "bitop", "bitfield", "bitfield_ro"}) {
    const engine::CommandSpec* spec = t.find(name);
    ASSERT_NE(spec, nullptr) << name;
    EXPECT_EQ(spec->group, "bitmap") << name;
  }
  EXPECT_EQ(t.find("bitop")->first_key, 2);
  EXPECT_TRUE(t.find("bitfield_ro")->flags & engine::kReadonly);
}

}  // namespace
}  // namespace kvd::test
