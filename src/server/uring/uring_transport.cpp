#include "kvd/server/uring.hpp"

#include <liburing.h>
#include <poll.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#include <spdlog/spdlog.h>
#include <cerrno>
#include <cstring>

namespace kvd::server {
namespace {

// The receive buffers the kernel picks from. 16 KB is a query buffer's read
// chunk, so one receive always fits the room a connection prepares. Pages
// are touched only as buffers are used: an idle server holds little of it.
constexpr unsigned kBufferCount = 256;
constexpr size_t kBufferSize = 16 * 1024;
constexpr int kBufferGroup = 0;
constexpr unsigned kSubmissionEntries = 1024;
// Completions waiting to be reaped (a send and a receive per connection at
// most, and the kernel keeps any overflow rather than dropping it).
constexpr unsigned kCompletionEntries = 16384;

// user_data: a target's address with the operation in its low bits, or one
// of the two tokens below (targets are 8-aligned, never these values).
constexpr uint64_t kOpReceive = 1;
constexpr uint64_t kOpSend = 2;
constexpr uint64_t kOpMask = 7;
constexpr uint64_t kEpollToken = 8;
constexpr uint64_t kIgnoreToken = 16;

uint64_t tag(UringTransport::Target* t, uint64_t op) {
  return reinterpret_cast<uint64_t>(t) | op;
}

}  // namespace

std::unique_ptr<UringTransport> UringTransport::open(std::string* why) {
  std::unique_ptr<UringTransport> t(new UringTransport);
  t->ring_ = std::make_unique<io_uring>();
  io_uring_params p{};
  // Deferred task work runs completions only when we ask for them (once per
  // round), not by interrupting the loop whenever a packet lands.
  p.flags = IORING_SETUP_CQSIZE | IORING_SETUP_SUBMIT_ALL | IORING_SETUP_SINGLE_ISSUER |
            IORING_SETUP_DEFER_TASKRUN;
  p.cq_entries = kCompletionEntries;
  int r = io_uring_queue_init_params(kSubmissionEntries, t->ring_.get(), &p);
  if (r == -EINVAL) {  // a kernel before 6.1: without deferred task work
    p = io_uring_params{};
    p.flags = IORING_SETUP_CQSIZE | IORING_SETUP_SUBMIT_ALL;
    p.cq_entries = kCompletionEntries;
    r = io_uring_queue_init_params(kSubmissionEntries, t->ring_.get(), &p);
  } else if (r == 0) {
    t->defer_taskrun_ = true;
  }
  if (r < 0) {
    *why = std::string("io_uring_setup failed: ") + std::strerror(-r);
    t->ring_.reset();
    return nullptr;
  }
  if (!(t->ring_->features & IORING_FEAT_EXT_ARG)) {
    *why = "the kernel's io_uring has no timed waits (IORING_FEAT_EXT_ARG, Linux 5.11)";
    return nullptr;
  }
  const size_t ring_bytes = kBufferCount * sizeof(io_uring_buf);
  void* ring_mem =
      ::mmap(nullptr, ring_bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  t->buf_memory_size_ = kBufferCount * kBufferSize;
  void* bufs = ::mmap(nullptr, t->buf_memory_size_, PROT_READ | PROT_WRITE,
                      MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (ring_mem == MAP_FAILED || bufs == MAP_FAILED) {
    *why = std::string("mmap failed: ") + std::strerror(errno);
    if (ring_mem != MAP_FAILED) ::munmap(ring_mem, ring_bytes);
    if (bufs != MAP_FAILED) ::munmap(bufs, t->buf_memory_size_);
    return nullptr;
  }
  t->bufs_ = static_cast<io_uring_buf_ring*>(ring_mem);
  t->buf_memory_ = static_cast<char*>(bufs);
  io_uring_buf_ring_init(t->bufs_);
  io_uring_buf_reg reg{};
  reg.ring_addr = reinterpret_cast<uint64_t>(ring_mem);
  reg.ring_entries = kBufferCount;
  reg.bgid = kBufferGroup;
  r = io_uring_register_buf_ring(t->ring_.get(), &reg, 0);
  if (r < 0) {
    *why = std::string("registering a provided-buffer ring failed (Linux 5.19 or later): ") +
           std::strerror(-r);
    return nullptr;
  }
  t->buf_ring_registered_ = true;
  for (unsigned i = 0; i < kBufferCount; ++i) t->recycle(static_cast<uint16_t>(i));

  if (!t->probe_multishot_receive(why)) return nullptr;
  return t;
}

bool UringTransport::probe_multishot_receive(std::string* why) {
  // A socket pair, one armed receive, one byte.
  int sv[2];
  if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0) {
    *why = std::string("socketpair failed: ") + std::strerror(errno);
    return false;
  }
  prep_receive(sv[0], kIgnoreToken);
  io_uring_submit(ring_.get());
  ssize_t w = ::write(sv[1], "x", 1);
  (void)w;
  io_uring_cqe* cqe = nullptr;
  __kernel_timespec ts{1, 0};
  const int r = io_uring_wait_cqe_timeout(ring_.get(), &cqe, &ts);
  bool works = false;
  if (r == 0 && cqe) {
    works = cqe->res == 1 && (cqe->flags & IORING_CQE_F_MORE) && (cqe->flags & IORING_CQE_F_BUFFER);
    if (!works) {
      *why = cqe->res < 0 ? std::string("multishot receive failed (Linux 6.0 or later): ") +
                                std::strerror(-cqe->res)
                          : "multishot receive is not supported (Linux 6.0 or later)";
    }
    recycle_buffer_of(cqe->flags);
    io_uring_cqe_seen(ring_.get(), cqe);
  } else {
    *why = "a test receive did not complete";
  }
  // Closing the pair ends the armed receive; its last completion is drained.
  ::close(sv[1]);
  io_uring_sqe* s = sqe();
  io_uring_prep_cancel64(s, kIgnoreToken, IORING_ASYNC_CANCEL_ALL);
  io_uring_sqe_set_data64(s, kIgnoreToken);
  ::close(sv[0]);
  for (int i = 0;
       i < 4 && io_uring_submit_and_wait_timeout(ring_.get(), &cqe, 1, &ts, nullptr) >= 0; ++i) {
    unsigned head, n = 0;
    io_uring_for_each_cqe(ring_.get(), head, cqe) {
      recycle_buffer_of(cqe->flags);
      ++n;
    }
    io_uring_cq_advance(ring_.get(), n);
    ts = {0, 50 * 1000 * 1000};
  }
  return works;
}

UringTransport::~UringTransport() {
  if (ring_) {
    if (buf_ring_registered_) io_uring_unregister_buf_ring(ring_.get(), kBufferGroup);
    io_uring_queue_exit(ring_.get());
  }
  if (bufs_) ::munmap(bufs_, kBufferCount * sizeof(io_uring_buf));
  if (buf_memory_) ::munmap(buf_memory_, buf_memory_size_);
}

std::string UringTransport::describe() const {
  return fmt::format(
      "multishot receive into {} provided buffers of {} KB, batched sends, {} ({} submission "
      "entries)",
      kBufferCount, kBufferSize / 1024,
      defer_taskrun_ ? "deferred task work" : "task work on every entry", kSubmissionEntries);
}

io_uring_sqe* UringTransport::sqe() {
  io_uring_sqe* s = io_uring_get_sqe(ring_.get());
  if (!s) {
    // The submission queue is full: hand it to the kernel now.
    io_uring_submit(ring_.get());
    ++enters_;
    s = io_uring_get_sqe(ring_.get());
  }
  return s;
}

void UringTransport::recycle(uint16_t bid) {
  io_uring_buf_ring_add(bufs_, buf_memory_ + static_cast<size_t>(bid) * kBufferSize,
                        static_cast<unsigned>(kBufferSize), bid,
                        io_uring_buf_ring_mask(kBufferCount), 0);
  io_uring_buf_ring_advance(bufs_, 1);
}

void UringTransport::recycle_buffer_of(uint32_t cqe_flags) {
  if (cqe_flags & IORING_CQE_F_BUFFER)
    recycle(static_cast<uint16_t>(cqe_flags >> IORING_CQE_BUFFER_SHIFT));
}

void UringTransport::watch_epoll(int epfd) {
  epfd_ = epfd;
  io_uring_sqe* s = sqe();
  io_uring_prep_poll_multishot(s, epfd, POLLIN);
  io_uring_sqe_set_data64(s, kEpollToken);
}

void UringTransport::prep_receive(int fd, uint64_t user_data) {
  io_uring_sqe* s = sqe();
  io_uring_prep_recv_multishot(s, fd, nullptr, 0, 0);
  s->flags |= IOSQE_BUFFER_SELECT;
  s->buf_group = kBufferGroup;
  io_uring_sqe_set_data64(s, user_data);
}

void UringTransport::arm_receive(int fd, Target* t) {
  prep_receive(fd, tag(t, kOpReceive));
}

void UringTransport::cancel_receive(Target* t) {
  io_uring_sqe* s = sqe();
  io_uring_prep_cancel64(s, tag(t, kOpReceive), 0);
  io_uring_sqe_set_data64(s, kIgnoreToken);
}

bool UringTransport::cancel_send_now(Target* t) {
  // The send may still sit in the submission queue, where no cancel finds it.
  io_uring_submit(ring_.get());
  ++enters_;
  io_uring_sync_cancel_reg reg{};
  reg.addr = tag(t, kOpSend);
  reg.fd = -1;
  reg.timeout.tv_sec = 1;
  const int r = io_uring_register_sync_cancel(ring_.get(), &reg);
  ++enters_;
  // -ENOENT: it had completed (its completion waits to be reaped).
  return r == 0 || r == -ENOENT;
}

void UringTransport::cancel_all(Target* t) {
  // By the requests' tags, not by descriptor: the descriptor is closed
  // before this is submitted, and its number may be a new socket's by then.
  for (uint64_t op : {kOpReceive, kOpSend}) {
    io_uring_sqe* s = sqe();
    io_uring_prep_cancel64(s, tag(t, op), 0);
    io_uring_sqe_set_data64(s, kIgnoreToken);
  }
}

void UringTransport::send(int fd, Target* t, const msghdr* msg) {
  io_uring_sqe* s = sqe();
  if (msg->msg_iovlen == 1) {
    io_uring_prep_send(s, fd, msg->msg_iov[0].iov_base, msg->msg_iov[0].iov_len, MSG_NOSIGNAL);
  } else {
    io_uring_prep_sendmsg(s, fd, msg, MSG_NOSIGNAL);
  }
  io_uring_sqe_set_data64(s, tag(t, kOpSend));
}

bool UringTransport::wait(int timeout_ms) {
  io_uring* ring = ring_.get();
  const bool outer = depth_ == 0;
  ++depth_;
  // Completions a caller collected and has not delivered: do not sleep.
  if (next_ < pending_.size()) timeout_ms = 0;
  int r;
  io_uring_cqe* cqe = nullptr;
  if (timeout_ms == 0) {
    r = io_uring_submit_and_get_events(ring);
  } else if (timeout_ms < 0) {
    r = io_uring_submit_and_wait(ring, 1);
  } else {
    __kernel_timespec ts{timeout_ms / 1000, (timeout_ms % 1000) * 1000000LL};
    r = io_uring_submit_and_wait_timeout(ring, &cqe, 1, &ts, nullptr);
  }
  if (r < 0 && r != -EINTR && r != -ETIME && r != -EBUSY && r != -EAGAIN)
    spdlog::warn("io_uring_enter failed: {}", std::strerror(-r));
  ++enters_;
  ++rounds_;
  unsigned head, n = 0;
  io_uring_for_each_cqe(ring, head, cqe) {
    pending_.push_back(Completion{cqe->user_data, cqe->res, cqe->flags});
    ++n;
  }
  io_uring_cq_advance(ring, n);
  bool epoll_ready = false;
  while (next_ < pending_.size()) {
    const Completion c = pending_[next_++];
    deliver(c.user_data, c.res, c.flags, &epoll_ready);
  }
  --depth_;
  if (outer) {
    pending_.clear();
    next_ = 0;
  }
  return epoll_ready;
}

void UringTransport::deliver(uint64_t user_data, int res, uint32_t flags, bool* epoll_ready) {
  const bool more = flags & IORING_CQE_F_MORE;
  if (user_data == kIgnoreToken) {
    recycle_buffer_of(flags);
    return;
  }
  if (user_data == kEpollToken) {
    *epoll_ready = true;
    if (!more) watch_epoll(epfd_);  // the multishot poll ended: arm it again
    return;
  }
  auto* t = reinterpret_cast<Target*>(user_data & ~kOpMask);
  if ((user_data & kOpMask) == kOpSend) {
    ++sends_;
    t->on_sent(res);
    return;
  }
  if (res > 0) {
    ++receives_;
    const auto bid = static_cast<uint16_t>(flags >> IORING_CQE_BUFFER_SHIFT);
    t->on_received(buf_memory_ + static_cast<size_t>(bid) * kBufferSize, static_cast<size_t>(res));
    recycle(bid);
    // A receive can end with data: it is armed again by the target.
    if (!more) t->on_receive_ended(-EAGAIN);
    return;
  }
  recycle_buffer_of(flags);
  if (!more) t->on_receive_ended(res);
}

}  // namespace kvd::server
