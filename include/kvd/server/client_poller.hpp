#pragma once

#include <asio.hpp>
#include <cstdint>
#include <memory>
#include <optional>
#include <unordered_map>

namespace kvd::server {

// The main thread's view of which client sockets are ready, in threaded mode
// (io-threads > 1). I/O threads do the reading and writing; the main thread
// alone learns of readiness, so it knows the order in which sockets became
// readable and can run their commands in that order.
//
// One epoll instance holds every client socket, registered once, edge-
// triggered, for input and output: no system call per request. The instance
// itself is one descriptor in the main loop's reactor, so a round costs the
// main loop's wait, one epoll_wait here and Asio's re-arm of the wait.
// epoll's ready list is first in, first out: a round reports sockets in the
// order they became ready.
class ClientPoller {
 public:
  // What a registered socket is to the poller.
  class Target {
   public:
    virtual ~Target() = default;
    // Called on the main thread with the socket's epoll events.
    virtual void on_poll(uint32_t events) = 0;
  };

  explicit ClientPoller(asio::io_context& main);
  ~ClientPoller();
  ClientPoller(const ClientPoller&) = delete;
  ClientPoller& operator=(const ClientPoller&) = delete;

  // Registers `fd` for input and output; false (errno set) if epoll refused.
  // The target is kept alive until remove().
  bool add(int fd, uint64_t token, std::shared_ptr<Target> target);
  // Forgets the token. The socket leaves the epoll set when it is closed
  // (never by EPOLL_CTL_DEL here: an I/O thread may have closed it already,
  // and its number may belong to a newer socket by now).
  void remove(uint64_t token) { targets_.erase(token); }
  void stop();

  uint64_t rounds() const { return rounds_; }
  uint64_t events() const { return events_; }

 private:
  void arm();
  void poll_ready();

  int epfd_ = -1;
  // Reset by stop(): it must go before the main io_context does.
  std::optional<asio::posix::stream_descriptor> desc_;
  std::unordered_map<uint64_t, std::shared_ptr<Target>> targets_;
  uint64_t rounds_ = 0;
  uint64_t events_ = 0;
  bool stopped_ = false;
};

}  // namespace kvd::server
