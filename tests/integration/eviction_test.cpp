// maxmemory eviction in a real server: the memory the allocator reports stays
// near the limit while far more is written, and volatile policies keep the
// keys without a TTL.

#include <gtest/gtest.h>

#include <cstdlib>
#include <string>

#include "kvd_process.hpp"

namespace kvd::itest {
namespace {

long long info_number(redisContext* c, const std::string& field) {
  return std::atoll(info_field(c, field).c_str());
}

// Writes `count` keys of `size` bytes, pipelined 100 at a time. With `ttl`,
// each gets EX ttl. Every reply must be OK.
void write_keys(redisContext* c, const std::string& prefix, int count, size_t size,
                const char* ttl = nullptr) {
  const std::string value(size, 'x');
  for (int i = 0; i < count; i += 100) {
    int batch = std::min(100, count - i);
    for (int j = 0; j < batch; ++j) {
      std::string key = prefix + std::to_string(i + j);
      if (ttl) {
        redisAppendCommand(c, "SET %b %b EX %s", key.data(), key.size(), value.data(), value.size(),
                           ttl);
      } else {
        redisAppendCommand(c, "SET %b %b", key.data(), key.size(), value.data(), value.size());
      }
    }
    for (int j = 0; j < batch; ++j) {
      void* r = nullptr;
      ASSERT_EQ(redisGetReply(c, &r), REDIS_OK);
      auto* reply = static_cast<redisReply*>(r);
      ASSERT_EQ(reply->type, REDIS_REPLY_STATUS) << (reply->str ? reply->str : "");
      freeReplyObject(reply);
    }
  }
}

// A limit `extra` bytes above what the idle server uses now.
long long set_limit_above_baseline(redisContext* c, const char* policy, long long extra) {
  EXPECT_EQ(KvdProcess::command(c, {"CONFIG", "SET", "maxmemory-policy", policy})->type,
            REDIS_REPLY_STATUS);
  long long limit = info_number(c, "used_memory") + extra;
  EXPECT_EQ(KvdProcess::command(c, {"CONFIG", "SET", "maxmemory", std::to_string(limit)})->type,
            REDIS_REPLY_STATUS);
  return limit;
}

TEST(Eviction, AllkeysLruHoldsMemoryNearTheLimit) {
  KvdProcess kvd;
  auto c = kvd.connect();
  const long long limit = set_limit_above_baseline(c.get(), "allkeys-lru", 4 << 20);
  // About 20 MB of values into a 4 MB budget.
  write_keys(c.get(), "key:", 20000, 1000);
  EXPECT_GT(info_number(c.get(), "evicted_keys"), 10000);
  long long keys = KvdProcess::command(c.get(), {"DBSIZE"})->integer;
  EXPECT_GT(keys, 1000);
  EXPECT_LT(keys, 8000);
  // The same slack Redis's own test allows for allocator rounding and the
  // gauge catching up at the next cron tick.
  EXPECT_LT(info_number(c.get(), "used_memory"), limit + limit / 10);
  // The most recent writes survive LRU.
  EXPECT_EQ(KvdProcess::command(c.get(), {"EXISTS", "key:19999"})->integer, 1);
}

TEST(Eviction, VolatileLruKeepsKeysWithoutATtl) {
  KvdProcess kvd;
  auto c = kvd.connect();
  write_keys(c.get(), "keep:", 500, 100);
  set_limit_above_baseline(c.get(), "volatile-lru", 4 << 20);
  write_keys(c.get(), "tmp:", 20000, 1000, "1000");
  EXPECT_GT(info_number(c.get(), "evicted_keys"), 10000);
  for (int i = 0; i < 500; ++i) {
    redisAppendCommand(c.get(), "EXISTS keep:%d", i);
  }
  long long kept = 0;
  for (int i = 0; i < 500; ++i) {
    void* r = nullptr;
    ASSERT_EQ(redisGetReply(c.get(), &r), REDIS_OK);
    kept += static_cast<redisReply*>(r)->integer;
    freeReplyObject(r);
  }
  EXPECT_EQ(kept, 500);
}

TEST(Eviction, NoevictionAnswersOom) {
  KvdProcess kvd;
  auto c = kvd.connect();
  set_limit_above_baseline(c.get(), "noeviction", 1 << 20);
  // Writes of 10 KB go through until the megabyte is used, then get OOM.
  const std::string value(10000, 'x');
  std::string error;
  int written = 0;
  for (; written < 1000 && error.empty(); ++written) {
    auto r = KvdProcess::command(c.get(), {"SET", "k" + std::to_string(written), value});
    if (r->type == REDIS_REPLY_ERROR) error = r->str;
  }
  EXPECT_EQ(error, "OOM command not allowed when used memory > 'maxmemory'.");
  EXPECT_GT(written, 50);
  EXPECT_LT(written, 200);
  EXPECT_EQ(KvdProcess::command(c.get(), {"GET", "k0"})->type, REDIS_REPLY_STRING);
  EXPECT_EQ(KvdProcess::command(c.get(), {"FLUSHALL"})->type, REDIS_REPLY_STATUS);
  EXPECT_EQ(KvdProcess::command(c.get(), {"SET", "k0", value})->type, REDIS_REPLY_STATUS);
}

}  // namespace
}  // namespace kvd::itest
