// DUMP and RESTORE through the engine: round trips of every type, Redis's
// errors and options, and payloads corrupted at random (fixed checksum) that
// must be refused cleanly.
#include <gtest/gtest.h>

#include <random>
#include <string>
#include <vector>

#include "kvd/persist/crc64.hpp"
#include "support/engine_harness.hpp"
#include "support/value_readback.hpp"

namespace kvd::test {
namespace {

// The bytes of a bulk reply.
std::string bulk_body(const std::string& reply) {
  size_t nl = reply.find("\r\n");
  EXPECT_EQ(reply[0], '$') << reply;
  size_t n = std::stoul(reply.substr(1, nl - 1));
  return reply.substr(nl + 2, n);
}

std::string dump(EngineHarness& h, std::string_view key) {
  return bulk_body(h.run({"DUMP", key}));
}

// Rewrites the CRC so a corrupted body reaches the value decoder.
void fix_crc(std::string* payload) {
  size_t body = payload->size() - 8;
  uint64_t crc = persist::crc64(0, payload->data(), body);
  for (int i = 0; i < 8; ++i) (*payload)[body + i] = static_cast<char>(crc >> (8 * i));
}

void build_every_type(EngineHarness& h) {
  h.run({"SET", "str", "hello"});
  h.run({"SET", "int", "-12345"});
  h.run({"SET", "long", std::string(500, 'q') + "tail"});
  h.run({"RPUSH", "list", "a", "1", "-70000", "4294967296", std::string(300, 'b')});
  h.run({"SADD", "ints", "1", "-2", "70000", "5000000000"});
  h.run({"SADD", "strs", "x", "y", "z"});
  h.run({"ZADD", "zs", "1", "a", "2.5", "b", "-inf", "c", "1e300", "d"});
  h.run({"HSET", "hash", "f1", "v1", "f2", "17"});
  h.run({"XADD", "stream", "1-1", "a", "1", "b", "2"});
  h.run({"XADD", "stream", "1-2", "a", "3", "b", "4"});
  h.run({"XADD", "stream", "2-0", "c", "5"});
  h.run({"XDEL", "stream", "1-2"});
  h.run({"XGROUP", "CREATE", "stream", "g1", "0"});
  h.run({"XREADGROUP", "GROUP", "g1", "alice", "COUNT", "1", "STREAMS", "stream", ">"});
  h.run({"PFADD", "hll", "a", "b", "c"});
  std::vector<std::string> big = {"RPUSH", "biglist"};
  std::vector<std::string> bigset = {"SADD", "bigset"};
  std::vector<std::string> bigz = {"ZADD", "bigz"};
  std::vector<std::string> bigh = {"HSET", "bigh"};
  for (int i = 0; i < 1500; ++i) {
    big.push_back("element-" + std::to_string(i));
    bigset.push_back("m" + std::to_string(i));
    bigz.push_back(std::to_string(i * 0.5));
    bigz.push_back("m" + std::to_string(i));
    bigh.push_back("f" + std::to_string(i));
    bigh.push_back("v" + std::to_string(i));
  }
  h.run(big);
  h.run(bigset);
  h.run(bigz);
  h.run(bigh);
  for (int i = 0; i < 250; ++i) {
    h.run({"XADD", "bigstream", "5-" + std::to_string(i), "f", std::to_string(i)});
  }
}

std::string contents(EngineHarness& h, const std::string& key) {
  return read_back(h, key, /*stream_details=*/true);
}

const std::vector<std::string> kKeys = {"str",     "int",    "long", "list",   "ints",
                                        "strs",    "zs",     "hash", "stream", "hll",
                                        "biglist", "bigset", "bigz", "bigh",   "bigstream"};

TEST(DumpRestore, EveryTypeRoundTrips) {
  EngineHarness h;
  build_every_type(h);
  for (const std::string& k : kKeys) {
    std::string payload = dump(h, k);
    ASSERT_EQ(h.run({"RESTORE", k + ":copy", "0", payload}), kOk) << k;
    EXPECT_EQ(contents(h, k + ":copy"), contents(h, k)) << k;
    // Collections keep their encoding; strings take the one Redis gives a
    // loaded string (an HLL made by PFADD is "raw", restored it is "embstr").
    if (h.run({"TYPE", k}) != "+string\r\n") {
      EXPECT_EQ(h.run({"OBJECT", "ENCODING", k + ":copy"}), h.run({"OBJECT", "ENCODING", k})) << k;
    }
  }
}

TEST(DumpRestore, PayloadFrame) {
  EngineHarness h;
  EXPECT_EQ(h.run({"DUMP", "missing"}), kNil);
  h.run({"SET", "k", "hello"});
  // Type 0, length 5, the bytes, RDB version 10, then the CRC-64.
  std::string p = dump(h, "k");
  ASSERT_EQ(p.size(), 1 + 1 + 5 + 2 + 8u);
  EXPECT_EQ(p.substr(0, 9), std::string("\x00\x05hello\x0a\x00", 9));
  EXPECT_EQ(persist::crc64(0, p.data(), p.size()), 0u);  // a CRC over data+CRC is 0
}

TEST(DumpRestore, ErrorsInRedisOrder) {
  EngineHarness h;
  h.run({"SET", "k", "v"});
  std::string p = dump(h, "k");
  EXPECT_EQ(h.run({"RESTORE", "k", "0", p, "BOGUS"}), error("ERR syntax error"));
  EXPECT_EQ(h.run({"RESTORE", "k", "0", p}), error("BUSYKEY Target key name already exists."));
  EXPECT_EQ(h.run({"RESTORE", "n", "-1", p}), error("ERR Invalid TTL value, must be >= 0"));
  EXPECT_EQ(h.run({"RESTORE", "n", "x", p}), error("ERR value is not an integer or out of range"));
  EXPECT_EQ(h.run({"RESTORE", "n", "0", p, "IDLETIME", "-1"}),
            error("ERR Invalid IDLETIME value, must be >= 0"));
  EXPECT_EQ(h.run({"RESTORE", "n", "0", p, "FREQ", "256"}),
            error("ERR Invalid FREQ value, must be >= 0 and <= 255"));
  EXPECT_EQ(h.run({"RESTORE", "n", "0", p, "FREQ", "1", "IDLETIME", "1"}),
            error("ERR syntax error"));
  std::string bad_crc = p;
  bad_crc.back() ^= 1;
  EXPECT_EQ(h.run({"RESTORE", "n", "0", bad_crc}),
            error("ERR DUMP payload version or checksum are wrong"));
  std::string newer = p;
  newer[newer.size() - 10] = 11;  // an RDB version from the future
  fix_crc(&newer);
  EXPECT_EQ(h.run({"RESTORE", "n", "0", newer}),
            error("ERR DUMP payload version or checksum are wrong"));
  EXPECT_EQ(h.run({"RESTORE", "n", "0", "short"}),
            error("ERR DUMP payload version or checksum are wrong"));
  std::string bad_type = p;
  bad_type[0] = 8;  // no such value type
  fix_crc(&bad_type);
  EXPECT_EQ(h.run({"RESTORE", "n", "0", bad_type}), error("ERR Bad data format"));
  EXPECT_EQ(h.run({"EXISTS", "n"}), integer(0));
}

TEST(DumpRestore, TtlReplaceAndIdleTime) {
  EngineHarness h;
  h.clock().set_ms(1'000'000'000);
  h.run({"SET", "k", "v"});
  std::string p = dump(h, "k");
  EXPECT_EQ(h.run({"RESTORE", "k", "5000", p, "REPLACE"}), kOk);
  EXPECT_EQ(h.run({"PTTL", "k"}), integer(5000));
  EXPECT_EQ(h.run({"RESTORE", "a", "1000002000", p, "ABSTTL"}), kOk);
  EXPECT_EQ(h.run({"PTTL", "a"}), integer(2000));
  // An absolute TTL in the past: OK, and the key is gone (also the replaced one).
  EXPECT_EQ(h.run({"RESTORE", "k", "1", p, "ABSTTL", "REPLACE"}), kOk);
  EXPECT_EQ(h.run({"EXISTS", "k"}), integer(0));
  EXPECT_EQ(h.run({"RESTORE", "i", "0", p, "IDLETIME", "300"}), kOk);
  EXPECT_EQ(h.run({"OBJECT", "IDLETIME", "i"}), integer(300));
  EXPECT_EQ(h.run({"TTL", "i"}), integer(-1));
}

TEST(DumpRestore, RestoredValuesTakeTheEncodingOfTheConfigInForce) {
  EngineHarness h;
  std::vector<std::string> cmd = {"HSET", "h"};
  for (int i = 0; i < 10; ++i) {
    cmd.push_back("f" + std::to_string(i));
    cmd.push_back("v");
  }
  h.run(cmd);
  std::string p = dump(h, "h");
  h.run({"CONFIG", "SET", "hash-max-listpack-entries", "4"});
  ASSERT_EQ(h.run({"RESTORE", "h2", "0", p}), kOk);
  EXPECT_EQ(h.run({"OBJECT", "ENCODING", "h2"}), bulk("hashtable"));
  EXPECT_EQ(h.run({"HLEN", "h2"}), integer(10));
}

TEST(DumpRestore, RefusesEmptyAndDuplicateCollections) {
  EngineHarness h;
  // A set (type 2) of two equal members, and one of none.
  std::string dup("\x02\x02\x01x\x01x\x0a\x00", 8);
  dup.append(8, '\0');
  fix_crc(&dup);
  EXPECT_EQ(h.run({"RESTORE", "s", "0", dup}), error("ERR Bad data format"));
  std::string empty("\x02\x00\x0a\x00", 4);
  empty.append(8, '\0');
  fix_crc(&empty);
  EXPECT_EQ(h.run({"RESTORE", "s", "0", empty}), error("ERR Bad data format"));
}

// Random byte flips, truncations and insertions with a valid checksum: each
// RESTORE must answer OK or "Bad data format" and leave a usable keyspace
// (the sanitizer build checks that no read goes out of bounds).
TEST(DumpRestore, CorruptPayloadsAreRefusedCleanly) {
  EngineHarness h;
  build_every_type(h);
  std::mt19937 rng(12345);
  int accepted = 0, refused = 0;
  for (const std::string& k : kKeys) {
    std::string good = dump(h, k);
    for (int round = 0; round < 300; ++round) {
      std::string p = good.substr(0, good.size() - 10);
      switch (rng() % 3) {
        case 0:
          for (int n = 1 + rng() % 3; n > 0; --n)
            p[rng() % p.size()] ^= static_cast<char>(1 + rng() % 255);
          break;
        case 1:
          p.resize(rng() % p.size());
          break;
        default:
          p.insert(rng() % (p.size() + 1), 1, static_cast<char>(rng()));
      }
      p += good.substr(good.size() - 10);
      fix_crc(&p);
      std::string r = h.run({"RESTORE", "fuzz", "0", p, "REPLACE"});
      if (r == kOk) {
        ++accepted;
        contents(h, "fuzz");  // whatever was accepted must be readable
        h.run({"DUMP", "fuzz"});
      } else {
        ASSERT_EQ(r, error("ERR Bad data format")) << k;
        ++refused;
      }
    }
  }
  EXPECT_GT(refused, 0);
  EXPECT_EQ(h.run({"GET", "str"}), bulk("hello"));
}

}  // namespace
}  // namespace kvd::test
