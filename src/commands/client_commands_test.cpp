#include <gtest/gtest.h>

#include <regex>

#include "support/engine_harness.hpp"

namespace kvd::test {
namespace {

class FakeConn : public engine::ConnectionView {
 public:
  explicit FakeConn(std::string peer, std::string local = "127.0.0.1:6379", int fd = 8)
      : peer_(std::move(peer)), local_(std::move(local)), fd_(fd) {}
  std::string peer_address() const override { return peer_; }
  std::string local_address() const override { return local_; }
  int fd() const override { return fd_; }
  size_t query_buffer_used() const override { return 26; }
  size_t query_buffer_free() const override { return 20448; }
  size_t output_pending() const override { return 0; }
  size_t output_allocated() const override { return 16384; }
  bool is_unix_socket() const override { return false; }
  void close_soon() override { ++closed; }
  void schedule_flush() override {}
  void resume() override {}
  int closed = 0;

 private:
  std::string peer_, local_;
  int fd_;
};

// A second registered client (another connection).
struct OtherClient {
  OtherClient(engine::Engine& e, engine::ConnectionView* conn) : engine(e) {
    c.id = e.next_client_id();
    c.conn = conn;
    e.add_client(&c);
  }
  ~OtherClient() { engine.remove_client(&c); }
  engine::Engine& engine;
  engine::Client c;
};

// The payload of a RESP2 bulk reply.
std::string bulk_payload(const std::string& r) {
  size_t crlf = r.find("\r\n");
  return r.substr(crlf + 2, r.size() - crlf - 4);
}

}  // namespace

TEST(ClientCommands, IdSetnameGetname) {
  EngineHarness h;
  EXPECT_EQ(h.run({"CLIENT", "ID"}), integer(static_cast<long long>(h.client().id)));
  EXPECT_EQ(h.run({"CLIENT", "GETNAME"}), kNil);
  EXPECT_EQ(h.run({"CLIENT", "SETNAME", "worker-1"}), kOk);
  EXPECT_EQ(h.run({"CLIENT", "GETNAME"}), bulk("worker-1"));
  for (const char* bad : {"a b", "a\nb", "caf\xc3\xa9"}) {
    EXPECT_EQ(h.run({"CLIENT", "SETNAME", bad}),
              error("ERR Client names cannot contain spaces, newlines or special characters."));
  }
  EXPECT_EQ(h.run({"CLIENT", "SETNAME", ""}), kOk);  // clears the name
  EXPECT_EQ(h.run({"CLIENT", "GETNAME"}), kNil);
  EXPECT_EQ(h.run({"CLIENT", "SETNAME"}),
            error("ERR wrong number of arguments for 'client|setname' command"));
  EXPECT_EQ(h.run({"CLIENT", "bogus"}), error("ERR unknown subcommand 'bogus'. Try CLIENT HELP."));
}

TEST(ClientCommands, ListLineWithConnection) {
  EngineHarness h;
  FakeConn conn("127.0.0.1:60188", "127.0.0.1:7301", 8);
  h.client().conn = &conn;
  h.clock().advance_ms(3000);
  std::string line = bulk_payload(h.run({"CLIENT", "LIST"}));
  std::string id = std::to_string(h.client().id);
  std::regex re(
      "id=" + id +
      " addr=127\\.0\\.0\\.1:60188 laddr=127\\.0\\.0\\.1:7301 fd=8 name= age=3 idle=0 flags=N "
      "db=0 sub=0 psub=0 ssub=0 multi=-1 qbuf=26 qbuf-free=20448 argv-mem=\\d+ multi-mem=0 "
      "rbs=16384 rbp=16384 obl=0 oll=0 omem=0 tot-mem=\\d+ events=r cmd=client\\|list "
      "user=default redir=-1 resp=2\n");
  EXPECT_TRUE(std::regex_match(line, re)) << line;
  h.client().conn = nullptr;
}

TEST(ClientCommands, ListFiltersAndInfo) {
  EngineHarness h;
  OtherClient other(h.engine(), nullptr);
  other.c.name = "other";
  std::string all = bulk_payload(h.run({"CLIENT", "LIST"}));
  EXPECT_NE(all.find("id=" + std::to_string(h.client().id) + " "), std::string::npos);
  EXPECT_NE(all.find("name=other "), std::string::npos);
  EXPECT_EQ(std::count(all.begin(), all.end(), '\n'), 2);

  std::string one = bulk_payload(h.run({"CLIENT", "LIST", "ID", std::to_string(other.c.id)}));
  EXPECT_EQ(one.rfind("id=" + std::to_string(other.c.id) + " ", 0), 0u) << one;
  EXPECT_EQ(std::count(one.begin(), one.end(), '\n'), 1);
  EXPECT_EQ(h.run({"CLIENT", "LIST", "ID", "999"}), bulk(""));
  EXPECT_EQ(h.run({"CLIENT", "LIST", "ID", "abc"}), error("ERR Invalid client ID"));
  EXPECT_EQ(std::count(all.begin(), all.end(), '\n'), 2);
  std::string normal = bulk_payload(h.run({"CLIENT", "LIST", "TYPE", "normal"}));
  EXPECT_EQ(std::count(normal.begin(), normal.end(), '\n'), 2);
  EXPECT_EQ(h.run({"CLIENT", "LIST", "TYPE", "pubsub"}), bulk(""));
  EXPECT_EQ(h.run({"CLIENT", "LIST", "TYPE", "foo"}), error("ERR Unknown client type 'foo'"));
  EXPECT_EQ(h.run({"CLIENT", "LIST", "foo"}), error("ERR syntax error"));

  std::string info = bulk_payload(h.run({"CLIENT", "INFO"}));
  EXPECT_EQ(info.rfind("id=" + std::to_string(h.client().id) + " ", 0), 0u);
  EXPECT_NE(info.find(" cmd=client|info "), std::string::npos);
  // RESP3 sends the text as a verbatim string.
  h.client().resp = 3;
  EXPECT_EQ(h.run({"CLIENT", "INFO"}).rfind("=", 0), 0u);
}

TEST(ClientCommands, KillOldForm) {
  EngineHarness h;
  FakeConn mine("10.0.0.1:1000"), theirs("10.0.0.2:2000");
  h.client().conn = &mine;
  OtherClient other(h.engine(), &theirs);
  EXPECT_EQ(h.run({"CLIENT", "KILL", "1.2.3.4:5"}), error("ERR No such client"));
  EXPECT_EQ(h.run({"CLIENT", "KILL", "10.0.0.2:2000"}), kOk);
  EXPECT_EQ(theirs.closed, 1);
  EXPECT_FALSE(h.client().close_after_reply);
  // The old form may kill the caller: it closes after this reply.
  EXPECT_EQ(h.run({"CLIENT", "KILL", "10.0.0.1:1000"}), kOk);
  EXPECT_EQ(mine.closed, 0);
  EXPECT_TRUE(h.client().close_after_reply);
  h.client().conn = nullptr;
}

TEST(ClientCommands, KillNewForm) {
  EngineHarness h;
  FakeConn mine("10.0.0.1:1000", "10.0.0.9:6379"), theirs("10.0.0.2:2000", "10.0.0.9:6379");
  h.client().conn = &mine;
  OtherClient other(h.engine(), &theirs);
  EXPECT_EQ(h.run({"CLIENT", "KILL", "ID", std::to_string(other.c.id)}), integer(1));
  EXPECT_EQ(theirs.closed, 1);
  EXPECT_EQ(h.run({"CLIENT", "KILL", "ID", "9999"}), integer(0));
  // SKIPME defaults to yes.
  EXPECT_EQ(h.run({"CLIENT", "KILL", "LADDR", "10.0.0.9:6379"}), integer(1));
  EXPECT_EQ(theirs.closed, 2);
  EXPECT_FALSE(h.client().close_after_reply);
  EXPECT_EQ(h.run({"CLIENT", "KILL", "USER", "default", "TYPE", "normal"}), integer(1));
  EXPECT_EQ(h.run({"CLIENT", "KILL", "ADDR", "10.0.0.1:1000", "SKIPME", "no"}), integer(1));
  EXPECT_TRUE(h.client().close_after_reply);
  EXPECT_EQ(mine.closed, 0);

  EXPECT_EQ(h.run({"CLIENT", "KILL", "ID", "abc"}),
            error("ERR client-id should be greater than 0"));
  EXPECT_EQ(h.run({"CLIENT", "KILL", "ID", "0"}), error("ERR client-id should be greater than 0"));
  EXPECT_EQ(h.run({"CLIENT", "KILL", "TYPE", "x"}), error("ERR Unknown client type 'x'"));
  EXPECT_EQ(h.run({"CLIENT", "KILL", "USER", "bob"}), error("ERR No such user 'bob'"));
  EXPECT_EQ(h.run({"CLIENT", "KILL", "ADDR", "a", "SKIPME", "maybe"}), error("ERR syntax error"));
  EXPECT_EQ(h.run({"CLIENT", "KILL", "MAXAGE", "1"}), error("ERR syntax error"));
  EXPECT_EQ(h.run({"CLIENT", "KILL", "ID", "1", "ADDR"}), error("ERR syntax error"));
  EXPECT_EQ(h.run({"CLIENT", "KILL"}),
            error("ERR wrong number of arguments for 'client|kill' command"));
  h.client().conn = nullptr;
}

TEST(ClientCommands, SwitchesAndSetinfo) {
  EngineHarness h;
  EXPECT_EQ(h.run({"CLIENT", "NO-EVICT", "on"}), kOk);
  EXPECT_TRUE(h.client().no_evict);
  EXPECT_NE(bulk_payload(h.run({"CLIENT", "INFO"})).find(" flags=e "), std::string::npos);
  EXPECT_EQ(h.run({"CLIENT", "NO-EVICT", "OFF"}), kOk);
  EXPECT_FALSE(h.client().no_evict);
  EXPECT_EQ(h.run({"CLIENT", "NO-EVICT", "maybe"}), error("ERR syntax error"));
  EXPECT_EQ(h.run({"CLIENT", "NO-TOUCH", "on"}), kOk);
  EXPECT_TRUE(h.client().no_touch);
  EXPECT_EQ(h.run({"CLIENT", "NO-TOUCH", "off"}), kOk);
  EXPECT_FALSE(h.client().no_touch);
  EXPECT_EQ(h.run({"CLIENT", "NO-TOUCH", "x"}), error("ERR syntax error"));

  EXPECT_EQ(h.run({"CLIENT", "SETINFO", "LIB-NAME", "redis-py"}), kOk);
  EXPECT_EQ(h.run({"CLIENT", "SETINFO", "lib-ver", "5.0.1"}), kOk);
  ASSERT_TRUE(h.client().lib);
  EXPECT_EQ(h.client().lib->name, "redis-py");
  EXPECT_EQ(h.client().lib->ver, "5.0.1");
  EXPECT_EQ(h.run({"CLIENT", "SETINFO", "lib-name", "a b"}),
            error("ERR lib-name cannot contain spaces, newlines or special characters."));
  EXPECT_EQ(h.run({"CLIENT", "SETINFO", "lib-foo", "x"}),
            error("ERR Unrecognized option 'lib-foo'"));
}

TEST(ClientCommands, Help) {
  EngineHarness h;
  std::string r = h.run({"CLIENT", "HELP"});
  EXPECT_EQ(r.rfind("*", 0), 0u);
  EXPECT_NE(r.find("+CLIENT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:\r\n"),
            std::string::npos);
  EXPECT_NE(r.find("+HELP\r\n+    Prints this help.\r\n"), std::string::npos);
}

}  // namespace kvd::test

