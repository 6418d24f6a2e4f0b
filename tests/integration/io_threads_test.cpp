// Behaviour that must hold whichever thread serves the sockets. The suite runs
// with KVD_TEST_IO_THREADS=1 and =4 (scripts/test); some checks depend on it.
#include <gtest/gtest.h>
#include <hiredis/hiredis.h>

#include <dirent.h>

#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "kvd_process.hpp"

namespace kvd::itest {
namespace {

TEST(IoThreads, InfoReportsTheThreadsAndTheEventLoop) {
  KvdProcess kvd;
  auto c = kvd.connect();
  ASSERT_EQ(KvdProcess::command(c.get(), {"SET", "k", "v"})->type, REDIS_REPLY_STATUS);
  bool threaded = env_io_threads() > 1;
  EXPECT_EQ(info_field(c.get(), "io_threads_active"), threaded ? "1" : "0");
  long reads = std::atol(info_field(c.get(), "io_threaded_reads_processed").c_str());
  long writes = std::atol(info_field(c.get(), "io_threaded_writes_processed").c_str());
  if (threaded) {
    EXPECT_GT(reads, 0);
    EXPECT_GT(writes, 0);
  } else {
    EXPECT_EQ(reads, 0);
    EXPECT_EQ(writes, 0);
  }
  // A cycle ends when the loop finds nothing more to do, which a client
  // pausing between INFOs lets it see.
  EXPECT_TRUE(
      wait_until([&] { return std::atol(info_field(c.get(), "eventloop_cycles").c_str()) > 0; }));
  EXPECT_TRUE(wait_until(
      [&] { return std::atol(info_field(c.get(), "eventloop_duration_sum").c_str()) > 0; }));
  EXPECT_NE(info_field(c.get(), "eventloop_duration_cmd_sum"), "");
  EXPECT_NE(info_field(c.get(), "instantaneous_eventloop_cycles_per_sec"), "");
  EXPECT_NE(info_field(c.get(), "instantaneous_eventloop_duration_usec"), "");
  auto r = KvdProcess::command(c.get(), {"CONFIG", "GET", "io-threads"});
  ASSERT_EQ(r->type, REDIS_REPLY_ARRAY);
  EXPECT_EQ(std::string(r->element[1]->str), std::to_string(env_io_threads()));
}

// Every client pipelines its own sequence; each must come back complete and in
// order, however the clients are spread over threads.
TEST(IoThreads, ManyPipeliningClientsKeepTheirOrder) {
  KvdProcess kvd;
  constexpr int kClients = 20;
  constexpr int kItems = 2000;
  std::vector<std::thread> workers;
  std::vector<int> ok(kClients, 0);
  for (int i = 0; i < kClients; ++i) {
    workers.emplace_back([&, i] {
      auto c = kvd.connect();
      std::string key = "list:" + std::to_string(i);
      for (int j = 0; j < kItems; ++j) {
        redisAppendCommand(c.get(), "RPUSH %s %d", key.c_str(), j);
      }
      for (int j = 0; j < kItems; ++j) {
        void* reply = nullptr;
        if (redisGetReply(c.get(), &reply) != REDIS_OK) return;
        auto* r = static_cast<redisReply*>(reply);
        bool good = r->type == REDIS_REPLY_INTEGER && r->integer == j + 1;
        freeReplyObject(r);
        if (!good) return;
      }
      auto r = KvdProcess::command(c.get(), {"LRANGE", key, "0", "-1"});
      if (!r || r->type != REDIS_REPLY_ARRAY || r->elements != kItems) return;
      for (int j = 0; j < kItems; ++j) {
        if (std::string(r->element[j]->str) != std::to_string(j)) return;
      }
      ok[i] = 1;
    });
  }
  for (auto& w : workers) w.join();
  for (int i = 0; i < kClients; ++i) EXPECT_EQ(ok[i], 1) << "client " << i;
}

TEST(IoThreads, MonitorSeesCommandsOfOtherClients) {
  KvdProcess kvd;
  auto mon = kvd.connect();
  auto r = KvdProcess::command(mon.get(), {"MONITOR"});
  ASSERT_EQ(std::string(r->str), "OK");
  auto c = kvd.connect();
  KvdProcess::command(c.get(), {"SET", "foo", "bar"});
  KvdProcess::command(c.get(), {"GET", "foo"});
  std::vector<std::string> lines;
  for (int i = 0; i < 2; ++i) {
    void* reply = nullptr;
    ASSERT_EQ(redisGetReply(mon.get(), &reply), REDIS_OK);
    auto* rr = static_cast<redisReply*>(reply);
    lines.emplace_back(rr->str, rr->len);
    freeReplyObject(rr);
  }
  EXPECT_NE(lines[0].find("\"SET\" \"foo\" \"bar\""), std::string::npos) << lines[0];
  EXPECT_NE(lines[1].find("\"GET\" \"foo\""), std::string::npos) << lines[1];
  EXPECT_NE(lines[0].find("[0 127.0.0.1:"), std::string::npos) << lines[0];
}

// An idle connection gives back its query buffer after 2 s (as Redis does)
// and is served normally when it speaks again.
TEST(IoThreads, IdleConnectionReturnsItsBufferAndStillServes) {
  KvdProcess kvd;
  auto idle = kvd.connect();
  ASSERT_EQ(KvdProcess::command(idle.get(), {"CLIENT", "SETNAME", "sleeper"})->type,
            REDIS_REPLY_STATUS);
  auto watcher = kvd.connect();
  auto sleeper_line = [&] {
    auto r = KvdProcess::command(watcher.get(), {"CLIENT", "LIST"});
    std::string list(r->str, r->len);
    size_t at = list.find("name=sleeper");
    if (at == std::string::npos) return std::string();
    size_t start = list.rfind('\n', at);
    start = start == std::string::npos ? 0 : start + 1;
    return list.substr(start, list.find('\n', at) - start);
  };
  EXPECT_TRUE(
      wait_until([&] { return sleeper_line().find(" qbuf=0 qbuf-free=0 ") != std::string::npos; },
                 std::chrono::seconds(10)))
      << sleeper_line();
  auto r = KvdProcess::command(idle.get(), {"ECHO", std::string(100000, 'z')});
  ASSERT_TRUE(r);
  EXPECT_EQ(r->len, 100000u);
}

#ifdef __linux__
// utime + stime, in clock ticks, of the process's threads named kvd-io-*.
long io_thread_ticks(pid_t pid, int* threads) {
  long ticks = 0;
  *threads = 0;
  std::string dir = "/proc/" + std::to_string(pid) + "/task";
  DIR* d = opendir(dir.c_str());
  if (!d) return -1;
  while (dirent* e = readdir(d)) {
    if (e->d_name[0] == '.') continue;
    std::ifstream stat(dir + "/" + e->d_name + "/stat");
    std::string line;
    std::getline(stat, line);
    size_t open = line.find('('), close = line.rfind(')');
    if (open == std::string::npos || close == std::string::npos) continue;
    if (line.substr(open + 1, close - open - 1).rfind("kvd-io-", 0) != 0) continue;
    std::istringstream rest(line.substr(close + 2));
    std::string field;
    // Fields after the name: state is #3; utime and stime are #14 and #15.
    for (int i = 3; i <= 15; ++i) {
      rest >> field;
      if (i == 14 || i == 15) ticks += std::atol(field.c_str());
    }
    ++*threads;
  }
  closedir(d);
  return ticks;
}

// Idle I/O threads sleep in their reactor: a spinning thread would burn about
// 100 ticks a second; a sleeping one none. The bound leaves room for noise.
TEST(IoThreads, IdleIoThreadsSleep) {
  if (env_io_threads() <= 1) GTEST_SKIP() << "no I/O threads in this run";
  KvdProcess kvd;
  auto c = kvd.connect();  // an idle connection held open
  ASSERT_EQ(KvdProcess::command(c.get(), {"PING"})->type, REDIS_REPLY_STATUS);
  int threads = 0;
  long before = io_thread_ticks(kvd.pid(), &threads);
  EXPECT_EQ(threads, env_io_threads() - 1);
  // A measurement window, not a synchronisation: CPU time is counted over it.
  std::this_thread::sleep_for(std::chrono::seconds(1));
  long after = io_thread_ticks(kvd.pid(), &threads);
  EXPECT_LE(after - before, 5);
}
#endif

}  // namespace
}  // namespace kvd::itest
