#include "kvd/server/loop_connection.hpp"

#include <spdlog/spdlog.h>
#include <sys/epoll.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "kvd/engine/pubsub.hpp"
#include "kvd/protocol/key_peek.hpp"
#include "kvd/server/server.hpp"

namespace kvd::server {
LoopConnection::LoopConnection(Server& server, Socket socket, bool unix_socket,
                               UringTransport* ring)
    : Connection(server, unix_socket),
      parser_(protocol::RequestParser::Limits{server.config().v().proto_max_bulk_len}),
      writer_(out_),
      ring_(ring) {
  describe_and_tune(socket);
  // Asio lets go of the socket: the main loop's poller watches it and this
  // connection reads and writes it by hand.
  std::error_code ec;
  fd_ = socket.release(ec);
  init_client(client_, writer_);
}

LoopConnection::~LoopConnection() {
  if (!closed_ && fd_ >= 0) ::close(fd_);
}

int LoopConnection::fd() const {
  return closed_ ? -1 : fd_;
}

void LoopConnection::start() {
  server_.engine().add_client(&client_);
  if (ring_) {
    start_on_ring();
    return;
  }
  // Registered once for input and output; epoll reports bytes already there.
  if (!server_.poller().add(fd_, client_.id, self())) {
    spdlog::warn("Could not watch a client socket: {}", std::strerror(errno));
    close();
  }
}

void LoopConnection::close() {
  if (closed_) return;
  closed_ = true;
  if (tls_) tls_->shutdown();
  if (ring_) {
    // The socket stays open in the kernel until the cancelled requests end.
    if (receiving_ || sending_) ring_->cancel_all(this);
  } else {
    server_.poller().remove(client_.id);
  }
  ::close(fd_);  // leaves the poller's epoll set with it
  server_.engine().remove_client(&client_);
  server_.on_connection_closed(this);
  if (ring_) release_ring_if_done();
}

void LoopConnection::on_poll(uint32_t events) {
  server_.meter().begin_work();
  if (closed_) return;
  if (writing_ && (events & (EPOLLOUT | EPOLLERR | EPOLLHUP))) {
    writing_ = false;
    flush();
    if (closed_) return;
  }
  // A TLS handshake step that had to write first goes on once it can.
  const bool tls_step = tls_ && tls_->wants_write() && (events & EPOLLOUT);
  if ((events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR)) || tls_step) {
    maybe_readable_ = true;
    read_available();
  }
}

void LoopConnection::drop_soon() {
  clear_output();
  close_soon();
}

void LoopConnection::close_soon() {
  close_after_write_ = true;
  // Not closed inline: the engine may be iterating its client list.
  server_.schedule_close(self());
}

void LoopConnection::read_available() {
  if (ring_) {
    read_from_ring();
    return;
  }
  // processing_: a slow script of this client serves events meanwhile; our
  // own reads wait until its command is done (they could move the buffer
  // its arguments point into).
  if (!maybe_readable_ || closed_ || paused_ || close_after_write_ || processing_) return;
  serve(read_once());
}

bool LoopConnection::accept_input(size_t n) {
  server_.engine().stats().net_input_bytes += static_cast<uint64_t>(n);
  ++server_.engine().stats().total_reads_processed;
  client_.last_interaction_ms = server_.engine().clock().now_ms();
  int64_t limit = server_.config().v().client_query_buffer_limit;
  if (static_cast<int64_t>(in_.used()) > limit) {
    spdlog::warn("Closing client that reached max query buffer length: id={} addr={} qbuf={}",
                 client_.id, peer_, in_.used());
    ++server_.engine().stats().client_qbuf_limit_disconnections;
    close();
    return false;
  }
  // A request being read counts toward maxmemory-clients before it runs.
  auto& eviction = server_.engine().client_eviction();
  if (eviction.enabled()) {
    eviction.note(client_);
    if (client_.evicted) return false;
  }
  return true;
}

QueryBuffer::Read LoopConnection::read_once() {
  in_.prepare(parser_.bytes_expected());
  size_t n;
  QueryBuffer::Read r = read_socket(fd(), in_, &n);
  // Through TLS a short read is one record, not an empty socket: only
  // OpenSSL's want-read (no bytes) says the socket is dry.
  if (tls_ && r == QueryBuffer::Read::kDrained && n > 0) r = QueryBuffer::Read::kFull;
  if (r == QueryBuffer::Read::kClosed) {
    close();
  } else if (n > 0 && !accept_input(n)) {
    r = QueryBuffer::Read::kClosed;
  }
  return r;
}

void LoopConnection::serve(QueryBuffer::Read r) {
  // A read that fills the offered space may have left bytes in the socket, and
  // edge-triggered readiness would not report them again: keep reading until a
  // short read (or backpressure pauses us). Only a short read says the socket
  // is dry: no read ends in EAGAIN.
  while (true) {
    if (r == QueryBuffer::Read::kClosed) return;
    if (r == QueryBuffer::Read::kDrained) maybe_readable_ = false;
    process_input();
    if (closed_) return;
    if (!maybe_readable_ || paused_ || close_after_write_ || processing_) break;
    r = read_once();
  }
  flush();
  if (closed_) return;
  // A big buffer a request grew can go back now.
  if (!parser_.bytes_expected() && in_.release_if_big()) parser_.release_memory();
}

