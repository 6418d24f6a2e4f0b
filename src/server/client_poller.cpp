#include "kvd/server/client_poller.hpp"

#include <sys/epoll.h>
#include <unistd.h>

#include <spdlog/spdlog.h>
#include <cerrno>
#include <cstring>
#include <system_error>

namespace kvd::server {

ClientPoller::ClientPoller(asio::io_context& main) {
  epfd_ = ::epoll_create1(EPOLL_CLOEXEC);
  if (epfd_ < 0) throw std::system_error(errno, std::generic_category(), "epoll_create1");
  // The descriptor object does not own the fd: ~ClientPoller closes it.
  desc_.emplace(main, ::dup(epfd_));
  arm();
}

ClientPoller::~ClientPoller() {
  stop();
  if (epfd_ >= 0) ::close(epfd_);
}

void ClientPoller::stop() {
  if (stopped_) return;
  stopped_ = true;
  std::error_code ec;
  desc_->cancel(ec);
  desc_->close(ec);
  desc_.reset();
  targets_.clear();
}

bool ClientPoller::add(int fd, uint64_t token, std::shared_ptr<Target> target) {
  epoll_event ev{};
  ev.events = EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET;
  ev.data.u64 = token;
  if (::epoll_ctl(epfd_, EPOLL_CTL_ADD, fd, &ev) != 0) return false;
  targets_[token] = std::move(target);
  return true;
}

void ClientPoller::arm() {
  desc_->async_wait(asio::posix::stream_descriptor::wait_read, [this](const std::error_code& ec) {
    if (ec || stopped_) return;
    poll_ready();
    if (!stopped_) arm();
  });
}

void ClientPoller::poll_ready() {
  constexpr int kMax = 256;
  epoll_event evs[kMax];
  int n;
  do {
    n = ::epoll_wait(epfd_, evs, kMax, 0);
    if (n < 0) {
      if (errno == EINTR) continue;
      spdlog::warn("epoll_wait on the client sockets failed: {}", std::strerror(errno));
      return;
    }
    ++rounds_;
    events_ += static_cast<uint64_t>(n);
    for (int i = 0; i < n && !stopped_; ++i) {
      auto it = targets_.find(evs[i].data.u64);
      // Gone: the connection closed after this round was collected.
      if (it == targets_.end()) continue;
      // A reference held: the target may remove itself.
      std::shared_ptr<Target> t = it->second;
      t->on_poll(evs[i].events);
    }
  } while (n == kMax && !stopped_);
}

}  // namespace kvd::server
