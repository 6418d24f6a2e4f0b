// TLS through the real socket: a kvd with tls-port beside its plain port,
// driven by an OpenSSL client (tls_client.hpp) and by redis-cli --tls. Runs
// with io-threads 1 and 4 like every integration test (with 4 the I/O
// threads do the crypto).
#include <gtest/gtest.h>
#include <openssl/x509.h>
#include <sys/wait.h>

#include <fstream>
#include <string>
#include <vector>

#include "child_process.hpp"
#include "kvd_process.hpp"
#include "tls_client.hpp"

namespace kvd::itest {
namespace {

class Tls : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(make_test_certs(dir_.path)) << "openssl could not make the test certificates";
    tls_port_ = free_port();
    kvd_ = std::make_unique<KvdProcess>(
        std::vector<std::string>{"--dir", dir_.path, "--tls-port", std::to_string(tls_port_),
                                 "--tls-cert-file", file("server.crt"), "--tls-key-file",
                                 file("server.key"), "--tls-ca-cert-file", file("ca.crt")});
  }
  std::string file(const std::string& name) const { return dir_.path + "/" + name; }
  std::unique_ptr<TlsClient> client(bool with_cert = true) {
    return with_cert ? std::make_unique<TlsClient>(tls_port_, file("ca.crt"), file("client.crt"),
                                                   file("client.key"))
                     : std::make_unique<TlsClient>(tls_port_, file("ca.crt"));
  }

  TempDir dir_{"kvd-tls"};
  int tls_port_ = 0;
  std::unique_ptr<KvdProcess> kvd_;
};

TEST_F(Tls, CommandsOverTls) {
  auto c = client();
  ASSERT_TRUE(c->ok());
  EXPECT_EQ(c->call({"PING"}), "PONG");
  EXPECT_EQ(c->call({"SET", "k", "v"}), "OK");
  EXPECT_EQ(c->call({"GET", "k"}), "v");
  // The plain port sees the same data.
  auto plain = kvd_->connect();
  auto r = KvdProcess::command(plain.get(), {"GET", "k"});
  ASSERT_TRUE(r && r->type == REDIS_REPLY_STRING);
  EXPECT_EQ(std::string(r->str, r->len), "v");
}

TEST_F(Tls, OneMegabyteValue) {
  auto c = client();
  ASSERT_TRUE(c->ok());
  std::string big(1 << 20, 'x');
  for (size_t i = 0; i < big.size(); i += 4093) big[i] = static_cast<char>('a' + i % 26);
  EXPECT_EQ(c->call({"SET", "big", big}), "OK");
  EXPECT_EQ(c->call({"GET", "big"}), big);
  EXPECT_EQ(c->call({"STRLEN", "big"}), std::to_string(big.size()));
}

TEST_F(Tls, PipelinedCommandsAnswerInOrder) {
  auto c = client();
  ASSERT_TRUE(c->ok());
  std::string batch;
  const int n = 2000;
  for (int i = 0; i < n; ++i) batch += resp({"INCR", "counter"});
  ASSERT_TRUE(c->send_raw(batch));
  for (int i = 1; i <= n; ++i) {
    auto r = c->read_reply();
    ASSERT_TRUE(r);
    ASSERT_EQ(r->type, REDIS_REPLY_INTEGER);
    ASSERT_EQ(r->integer, i);
  }
}

