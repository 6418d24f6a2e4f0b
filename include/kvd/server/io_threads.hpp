#pragma once

#include <asio.hpp>
#include <atomic>
#include <cstdint>
#include <deque>
#include <memory>
#include <thread>
#include <vector>

#include "kvd/server/client_poller.hpp"
#include "kvd/server/mailbox.hpp"

namespace kvd::server {

class ThreadedConnection;

// Work the main thread hands to a connection's I/O thread.
struct IoJob {
  enum class Kind {
    kRead,               // read and parse what the socket holds; answer with kReadDone
    kWritable,           // the socket, full before, takes bytes again
    kWrite,              // replies are waiting in the hand-off buffer
    kBatchDone,          // the batch ran (its replies are in the hand-off buffer)
    kWriteThenContinue,  // replies waiting; tell main once they drained so it goes on
    kClose,              // write what is pending (waiting if needed), then close
    kCloseNow,           // one non-blocking write attempt, then close
    kDrop,               // close without writing (output limit reached)
    kTrim,               // idle: return the query buffer's memory
  };
  std::shared_ptr<ThreadedConnection> conn;
  Kind kind;
  uint64_t seq = 0;  // kRead: its place in the order the main thread saw readiness
};

// Work an I/O thread hands to the main thread.
struct MainJob {
  enum class Kind {
    kReadDone,  // the read of `seq` is over; `batch`: it left parsed commands
    kContinue,  // replies drained: the batch held back for them may go on
    kWantRead,  // there is input to read (after a pause): schedule a read
    kClosed,    // the peer went away or the socket failed
  };
  std::shared_ptr<ThreadedConnection> conn;
  Kind kind;
  uint64_t seq = 0;
  bool batch = false;
  // kReadDone: input is left that a later read must take (read ahead while a
  // batch was held, or commands parsed one at a time before AUTH).
  bool more = false;
};

// One I/O thread: its own io_context, sleeping in its reactor when idle.
class IoThread {
 public:
  explicit IoThread(int index);
  ~IoThread();
  IoThread(const IoThread&) = delete;
  IoThread& operator=(const IoThread&) = delete;

  asio::io_context& io() { return io_; }
  void send(IoJob job) { inbox_.push(std::move(job)); }
  // Lets queued jobs run, then ends the thread and waits for it.
  void stop();
  // On the I/O thread, after idle connections gave their buffers back: this
  // thread's allocator would keep them (and their pages) for its next
  // allocations, which an idle thread never makes; return them soon.
  void release_memory_soon();

  int index() const { return index_; }
  std::atomic<int> clients{0};
  std::atomic<uint64_t> reads_processed{0};
  std::atomic<uint64_t> writes_processed{0};
  // Not yet added to the engine's stats (the main thread takes them).
  std::atomic<uint64_t> output_bytes{0};
  std::atomic<uint64_t> query_buffer_limit_disconnections{0};

 private:
  int index_;
  asio::io_context io_{1};
  asio::executor_work_guard<asio::io_context::executor_type> work_;
  Mailbox<IoJob> inbox_;
  bool flush_posted_ = false;  // touched on the I/O thread only
  std::thread thread_;
};

// The I/O threads of `io-threads N` (N - 1 threads: as in Redis, the main
// thread counts as one). Every client socket is read and written by one I/O
// thread for its whole life; the main thread learns of readiness (one
// ClientPoller for all of them) and runs the commands.
//
// Order: each read the main thread hands out takes the next sequence number,
// in the order the poller reported the sockets ready, and the batches the
// reads parse run in that order, whichever thread finishes first. The I/O
// threads read in parallel; only the running of commands is serialised.
class IoThreadGroup {
 public:
  IoThreadGroup(asio::io_context& main, ClientPoller& poller, int threads);
  ~IoThreadGroup();

  // The thread with the fewest clients, for a new connection.
  IoThread& pick();
  ClientPoller& poller() { return poller_; }
  void send_to_main(MainJob job) { main_inbox_.push(std::move(job)); }
  // Main thread: the sequence number of the next read handed out.
  uint64_t next_read_seq() { return next_seq_++; }
  // Runs the main thread's queued jobs now (from a handler that runs the loop),
  // and the finished reads whose turn came while that handler ran (a slow
  // script's batch was next; the reads behind it wait for no new arrival).
  void drain_main() {
    main_inbox_.drain();
    run_in_order();
  }
  void stop();

  int size() const { return static_cast<int>(threads_.size()); }
  uint64_t reads_processed() const;
  uint64_t writes_processed() const;
  // Output bytes written since the last call (for INFO's net totals).
  uint64_t take_output_bytes();
  uint64_t take_query_buffer_limit_disconnections();

  // Limits the I/O threads read without locking the config (the main thread
  // refreshes them on every cron tick).
  std::atomic<size_t> pause_output_bytes{1024 * 1024};
  std::atomic<int64_t> query_buffer_limit{1024LL * 1024 * 1024};

 private:
  void on_main_job(MainJob& job);
  // Runs finished reads for as long as the next one in order is there.
  void run_in_order();

  ClientPoller& poller_;
  Mailbox<MainJob> main_inbox_;
  std::vector<std::unique_ptr<IoThread>> threads_;
  // Main thread: reads finished out of order wait in done_[seq - next_run_].
  uint64_t next_seq_ = 1;
  uint64_t next_run_ = 1;
  std::deque<MainJob> done_;
};

}  // namespace kvd::server
