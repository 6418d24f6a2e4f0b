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
// The I/O thread reads, parses complete commands into a RequestBatch and hands
// the batch to the main thread; the main thread runs the commands, writes the
// replies into its staging buffer and hands them back; the I/O thread writes
// them to the socket. A client has at most one batch with the main thread at a
// time, so its commands run in the order sent, and while it is away the I/O
// thread only reads ahead (a bounded amount) to notice a closed peer.
//
// State is split by owner. Main thread: client_, staging_, writer_, the batch
// while it is away (batch_out_ on the I/O side says so), main_closed_. I/O
// thread: the socket, the query buffer and parser, out_ (bytes being written).
// handoff_ passes replies from one to the other under out_mu_. The atomics are
// read across threads for CLIENT LIST, INFO and the idle timeout.
class ThreadedConnection final : public Connection {
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

  // Mailbox entry points.
  void on_main_job(MainJob::Kind kind);  // main thread
  void on_io_job(IoJob::Kind kind);      // I/O thread

 private:
  std::shared_ptr<ThreadedConnection> self() {
    return std::static_pointer_cast<ThreadedConnection>(shared_from_this());
  }

  // ---- main thread
  // Engine::prefetch for the next window of the batch.
  void prefetch_batch_keys();
  void run_batch();
  // Moves staged replies to the hand-off buffer and tells the I/O thread.
  void hand_off(IoJob::Kind kind);
  void main_close(IoJob::Kind how);
  bool output_limit_reached(int64_t now_ms);

  // ---- I/O thread
  void io_start();
  void wait_readable();
  void on_readable();
  // Gives back a big query buffer once all of it is consumed.
  void release_big_input();
  // One non-blocking read into the query buffer (kClosed: the socket is closed).
  QueryBuffer::Read read_once();
  // Counts n bytes just read; false if the query buffer limit closed the socket.
  bool accept_input(size_t n);
  // Parses what was read into the batch and sends it to the main thread.
  void dispatch();
  void take_handoff();
  void flush();
  void wait_writable();
  void io_close();
  void publish_io_sizes();
  bool want_read() const;

  IoThreadGroup& group_;
  IoThread& thread_;
  int fd_ = -1;
  asio::generic::stream_protocol protocol_;

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

  // I/O thread.
  Socket socket_;
  protocol::RequestParser parser_;
  protocol::OutputBuffer out_;
  QueryBuffer in_;
  uint64_t unreported_input_ = 0;
  bool batch_out_ = false;   // the main thread has the batch
  bool reading_ = false;     // a wait for readability is pending
  bool writing_ = false;     // a wait for writability is pending
  bool paused_ = false;      // too many reply bytes pending: not dispatching
  bool input_done_ = false;  // protocol error or closing: read no more
  bool close_when_flushed_ = false;
  bool continue_when_flushed_ = false;
  bool io_closed_ = false;
};

}  // namespace kvd::server