void LoopConnection::process_input() {
  if (processing_) return;
  processing_ = true;
  auto& eng = server_.engine();
  size_t prefetched = 0;  // commands ahead whose keys were prefetched
  bool follows = false;   // a command of this read already ran
  while (!closed_ && !close_after_write_ && !client_.blocked && !in_.drained()) {
    // Backpressure bounds a client that does not read its replies, unless
    // maxmemory-clients may evict it: then the limit is the bound, as in Redis.
    if (out_.size() >= pause_output_bytes(server_.config()) &&
        (client_.no_evict || !eng.client_eviction().enabled())) {
      paused_ = true;
      break;
    }
    if (prefetched == 0) {
      protocol::PeekedCommand cmds[kPrefetchWindow];
      prefetched = protocol::peek_commands(in_.unparsed(), in_.used(), cmds, kPrefetchWindow);
      // A lone command gains nothing: its lookup would miss just the same.
      if (prefetched > 1) eng.prefetch(client_, cmds, prefetched);
    }
    if (prefetched > 0) --prefetched;
    parser_.set_auth_required(eng.auth_required(client_));
    auto st = parser_.parse(in_.unparsed(), in_.used());
    if (st == protocol::RequestParser::Status::kNeedMore) break;
    if (st == protocol::RequestParser::Status::kError) {
      protocol_error(parser_.error());
      break;
    }
    const auto& args = parser_.args();
    if (!args.empty()) {
      writer_.set_resp(client_.resp);
      eng.execute(client_, engine::Args(args.data(), args.size()), writer_, follows);
      follows = true;
    }
    in_.consume(parser_.consumed());
    if (client_.close_after_reply) close_after_write_ = true;
    if (output_limit_reached(client_.last_interaction_ms)) break;
    // After the output limit, which goes first as in Redis: its reply, query
    // buffer or MULTI queue may have taken the clients past maxmemory-clients.
    if (eng.client_eviction().enabled()) eng.client_eviction().note(client_);
  }
  in_.rewind_if_drained();
  processing_ = false;
  if (client_.blocked) server_.arm_block_timer();
}

void LoopConnection::schedule_flush() {
  if (closed_) return;
  // Someone else's command wrote to us (pub/sub, an invalidation).
  auto& eviction = server_.engine().client_eviction();
  if (eviction.enabled()) eviction.note(client_);
  if (flush_scheduled_) return;
  flush_scheduled_ = true;
  asio::post(server_.io(), [self = self()] {
    self->server_.meter().begin_work();
    self->flush_scheduled_ = false;
    if (!self->closed_ && !self->writing_) self->flush();
  });
}

void LoopConnection::resume() {
  asio::post(server_.io(), [self = self()] {
    self->server_.meter().begin_work();
    if (self->closed_ || self->client_.blocked) return;
    self->process_input();
    if (self->closed_) return;
    self->flush();
    // Bytes that came while the commands ran (or while blocked) are read now.
    self->read_available();
  });
}

void LoopConnection::protocol_error(const std::string& msg) {
  spdlog::debug("Protocol error ({}) from client: id={} addr={}", msg, client_.id, peer_);
  writer_.error("ERR " + msg);
  close_after_write_ = true;
  in_.discard();  // the rest
}

bool LoopConnection::output_limit_reached(int64_t now_ms) {
  if (!output_limit_exceeded(client_, out_.size(), now_ms)) return false;
  clear_output();
  close();
  return true;
}

void LoopConnection::flush() {
  // appendfsync always: these replies go out once the writes they answer
  // are on disk (the server flushes us then).
  // (Asked in two steps so that no shared pointer is made when nothing waits.)
  if (!out_.empty() && !closed_ && server_.replies_wait_for_aof() && server_.hold_replies(self()))
    return;
  if (ring_ && !closed_) {
    // A send in flight goes on from on_sent; the pending replies leave in
    // one send, submitted with the round's others.
    if (sending_) return;
    if (!out_.empty()) {
      send_on_ring();
      return;
    }
  }
  if (!out_.empty() && !closed_) {
    uint64_t written;
    WriteResult r = write_socket(fd(), out_, &written);
    server_.engine().stats().net_output_bytes += written;
    ++server_.engine().stats().total_writes_processed;
    if (r == WriteResult::kWouldBlock) {
      if (wait_writable()) flush();
      return;
    }
    if (r == WriteResult::kError) {
      close();
      return;
    }
    writing_ = false;  // all written: the next full socket arms afresh
  }
  if (closed_) return;
  if (close_after_write_) {
    close();
    return;
  }
  if (paused_) {
    // Drained: resume the commands left in the query buffer, then the socket.
    paused_ = false;
    process_input();
    if (!out_.empty()) {
      flush();
      return;
    }
    // Input that waited while paused is read now.
    read_available();
  }
}

bool LoopConnection::wait_writable() {
  if (writing_) return false;  // armed, and the retry was made
  // The socket is registered for EPOLLOUT edges already; the flag makes the
  // next one flush. One more write follows in flush(): an edge between the
  // full write and the flag would otherwise be lost.
  writing_ = true;
  return true;
}

void LoopConnection::on_cron(int64_t now_ms) {
  if (closed_) return;
  int64_t timeout = server_.config().v().timeout;
  // Replicas are never idle-closed, as in Redis.
  if (timeout > 0 && !client_.replica && now_ms - client_.last_interaction_ms > timeout * 1000 &&
      out_.empty()) {
    spdlog::debug("Closing idle client id={}", client_.id);
    close();
    return;
  }
  if (output_limit_.over_soft() && output_limit_reached(now_ms)) return;
  // Return buffers of connections idle for 2 s, as Redis does: an idle
  // connection should cost little more than its socket.
  if (now_ms - client_.last_interaction_ms > 2000) {
    // No read ever holds the buffer between requests: reads are made by hand.
    if (in_.drained() && in_.size() > 0 && !parser_.bytes_expected()) in_.release();
    out_.release_if_empty();
    if (!sending_) ring_send_.reset();
    if (stash_.empty()) std::string().swap(stash_);
  }
}

}  // namespace kvd::server
