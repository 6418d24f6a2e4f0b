#include "kvd/server/loop_connection.hpp"

#include <spdlog/spdlog.h>
#include <cerrno>

#include "kvd/engine/pubsub.hpp"
#include "kvd/protocol/key_peek.hpp"
#include "kvd/server/server.hpp"

namespace kvd::server {
LoopConnection::LoopConnection(Server& server, Socket socket, bool unix_socket)
    : Connection(server, unix_socket),
      socket_(std::move(socket)),
      parser_(protocol::RequestParser::Limits{server.config().v().proto_max_bulk_len}),
      writer_(out_) {
  describe_and_tune(socket_);
  init_client(client_, writer_);
}

LoopConnection::~LoopConnection() = default;

int LoopConnection::fd() const {
  return closed_ ? -1 : const_cast<Socket&>(socket_).native_handle();
}

void LoopConnection::start() {
  server_.engine().add_client(&client_);
  wait_readable();
}

void LoopConnection::close() {
  if (closed_) return;
  closed_ = true;
  if (tls_) tls_->shutdown();
  std::error_code ec;
  socket_.cancel(ec);
  socket_.close(ec);
  server_.engine().remove_client(&client_);
  server_.on_connection_closed(this);
}

void LoopConnection::drop_soon() {
  out_.clear();
  close_soon();
}

void LoopConnection::close_soon() {
  close_after_write_ = true;
  // Not closed inline: the engine may be iterating its client list.
  server_.schedule_close(self());
}

void LoopConnection::wait_readable() {
  // processing_: a slow script of this client serves events meanwhile; our
  // own reads wait until its command is done (they could move the buffer
  // its arguments point into).
  if (reading_ || closed_ || paused_ || close_after_write_ || processing_) return;
  reading_ = true;
  if (tls_) {
    // TLS reads go through OpenSSL, never Asio's read; a handshake step
    // that must write first waits for writability instead.
    const auto kind = tls_->wants_write() ? Socket::wait_write : Socket::wait_read;
    socket_.async_wait(kind, [self = self()](const std::error_code& ec) {
      self->reading_ = false;
      if (ec || self->closed_) return;
      self->on_readable();
    });
    return;
  }
  if (in_.size() == 0) {
    // No buffer (a new connection, or one idle long enough to give it
    // back): wait for readiness without one, then read by hand. Asio re-arms
    // a wait with EPOLL_CTL_MOD, on which epoll re-checks the socket, so
    // bytes that arrived before the wait are reported, not lost.
    socket_.async_wait(Socket::wait_read, [self = self()](const std::error_code& ec) {
      self->reading_ = false;
      if (ec || self->closed_) return;
      self->on_readable();
    });
    return;
  }
  // A connection that talks keeps its buffer: Asio reads into it when the
  // socket becomes readable. After a short read its reactor knows the
  // socket is dry and arms the next read with no system call at all, where
  // a wait costs an epoll_ctl per request (Redis pays neither).
  in_.prepare(parser_.bytes_expected());
  read_pending_ = true;
  socket_.async_read_some(asio::buffer(in_.room(), in_.free_space()),
                          [self = self()](const std::error_code& ec, size_t n) {
                            self->reading_ = false;
                            self->read_pending_ = false;
                            self->on_read(ec, n);
                          });
}

void LoopConnection::on_read(const std::error_code& ec, size_t n) {
  if (closed_) return;
  server_.meter().begin_work();
  if (ec == asio::error::operation_aborted) {
    // Cron took the read back to free the buffer of an idle connection.
    if (in_.drained() && !parser_.bytes_expected()) in_.release();
    wait_readable();
    return;
  }
  if (ec || n == 0) {  // end of stream, or the peer is gone
    close();
    return;
  }
  QueryBuffer::Read r = in_.commit(n);
  if (!accept_input(n)) return;
  // Our own slow script is running and serving events: its loop takes these
  // bytes, and its end re-arms the read.
  if (processing_) return;
  serve(r);
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
  if (r == QueryBuffer::Read::kClosed) {
    close();
  } else if (n > 0 && !accept_input(n)) {
    r = QueryBuffer::Read::kClosed;
  }
  return r;
}

void LoopConnection::on_readable() {
  server_.meter().begin_work();
  // A wait or read is pending: it reports the bytes there are.
  if (reading_ || processing_) return;
  serve(read_once());
}

void LoopConnection::serve(QueryBuffer::Read r) {
  // A read that fills the offered space may have left bytes in the socket, and
  // edge-triggered readiness would not report them again: keep reading until a
  // short read (or backpressure pauses us).
  while (true) {
    if (r == QueryBuffer::Read::kClosed) return;
    process_input();
    if (closed_) return;
    if (r != QueryBuffer::Read::kFull || paused_ || close_after_write_) break;
    r = read_once();
  }
  flush();
  if (closed_) return;
  // No read is pending here: a big buffer a request grew can go back now.
  if (!parser_.bytes_expected() && in_.release_if_big()) parser_.release_memory();
  wait_readable();
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
  // A pending read (a blocked client resumed) writes at the current end.
  if (!read_pending_) in_.rewind_if_drained();
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
    if (!self->closed_) self->wait_readable();
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
  out_.clear();
  close();
  return true;
}

void LoopConnection::flush() {
  // appendfsync always: these replies go out once the writes they answer
  // are on disk (the server flushes us then).
  // (Asked in two steps so that no shared pointer is made when nothing waits.)
  if (!out_.empty() && !closed_ && server_.replies_wait_for_aof() && server_.hold_replies(self()))
    return;
  if (!out_.empty() && !closed_) {
    uint64_t written;
    WriteResult r = write_socket(fd(), out_, &written);
    server_.engine().stats().net_output_bytes += written;
    ++server_.engine().stats().total_writes_processed;
    if (r == WriteResult::kWouldBlock) {
      wait_writable();
      return;
    }
    if (r == WriteResult::kError) {
      close();
      return;
    }
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
    // Readiness edges may have passed while paused: read speculatively.
    if (!closed_ && !paused_) on_readable();
  }
}

void LoopConnection::wait_writable() {
  if (writing_ || closed_) return;
  writing_ = true;
  socket_.async_wait(Socket::wait_write, [self = self()](const std::error_code& ec) {
    self->writing_ = false;
    if (ec || self->closed_) return;
    self->server_.meter().begin_work();
    self->flush();
    if (!self->closed_) self->wait_readable();
  });
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
    if (in_.drained() && in_.size() > 0 && !parser_.bytes_expected()) {
      if (!read_pending_) {
        in_.release();
      } else if (!writing_) {
        // Asio's read holds the buffer: take it back (on_read frees the
        // buffer and waits without one). Not while a wait for writability
        // is pending: cancel() would end that too.
        std::error_code ec;
        socket_.cancel(ec);
      }
    }
    out_.release_if_empty();
  }
}

}  // namespace kvd::server
