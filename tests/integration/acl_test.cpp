// ACL users through real sockets: users made with ACL SETUSER and used from
// another connection, NOPERM, ACL LOG, the ACL file (aclfile) and `user`
// lines of the config file, the connections a change of users closes, and
// the request limits of unauthenticated clients. Replies are redis-server
// 7.0.15's.

#include <gtest/gtest.h>
#include <sys/socket.h>
#include <sys/wait.h>

#include <cstdio>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "kvd_process.hpp"

namespace kvd::itest {
namespace {

// A reply as text: a status, error or string as it is, "<nil>", ":<n>" for
// an integer, "" for an array.
std::string text(const ReplyPtr& r) {
  if (!r) return "<no reply>";
  if (r->type == REDIS_REPLY_STATUS || r->type == REDIS_REPLY_ERROR ||
      r->type == REDIS_REPLY_STRING)
    return std::string(r->str, r->len);
  if (r->type == REDIS_REPLY_NIL) return "<nil>";
  if (r->type == REDIS_REPLY_INTEGER) return ":" + std::to_string(r->integer);
  return "";
}

std::string run(redisContext* c, const std::vector<std::string>& args) {
  return text(KvdProcess::command(c, args));
}

// The strings of an array reply.
std::vector<std::string> strings(redisContext* c, const std::vector<std::string>& args) {
  std::vector<std::string> out;
  auto r = KvdProcess::command(c, args);
  if (!r || r->type != REDIS_REPLY_ARRAY) return out;
  for (size_t i = 0; i < r->elements; ++i) out.emplace_back(r->element[i]->str, r->element[i]->len);
  return out;
}

// ACL LOG's entries, each as field -> text.
std::vector<std::map<std::string, std::string>> acl_log(redisContext* c) {
  std::vector<std::map<std::string, std::string>> out;
  auto r = KvdProcess::command(c, {"ACL", "LOG"});
  if (!r || r->type != REDIS_REPLY_ARRAY) return out;
  for (size_t i = 0; i < r->elements; ++i) {
    std::map<std::string, std::string> e;
    const redisReply* entry = r->element[i];
    for (size_t j = 0; j + 1 < entry->elements; j += 2) {
      const redisReply* v = entry->element[j + 1];
      e[entry->element[j]->str] =
          v->type == REDIS_REPLY_INTEGER ? std::to_string(v->integer) : std::string(v->str, v->len);
    }
    out.push_back(std::move(e));
  }
  return out;
}

// Whether the server closed this socket (EOF) before the deadline. Bytes
// that arrive first are collected in `*before`.
bool closed_by_server(int fd, std::string* before = nullptr) {
  return wait_until([&] {
    char buf[4096];
    ssize_t r = ::recv(fd, buf, sizeof buf, MSG_DONTWAIT);
    if (r > 0 && before) before->append(buf, static_cast<size_t>(r));
    return r == 0;
  });
}

// A raw connection, already authenticated as `user`.
struct RawUser {
  RawUser(const KvdProcess& kvd, const std::string& user, const std::string& pass)
      : fd(kvd.raw_socket()) {
    write_all(fd, resp({"AUTH", user, pass}));
    auth_reply = read_exact(fd, 5);
  }
  ~RawUser() {
    if (fd >= 0) ::close(fd);
  }
  std::string expect(const std::vector<std::string>& args, const std::string& want) {
    write_all(fd, resp(args));
    return read_exact(fd, want.size());
  }
  int fd;
  std::string auth_reply;
};

std::string file_text(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

void write_file(const std::string& path, const std::string& text) {
  std::ofstream out(path, std::ios::trunc);
  out << text;
}

// Starts kvd with this config file and waits for it to exit, as it must
// when the users cannot be loaded (`timeout` ends one that started
// anyway): its exit status and what it logged.
std::pair<int, std::string> run_until_exit(const std::string& conf) {
  std::string cmd = "timeout 10 " + std::string(KVD_BINARY) + " " + conf + " --port " +
                    std::to_string(free_port()) + " --bind 127.0.0.1 --loglevel warning";
  for (const auto& a : env_args()) cmd += " " + a;
  cmd += " 2>&1";
  std::string out;
  FILE* p = popen(cmd.c_str(), "r");
  if (!p) return {-1, out};
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, n);
  const int status = pclose(p);
  return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, out};
}

// SHA-256 of "apw" and "cpw".
const std::string kHashA = "e528e908837a6f2c169a132a07f95107a5cc523f61d09d028c2fa799aeef4257";
const std::string kHashC = "ca4dc450c14cdef138a04e7eb748e1d8be297042e51c28848c0c29de65abf5a2";

const std::string kWrongPass = "WRONGPASS invalid username-password pair or user is disabled.";

TEST(Acl, SetuserThenAuthOnAnotherConnection) {
  KvdProcess kvd;
  auto admin = kvd.connect();
  EXPECT_EQ(run(admin.get(), {"ACL", "SETUSER", "alice", "on", ">apw", "~a:*", "&news", "+get",
                              "+set", "+publish", "+acl|whoami"}),
            "OK");
  auto c = kvd.connect();
  EXPECT_EQ(run(c.get(), {"AUTH", "alice", "wrong"}), kWrongPass);
  EXPECT_EQ(run(c.get(), {"ACL", "WHOAMI"}), "default");
  EXPECT_EQ(run(c.get(), {"AUTH", "alice", "apw"}), "OK");
  EXPECT_EQ(run(c.get(), {"ACL", "WHOAMI"}), "alice");
  EXPECT_EQ(run(c.get(), {"SET", "a:1", "v"}), "OK");
  EXPECT_EQ(run(c.get(), {"GET", "a:1"}), "v");
  EXPECT_EQ(run(c.get(), {"GET", "b:1"}),
            "NOPERM this user has no permissions to access one of the keys used as arguments");
  EXPECT_EQ(run(c.get(), {"FLUSHALL"}),
            "NOPERM this user has no permissions to run the 'flushall' command");
  EXPECT_EQ(run(c.get(), {"CONFIG", "GET", "port"}),
            "NOPERM this user has no permissions to run the 'config|get' command");
  EXPECT_EQ(run(c.get(), {"PUBLISH", "sports", "x"}),
            "NOPERM this user has no permissions to access one of the channels used as arguments");
  EXPECT_EQ(run(c.get(), {"PUBLISH", "news", "x"}), ":0");
  // The refusals changed nothing.
  EXPECT_EQ(run(admin.get(), {"DBSIZE"}), ":1");
  // The other connection is still the default user.
  EXPECT_EQ(run(admin.get(), {"ACL", "WHOAMI"}), "default");
  // HELLO AUTH authenticates too (RESP2 here: hiredis reads no RESP3 map).
  auto h = kvd.connect();
  auto r = KvdProcess::command(h.get(), {"HELLO", "2", "AUTH", "alice", "apw"});
  ASSERT_TRUE(r);
  EXPECT_EQ(r->type, REDIS_REPLY_ARRAY);
  EXPECT_EQ(run(h.get(), {"ACL", "WHOAMI"}), "alice");
  EXPECT_EQ(run(h.get(), {"HELLO", "2", "AUTH", "alice", "nope"}), kWrongPass);
}

TEST(Acl, LogShowsAFailedAuth) {
  KvdProcess kvd;
  auto admin = kvd.connect();
  ASSERT_EQ(run(admin.get(), {"ACL", "SETUSER", "bob", "on", ">bpw", "+@all", "~*"}), "OK");
  auto c = kvd.connect();
  ASSERT_EQ(run(c.get(), {"CLIENT", "SETNAME", "intruder"}), "OK");
  EXPECT_EQ(run(c.get(), {"AUTH", "bob", "guess"}), kWrongPass);
  auto log = acl_log(admin.get());
  ASSERT_EQ(log.size(), 1u);
  EXPECT_EQ(log[0]["count"], "1");
  EXPECT_EQ(log[0]["reason"], "auth");
  EXPECT_EQ(log[0]["context"], "toplevel");
  EXPECT_EQ(log[0]["object"], "AUTH");
  EXPECT_EQ(log[0]["username"], "bob");
  const std::string& info = log[0]["client-info"];
  EXPECT_NE(info.find(" addr=127.0.0.1:"), std::string::npos) << info;
  EXPECT_NE(info.find(" name=intruder "), std::string::npos) << info;
  EXPECT_NE(info.find(" cmd=auth user=default "), std::string::npos) << info;
  // The same failure again is counted on the same entry.
  EXPECT_EQ(run(c.get(), {"AUTH", "bob", "guess2"}), kWrongPass);
  log = acl_log(admin.get());
  ASSERT_EQ(log.size(), 1u);
  EXPECT_EQ(log[0]["count"], "2");
  EXPECT_EQ(run(admin.get(), {"ACL", "LOG", "RESET"}), "OK");
  EXPECT_TRUE(acl_log(admin.get()).empty());
}

// aclfile, relative to dir: loaded at start-up, written by ACL SAVE, read
// again by ACL LOAD.
TEST(Acl, AclFileLoadSaveAndReload) {
  TempDir dir("kvd-acl");
  const std::string acl_path = dir.path + "/users.acl";
  write_file(acl_path,
             "user alice on >apw ~a:* +@read\n"
             "user bob off nopass ~* &* +@all -flushall\n");
  const std::string conf = dir.path + "/kvd.conf";
  write_file(conf, "dir " + dir.path + "\naclfile users.acl\nsave \"\"\n");
  KvdProcess kvd({}, conf);
  auto admin = kvd.connect();
  EXPECT_EQ(
      strings(admin.get(), {"ACL", "LIST"}),
      (std::vector<std::string>{"user alice on #" + kHashA + " ~a:* resetchannels -@all +@read",
                                "user bob off nopass ~* &* +@all -flushall",
                                "user default on nopass ~* &* +@all"}));
  auto cfg = strings(admin.get(), {"CONFIG", "GET", "aclfile"});
  EXPECT_EQ(cfg, (std::vector<std::string>{"aclfile", "users.acl"}));

  RawUser alice(kvd, "alice", "apw");
  EXPECT_EQ(alice.auth_reply, "+OK\r\n");
  EXPECT_EQ(alice.expect({"GET", "a:1"}, "$-1\r\n"), "$-1\r\n");

  // ACL SAVE writes every user, default included, in ACL LIST's form.
  EXPECT_EQ(run(admin.get(), {"ACL", "SETUSER", "carol", "on", ">cpw", "~c:*", "+get"}), "OK");
  EXPECT_EQ(run(admin.get(), {"ACL", "SAVE"}), "OK");
  EXPECT_EQ(file_text(acl_path),
            "user alice on #" + kHashA + " ~a:* resetchannels -@all +@read\n" +
                "user bob off nopass ~* &* +@all -flushall\n" + "user carol on #" + kHashC +
                " ~c:* resetchannels -@all +get\n" + "user default on nopass ~* &* +@all\n");

  // ACL LOAD replaces every user with the file's; clients of the old users
  // are disconnected.
  write_file(acl_path, "user dave on nopass ~d* +@all\n");
  EXPECT_EQ(run(admin.get(), {"ACL", "LOAD"}), "OK");
  EXPECT_EQ(strings(admin.get(), {"ACL", "USERS"}), (std::vector<std::string>{"dave", "default"}));
  EXPECT_EQ(strings(admin.get(), {"ACL", "LIST"}),
            (std::vector<std::string>{"user dave on nopass ~d* resetchannels +@all",
                                      "user default on nopass ~* &* +@all"}));
  EXPECT_TRUE(closed_by_server(alice.fd));
  auto d = kvd.connect();
  EXPECT_EQ(run(d.get(), {"AUTH", "dave", "x"}), "OK");
  EXPECT_EQ(run(d.get(), {"SET", "d1", "v"}), "OK");
  EXPECT_EQ(run(d.get(), {"SET", "e1", "v"}),
            "NOPERM this user has no permissions to access one of the keys used as arguments");
  EXPECT_EQ(run(admin.get(), {"AUTH", "alice", "apw"}), kWrongPass);
}

TEST(Acl, BrokenAclFileFailsLoadAndKeepsTheUsers) {
  TempDir dir("kvd-acl");
  const std::string acl_path = dir.path + "/users.acl";
  write_file(acl_path, "user alice on >apw ~a:* +@read\n");
  const std::string conf = dir.path + "/kvd.conf";
  write_file(conf, "dir " + dir.path + "\naclfile users.acl\nsave \"\"\n");
  KvdProcess kvd({}, conf);
  auto admin = kvd.connect();
  const auto before = strings(admin.get(), {"ACL", "LIST"});
  ASSERT_EQ(before.size(), 2u);

  write_file(acl_path,
             "user alice on >apw ~a:* +@read +nosuch\n"
             "user dave on nopass\n"
             "foo bar\n"
             "user dave on\n"
             "user eve on ~x &y allkeys ~z\n");
  EXPECT_EQ(run(admin.get(), {"ACL", "LOAD"}),
            "ERR users.acl:1: Error in applying operation '+nosuch': Unknown command or category "
            "name in ACL. users.acl:3 should start with user keyword followed by the username. "
            "WARNING: Duplicate user 'dave' found on line 4. users.acl:5: Adding a pattern after "
            "the * pattern (or the 'allkeys' flag) is not valid and does not have any effect. Try "
            "'resetkeys' to start with an empty list of patterns. WARNING: ACL errors detected, no "
            "change to the previously active ACL rules was performed");
  EXPECT_EQ(strings(admin.get(), {"ACL", "LIST"}), before);

  write_file(acl_path, "user x on #abc\n");
  EXPECT_EQ(run(admin.get(), {"ACL", "LOAD"}),
            "ERR users.acl:1: The password hash must be exactly 64 characters and contain only "
            "lowercase hexadecimal characters. WARNING: ACL errors detected, no change to the "
            "previously active ACL rules was performed");
  ASSERT_EQ(std::remove(acl_path.c_str()), 0);
  EXPECT_EQ(run(admin.get(), {"ACL", "LOAD"}),
            "ERR Error loading ACLs, opening file 'users.acl': No such file or directory");
  EXPECT_EQ(strings(admin.get(), {"ACL", "LIST"}), before);
  // alice still logs in.
  auto c = kvd.connect();
  EXPECT_EQ(run(c.get(), {"AUTH", "alice", "apw"}), "OK");
  EXPECT_EQ(run(c.get(), {"GET", "a:1"}), "<nil>");
}

TEST(Acl, BrokenAclFileStopsStartup) {
  TempDir dir("kvd-acl");
  write_file(dir.path + "/users.acl", "user alice on +nosuch\n");
  const std::string conf = dir.path + "/kvd.conf";
  write_file(conf, "dir " + dir.path + "\naclfile users.acl\nsave \"\"\n");
  auto [status, log] = run_until_exit(conf);
  EXPECT_EQ(status, 1);
  EXPECT_NE(log.find("# Aborting Redis startup because of ACL errors: users.acl:1: Error in "
                     "applying operation '+nosuch': Unknown command or category name in ACL. "
                     "WARNING: ACL errors detected, no change to the previously active ACL rules "
                     "was performed\n"),
            std::string::npos)
      << log;
}

TEST(Acl, UserLinesInTheConfigFile) {
  TempDir dir("kvd-acl");
  const std::string conf = dir.path + "/kvd.conf";
  write_file(conf,
             "save \"\"\n"
             "user alice on >apw ~a:* +@read (~b:* +set)\n"
             "user default on nopass ~* &* +@all -flushall\n");
  KvdProcess kvd({"--dir", dir.path}, conf);
  auto admin = kvd.connect();
  EXPECT_EQ(
      strings(admin.get(), {"ACL", "LIST"}),
      (std::vector<std::string>{"user alice on #" + kHashA +
                                    " ~a:* resetchannels -@all +@read (~b:* resetchannels "
                                    "-@all +set)",
                                "user default on nopass sanitize-payload ~* &* +@all -flushall"}));
  EXPECT_EQ(run(admin.get(), {"FLUSHALL"}),
            "NOPERM this user has no permissions to run the 'flushall' command");
  auto c = kvd.connect();
  EXPECT_EQ(run(c.get(), {"AUTH", "alice", "apw"}), "OK");
  EXPECT_EQ(run(c.get(), {"SET", "b:1", "v"}), "OK");  // the selector
  EXPECT_EQ(run(c.get(), {"GET", "b:1"}),
            "NOPERM this user has no permissions to access one of the keys used as arguments");
  EXPECT_EQ(run(c.get(), {"GET", "a:1"}), "<nil>");
  // Without an aclfile, CONFIG REWRITE keeps the users as `user` lines.
  EXPECT_EQ(run(admin.get(), {"ACL", "SETUSER", "carol", "on", ">cpw", "+get"}), "OK");
  EXPECT_EQ(run(admin.get(), {"CONFIG", "REWRITE"}), "OK");
  const std::string rewritten = file_text(conf);
  EXPECT_NE(rewritten.find("\nuser carol on #" + kHashC + " resetchannels -@all +get\n"),
            std::string::npos)
      << rewritten;
  EXPECT_NE(rewritten.find("\nuser alice on #" + kHashA), std::string::npos) << rewritten;
  // aclfile and user lines together are refused at start-up.
  TempDir dir2("kvd-acl");
  const std::string conf2 = dir2.path + "/kvd.conf";
  write_file(dir2.path + "/users.acl", "user bob on nopass\n");
  write_file(conf2, "dir " + dir2.path + "\nsave \"\"\naclfile users.acl\nuser x on nopass\n");
  auto [status, log] = run_until_exit(conf2);
  EXPECT_EQ(status, 1);
  EXPECT_NE(log.find("# Configuring Redis with users defined in redis.conf and at the same "
                     "setting an ACL file path is invalid."),
            std::string::npos)
      << log;
}

TEST(Acl, DeluserDisconnectsTheUsersClients) {
  KvdProcess kvd;
  auto admin = kvd.connect();
  ASSERT_EQ(run(admin.get(), {"ACL", "SETUSER", "k", "on", "nopass", "+@all", "~*", "&*"}), "OK");
  RawUser a(kvd, "k", "x"), b(kvd, "k", "x");
  ASSERT_EQ(a.auth_reply, "+OK\r\n");
  ASSERT_EQ(b.auth_reply, "+OK\r\n");
  auto bystander = kvd.connect();
  EXPECT_EQ(run(admin.get(), {"ACL", "DELUSER", "k"}), ":1");
  std::string extra;
  EXPECT_TRUE(closed_by_server(a.fd, &extra));
  EXPECT_TRUE(closed_by_server(b.fd, &extra));
  EXPECT_EQ(extra, "");
  EXPECT_EQ(run(bystander.get(), {"PING"}), "PONG");
  // A client deleting its own user gets the reply, then the connection closes.
  ASSERT_EQ(run(admin.get(), {"ACL", "SETUSER", "k", "on", "nopass", "+@all", "~*", "&*"}), "OK");
  RawUser self(kvd, "k", "x");
  write_all(self.fd, resp({"ACL", "DELUSER", "k"}));
  std::string got;
  EXPECT_TRUE(closed_by_server(self.fd, &got));
  EXPECT_EQ(got, ":1\r\n");
}

TEST(Acl, ClientKillUser) {
  KvdProcess kvd;
  auto admin = kvd.connect();
  ASSERT_EQ(run(admin.get(), {"ACL", "SETUSER", "ku", "on", "nopass", "+@all", "~*", "&*"}), "OK");
  RawUser a(kvd, "ku", "x"), b(kvd, "ku", "x");
  ASSERT_EQ(a.auth_reply, "+OK\r\n");
  ASSERT_EQ(b.auth_reply, "+OK\r\n");
  EXPECT_EQ(run(admin.get(), {"CLIENT", "KILL", "USER", "ku"}), ":2");
  EXPECT_TRUE(closed_by_server(a.fd));
  EXPECT_TRUE(closed_by_server(b.fd));
  EXPECT_EQ(run(admin.get(), {"CLIENT", "KILL", "USER", "nosuch"}), "ERR No such user 'nosuch'");
  // The user itself stays.
  EXPECT_EQ(strings(admin.get(), {"ACL", "USERS"}), (std::vector<std::string>{"default", "ku"}));
}

TEST(Acl, SubscriberWhoseChannelsShrinkIsDisconnected) {
  KvdProcess kvd;
  auto admin = kvd.connect();
  ASSERT_EQ(run(admin.get(), {"ACL", "SETUSER", "u", "on", "nopass", "+@all", "~*", "&c:*"}), "OK");
  RawUser s1(kvd, "u", "x"), s2(kvd, "u", "x"), plain(kvd, "u", "x");
  const std::string sub1 = "*3\r\n$9\r\nsubscribe\r\n$3\r\nc:1\r\n:1\r\n";
  const std::string sub2 = "*3\r\n$9\r\nsubscribe\r\n$3\r\nc:2\r\n:1\r\n";
  ASSERT_EQ(s1.expect({"SUBSCRIBE", "c:1"}, sub1), sub1);
  ASSERT_EQ(s2.expect({"SUBSCRIBE", "c:2"}, sub2), sub2);
  // c:2 is no longer allowed: only its subscriber goes.
  EXPECT_EQ(run(admin.get(), {"ACL", "SETUSER", "u", "resetchannels", "&c:1"}), "OK");
  EXPECT_TRUE(closed_by_server(s2.fd));
  const std::string pong = "*2\r\n$4\r\npong\r\n$0\r\n\r\n";
  EXPECT_EQ(s1.expect({"PING"}, pong), pong);
  EXPECT_EQ(run(admin.get(), {"PUBLISH", "c:1", "hi"}), ":1");
  const std::string msg = "*3\r\n$7\r\nmessage\r\n$3\r\nc:1\r\n$2\r\nhi\r\n";
  EXPECT_EQ(read_exact(s1.fd, msg.size()), msg);
  // No channel left: the other subscriber goes too; a client of the same
  // user that subscribed to nothing stays.
  EXPECT_EQ(run(admin.get(), {"ACL", "SETUSER", "u", "resetchannels"}), "OK");
  EXPECT_TRUE(closed_by_server(s1.fd));
  EXPECT_EQ(plain.expect({"PING"}, "+PONG\r\n"), "+PONG\r\n");
}

TEST(Acl, UnauthenticatedClientsHaveSmallRequestLimits) {
  KvdProcess kvd({"--requirepass", "secret"});
  {
    int fd = kvd.raw_socket();
    ASSERT_TRUE(write_all(fd, "*100\r\n"));
    EXPECT_EQ(read_to_eof(fd), "-ERR Protocol error: unauthenticated multibulk length\r\n");
    ::close(fd);
  }
  {
    int fd = kvd.raw_socket();
    ASSERT_TRUE(write_all(fd, "*3\r\n$3\r\nSET\r\n$100000000\r\n"));
    EXPECT_EQ(read_to_eof(fd), "-ERR Protocol error: unauthenticated bulk length\r\n");
    ::close(fd);
  }
  {
    // Within the limits: an ordinary NOAUTH, and the connection stays.
    int fd = kvd.raw_socket();
    std::vector<std::string> ten(10, "x");
    ten[0] = "MSET";
    ten[9] = std::string(16384, 'v');
    const std::string noauth = "-NOAUTH Authentication required.\r\n";
    ASSERT_TRUE(write_all(fd, resp(ten)));
    EXPECT_EQ(read_exact(fd, noauth.size()), noauth);
    ASSERT_TRUE(write_all(fd, resp({"AUTH", "secret"})));
    EXPECT_EQ(read_exact(fd, 5), "+OK\r\n");
    // Authenticated: the limits are the usual ones.
    std::vector<std::string> many{"MSET"};
    for (int i = 0; i < 50; ++i) {
      many.push_back("k" + std::to_string(i));
      many.push_back(std::string(20000, 'v'));
    }
    ASSERT_TRUE(write_all(fd, resp(many)));
    EXPECT_EQ(read_exact(fd, 5), "+OK\r\n");
    ::close(fd);
  }
  // The same limits hold when the default user's password was set with
  // ACL SETUSER instead of requirepass.
  KvdProcess kvd2;
  auto admin = kvd2.connect();
  ASSERT_EQ(run(admin.get(), {"ACL", "SETUSER", "default", "resetpass", ">pw"}), "OK");
  int fd = kvd2.raw_socket();
  ASSERT_TRUE(write_all(fd, "*11\r\n"));
  EXPECT_EQ(read_to_eof(fd), "-ERR Protocol error: unauthenticated multibulk length\r\n");
  ::close(fd);
}

}  // namespace
}  // namespace kvd::itest