namespace kvd::test {
namespace {

// The switch is back on before CLIENT REPLY ON replies, so it answers OK.
TEST(ClientCommands, ReplyOffThenOnAnswersOnlyTheOn) {
  EngineHarness h;
  EXPECT_EQ(h.run({"CLIENT", "REPLY", "OFF"}), "");
  EXPECT_EQ(h.run({"PING", "pong"}), "");
  EXPECT_EQ(h.run({"CLIENT", "REPLY", "ON"}), "+OK\r\n");
  EXPECT_EQ(h.run({"PING", "pong3"}), "$5\r\npong3\r\n");
}

// Redis's "CLIENT REPLY ON: unset SKIP flag": ON right after SKIP replies,
// and the skip does not carry over to the command after it.
TEST(ClientCommands, ReplyOnRightAfterSkipAnswers) {
  EngineHarness h;
  EXPECT_EQ(h.run({"CLIENT", "REPLY", "SKIP"}), "");
  EXPECT_EQ(h.run({"CLIENT", "REPLY", "ON"}), "+OK\r\n");
  EXPECT_EQ(h.run({"PING"}), "+PONG\r\n");
  // A plain skip drops exactly one reply.
  EXPECT_EQ(h.run({"CLIENT", "REPLY", "SKIP"}), "");
  EXPECT_EQ(h.run({"PING", "a"}), "");
  EXPECT_EQ(h.run({"PING", "b"}), "$1\r\nb\r\n");
}

}  // namespace
}  // namespace kvd::test
