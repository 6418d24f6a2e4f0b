#include <gtest/gtest.h>

#include <map>
#include <regex>

#include <unistd.h>

#include "kvd/common/version.hpp"
#include "support/engine_harness.hpp"

namespace kvd::test {
namespace {

std::string payload(const std::string& r) {
  size_t crlf = r.find("\r\n");
  return r.substr(crlf + 2, r.size() - crlf - 4);
}

// Section titles in order, and every field.
struct Info {
  std::vector<std::string> sections;
  std::map<std::string, std::string> fields;
};

Info parse(const std::string& text) {
  Info info;
  size_t pos = 0;
  while (pos < text.size()) {
    size_t end = text.find("\r\n", pos);
    EXPECT_NE(end, std::string::npos) << "lines must end with CRLF";
    std::string line = text.substr(pos, end - pos);
    pos = end + 2;
    if (line.empty()) continue;
    if (line[0] == '#') {
      info.sections.push_back(line.substr(2));
      continue;
    }
    size_t colon = line.find(':');
    EXPECT_NE(colon, std::string::npos) << line;
    info.fields[line.substr(0, colon)] = line.substr(colon + 1);
  }
  return info;
}

Info info(EngineHarness& h, std::vector<std::string> args) {
  args.insert(args.begin(), "INFO");
  return parse(payload(h.run(args)));
}

using Sections = std::vector<std::string>;

}  // namespace

TEST(InfoCommand, DefaultSectionsAndLayout) {
  EngineHarness h;
  std::string text = payload(h.run({"INFO"}));
  Info i = parse(text);
  EXPECT_EQ(i.sections,
            (Sections{"Server", "Clients", "Memory", "Persistence", "Stats", "Replication", "CPU",
                      "Modules", "Errorstats", "Cluster", "Keyspace"}));
  EXPECT_EQ(text.rfind("# Server\r\nredis_version:7.0.15\r\n", 0), 0u);
  EXPECT_NE(text.find("\r\n\r\n# Clients\r\n"), std::string::npos);
  EXPECT_EQ(info(h, {"default"}).sections, i.sections);
}

TEST(InfoCommand, SectionSelection) {
  EngineHarness h;
  EXPECT_EQ(info(h, {"CPU"}).sections, Sections{"CPU"});
  EXPECT_EQ(info(h, {"keyspace", "server"}).sections, (Sections{"Server", "Keyspace"}));
  EXPECT_EQ(info(h, {"commandstats"}).sections, Sections{"Commandstats"});
  Sections all = info(h, {"all"}).sections;
  EXPECT_EQ(all.size(), 13u);  // the default ones, Commandstats, Latencystats
  EXPECT_EQ(info(h, {"everything"}).sections, all);
  EXPECT_EQ(info(h, {"default", "commandstats"}).sections.size(), 12u);
  EXPECT_EQ(h.run({"INFO", "nope"}), bulk(""));
  EXPECT_EQ(payload(h.run({"INFO", "cluster"})), "# Cluster\r\ncluster_enabled:0\r\n");
  EXPECT_EQ(payload(h.run({"INFO", "modules", "cluster"})),
            "# Modules\r\n\r\n# Cluster\r\ncluster_enabled:0\r\n");
  h.client().resp = 3;
  EXPECT_EQ(h.run({"INFO", "cluster"}), "=34\r\ntxt:# Cluster\r\ncluster_enabled:0\r\n\r\n");
}

TEST(InfoCommand, ServerFields) {
  EngineHarness h;
  h.clock().advance_ms(2 * 86400 * 1000 + 5000);
  Info i = info(h, {"server"});
  EXPECT_EQ(i.fields["redis_version"], "7.0.15");
  EXPECT_EQ(i.fields["kvd_version"], kvd::kVersion);
  EXPECT_EQ(i.fields["redis_mode"], "standalone");
  EXPECT_EQ(i.fields["arch_bits"], "64");
  EXPECT_EQ(i.fields["process_id"], std::to_string(getpid()));
  EXPECT_TRUE(std::regex_match(i.fields["run_id"], std::regex("[0-9a-f]{40}")));
  EXPECT_EQ(i.fields["uptime_in_seconds"], "172805");
  EXPECT_EQ(i.fields["uptime_in_days"], "2");
  EXPECT_EQ(i.fields["hz"], "10");
  EXPECT_EQ(i.fields["configured_hz"], "10");
  for (const char* f : {"os", "multiplexing_api", "tcp_port", "lru_clock", "executable",
                        "config_file", "io_threads_active", "server_time_usec"}) {
    EXPECT_TRUE(i.fields.count(f)) << f;
  }
  EXPECT_EQ(info(h, {"server"}).fields["run_id"], i.fields["run_id"]);  // stable per process
}

class FakeHooks : public engine::ServerHooks {
 public:
  std::string request_shutdown(const Shutdown&) override { return ""; }
  Info info() override {
    Info i;
    i.tcp_port = 7301;
    i.config_file = "/etc/kvd.conf";
    i.executable = "/usr/bin/kvd";
    i.uptime_seconds = 99;
    i.connected_clients = 42;
    i.multiplexing_api = "asio";
    return i;
  }
};

TEST(InfoCommand, ServerFactsFromHooks) {
  EngineHarness h;
  FakeHooks hooks;
  h.engine().set_hooks(&hooks);
  Info i = info(h, {"server", "clients"});
  EXPECT_EQ(i.fields["tcp_port"], "7301");
  EXPECT_EQ(i.fields["config_file"], "/etc/kvd.conf");
  EXPECT_EQ(i.fields["executable"], "/usr/bin/kvd");
  EXPECT_EQ(i.fields["uptime_in_seconds"], "99");
  EXPECT_EQ(i.fields["multiplexing_api"], "asio");
  EXPECT_EQ(i.fields["connected_clients"], "42");
  EXPECT_EQ(i.fields["maxclients"], "10000");
  EXPECT_EQ(i.fields["blocked_clients"], "0");
  h.engine().set_hooks(nullptr);
}

TEST(InfoCommand, MemoryPersistenceReplicationCpu) {
  EngineHarness h;
  Info i = info(h, {"memory", "persistence", "replication", "cpu"});
  EXPECT_GT(std::stoull(i.fields["used_memory"]), 0u);
  EXPECT_GT(std::stoull(i.fields["used_memory_rss"]), 0u);
  EXPECT_GE(std::stoull(i.fields["used_memory_peak"]), std::stoull(i.fields["used_memory"]));
  EXPECT_TRUE(
      std::regex_match(i.fields["used_memory_human"], std::regex("\\d+(\\.\\d\\d[KMG]|B)")));
  EXPECT_EQ(i.fields["maxmemory"], "0");
  EXPECT_EQ(i.fields["maxmemory_human"], "0B");
  EXPECT_EQ(i.fields["maxmemory_policy"], "noeviction");
  EXPECT_TRUE(i.fields.count("mem_fragmentation_ratio"));
  EXPECT_EQ(i.fields["lazyfree_pending_objects"], "0");
  EXPECT_EQ(i.fields["loading"], "0");
  EXPECT_EQ(i.fields["rdb_bgsave_in_progress"], "0");
  EXPECT_EQ(i.fields["aof_enabled"], "0");
  EXPECT_EQ(i.fields["rdb_last_save_time"], std::to_string(h.engine().start_ms() / 1000));
  EXPECT_EQ(i.fields["role"], "master");
  EXPECT_EQ(i.fields["connected_slaves"], "0");
  EXPECT_TRUE(std::regex_match(i.fields["master_replid"], std::regex("[0-9a-f]{40}")));
  EXPECT_TRUE(std::regex_match(i.fields["used_cpu_sys"], std::regex("\\d+\\.\\d{6}")));
  EXPECT_TRUE(std::regex_match(i.fields["used_cpu_user"], std::regex("\\d+\\.\\d{6}")));
  h.config().v().maxmemory = 3 * 1024 * 1024 / 2;
  EXPECT_EQ(info(h, {"memory"}).fields["maxmemory_human"], "1.50M");
}

TEST(InfoCommand, StatsAndInstantaneousOps) {
  EngineHarness h;
  h.engine().stats().keyspace_hits = 3;
  h.engine().stats().keyspace_misses = 4;
  h.run({"SELECT", "99"});
  Info i = info(h, {"stats"});
  EXPECT_EQ(i.fields["total_commands_processed"], "1");
  EXPECT_EQ(i.fields["keyspace_hits"], "3");
  EXPECT_EQ(i.fields["keyspace_misses"], "4");
  EXPECT_EQ(i.fields["total_error_replies"], "1");
  EXPECT_EQ(i.fields["evicted_keys"], "0");
  EXPECT_EQ(i.fields["expired_keys"], "0");
  EXPECT_EQ(i.fields["instantaneous_ops_per_sec"], "0");
  for (const char* f : {"total_connections_received", "total_net_input_bytes",
                        "total_net_output_bytes", "rejected_connections"}) {
    EXPECT_TRUE(i.fields.count(f)) << f;
  }
  // 50 commands in each 100ms sample: 500 ops/sec.
  for (int s = 0; s < 5; ++s) {
    h.engine().cron();
    for (int k = 0; k < 50; ++k) h.run({"PING"});
    h.clock().advance_ms(100);
  }
  h.engine().cron();
  EXPECT_EQ(info(h, {"stats"}).fields["instantaneous_ops_per_sec"], "500");
}

TEST(InfoCommand, CommandstatsAndErrorstats) {
  EngineHarness h;
  h.run({"PING"});
  h.run({"PING"});
  h.run({"CONFIG", "GET", "hz"});
  h.run({"SELECT", "x"});
  h.run({"SELECT"});
  h.run({"HELLO", "9"});
  std::string text = payload(h.run({"INFO", "commandstats"}));
  EXPECT_TRUE(std::regex_search(
      text, std::regex("\r\ncmdstat_ping:calls=2,usec=\\d+,usec_per_call=\\d+\\.\\d\\d,"
                       "rejected_calls=0,failed_calls=0\r\n")))
      << text;
  EXPECT_NE(text.find("cmdstat_config|get:calls=1,"), std::string::npos);
  EXPECT_EQ(text.find("cmdstat_config:"), std::string::npos);  // never called itself
  EXPECT_NE(text.find("cmdstat_select:calls=1,"), std::string::npos);
  EXPECT_NE(text.find(",rejected_calls=1,failed_calls=1\r\n"), std::string::npos);
  EXPECT_EQ(text.find("cmdstat_echo"), std::string::npos);
  EXPECT_EQ(payload(h.run({"INFO", "errorstats"})),
            "# Errorstats\r\nerrorstat_ERR:count=2\r\nerrorstat_NOPROTO:count=1\r\n");
}

TEST(InfoCommand, Keyspace) {
  EngineHarness h;
  EXPECT_EQ(payload(h.run({"INFO", "keyspace"})), "# Keyspace\r\n");
  h.engine().db(0).add("a", engine::Value::from_string("v"));
  h.engine().db(2).add("b", engine::Value::from_string("v"));
  engine::Entry* e = h.engine().db(2).add("c", engine::Value::from_string("v"));
  h.engine().db(2).set_expire(e, h.clock().now_ms() + 10000);
  EXPECT_EQ(payload(h.run({"INFO", "keyspace"})),
            "# Keyspace\r\ndb0:keys=1,expires=0,avg_ttl=0\r\n"
            "db2:keys=2,expires=1,avg_ttl=10000\r\n");
}

}  // namespace kvd::test
