#pragma once

#include <sys/socket.h>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

struct io_uring;
struct io_uring_sqe;
struct io_uring_buf_ring;

namespace kvd::server {

// The io_uring transport (io-uring yes, with io-threads 1): one ring on the
// main thread carries the client sockets' receives and sends, so a loop round
// costs one system call (io_uring_enter) however many requests it serves.
//
// - Receives are multishot, into a ring of buffers the kernel picks from
//   (provided buffers): one receive is armed per connection for its whole life,
//   and no buffer belongs to an idle connection. Data is copied into the
//   connection's query buffer at once and the buffer goes back to the ring.
// - Sends are prepared as the round's replies are written and submitted
//   together by the next wait(): one send in flight per connection, reading
//   the connection's reply blocks in place (they do not move while it is in
//   flight).
// - Everything else (Asio's reactor with its timers, listeners and
//   replication links; the I/O threads' wake-up; TLS clients) stays in the
//   ClientPoller's epoll set, which the ring watches with one multishot poll:
//   wait() says when that set has something, and the caller reads it then.
//
// Re-entrant like ClientPoller::wait: a slow script serves events from inside
// a completion, and the nested wait() delivers the completions its caller
// had collected and not reached.
class UringTransport {
 public:
  // A connection on the ring. Called on the main thread.
  class Target {
   public:
    virtual ~Target() = default;
    // n bytes arrived (valid only during the call).
    virtual void on_received(const char* data, size_t n) = 0;
    // The armed receive ended: 0 end of stream, else -errno (-ECANCELED
    // after cancel_receive or cancel_all, -ENOBUFS when the buffers ran out).
    virtual void on_receive_ended(int res) = 0;
    // The send completed: bytes sent, or -errno.
    virtual void on_sent(int res) = 0;
  };

  // Opens a ring and its buffers, or says why the kernel or the sandbox does
  // not allow it (*why) and returns null.
  static std::unique_ptr<UringTransport> open(std::string* why);
  ~UringTransport();
  UringTransport(const UringTransport&) = delete;
  UringTransport& operator=(const UringTransport&) = delete;

  // Watches an epoll set (the ClientPoller's) with a multishot poll.
  void watch_epoll(int epfd);
  // Arms a multishot receive on fd; its completions go to t.
  void arm_receive(int fd, Target* t);
  // Stops t's armed receive (it ends with -ECANCELED).
  void cancel_receive(Target* t);
  // Sends what msg describes (it, its iovecs and their bytes must stay put
  // until on_sent). One send per target at a time.
  void send(int fd, Target* t, const msghdr* msg);
  // Stops t's send in flight now and waits until it has: true once the
  // kernel no longer reads its bytes (they may be freed; its completion still
  // comes), false if that could not be made sure of. Two system calls: for
  // replies dropped while on their way, not for the common path.
  bool cancel_send_now(Target* t);
  // Cancels every request of t's (its socket is being closed).
  void cancel_all(Target* t);
  // Keeps a target alive while the ring may hold requests of its (the kernel
  // may still read its reply blocks); take_hold() hands the reference back.
  // The ring's destruction lets go of those left (the server stopping).
  void hold(Target* t, std::shared_ptr<void> owner) { holds_[t] = std::move(owner); }
  std::shared_ptr<void> take_hold(Target* t) {
    auto it = holds_.find(t);
    if (it == holds_.end()) return nullptr;
    std::shared_ptr<void> h = std::move(it->second);
    holds_.erase(it);
    return h;
  }
  // Submits what the round prepared, waits up to timeout_ms (-1: no limit)
  // for a completion and delivers every completion. True if the watched epoll
  // set became ready.
  bool wait(int timeout_ms);

  // For INFO: system calls made (io_uring_enter) and the ones the ring saved
  // (a read per receive, a write per send, an epoll_wait per round).
  uint64_t enters() const { return enters_; }
  uint64_t saved() const {
    const uint64_t would = receives_ + sends_ + rounds_;
    return would > enters_ ? would - enters_ : 0;
  }
  // The features in force, for the start-up log line.
  std::string describe() const;

 private:
  UringTransport() = default;
  ::io_uring_sqe* sqe();
  void deliver(uint64_t user_data, int res, uint32_t flags, bool* epoll_ready);
  void recycle(uint16_t bid);
  // Gives back the buffer a completion carries, if it carries one.
  void recycle_buffer_of(uint32_t cqe_flags);
  // A multishot receive into the buffer ring, tagged user_data.
  void prep_receive(int fd, uint64_t user_data);
  // Multishot receive is Linux 6.0 and the probe has no flag for it: tried
  // on a socket pair. False (*why) if it does not work.
  bool probe_multishot_receive(std::string* why);

  std::unique_ptr<io_uring> ring_;
  io_uring_buf_ring* bufs_ = nullptr;
  char* buf_memory_ = nullptr;
  size_t buf_memory_size_ = 0;
  bool buf_ring_registered_ = false;
  bool defer_taskrun_ = false;
  int epfd_ = -1;
  std::unordered_map<Target*, std::shared_ptr<void>> holds_;

  struct Completion {
    uint64_t user_data;
    int res;
    uint32_t flags;
  };
  // Completions collected and not yet delivered, shared by nested wait()s.
  std::vector<Completion> pending_;
  size_t next_ = 0;
  int depth_ = 0;

  uint64_t rounds_ = 0;
  uint64_t enters_ = 0;
  uint64_t receives_ = 0;
  uint64_t sends_ = 0;
};

}  // namespace kvd::server
