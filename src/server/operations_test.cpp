// The pure parts of kvd's process conventions: the proc title template and
// the sd_notify datagram (sent to a socket of the test's own).
#include <gtest/gtest.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstring>
#include <string>

#include "kvd/server/proc_title.hpp"
#include "kvd/server/supervision.hpp"

namespace kvd::server {
namespace {

TEST(ProcTitle, ExpandsEveryVariableAsRedisDoes) {
  ProcTitleVars v;
  v.title = "/usr/bin/kvd";
  v.bind = "10.0.0.1";
  v.port = 6379;
  v.tls_port = 6380;
  v.unixsocket = "/run/kvd.sock";
  v.config_file = "/etc/kvd.conf";
  EXPECT_EQ(expand_proc_title("{title} {listen-addr} {server-mode}", v),
            "/usr/bin/kvd 10.0.0.1:6379");
  EXPECT_EQ(expand_proc_title("{port}/{tls-port} {unixsocket} {config-file}", v),
            "6379/6380 /run/kvd.sock /etc/kvd.conf");
  EXPECT_EQ(expand_proc_title("{{literal}} {title}", v), "{literal} /usr/bin/kvd");
  v.port = 0;
  EXPECT_EQ(expand_proc_title("{listen-addr}", v), "10.0.0.1:6380");
  v.tls_port = 0;
  EXPECT_EQ(expand_proc_title("{listen-addr}", v), "unixsocket:/run/kvd.sock");
  v.config_file.clear();
  v.server_mode = "[sentinel]";
  EXPECT_EQ(expand_proc_title("  {config-file} {server-mode}  ", v), "- [sentinel]");
}

// A datagram socket in the abstract namespace, named as NOTIFY_SOCKET would.
TEST(Supervision, SendsOneDatagramPerMessage) {
  const std::string name = "@kvd-notify-test-" + std::to_string(::getpid());
  int fd = ::socket(AF_UNIX, SOCK_DGRAM, 0);
  ASSERT_GE(fd, 0);
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::memcpy(addr.sun_path + 1, name.data() + 1, name.size() - 1);
  const socklen_t len = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + name.size());
  ASSERT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&addr), len), 0);
  EXPECT_TRUE(send_notify_datagram(name, "STATUS=loading\n"));
  EXPECT_TRUE(send_notify_datagram(name, "READY=1\n"));
  char buf[64];
  ssize_t n = ::recv(fd, buf, sizeof buf, MSG_DONTWAIT);
  EXPECT_EQ(std::string(buf, n > 0 ? static_cast<size_t>(n) : 0), "STATUS=loading\n");
  n = ::recv(fd, buf, sizeof buf, MSG_DONTWAIT);
  EXPECT_EQ(std::string(buf, n > 0 ? static_cast<size_t>(n) : 0), "READY=1\n");
  ::close(fd);
  // Nobody listening: refused, not blocked.
  EXPECT_FALSE(send_notify_datagram(name, "READY=1\n"));
  EXPECT_FALSE(send_notify_datagram("", "READY=1\n"));
}

TEST(Supervision, NoSupervisorMeansNothingIsSent) {
  ::unsetenv("NOTIFY_SOCKET");
  ::unsetenv("UPSTART_JOB");
  EXPECT_EQ(start_supervision("auto"), SupervisedMode::kNone);
  EXPECT_EQ(start_supervision("no"), SupervisedMode::kNone);
  EXPECT_FALSE(notify_supervisor("READY=1\n"));
}

}  // namespace
}  // namespace kvd::server
