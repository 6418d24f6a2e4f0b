#include "kvd/server/supervision.hpp"

#include <signal.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>

#include <spdlog/spdlog.h>

namespace kvd::server {
namespace {

SupervisedMode g_mode = SupervisedMode::kNone;

bool start_upstart() {
  if (!std::getenv("UPSTART_JOB")) {
    spdlog::warn("upstart supervision requested, but UPSTART_JOB not found!");
    return false;
  }
  spdlog::info("supervised by upstart, will stop to signal readiness.");
  // upstart's `expect stop` waits for this stop as the sign we are up.
  ::raise(SIGSTOP);
  ::unsetenv("UPSTART_JOB");
  return true;
}

bool start_systemd() {
  const char* path = std::getenv("NOTIFY_SOCKET");
  if (!path || !*path) {
    spdlog::warn("systemd supervision error: NOTIFY_SOCKET not found!");
    return false;
  }
  if (!send_notify_datagram(path, "STATUS=kvd is loading...\n")) {
    spdlog::warn("systemd supervision error: sd_notify: {}", std::strerror(errno));
    return false;
  }
  spdlog::info(
      "Supervised by systemd. Please make sure you set appropriate values for TimeoutStartSec "
      "and TimeoutStopSec in your service unit.");
  return true;
}

}  // namespace

bool send_notify_datagram(const std::string& socket_path, const std::string& message) {
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  if (socket_path.empty() || socket_path.size() >= sizeof(addr.sun_path)) {
    errno = EINVAL;
    return false;
  }
  std::memcpy(addr.sun_path, socket_path.data(), socket_path.size());
  // "@name" is Linux's abstract namespace: the name starts with a NUL byte.
  if (socket_path[0] == '@') addr.sun_path[0] = '\0';
  const socklen_t len =
      static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + socket_path.size());
  int fd = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return false;
  // A datagram socket never blocks for long, but a full receive queue would:
  // MSG_DONTWAIT so a stuck supervisor cannot stall the loop.
  ssize_t n = ::sendto(fd, message.data(), message.size(), MSG_NOSIGNAL | MSG_DONTWAIT,
                       reinterpret_cast<const sockaddr*>(&addr), len);
  const int saved = errno;
  ::close(fd);
  errno = saved;
  return n == static_cast<ssize_t>(message.size());
}

SupervisedMode start_supervision(const std::string& directive) {
  SupervisedMode want = SupervisedMode::kNone;
  if (directive == "upstart") {
    want = SupervisedMode::kUpstart;
  } else if (directive == "systemd") {
    want = SupervisedMode::kSystemd;
  } else if (directive == "auto") {
    if (std::getenv("UPSTART_JOB")) {
      spdlog::debug("Upstart supervision detected.");
      want = SupervisedMode::kUpstart;
    } else if (std::getenv("NOTIFY_SOCKET")) {
      spdlog::debug("Systemd supervision detected.");
      want = SupervisedMode::kSystemd;
    }
  }
  bool ok = false;
  if (want == SupervisedMode::kUpstart) ok = start_upstart();
  if (want == SupervisedMode::kSystemd) ok = start_systemd();
  g_mode = ok ? want : SupervisedMode::kNone;
  return g_mode;
}

SupervisedMode supervised_mode() {
  return g_mode;
}

bool notify_supervisor(const std::string& message) {
  if (g_mode != SupervisedMode::kSystemd) return false;
  const char* path = std::getenv("NOTIFY_SOCKET");
  if (path && send_notify_datagram(path, message)) return true;
  spdlog::warn("systemd supervision error: sd_notify: {}", std::strerror(errno));
  return false;
}

}  // namespace kvd::server
