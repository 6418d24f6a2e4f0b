// FAILOVER with real processes: a kvd master hands its role to one of its
// kvd replicas without losing a write, and the ways it refuses, times out
// or is aborted. A replica is held behind with SIGSTOP where a test needs
// one that cannot catch up. Every check waits on a condition with a deadline.
#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

#include <filesystem>
#include <string>
#include <vector>

#include "kvd_process.hpp"

namespace kvd::itest {
namespace {

struct TempDir {
  std::string path;
  TempDir() {
    char tmpl[] = "/tmp/kvd-failover-itest-XXXXXX";
    const char* d = ::mkdtemp(tmpl);
    path = d ? d : "";
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path, ec);
  }
};

// Holds a process stopped (SIGSTOP) and lets it go again on scope exit, so
// the process's own destructor can still stop it.
class Frozen {
 public:
  explicit Frozen(pid_t pid) : pid_(pid) { ::kill(pid_, SIGSTOP); }
  ~Frozen() { thaw(); }
  void thaw() {
    if (pid_ > 0) ::kill(pid_, SIGCONT);
    pid_ = -1;
  }

 private:
  pid_t pid_;
};

using Cmd = std::vector<std::string>;

ReplyPtr run(redisContext* c, const Cmd& args) {
  return KvdProcess::command(c, args);
}

std::string str(const ReplyPtr& r) {
  if (!r) return "<no reply>";
  if (r->type == REDIS_REPLY_INTEGER) return std::to_string(r->integer);
  if (r->str) return std::string(r->str, r->len);
  return "";
}

std::string digest(redisContext* c) {
  return str(run(c, {"DEBUG", "DIGEST"}));
}

bool converge(redisContext* a, redisContext* b) {
  return wait_until([&] { return digest(a) == digest(b); }, std::chrono::seconds(5));
}

std::vector<std::string> args_in(const TempDir& d, std::vector<std::string> more = {}) {
  std::vector<std::string> a{
      "--dir", d.path, "--save", "", "--enable-debug-command", "yes", "--repl-diskless-sync-delay",
      "0"};
  a.insert(a.end(), more.begin(), more.end());
  return a;
}

std::vector<std::string> replica_of(const TempDir& d, const KvdProcess& m) {
  return args_in(d, {"--replicaof", "127.0.0.1 " + std::to_string(m.port())});
}

std::string state(redisContext* c) {
  return info_field(c, "master_failover_state");
}

// A master with two replicas, both linked and holding the master's data.
struct Trio {
  TempDir md, ad, bd;
  KvdProcess master{args_in(md)};
  RedisPtr m = master.connect();
  KvdProcess a{replica_of(ad, master)};
  KvdProcess b{replica_of(bd, master)};
  RedisPtr ac = a.connect();
  RedisPtr bc = b.connect();