TEST_F(Tls, PubSubAndBlockingPops) {
  auto sub = client();
  ASSERT_TRUE(sub->ok());
  EXPECT_EQ(sub->call({"SUBSCRIBE", "news"}), "<array 3>");
  auto plain = kvd_->connect();
  auto n = KvdProcess::command(plain.get(), {"PUBLISH", "news", "hello"});
  ASSERT_TRUE(n);
  EXPECT_EQ(n->integer, 1);
  auto msg = sub->read_reply();
  ASSERT_TRUE(msg && msg->type == REDIS_REPLY_ARRAY && msg->elements == 3);
  EXPECT_EQ(std::string(msg->element[2]->str, msg->element[2]->len), "hello");

  auto waiter = client();
  ASSERT_TRUE(waiter->ok());
  ASSERT_TRUE(waiter->send({"BLPOP", "queue", "10"}));
  // Pushed once the pop is blocked, so the reply can only come from the push.
  ASSERT_TRUE(wait_until([&] { return info_field(plain.get(), "blocked_clients") == "1"; }));
  KvdProcess::command(plain.get(), {"RPUSH", "queue", "job"});
  auto popped = waiter->read_reply();
  ASSERT_TRUE(popped && popped->type == REDIS_REPLY_ARRAY && popped->elements == 2);
  EXPECT_EQ(std::string(popped->element[1]->str, popped->element[1]->len), "job");
}

