// Pub/Sub, MULTI/EXEC/WATCH and RESP3 push replies through real sockets,
// checked byte for byte against what redis-server 7.0 sends.

#include <gtest/gtest.h>

#include "kvd_process.hpp"

namespace kvd::itest {
namespace {

std::string cmd(const std::vector<std::string>& args) {
  std::string s = "*" + std::to_string(args.size()) + "\r\n";
  for (const auto& a : args) s += "$" + std::to_string(a.size()) + "\r\n" + a + "\r\n";
  return s;
}

std::string bulk(const std::string& s) {
  return "$" + std::to_string(s.size()) + "\r\n" + s + "\r\n";
}

// A raw connection: send a command, read exactly the expected number of bytes.
struct Raw {
  explicit Raw(const KvdProcess& kvd) : fd(kvd.raw_socket()) {}
  ~Raw() {
    if (fd >= 0) ::close(fd);
  }
  std::string call(const std::vector<std::string>& args, size_t expect) {
    write_all(fd, cmd(args));
    return read_exact(fd, expect);
  }
  std::string expect(const std::vector<std::string>& args, const std::string& want) {
    return call(args, want.size());
  }
  std::string read(size_t n) { return read_exact(fd, n); }
  int fd;
};

TEST(PubSubMulti, SeveralSubscribersAndPatterns) {
  KvdProcess kvd;
  Raw a(kvd), b(kvd), p(kvd), pub(kvd);
  std::string sub_a = "*3\r\n$9\r\nsubscribe\r\n$4\r\nnews\r\n:1\r\n";
  EXPECT_EQ(a.expect({"SUBSCRIBE", "news"}, sub_a), sub_a);
  EXPECT_EQ(b.expect({"SUBSCRIBE", "news"}, sub_a), sub_a);
  std::string psub = "*3\r\n$10\r\npsubscribe\r\n$2\r\nn*\r\n:1\r\n";
  EXPECT_EQ(p.expect({"PSUBSCRIBE", "n*"}, psub), psub);
  EXPECT_EQ(pub.expect({"PUBLISH", "news", "hi"}, ":3\r\n"), ":3\r\n");
  std::string msg = "*3\r\n$7\r\nmessage\r\n$4\r\nnews\r\n$2\r\nhi\r\n";
  EXPECT_EQ(a.read(msg.size()), msg);
  EXPECT_EQ(b.read(msg.size()), msg);
  std::string pmsg = "*4\r\n$8\r\npmessage\r\n$2\r\nn*\r\n$4\r\nnews\r\n$2\r\nhi\r\n";
  EXPECT_EQ(p.read(pmsg.size()), pmsg);
  // RESP2 subscribed context.
  std::string pong = "*2\r\n$4\r\npong\r\n$0\r\n\r\n";
  EXPECT_EQ(a.expect({"PING"}, pong), pong);
}

TEST(PubSubMulti, Resp3PushBytes) {
  KvdProcess kvd;
  Raw s(kvd), pub(kvd);
  // HELLO 3's reply is a map; read up to the end of its last entry.
  write_all(s.fd, cmd({"HELLO", "3"}));
  std::string hello;
  while (hello.find("$7\r\nmodules\r\n*0\r\n") == std::string::npos) {
    std::string more = read_exact(s.fd, 1);
    if (more.empty()) break;
    hello += more;
  }
  EXPECT_EQ(hello.substr(0, 4), "%7\r\n");
  std::string sub = ">3\r\n$9\r\nsubscribe\r\n$1\r\nc\r\n:1\r\n";
  EXPECT_EQ(s.expect({"SUBSCRIBE", "c"}, sub), sub);
  EXPECT_EQ(s.expect({"PING"}, "+PONG\r\n"), "+PONG\r\n");
  EXPECT_EQ(s.expect({"GET", "nokey"}, "_\r\n"), "_\r\n");
  std::string conf = "%1\r\n$9\r\nmaxmemory\r\n$1\r\n0\r\n";
  EXPECT_EQ(s.expect({"CONFIG", "GET", "maxmemory"}, conf), conf);
  pub.expect({"PUBLISH", "c", "m"}, ":1\r\n");
  std::string push = ">3\r\n$7\r\nmessage\r\n$1\r\nc\r\n$1\r\nm\r\n";
  EXPECT_EQ(s.read(push.size()), push);
}

TEST(PubSubMulti, KeyspaceNotificationsReachSubscribers) {
  KvdProcess kvd;
  Raw s(kvd), w(kvd);
  w.expect({"CONFIG", "SET", "notify-keyspace-events", "KEA"}, "+OK\r\n");
  std::string sub = "*3\r\n$10\r\npsubscribe\r\n$1\r\n*\r\n:1\r\n";
  EXPECT_EQ(s.expect({"PSUBSCRIBE", "*"}, sub), sub);
  w.expect({"SET", "foo", "bar"}, "+OK\r\n");
  std::string want = "*4\r\n$8\r\npmessage\r\n$1\r\n*\r\n" + bulk("__keyspace@0__:foo") +
                     bulk("set") + "*4\r\n$8\r\npmessage\r\n$1\r\n*\r\n" +
                     bulk("__keyevent@0__:set") + bulk("foo");
  EXPECT_EQ(s.read(want.size()), want);
}

TEST(PubSubMulti, WatchRaceBetweenTwoClients) {
  KvdProcess kvd;
  Raw a(kvd), b(kvd);
  a.expect({"SET", "counter", "1"}, "+OK\r\n");
  EXPECT_EQ(a.expect({"WATCH", "counter"}, "+OK\r\n"), "+OK\r\n");
  EXPECT_EQ(b.expect({"WATCH", "counter"}, "+OK\r\n"), "+OK\r\n");
  a.expect({"MULTI"}, "+OK\r\n");
  b.expect({"MULTI"}, "+OK\r\n");
  EXPECT_EQ(a.expect({"INCR", "counter"}, "+QUEUED\r\n"), "+QUEUED\r\n");
  EXPECT_EQ(b.expect({"INCR", "counter"}, "+QUEUED\r\n"), "+QUEUED\r\n");
  // The first EXEC wins; the second sees its watched key changed.
  EXPECT_EQ(a.expect({"EXEC"}, "*1\r\n:2\r\n"), "*1\r\n:2\r\n");
  EXPECT_EQ(b.expect({"EXEC"}, "*-1\r\n"), "*-1\r\n");
  EXPECT_EQ(b.expect({"GET", "counter"}, "$1\r\n2\r\n"), "$1\r\n2\r\n");
}

TEST(PubSubMulti, ExecAbortAfterQueueingError) {
  KvdProcess kvd;
  Raw a(kvd);
  a.expect({"MULTI"}, "+OK\r\n");
  std::string arity = "-ERR wrong number of arguments for 'set' command\r\n";
  EXPECT_EQ(a.expect({"SET", "x"}, arity), arity);
  std::string abort = "-EXECABORT Transaction discarded because of previous errors.\r\n";
  EXPECT_EQ(a.expect({"EXEC"}, abort), abort);
}

}  // namespace
}  // namespace kvd::itest
