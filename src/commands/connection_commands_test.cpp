#include <gtest/gtest.h>

#include "support/engine_harness.hpp"

namespace kvd::test {

TEST(ConnectionCommands, PingReplies) {
  EngineHarness h;
  EXPECT_EQ(h.run({"PING"}), simple("PONG"));
  EXPECT_EQ(h.run({"ping", "hello"}), bulk("hello"));
  EXPECT_EQ(h.run({"ping", "a", "b"}), error("ERR wrong number of arguments for 'ping' command"));
}

TEST(Dispatch, UnknownCommandAndArity) {
  EngineHarness h;
  EXPECT_EQ(h.run({"foo", "a", "b"}),
            error("ERR unknown command 'foo', with args beginning with: 'a' 'b' "));
  EXPECT_EQ(h.run({"foo"}), error("ERR unknown command 'foo', with args beginning with: "));
}

TEST(Dispatch, ContainerWithoutSubcommand) {
  EngineHarness h;
  EXPECT_EQ(h.run({"CONFIG"}), error("ERR wrong number of arguments for 'config' command"));
  EXPECT_EQ(h.run({"client"}), error("ERR wrong number of arguments for 'client' command"));
  EXPECT_EQ(h.run({"config", "nope"}), error("ERR unknown subcommand 'nope'. Try CONFIG HELP."));
  EXPECT_EQ(h.run({"config", "get"}),
            error("ERR wrong number of arguments for 'config|get' command"));
}

TEST(ConnectionCommands, Echo) {
  EngineHarness h;
  EXPECT_EQ(h.run({"ECHO", "hi there"}), bulk("hi there"));
  EXPECT_EQ(h.run({"echo"}), error("ERR wrong number of arguments for 'echo' command"));
}

TEST(ConnectionCommands, QuitClosesAfterReply) {
  EngineHarness h;
  EXPECT_FALSE(h.client().close_after_reply);
  EXPECT_EQ(h.run({"QUIT"}), kOk);
  EXPECT_TRUE(h.client().close_after_reply);
  EngineHarness h2;
  EXPECT_EQ(h2.run({"quit", "extra"}), kOk);  // Redis ignores extra arguments
}

TEST(ConnectionCommands, Select) {
  EngineHarness h;
  EXPECT_EQ(h.run({"SELECT", "15"}), kOk);
  EXPECT_EQ(h.client().db_index, 15);
  EXPECT_EQ(h.run({"SELECT", "16"}), error("ERR DB index is out of range"));
  EXPECT_EQ(h.run({"SELECT", "-1"}), error("ERR DB index is out of range"));
  EXPECT_EQ(h.run({"SELECT", "x"}), error("ERR value is not an integer or out of range"));
  EXPECT_EQ(h.run({"SELECT", "99999999999"}), error("ERR value is not an integer or out of range"));
  EXPECT_EQ(h.run({"SELECT", "0", "1"}),
            error("ERR wrong number of arguments for 'select' command"));
  EXPECT_EQ(h.client().db_index, 15);
  h.engine().db(3).add("k", engine::Value::from_string("v"));
  EXPECT_EQ(h.run({"select", "3"}), kOk);
  EXPECT_EQ(h.run({"dbsize"}), integer(1));
}

std::string hello_reply(char map_prefix, int proto, uint64_t id) {
  std::string r = std::string(1, map_prefix) + (map_prefix == '*' ? "14" : "7") + "\r\n";
  r += bulk("server") + bulk("redis") + bulk("version") + bulk("7.0.15") + bulk("proto") +
       integer(proto) + bulk("id") + integer(static_cast<long long>(id)) + bulk("mode") +
       bulk("standalone") + bulk("role") + bulk("master") + bulk("modules") + "*0\r\n";
  return r;
}

TEST(ConnectionCommands, HelloSwitchesProtocol) {
  EngineHarness h;
  uint64_t id = h.client().id;
  EXPECT_EQ(h.run({"HELLO"}), hello_reply('*', 2, id));
  EXPECT_EQ(h.run({"HELLO", "3"}), hello_reply('%', 3, id));
  EXPECT_EQ(h.client().resp, 3);
  EXPECT_EQ(h.run({"HELLO"}), hello_reply('%', 3, id));
  EXPECT_EQ(h.run({"HELLO", "2"}), hello_reply('*', 2, id));
  EXPECT_EQ(h.client().resp, 2);
}

TEST(ConnectionCommands, HelloErrors) {
  EngineHarness h;
  EXPECT_EQ(h.run({"HELLO", "4"}), error("NOPROTO unsupported protocol version"));
  EXPECT_EQ(h.run({"HELLO", "1"}), error("NOPROTO unsupported protocol version"));
  EXPECT_EQ(h.run({"HELLO", "x"}), error("ERR Protocol version is not an integer or out of range"));
  EXPECT_EQ(h.run({"HELLO", "3", "foo"}), error("ERR Syntax error in HELLO option 'foo'"));
  EXPECT_EQ(h.run({"HELLO", "3", "auth", "default"}),
            error("ERR Syntax error in HELLO option 'auth'"));
  EXPECT_EQ(h.run({"HELLO", "2", "setname", "a b"}),
            error("ERR Client names cannot contain spaces, newlines or special characters."));
  EXPECT_EQ(h.client().resp, 2);
  EXPECT_EQ(h.engine().stats().error_codes["NOPROTO"], 2u);
}

TEST(ConnectionCommands, HelloSetnameAndAuth) {
  EngineHarness h;
  h.run({"CONFIG", "SET", "requirepass", "secret"});
  h.client().authenticated = false;
  std::string noauth =
      "NOAUTH HELLO must be called with the client already authenticated, otherwise the HELLO "
      "AUTH <user> <pass> option can be used to authenticate the client and select the RESP "
      "protocol version at the same time";
  EXPECT_EQ(h.run({"HELLO", "3"}), error(noauth));
  EXPECT_EQ(h.client().resp, 2);
  EXPECT_EQ(h.run({"HELLO", "3", "AUTH", "default", "wrong"}),
            error("WRONGPASS invalid username-password pair or user is disabled."));
  EXPECT_FALSE(h.client().authenticated);
  std::string r = h.run({"HELLO", "3", "AUTH", "default", "secret", "SETNAME", "conn1"});
  EXPECT_EQ(r, hello_reply('%', 3, h.client().id));
  EXPECT_TRUE(h.client().authenticated);
  EXPECT_EQ(h.client().name, "conn1");
}

TEST(ConnectionCommands, AuthWithoutPassword) {
  EngineHarness h;
  EXPECT_EQ(h.run({"AUTH", "x"}),
            error("ERR AUTH <password> called without any password configured for the default "
                  "user. Are you sure your configuration is correct?"));
  // The default user is "nopass": any password is accepted for it.
  EXPECT_EQ(h.run({"AUTH", "default", "anything"}), kOk);
  EXPECT_EQ(h.run({"AUTH", "bob", "x"}),
            error("WRONGPASS invalid username-password pair or user is disabled."));
  EXPECT_EQ(h.run({"AUTH", "a", "b", "c"}), error("ERR syntax error"));
  EXPECT_EQ(h.run({"AUTH"}), error("ERR wrong number of arguments for 'auth' command"));
}

TEST(ConnectionCommands, AuthWithRequirepass) {
  EngineHarness h;
  EXPECT_EQ(h.run({"CONFIG", "SET", "requirepass", "pw"}), kOk);
  // Existing connections stay authenticated; new ones start without.
  EXPECT_EQ(h.run({"PING"}), simple("PONG"));
  engine::Client other;
  other.id = h.engine().next_client_id();
  h.engine().add_client(&other);
  EXPECT_FALSE(other.authenticated);
  h.engine().remove_client(&other);

  h.client().authenticated = false;
  EXPECT_EQ(h.run({"PING"}), error("NOAUTH Authentication required."));
  EXPECT_EQ(h.run({"AUTH", "nope"}),
            error("WRONGPASS invalid username-password pair or user is disabled."));
  EXPECT_EQ(h.run({"AUTH", "pw"}), kOk);
  EXPECT_TRUE(h.client().authenticated);
  EXPECT_EQ(h.run({"PING"}), simple("PONG"));
  h.client().authenticated = false;
  EXPECT_EQ(h.run({"AUTH", "default", "pw"}), kOk);
  EXPECT_TRUE(h.client().authenticated);
}

TEST(ConnectionCommands, ResetRestoresFreshState) {
  EngineHarness h;
  h.run({"SELECT", "5"});
  h.run({"HELLO", "3", "SETNAME", "me"});
  h.client().no_evict = true;
  EXPECT_EQ(h.run({"RESET"}), simple("RESET"));
  EXPECT_EQ(h.client().db_index, 0);
  EXPECT_EQ(h.client().resp, 2);
  EXPECT_EQ(h.client().name, "");
  EXPECT_FALSE(h.client().no_evict);
  EXPECT_TRUE(h.client().authenticated);

  h.run({"CONFIG", "SET", "requirepass", "pw"});
  EXPECT_EQ(h.run({"RESET"}), simple("RESET"));
  EXPECT_FALSE(h.client().authenticated);
  EXPECT_EQ(h.run({"RESET"}), simple("RESET"));  // allowed without auth
}

}  // namespace kvd::test
