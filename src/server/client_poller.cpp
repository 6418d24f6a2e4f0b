#include "kvd/server/client_poller.hpp"

#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <spdlog/spdlog.h>
#include <cerrno>
#include <cstring>
#include <system_error>

namespace kvd::server {

ClientPoller::ClientPoller() {
  epfd_ = ::epoll_create1(EPOLL_CLOEXEC);
  if (epfd_ < 0) throw std::system_error(errno, std::generic_category(), "epoll_create1");
  wake_fd_ = ::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  if (wake_fd_ < 0) throw std::system_error(errno, std::generic_category(), "eventfd");
  epoll_event ev{};
  ev.events = EPOLLIN;
  ev.data.u64 = kWakeToken;
  if (::epoll_ctl(epfd_, EPOLL_CTL_ADD, wake_fd_, &ev) != 0) {
    throw std::system_error(errno, std::generic_category(), "epoll_ctl (wake-up)");
  }
}

ClientPoller::~ClientPoller() {
  if (wake_fd_ >= 0) ::close(wake_fd_);
  if (epfd_ >= 0) ::close(epfd_);
}

void ClientPoller::wake() {
  const uint64_t one = 1;
  ssize_t n = ::write(wake_fd_, &one, sizeof one);
  (void)n;  // EAGAIN: the counter is full, the main thread wakes anyway
}

void ClientPoller::watch_reactor(int reactor_fd) {
  epoll_event ev{};
  ev.events = EPOLLIN;
  ev.data.u64 = kReactorToken;
  if (::epoll_ctl(epfd_, EPOLL_CTL_ADD, reactor_fd, &ev) != 0) {
    throw std::system_error(errno, std::generic_category(), "epoll_ctl (Asio's reactor)");
  }
}

bool ClientPoller::add(int fd, uint64_t token, std::shared_ptr<Target> target) {
  epoll_event ev{};
  ev.events = EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET;
  ev.data.u64 = token;
  if (::epoll_ctl(epfd_, EPOLL_CTL_ADD, fd, &ev) != 0) return false;
  targets_[token] = std::move(target);
  return true;
}

bool ClientPoller::wait(int timeout_ms) {
  constexpr int kMax = 256;
  epoll_event evs[kMax];
  // Events the kernel already handed out are delivered once only (edge-
  // triggered): a handler that serves events from inside (a slow script)
  // calls wait() again, and that call must deliver the ones its caller had
  // not reached, or they would wait for the script to end.
  const bool outer = depth_ == 0;
  ++depth_;
  int n = ::epoll_wait(epfd_, evs, kMax, next_ < pending_.size() ? 0 : timeout_ms);
  if (n < 0) {
    if (errno != EINTR) spdlog::warn("epoll_wait failed: {}", std::strerror(errno));
    n = 0;
  }
  ++rounds_;
  saturated_ = n == kMax;
  pending_.insert(pending_.end(), evs, evs + n);
  bool reactor = n == 0 && timeout_ms != 0;  // a signal: let Asio look
  while (next_ < pending_.size()) {
    const epoll_event ev = pending_[next_++];
    if (ev.data.u64 == kReactorToken) {
      reactor = true;
      continue;
    }
    if (ev.data.u64 == kWakeToken) {
      uint64_t count;
      ssize_t r = ::read(wake_fd_, &count, sizeof count);
      (void)r;
      if (on_wake_) on_wake_();
      continue;
    }
    auto it = targets_.find(ev.data.u64);
    // Gone: the connection closed after this round was collected.
    if (it == targets_.end()) continue;
    // A reference held: the target may remove itself.
    std::shared_ptr<Target> t = it->second;
    t->on_poll(ev.events);
  }
  --depth_;
  if (outer) {
    pending_.clear();
    next_ = 0;
  }
  return reactor;
}

}  // namespace kvd::server
