// LoopConnection on the io_uring transport (io-uring yes): the socket's bytes
// come from the ring's multishot receive and its replies leave through the
// ring's sends. Parsing, running, backpressure and closing are the poller
// path's own (loop_connection.cpp).

#include <fcntl.h>

#include <spdlog/spdlog.h>
#include <cerrno>
#include <cstring>

#include "kvd/server/loop_connection.hpp"
#include "kvd/server/server.hpp"

namespace kvd::server {

void LoopConnection::start_on_ring() {
  // The ring waits for readiness itself; a non-blocking socket would make
  // some kernels hand EAGAIN back instead.
  int flags = ::fcntl(fd_, F_GETFL);
  if (flags >= 0) ::fcntl(fd_, F_SETFL, flags & ~O_NONBLOCK);
  ring_->hold(this, self());
  receiving_ = true;
  ring_->arm_receive(fd_, this);
}

void LoopConnection::on_received(const char* data, size_t n) {
  server_.meter().begin_work();
  if (closed_) return;
  // Our own command is running (a slow script serving events): its arguments
  // point into the query buffer, which must not move under them.
  if (processing_) {
    stash_.append(data, n);
    return;
  }
  if (!take_in(data, n)) return;
  process_input();
  if (closed_) return;
  read_from_ring();
}

bool LoopConnection::take_in(const char* data, size_t n) {
  in_.prepare_for(n, parser_.bytes_expected());
  std::memcpy(in_.room(), data, n);
  in_.commit(n);
  return accept_input(n);
}

void LoopConnection::read_from_ring() {
  if (closed_ || processing_) return;
  // Bytes that came while our own command ran.
  while (!stash_.empty() && !close_after_write_) {
    std::string bytes;
    bytes.swap(stash_);
    if (!take_in(bytes.data(), bytes.size())) return;
    process_input();
    if (closed_ || processing_) return;
  }
  flush();
  if (closed_) return;
  if (!parser_.bytes_expected() && in_.release_if_big()) parser_.release_memory();
  // Backpressure: too many replies pending stops the receive, so the kernel's
  // buffer and then the client's window fill, as on the poller path.
  const bool want = !paused_ && !close_after_write_;
  if (want && !receiving_) {
    receiving_ = true;
    ring_->arm_receive(fd_, this);
  } else if (!want && receiving_ && !stopping_receive_) {
    stopping_receive_ = true;  // once: bytes may still come until it ends
    ring_->cancel_receive(this);
  }
}

void LoopConnection::on_receive_ended(int res) {
  server_.meter().begin_work();
  receiving_ = false;
  stopping_receive_ = false;
  if (closed_) {
    release_ring_if_done();
    return;
  }
  // -ECANCELED: paused (armed again on resume); -ENOBUFS: the buffers ran
  // out for a moment; -EAGAIN: a multishot receive may end at any time.
  if (res == -ECANCELED || res == -ENOBUFS || res == -EAGAIN) {
    read_from_ring();
    return;
  }
  // End of stream or an error: the client is gone, as a read of 0 says.
  if (res < 0)
    spdlog::debug("Receive from client id={} failed: {}", client_.id, std::strerror(-res));
  close();
}

void LoopConnection::send_on_ring() {
  if (!ring_send_) ring_send_ = std::make_unique<RingSend>();
  RingSend& s = *ring_send_;
  s.msg = msghdr{};
  s.msg.msg_iov = s.iov;
  s.msg.msg_iovlen = static_cast<size_t>(out_.fill_iovec(s.iov, RingSend::kMaxIov));
  s.bytes = 0;
  for (size_t i = 0; i < s.msg.msg_iovlen; ++i) s.bytes += s.iov[i].iov_len;
  sending_ = true;
  ring_->send(fd_, this, &s.msg);
}

void LoopConnection::on_sent(int res) {
  server_.meter().begin_work();
  sending_ = false;
  // Replies dropped while on their way: nothing of out_ was in this send.
  const bool discarded = ring_send_ && ring_send_->discarded;
  if (discarded) {
    ring_send_->discarded = false;
    ring_send_->dropped.clear();
  }
  if (closed_) {
    release_ring_if_done();
    return;
  }
  if (res < 0) {
    // The peer is gone (a reset, a broken pipe), or a dropped send stopped.
    if (!discarded || res != -ECANCELED) {
      close();
      return;
    }
    res = 0;
  }
  if (!discarded) out_.consume(static_cast<size_t>(res));
  server_.engine().stats().net_output_bytes += static_cast<uint64_t>(res);
  ++server_.engine().stats().total_writes_processed;
  flush();  // the rest, or what waited for the replies to drain
}

void LoopConnection::clear_output() {
  if (sending_ && ring_send_ && !ring_send_->discarded) {
    ring_send_->discarded = true;
    // The kernel reads the send's blocks until it ends. A dropped client's
    // memory must go at once (maxmemory and maxmemory-clients count it, and
    // the next command may evict keys for it): stop the send now. If that
    // cannot be made sure of, its blocks (16 at most) wait for its end and
    // the rest goes now.
    if (!ring_->cancel_send_now(this)) {
      out_.drop_blocks_after(ring_send_->bytes);
      std::swap(out_, ring_send_->dropped);
    }
  }
  out_.clear();
}

void LoopConnection::release_ring_if_done() {
  if (!closed_ || receiving_ || sending_) return;
  // Let go after the current completion returns, not inside it.
  if (auto hold = ring_->take_hold(this)) asio::post(server_.io(), [hold = std::move(hold)] {});
}

}  // namespace kvd::server
