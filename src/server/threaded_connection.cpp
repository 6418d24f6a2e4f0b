#include "kvd/server/threaded_connection.hpp"

#include <unistd.h>

#include <spdlog/spdlog.h>
#include <algorithm>
#include <cerrno>
#include <cstring>

#include "kvd/engine/memory.hpp"
#include "kvd/engine/pubsub.hpp"
#include "kvd/server/server.hpp"

namespace kvd::server {

ThreadedConnection::ThreadedConnection(Server& server, IoThreadGroup& group, Socket socket,
                                       bool unix_socket)
    : Connection(server, unix_socket),
      group_(group),
      thread_(group.pick()),
      protocol_(AF_UNIX, 0),
      writer_(staging_),
      socket_(thread_.io()),
      parser_(protocol::RequestParser::Limits{server.config().v().proto_max_bulk_len}) {
  describe_and_tune(socket);
  if (!unix_) {
    std::error_code ec;
    auto ep = socket.local_endpoint(ec);
    protocol_ = asio::generic::stream_protocol(ec ? AF_INET : ep.data()->sa_family, IPPROTO_TCP);
  }
  // The socket moves to the I/O thread's reactor: the main loop lets go of it
  // here and the I/O thread registers it in io_start().
  std::error_code ec;
  fd_ = socket.release(ec);
  init_client(client_, writer_);
  thread_.clients.fetch_add(1, std::memory_order_relaxed);
}

ThreadedConnection::~ThreadedConnection() {
  // Never handed to the I/O thread (stopped before it got to it): close here.
  if (!socket_.is_open() && !io_closed_ && fd_ >= 0) ::close(fd_);
}

// ------------------------------------------------------------ main thread --

void ThreadedConnection::start() {
  server_.engine().add_client(&client_);
  auth_required_.store(server_.engine().auth_required(client_), std::memory_order_release);
  thread_.send({self(), IoJob::Kind::kStart});
}

void ThreadedConnection::on_main_job(MainJob::Kind kind) {
  switch (kind) {
    case MainJob::Kind::kBatch:
      run_batch();
      break;
    case MainJob::Kind::kClosed:
      if (main_closed_) return;
      main_closed_ = true;
      server_.engine().remove_client(&client_);
      server_.on_connection_closed(this);
      break;
  }
}

size_t ThreadedConnection::query_buffer_used() const {
  // Commands of a batch the main thread holds back (blocked client, output
  // backpressure) are still unprocessed query bytes, as in Redis.
  size_t held = main_has_batch_ && next_command_ < batch_.size() ? batch_.bytes() : 0;
  return qbuf_used_.load(std::memory_order_relaxed) + held;
}

void ThreadedConnection::prefetch_batch_keys() {
  protocol::PeekedCommand cmds[kPrefetchWindow];
  size_t n = 0;
  size_t end = std::min(batch_.size(), next_command_ + kPrefetchWindow);
  for (size_t i = next_command_; i < end; ++i) {
    auto args = batch_.command(i);
    if (args.size() < 2) continue;
    protocol::PeekedCommand& c = cmds[n++];
    c = {args[1], {}, {}};
    if (args.size() > 2) c.arg2 = args[2];
    if (args.size() > 3) c.arg3 = args[3];
  }
  // A lone command gains nothing: its lookup would miss just the same.
  if (n > 1) server_.engine().prefetch(client_, cmds, n);
}

void ThreadedConnection::run_batch() {
  if (main_closed_) return;
  main_has_batch_ = true;
  server_.meter().begin_work();
  auto& eng = server_.engine();
  eng.stats().net_input_bytes += batch_input_bytes_;
  batch_input_bytes_ = 0;
  int64_t read_ms = last_read_ms_.load(std::memory_order_relaxed);
  if (read_ms > client_.last_interaction_ms) client_.last_interaction_ms = read_ms;
  trimmed_ = false;
  const size_t pause = group_.pause_output_bytes.load(std::memory_order_relaxed);
  bool follows = false;  // a command of this run already ran
  while (next_command_ < batch_.size() && !client_.blocked && !close_requested_) {
    if (staging_.size() + io_pending_.load(std::memory_order_relaxed) >= pause) {
      // Backpressure: the I/O thread says when the client has read enough.
      hand_off(IoJob::Kind::kWriteThenContinue);
      return;
    }
    if (next_command_ % kPrefetchWindow == 0) prefetch_batch_keys();
    writer_.set_resp(client_.resp);
    eng.execute(client_, batch_.command(next_command_++), writer_, follows);
    follows = true;
    if (main_closed_) return;
    if (client_.close_after_reply) close_requested_ = true;
    if (output_limit_reached(client_.last_interaction_ms)) return;
    // After the output limit, which goes first as in Redis: its reply, query
    // buffer or MULTI queue may have taken the clients past maxmemory-clients.
    if (eng.client_eviction().enabled()) {
      eng.client_eviction().note(client_);
      if (client_.evicted) return;
    }
  }
  if (client_.blocked) {
    // The rest of the batch waits here until the client is served (resume()).
    server_.arm_block_timer();
    hand_off(IoJob::Kind::kWrite);
    return;
  }
  if (batch_.has_error() && !close_requested_) {
    writer_.error("ERR " + batch_.error());
    close_requested_ = true;
  }
  next_command_ = 0;
  batch_.clear();
  main_has_batch_ = false;
  auth_required_.store(eng.auth_required(client_), std::memory_order_release);
  if (close_requested_) {
    main_close(IoJob::Kind::kClose);
    return;
  }
  hand_off(IoJob::Kind::kBatchDone);
}

void ThreadedConnection::hand_off(IoJob::Kind kind) {
  // appendfsync always: nothing leaves the main thread before the writes
  // it answers are on disk.
  server_.sync_aof_before_replies();
  if (!staging_.empty()) {
    std::lock_guard<std::mutex> lock(out_mu_);
    handoff_.take_from(staging_);
  }
  // Plain writes coalesce: one pending job takes whatever is in the hand-off
  // buffer when it runs.
  if (kind == IoJob::Kind::kWrite && write_job_pending_.exchange(true, std::memory_order_acq_rel)) {
    return;
  }
  thread_.send({self(), kind});
}

void ThreadedConnection::schedule_flush() {
  // A dropped connection is owed nothing more (a replica killed inside a
  // MULTI must not get the writes queued after its kill).
  if (main_closed_ || drop_on_close_) return;
  hand_off(IoJob::Kind::kWrite);
}

void ThreadedConnection::resume() {
  asio::post(server_.io(), [self = self()] {
    if (self->main_closed_ || self->client_.blocked) return;
    self->run_batch();
  });
}

void ThreadedConnection::close_soon() {
  // Not closed inline: the engine may be iterating its client list.
  server_.schedule_close(shared_from_this());
}

void ThreadedConnection::drop_soon() {
  staging_.clear();
  drop_on_close_ = true;
  close_soon();
}

void ThreadedConnection::close() {
  main_close(drop_on_close_ ? IoJob::Kind::kDrop : IoJob::Kind::kCloseNow);
}

void ThreadedConnection::main_close(IoJob::Kind how) {
  if (main_closed_) return;
  main_closed_ = true;
  server_.engine().remove_client(&client_);
  if (how == IoJob::Kind::kDrop) staging_.clear();
  hand_off(how);
  server_.on_connection_closed(this);
}

size_t ThreadedConnection::output_pending() const {
  return staging_.size() + io_pending_.load(std::memory_order_relaxed);
}

size_t ThreadedConnection::output_allocated() const {
  return staging_.allocated() + io_allocated_.load(std::memory_order_relaxed);
}

bool ThreadedConnection::output_limit_reached(int64_t now_ms) {
  if (!output_limit_exceeded(client_, output_pending(), now_ms)) return false;
  main_close(IoJob::Kind::kDrop);
  return true;
}

void ThreadedConnection::on_cron(int64_t now_ms) {
  if (main_closed_) return;
  int64_t last =
      std::max(client_.last_interaction_ms, last_read_ms_.load(std::memory_order_relaxed));
  int64_t timeout = server_.config().v().timeout;
  // Replicas and the master link are never idle-closed, as in Redis.
  if (timeout > 0 && !client_.replica && now_ms - last > timeout * 1000 && output_pending() == 0) {
    spdlog::debug("Closing idle client id={}", client_.id);
    close();
    return;
  }
  if (output_limit_.over_soft() && output_limit_reached(now_ms)) return;
  // Idle for 2 s: return the buffers, as Redis does, so an idle connection
  // costs little more than its socket.
  if (now_ms - last > 2000 && !trimmed_) {
    trimmed_ = true;
    staging_.release_if_empty();
    thread_.send({self(), IoJob::Kind::kTrim});
  }
}

// -------------------------------------------------------------- I/O thread --

void ThreadedConnection::on_io_job(IoJob::Kind kind) {
  if (kind == IoJob::Kind::kStart) {
    io_start();
    return;
  }
  if (io_closed_) return;
  if (kind == IoJob::Kind::kTrim) {
    // No pending operation holds the buffer: reads are made by hand.
    if (!batch_out_ && in_.drained() && in_.size() > 0 && !parser_.bytes_expected()) in_.release();
    out_.release_if_empty();
    {
      // The block replies are handed over in stays for reuse too.
      std::lock_guard<std::mutex> lock(out_mu_);
      handoff_.release_if_empty();
    }
    publish_io_sizes();
    thread_.release_memory_soon();
    return;
  }
  if (kind == IoJob::Kind::kWrite) write_job_pending_.store(false, std::memory_order_release);
  take_handoff();
  switch (kind) {
    case IoJob::Kind::kBatchDone:
      batch_out_ = false;
      break;
    case IoJob::Kind::kWriteThenContinue:
      continue_when_flushed_ = true;
      break;
    case IoJob::Kind::kClose:
      input_done_ = true;
      close_when_flushed_ = true;
      break;
    case IoJob::Kind::kCloseNow:
      // One last non-blocking push of what is pending, then close.
      input_done_ = true;
      close_when_flushed_ = true;
      flush();
      io_close();
      return;
    case IoJob::Kind::kDrop:
      out_.clear();
      io_close();
      return;
    default:
      break;
  }
  flush();
  if (io_closed_ || kind != IoJob::Kind::kBatchDone) return;
  // The batch is back: send the next one, reading first if reading had stopped
  // (readiness edges seen while no wait was pending are not reported again).
  if (reading_ || !want_read()) {
    dispatch();
    release_big_input();  // a big command's buffer goes back once it ran
  } else {
    on_readable();
  }
}

void ThreadedConnection::io_start() {
  std::error_code ec;
  socket_.assign(protocol_, fd_, ec);
  if (ec) {
    spdlog::warn("Could not hand a client socket to an I/O thread: {}", ec.message());
    ::close(fd_);
    io_closed_ = true;
    thread_.clients.fetch_sub(1, std::memory_order_relaxed);
    group_.send_to_main({self(), MainJob::Kind::kClosed});
    return;
  }
  on_readable();
}

bool ThreadedConnection::want_read() const {
  if (io_closed_ || input_done_ || paused_) return false;
  return !batch_out_ || in_.used() < kReadAheadBytes;
}

void ThreadedConnection::wait_readable() {
  if (reading_ || !want_read()) return;
  // As in LoopConnection: wait for readiness and read by hand, which spares
  // the EAGAIN recv() that a pending Asio read tries on every request. The
  // re-arm (EPOLL_CTL_MOD) reports bytes that are already there.
  reading_ = true;
  // A TLS handshake step that must write first waits for writability.
  const auto kind = tls_ && tls_->wants_write() ? Socket::wait_write : Socket::wait_read;
  socket_.async_wait(kind, [self = self()](const std::error_code& ec) {
    self->reading_ = false;
    if (ec || self->io_closed_) return;
    self->on_readable();
    engine::publish_thread_allocations();
  });
}

void ThreadedConnection::on_readable() {
  // A wait is pending: it reports the bytes there are.
  if (reading_) {
    dispatch();
    return;
  }
  // Read until a short read: edge-triggered readiness would not report bytes
  // left in the socket again.
  while (want_read()) {
    QueryBuffer::Read r = read_once();
    if (r == QueryBuffer::Read::kClosed) return;
    if (r != QueryBuffer::Read::kFull) break;
  }
  dispatch();
  if (io_closed_) return;
  release_big_input();
  wait_readable();
}

void ThreadedConnection::release_big_input() {
  // As LoopConnection::release_big_input: a drained big buffer goes back now.
  if (!batch_out_ && !parser_.bytes_expected() && in_.release_if_big()) {
    parser_.release_memory();
    publish_io_sizes();
  }
}

bool ThreadedConnection::accept_input(size_t n) {
  unreported_input_ += static_cast<uint64_t>(n);
  thread_.reads_processed.fetch_add(1, std::memory_order_relaxed);
  last_read_ms_.store(server_.engine().clock().now_ms(), std::memory_order_relaxed);
  if (static_cast<int64_t>(in_.used()) >
      group_.query_buffer_limit.load(std::memory_order_relaxed)) {
    spdlog::warn("Closing client that reached max query buffer length: id={} addr={} qbuf={}",
                 client_.id, peer_, in_.used());
    thread_.query_buffer_limit_disconnections.fetch_add(1, std::memory_order_relaxed);
    io_close();
    return false;
  }
  return true;
}

QueryBuffer::Read ThreadedConnection::read_once() {
  // While the batch is away the parser is idle: plain chunks will do.
  in_.prepare(batch_out_ ? 0 : parser_.bytes_expected());
  size_t n;
  QueryBuffer::Read r = read_socket(fd_, in_, &n);
  if (r == QueryBuffer::Read::kClosed) {
    io_close();
  } else if (n > 0 && !accept_input(n)) {
    r = QueryBuffer::Read::kClosed;
  }
  return r;
}

void ThreadedConnection::dispatch() {
  if (io_closed_ || batch_out_) return;
  if (out_.size() >= group_.pause_output_bytes.load(std::memory_order_relaxed)) {
    paused_ = true;  // flush() resumes once the client has read its replies
    return;
  }
  // Until the client authenticates, one command per batch: the main thread
  // says after each whether the next may be large (Redis checks per command).
  const bool auth_required = auth_required_.load(std::memory_order_acquire);
  parser_.set_auth_required(auth_required);
  while (!input_done_ && !in_.drained() && !(auth_required && !batch_.empty())) {
    auto st = parser_.parse(in_.unparsed(), in_.used());
    if (st == protocol::RequestParser::Status::kNeedMore) break;
    if (st == protocol::RequestParser::Status::kError) {
      batch_.set_error(parser_.error());
      input_done_ = true;
      in_.discard();  // the rest
      break;
    }
    if (!parser_.args().empty()) batch_.add(parser_.args());
    in_.consume(parser_.consumed());
  }
  in_.rewind_if_drained();
  publish_io_sizes();
  if (batch_.empty()) return;
  batch_input_bytes_ = unreported_input_;
  unreported_input_ = 0;
  batch_out_ = true;
  group_.send_to_main({self(), MainJob::Kind::kBatch});
}

void ThreadedConnection::take_handoff() {
  std::lock_guard<std::mutex> lock(out_mu_);
  out_.take_from(handoff_);
}

void ThreadedConnection::flush() {
  bool wrote = false;
  if (!out_.empty() && !io_closed_) {
    uint64_t written;
    WriteResult r = write_socket(fd_, out_, &written);
    if (written > 0) {
      thread_.output_bytes.fetch_add(written, std::memory_order_relaxed);
      wrote = true;
    }
    if (r == WriteResult::kWouldBlock) {
      publish_io_sizes();
      wait_writable();
      return;
    }
    if (r == WriteResult::kError) {
      io_close();
      return;
    }
  }
  if (wrote) thread_.writes_processed.fetch_add(1, std::memory_order_relaxed);
  if (io_closed_) return;
  publish_io_sizes();
  if (close_when_flushed_) {
    io_close();
    return;
  }
  if (continue_when_flushed_) {
    continue_when_flushed_ = false;
    group_.send_to_main({self(), MainJob::Kind::kBatch});
  }
  if (paused_) {
    paused_ = false;
    if (!reading_ && want_read()) {
      on_readable();
    } else {
      dispatch();
    }
  }
}

void ThreadedConnection::wait_writable() {
  if (writing_ || io_closed_) return;
  writing_ = true;
  socket_.async_wait(Socket::wait_write, [self = self()](const std::error_code& ec) {
    self->writing_ = false;
    if (ec || self->io_closed_) return;
    self->flush();
    if (!self->io_closed_) self->wait_readable();
    engine::publish_thread_allocations();
  });
}

void ThreadedConnection::io_close() {
  if (io_closed_) return;
  io_closed_ = true;
  if (tls_) tls_->shutdown();
  std::error_code ec;
  socket_.cancel(ec);
  socket_.close(ec);
  out_.clear();
  in_.release();
  publish_io_sizes();
  thread_.clients.fetch_sub(1, std::memory_order_relaxed);
  group_.send_to_main({self(), MainJob::Kind::kClosed});
}

void ThreadedConnection::publish_io_sizes() {
  io_pending_.store(out_.size(), std::memory_order_relaxed);
  io_allocated_.store(out_.allocated(), std::memory_order_relaxed);
  qbuf_used_.store(in_.used(), std::memory_order_relaxed);
  qbuf_free_.store(in_.free_space(), std::memory_order_relaxed);
}

}  // namespace kvd::server
