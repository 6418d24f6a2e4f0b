#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <sstream>

#include "support/engine_harness.hpp"

namespace kvd::test {
namespace {

// A scratch directory removed with its files at the end of the test.
class TempDir {
 public:
  TempDir() {
    char tmpl[] = "/tmp/kvd-config-test-XXXXXX";
    path_ = mkdtemp(tmpl);
  }
  ~TempDir() {
    for (const auto& f : files_) std::remove(f.c_str());
    rmdir(path_.c_str());
  }
  std::string write(const std::string& name, const std::string& text) {
    std::string p = path_ + "/" + name;
    std::ofstream(p) << text;
    files_.push_back(p);
    return p;
  }
  static std::string read(const std::string& p) {
    std::ifstream f(p);
    std::stringstream ss;
    ss << f.rdbuf();
    return ss.str();
  }

 private:
  std::string path_;
  std::vector<std::string> files_;
};

}  // namespace

TEST(Config, LoadTextWithQuotesAndComments) {
  engine::Config c;
  std::string text =
      "# a comment\n"
      "\n"
      "   port 7001\n"
      "requirepass \"a b\\tc\"\n"
      "unixsocket '/tmp/my sock'\n"
      "MAXMEMORY 10mb\n"
      "bind 10.0.0.1 10.0.0.2\n"
      "timeout 30\r\n";
  EXPECT_EQ(c.load_text(text, "'test.conf'"), "");
  EXPECT_EQ(c.v().port, 7001);
  EXPECT_EQ(c.v().requirepass, "a b\tc");
  EXPECT_EQ(c.v().unixsocket, "/tmp/my sock");
  EXPECT_EQ(c.v().maxmemory, 10LL * 1024 * 1024);
  EXPECT_EQ(c.v().bind, (std::vector<std::string>{"10.0.0.1", "10.0.0.2"}));
  EXPECT_EQ(c.v().timeout, 30);
}

TEST(Config, BadDirectiveReportsTheLine) {
  engine::Config c;
  std::string e = c.load_text("port 7000\nfoo bar\n", "'x.conf'");
  EXPECT_NE(e.find("*** FATAL CONFIG FILE ERROR"), std::string::npos) << e;
  EXPECT_NE(e.find("Reading the configuration file 'x.conf', at line 2\n>>> 'foo bar'\n"
                   "Bad directive or wrong number of arguments\n"),
            std::string::npos)
      << e;
  e = c.load_text("port \"70\n", "");
  EXPECT_NE(e.find("at line 1\n>>> 'port \"70'\nUnbalanced quotes in configuration line"),
            std::string::npos)
      << e;
  e = c.load_text("\n\nport abc\n", "");
  EXPECT_NE(e.find("at line 3\n>>> 'port abc'\nargument couldn't be parsed into an integer"),
            std::string::npos)
      << e;
  e = c.load_text("port 1 2\n", "");
  EXPECT_NE(e.find("Bad directive or wrong number of arguments"), std::string::npos) << e;
  e = c.load_text("maxmemory-policy lots\n", "");
  EXPECT_NE(e.find("argument(s) must be one of the following: volatile-lru"), std::string::npos);
}

TEST(Config, RenameCommandRenamesOrDisables) {
  engine::Config c;
  c.command_exists = [](std::string_view name) { return name == "flushdb" || name == "get"; };
  std::string e = c.load_text("rename-command nosuch x\n", "");
  EXPECT_NE(e.find("No such command in rename-command"), std::string::npos) << e;
  EXPECT_NE(c.load_text("rename-command flushdb\n", "").find("wrong number of arguments"),
            std::string::npos);
  ASSERT_EQ(c.load_text("rename-command flushdb badger\nrename-command get \"\"\n", ""), "");
  engine::ManualClock clock;
  engine::Engine engine(clock, c, commands::all_commands());
  const engine::CommandTable& t = engine.commands();
  EXPECT_EQ(t.find("flushdb"), nullptr);
  ASSERT_NE(t.find("BADGER"), nullptr);
  EXPECT_EQ(t.find("badger")->name, "flushdb");  // COMMAND still names it as declared
  EXPECT_EQ(t.find("get"), nullptr);
  for (const auto* spec : t.all()) EXPECT_NE(spec->name, "get");
}

// An applier that fails undoes the whole CONFIG SET: every value goes back
// and the appliers that already ran run again to undo their effect.
TEST(Config, FailedApplierRollsBackEveryValue) {
  EngineHarness h;
  engine::Config& c = h.config();
  std::vector<std::string> applied;
  c.on_apply("maxmemory", [&] {
    applied.push_back("maxmemory=" + *c.get("maxmemory"));
    return std::string();
  });
  c.on_apply("port", [&] {
    applied.push_back("port=" + *c.get("port"));
    return c.v().port == 1 ? std::string("Unable to listen on this port") : std::string();
  });
  int notified = 0;
  c.on_change("maxmemory", [&] { ++notified; });
  EXPECT_EQ(h.run({"CONFIG", "SET", "maxmemory", "1000", "port", "1"}),
            error("ERR CONFIG SET failed (possibly related to argument 'port') - Unable to listen "
                  "on this port"));
  EXPECT_EQ(h.run({"CONFIG", "GET", "maxmemory"}), "*2\r\n" + bulk("maxmemory") + bulk("0"));
  EXPECT_EQ(applied, (std::vector<std::string>{"maxmemory=1000", "port=1", "maxmemory=0"}));
  EXPECT_EQ(notified, 0);
  applied.clear();
  EXPECT_EQ(h.run({"CONFIG", "SET", "maxmemory", "1000", "port", "7000"}), simple("OK"));
  EXPECT_EQ(applied, (std::vector<std::string>{"maxmemory=1000", "port=7000"}));
  EXPECT_EQ(notified, 1);
}

// Without a config file the save points are redis-server's built-in ones.
TEST(Config, BuiltInSavePointsAreRedisServers) {
  engine::Config c;
  EXPECT_EQ(c.get("save"), "3600 1 300 100 60 10000");
  EXPECT_EQ(c.get("hash-max-listpack-entries"), "512");
}

// `dir` must be a directory that exists, and reads back as an absolute path
// (Redis changes into it and reports its working directory).
TEST(Config, DirIsAnExistingDirectoryShownAbsolute) {
  engine::Config c;
  char cwd[4096];
  ASSERT_NE(::getcwd(cwd, sizeof cwd), nullptr);
  EXPECT_EQ(c.get("dir"), std::string(cwd));
  ASSERT_EQ(c.load_text("dir /tmp/../tmp\n", ""), "");
  EXPECT_EQ(c.get("dir"), "/tmp");
  EXPECT_NE(c.load_text("dir /no/such/dir\n", "").find("No such file or directory"),
            std::string::npos);
  std::string failed;
  EXPECT_EQ(c.set_all({{"dir", "/etc/hostname"}}, &failed), "Not a directory");
  EXPECT_EQ(c.get("dir"), "/tmp");
}

// Redis's save rules: the first save line replaces the built-in points,
// later ones add, `save ""` clears; CONFIG SET replaces; bad pairs refused.
TEST(Config, SaveLinesAppendAfterTheFirst) {
  engine::Config c;
  ASSERT_EQ(c.load_text("save 900 1\n", "'a.conf'"), "");
  ASSERT_EQ(c.load_text("save 100 100\n", "(command line)"), "");
  EXPECT_EQ(c.get("save"), "900 1 100 100");
  ASSERT_EQ(c.load_text("save \"\"\nsave 60 5\n", ""), "");
  EXPECT_EQ(c.get("save"), "60 5");
  EXPECT_NE(c.load_text("save 100\n", "").find("Invalid save parameters"), std::string::npos);
  EXPECT_NE(c.load_text("save 0 1\n", "").find("Invalid save parameters"), std::string::npos);
  std::string failed;
  EXPECT_EQ(c.set_all({{"save", "10 1 20 2"}}, &failed), "");
  EXPECT_EQ(c.get("save"), "10 1 20 2");
  EXPECT_EQ(c.set_all({{"save", "10"}}, &failed), "Invalid save parameters");
  EXPECT_EQ(c.set_all({{"save", ""}}, &failed), "");
  EXPECT_EQ(c.get("save"), "");
}

TEST(Config, IncludeAndStartupOnlyParams) {
  TempDir dir;
  std::string inc = dir.write("inc.conf", "hz 25\ndatabases 4\n");
  std::string main = dir.write("main.conf", "port 7002\ninclude " + inc + "\ntimeout 5\n");
  engine::Config c;
  EXPECT_EQ(c.load_file(main), "");
  EXPECT_EQ(c.v().port, 7002);
  EXPECT_EQ(c.v().hz, 25);
  EXPECT_EQ(c.v().databases, 4);  // immutable, but settable at startup
  EXPECT_EQ(c.v().timeout, 5);
  std::string bad = dir.write("bad.conf", "include /nonexistent/kvd.conf\n");
  EXPECT_NE(c.load_file(bad).find("can't open config file '/nonexistent/kvd.conf'"),
            std::string::npos);
}

TEST(Config, CommandLineFlags) {
  std::string text = engine::Config::flags_to_text(
      {"--port", "7003", "--requirepass", "p w", "--save", "", "--bind", "1.2.3.4", "5.6.7.8"});
  EXPECT_EQ(text, "port 7003\nrequirepass \"p w\"\nsave \"\"\nbind 1.2.3.4 5.6.7.8\n");
  engine::Config c;
  EXPECT_EQ(c.load_text(text, ""), "");
  EXPECT_EQ(c.v().port, 7003);
  EXPECT_EQ(c.v().requirepass, "p w");
  EXPECT_EQ(c.v().save, "");
  EXPECT_EQ(c.v().bind, (std::vector<std::string>{"1.2.3.4", "5.6.7.8"}));
  EXPECT_NE(c.load_text(engine::Config::flags_to_text({"--nope", "1"}), "").find("line 1"),
            std::string::npos);
}

TEST(Config, HzIsClampedLikeRedis) {
  engine::Config c;
  EXPECT_EQ(c.set("hz", {"600"}, false), "");
  EXPECT_EQ(c.get("hz"), "500");
  EXPECT_EQ(c.set("hz", {"0"}, false), "");
  EXPECT_EQ(c.get("hz"), "1");
  EXPECT_EQ(c.set("hz", {"-1"}, false), "argument must be between 0 and 2147483647 inclusive");
}

TEST(ConfigCommand, GetPatterns) {
  EngineHarness h;
  EXPECT_EQ(h.run({"CONFIG", "GET", "maxmemory"}), "*2\r\n" + bulk("maxmemory") + bulk("0"));
  // An exact name is echoed as given; a glob reports the registry's names.
  EXPECT_EQ(h.run({"CONFIG", "GET", "PORT"}), "*2\r\n" + bulk("PORT") + bulk("6379"));
  EXPECT_EQ(h.run({"CONFIG", "GET", "maxmemory*"}),
            "*10\r\n" + bulk("maxmemory") + bulk("0") + bulk("maxmemory-policy") +
                bulk("noeviction") + bulk("maxmemory-samples") + bulk("5") +
                bulk("maxmemory-eviction-tenacity") + bulk("10") + bulk("maxmemory-clients") +
                bulk("0"));
  // Several patterns, each parameter once.
  EXPECT_EQ(h.run({"CONFIG", "GET", "port", "po?t", "timeout"}),
            "*4\r\n" + bulk("port") + bulk("6379") + bulk("timeout") + bulk("0"));
  EXPECT_EQ(h.run({"CONFIG", "GET", "nothing"}), "*0\r\n");
  EXPECT_EQ(h.run({"CONFIG", "GET", "[lp]o[gr]t"}), "*2\r\n" + bulk("port") + bulk("6379"));
  h.client().resp = 3;
  EXPECT_EQ(h.run({"CONFIG", "GET", "hz"}), "%1\r\n" + bulk("hz") + bulk("10"));
}

TEST(ConfigCommand, SetSeveralAtOnce) {
  EngineHarness h;
  int notified = 0;
  h.config().on_change("hz", [&] { ++notified; });
  EXPECT_EQ(h.run({"CONFIG", "SET", "hz", "20", "timeout", "7", "maxmemory", "1mb"}), kOk);
  EXPECT_EQ(h.config().v().hz, 20);
  EXPECT_EQ(h.config().v().timeout, 7);
  EXPECT_EQ(h.config().v().maxmemory, 1024 * 1024);
  EXPECT_EQ(notified, 1);
  EXPECT_EQ(h.run({"CONFIG", "SET", "HZ", "20"}), kOk);  // unchanged: no notification
  EXPECT_EQ(notified, 1);
}

TEST(ConfigCommand, SetFailsAtomically) {
  EngineHarness h;
  int notified = 0;
  h.config().on_change("hz", [&] { ++notified; });
  EXPECT_EQ(h.run({"CONFIG", "SET", "hz", "30", "maxclients", "x"}),
            error("ERR CONFIG SET failed (possibly related to argument 'maxclients') - argument "
                  "couldn't be parsed into an integer"));
  EXPECT_EQ(h.config().v().hz, 10);  // rolled back
  EXPECT_EQ(notified, 0);
  EXPECT_EQ(h.run({"CONFIG", "SET", "hz", "30", "foo", "bar"}),
            error("ERR Unknown option or number of arguments for CONFIG SET - 'foo'"));
  EXPECT_EQ(h.run({"CONFIG", "SET", "hz", "30", "daemonize", "yes"}),
            error("ERR CONFIG SET failed (possibly related to argument 'daemonize') - can't set "
                  "immutable config"));
  EXPECT_EQ(h.run({"CONFIG", "SET", "hz", "5", "hz", "6"}),
            error("ERR CONFIG SET failed (possibly related to argument 'hz') - duplicate "
                  "parameter"));
  EXPECT_EQ(h.config().v().hz, 10);
  EXPECT_EQ(h.run({"CONFIG", "SET", "hz", "5", "timeout"}), error("ERR syntax error"));
  EXPECT_EQ(h.run({"CONFIG", "SET", "hz"}),
            error("ERR wrong number of arguments for 'config|set' command"));
  EXPECT_EQ(h.run({"CONFIG", "SET", "maxmemory-policy", "foo"}),
            error("ERR CONFIG SET failed (possibly related to argument 'maxmemory-policy') - "
                  "argument(s) must be one of the following: volatile-lru, volatile-lfu, "
                  "volatile-random, volatile-ttl, allkeys-lru, allkeys-lfu, allkeys-random, "
                  "noeviction"));
  EXPECT_EQ(h.run({"CONFIG", "SET", "maxmemory", "1x"}),
            error("ERR CONFIG SET failed (possibly related to argument 'maxmemory') - argument "
                  "must be a memory value"));
  EXPECT_EQ(h.run({"CONFIG", "SET", "appendonly", "maybe"}),
            error("ERR CONFIG SET failed (possibly related to argument 'appendonly') - argument "
                  "must be 'yes' or 'no'"));
}

TEST(ConfigCommand, RewriteKeepsCommentsAndUpdatesValues) {
  TempDir dir;
  std::string path = dir.write("kvd.conf",
                               "# kvd test config\n"
                               "port   6380   # not a comment for redis, but kept verbatim\n"
                               "\n"
                               "# the tick rate\n"
                               "hz 10\n"
                               "include-me-not yes\n"
                               "timeout 0\n"
                               "timeout 1\n");
  // The unknown directive must not be in the file we load, only in the one we rewrite.
  EngineHarness h;
  h.config().config_file = path;
  EXPECT_EQ(h.run({"CONFIG", "SET", "hz", "42", "requirepass", "p \"w\"", "maxmemory", "2mb"}),
            kOk);
  EXPECT_EQ(h.run({"CONFIG", "REWRITE"}), kOk);
  std::string text = TempDir::read(path);
  EXPECT_EQ(text,
            "# kvd test config\n"
            "port 6379\n"
            "\n"
            "# the tick rate\n"
            "hz 42\n"
            "include-me-not yes\n"
            "timeout 0\n"
            "# Generated by CONFIG REWRITE\n"
            "requirepass \"p \\\"w\\\"\"\n"
            "maxmemory 2097152\n"
            // The harness starts with these two (immutable) ones off their defaults.
            "enable-protected-configs yes\n"
            "enable-debug-command yes\n"
            // Like redis-server, every ACL user is written (aclfile unset).
            "user default on #f6bede6fb04d20d7bb40c565a1940b77b5ea0d2da1380b4a5308daf213522af3 ~* "
            "&* +@all\n");
  engine::Config back;
  std::string cleaned = text;
  cleaned.erase(cleaned.find("include-me-not yes\n"), 19);
  EXPECT_EQ(back.load_text(cleaned, ""), "");
  EXPECT_EQ(back.v().hz, 42);
  EXPECT_EQ(back.v().requirepass, "p \"w\"");
  EXPECT_EQ(back.v().maxmemory, 2097152);
  // Running again changes nothing.
  EXPECT_EQ(h.run({"CONFIG", "REWRITE"}), kOk);
  EXPECT_EQ(TempDir::read(path), text);
}

TEST(ConfigCommand, RewriteWithoutFileAndResetstatAndHelp) {
  EngineHarness h;
  EXPECT_EQ(h.run({"CONFIG", "REWRITE"}), error("ERR The server is running without a config file"));
  h.engine().stats().keyspace_hits = 5;
  EXPECT_EQ(h.run({"CONFIG", "RESETSTAT"}), kOk);
  EXPECT_EQ(h.engine().stats().keyspace_hits, 0u);
  EXPECT_EQ(h.run({"CONFIG", "RESETSTAT", "x"}),
            error("ERR wrong number of arguments for 'config|resetstat' command"));
  std::string help = h.run({"CONFIG", "HELP"});
  EXPECT_NE(help.find("+CONFIG <subcommand> [<arg> [value] [opt] ...]. Subcommands are:\r\n"),
            std::string::npos);
}

// Redis's tests/assets/default.conf as its test harness writes it (plus the
// per-server lines), which every spawned server must accept.
TEST(ConfigInert, LoadsRedisTestHarnessConfig) {
  std::string text =
      "always-show-logo yes\n"
      "notify-keyspace-events KEA\n"
      "daemonize no\n"
      "pidfile redis.pid\n"
      "port 21111\n"
      "timeout 0\n"
      "bind 127.0.0.1\n"
      "loglevel verbose\n"
      "logfile ''\n"
      "databases 16\n"
      "latency-monitor-threshold 1\n"
      "repl-diskless-sync-delay 0\n"
      "save \n"
      "rdbcompression yes\n"
      "dbfilename dump.rdb\n"
      "dir /tmp\n"  // (the harness's own dir exists when it starts the server)
      "slave-serve-stale-data yes\n"
      "appendonly no\n"
      "appendfsync everysec\n"
      "no-appendfsync-on-rewrite no\n"
      "activerehashing yes\n"
      "enable-protected-configs yes\n"
      "enable-debug-command yes\n"
      "enable-module-command yes\n"
      "propagation-error-behavior panic\n"
      "unixsocket /tmp/x/socket\n";
  engine::Config c;
  c.v().save = "3600 1";
  ASSERT_EQ(c.load_text(text, "'redis.conf'"), "");
  EXPECT_TRUE(c.v().always_show_logo);
  EXPECT_EQ(c.v().save, "");  // a bare "save" line: no save points
  EXPECT_EQ(c.v().logfile, "");
  EXPECT_EQ(c.v().enable_debug_command, "yes");
  EXPECT_EQ(c.v().enable_protected_configs, "yes");
  EXPECT_EQ(c.get("latency-monitor-threshold"), "1");
  EXPECT_EQ(c.get("repl-diskless-sync-delay"), "0");
  EXPECT_EQ(c.get("replica-serve-stale-data"), "yes");
  EXPECT_EQ(c.get("enable-module-command"), "yes");
  EXPECT_EQ(c.get("propagation-error-behavior"), "panic");
  // The same as command-line flags, where the harness passes --save "".
  engine::Config f;
  f.v().save = "3600 1";
  EXPECT_EQ(f.load_text(engine::Config::flags_to_text(
                            {"--appendfsync", "always", "--save", "", "--slave-read-only", "no"}),
                        "(command line)"),
            "");
  EXPECT_EQ(f.get("appendfsync"), "always");
  EXPECT_EQ(f.v().save, "");
  EXPECT_EQ(f.get("replica-read-only"), "no");
}

TEST(ConfigInert, FileValuesAreCheckedLikeRedis) {
  engine::Config c;
  auto fails = [&](const std::string& line, const std::string& why) {
    std::string e = c.load_text(line + "\n", "");
    EXPECT_NE(e.find(">>> '" + line + "'\n" + why + "\n"), std::string::npos) << e;
  };
  fails("always-show-logo maybe", "argument must be 'yes' or 'no'");
  fails("enable-debug-command sometimes",
        "argument(s) must be one of the following: no, yes, local");
  fails("appendfilename dir/file.aof", "appendfilename can't be a path, just a filename");
  fails("replicaof 127.0.0.1 http", "Invalid master port");
  fails("repl-timeout 0", "argument must be between 1 and 2147483647 inclusive");
  // Multi-word directives: several arguments or one quoted argument.
  EXPECT_EQ(c.load_text("oom-score-adj-values 1 2 3\nshutdown-on-sigint \"now save\"\n"
                        "replicaof 10.0.0.1 6380\nlatency-tracking-info-percentiles \"\"\n",
                        ""),
            "");
  EXPECT_EQ(c.get("oom-score-adj-values"), "1 2 3");
  EXPECT_EQ(c.get("shutdown-on-sigint"), "save now");
  EXPECT_EQ(c.get("replicaof"), "10.0.0.1 6380");
  EXPECT_EQ(c.get("slaveof"), "10.0.0.1 6380");
  EXPECT_EQ(c.get("latency-tracking-info-percentiles"), "");
  // Lines Redis 7.0 still reads from old files and ignores.
  EXPECT_EQ(c.load_text("list-max-ziplist-entries 512\nlua-replicate-commands yes\n", ""), "");
  EXPECT_FALSE(c.exists("list-max-ziplist-entries"));
}

TEST(ConfigInert, GetShowsRedisDefaults) {
  EngineHarness h;
  // redis-server 7.0.15 started without a config file lists 192 names
  // (aliases included); hidden testing knobs answer only to their exact name.
  std::string all = h.run({"CONFIG", "GET", "*"});
  EXPECT_EQ(all.rfind("*384\r\n", 0), 0u) << all.substr(0, 10);
  EXPECT_EQ(all.find("rdb-key-save-delay"), std::string::npos);
  EXPECT_EQ(h.run({"CONFIG", "GET", "rdb-key-save-delay"}),
            "*2\r\n" + bulk("rdb-key-save-delay") + bulk("0"));
  struct {
    const char* name;
    const char* value;
  } defaults[] = {
      {"always-show-logo", "no"},
      {"enable-debug-command", "no"},
      {"enable-protected-configs", "no"},
      {"enable-module-command", "no"},
      {"appendfsync", "everysec"},
      {"appendfilename", "appendonly.aof"},
      {"latency-monitor-threshold", "0"},
      {"repl-diskless-sync-delay", "5"},
      {"repl-backlog-size", "1048576"},
      {"active-defrag-ignore-bytes", "104857600"},
      {"auto-aof-rewrite-min-size", "67108864"},
      {"oom-score-adj-values", "0 200 800"},
      {"latency-tracking-info-percentiles", "50 99 99.9"},
      {"proc-title-template", "{title} {listen-addr} {server-mode}"},
      {"syslog-ident", "redis"},
      {"syslog-facility", "local0"},
      {"shutdown-on-sigterm", "default"},
      {"tls-session-cache-size", "20480"},
      {"cluster-config-file", "nodes.conf"},
      {"replicaof", ""},
      {"slave-priority", "100"},
  };
  engine::Config fresh;  // the harness turns DEBUG on
  for (const auto& d : defaults) {
    EXPECT_EQ(fresh.get(d.name), d.value) << d.name;
  }
  // A glob lists a parameter under its name and its alias.
  EXPECT_EQ(h.run({"CONFIG", "GET", "*serve-stale-data"}),
            "*4\r\n" + bulk("replica-serve-stale-data") + bulk("yes") +
                bulk("slave-serve-stale-data") + bulk("yes"));
  EXPECT_EQ(h.run({"CONFIG", "GET", "lua-time-limit", "busy-reply-threshold", "LUA-TIME-LIMIT"}),
            "*4\r\n" + bulk("lua-time-limit") + bulk("5000") + bulk("busy-reply-threshold") +
                bulk("5000"));
}

TEST(ConfigInert, SetValidatesLikeRedis) {
  EngineHarness h;
  auto failed = [](const std::string& name, const std::string& why) {
    return error("ERR CONFIG SET failed (possibly related to argument '" + name + "') - " + why);
  };
  // Error texts as redis-server 7.0.15 answers them.
  EXPECT_EQ(h.run({"CONFIG", "SET", "latency-monitor-threshold", "abc"}),
            failed("latency-monitor-threshold", "argument couldn't be parsed into an integer"));
  EXPECT_EQ(h.run({"CONFIG", "SET", "latency-monitor-threshold", "-1"}),
            failed("latency-monitor-threshold",
                   "argument must be between 0 and 9223372036854775807 inclusive"));
  EXPECT_EQ(h.run({"CONFIG", "SET", "slave-serve-stale-data", "maybe"}),
            failed("slave-serve-stale-data", "argument must be 'yes' or 'no'"));
  EXPECT_EQ(
      h.run({"CONFIG", "SET", "appendfsync", "sometimes"}),
      failed("appendfsync", "argument(s) must be one of the following: everysec, always, no"));
  EXPECT_EQ(h.run({"CONFIG", "SET", "oom-score-adj", "x"}),
            failed("oom-score-adj",
                   "argument(s) must be one of the following: no, yes, relative, absolute"));
  EXPECT_EQ(h.run({"CONFIG", "SET", "repl-backlog-size", "1x"}),
            failed("repl-backlog-size", "argument must be a memory value"));
  EXPECT_EQ(
      h.run({"CONFIG", "SET", "repl-backlog-size", "0"}),
      failed("repl-backlog-size", "argument must be between 1 and 9223372036854775807 inclusive"));
  EXPECT_EQ(h.run({"CONFIG", "SET", "maxmemory-clients", "101%"}),
            failed("maxmemory-clients", "percentage argument must be less or equal to 100"));
  EXPECT_EQ(h.run({"CONFIG", "SET", "maxmemory-clients", "-5"}),
            failed("maxmemory-clients", "argument must be a memory or percent value"));
  EXPECT_EQ(h.run({"CONFIG", "SET", "shutdown-on-sigterm", "save nosave"}),
            failed("shutdown-on-sigterm",
                   "shutdown options SAVE and NOSAVE can't be used simultaneously"));
  EXPECT_EQ(h.run({"CONFIG", "SET", "oom-score-adj-values", "1 2"}),
            failed("oom-score-adj-values", "wrong number of arguments"));
  EXPECT_EQ(h.run({"CONFIG", "SET", "oom-score-adj-values", "0 200 3000"}),
            failed("oom-score-adj-values",
                   "Invalid oom-score-adj-values, elements must be between -2000 and 2000."));
  EXPECT_EQ(h.run({"CONFIG", "SET", "latency-tracking-info-percentiles", "50 x"}),
            failed("latency-tracking-info-percentiles",
                   "Invalid latency-tracking-info-percentiles parameters"));
  EXPECT_EQ(h.run({"CONFIG", "SET", "latency-tracking-info-percentiles", "101"}),
            failed("latency-tracking-info-percentiles",
                   "latency-tracking-info-percentiles parameters should sit between [0.0,100.0]"));
  EXPECT_EQ(h.run({"CONFIG", "SET", "cluster-announce-hostname", "bad host"}),
            failed("cluster-announce-hostname",
                   "Hostnames may only contain alphanumeric characters, hyphens or dots"));
  EXPECT_EQ(
      h.run({"CONFIG", "SET", "proc-title-template", "{invalid-var}"}),
      failed("proc-title-template", "template format is invalid or contains unknown variables"));
  EXPECT_EQ(h.run({"CONFIG", "SET", "activedefrag", "yes"}),
            failed("activedefrag",
                   "Active defragmentation cannot be enabled: it requires a Redis server "
                   "compiled with a modified Jemalloc like the one shipped by default with the "
                   "Redis source distribution"));
  for (const char* name : {"always-show-logo", "enable-debug-command", "enable-protected-configs",
                           "enable-module-command", "appendfilename", "replicaof", "slaveof",
                           "cluster-enabled", "supervised", "socket-mark-id"}) {
    EXPECT_EQ(h.run({"CONFIG", "SET", name, "yes"}), failed(name, "can't set immutable config"));
  }
  // Good values, shown in Redis's form.
  EXPECT_EQ(h.run({"CONFIG", "SET", "appendfsync", "ALWAYS", "slave-serve-stale-data", "NO",
                   "repl-backlog-size", "2mb", "maxmemory-clients", "10%", "oom-score-adj",
                   "relative", "shutdown-on-sigterm", "now save",
                   "latency-tracking-info-percentiles", "50 99.90 100"}),
            kOk);
  EXPECT_EQ(h.config().get("appendfsync"), "always");
  EXPECT_EQ(h.config().get("replica-serve-stale-data"), "no");
  EXPECT_EQ(h.config().get("repl-backlog-size"), "2097152");
  EXPECT_EQ(h.config().get("maxmemory-clients"), "10%");
  EXPECT_EQ(h.config().get("oom-score-adj"), "yes");
  EXPECT_EQ(h.config().get("shutdown-on-sigterm"), "save now");
  EXPECT_EQ(h.config().get("latency-tracking-info-percentiles"), "50 99.9 100");
  // A failing pair rolls the inert ones back too.
  EXPECT_EQ(h.run({"CONFIG", "SET", "appendfsync", "no", "repl-timeout", "0"}),
            failed("repl-timeout", "argument must be between 1 and 2147483647 inclusive"));
  EXPECT_EQ(h.config().get("appendfsync"), "always");
}

// DEBUG CONFIG-REWRITE-FORCE-ALL: every parameter written, defaults too, and
// the file loads back to the same values (Redis's "CONFIG REWRITE sanity").
TEST(ConfigInert, RewriteForceAllLoadsBackUnchanged) {
  TempDir dir;
  std::string path = dir.write("kvd.conf", "port 6380\n");
  engine::Config c;
  ASSERT_EQ(c.load_file(path), "");
  c.config_file = path;
  EXPECT_EQ(c.rewrite(true), "");
  std::string text = TempDir::read(path);
  EXPECT_NE(text.find("\nclient-output-buffer-limit normal 0 0 0 slave"), std::string::npos);
  EXPECT_NE(text.find("\nhz 10\n"), std::string::npos);
  EXPECT_EQ(text.find("replicaof"), std::string::npos);
  engine::Config back;
  ASSERT_EQ(back.load_text(text, ""), "");
  EXPECT_EQ(back.get_matching("*"), c.get_matching("*"));
}

// REPLICAOF keeps the directive in step (replication.cpp); the rewrite then
// follows the role: the line goes when there is no master, as in Redis.
TEST(ConfigInert, RewriteFollowsReplicaof) {
  TempDir dir;
  std::string path = dir.write("kvd.conf", "port 6380\nreplicaof 10.0.0.1 6380\n");
  engine::Config c;
  ASSERT_EQ(c.load_file(path), "");
  c.config_file = path;
  ASSERT_EQ(c.set("replicaof", {"no", "one"}, true), "");
  ASSERT_EQ(c.rewrite(), "");
  EXPECT_EQ(TempDir::read(path), "port 6380\n");
  ASSERT_EQ(c.set("replicaof", {"10.0.0.2", "7000"}, true), "");
  ASSERT_EQ(c.rewrite(), "");
  EXPECT_NE(TempDir::read(path).find("\nreplicaof 10.0.0.2 7000\n"), std::string::npos);
}

TEST(ConfigInert, RewriteWritesChangedDirectives) {
  TempDir dir;
  std::string path = dir.write("kvd.conf",
                               "port 6380\n"
                               "slave-serve-stale-data yes\n"
                               "appendfsync everysec\n");
  engine::Config c;
  ASSERT_EQ(c.load_file(path), "");
  c.config_file = path;
  EXPECT_EQ(c.set("replica-serve-stale-data", {"no"}, false), "");
  EXPECT_EQ(c.set("repl-diskless-sync-delay", {"0"}, false), "");
  EXPECT_EQ(c.set("latency-tracking-info-percentiles", {""}, false), "");
  EXPECT_EQ(c.set("proc-title-template", {"{title} x"}, false), "");
  EXPECT_EQ(c.rewrite(), "");
  std::string text = TempDir::read(path);
  EXPECT_EQ(text,
            "port 6380\n"
            "replica-serve-stale-data no\n"
            "appendfsync everysec\n"
            "# Generated by CONFIG REWRITE\n"
            // A real directive now, registered before the inert ones.
            "latency-tracking-info-percentiles \"\"\n"
            "repl-diskless-sync-delay 0\n"
            "proc-title-template \"{title} x\"\n");
  engine::Config back;
  ASSERT_EQ(back.load_text(text, ""), "");
  EXPECT_EQ(back.get("slave-serve-stale-data"), "no");
  EXPECT_EQ(back.get("repl-diskless-sync-delay"), "0");
  EXPECT_EQ(back.get("latency-tracking-info-percentiles"), "");
  EXPECT_EQ(back.get("proc-title-template"), "{title} x");
}

// A connection that is only an address.
class AddressOnly : public engine::ConnectionView {
 public:
  AddressOnly(std::string peer, bool unix_socket) : peer_(std::move(peer)), unix_(unix_socket) {}
  std::string peer_address() const override { return peer_; }
  std::string local_address() const override { return "127.0.0.1:6379"; }
  int fd() const override { return -1; }
  size_t query_buffer_used() const override { return 0; }
  size_t query_buffer_free() const override { return 0; }
  size_t output_pending() const override { return 0; }
  size_t output_allocated() const override { return 0; }
  bool is_unix_socket() const override { return unix_; }
  void close_soon() override {}
  void schedule_flush() override {}
  void resume() override {}

