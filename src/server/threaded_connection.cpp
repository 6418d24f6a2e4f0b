#include "kvd/server/threaded_connection.hpp"

#include <sys/epoll.h>
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
      writer_(staging_),
      parser_(protocol::RequestParser::Limits{server.config().v().proto_max_bulk_len}) {
  describe_and_tune(socket);
  // The main loop's reactor lets go of the socket: the client poller watches
  // it and the I/O thread reads and writes it by hand.
  std::error_code ec;
  fd_ = socket.release(ec);
  init_client(client_, writer_);
  thread_.clients.fetch_add(1, std::memory_order_relaxed);
}

ThreadedConnection::~ThreadedConnection() {
  // Never closed by its I/O thread (stopped before it got to it): close here.
  if (!io_closed_ && fd_ >= 0) ::close(fd_);
}

// ------------------------------------------------------------ main thread --

void ThreadedConnection::start() {
  server_.engine().add_client(&client_);
  auth_required_.store(server_.engine().auth_required(client_), std::memory_order_release);
  // Registered for input and output at once: epoll reports bytes already
  // there on registration, and nothing is re-armed per request after it.
  if (!group_.poller().add(fd_, client_.id, self())) {
    spdlog::warn("Could not watch a client socket: {}", std::strerror(errno));
    main_close(IoJob::Kind::kCloseNow);
  }
}

void ThreadedConnection::on_poll(uint32_t events) {
  // Every report carries EPOLLOUT while the socket has room: only a writer
  // that waits takes it.
  if ((events & (EPOLLOUT | EPOLLERR | EPOLLHUP)) &&
      wants_writable_.load(std::memory_order_relaxed) &&
      wants_writable_.exchange(false, std::memory_order_acq_rel)) {
    thread_.send({self(), IoJob::Kind::kWritable});
  }
  if (events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR)) on_ready();
}

void ThreadedConnection::on_ready() {
  if (!main_closed_) send_read();
}

void ThreadedConnection::send_read() {
  if (read_out_) {
    ready_again_ = true;  // the read's answer sends the next one
    return;
  }
  read_out_ = true;
  ready_again_ = false;
  more_input_ = false;
  thread_.send({self(), IoJob::Kind::kRead, group_.next_read_seq()});
}

void ThreadedConnection::on_read_done(const MainJob& job) {
  read_out_ = false;
  if (main_closed_) return;
  more_input_ = job.more;
  if (job.batch) {
    run_batch();
    return;
  }
  // Input left while the batch is held waits for the batch's end, which
  // reads on; new readiness reads ahead now (it may be the peer's close).
  if (ready_again_ || (more_input_ && !main_has_batch_)) send_read();
}

void ThreadedConnection::on_main_job(const MainJob& job) {
  switch (job.kind) {
    case MainJob::Kind::kReadDone:
      on_read_done(job);
      break;
    case MainJob::Kind::kContinue:
      run_batch();
      break;
    case MainJob::Kind::kWantRead:
      on_ready();
      break;
    case MainJob::Kind::kClosed:
      // The socket is closed: nothing more comes from the poller.
      group_.poller().remove(client_.id);
      if (main_closed_) return;
      main_closed_ = true;
      server_.engine().remove_client(&client_);
      server_.on_connection_closed(this);
      break;
  }
}

