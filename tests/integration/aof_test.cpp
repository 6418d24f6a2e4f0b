// The append-only file with a real server: restarts, kill -9 under
// appendfsync always, torn tails, BGREWRITEAOF, CONFIG SET appendonly, and
// files exchanged with redis-server 7.0 and checked by redis-check-aof.
#include <dirent.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "kvd_process.hpp"

namespace kvd::itest {
namespace {

struct AofDir {
  std::string path;
  AofDir() {
    char tmpl[] = "/tmp/kvd-aof-itest-XXXXXX";
    const char* d = ::mkdtemp(tmpl);
    path = d ? d : "";
  }
  ~AofDir() { remove_tree(path); }
  static void remove_tree(const std::string& p) {
    if (DIR* d = ::opendir(p.c_str())) {
      while (dirent* e = ::readdir(d)) {
        std::string n = e->d_name;
        if (n == "." || n == "..") continue;
        std::string full = p + "/" + n;
        struct stat sb {};
        if (::lstat(full.c_str(), &sb) == 0 && S_ISDIR(sb.st_mode)) {
          remove_tree(full);
        } else {
          ::unlink(full.c_str());
        }
      }
      ::closedir(d);
    }
    ::rmdir(p.c_str());
  }
  std::string aof_dir() const { return path + "/appendonlydir"; }
  std::vector<std::string> files() const {
    std::vector<std::string> out;
    if (DIR* d = ::opendir(aof_dir().c_str())) {
      while (dirent* e = ::readdir(d)) {
        std::string n = e->d_name;
        if (n != "." && n != "..") out.push_back(n);
      }
      ::closedir(d);
    }
    std::sort(out.begin(), out.end());
    return out;
  }
  std::string manifest() const { return read(aof_dir() + "/appendonly.aof.manifest"); }
  static std::string read(const std::string& file) {
    std::ifstream in(file, std::ios::binary);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
  }
};

std::vector<std::string> aof_args(const AofDir& dir, const std::string& fsync = "everysec") {
  return {"--dir",
          dir.path,
          "--save",
          "",
          "--appendonly",
          "yes",
          "--appendfsync",
          fsync,
          "--enable-debug-command",
          "yes"};
}

std::string str(const ReplyPtr& r) {
  if (!r) return "<no reply>";
  if (r->type == REDIS_REPLY_STRING || r->type == REDIS_REPLY_STATUS ||
      r->type == REDIS_REPLY_ERROR)
    return std::string(r->str, r->len);
  if (r->type == REDIS_REPLY_INTEGER) return std::to_string(r->integer);
  if (r->type == REDIS_REPLY_NIL) return "<nil>";
  return "<array>";
}

// Every type, expiries, a function library and a second database.
void fill_dataset(redisContext* c) {
  for (const std::vector<std::string>& cmd : std::vector<std::vector<std::string>>{
           {"SET", "str", "hello"},
           {"SET", "int", "12345"},
           {"SET", "ttl", "v", "EX", "1000"},
           {"RPUSH", "list", "a", "b", "c"},
           {"HSET", "hash", "f1", "v1", "f2", "v2"},
           {"SADD", "set", "x", "y", "z"},
           {"SADD", "intset", "1", "2", "3"},
           {"ZADD", "zset", "1", "one", "2.5", "two"},
           {"XADD", "stream", "*", "field", "value"},
           {"XGROUP", "CREATE", "stream", "grp", "0"},
           {"PFADD", "hll", "a", "b", "c"},
           {"SETBIT", "bits", "100", "1"},
           {"INCRBYFLOAT", "float", "1.25"},
           {"SPOP", "set"},
           {"EXPIRE", "list", "500"},
           {"FUNCTION", "LOAD",
            "#!lua name=mylib\nredis.register_function('myfunc', function(keys, args) return 42 "
            "end)"},
           {"EVAL", "redis.call('incr', KEYS[1]); redis.call('incr', KEYS[1])", "1", "counter"},
           {"SELECT", "9"},
           {"SET", "in9", "nine"},
           {"SELECT", "0"},
       }) {
    auto r = KvdProcess::command(c, cmd);
    ASSERT_TRUE(r && r->type != REDIS_REPLY_ERROR) << cmd[0] << ": " << str(r);
  }
}

std::string digest(redisContext* c) {
  return str(KvdProcess::command(c, {"DEBUG", "DIGEST"}));
}

bool have(const char* path) {
  return ::access(path, X_OK) == 0;
}

TEST(Aof, StartCreatesBaseIncrAndManifestAndRestartKeepsEveryType) {
  AofDir dir;
  std::string before;
  {
    KvdProcess kvd(aof_args(dir));
    auto c = kvd.connect();
    fill_dataset(c.get());
    before = digest(c.get());
    EXPECT_EQ(info_field(c.get(), "aof_enabled"), "1");
    EXPECT_EQ(kvd.stop(), 0);
  }
  EXPECT_EQ(dir.manifest(),
            "file appendonly.aof.1.base.rdb seq 1 type b\n"
            "file appendonly.aof.1.incr.aof seq 1 type i\n");
  const std::string incr = AofDir::read(dir.aof_dir() + "/appendonly.aof.1.incr.aof");
  // Relative expiries are written as absolute ones.
  EXPECT_NE(incr.find("PEXPIREAT"), std::string::npos);
  EXPECT_NE(incr.find("PXAT"), std::string::npos);
  EXPECT_EQ(incr.find("SPOP"), std::string::npos);
  EXPECT_EQ(incr.find("EVAL"), std::string::npos);

  KvdProcess kvd(aof_args(dir));
  auto c = kvd.connect();
  EXPECT_EQ(digest(c.get()), before);
  EXPECT_EQ(str(KvdProcess::command(c.get(), {"FCALL", "myfunc", "0"})), "42");
  EXPECT_GT(KvdProcess::command(c.get(), {"TTL", "ttl"})->integer, 990);
  EXPECT_EQ(str(KvdProcess::command(c.get(), {"GET", "counter"})), "2");
}

// Replies wait for the write of what they answer (and under `always` for
// its fsync): a server killed at any moment has every acknowledged write.
TEST(Aof, KillDashNineLosesNothingAcknowledged) {
  AofDir dir;
  constexpr int kClients = 4;
  std::vector<std::atomic<int64_t>> acked(kClients);
  for (int round = 0; round < 4; ++round) {
    const std::string fsync = round % 2 ? "everysec" : "always";
    KvdProcess kvd(aof_args(dir, fsync));
    std::atomic<bool> stop{false};
    std::vector<std::thread> threads;
    for (int t = 0; t < kClients; ++t) {
      threads.emplace_back([&, t] {
        auto c = kvd.connect();
        const std::string key = "counter:" + std::to_string(t);
        while (!stop.load()) {
          auto r = KvdProcess::command(c.get(), {"INCR", key});
          if (!r || r->type != REDIS_REPLY_INTEGER) return;  // the server died
          acked[t].store(r->integer);
        }
      });
    }
    // Let them write for a while, then kill the server with no warning.
    ASSERT_TRUE(wait_until([&] { return acked[kClients - 1] > (round + 1) * 50; }));
    ::kill(kvd.pid(), SIGKILL);
    for (auto& th : threads) th.join();
    stop = true;
    kvd.stop();

    KvdProcess again(aof_args(dir, fsync));
    auto c = again.connect();
    for (int t = 0; t < kClients; ++t) {
      auto r = KvdProcess::command(c.get(), {"GET", "counter:" + std::to_string(t)});
      ASSERT_EQ(r->type, REDIS_REPLY_STRING);
      const int64_t stored = std::stoll(r->str);
      // Every acknowledged increment is there; at most the one in flight
      // when the server died is there unacknowledged.
      EXPECT_GE(stored, acked[t].load()) << fsync << " round " << round << " client " << t;
      EXPECT_LE(stored, acked[t].load() + 1) << "round " << round << " client " << t;
      acked[t].store(stored);
    }
    again.stop();
  }
}

void append_to(const std::string& file, const std::string& bytes) {
  std::ofstream out(file, std::ios::binary | std::ios::app);
  out << bytes;
}

TEST(Aof, TornTailIsCutWithLoadTruncatedYesAndRefusedWithNo) {
  AofDir dir;
  {
    KvdProcess kvd(aof_args(dir));
    auto c = kvd.connect();
    KvdProcess::command(c.get(), {"SET", "a", "1"});
    KvdProcess::command(c.get(), {"SET", "b", "2"});
    EXPECT_EQ(kvd.stop(), 0);
  }
  const std::string incr = dir.aof_dir() + "/appendonly.aof.1.incr.aof";
  const size_t good_size = AofDir::read(incr).size();
  append_to(incr, "*3\r\n$3\r\nSET\r\n$1\r\nc\r\n$3\r\n12");  // cut mid-argument

  std::vector<std::string> refuse = aof_args(dir);
  refuse.insert(refuse.end(), {"--aof-load-truncated", "no"});
  EXPECT_THROW(KvdProcess{refuse}, std::runtime_error);
  EXPECT_GT(AofDir::read(incr).size(), good_size);  // left alone

  KvdProcess kvd(aof_args(dir));
  auto c = kvd.connect();
  EXPECT_EQ(str(KvdProcess::command(c.get(), {"GET", "b"})), "2");
  EXPECT_EQ(str(KvdProcess::command(c.get(), {"EXISTS", "c"})), "0");
  EXPECT_EQ(AofDir::read(incr).size(), good_size);  // the torn command was cut off
  // Writes go on after the cut, and load again.
  KvdProcess::command(c.get(), {"SET", "c", "3"});
  EXPECT_EQ(kvd.stop(), 0);
  KvdProcess again(aof_args(dir));
  auto c2 = again.connect();
  EXPECT_EQ(str(KvdProcess::command(c2.get(), {"GET", "c"})), "3");
}

TEST(Aof, DamagedManifestIsRefused) {
  AofDir dir;
  {
    KvdProcess kvd(aof_args(dir));
    EXPECT_EQ(kvd.stop(), 0);
  }
  std::ofstream(dir.aof_dir() + "/appendonly.aof.manifest") << "file x seq 1\n";
  EXPECT_THROW(KvdProcess{aof_args(dir)}, std::runtime_error);
}

TEST(Aof, BgrewriteaofWritesANewBaseAndDeletesTheHistory) {
  AofDir dir;
  KvdProcess kvd(aof_args(dir));
  auto c = kvd.connect();
  fill_dataset(c.get());
  for (int i = 0; i < 200; ++i) KvdProcess::command(c.get(), {"INCR", "n"});
  const std::string before = digest(c.get());
  EXPECT_EQ(str(KvdProcess::command(c.get(), {"BGREWRITEAOF"})),
            "Background append only file rewriting started");
  ASSERT_TRUE(wait_until([&] {
    return info_field(c.get(), "aof_rewrites") == "1" &&
           info_field(c.get(), "aof_rewrite_in_progress") == "0" &&
           info_field(c.get(), "aof_last_bgrewrite_status") == "ok" &&
           dir.manifest().find("seq 2 type b") != std::string::npos;
  }));
  EXPECT_EQ(dir.manifest(),
            "file appendonly.aof.2.base.rdb seq 2 type b\n"
            "file appendonly.aof.2.incr.aof seq 2 type i\n");
  EXPECT_EQ(dir.files(),
            (std::vector<std::string>{"appendonly.aof.2.base.rdb", "appendonly.aof.2.incr.aof",
                                      "appendonly.aof.manifest"}));
  KvdProcess::command(c.get(), {"SET", "after", "rewrite"});
  EXPECT_EQ(str(KvdProcess::command(c.get(), {"DEBUG", "LOADAOF"})), "OK");
  EXPECT_EQ(str(KvdProcess::command(c.get(), {"GET", "after"})), "rewrite");
  KvdProcess::command(c.get(), {"DEL", "after"});
  EXPECT_EQ(digest(c.get()), before);
  EXPECT_EQ(kvd.stop(), 0);
  KvdProcess again(aof_args(dir));
  auto c2 = again.connect();
  EXPECT_EQ(digest(c2.get()), before);
}

TEST(Aof, PreambleOffWritesACommandBase) {
  AofDir dir;
  std::vector<std::string> args = aof_args(dir);
  args.insert(args.end(), {"--aof-use-rdb-preamble", "no"});
  std::string before;
  {
    KvdProcess kvd(args);
    auto c = kvd.connect();
    fill_dataset(c.get());
    before = digest(c.get());
    KvdProcess::command(c.get(), {"BGREWRITEAOF"});
    ASSERT_TRUE(
        wait_until([&] { return dir.manifest().find("seq 2 type b") != std::string::npos; }));
    EXPECT_EQ(kvd.stop(), 0);
  }
  EXPECT_NE(dir.manifest().find("appendonly.aof.2.base.aof"), std::string::npos);
  KvdProcess kvd(args);
  auto c = kvd.connect();
  EXPECT_EQ(digest(c.get()), before);
}

TEST(Aof, ConfigSetAppendonlyAtRuntimeWritesTheBaseFirst) {
  AofDir dir;
  std::string before;
  {
    KvdProcess kvd({"--dir", dir.path, "--save", "", "--enable-debug-command", "yes"});
    auto c = kvd.connect();
    fill_dataset(c.get());
    EXPECT_EQ(info_field(c.get(), "aof_enabled"), "0");
    EXPECT_EQ(str(KvdProcess::command(c.get(), {"CONFIG", "SET", "appendonly", "yes"})), "OK");
    ASSERT_TRUE(wait_until([&] {
      return info_field(c.get(), "aof_rewrite_in_progress") == "0" &&
             dir.manifest().find("type b") != std::string::npos;
    }));
    EXPECT_EQ(info_field(c.get(), "aof_enabled"), "1");
    KvdProcess::command(c.get(), {"SET", "later", "x"});
    before = digest(c.get());
    EXPECT_EQ(kvd.stop(), 0);
  }
  KvdProcess kvd(aof_args(dir));
  auto c = kvd.connect();
  EXPECT_EQ(digest(c.get()), before);
  // And off again: writes stop reaching the file.
  EXPECT_EQ(str(KvdProcess::command(c.get(), {"CONFIG", "SET", "appendonly", "no"})), "OK");
  EXPECT_EQ(info_field(c.get(), "aof_enabled"), "0");
}

// redis-server 7.0 on a free port over a directory, stopped by PID.
class RedisServer {
 public:
  explicit RedisServer(const std::string& dir) {
    port_ = free_port();
    pid_ = ::fork();
    if (pid_ == 0) {
      prctl(PR_SET_PDEATHSIG, SIGTERM);
      int fd = ::open((dir + "/redis.log").c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
      if (fd >= 0) {
        dup2(fd, STDOUT_FILENO);
        dup2(fd, STDERR_FILENO);
        ::close(fd);
      }
      const std::string port = std::to_string(port_);
      execl("/usr/bin/redis-server", "redis-server", "--port", port.c_str(), "--bind", "127.0.0.1",
            "--dir", dir.c_str(), "--save", "", "--appendonly", "yes", "--daemonize", "no",
            "--enable-debug-command", "yes", static_cast<char*>(nullptr));
      _exit(127);
    }
    // Up once it answers PING (not -LOADING).
    up_ = wait_until([&] {
      RedisPtr c = connect();
      if (!c || c->err) return false;
      auto r = KvdProcess::command(c.get(), {"PING"});
      return r && r->type == REDIS_REPLY_STATUS;
    });
  }
  ~RedisServer() { stop(); }
  bool up() const { return up_; }
  RedisPtr connect() const {
    timeval tv{5, 0};
    return RedisPtr(redisConnectWithTimeout("127.0.0.1", port_, tv), redisFree);
  }
  void stop() {
    if (pid_ <= 0) return;
    ::kill(pid_, SIGTERM);
    int status = 0;
    if (!wait_until([&] { return waitpid(pid_, &status, WNOHANG) == pid_; })) {
      ::kill(pid_, SIGKILL);
      waitpid(pid_, &status, 0);
    }
    pid_ = -1;
  }

 private:
  int port_ = 0;
  pid_t pid_ = -1;
  bool up_ = false;
};

TEST(Aof, RedisServerLoadsKvdFilesAndKvdLoadsRedisServerFiles) {
  if (!have("/usr/bin/redis-server")) GTEST_SKIP() << "redis-server is not installed";
  AofDir dir;
  std::string kvd_digest;
  {
    KvdProcess kvd(aof_args(dir));
    auto c = kvd.connect();
    fill_dataset(c.get());
    kvd_digest = digest(c.get());
    EXPECT_EQ(kvd.stop(), 0);
  }
  std::string redis_digest;
  {
    RedisServer redis(dir.path);
    ASSERT_TRUE(redis.up());
    auto c = redis.connect();
    EXPECT_EQ(digest(c.get()), kvd_digest);
    auto r = KvdProcess::command(c.get(), {"FCALL", "myfunc", "0"});
    EXPECT_EQ(str(r), "42");
    // redis-server appends its own commands and rewrites; kvd reads both.
    KvdProcess::command(c.get(), {"SET", "from-redis", "1", "EX", "1000"});
    KvdProcess::command(c.get(), {"LPUSH", "list", "z"});
    KvdProcess::command(c.get(), {"BGREWRITEAOF"});
    ASSERT_TRUE(
        wait_until([&] { return dir.manifest().find("seq 2 type b") != std::string::npos; }));
    KvdProcess::command(c.get(), {"HSET", "hash", "f3", "v3"});
    redis_digest = digest(c.get());
    redis.stop();
  }
  KvdProcess kvd(aof_args(dir));
  auto c = kvd.connect();
  EXPECT_EQ(digest(c.get()), redis_digest);
}

TEST(Aof, RedisCheckAofAcceptsKvdFiles) {
  if (!have("/usr/bin/redis-check-aof")) GTEST_SKIP() << "redis-check-aof is not installed";
  for (const char* preamble : {"yes", "no"}) {
    AofDir dir;
    std::vector<std::string> args = aof_args(dir);
    args.insert(args.end(), {"--aof-use-rdb-preamble", preamble, "--aof-timestamp-enabled", "yes"});
    KvdProcess kvd(args);
    auto c = kvd.connect();
    fill_dataset(c.get());
    KvdProcess::command(c.get(), {"BGREWRITEAOF"});
    ASSERT_TRUE(wait_until([&] {
      return info_field(c.get(), "aof_rewrite_in_progress") == "0" &&
             info_field(c.get(), "aof_rewrites") == "1";
    }));
    KvdProcess::command(c.get(), {"SET", "after", "1", "PX", "100000"});
    KvdProcess::command(c.get(), {"RPUSH", "list", "d"});
    EXPECT_EQ(kvd.stop(), 0);
    const std::string cmd = "/usr/bin/redis-check-aof " + dir.aof_dir() +
                            "/appendonly.aof.manifest > " + dir.path + "/check.log 2>&1";
    EXPECT_EQ(std::system(cmd.c_str()), 0) << AofDir::read(dir.path + "/check.log");
    EXPECT_NE(AofDir::read(dir.path + "/check.log").find("All AOF files and manifest are valid"),
              std::string::npos);
  }
}

}  // namespace
}  // namespace kvd::itest
