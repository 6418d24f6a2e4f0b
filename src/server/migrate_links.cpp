#include "kvd/server/migrate_links.hpp"

#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>

namespace kvd::server {
namespace {

int64_t mono_ms() {
  using namespace std::chrono;
  return duration_cast<milliseconds>(steady_clock::now().time_since_epoch()).count();
}

// Waits until fd is ready for `events` or the deadline passes: 1 ready,
// 0 timed out, -1 error.
int wait_ready(int fd, short events, int64_t deadline_ms) {
  while (true) {
    int64_t left = deadline_ms - mono_ms();
    if (left <= 0) return 0;
    pollfd p{fd, events, 0};
    int r = ::poll(&p, 1, static_cast<int>(left));
    if (r > 0) return (p.revents & (POLLERR | POLLNVAL)) && !(p.revents & events) ? -1 : 1;
    if (r == 0) return 0;
    if (errno != EINTR) return -1;
  }
}

// A non-blocking connect to the first address of host:port that answers in
// time; -1 on failure.
int connect_with_deadline(const std::string& host, const std::string& port, int64_t deadline_ms) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* res = nullptr;
  if (::getaddrinfo(host.c_str(), port.c_str(), &hints, &res) != 0) return -1;
  int fd = -1;
  for (addrinfo* a = res; a && fd < 0; a = a->ai_next) {
    int s = ::socket(a->ai_family, a->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, a->ai_protocol);
    if (s < 0) continue;
    if (::connect(s, a->ai_addr, a->ai_addrlen) == 0) {
      fd = s;
      break;
    }
    int err = 0;
    socklen_t len = sizeof err;
    if (errno == EINPROGRESS && wait_ready(s, POLLOUT, deadline_ms) == 1 &&
        ::getsockopt(s, SOL_SOCKET, SO_ERROR, &err, &len) == 0 && err == 0) {
      fd = s;
      break;
    }
    ::close(s);
  }
  ::freeaddrinfo(res);
  if (fd >= 0) {
    int one = 1;
    ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  }
  return fd;
}

}  // namespace

class MigrateLinks::Link final : public engine::MigrateLink {
 public:
  explicit Link(int fd) : fd_(fd) {}
  ~Link() override { ::close(fd_); }

  bool write_all(std::string_view data, int64_t timeout_ms) override {
    const int64_t deadline = mono_ms() + timeout_ms;
    timed_out_ = false;
    while (!data.empty()) {
      ssize_t n = ::send(fd_, data.data(), data.size(), MSG_NOSIGNAL);
      if (n > 0) {
        data.remove_prefix(static_cast<size_t>(n));
        continue;
      }
      if (n < 0 && errno == EINTR) continue;
      if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
        int r = wait_ready(fd_, POLLOUT, deadline);
        if (r == 1) continue;
        timed_out_ = r == 0;
      }
      return false;
    }
    return true;
  }

  bool read_line(std::string* line, int64_t timeout_ms) override {
    const int64_t deadline = mono_ms() + timeout_ms;
    timed_out_ = false;
    while (true) {
      size_t nl = buf_.find('\n');
      if (nl != std::string::npos) {
        size_t end = nl > 0 && buf_[nl - 1] == '\r' ? nl - 1 : nl;
        line->assign(buf_, 0, end);
        buf_.erase(0, nl + 1);
        return true;
      }
      char chunk[4096];
      ssize_t n = ::recv(fd_, chunk, sizeof chunk, 0);
      if (n > 0) {
        buf_.append(chunk, static_cast<size_t>(n));
        continue;
      }
      if (n < 0 && errno == EINTR) continue;
      if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
        int r = wait_ready(fd_, POLLIN, deadline);
        if (r == 1) continue;
        timed_out_ = r == 0;
      }
      return false;  // error, timeout, or the peer closed
    }
  }

  bool timed_out() const override { return timed_out_; }

 private:
  int fd_;
  bool timed_out_ = false;
  std::string buf_;  // bytes read past the last line
};

MigrateLinks::~MigrateLinks() = default;

engine::MigrateLink* MigrateLinks::get(const std::string& host, const std::string& port,
                                       int64_t timeout_ms, int64_t now_s) {
  const std::string name = host + ":" + port;
  if (auto it = links_.find(name); it != links_.end()) {
    it->second.last_use_s = now_s;
    return it->second.link.get();
  }
  if (links_.size() >= kMaxLinks) links_.erase(links_.begin());  // Redis drops one at random
  int fd = connect_with_deadline(host, port, mono_ms() + timeout_ms);
  if (fd < 0) return nullptr;
  Cached& c = links_[name];
  c.link = std::make_unique<Link>(fd);
  c.last_use_s = now_s;
  return c.link.get();
}

void MigrateLinks::close(const std::string& host, const std::string& port) {
  links_.erase(host + ":" + port);
}

void MigrateLinks::close_idle(int64_t now_s) {
  for (auto it = links_.begin(); it != links_.end();) {
    if (now_s - it->second.last_use_s > kIdleSeconds)
      it = links_.erase(it);
    else
      ++it;
  }
}

}  // namespace kvd::server