  bool ready() {
    for (int i = 0; i < 200; ++i) run(m.get(), {"SET", "k" + std::to_string(i), "v"});
    run(m.get(), {"RPUSH", "list", "a", "b"});
    return wait_until([&] { return info_field(m.get(), "connected_slaves") == "2"; }) &&
           str(run(m.get(), {"WAIT", "2", "5000"})) == "2";
  }
};

TEST(Failover, HandsTheRoleToACaughtUpReplicaWithoutLosingWrites) {
  Trio t;
  ASSERT_TRUE(t.ready());
  EXPECT_EQ(state(t.m.get()), "no-failover");
  EXPECT_EQ(str(run(t.m.get(), {"FAILOVER"})), "OK");
  // One replica becomes the master; the old master follows it.
  redisContext* promoted = nullptr;
  redisContext* other = nullptr;
  ASSERT_TRUE(wait_until([&] {
    if (info_field(t.ac.get(), "role") == "master") promoted = t.ac.get(), other = t.bc.get();
    if (info_field(t.bc.get(), "role") == "master") promoted = t.bc.get(), other = t.ac.get();
    return promoted != nullptr;
  }));
  ASSERT_TRUE(wait_until([&] {
    return info_field(t.m.get(), "role") == "slave" &&
           info_field(t.m.get(), "master_link_status") == "up";
  }));
  EXPECT_EQ(state(t.m.get()), "no-failover");
  // The old master continued from the new one's backlog: no full sync.
  EXPECT_EQ(info_field(promoted, "sync_partial_ok"), "1");
  EXPECT_EQ(info_field(promoted, "sync_full"), "0");
  EXPECT_EQ(str(run(t.m.get(), {"SET", "x", "1"})).rfind("READONLY", 0), 0u);
  // Writes on the new master reach the old master and the other replica
  // (which now follows the old master, a chain).
  EXPECT_EQ(str(run(promoted, {"SET", "after", "failover"})), "OK");
  EXPECT_TRUE(converge(promoted, t.m.get()));
  EXPECT_TRUE(converge(promoted, other));
  EXPECT_EQ(str(run(t.m.get(), {"GET", "after"})), "failover");
  EXPECT_EQ(str(run(t.m.get(), {"LLEN", "list"})), "2");
}

TEST(Failover, ToANamedReplicaAndTheErrors) {
  Trio t;
  ASSERT_TRUE(t.ready());
  const std::string bport = std::to_string(t.b.port());
  EXPECT_EQ(str(run(t.ac.get(), {"FAILOVER"})),
            "ERR FAILOVER is not valid when server is a replica.");
  EXPECT_EQ(str(run(t.m.get(), {"FAILOVER", "ABORT"})), "ERR No failover in progress.");
  EXPECT_EQ(str(run(t.m.get(), {"FAILOVER", "TO", "127.0.0.1", "1"})),
            "ERR FAILOVER target HOST and PORT is not a replica.");
  EXPECT_EQ(str(run(t.m.get(), {"FAILOVER", "TO", "127.0.0.1", bport, "FORCE"})),
            "ERR FAILOVER with force option requires both a timeout and target HOST and IP.");
  EXPECT_EQ(str(run(t.m.get(), {"FAILOVER", "TIMEOUT", "0"})),
            "ERR FAILOVER timeout must be greater than 0");
  EXPECT_EQ(str(run(t.m.get(), {"FAILOVER", "BOGUS"})), "ERR syntax error");
  EXPECT_EQ(str(run(t.m.get(), {"FAILOVER", "TO", "127.0.0.1", bport})), "OK");
  ASSERT_TRUE(wait_until([&] { return info_field(t.bc.get(), "role") == "master"; }));
  ASSERT_TRUE(wait_until([&] {
    return info_field(t.m.get(), "master_port") == bport &&
           info_field(t.m.get(), "master_link_status") == "up";
  }));
  EXPECT_EQ(info_field(t.ac.get(), "role"), "slave");
  EXPECT_EQ(str(run(t.bc.get(), {"SET", "on-b", "1"})), "OK");
  EXPECT_TRUE(converge(t.bc.get(), t.m.get()));
}

TEST(Failover, PausesWritesAndGivesUpWhenNoReplicaCatchesUp) {
  TempDir md, rd;
  KvdProcess master(args_in(md));
  auto m = master.connect();
  KvdProcess replica(replica_of(rd, master));
  auto r = replica.connect();
  ASSERT_TRUE(wait_until([&] { return info_field(r.get(), "master_link_status") == "up"; }));
  ASSERT_EQ(str(run(m.get(), {"WAIT", "1", "5000"})), "1");

  Frozen frozen(replica.pid());
  run(m.get(), {"SET", "behind", "1"});  // the replica cannot acknowledge this
  EXPECT_EQ(str(run(m.get(), {"FAILOVER", "TIMEOUT", "1000"})), "OK");
  EXPECT_EQ(state(m.get()), "waiting-for-sync");
  EXPECT_EQ(str(run(m.get(), {"REPLICAOF", "NO", "ONE"})),
            "ERR REPLICAOF not allowed while failing over.");
  EXPECT_EQ(str(run(m.get(), {"FAILOVER"})), "ERR FAILOVER already in progress.");
  // A write waits out the failover and runs once it gives up.
  auto w = master.connect();
  EXPECT_EQ(str(run(w.get(), {"SET", "during", "1"})), "OK");
  EXPECT_EQ(state(m.get()), "no-failover");
  EXPECT_EQ(info_field(m.get(), "role"), "master");
  EXPECT_EQ(str(run(m.get(), {"GET", "during"})), "1");

  // FAILOVER ABORT ends a failover that would otherwise wait forever.
  EXPECT_EQ(str(run(m.get(), {"FAILOVER"})), "OK");
  EXPECT_EQ(state(m.get()), "waiting-for-sync");
  EXPECT_EQ(str(run(m.get(), {"FAILOVER", "ABORT"})), "OK");
  EXPECT_EQ(state(m.get()), "no-failover");
  EXPECT_EQ(str(run(m.get(), {"SET", "after-abort", "1"})), "OK");
  frozen.thaw();
  EXPECT_TRUE(converge(m.get(), r.get()));
  EXPECT_EQ(info_field(r.get(), "role"), "slave");
}

}  // namespace
}  // namespace kvd::itest
