// Crash safety with a real server: kill -9 while a BGSAVE child writes,
// while a rewrite child writes, and in the middle of writes never leaves a
// file that kvd (or redis-check-*) cannot load, and never loses a write
// acknowledged under appendfsync always. Also the pre-7.0 AOF upgrade and
// the LOADING reply.
#include <dirent.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "kvd_process.hpp"

namespace kvd::itest {
namespace {

struct TempDir {
  std::string path;
  TempDir() {
    char tmpl[] = "/tmp/kvd-durability-XXXXXX";
    const char* d = ::mkdtemp(tmpl);
    path = d ? d : "";
  }
  ~TempDir() { remove_tree(path); }
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
};

std::string read_file(const std::string& file) {
  std::ifstream in(file, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

bool exists(const std::string& path) {
  struct stat sb {};
  return ::stat(path.c_str(), &sb) == 0;
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

// The server and its fork child (a BGSAVE or rewrite), both killed at once
// with no warning, as a power cut would.
void kill_dash_nine_with_child(pid_t server) {
  const std::string children = read_file("/proc/" + std::to_string(server) + "/task/" +
                                         std::to_string(server) + "/children");
  ::kill(server, SIGKILL);
  std::istringstream in(children);
  pid_t child;
  while (in >> child) ::kill(child, SIGKILL);
}

std::vector<std::string> args(const TempDir& dir, bool aof, const std::string& fsync = "always") {
  return {"--dir",
          dir.path,
          "--save",
          "",
          "--appendonly",
          aof ? "yes" : "no",
          "--appendfsync",
          fsync,
          "--enable-debug-command",
          "yes"};
}

void must(redisContext* c, const std::vector<std::string>& cmd) {
  auto r = KvdProcess::command(c, cmd);
  ASSERT_TRUE(r && r->type != REDIS_REPLY_ERROR) << cmd[0] << ": " << str(r);
}

void tool_accepts(const std::string& tool, const std::string& file) {
  if (::access(tool.c_str(), X_OK) != 0) return;  // the tool is optional
  const std::string cmd = tool + " '" + file + "' > /dev/null 2>&1";
  EXPECT_EQ(std::system(cmd.c_str()), 0) << tool << " refused " << file;
}

// A BGSAVE killed half-way leaves the previous snapshot whole: the child
// writes a temp file and renames it only when complete.
TEST(Durability, KillDashNineDuringBgsaveKeepsThePreviousSnapshot) {
  TempDir dir;
  {
    KvdProcess kvd(args(dir, false));
    auto c = kvd.connect();
    must(c.get(), {"SET", "saved", "before"});
    must(c.get(), {"SAVE"});
    must(c.get(), {"DEBUG", "POPULATE", "2000"});
    must(c.get(), {"CONFIG", "SET", "rdb-key-save-delay", "1000"});  // ~2 s of child work
    must(c.get(), {"BGSAVE"});
    ASSERT_TRUE(wait_until([&] { return info_field(c.get(), "rdb_bgsave_in_progress") == "1"; }));
    kill_dash_nine_with_child(kvd.pid());
    kvd.stop();
  }
  tool_accepts("/usr/bin/redis-check-rdb", dir.path + "/dump.rdb");
  KvdProcess again(args(dir, false));
  auto c = again.connect();
  EXPECT_EQ(str(KvdProcess::command(c.get(), {"GET", "saved"})), "before");
  EXPECT_EQ(str(KvdProcess::command(c.get(), {"DBSIZE"})), "1");
}

// A rewrite killed half-way: the manifest still names the old base and the
// incr files, and every write acknowledged before and during the rewrite is
// there after a restart.
TEST(Durability, KillDashNineDuringRewriteLosesNothingAcknowledged) {
  TempDir dir;
  int64_t acked = 0;
  {
    KvdProcess kvd(args(dir, true));
    auto c = kvd.connect();
    // Written through the AOF (DEBUG POPULATE is not logged, as in Redis).
    std::vector<std::string> mset{"MSET"};
    for (int i = 0; i < 2000; ++i) {
      mset.push_back("key:" + std::to_string(i));
      mset.push_back("value:" + std::to_string(i));
    }
    must(c.get(), mset);
    must(c.get(), {"CONFIG", "SET", "rdb-key-save-delay", "1000"});
    must(c.get(), {"BGREWRITEAOF"});
    ASSERT_TRUE(wait_until([&] { return info_field(c.get(), "aof_rewrite_in_progress") == "1"; }));
    for (int i = 0; i < 200; ++i) {
      auto r = KvdProcess::command(c.get(), {"INCR", "during"});
      ASSERT_EQ(r->type, REDIS_REPLY_INTEGER);
      acked = r->integer;
    }
    kill_dash_nine_with_child(kvd.pid());
    kvd.stop();
  }
  tool_accepts("/usr/bin/redis-check-aof", dir.path + "/appendonlydir/appendonly.aof.manifest");
  KvdProcess again(args(dir, true));
  auto c = again.connect();
  EXPECT_EQ(str(KvdProcess::command(c.get(), {"GET", "during"})), std::to_string(acked));
  EXPECT_EQ(str(KvdProcess::command(c.get(), {"DBSIZE"})), "2001");
}

// Big values make a kill inside a write(2) likely: the torn tail is cut at
// load (aof-load-truncated yes) and nothing acknowledged is missing.
TEST(Durability, KillDashNineMidWriteLosesNothingAcknowledged) {
  TempDir dir;
  constexpr int kClients = 4;
  std::vector<std::atomic<int64_t>> acked(kClients);
  {
    KvdProcess kvd(args(dir, true));
    std::vector<std::thread> threads;
    for (int t = 0; t < kClients; ++t) {
      threads.emplace_back([&, t] {
        auto c = kvd.connect();
        const std::string big(32 * 1024 + t, 'x');
        for (int64_t i = 1;; ++i) {
          auto r = KvdProcess::command(
              c.get(), {"SET", "k:" + std::to_string(t) + ":" + std::to_string(i), big});
          if (!r || r->type != REDIS_REPLY_STATUS) return;  // the server died
          acked[t].store(i);
        }
      });
    }
    ASSERT_TRUE(wait_until([&] { return acked[kClients - 1] > 100; }));
    ::kill(kvd.pid(), SIGKILL);
    for (auto& th : threads) th.join();
    kvd.stop();
  }
  // A torn last command is expected here; redis-check-aof (without --fix)
  // rejects it, and kvd, like redis-server with aof-load-truncated yes, cuts
  // it at load. The file is clean after that.
  KvdProcess again(args(dir, true));
  auto c = again.connect();
  for (int t = 0; t < kClients; ++t) {
    const int64_t last = acked[t].load();
    EXPECT_EQ(str(KvdProcess::command(
                  c.get(), {"EXISTS", "k:" + std::to_string(t) + ":" + std::to_string(last)})),
              "1")
        << "client " << t << " write " << last;
  }
  EXPECT_EQ(again.stop(), 0);
  tool_accepts("/usr/bin/redis-check-aof", dir.path + "/appendonlydir/appendonly.aof.manifest");
}

// A pre-7.0 appendonly.aof in dir becomes base 1 of a new appendonlydir.
TEST(Durability, UpgradesAPreSevenAppendOnlyFile) {
  TempDir dir;
  {
    std::ofstream out(dir.path + "/appendonly.aof", std::ios::binary);
    out << "*3\r\n$3\r\nSET\r\n$2\r\nk1\r\n$2\r\nv1\r\n"
        << "*3\r\n$3\r\nSET\r\n$2\r\nk2\r\n$2\r\nv2\r\n";
  }
  KvdProcess kvd(args(dir, true, "everysec"));
  auto c = kvd.connect();
  EXPECT_EQ(str(KvdProcess::command(c.get(), {"GET", "k1"})), "v1");
  EXPECT_EQ(str(KvdProcess::command(c.get(), {"GET", "k2"})), "v2");
  EXPECT_FALSE(exists(dir.path + "/appendonly.aof"));
  EXPECT_TRUE(exists(dir.path + "/appendonlydir/appendonly.aof"));
  EXPECT_EQ(read_file(dir.path + "/appendonlydir/appendonly.aof.manifest"),
            "file appendonly.aof seq 1 type b\n"
            "file appendonly.aof.1.incr.aof seq 1 type i\n");
  must(c.get(), {"SET", "k3", "v3"});
  must(c.get(), {"BGREWRITEAOF"});
  ASSERT_TRUE(wait_until([&] {
    return read_file(dir.path + "/appendonlydir/appendonly.aof.manifest")
               .find("appendonly.aof.2.base.rdb") != std::string::npos;
  }));
  // The old base became history, which a rewrite deletes.
  EXPECT_TRUE(wait_until([&] { return !exists(dir.path + "/appendonlydir/appendonly.aof"); }));
}

// While the AOF is being loaded (here: DEBUG LOADAOF replaying a slow
// script, which lets the loop serve clients), others get LOADING.
TEST(Durability, ClientsGetLoadingWhileTheAofLoads) {
  TempDir dir;
  KvdProcess kvd(args(dir, true, "everysec"));
  auto c = kvd.connect();
  must(c.get(), {"CONFIG", "SET", "lua-time-limit", "1"});
  // Long enough that a PING lands while it runs; a sanitizer build runs
  // scripts about ten times slower, and the client would time out first.
#ifdef __SANITIZE_ADDRESS__
  const std::string loops = "400000";
#else
  const std::string loops = "3000000";
#endif
  const std::string body =
      "redis.call('set',KEYS[1],'y'); for i=1," + loops + " do redis.call('ping') end return 'ok'";
  must(c.get(), {"EVAL", body, "1", "x"});
  // Scripts reach the AOF as their effects; replace the incr file with the
  // script itself so that loading runs it.
  const std::string incr = dir.path + "/appendonlydir/appendonly.aof.1.incr.aof";
  {
    std::ofstream out(incr, std::ios::binary | std::ios::trunc);
    out << "*4\r\n$4\r\nEVAL\r\n$" << body.size() << "\r\n" << body << "\r\n$1\r\n1\r\n$1\r\nx\r\n";
  }
  int fd = kvd.raw_socket();
  ASSERT_GE(fd, 0);
  ASSERT_TRUE(write_all(fd, "*2\r\n$5\r\nDEBUG\r\n$7\r\nLOADAOF\r\n"));
  auto other = kvd.connect();
  bool saw_loading = false;
  ASSERT_TRUE(wait_until([&] {
    auto r = KvdProcess::command(other.get(), {"PING"});
    saw_loading = r && r->type == REDIS_REPLY_ERROR &&
                  str(r) == "LOADING Redis is loading the dataset in memory";
    return saw_loading;
  }));
  EXPECT_EQ(read_exact(fd, 5), "+OK\r\n");
  ::close(fd);
  EXPECT_EQ(str(KvdProcess::command(other.get(), {"GET", "x"})), "y");
}

}  // namespace
}  // namespace kvd::itest
