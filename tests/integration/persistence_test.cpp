// RDB snapshots with a real server: SAVE and a restart, BGSAVE by a forked
// child, save points, and the save on SIGTERM.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>

#include "kvd_process.hpp"

namespace kvd::itest {
namespace {

struct TempDir {
  std::string path;
  TempDir() {
    char tmpl[] = "/tmp/kvd-persist-itest-XXXXXX";
    const char* d = ::mkdtemp(tmpl);
    path = d ? d : "";
  }
  ~TempDir() {
    std::remove((path + "/dump.rdb").c_str());
    ::rmdir(path.c_str());
  }
  bool has_dump() const {
    struct stat sb {};
    return ::stat((path + "/dump.rdb").c_str(), &sb) == 0 && sb.st_size > 0;
  }
};

TEST(Persistence, SaveThenRestartKeepsTheData) {
  TempDir dir;
  {
    KvdProcess kvd({"--dir", dir.path, "--save", ""});
    auto c = kvd.connect();
    KvdProcess::command(c.get(), {"SET", "k", "v"});
    KvdProcess::command(c.get(), {"SET", "ttl", "v", "EX", "1000"});
    KvdProcess::command(c.get(), {"RPUSH", "l", "a", "b"});
    KvdProcess::command(c.get(), {"HSET", "h", "f", "v"});
    auto ok = KvdProcess::command(c.get(), {"SAVE"});
    ASSERT_EQ(ok->type, REDIS_REPLY_STATUS);
    EXPECT_EQ(info_field(c.get(), "rdb_changes_since_last_save"), "0");
    EXPECT_EQ(info_field(c.get(), "rdb_saves"), "1");
    EXPECT_EQ(kvd.stop(), 0);
  }
  ASSERT_TRUE(dir.has_dump());
  KvdProcess kvd({"--dir", dir.path, "--save", ""});
  auto c = kvd.connect();
  EXPECT_EQ(KvdProcess::command(c.get(), {"DBSIZE"})->integer, 4);
  EXPECT_STREQ(KvdProcess::command(c.get(), {"GET", "k"})->str, "v");
  EXPECT_GT(KvdProcess::command(c.get(), {"TTL", "ttl"})->integer, 990);
  EXPECT_EQ(KvdProcess::command(c.get(), {"LLEN", "l"})->integer, 2);
  EXPECT_EQ(info_field(c.get(), "rdb_last_load_keys_loaded"), "4");
}

TEST(Persistence, BgsaveAndSavePointsWriteInTheBackground) {
  TempDir dir;
  KvdProcess kvd({"--dir", dir.path, "--save", ""});
  auto c = kvd.connect();
  for (int i = 0; i < 1000; ++i)
    KvdProcess::command(c.get(), {"SET", "key:" + std::to_string(i), std::string(100, 'x')});
  auto started = KvdProcess::command(c.get(), {"BGSAVE"});
  ASSERT_EQ(started->type, REDIS_REPLY_STATUS);
  EXPECT_STREQ(started->str, "Background saving started");
  // The child is reaped by cron; the server keeps serving meanwhile.
  EXPECT_EQ(KvdProcess::command(c.get(), {"PING"})->type, REDIS_REPLY_STATUS);
  ASSERT_TRUE(wait_until([&] { return info_field(c.get(), "rdb_saves") == "1"; },
                         std::chrono::seconds(10)));
  EXPECT_EQ(info_field(c.get(), "rdb_bgsave_in_progress"), "0");
  EXPECT_EQ(info_field(c.get(), "rdb_last_bgsave_status"), "ok");
  EXPECT_EQ(info_field(c.get(), "rdb_changes_since_last_save"), "0");
  EXPECT_TRUE(dir.has_dump());

  // A save point: one change in one second starts a BGSAVE by itself.
  ASSERT_EQ(KvdProcess::command(c.get(), {"CONFIG", "SET", "save", "1 1"})->type,
            REDIS_REPLY_STATUS);
  KvdProcess::command(c.get(), {"SET", "more", "1"});
  EXPECT_TRUE(wait_until([&] { return info_field(c.get(), "rdb_saves") == "2"; },
                         std::chrono::seconds(10)));
}

TEST(Persistence, SigtermSavesWhenSavePointsAreSet) {
  TempDir dir;
  {
    KvdProcess kvd({"--dir", dir.path, "--save", "3600 1"});
    auto c = kvd.connect();
    KvdProcess::command(c.get(), {"SET", "kept", "yes"});
    EXPECT_FALSE(dir.has_dump());
    EXPECT_EQ(kvd.stop(), 0);
  }
  ASSERT_TRUE(dir.has_dump());
  KvdProcess kvd({"--dir", dir.path, "--save", ""});
  auto c = kvd.connect();
  EXPECT_STREQ(KvdProcess::command(c.get(), {"GET", "kept"})->str, "yes");
}

TEST(Persistence, DamagedSnapshotStopsTheStart) {
  TempDir dir;
  FILE* f = std::fopen((dir.path + "/dump.rdb").c_str(), "wb");
  ASSERT_NE(f, nullptr);
  std::fputs("REDIS0010 this is not a snapshot at all", f);
  std::fclose(f);
  EXPECT_THROW(KvdProcess({"--dir", dir.path, "--save", ""}), std::runtime_error);
}

std::string file_bytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

// A start-up load serves clients meanwhile, as Redis does: LOADING for
// commands, INFO with how far it got; and a SHUTDOWN then exits without
// saving the half-loaded dataset over the file.
TEST(Persistence, ClientsGetLoadingDuringStartupAndShutdownKeepsTheFile) {
  TempDir dir;
  {
    KvdProcess kvd({"--dir", dir.path, "--save", "", "--enable-debug-command", "yes"});
    auto c = kvd.connect();
    ASSERT_EQ(KvdProcess::command(c.get(), {"DEBUG", "POPULATE", "20000"})->type,
              REDIS_REPLY_STATUS);
    ASSERT_EQ(KvdProcess::command(c.get(), {"SAVE"})->type, REDIS_REPLY_STATUS);
  }
  const std::string before = file_bytes(dir.path + "/dump.rdb");
  ASSERT_FALSE(before.empty());
  {
    // 20,000 keys at 100 us each: two seconds of loading. Save points are
    // set: a normal SHUTDOWN would save.
    KvdProcess kvd({"--dir", dir.path, "--save", "3600 1", "--key-load-delay", "100",
                    "--loading-process-events-interval-bytes", "1024"},
                   "", KvdProcess::Ready::kListening);
    auto c = kvd.connect();
    auto r = KvdProcess::command(c.get(), {"PING"});
    ASSERT_TRUE(r);
    EXPECT_EQ(std::string(r->str, r->len), "LOADING Redis is loading the dataset in memory");
    EXPECT_EQ(info_field(c.get(), "loading"), "1");
    EXPECT_EQ(info_field(c.get(), "loading_total_bytes"), std::to_string(before.size()));
    EXPECT_TRUE(wait_until([&] { return info_field(c.get(), "loading_loaded_bytes") != "0"; }));
    KvdProcess::command(c.get(), {"SHUTDOWN"});
    const int status = kvd.wait_for_exit(std::chrono::seconds(1));
    ASSERT_NE(status, -1) << "still loading";
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  }
  EXPECT_TRUE(file_bytes(dir.path + "/dump.rdb") == before);
  KvdProcess kvd({"--dir", dir.path, "--save", ""});
  auto c = kvd.connect();
  EXPECT_EQ(KvdProcess::command(c.get(), {"DBSIZE"})->integer, 20000);
  EXPECT_EQ(info_field(c.get(), "loading"), "0");
}

// The child reports its progress through a pipe, as Redis's does: keys
// written so far and the memory the parent's writes cost it (copy-on-write).
TEST(Persistence, BgsaveChildReportsKeysAndCopyOnWrite) {
  TempDir dir;
  KvdProcess kvd({"--dir", dir.path, "--save", "", "--enable-debug-command", "yes"});
  auto c = kvd.connect();
  EXPECT_EQ(info_field(c.get(), "current_save_keys_total"), "0");
  EXPECT_EQ(info_field(c.get(), "rdb_last_cow_size"), "0");
  ASSERT_EQ(KvdProcess::command(c.get(), {"DEBUG", "POPULATE", "10000", "key", "500"})->type,
            REDIS_REPLY_STATUS);
  // 10,000 keys at 300 us each: about three seconds of saving.
  KvdProcess::command(c.get(), {"CONFIG", "SET", "rdb-key-save-delay", "300"});
  ASSERT_EQ(KvdProcess::command(c.get(), {"BGSAVE"})->type, REDIS_REPLY_STATUS);
  EXPECT_EQ(info_field(c.get(), "current_save_keys_total"), "10000");
  auto number = [&](const char* f) { return std::stoull("0" + info_field(c.get(), f)); };
  ASSERT_TRUE(wait_until([&] { return number("current_cow_size") > 0; }, std::chrono::seconds(5)));
  const uint64_t cow = number("current_cow_size");
  const uint64_t keys = number("current_save_keys_processed");
  EXPECT_GT(keys, 0u);
  // Rewriting 64 values of 500 bytes dirties at least 8 pages the child
  // still holds the old copies of.
  for (int i = 0; i < 64; ++i)
    KvdProcess::command(c.get(),
                        {"SETRANGE", "key:" + std::to_string(i * 100), "0", std::string(500, 'B')});
  EXPECT_TRUE(wait_until(
      [&] {
        return number("current_cow_size") >= cow + 8 * 4096 &&
               number("current_save_keys_processed") > keys &&
               info_field(c.get(), "current_fork_perc") != "0.00";
      },
      std::chrono::seconds(5)));
  ASSERT_TRUE(wait_until([&] { return info_field(c.get(), "rdb_bgsave_in_progress") == "0"; },
                         std::chrono::seconds(10)));
  EXPECT_EQ(info_field(c.get(), "rdb_last_bgsave_status"), "ok");
  EXPECT_GE(number("rdb_last_cow_size"), cow + 8 * 4096);
  EXPECT_EQ(info_field(c.get(), "current_cow_size"), "0");
  EXPECT_EQ(info_field(c.get(), "current_save_keys_total"), "0");
}

}  // namespace
}  // namespace kvd::itest