 private:
  std::string peer_;
  bool unix_;
};

TEST(ConfigInert, DebugAndProtectedConfigsFollowTheirSettings) {
  EngineHarness h;
  const std::string denied = error(
      "ERR DEBUG command not allowed. If the enable-debug-command option is set to \"local\", "
      "you can run it from a local connection, otherwise you need to set this option in the "
      "configuration file, and then restart the server.");
  const std::string protected_dir = error(
      "ERR CONFIG SET failed (possibly related to argument 'dir') - can't set protected config");
  AddressOnly remote("10.1.2.3:5000", false), loopback("127.0.0.1:5000", false),
      loopback6("::1:5000", false), unix_socket("/unixsocket:0", true);
  h.client().conn = &remote;
  EXPECT_EQ(h.run({"DEBUG", "SLEEP", "0"}), kOk);  // the harness says "yes"
  EXPECT_EQ(h.config().set("enable-debug-command", {"no"}, true), "");
  EXPECT_EQ(h.config().set("enable-protected-configs", {"no"}, true), "");
  EXPECT_EQ(h.run({"DEBUG", "SLEEP", "0"}), denied);
  EXPECT_EQ(h.run({"CONFIG", "SET", "dir", "/tmp"}), protected_dir);
  EXPECT_EQ(h.run({"CONFIG", "SET", "hz", "11"}), kOk);  // not a protected one
  // A refused DEBUG inside MULTI fails the transaction, like any rejection.
  EXPECT_EQ(h.run({"MULTI"}), kOk);
  EXPECT_EQ(h.run({"DEBUG", "SLEEP", "0"}), denied);
  EXPECT_EQ(h.run({"EXEC"}), error("EXECABORT Transaction discarded because of previous errors."));
  EXPECT_EQ(h.config().set("enable-debug-command", {"local"}, true), "");
  EXPECT_EQ(h.config().set("enable-protected-configs", {"local"}, true), "");
  EXPECT_EQ(h.run({"DEBUG", "SLEEP", "0"}), denied);
  EXPECT_EQ(h.run({"CONFIG", "SET", "dbfilename", "x.rdb"}),
            error("ERR CONFIG SET failed (possibly related to argument 'dbfilename') - can't set "
                  "protected config"));
  for (AddressOnly* local : {&loopback, &loopback6, &unix_socket}) {
    h.client().conn = local;
    EXPECT_EQ(h.run({"DEBUG", "SLEEP", "0"}), kOk) << local->peer_address();
    EXPECT_EQ(h.run({"CONFIG", "SET", "dir", "."}), kOk) << local->peer_address();
  }
  h.client().conn = nullptr;
}

}  // namespace kvd::test
