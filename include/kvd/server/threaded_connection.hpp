#pragma once

#include <asio.hpp>
#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "kvd/protocol/output_buffer.hpp"
#include "kvd/protocol/reply_writer.hpp"
#include "kvd/protocol/request_batch.hpp"
#include "kvd/protocol/request_parser.hpp"
#include "kvd/server/connection.hpp"
#include "kvd/server/io_threads.hpp"
#include "kvd/server/socket_io.hpp"

namespace kvd::server {

// A client connection whose socket is served by an I/O thread (io-threads > 1).
//
// The main thread's ClientPoller reports the socket ready; the main thread
// hands the I/O thread a read, numbered in the order readiness was seen. The
// I/O thread reads, parses complete commands into a RequestBatch and answers;
// the main thread runs the batches in the order of their numbers, writes the
// replies into its staging buffer and hands them back; the I/O thread writes
// them to the socket. A client has at most one read and one batch out at a
// time, so its own commands run in the order sent. While its batch is held (a
// blocked command) the I/O thread only reads ahead, a bounded amount, to
// notice a closed peer.
//
// State is split by owner. Main thread: client_, staging_, writer_, the batch
// while it is away (batch_out_ on the I/O side says so), the read in flight,
// main_closed_. I/O thread: the socket, the query buffer and parser, out_
// (bytes being written). handoff_ passes replies from one to the other under
// out_mu_. The atomics are read across threads for CLIENT LIST, INFO and the
// idle timeout.
class ThreadedConnection final : public Connection, public ClientPoller::Target {
 public:
  // Reading ahead stops at this many unparsed bytes while a batch is away.
  static constexpr size_t kReadAheadBytes = 4 * 1024 * 1024;

  // Called on the main thread with the socket as accepted there.
  ThreadedConnection(Server& server, IoThreadGroup& group, Socket socket, bool unix_socket);
  ~ThreadedConnection() override;

  // Connection, main thread.
  void start() override;
  void close() override;
  bool closed() const override { return main_closed_; }
  engine::Client& client() override { return client_; }
  void on_cron(int64_t now_ms) override;

  // engine::ConnectionView, main thread.
  int fd() const override { return main_closed_ ? -1 : fd_; }
  size_t query_buffer_used() const override;
  size_t query_buffer_free() const override { return qbuf_free_.load(std::memory_order_relaxed); }
  size_t output_pending() const override;
  size_t output_allocated() const override;
  void close_soon() override;
  void drop_soon() override;
  void schedule_flush() override;
  void resume() override;

  // ClientPoller::Target, main thread.
  void on_poll(uint32_t events) override;

  // Mailbox entry points.
  void on_main_job(const MainJob& job);  // main thread
  void on_io_job(const IoJob& job);      // I/O thread

 private:
  std::shared_ptr<ThreadedConnection> self() {
    return std::static_pointer_cast<ThreadedConnection>(shared_from_this());
  }

  // ---- main thread
  // Input waits (the poller said so, or the I/O thread asks): hand out a read.
  void on_ready();
  void send_read();
  void on_read_done(const MainJob& job);
  // Engine::prefetch for the next window of the batch.
  void prefetch_batch_keys();
  void run_batch();
  // Moves staged replies to the hand-off buffer and tells the I/O thread.
  void hand_off(IoJob::Kind kind);
  void main_close(IoJob::Kind how);
  bool output_limit_reached(int64_t now_ms);

  // ---- I/O thread
  // A read the main thread handed out: read, parse, answer with kReadDone.
  void io_read(uint64_t seq);
  // Gives back a big query buffer once all of it is consumed.
  void release_big_input();
  // One non-blocking read into the query buffer (kClosed: the socket is closed).
  QueryBuffer::Read read_once(size_t* got);
  // Counts n bytes just read; false if the query buffer limit closed the socket.
  bool accept_input(size_t n);
  // Parses what was read into the batch; true if a batch is ready. Sets
  // *left_input when complete commands may remain unparsed.
  bool parse_batch(bool* left_input);
  void take_handoff();
  void flush();
  // The socket is full: arm the wake-up on writability, without losing an
  // edge that comes before the main thread can see the request.
  bool wait_writable();
  void io_close();
  void publish_io_sizes();
  bool want_read() const;

  IoThreadGroup& group_;
  IoThread& thread_;
  int fd_ = -1;

  // Main thread.
  engine::Client client_;
  protocol::OutputBuffer staging_;
  protocol::ReplyWriter writer_;
  size_t next_command_ = 0;  // position in the batch (a blocked client resumes there)
  bool main_closed_ = false;
  // drop_soon(): the close that follows sends nothing still pending.
  bool drop_on_close_ = false;
  bool main_has_batch_ = false;   // the batch is with the main thread
  bool close_requested_ = false;  // QUIT or a protocol error: close once replies are out
  bool trimmed_ = false;
  bool read_out_ = false;     // a read is with the I/O thread
  bool ready_again_ = false;  // readiness seen while the read was out
  bool more_input_ = false;   // the last read left input for the next one

  // Passed between threads.
  protocol::RequestBatch batch_;  // owned by whoever batch_out_ says
  uint64_t batch_input_bytes_ = 0;
  std::mutex out_mu_;
  protocol::OutputBuffer handoff_;  // guarded by out_mu_
  std::atomic<bool> write_job_pending_{false};
  std::atomic<size_t> io_pending_{0};
  std::atomic<size_t> io_allocated_{0};
  std::atomic<size_t> qbuf_used_{0};
  std::atomic<size_t> qbuf_free_{0};
  std::atomic<int64_t> last_read_ms_{0};
  // Whether the client still has to authenticate (set by the main thread).
  std::atomic<bool> auth_required_{false};
  // The I/O thread waits for writability; the poller's next EPOLLOUT for the
  // socket goes to it (whoever clears it sends the kWritable).
  std::atomic<bool> wants_writable_{false};

  // I/O thread.
  protocol::RequestParser parser_;
  protocol::OutputBuffer out_;
  QueryBuffer in_;
  uint64_t unreported_input_ = 0;
  bool batch_out_ = false;   // the main thread has the batch
  bool writing_ = false;     // waiting for writability
  bool paused_ = false;      // too many reply bytes pending: not parsing
  bool input_done_ = false;  // protocol error or closing: read no more
  bool close_when_flushed_ = false;
  bool continue_when_flushed_ = false;
  bool io_closed_ = false;
};

}  // namespace kvd::server
