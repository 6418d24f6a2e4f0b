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
            "*8\r\n" + bulk("maxmemory") + bulk("0") + bulk("maxmemory-policy") +
                bulk("noeviction") + bulk("maxmemory-samples") + bulk("5") +
                bulk("maxmemory-eviction-tenacity") + bulk("10"));
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
            "maxmemory 2097152\n");
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

}  // namespace kvd::test