size_t ThreadedConnection::query_buffer_used() const {
  // The batch the main thread runs (or holds back: a blocked client, output
  // backpressure) is still in the query buffer as Redis counts it: Redis
  // trims its buffer after the command, so the running command shows too.
  size_t held = main_has_batch_ ? batch_.wire_bytes() : 0;
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
  // Input read ahead, or readiness seen meanwhile: the next read, numbered
  // now, after every socket already seen ready.
  if (ready_again_ || more_input_) send_read();
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
  // Both sides keep one block for reuse: the main thread's staging buffer and
  // the I/O thread's. Together they play the part of Redis's fixed 16 KB
  // reply buffer, which CLIENT LIST's omem leaves out (client_info.cpp takes
  // the first block off): the I/O side's first block is not counted twice.
  const size_t io = io_allocated_.load(std::memory_order_relaxed);
  const size_t io_fixed = std::min(io, protocol::OutputBuffer::kBlockSize);
  return staging_.allocated() == 0 ? io : staging_.allocated() + io - io_fixed;
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

void ThreadedConnection::on_io_job(const IoJob& job) {
  const IoJob::Kind kind = job.kind;
  if (io_closed_) {
    // Every read answers, or the reads numbered after it would wait forever.
    if (kind == IoJob::Kind::kRead) {
      group_.send_to_main({self(), MainJob::Kind::kReadDone, job.seq});
    }
    return;
  }
  switch (kind) {
    case IoJob::Kind::kRead:
      io_read(job.seq);
      return;
    case IoJob::Kind::kWritable:
      writing_ = false;
      flush();
      // A TLS handshake step that had to write first can read on now.
      if (!io_closed_ && tls_ && !batch_out_) {
        group_.send_to_main({self(), MainJob::Kind::kWantRead});
      }
      return;
    case IoJob::Kind::kTrim:
      if (!batch_out_ && in_.drained() && in_.size() > 0 && !parser_.bytes_expected()) {
        in_.release();
      }
      // The batch is ours while it is not out: its buffers go back too.
      if (!batch_out_ && batch_.empty()) batch_.release();
      out_.release_if_empty();
      {
        // The block replies are handed over in stays for reuse too.
        std::lock_guard<std::mutex> lock(out_mu_);
        handoff_.release_if_empty();
      }
      publish_io_sizes();
      thread_.release_memory_soon();
      return;
    default:
      break;
  }
  if (kind == IoJob::Kind::kWrite) write_job_pending_.store(false, std::memory_order_release);
  take_handoff();
  switch (kind) {
    case IoJob::Kind::kBatchDone:
      batch_out_ = false;
      release_big_input();  // a big command's buffer goes back once it ran
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
}

bool ThreadedConnection::want_read() const {
  if (io_closed_ || input_done_ || paused_) return false;
  return !batch_out_ || in_.used() < kReadAheadBytes;
}

void ThreadedConnection::io_read(uint64_t seq) {
  // Read until a short read: edge-triggered readiness reports only bytes
  // that arrive after it, not the ones left in the socket.
  bool dry = false;
  while (want_read()) {
    size_t n = 0;
    QueryBuffer::Read r = read_once(&n);
    if (r == QueryBuffer::Read::kClosed) break;
    // Through TLS a short read is one record, not an empty socket: only
    // OpenSSL's want-read (no bytes) says the socket is dry.
    if (r == QueryBuffer::Read::kDrained && !(tls_ && n > 0)) {
      dry = true;
      break;
    }
  }
  bool batch = false;
  bool left_input = false;
  if (!io_closed_) {
    batch = parse_batch(&left_input);
    if (!batch) release_big_input();
    // A TLS handshake step that must write first waits for writability.
    if (tls_ && tls_->wants_write()) {
      writing_ = true;
      wants_writable_.store(true, std::memory_order_release);
    }
  }
  // A pause resumes with kWantRead once the client read its replies.
  const bool more = !io_closed_ && !paused_ && !input_done_ && (!dry || left_input);
  group_.send_to_main({self(), MainJob::Kind::kReadDone, seq, batch, more});
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

QueryBuffer::Read ThreadedConnection::read_once(size_t* got) {
  // While the batch is away the parser is idle: plain chunks will do.
  in_.prepare(batch_out_ ? 0 : parser_.bytes_expected());
  size_t& n = *got;
  QueryBuffer::Read r = read_socket(fd_, in_, &n);
  if (r == QueryBuffer::Read::kClosed) {
    io_close();
  } else if (n > 0 && !accept_input(n)) {
    r = QueryBuffer::Read::kClosed;
  }
  return r;
}

bool ThreadedConnection::parse_batch(bool* left_input) {
  *left_input = false;
  if (batch_out_) {
    // Read ahead while the batch is held: parsed after it comes back.
    *left_input = !in_.drained();
    return false;
  }
  if (out_.size() >= group_.pause_output_bytes.load(std::memory_order_relaxed)) {
    paused_ = true;  // flush() resumes once the client has read its replies
    return false;
  }
  // Until the client authenticates, one command per batch: the main thread
  // says after each whether the next may be large (Redis checks per command).
  const bool auth_required = auth_required_.load(std::memory_order_acquire);
  parser_.set_auth_required(auth_required);
  while (!input_done_ && !in_.drained()) {
    if (auth_required && !batch_.empty()) {
      *left_input = true;
      break;
    }
    auto st = parser_.parse(in_.unparsed(), in_.used());
    if (st == protocol::RequestParser::Status::kNeedMore) break;
    if (st == protocol::RequestParser::Status::kError) {
      batch_.set_error(parser_.error());
      input_done_ = true;
      in_.discard();  // the rest
      break;
    }
    if (!parser_.args().empty()) batch_.add(parser_.args());
    batch_.add_wire_bytes(parser_.consumed());
    in_.consume(parser_.consumed());
  }
  in_.rewind_if_drained();
  publish_io_sizes();
  if (batch_.empty()) return false;
  batch_input_bytes_ = unreported_input_;
  unreported_input_ = 0;
  batch_out_ = true;
  return true;
}

void ThreadedConnection::take_handoff() {
  std::lock_guard<std::mutex> lock(out_mu_);
  out_.take_from(handoff_);
}

void ThreadedConnection::flush() {
  bool wrote = false;
  while (!out_.empty() && !io_closed_) {
    uint64_t written;
    WriteResult r = write_socket(fd_, out_, &written);
    if (written > 0) {
      thread_.output_bytes.fetch_add(written, std::memory_order_relaxed);
      wrote = true;
    }
    if (r == WriteResult::kError) {
      io_close();
      return;
    }
    if (r == WriteResult::kDone) break;
    if (!wait_writable()) {
      publish_io_sizes();
      return;
    }
  }
  if (wrote) thread_.writes_processed.fetch_add(1, std::memory_order_relaxed);
  if (io_closed_) return;
  if (writing_ && out_.empty()) {
    // Drained on the retry: a wake-up still armed would find nothing to do.
    writing_ = false;
    wants_writable_.store(false, std::memory_order_relaxed);
  }
  publish_io_sizes();
  if (close_when_flushed_) {
    io_close();
    return;
  }
  if (continue_when_flushed_) {
    continue_when_flushed_ = false;
    group_.send_to_main({self(), MainJob::Kind::kContinue});
  }
  if (paused_) {
    // The client read its replies: its input may be parsed again, in turn.
    paused_ = false;
    group_.send_to_main({self(), MainJob::Kind::kWantRead});
  }
}

bool ThreadedConnection::wait_writable() {
  if (writing_) return false;  // armed, and the retry below was made
  // Armed before one more try: an EPOLLOUT edge that comes between the full
  // write and the flag would be lost, and the replies with it.
  writing_ = true;
  wants_writable_.store(true, std::memory_order_release);
  return true;
}

void ThreadedConnection::io_close() {
  if (io_closed_) return;
  io_closed_ = true;
  if (tls_) tls_->shutdown();
  // Leaves the poller's epoll set with it.
  ::close(fd_);
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
