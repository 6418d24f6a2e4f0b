// Short string values embedded in their key's entry, and TTLs kept in the
// database's TtlIndex instead of every entry: every write path must keep the
// value and the TTL right.
#include <gtest/gtest.h>

#include <map>
#include <random>
#include <string>
#include <vector>

#include "support/engine_harness.hpp"
#include "support/fake_object.hpp"

namespace kvd::test {
namespace {

const std::string k16 = "vvvvvvvvvvvvvvvv";  // 16 bytes: heap-sized, embedded
const std::string k40(40, 'w');
const std::string k60(60, 'x');  // past the embedding limit

size_t embedded(EngineHarness& h, std::string_view key, int db = 0) {
  engine::Entry* e = h.engine().db(db).find_raw(key);
  return e ? e->value.embedded_len() : 0;
}

int64_t ttl_of(EngineHarness& h, std::string_view key, int db = 0) {
  engine::Database& d = h.engine().db(db);
  return d.expire_of(d.find_raw(key));
}

TEST(EntryLayout, EntryIsSmall) {
  EXPECT_EQ(sizeof(engine::Entry), 32u);
}

TEST(EntryLayout, ShortStringsAreEmbedded) {
  EngineHarness h;
  h.run({"SET", "k", k16});
  EXPECT_EQ(embedded(h, "k"), 16u);
  EXPECT_EQ(h.run({"GET", "k"}), bulk(k16));
  EXPECT_EQ(h.run({"OBJECT", "ENCODING", "k"}), bulk("embstr"));
  EXPECT_EQ(h.run({"STRLEN", "k"}), integer(16));
  h.run({"SET", "big", k60});
  EXPECT_EQ(embedded(h, "big"), 0u);
  EXPECT_EQ(h.run({"GET", "big"}), bulk(k60));
  h.run({"SET", "small", "abc"});  // inline in the Value
  EXPECT_EQ(embedded(h, "small"), 0u);
  EXPECT_EQ(h.run({"GET", "small"}), bulk("abc"));
}

TEST(EntryLayout, OverwritesKeepTheRightValue) {
  EngineHarness h;
  h.run({"SET", "k", k16});
  h.run({"SET", "k", k40});  // does not fit the entry: heap
  EXPECT_EQ(h.run({"GET", "k"}), bulk(k40));
  h.run({"SET", "k", k16});  // fits the entry again
  EXPECT_EQ(embedded(h, "k"), 16u);
  EXPECT_EQ(h.run({"GET", "k"}), bulk(k16));
  EXPECT_EQ(h.run({"GETSET", "k", "ABCDEFGHIJKLMNOPQ"}), bulk(k16));
  EXPECT_EQ(h.run({"GET", "k"}), bulk("ABCDEFGHIJKLMNOPQ"));
  EXPECT_EQ(h.run({"SET", "k", "abcdefghijklmnopq", "GET"}), bulk("ABCDEFGHIJKLMNOPQ"));
  EXPECT_EQ(h.run({"GET", "k"}), bulk("abcdefghijklmnopq"));
  h.run({"SET", "k", "12"});
  EXPECT_EQ(h.run({"INCR", "k"}), integer(13));
  h.run({"SET", "k", k16});
  EXPECT_EQ(h.run({"GETDEL", "k"}), bulk(k16));
  EXPECT_EQ(h.run({"GET", "k"}), kNil);
}

TEST(EntryLayout, InPlaceEditsMoveTheValueOut) {
  EngineHarness h;
  h.run({"SET", "k", k16});
  EXPECT_EQ(h.run({"APPEND", "k", "xyz"}), integer(19));
  EXPECT_EQ(embedded(h, "k"), 0u);
  EXPECT_EQ(h.run({"GET", "k"}), bulk(k16 + "xyz"));
  EXPECT_EQ(h.run({"OBJECT", "ENCODING", "k"}), bulk("raw"));
  h.run({"SET", "r", k16});
  EXPECT_EQ(h.run({"SETRANGE", "r", "2", "AB"}), integer(16));
  EXPECT_EQ(h.run({"GET", "r"}), bulk("vvABvvvvvvvvvvvv"));
  h.run({"SET", "b", k16});
  h.run({"SETBIT", "b", "1", "0"});
  EXPECT_EQ(h.run({"GET", "b"}), bulk("6vvvvvvvvvvvvvvv"));
  h.run({"SET", "f", "1.5000000000000000"});
  EXPECT_EQ(h.run({"INCRBYFLOAT", "f", "1"}), bulk("2.5"));
}

TEST(EntryLayout, RenameMoveCopyCarryValueAndTtl) {
  EngineHarness h;
  h.run({"SET", "a", k16, "PX", "100000"});
  const int64_t deadline = h.clock().now_ms() + 100'000;
  EXPECT_EQ(h.run({"RENAME", "a", "b"}), kOk);
  EXPECT_EQ(h.run({"GET", "b"}), bulk(k16));
  EXPECT_EQ(embedded(h, "b"), 16u);
  EXPECT_EQ(ttl_of(h, "b"), deadline);
  EXPECT_EQ(h.engine().db(0).expires(), 1u);
  h.run({"SET", "c", k40});
  EXPECT_EQ(h.run({"RENAME", "b", "c"}), kOk);  // replaces c
  EXPECT_EQ(h.run({"GET", "c"}), bulk(k16));
  EXPECT_EQ(ttl_of(h, "c"), deadline);
  EXPECT_EQ(h.run({"COPY", "c", "d"}), integer(1));
  h.run({"APPEND", "c", "!"});
  EXPECT_EQ(h.run({"GET", "d"}), bulk(k16));
  EXPECT_EQ(ttl_of(h, "d"), deadline);
  EXPECT_EQ(h.run({"MOVE", "d", "3"}), integer(1));
  EXPECT_EQ(ttl_of(h, "d", 3), deadline);
  EXPECT_EQ(h.engine().db(3).expires(), 1u);
  EXPECT_EQ(h.engine().db(0).expires(), 1u);
  h.run({"SELECT", "3"});
  EXPECT_EQ(h.run({"GET", "d"}), bulk(k16));
  h.run({"SELECT", "0"});
  EXPECT_EQ(h.run({"SWAPDB", "0", "3"}), kOk);
  EXPECT_EQ(h.run({"GET", "d"}), bulk(k16));
  EXPECT_EQ(ttl_of(h, "d"), deadline);
  h.clock().advance_ms(100'001);
  EXPECT_EQ(h.run({"GET", "d"}), kNil);
  EXPECT_EQ(h.engine().db(0).expires(), 0u);
  EXPECT_EQ(h.engine().db(0).size(), 0u);
}

TEST(EntryLayout, TtlCommandsUseTheIndex) {
  EngineHarness h;
  h.run({"SET", "k", k16});
  EXPECT_EQ(h.run({"TTL", "k"}), integer(-1));
  EXPECT_EQ(h.run({"EXPIRE", "k", "100"}), integer(1));
  EXPECT_EQ(h.run({"TTL", "k"}), integer(100));
  EXPECT_EQ(h.run({"EXPIRE", "k", "50", "GT"}), integer(0));
  EXPECT_EQ(h.run({"EXPIRE", "k", "50", "LT"}), integer(1));
  EXPECT_EQ(h.run({"PERSIST", "k"}), integer(1));
  EXPECT_EQ(h.run({"PERSIST", "k"}), integer(0));
  EXPECT_EQ(h.engine().db(0).expires(), 0u);
  h.run({"SET", "k", k16, "EX", "10"});
  h.run({"SET", "k", k16, "KEEPTTL"});
  EXPECT_EQ(h.run({"TTL", "k"}), integer(10));
  h.run({"SET", "k", k16});
  EXPECT_EQ(h.run({"TTL", "k"}), integer(-1));
  EXPECT_EQ(h.engine().db(0).expires(), 0u);
}

// Random string writes, TTLs and key moves against a model.
TEST(EntryLayout, RandomWritesMatchModel) {
  EngineHarness h;
  std::map<std::string, std::string> model;
  std::map<std::string, bool> has_ttl;
  std::mt19937_64 rng(11);
  auto key = [&] { return "key:" + std::to_string(rng() % 300); };
  auto value = [&] {
    static const size_t sizes[] = {0, 3, 14, 15, 16, 20, 31, 44, 45, 70};
    return std::string(sizes[rng() % 10], static_cast<char>('a' + rng() % 26));
  };
  for (int step = 0; step < 30'000; ++step) {
    std::string k = key();
    switch (rng() % 7) {
      case 0:
      case 1: {
        std::string v = value();
        h.run({"SET", k, v});
        model[k] = v;
        has_ttl[k] = false;
        break;
      }
      case 2: {
        std::string v = value();
        h.run({"APPEND", k, v});
        model[k] += v;
        break;
      }
      case 3:
        h.run({"DEL", k});
        model.erase(k);
        has_ttl.erase(k);
        break;
      case 4:
        if (h.run({"EXPIRE", k, "1000"}) == integer(1)) has_ttl[k] = true;
        break;
      case 5: {
        std::string to = key();
        if (model.count(k)) {
          ASSERT_EQ(h.run({"RENAME", k, to}), kOk);
          std::string v = model[k];
          bool t = has_ttl[k];
          model.erase(k);
          has_ttl.erase(k);
          model[to] = v;
          has_ttl[to] = t;
        }
        break;
      }
      default: {
        std::string v = value();
        ASSERT_EQ(h.run({"GETSET", k, v}), model.count(k) ? bulk(model[k]) : kNil);
        model[k] = v;
        has_ttl[k] = false;
        break;
      }
    }
    if (step % 1000 == 0) {
      size_t ttls = 0;
      for (auto& [mk, mv] : model) {
        ASSERT_EQ(h.run({"GET", mk}), bulk(mv)) << mk;
        bool t = h.engine().db(0).expire_of(h.engine().db(0).find_raw(mk)) != engine::kNoExpire;
        ASSERT_EQ(t, has_ttl[mk]) << mk;
        ttls += t;
      }
      ASSERT_EQ(h.engine().db(0).size(), model.size());
      ASSERT_EQ(h.engine().db(0).expires(), ttls);
    }
  }
}

}  // namespace
}  // namespace kvd::test
