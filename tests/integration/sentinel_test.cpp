// Debian's redis-sentinel 7.0 watching a group of kvd processes: three
// sentinels, a kvd master and two kvd replicas. The master is killed with
// SIGKILL; a replica must be promoted and take writes within 10 s, the other
// must follow it, and the old master, restarted from its own config file,
// must be turned into a replica of the new one (Sentinel sends REPLICAOF and
// CONFIG REWRITE in a MULTI). Skipped when redis-sentinel is not installed.
#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "child_process.hpp"
#include "kvd_process.hpp"
#include "redis_process.hpp"

namespace kvd::itest {
namespace {

using Clock = std::chrono::steady_clock;

struct TempDir {
  std::string path;
  TempDir() {
    char tmpl[] = "/tmp/kvd-sentinel-itest-XXXXXX";
    const char* d = ::mkdtemp(tmpl);
    path = d ? d : "";
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path, ec);
  }
};

RedisPtr connect_to(int port) {
  timeval tv{2, 0};
  redisContext* c = redisConnectWithTimeout("127.0.0.1", port, tv);
  if (c && !c->err) redisSetTimeout(c, tv);
  return RedisPtr(c, redisFree);
}

// One command on a fresh connection ("" when the server does not answer).
std::string ask(int port, const std::vector<std::string>& args) {
  auto c = connect_to(port);
  if (!c || c->err) return "";
  auto r = KvdProcess::command(c.get(), args);
  if (!r) return "";
  if (r->type == REDIS_REPLY_INTEGER) return std::to_string(r->integer);
  if (r->type == REDIS_REPLY_ARRAY) {
    std::string out;
    for (size_t i = 0; i < r->elements; ++i) {
      const redisReply* e = r->element[i];
      if (!out.empty()) out += ' ';
      out += e->type == REDIS_REPLY_INTEGER ? std::to_string(e->integer)
                                            : std::string(e->str ? e->str : "", e->len);
    }
    return out;
  }
  return r->str ? std::string(r->str, r->len) : "";
}

std::string info_of(int port, const std::string& field) {
  auto c = connect_to(port);
  if (!c || c->err) return "";
  return info_field(c.get(), field);
}

// The port the sentinels report for the master now.
int master_port(int sentinel) {
  const std::string addr = ask(sentinel, {"SENTINEL", "GET-MASTER-ADDR-BY-NAME", "mymaster"});
  const size_t space = addr.find(' ');
  return space == std::string::npos ? 0 : std::atoi(addr.c_str() + space + 1);
}

// A field of SENTINEL MASTER mymaster ("" if absent).
std::string master_field(int sentinel, const std::string& name) {
  std::istringstream in(ask(sentinel, {"SENTINEL", "MASTER", "mymaster"}));
  std::string k, v;
  while (in >> k >> v)
    if (k == name) return v;
  return "";
}

void write_file(const std::string& path, const std::string& text) {
  std::ofstream(path, std::ios::trunc) << text;
}

std::string read_file(const std::string& path) {
  std::ifstream f(path);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

// The event lines of every sentinel's log (+sdown, +tilt, +convert-to-slave,
// ...), printed when a step times out: the logs die with the temporary dir.
std::string sentinel_events(const std::string& dir, const std::vector<int>& sentinels) {
  std::string out;
  for (int port : sentinels) {
    std::istringstream log(read_file(dir + "/sentinel-" + std::to_string(port) + ".log"));
    for (std::string line; std::getline(log, line);)
      if (line.find(" +") != std::string::npos || line.find(" -") != std::string::npos)
        out += std::to_string(port) + ": " + line + "\n";
  }
  return out;
}

std::vector<int> distinct_ports(size_t n) {
  std::set<int> seen;
  std::vector<int> out;
  while (out.size() < n) {
    int p = free_port();
    if (seen.insert(p).second) out.push_back(p);
  }
  return out;
}

TEST(Sentinel, FailsOverAKilledKvdMasterAndTheOldMasterRejoinsAsReplica) {
  const std::string sentinel_bin = find_program("redis-sentinel");
  if (sentinel_bin.empty()) GTEST_SKIP() << "redis-sentinel not installed";
  TempDir dir;
  const std::vector<int> ports = distinct_ports(6);
  const int master = ports[0];
  const std::vector<int> replicas{ports[1], ports[2]};
  const std::vector<int> sentinels{ports[3], ports[4], ports[5]};

  // Each kvd runs from its own config file, which CONFIG REWRITE updates.
  auto node_conf = [&](int port) { return dir.path + "/node-" + std::to_string(port) + ".conf"; };
  auto start_node = [&](int port) {
    std::vector<std::string> argv{KVD_BINARY, node_conf(port)};
    for (auto& a : env_args()) argv.push_back(a);
    return std::make_unique<Child>(argv, dir.path + "/node-" + std::to_string(port) + ".log");
  };
  for (int port : ports) {
    if (port == sentinels[0]) break;
    std::string conf = "port " + std::to_string(port) + "\nbind 127.0.0.1\ndir " + dir.path +
                       "\ndbfilename dump-" + std::to_string(port) + ".rdb\nsave \"\"\n" +
                       "repl-diskless-sync-delay 1\n";
    if (port != master) conf += "replicaof 127.0.0.1 " + std::to_string(master) + "\n";
    write_file(node_conf(port), conf);
  }
  std::unique_ptr<Child> master_proc = start_node(master);
  std::vector<std::unique_ptr<Child>> nodes;
  for (int port : replicas) nodes.push_back(start_node(port));
  ASSERT_TRUE(wait_until([&] { return info_of(master, "connected_slaves") == "2"; },
                         std::chrono::seconds(10)));

  std::vector<std::unique_ptr<Child>> sentinel_procs;
  for (int port : sentinels) {
    const std::string conf = dir.path + "/sentinel-" + std::to_string(port) + ".conf";
    write_file(conf, "port " + std::to_string(port) + "\nbind 127.0.0.1\ndir " + dir.path +
                         "\nsentinel monitor mymaster 127.0.0.1 " + std::to_string(master) +
                         " 2\nsentinel down-after-milliseconds mymaster 1000\n"
                         "sentinel failover-timeout mymaster 5000\n"
                         "sentinel parallel-syncs mymaster 1\n");
    sentinel_procs.push_back(
        std::make_unique<Child>(std::vector<std::string>{sentinel_bin, conf},
                                dir.path + "/sentinel-" + std::to_string(port) + ".log"));
  }
  // Every sentinel found the replicas (from INFO) and the other sentinels
  // (from the __sentinel__:hello channel on kvd).
  ASSERT_TRUE(wait_until(
      [&] {
        for (int s : sentinels)
          if (master_field(s, "num-slaves") != "2" || master_field(s, "num-other-sentinels") != "2")
            return false;
        return true;
      },
      std::chrono::seconds(20)))
      << "sentinels did not discover the group";

  ASSERT_EQ(ask(master, {"SET", "before", "1"}), "OK");
  ASSERT_EQ(ask(master, {"WAIT", "2", "2000"}), "2");

  master_proc->stop(SIGKILL);
  const auto killed = Clock::now();
  int promoted = 0;
  ASSERT_TRUE(wait_until(
      [&] {
        promoted = master_port(sentinels[0]);
        return promoted != master && promoted != 0 && ask(promoted, {"SET", "after", "2"}) == "OK";
      },
      std::chrono::seconds(10)))
      << "no promoted replica took writes within 10 s";
  const auto resumed_ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - killed).count();
  std::printf("[ sentinel ] writes resumed on the promoted kvd %lld ms after kill -9\n",
              static_cast<long long>(resumed_ms));
  EXPECT_EQ(ask(promoted, {"GET", "before"}), "1");
  EXPECT_EQ(ask(promoted, {"ROLE"}).rfind("master", 0), 0u);

  // The other replica follows the new master and gets its writes.
  const int other = promoted == replicas[0] ? replicas[1] : replicas[0];
  EXPECT_TRUE(wait_until(
      [&] {
        return info_of(other, "master_port") == std::to_string(promoted) &&
               ask(other, {"GET", "after"}) == "2";
      },
      std::chrono::seconds(15)));
  // Sentinel's CONFIG REWRITE: the promoted server no longer names a master.
  EXPECT_EQ(read_file(node_conf(promoted)).find("replicaof"), std::string::npos);

  // The old master comes back from its config file, as a master; Sentinel
  // turns it into a replica of the new one. It waits 8 s after the instance
  // first reports role:master and acts on the next INFO (every 10 s); a
  // sentinel whose timer ran 2 s late (a loaded machine) enters TILT mode and
  // takes no action for 30 s, hence the 60 s deadline.
  //
  // Its new master is whichever node the sentinels name now: on a slow
  // build (ASan, io-threads) a sentinel may find the promoted node late
  // with a PING and fail over once more, to the other replica, which is
  // Sentinel doing its job.
  master_proc = start_node(master);
  int current = promoted;
  EXPECT_TRUE(wait_until(
      [&] {
        const int named = master_port(sentinels[0]);
        if (named != 0 && named != master) current = named;
        return info_of(master, "master_port") == std::to_string(current) &&
               info_of(master, "master_link_status") == "up" &&
               ask(master, {"GET", "after"}) == "2";
      },
      std::chrono::seconds(60)))
      << "the restarted master did not become a replica; the sentinels logged:\n"
      << sentinel_events(dir.path, sentinels);
  EXPECT_NE(read_file(node_conf(master)).find("replicaof 127.0.0.1 " + std::to_string(current)),
            std::string::npos);
}

}  // namespace
}  // namespace kvd::itest
