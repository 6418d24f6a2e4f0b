#pragma once

#include <asio.hpp>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "kvd/engine/clock.hpp"
#include "kvd/engine/config.hpp"
#include "kvd/engine/engine.hpp"
#include "kvd/server/client_poller.hpp"
#include "kvd/server/io_threads.hpp"
#include "kvd/server/loop_meter.hpp"
#include "kvd/server/migrate_links.hpp"
#include "kvd/server/process.hpp"
#include "kvd/server/tls.hpp"
#include "kvd/server/uring.hpp"

namespace kvd::persist {
class Aof;
}  // namespace kvd::persist

namespace kvd::server {

class Connection;
class LoopConnection;
class Replication;

// The reactor: one io_context thread owns the listeners, the cron timer and the
// signal handlers, and runs every command on the engine. With io-threads 1 it
// also serves every client socket; with more, I/O threads serve the sockets.
class Server final : public engine::ServerHooks {
 public:
  Server(engine::Config& config, std::string executable);
  ~Server() override;

  // Binds the listeners; returns false (after logging why) on failure.
  bool listen();
  // Runs the loop until shutdown. Returns the process exit code.
  int run();

  asio::io_context& io() { return io_; }
  engine::Engine& engine() { return engine_; }
  engine::Config& config() { return config_; }
  LoopMeter& meter() { return meter_; }

  void on_connection_closed(Connection* c);
  // Connections close here, outside the command that asked (CLIENT KILL).
  void schedule_close(std::shared_ptr<Connection> c);
  // Makes sure a timer fires by the earliest blocked client's deadline.
  void arm_block_timer();

  // The AOF's step at the end of each loop iteration (aof_flush.cpp): the
  // buffer of this iteration's writes goes to the file (and under
  // `appendfsync always` to the disk) before any reply is sent.
  // A connection about to send replies asks here first: true means they
  // wait, and the connection is flushed once the AOF is on disk.
  bool hold_replies(const std::shared_ptr<LoopConnection>& c);
  bool replies_wait_for_aof() const;
  // The same for io-threads: the AOF is made durable now, before the
  // replies go to their I/O thread.
  void sync_aof_before_replies();

  // engine::ServerHooks
  std::string request_shutdown(const Shutdown& how) override;
  Info info() override;
  void process_events_while_busy() override;
  // The main loop's wait, for connections on the main loop.
  ClientPoller& poller() { return *poller_; }
  void in_forked_child(const char* title) override;
  // oom-score-adj for our role now (REPLICAOF changes it).
  std::string apply_oom_score();
  // The process title from proc-title-template (when set-proc-title is on);
  // `title` is a forked child's job, nullptr for the server itself.
  void apply_proc_title(const char* title);
  engine::MigrateLink* migrate_link(const std::string& host, const std::string& port,
                                    int64_t timeout_ms) override;
  void close_migrate_link(const std::string& host, const std::string& port) override;
  void log_warning(std::string_view msg) override;

 private:
  struct TcpListener;
  struct UnixListener;
  // Opens a listener per address of `bind` on `port` (optional "-addr"s may
  // fail); false with the reason otherwise. Touches no state of the server.
  bool open_tcp_listeners(int64_t port, const std::vector<std::string>& bind,
                          std::vector<std::unique_ptr<TcpListener>>* out, std::string* why);
  // CONFIG SET port/bind: listens as configured now, then closes the old
  // sockets; returns `failure` (nothing changed) when it cannot.
  std::string rebind(const char* failure);
  // oom-score-adj as configured now (CONFIG SET and start-up).
  void accept_tcp(TcpListener& l);
  void accept_unix(UnixListener& l);
  void admit(asio::generic::stream_protocol::socket socket, bool unix_socket, bool tls = false);
  // TLS (tls/tls_listeners.cpp): the context and the tls-port listeners at
  // start-up, and CONFIG SET of tls-port and the tls-* settings.
  bool listen_tls();
  std::string rebind_tls();
  std::string reconfigure_tls();
  bool refuse_protected(const asio::ip::tcp::endpoint& peer) const;
  void schedule_cron();
  void on_cron();
  void watch_signals();
  // Stops accepting, flushes replies, and ends run() (after request_shutdown).
  void stop();
  static constexpr int kMaxHandlersPerCycle = 256;
  void apply_runtime_config();
  // Refreshes the limits I/O threads read and folds their counters into Stats.
  void sync_io_threads();
  // Reads the listeners' accept queues for INFO and logs an overflow.
  void check_accept_queues();
  // Loads the AOF or the RDB snapshot, then opens the AOF when it is on.
  // "" or the fatal error.
  std::string load_data();
  void schedule_before_sleep();
  // Opens the io_uring transport if asked and allowed, or says why not.
  void open_uring();
  // One wait of the loop, through the ring or the poller: serves the ready
  // client sockets; true if Asio's reactor is ready.
  bool wait_for_events(int timeout_ms);
  // The end of a loop round: the AOF write (and fsync) asked for in it, then
  // the replies that waited for it.
  void run_before_sleep();
  void before_sleep();

  engine::Config& config_;
  std::string executable_;
  // Declared first so it is destroyed last: connections (in connections_ and
  // in handlers still queued on io_) hold sockets of its threads' contexts.
  // Created in the constructor body, once io_ exists.
  std::unique_ptr<IoThreadGroup> io_threads_;
  // The main loop's wait: client sockets and Asio's reactor (ClientPoller).
  // Destroyed before io_threads_, which only refers to it.
  std::unique_ptr<ClientPoller> poller_;
  // The io_uring transport (io-uring yes, io-threads 1): client sockets on a
  // ring, the poller's set watched by it. Null: the poller is the wait.
  std::unique_ptr<UringTransport> uring_;
  asio::io_context io_{1};
  engine::SystemClock clock_;
  engine::Engine engine_;
  LoopMeter meter_;
  MigrateLinks migrate_links_;
  // Links to our replicas and to our master (server/replication/).
  std::unique_ptr<Replication> repl_;
  // The replication ID and offset of the RDB file loaded at start-up.
  std::string rdb_replid_;
  int64_t rdb_repl_offset_ = -1;
  int rdb_stream_db_ = 0;
  std::vector<std::unique_ptr<TcpListener>> tcp_listeners_;
  std::vector<std::unique_ptr<UnixListener>> unix_listeners_;
  TlsContext tls_;
  std::vector<std::unique_ptr<TcpListener>> tls_listeners_;
  int64_t tls_listening_port_ = 0;
  // The listeners' accept queues at the last cron tick (INFO).
  uint64_t accept_queue_length_ = 0;
  uint64_t accept_queue_backlog_ = 0;
  uint64_t accept_queue_drops_ = 0;
  std::unordered_map<Connection*, std::shared_ptr<Connection>> connections_;
  asio::steady_timer cron_timer_;
  asio::steady_timer block_timer_;
  int64_t block_timer_deadline_ = -1;
  persist::Aof* aof_ = nullptr;
  bool before_sleep_pending_ = false;
  std::vector<std::shared_ptr<LoopConnection>> held_;
  asio::signal_set signals_;
  bool stopping_ = false;
  int64_t bound_port_ = 0;
  OomScoreAdjuster oom_score_;
  // What the TCP listeners were opened for (CONFIG SET port/bind compares).
  int64_t listening_port_ = 0;
  std::vector<std::string> listening_bind_;
};

}  // namespace kvd::server