TEST_F(Tls, PlainTextClientOnTheTlsPortIsDropped) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(static_cast<uint16_t>(tls_port_));
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  timeval tv{10, 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  ASSERT_EQ(::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
  const std::string ping = "*1\r\n$4\r\nPING\r\n";
  ASSERT_EQ(::send(fd, ping.data(), ping.size(), MSG_NOSIGNAL), static_cast<ssize_t>(ping.size()));
  char buf[64];
  ssize_t got = ::recv(fd, buf, sizeof buf, 0);
  ::close(fd);
  EXPECT_LE(got, 0) << "a plain-text client got an answer on the TLS port";
  // Everyone else is served as before.
  auto c = client();
  ASSERT_TRUE(c->ok());
  EXPECT_EQ(c->call({"PING"}), "PONG");
  EXPECT_TRUE(kvd_->ping());
}

TEST_F(Tls, ClientCertificatesRequiredOrOptional) {
  // tls-auth-clients yes (the default): no certificate, no session. In TLS
  // 1.3 the refusal can arrive after the client's side of the handshake.
  {
    auto anon = client(false);
    EXPECT_TRUE(!anon->ok() || anon->call({"PING"}) == "<closed>");
  }
  auto plain = kvd_->connect();
  auto r = KvdProcess::command(plain.get(), {"CONFIG", "SET", "tls-auth-clients", "optional"});
  ASSERT_TRUE(r && r->type == REDIS_REPLY_STATUS) << (r ? r->str : "no reply");
  auto anon = client(false);
  ASSERT_TRUE(anon->ok());
  EXPECT_EQ(anon->call({"PING"}), "PONG");
  auto with_cert = client();
  ASSERT_TRUE(with_cert->ok());
  EXPECT_EQ(with_cert->call({"PING"}), "PONG");
}

std::string peer_common_name(SSL* ssl) {
  X509* cert = SSL_get1_peer_certificate(ssl);
  if (!cert) return "";
  char cn[256] = {0};
  X509_NAME_get_text_by_NID(X509_get_subject_name(cert), NID_commonName, cn, sizeof cn);
  X509_free(cert);
  return cn;
}

TEST_F(Tls, CertificatesReloadWithConfigSet) {
  auto before = client();
  ASSERT_TRUE(before->ok());
  EXPECT_EQ(peer_common_name(before->ssl()), "server");
  auto plain = kvd_->connect();
  auto r = KvdProcess::command(plain.get(), {"CONFIG", "SET", "tls-cert-file", file("server2.crt"),
                                             "tls-key-file", file("server2.key")});
  ASSERT_TRUE(r && r->type == REDIS_REPLY_STATUS) << (r ? r->str : "no reply");
  auto after = client();
  ASSERT_TRUE(after->ok());
  EXPECT_EQ(peer_common_name(after->ssl()), "server2");
  EXPECT_EQ(after->call({"PING"}), "PONG");
  // The session made before keeps working.
  EXPECT_EQ(before->call({"PING"}), "PONG");
  // A certificate that does not load fails the command and changes nothing.
  r = KvdProcess::command(plain.get(), {"CONFIG", "SET", "tls-cert-file", file("missing.crt")});
  ASSERT_TRUE(r && r->type == REDIS_REPLY_ERROR);
  EXPECT_NE(std::string(r->str).find("Unable to update TLS configuration"), std::string::npos)
      << r->str;
  auto again = client();
  ASSERT_TRUE(again->ok());
  EXPECT_EQ(peer_common_name(again->ssl()), "server2");
}

TEST_F(Tls, RedisCliAndRedisBenchmarkSpeakToIt) {
  const std::string tls = " --tls --cacert " + file("ca.crt") + " --cert " + file("client.crt") +
                          " --key " + file("client.key");
  const std::string port = " -p " + std::to_string(tls_port_);
  FILE* p = ::popen(("redis-cli" + port + tls + " SET fromcli yes 2>&1").c_str(), "r");
  ASSERT_NE(p, nullptr);
  char buf[256] = {0};
  size_t n = fread(buf, 1, sizeof buf - 1, p);
  ::pclose(p);
  EXPECT_EQ(std::string(buf, n), "OK\n");
  int rc = std::system(
      ("redis-benchmark -q" + port + tls + " -t set,get -n 2000 -c 4 -P 8 >/dev/null 2>&1")
          .c_str());
  EXPECT_EQ(WEXITSTATUS(rc), 0);
  auto plain = kvd_->connect();
  auto r = KvdProcess::command(plain.get(), {"GET", "fromcli"});
  ASSERT_TRUE(r && r->type == REDIS_REPLY_STRING);
  EXPECT_EQ(std::string(r->str, r->len), "yes");
}

TEST_F(Tls, ReplicaSyncsOverTls) {
  auto plain = kvd_->connect();
  KvdProcess::command(plain.get(), {"SET", "before", "sync"});
  // The replica writes the snapshot it receives: into a directory of the
  // test's own, not the working directory later tests start servers in.
  TempDir replica_dir("kvd-tls-replica");
  KvdProcess replica({"--dir", replica_dir.path, "--tls-replication", "yes", "--replicaof",
                      "127.0.0.1", std::to_string(tls_port_), "--tls-cert-file", file("client.crt"),
                      "--tls-key-file", file("client.key"), "--tls-ca-cert-file", file("ca.crt")});
  auto rc = replica.connect();
  ASSERT_TRUE(wait_until([&] { return info_field(rc.get(), "master_link_status") == "up"; }))
      << replica.log_text();
  KvdProcess::command(plain.get(), {"SET", "after", "sync"});
  auto value = [&](const std::string& key) {
    auto r = KvdProcess::command(rc.get(), {"GET", key});
    return r && r->type == REDIS_REPLY_STRING ? std::string(r->str, r->len) : "";
  };
  EXPECT_TRUE(wait_until([&] { return value("before") == "sync" && value("after") == "sync"; }));
  // The master sees its replica on the TLS port.
  auto roles = KvdProcess::command(plain.get(), {"INFO", "replication"});
  ASSERT_TRUE(roles && roles->type == REDIS_REPLY_STRING);
  EXPECT_NE(std::string(roles->str).find("connected_slaves:1"), std::string::npos);
}

TEST(TlsStartup, MissingCertificateStopsTheServer) {
  TempDir dir("kvd-tls-start");
  const std::string log = dir.path + "/kvd.log";
  const int port = free_port();
  pid_t pid = fork();
  if (pid == 0) {
    int fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    dup2(fd, STDOUT_FILENO);
    dup2(fd, STDERR_FILENO);
    execl(KVD_BINARY, KVD_BINARY, "--port", "0", "--tls-port", std::to_string(port).c_str(),
          "--save", "", static_cast<char*>(nullptr));
    _exit(127);
  }
  int status = 0;
  ASSERT_TRUE(wait_until([&] { return waitpid(pid, &status, WNOHANG) == pid; }))
      << "kvd kept running without a certificate";
  EXPECT_NE(WEXITSTATUS(status), 0);
  std::ifstream in(log);
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  EXPECT_NE(text.find("No tls-cert-file configured!"), std::string::npos) << text;
  EXPECT_NE(text.find("Failed to configure TLS. Check logs for more info."), std::string::npos);
}

}  // namespace
}  // namespace kvd::itest
