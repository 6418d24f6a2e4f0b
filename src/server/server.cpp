#include "kvd/server/server.hpp"

#include "kvd/server/accept_queue.hpp"
#include "kvd/server/asio_internals.hpp"

#include "listeners.hpp"

#include "kvd/commands/registry.hpp"
#include "kvd/engine/acl.hpp"
#include "kvd/engine/memory.hpp"
#include "kvd/persist/aof.hpp"
#include "kvd/persist/snapshot.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <spdlog/spdlog.h>

#include "kvd/server/logging.hpp"
#include "kvd/server/loop_connection.hpp"
#include "kvd/server/proc_title.hpp"
#include "kvd/server/process.hpp"
#include "kvd/server/supervision.hpp"
#include "kvd/server/threaded_connection.hpp"
#include "replication/replication.hpp"

namespace kvd::server {
namespace {

constexpr const char* kProtectedModeMessage =
    "-DENIED Redis is running in protected mode because protected mode is enabled and no password "
    "is set for the default user. In this mode connections are only accepted from the loopback "
    "interface. If you want to connect from external computers to Redis you may adopt one of the "
    "following solutions: 1) Just disable protected mode sending the command 'CONFIG SET "
    "protected-mode no' from the loopback interface by connecting to Redis from the same host "
    "the server is running, however MAKE SURE Redis is not publicly accessible from internet if "
    "you do so. Use CONFIG REWRITE to make this change permanent. 2) Alternatively you can just "
    "disable the protected mode by editing the Redis configuration file, and setting the "
    "protected mode option to 'no', and then restarting the server. 3) If you started the server "
    "manually just for testing, restart it with the '--protected-mode no' option. 4) Set up an "
    "authentication password for the default user. NOTE: You only need to do one of the above "
    "things in order for the server to start accepting connections from the outside.\r\n";

// Best-effort one-shot reply to a connection we are about to drop.
void send_and_close(asio::generic::stream_protocol::socket& s, std::string_view msg) {
  std::error_code ec;
  s.non_blocking(true, ec);
  (void)::send(s.native_handle(), msg.data(), msg.size(), MSG_NOSIGNAL);
  s.close(ec);
}

}  // namespace

Server::Server(engine::Config& config, std::string executable)
    : config_(config),
      executable_(std::move(executable)),
      engine_(clock_, config, commands::all_commands()),
      cron_timer_(io_),
      block_timer_(io_),
      signals_(io_) {
  engine_.set_hooks(this);
  repl_ = std::make_unique<Replication>(*this);
  poller_ = std::make_unique<ClientPoller>();
  poller_->watch_reactor(asio_reactor_fd(io_));
  open_uring();
  if (config_.v().io_threads > 1) {
    io_threads_ =
        std::make_unique<IoThreadGroup>(io_, *poller_, static_cast<int>(config_.v().io_threads));
    sync_io_threads();
  }
  config_.on_change("loglevel", [this] { set_log_level(config_.v().loglevel); });
  for (const char* name : {"proc-title-template", "set-proc-title"})
    config_.on_change(name, [this] { apply_proc_title(nullptr); });
  aof_ = &persist::Aof::of(engine_);
  aof_->set_data_callback([this] { schedule_before_sleep(); });
  // Runtime CONFIG SET port / bind: the new sockets open first, so a port in
  // use fails the command (and rolls it back) with the old ones still serving.
  config_.on_apply("port", [this] { return rebind("Unable to listen on this port"); });
  config_.on_apply("bind", [this] {
    std::string e = rebind("Failed to bind to specified addresses.");
    return e.empty() ? rebind_tls() : e;
  });
  config_.on_apply("tls-port", [this] { return rebind_tls(); });
  engine_.stall_watch().set_threshold_ms(config_.v().loop_stall_threshold_ms);
  config_.on_change("loop-stall-threshold-ms", [this] {
    engine_.stall_watch().set_threshold_ms(config_.v().loop_stall_threshold_ms);
  });
  for (size_t i = 0; i < kTlsContextSettingCount; ++i)
    config_.on_apply(kTlsContextSettings[i], [this] { return reconfigure_tls(); });
  for (const char* name : {"oom-score-adj", "oom-score-adj-values"})
    config_.on_apply(name, [this] { return apply_oom_score(); });
}

void Server::in_forked_child(const char* title) {
  apply_proc_title(title);
  oom_score_.apply(config_.get("oom-score-adj").value_or("no"),
                   config_.get("oom-score-adj-values").value_or(""), 2);
}

void Server::apply_proc_title(const char* title) {
  if (!config_.v().set_proc_title) return;
  const auto& v = config_.v();
  ProcTitleVars vars;
  vars.title = title ? title : proc_title_argv0();
  vars.bind = v.bind.empty() ? "*" : v.bind.front();
  vars.port = bound_port_ ? bound_port_ : v.port;
  vars.tls_port = std::atoi(config_.get("tls-port").value_or("0").c_str());
  vars.unixsocket = v.unixsocket;
  vars.config_file = config_.config_file;
  set_proc_title(expand_proc_title(config_.get("proc-title-template").value_or("{title}"), vars));
}

std::string Server::apply_oom_score() {
  // Class 0: a master, 1: a replica, 2: a forked child.
  return oom_score_.apply(config_.get("oom-score-adj").value_or("no"),
                          config_.get("oom-score-adj-values").value_or(""),
                          engine_.repl().is_replica() ? 1 : 0);
}

Server::~Server() {
  // The client poller's descriptor belongs to io_, which goes first.
  if (io_threads_) io_threads_->stop();
  repl_.reset();
  for (auto& l : unix_listeners_) ::unlink(l->path.c_str());
}

bool Server::listen() {
  const auto& v = config_.v();
  int somaxconn = read_somaxconn();
  if (somaxconn >= 0 && v.tcp_backlog > somaxconn) {
    spdlog::warn(
        "WARNING: The TCP backlog setting of {} cannot be enforced because "
        "/proc/sys/net/core/somaxconn is set to the lower value of {}.",
        v.tcp_backlog, somaxconn);
  }
  if (v.port != 0) {
    std::string why;
    if (!open_tcp_listeners(v.port, v.bind, &tcp_listeners_, &why)) {
      // Redis's two lines: tools (and its test harness, which then retries
      // on another port) look for "Failed listening on port".
      spdlog::warn("Warning: Could not create server TCP listening socket {}", why);
      spdlog::warn("Failed listening on port {} (TCP), aborting.", v.port);
      return false;
    }
    if (!tcp_listeners_.empty())
      bound_port_ = tcp_listeners_.back()->acceptor.local_endpoint().port();
  }
  listening_port_ = v.port;
  listening_bind_ = v.bind;
  if (!v.unixsocket.empty()) {
    ::unlink(v.unixsocket.c_str());
    auto l = std::make_unique<UnixListener>(io_);
    std::error_code ec;
    asio::local::stream_protocol::endpoint ep(v.unixsocket);
    l->acceptor.open(ep.protocol(), ec);
    if (!ec) l->acceptor.bind(ep, ec);
    if (!ec) l->acceptor.listen(static_cast<int>(v.tcp_backlog), ec);
    if (ec) {
      spdlog::warn("Failed opening Unix socket {}: {}", v.unixsocket, ec.message());
      return false;
    }
    if (v.unixsocketperm) ::chmod(v.unixsocket.c_str(), static_cast<mode_t>(v.unixsocketperm));
    l->path = v.unixsocket;
    unix_listeners_.push_back(std::move(l));
  }
  if (!listen_tls()) return false;
  if (tcp_listeners_.empty() && unix_listeners_.empty() && tls_listeners_.empty()) {
    spdlog::warn("Configured to not listen anywhere, exiting.");
    return false;
  }
  for (auto& l : tcp_listeners_) accept_tcp(*l);
  for (auto& l : unix_listeners_) accept_unix(*l);
  return true;
}

bool Server::open_tcp_listeners(int64_t port, const std::vector<std::string>& bind,
                                std::vector<std::unique_ptr<TcpListener>>* out, std::string* why) {
  for (std::string addr : bind) {
    // A leading '-' marks an optional address: failing to bind it is not fatal.
    bool optional = !addr.empty() && addr[0] == '-';
    if (optional) addr.erase(0, 1);
    if (addr == "*") addr = "0.0.0.0";
    if (addr == "::*") addr = "::";
    std::error_code ec;
    auto ip = asio::ip::make_address(addr, ec);
    if (ec) {
      spdlog::warn("Invalid bind address '{}'", addr);
      if (optional) continue;
      *why = addr + ": invalid address";
      return false;
    }
    auto l = std::make_unique<TcpListener>(io_);
    asio::ip::tcp::endpoint ep(ip, static_cast<unsigned short>(port));
    l->acceptor.open(ep.protocol(), ec);
    if (!ec) l->acceptor.set_option(asio::socket_base::reuse_address(true), ec);
    if (!ec && ip.is_v6()) l->acceptor.set_option(asio::ip::v6_only(true), ec);
    const char* step = "socket";  // the call that failed, for the log
    if (!ec) {
      step = "bind";
      l->acceptor.bind(ep, ec);
    }
    if (!ec) {
      step = "listen";
      l->acceptor.listen(static_cast<int>(config_.v().tcp_backlog), ec);
    }
    if (ec) {
      if (optional && (ec.value() == EADDRNOTAVAIL || ec.value() == EAFNOSUPPORT ||
                       ec.value() == EPROTONOSUPPORT)) {
        continue;
      }
      *why = addr + ":" + std::to_string(port) + ": " + step + ": " + ec.message();
      return false;
    }
    out->push_back(std::move(l));
  }
  return true;
}

std::string Server::rebind(const char* failure) {
  if (stopping_) return "";
  const auto& v = config_.v();
  // A CONFIG SET of both port and bind applies twice: the second finds the
  // sockets already as configured (and a rollback finds them as before).
  if (v.port == listening_port_ && v.bind == listening_bind_) return "";
  // As Redis does: the old sockets close first (the new set may reuse an
  // address and port of theirs), and come back if the new set cannot open.
  // Their pending accepts end as aborted; the objects go once those ran.
  auto closed = std::make_shared<std::vector<std::unique_ptr<TcpListener>>>();
  closed->swap(tcp_listeners_);
  std::error_code ec;
  for (auto& l : *closed) l->acceptor.close(ec);
  asio::post(io_, [closed] {});
  std::string why;
  std::string result;
  if (v.port != 0 && !open_tcp_listeners(v.port, v.bind, &tcp_listeners_, &why)) {
    spdlog::warn("Could not listen as configured ({}): {}", why, failure);
    tcp_listeners_.clear();
    if (listening_port_ != 0 &&
        !open_tcp_listeners(listening_port_, listening_bind_, &tcp_listeners_, &why)) {
      spdlog::warn("Could not listen again as before: {}", why);
    }
    result = failure;
  } else {
    listening_port_ = v.port;
    listening_bind_ = v.bind;
    spdlog::info("Listening on port {} ({})", v.port, fmt::join(v.bind, " "));
  }
  bound_port_ =
      tcp_listeners_.empty() ? 0 : tcp_listeners_.back()->acceptor.local_endpoint().port();
  for (auto& l : tcp_listeners_) accept_tcp(*l);
  return result;
}

void Server::accept_tcp(TcpListener& l) {
  l.acceptor.async_accept([this, &l](const std::error_code& ec, asio::ip::tcp::socket s) {
    if (stopping_) return;
    meter_.begin_work();
    if (!ec) {
      // Both endpoints are read before release(): function arguments have
      // no evaluation order, and a release() first failed local_endpoint,
      // whose error then skipped the protected-mode check.
      std::error_code e_peer, e_local;
      const auto peer = s.remote_endpoint(e_peer);
      const auto protocol = s.local_endpoint(e_local).protocol();
      asio::generic::stream_protocol::socket g(io_, asio::generic::stream_protocol(protocol),
                                               s.release());
      if (!e_peer && refuse_protected(peer)) {
        send_and_close(g, kProtectedModeMessage);
      } else {
        admit(std::move(g), false, l.tls);
      }
    } else if (ec == asio::error::operation_aborted) {
      return;
    } else {
      spdlog::warn("Accepting client connection: {}", ec.message());
    }
    accept_tcp(l);
  });
}

void Server::accept_unix(UnixListener& l) {
  l.acceptor.async_accept(
      [this, &l](const std::error_code& ec, asio::local::stream_protocol::socket s) {
        if (stopping_) return;
        meter_.begin_work();
        if (!ec) {
          asio::generic::stream_protocol::socket g(io_, asio::generic::stream_protocol(AF_UNIX, 0),
                                                   s.release());
          admit(std::move(g), true);
        } else if (ec == asio::error::operation_aborted) {
          return;
        }
        accept_unix(l);
      });
}

bool Server::refuse_protected(const asio::ip::tcp::endpoint& peer) const {
  const auto& v = config_.v();
  // Only while the default user takes any password (Redis's rule).
  if (!v.protected_mode || !engine_.acl().default_user().nopass) return false;
  auto a = peer.address();
  if (a.is_loopback()) return false;
  if (a.is_v6() && a.to_v6().is_v4_mapped() &&
      asio::ip::make_address_v4(asio::ip::v4_mapped, a.to_v6()).is_loopback()) {
    return false;
  }
  return true;
}

void Server::admit(asio::generic::stream_protocol::socket socket, bool unix_socket, bool tls) {
  ++engine_.stats().total_connections;
  if (static_cast<int64_t>(connections_.size()) >= config_.v().maxclients) {
    ++engine_.stats().rejected_connections;
    send_and_close(socket, "-ERR max number of clients reached\r\n");
    return;
  }
  // The session is made on the socket now; its handshake is driven by the
  // connection's first reads, on the thread that serves the socket.
  std::unique_ptr<TlsStream> stream;
  if (tls && !(stream = tls_.accept(socket.native_handle()))) {
    spdlog::warn("Error accepting a client connection: could not create a TLS session");
    std::error_code ec;
    socket.close(ec);
    return;
  }
  std::shared_ptr<Connection> c;
  if (io_threads_) {
    c = std::make_shared<ThreadedConnection>(*this, *io_threads_, std::move(socket), unix_socket);
  } else {
    // TLS sessions read and write the socket themselves: on the poller.
    c = std::make_shared<LoopConnection>(*this, std::move(socket), unix_socket,
                                         stream ? nullptr : uring_.get());
  }
  if (stream) c->attach_tls(std::move(stream));
  connections_[c.get()] = c;
  c->start();
}

void Server::on_connection_closed(Connection* c) {
  auto it = connections_.find(c);
  if (it == connections_.end()) return;
  repl_->on_client_closed(&c->client());
  // Destroy after the current handler returns: `c` may be running right now.
  asio::post(io_, [keep = std::move(it->second)] {});
  connections_.erase(it);
}

void Server::schedule_close(std::shared_ptr<Connection> c) {
  asio::post(io_, [c] {
    if (!c->closed()) c->close();
  });
}

void Server::arm_block_timer() {
  int64_t deadline = engine_.next_block_deadline();
  if (deadline < 0) return;
  if (block_timer_deadline_ >= 0 && block_timer_deadline_ <= deadline) return;
  block_timer_deadline_ = deadline;
  int64_t wait = deadline - clock_.now_ms();
  block_timer_.expires_after(std::chrono::milliseconds(wait > 0 ? wait : 0));
  block_timer_.async_wait([this](const std::error_code& ec) {
    if (ec) return;
    meter_.begin_work();
    block_timer_deadline_ = -1;
    if (!engine_.script_timed_out()) engine_.expire_blocked_clients(clock_.now_ms());
    arm_block_timer();
  });
}

void Server::schedule_cron() {
  int64_t hz = config_.v().hz > 0 ? config_.v().hz : 10;
  cron_timer_.expires_after(std::chrono::milliseconds(1000 / hz));
  cron_timer_.async_wait([this](const std::error_code& ec) {
    if (ec || stopping_) return;
    on_cron();
    schedule_cron();
  });
}

void Server::on_cron() {
  if (engine_.script_timed_out()) return;  // a slow script is mid-run: see above
  if (engine_.cron_paused) return;         // DEBUG PAUSE-CRON
  meter_.begin_work();
  sync_io_threads();
  meter_.sample();
  check_accept_queues();
  // With the stall watchdog on, each phase is timed so that a long tick is
  // logged with the phase that took the time.
  auto& watch = engine_.stall_watch();
  auto phase = [&](const char* what, auto&& work) {
    if (!watch.on()) {
      work();
      return;
    }
    const int64_t t0 = LoopMeter::now_us();
    work();
    watch.note(what, LoopMeter::now_us() - t0);
  };
  phase("cron: expiry, eviction and statistics", [&] { engine_.cron(); });
  phase("cron: snapshot", [&] { persist::snapshot_cron(engine_); });
  phase("cron: replication", [&] { repl_->cron(); });
  phase("cron: append-only file", [&] { aof_->cron(); });
  int64_t now = clock_.now_ms();
  migrate_links_.close_idle(now / 1000);
  phase("cron: client timeouts and buffers", [&] {
    std::vector<std::shared_ptr<Connection>> conns;
    conns.reserve(connections_.size());
    for (auto& [ptr, c] : connections_) conns.push_back(c);
    for (auto& c : conns) c->on_cron(now);
  });
}

void Server::watch_signals() {
  signals_.add(SIGTERM);
  signals_.add(SIGINT);
  signals_.add(SIGHUP);
  signals_.async_wait([this](const std::error_code& ec, int sig) {
    if (ec) return;
    if (sig == SIGHUP) {
      // After logrotate moved the log away: write to a new file at the
      // configured path from now on (Redis reopens its log on every line).
      reopen_log_file();
      spdlog::info("Received SIGHUP, log file reopened.");
      watch_signals();
      return;
    }
    spdlog::warn("Received {} scheduling shutdown...", sig == SIGINT ? "SIGINT" : "SIGTERM");
    // As Redis: with save points set, the data is saved first, and a failed
    // save keeps the server up rather than lose what it holds.
    if (!request_shutdown({}).empty()) watch_signals();
  });
}

void Server::stop() {
  if (stopping_) return;
  stopping_ = true;
  spdlog::warn("User requested shutdown...");
  std::error_code ec;
  for (auto& l : tcp_listeners_) l->acceptor.close(ec);
  for (auto& l : unix_listeners_) {
    l->acceptor.close(ec);
    ::unlink(l->path.c_str());
  }
  cron_timer_.cancel();
  signals_.cancel(ec);
  // Give pending replies one last non-blocking push, then drop the connections.
  std::vector<std::shared_ptr<Connection>> conns;
  for (auto& [ptr, c] : connections_) conns.push_back(c);
  for (auto& c : conns) c->close_soon();
  asio::post(io_, [this] {
    std::vector<std::shared_ptr<Connection>> rest;
    for (auto& [ptr, c] : connections_) rest.push_back(c);
    for (auto& c : rest) c->close();
    io_.stop();
  });
}

void Server::open_uring() {
  if (!config_.v().io_uring) return;
  if (config_.v().io_threads > 1) {
    // The ordered I/O threads need the main thread to see readiness first
    // (docs/ARCHITECTURE.md, "The io_uring transport").
    spdlog::warn(
        "io-uring yes applies to io-threads 1: with io-threads {} the I/O threads serve the "
        "sockets through epoll",
        config_.v().io_threads);
    return;
  }
  std::string why;
  uring_ = UringTransport::open(&why);
  if (!uring_) {
    spdlog::warn("io_uring is not available ({}): serving clients through epoll", why);
    return;
  }
  uring_->watch_epoll(poller_->epoll_fd());
  spdlog::info("Clients are served through io_uring: {}", uring_->describe());
}

bool Server::wait_for_events(int timeout_ms) {
  if (!uring_) return poller_->wait(timeout_ms);
  // The ring's completions first (client sockets on the ring); the poller's
  // set (Asio's reactor, the wake-up, TLS clients) when the ring says it is
  // ready, or when its last wait may have left events behind.
  bool epoll_ready = uring_->wait(timeout_ms);
  if (!epoll_ready && !poller_->saturated()) return false;
  return poller_->wait(0);
}

void Server::process_events_while_busy() {
  // Asio supports poll() nested in a handler on the same thread. The handlers
  // it runs see the engine busy: commands get BUSY, and the timers below skip
  // their work (cron would expire keys under the script's feet). Jobs the I/O
  // threads sent along with the busy one are not behind a posted drain.
  wait_for_events(0);
  if (io_threads_) io_threads_->drain_main();
  io_.poll();
}

std::string Server::request_shutdown(const Shutdown& how) {
  if (engine_.loading_dataset() && !stopping_) {
    // Mid-load (a client served while the dataset loads): what is in memory
    // is part of the file, and saving it would lose the rest. Exit at once
    // without saving, as Redis does.
    spdlog::warn("User requested shutdown...");
    remove_pidfile(path_in_dir(config_.v().dir, config_.v().pidfile));
    spdlog::warn("kvd is now ready to exit, bye bye...");
    spdlog::default_logger()->flush();
    std::fflush(nullptr);
    ::_exit(0);
  }
  notify_supervisor("STOPPING=1\n");
  aof_->shutdown();
  if (how.save || (!how.nosave && !config_.v().save.empty()))
    notify_supervisor("STATUS=Saving the final RDB snapshot\n");
  std::string err = persist::save_for_shutdown(engine_, how.save, how.nosave);
  if (!err.empty() && !how.force) {
    spdlog::warn("Error trying to save the DB, can't exit. ({})", err);
    notify_supervisor("STATUS=Error trying to save the DB, can't exit.\n");
    return "ERR Errors trying to SHUTDOWN. Check logs.";
  }
  asio::post(io_, [this] { stop(); });
  return "";
}

void Server::check_accept_queues() {
  uint64_t queued = 0;
  uint64_t backlog = 0;
  auto check = [&](TcpListener& l) {
    if (!l.acceptor.is_open()) return;
    AcceptQueue q = read_accept_queue(l.acceptor.native_handle());
    if (!q.known) return;
    queued += q.queued;
    backlog = std::max<uint64_t>(backlog, q.backlog);
    if (q.drops > l.drops_seen) {
      const uint32_t dropped = q.drops - l.drops_seen;
      accept_queue_drops_ += dropped;
      std::error_code ec;
      auto ep = l.acceptor.local_endpoint(ec);
      spdlog::warn(
          "The accept queue of {}:{} overflowed: the kernel dropped {} connection attempt{} "
          "(backlog {}, {} waiting). Raise tcp-backlog and net.core.somaxconn.",
          ec ? std::string("?") : ep.address().to_string(), ec ? 0 : ep.port(), dropped,
          dropped == 1 ? "" : "s", q.backlog, q.queued);
    }
    l.drops_seen = q.drops;
  };
  for (auto& l : tcp_listeners_) check(*l);
  for (auto& l : tls_listeners_) check(*l);
  accept_queue_length_ = queued;
  accept_queue_backlog_ = backlog;
}

void Server::sync_io_threads() {
  if (!io_threads_) return;
  engine_.stats().net_output_bytes += io_threads_->take_output_bytes();
  engine_.stats().client_qbuf_limit_disconnections +=
      io_threads_->take_query_buffer_limit_disconnections();
  io_threads_->pause_output_bytes.store(pause_output_bytes(config_), std::memory_order_relaxed);
  io_threads_->query_buffer_limit.store(config_.v().client_query_buffer_limit,
                                        std::memory_order_relaxed);
}

void Server::log_warning(std::string_view msg) {
  spdlog::warn("{}", msg);
}

engine::ServerHooks::Info Server::info() {
  sync_io_threads();
  Info i;
  i.tcp_port = bound_port_ ? bound_port_ : config_.v().port;
  i.config_file = config_.config_file;
  i.executable = executable_;
  switch (supervised_mode()) {
    case SupervisedMode::kUpstart:
      i.supervised = "upstart";
      break;
    case SupervisedMode::kSystemd:
      i.supervised = "systemd";
      break;
    case SupervisedMode::kNone:
      break;
  }
  i.uptime_seconds = (clock_.now_ms() - engine_.start_ms()) / 1000;
  i.connected_clients = connections_.size();
  for (const auto& [ptr, c] : connections_) {
    i.max_input_buffer = std::max(i.max_input_buffer, c->query_buffer_used());
    i.max_output_buffer = std::max(i.max_output_buffer, c->output_pending());
    i.clients_memory += c->query_buffer_used() + c->output_pending();
  }
#if defined(__linux__)
  i.multiplexing_api = "epoll";
#else
  i.multiplexing_api = "kqueue";
#endif
  check_accept_queues();  // two system calls per listener: fresh figures
  i.accept_queue_length = accept_queue_length_;
  i.accept_queue_backlog = accept_queue_backlog_;
  i.accept_queue_drops = accept_queue_drops_;
  i.io_transport = uring_ ? "io_uring" : "epoll";
  i.io_rounds = io_threads_ ? io_threads_->poller().rounds() : meter_.cycles();
  if (uring_) {
    i.io_uring_enters = uring_->enters();
    i.io_syscalls_saved = uring_->saved();
  }
  i.io_threads_active = io_threads_ ? 1 : 0;
  if (io_threads_) {
    i.io_threaded_reads_processed = io_threads_->reads_processed();
    i.io_threaded_writes_processed = io_threads_->writes_processed();
  }
  i.eventloop_cycles = meter_.cycles();
  i.eventloop_duration_sum = meter_.duration_sum_us();
  i.instantaneous_eventloop_cycles_per_sec = meter_.cycles_per_sec();
  i.instantaneous_eventloop_duration_usec = meter_.average_duration_us();
  i.migrate_cached_sockets = migrate_links_.size();
  return i;
}

engine::MigrateLink* Server::migrate_link(const std::string& host, const std::string& port,
                                          int64_t timeout_ms) {
  return migrate_links_.get(host, port, timeout_ms, clock_.now_ms() / 1000);
}

void Server::close_migrate_link(const std::string& host, const std::string& port) {
  migrate_links_.close(host, port);
}

int Server::run() {
  spdlog::warn("Server initialized");
  apply_oom_score();
  engine_.stats().startup_memory = engine::allocator_used_memory();
  // Users from the config file and the ACL file, before any data: a bad
  // rule stops the server, as in Redis.
  if (std::string acl_err = engine_.load_acl_at_startup(); !acl_err.empty()) {
    spdlog::warn("{}", acl_err);
    return 1;
  }
  std::string err = load_data();
  if (!err.empty()) {
    // Serving an empty dataset over a damaged file would lose it at the next
    // save: stop, as Redis does, with its last line for a damaged file.
    // The AOF logs its errors where they happen, Redis's message last
    // (tests read the last line).
    if (config_.v().appendonly) return 1;
    spdlog::error("{}", err);
    if (err.rfind("Fatal error loading", 0) != 0)
      spdlog::warn("Terminating server after rdb file reading failure.");
    return 1;
  }
  repl_->start(rdb_replid_, rdb_repl_offset_, rdb_stream_db_);
  if (engine_.repl().is_replica()) apply_oom_score();  // replicaof in the config
  watch_signals();
  schedule_cron();
  spdlog::info("Ready to accept connections");
  // systemd (Type=notify) starts what depends on us from here on.
  notify_supervisor(engine_.repl().is_replica()
                        ? "STATUS=Ready to accept connections in read-only mode. Waiting for "
                          "MASTER <-> REPLICA sync\n"
                        : "STATUS=Ready to accept connections\n");
  notify_supervisor("READY=1\n");
  // One cycle of the loop: sleep in the poller until a client socket, Asio's
  // reactor or a wake-up from an I/O thread is ready; serve the client
  // sockets; then run Asio's ready handlers (timers, accepts, replication,
  // and work the round queued) when there are any: its reactor was ready, or
  // handlers wait in its queue (Asio's own wake-up for queued work only
  // works when it sleeps in its reactor, which it never does here). A round
  // of plain requests so costs one epoll_wait, as in Redis. The bound keeps
  // a server under constant load from reporting one endless cycle; handlers
  // left queued keep the next wait from sleeping.
  bool asio_busy = false;
  while (!io_.stopped()) {
    const bool reactor = wait_for_events(asio_busy || asio_handlers_queued(io_) ? 0 : -1);
    if (reactor || asio_busy || asio_handlers_queued(io_)) {
      meter_.begin_work();
      int ran = 0;
      while (ran < kMaxHandlersPerCycle && io_.poll_one() > 0) ++ran;
      asio_busy = ran == kMaxHandlersPerCycle;
    }
    run_before_sleep();
    const int64_t cycle_us = meter_.end_cycle();
    if (cycle_us >= 0 && engine_.stall_watch().on()) {
      std::string stall = engine_.stall_watch().end_round(cycle_us);
      if (!stall.empty()) spdlog::warn("{}", stall);
    }
  }
  if (io_threads_) io_threads_->stop();
  // The last round's sends (the final push of pending replies) and cancels
  // are only prepared: submit them, as the poller path writes at once.
  if (uring_) uring_->wait(0);
  poller_->stop();
  engine_.freer().drain();
  return 0;
}

}  // namespace kvd::server
