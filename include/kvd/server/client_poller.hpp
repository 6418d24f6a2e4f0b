#pragma once

#include <sys/epoll.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <unordered_map>
#include <vector>

namespace kvd::server {

// The main thread's wait. One epoll set holds every client socket, registered
// once, edge-triggered, for input and output (no system call per request to
// re-arm anything), and Asio's own reactor (timers, listeners, replication
// links, work posted from other threads) as one more descriptor. The main
// loop sleeps here, not in Asio: a round costs one epoll_wait, and Asio runs
// only when its reactor has something (Server::run).
//
// Client sockets are read and written by hand: by the connection on the main
// loop (io-threads 1) or by an I/O thread, in which case the main thread,
// which alone learns of readiness, knows the order in which sockets became
// readable (epoll's ready list is first in, first out) and runs their
// commands in that order.
class ClientPoller {
 public:
  // What a registered socket is to the poller.
  class Target {
   public:
    virtual ~Target() = default;
    // Called on the main thread with the socket's epoll events.
    virtual void on_poll(uint32_t events) = 0;
  };

  ClientPoller();
  ~ClientPoller();
  ClientPoller(const ClientPoller&) = delete;
  ClientPoller& operator=(const ClientPoller&) = delete;

  // Watches Asio's reactor descriptor (level-triggered: ready while it has
  // events); wait() says when it is ready.
  void watch_reactor(int reactor_fd);
  // Registers a client socket for input and output; false (errno set) if
  // epoll refused. The target is kept alive until remove().
  bool add(int fd, uint64_t token, std::shared_ptr<Target> target);
  // Forgets the token. The socket leaves the epoll set when it is closed
  // (never by EPOLL_CTL_DEL here: an I/O thread may have closed it already,
  // and its number may belong to a newer socket by now).
  void remove(uint64_t token) { targets_.erase(token); }
  // Another thread has work for the main thread: wakes wait(), which then
  // calls the wake handler (on the main thread). Thread-safe.
  void wake();
  void set_wake_handler(std::function<void()> handler) { on_wake_ = std::move(handler); }
  // Waits up to timeout_ms (-1: no limit) and hands every ready socket its
  // events, in the order epoll reports them. True if Asio's reactor is ready.
  bool wait(int timeout_ms);
  void stop() { targets_.clear(); }

  uint64_t rounds() const { return rounds_; }
  int epoll_fd() const { return epfd_; }
  // The last wait returned as many events as it takes: more may be ready
  // (for a caller that learns of readiness from the set's own descriptor).
  bool saturated() const { return saturated_; }

 private:
  // Client tokens are client ids, from 1 up.
  static constexpr uint64_t kReactorToken = ~uint64_t{0};
  static constexpr uint64_t kWakeToken = ~uint64_t{0} - 1;
  int epfd_ = -1;
  int wake_fd_ = -1;  // an eventfd
  std::function<void()> on_wake_;
  std::unordered_map<uint64_t, std::shared_ptr<Target>> targets_;
  // Events collected and not yet delivered, shared by nested wait() calls.
  std::vector<epoll_event> pending_;
  size_t next_ = 0;
  int depth_ = 0;
  bool saturated_ = false;
  uint64_t rounds_ = 0;
};

}  // namespace kvd::server
