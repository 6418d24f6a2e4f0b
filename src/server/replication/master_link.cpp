// The replica's side of the link: handshake, full or partial sync, then the
// master's stream applied command by command. Log lines follow Redis's
// wording for each step (tools and tests read them).
#include "master_link.hpp"

#include <fcntl.h>
#include <sys/uio.h>
#include <unistd.h>

#include <spdlog/spdlog.h>

#include <cerrno>
#include <cstring>

#include "kvd/common/strings.hpp"
#include "kvd/engine/engine.hpp"
#include "kvd/engine/functions.hpp"
#include "kvd/persist/replica_load.hpp"
#include "kvd/persist/snapshot.hpp"
#include "kvd/protocol/command_encoder.hpp"
#include "kvd/server/server.hpp"
#include "kvd/server/supervision.hpp"
#include "replication.hpp"

namespace kvd::server {

MasterLink::MasterLink(Replication& repl, std::string host, int64_t port)
    : repl_(repl),
      host_(std::move(host)),
      port_(port),
      resolver_(repl.server().io()),
      socket_(repl.server().io()),
      writer_(scratch_) {
  client_.master_link = true;
  client_.conn = this;
  client_.writer = &writer_;
}

MasterLink::~MasterLink() {
  if (tmp_fd_ >= 0) ::close(tmp_fd_);
  if (!tmp_path_.empty()) ::unlink(tmp_path_.c_str());
}

std::string MasterLink::peer_address() const {
  return host_ + ":" + std::to_string(port_);
}

std::string MasterLink::local_address() const {
  std::error_code ec;
  auto ep = socket_.local_endpoint(ec);
  if (ec) return "";
  return ep.address().to_string() + ":" + std::to_string(ep.port());
}

int MasterLink::fd() const {
  return socket_.is_open() ? const_cast<asio::ip::tcp::socket&>(socket_).native_handle() : -1;
}

void MasterLink::start() {
  connect();
}

void MasterLink::stop() {
  stopped_ = true;
  close_socket();
}

void MasterLink::close_soon() {
  // CLIENT KILL TYPE master: the link drops and is retried with PSYNC.
  asio::post(repl_.server().io(), [self = shared_from_this()] {
    if (!self->stopped_ && self->state_ == State::kConnected) self->lost("killed");
  });
}

void MasterLink::close_socket() {
  std::error_code ec;
  ++generation_;
  reading_ = false;
  resolver_.cancel();
  socket_.cancel(ec);
  socket_.close(ec);
  if (client_registered_) {
    repl_.engine().remove_client(&client_);
    client_registered_ = false;
  }
  if (tmp_fd_ >= 0) {
    ::close(tmp_fd_);
    tmp_fd_ = -1;
  }
  if (!tmp_path_.empty()) {
    ::unlink(tmp_path_.c_str());
    tmp_path_.clear();
  }
  load_.reset();  // what was loaded goes (swapdb: the old data stays)
  load_slice_posted_ = false;
  read_held_ = false;
  in_.clear();
  in_pos_ = 0;
  out_.clear();
  writing_ = false;
  parser_.reset();
}

void MasterLink::lost(const std::string& why) {
  engine::ReplicationState& r = repl_.engine().repl();
  if (state_ == State::kConnected) {
    spdlog::warn("Connection with master lost.");
    spdlog::info("Caching the disconnected master state.");
    r.link_down_since_ms = repl_.engine().clock().now_ms();
  } else {
    if (load_) {
      // Cut short mid-image, as Redis's loader reports a short read.
      spdlog::warn("Internal error in RDB reading offset {}, function at rdbLoad -> {}",
                   load_->consumed(), "Unexpected EOF reading RDB file");
      spdlog::warn(
          "Failed trying to load the MASTER synchronization DB from socket, check server logs.");
    }
    if (!why.empty()) spdlog::warn("Error condition on socket for SYNC: {}", why);
    // A handshake of our FAILOVER that fails puts us back as master.
    repl_.failover_answered(false);
  }
  r.link_up = false;
  r.sync_in_progress = false;
  r.link_connecting = r.link_handshake = false;
  close_socket();
  state_ = State::kIdle;
  state_since_ms_ = repl_.engine().clock().now_ms();
}

void MasterLink::connect() {
  if (stopped_) return;
  state_ = State::kConnecting;
  state_since_ms_ = repl_.engine().clock().now_ms();
  repl_.engine().repl().link_connecting = true;
  spdlog::info("Connecting to MASTER {}:{}", host_, port_);
  spdlog::info("MASTER <-> REPLICA sync started");
  resolver_.async_resolve(
      host_, std::to_string(port_),
      [self = shared_from_this()](const std::error_code& ec,
                                  asio::ip::tcp::resolver::results_type results) {
        if (self->stopped_ || self->state_ != State::kConnecting) return;
        if (ec) {
          spdlog::warn("Unable to connect to MASTER: {}", ec.message());
          self->lost("");
          return;
        }
        asio::async_connect(self->socket_, results,
                            [self](const std::error_code& ec2, const asio::ip::tcp::endpoint&) {
                              if (self->stopped_ || self->state_ != State::kConnecting) return;
                              if (ec2) {
                                spdlog::warn("Unable to connect to MASTER: {}", ec2.message());
                                self->lost("");
                                return;
                              }
                              self->on_connected();
                            });
      });
}

void MasterLink::on_connected() {
  spdlog::info("Non blocking connect for SYNC fired the event.");
  std::error_code ec;
  socket_.set_option(asio::ip::tcp::no_delay(true), ec);
  use_tls_ = repl_.server().config().get("tls-replication").value_or("no") == "yes";
  if (use_tls_) {
    start_tls();
    return;
  }
  on_link_ready();
}

// The replica's side of a TLS link, as Redis sets it up: the master's
// certificate verified against tls-ca-cert-file/dir, and our certificate
// tls-client-cert-file (or tls-cert-file when that is unset).
void MasterLink::start_tls() {
  const auto& config = repl_.server().config();
  auto get = [&](const char* name) { return config.get(name).value_or(""); };
  std::string cert = get("tls-client-cert-file"), key = get("tls-client-key-file");
  std::string pass = get("tls-client-key-file-pass");
  if (cert.empty()) {
    cert = get("tls-cert-file");
    key = get("tls-key-file");
    pass = get("tls-key-file-pass");
  }
  std::error_code ec;
  tls_.reset();
  tls_ctx_ = std::make_unique<asio::ssl::context>(asio::ssl::context::tls_client);
  tls_ctx_->set_verify_mode(asio::ssl::verify_peer, ec);
  if (!get("tls-ca-cert-file").empty()) tls_ctx_->load_verify_file(get("tls-ca-cert-file"), ec);
  if (!ec && !get("tls-ca-cert-dir").empty()) tls_ctx_->add_verify_path(get("tls-ca-cert-dir"), ec);
  if (!ec && !pass.empty())
    tls_ctx_->set_password_callback(
        [pass](size_t, asio::ssl::context::password_purpose) { return pass; }, ec);
  if (!ec && !cert.empty()) tls_ctx_->use_certificate_chain_file(cert, ec);
  if (!ec && !key.empty()) tls_ctx_->use_private_key_file(key, asio::ssl::context::pem, ec);
  if (ec) {
    spdlog::warn("Unable to configure TLS for the link to MASTER: {}", ec.message());
    lost("");
    return;
  }
  tls_ = std::make_unique<asio::ssl::stream<asio::ip::tcp::socket&>>(socket_, *tls_ctx_);
  tls_->async_handshake(
      asio::ssl::stream_base::client,
      [self = shared_from_this(), gen = generation_](const std::error_code& e) {
        if (self->stopped_ || gen != self->generation_ || self->state_ != State::kConnecting)
          return;
        if (e) {
          spdlog::warn("Unable to connect to MASTER: TLS handshake: {}", e.message());
          self->lost("");
          return;
        }
        self->on_link_ready();
      });
}

void MasterLink::on_link_ready() {
  last_io_ms_ = repl_.engine().clock().now_ms();
  state_ = State::kHandshake;
  step_ = Step::kPing;
  repl_.engine().repl().link_connecting = false;
  repl_.engine().repl().link_handshake = true;
  send_command({"PING"});
  read_more();
}

// ---------------------------------------------------------------- I/O

void MasterLink::read_more() {
  if (stopped_ || !socket_.is_open()) return;
  const size_t old = in_.size();
  in_.resize(old + kReadChunk);
  reading_ = true;
  auto on_read = [self = shared_from_this(), old, gen = generation_](const std::error_code& ec,
                                                                     size_t n) {
    if (self->stopped_ || gen != self->generation_) return;
    self->reading_ = false;
    self->in_.resize(old + (ec ? 0 : n));
    if (ec) {
      if (ec != asio::error::operation_aborted && self->state_ != State::kIdle)
        self->lost(ec == asio::error::eof ? "connection lost" : ec.message());
      return;
    }
    self->repl_.server().meter().begin_work();
    self->last_io_ms_ = self->repl_.engine().clock().now_ms();
    self->repl_.engine().stats().net_input_bytes += n;
    self->on_data();
    if (self->stopped_ || self->state_ == State::kIdle) return;
    if (self->hold_reading()) {
      self->read_held_ = true;  // continue_stream_load reads again
    } else {
      self->read_more();
    }
  };
  if (use_tls_ && tls_)
    tls_->async_read_some(asio::buffer(in_.data() + old, kReadChunk), std::move(on_read));
  else
    socket_.async_read_some(asio::buffer(in_.data() + old, kReadChunk), std::move(on_read));
}

void MasterLink::send(std::string_view bytes) {
  out_.append(bytes);
  write_pending();
}

void MasterLink::send_command(std::initializer_list<std::string_view> args) {
  std::string cmd;
  protocol::append_command(cmd, args);
  send(cmd);
}

void MasterLink::write_pending() {
  if (writing_ || out_.empty() || !socket_.is_open()) return;
  writing_ = true;
  sending_.swap(out_);
  out_.clear();
  auto done = [self = shared_from_this()](const std::error_code& ec, size_t) {
    self->writing_ = false;
    self->sending_.clear();
    if (self->stopped_ || ec) return;
    self->write_pending();
  };
  if (use_tls_ && tls_)
    asio::async_write(*tls_, asio::buffer(sending_), std::move(done));
  else
    asio::async_write(socket_, asio::buffer(sending_), std::move(done));
}

bool MasterLink::take_line(std::string* line) {
  const size_t eol = in_.find("\r\n", in_pos_);
  if (eol == std::string::npos) return false;
  line->assign(in_, in_pos_, eol - in_pos_);
  in_pos_ = eol + 2;
  return true;
}

void MasterLink::on_data() {
  std::string line;
  while (!stopped_) {
    if (state_ == State::kHandshake) {
      // A master preparing a diskless sync sends newlines as keepalives
      // before it answers PSYNC.
      while (in_pos_ < in_.size() && in_[in_pos_] == '\n') ++in_pos_;
      if (!take_line(&line)) break;
      handle_reply(line);
      continue;
    }
    if (state_ == State::kBulkHeader || state_ == State::kBulkBody) {
      receive_bulk();
      break;
    }
    if (state_ == State::kConnected) apply_stream();
    break;
  }
  if (in_pos_ > 0 && in_pos_ == in_.size()) {
    in_.clear();
    in_pos_ = 0;
  }
}

// ---------------------------------------------------------------- handshake

void MasterLink::next_step(Step done) {
  engine::Config& cfg = repl_.engine().config();
  const std::string auth = cfg.get("masterauth").value_or("");
  const std::string ip = cfg.get("replica-announce-ip").value_or("");
  Step s = static_cast<Step>(static_cast<int>(done) + 1);
  if (s == Step::kAuth && auth.empty()) s = Step::kPort;
  if (s == Step::kIp && ip.empty()) s = Step::kCapa;
  step_ = s;
  switch (s) {
    case Step::kAuth: {
      const std::string user = cfg.get("masteruser").value_or("");
      if (user.empty()) {
        send_command({"AUTH", auth});
      } else {
        send_command({"AUTH", user, auth});
      }
      break;
    }
    case Step::kPort: {
      int64_t port = 0;
      parse_int64(cfg.get("replica-announce-port").value_or("0"), &port);
      if (port == 0) port = repl_.server().info().tcp_port;
      send_command({"REPLCONF", "listening-port", std::to_string(port)});
      break;
    }
    case Step::kIp:
      send_command({"REPLCONF", "ip-address", ip});
      break;
    case Step::kCapa:
      send_command({"REPLCONF", "capa", "eof", "capa", "psync2"});
      break;
    case Step::kPsync: {
      // PSYNC2: our own ID and offset stand for the master we were synced
      // with (or for ourselves after a promotion), so a master that shares
      // that history continues from there.
      const engine::ReplicationState& r = repl_.engine().repl();
      if (r.history_discarded()) {
        // A full sync replaced part of our data and did not finish.
        spdlog::info("Partial resynchronization not possible (no cached master)");
        send_command({"PSYNC", "?", "-1"});
        break;
      }
      const std::string off = std::to_string(r.master_repl_offset() + 1);
      spdlog::info("Trying a partial resynchronization (request {}:{}).", r.replid(), off);
      // Our FAILOVER: the target promotes itself when it reads FAILOVER.
      if (r.failover_state == engine::FailoverState::kInProgress)
        send_command({"PSYNC", r.replid(), off, "FAILOVER"});
      else
        send_command({"PSYNC", r.replid(), off});
      break;
    }
    case Step::kPing:
      break;
  }
}

void MasterLink::handle_reply(const std::string& line) {
  switch (step_) {
    case Step::kPing:
      if (!line.empty() && line[0] == '-' && line.rfind("-NOAUTH", 0) != 0 &&
          line.rfind("-NOPERM", 0) != 0 && line.rfind("-ERR operation not permitted", 0) != 0) {
        spdlog::warn("Error reply to PING from master: '{}'", line.substr(1));
        lost("");
        return;
      }
      spdlog::info("Master replied to PING, replication can continue...");
      break;
    case Step::kAuth:
      if (!line.empty() && line[0] == '-') {
        spdlog::warn("Unable to AUTH to MASTER: {}", line.substr(1));
        lost("");
        return;
      }
      break;
    case Step::kPort:
      if (!line.empty() && line[0] == '-')
        spdlog::info("(Non critical) Master does not understand REPLCONF listening-port: {}",
                     line.substr(1));
      break;
    case Step::kIp:
      if (!line.empty() && line[0] == '-')
        spdlog::info("(Non critical) Master does not understand REPLCONF ip-address: {}",
                     line.substr(1));
      break;
    case Step::kCapa:
      if (!line.empty() && line[0] == '-')
        spdlog::info("(Non critical) Master does not understand REPLCONF capa: {}", line.substr(1));
      break;
    case Step::kPsync:
      handle_psync_reply(line);
      return;
  }
  next_step(step_);
}

void MasterLink::handle_psync_reply(const std::string& line) {
  engine::Engine& e = repl_.engine();
  engine::ReplicationState& r = e.repl();
  if (line.rfind("+FULLRESYNC", 0) == 0) {
    // +FULLRESYNC <replid> <offset>
    const size_t a = line.find(' ');
    const size_t b = a == std::string::npos ? a : line.find(' ', a + 1);
    if (b == std::string::npos || b - a - 1 != 40 ||
        !parse_int64(std::string_view(line).substr(b + 1), &sync_offset_)) {
      spdlog::warn("Master replied with wrong +FULLRESYNC syntax.");
      lost("");
      return;
    }
    sync_replid_ = line.substr(a + 1, 40);
    spdlog::info("Full resync from master: {}:{}", sync_replid_, sync_offset_);
    repl_.failover_answered(true);
    state_ = State::kBulkHeader;
    state_since_ms_ = e.clock().now_ms();
    r.sync_in_progress = true;
    r.link_handshake = false;
    r.transfer_size = -1;
    r.transfer_read = 0;
    return;
  }
  if (line.rfind("+CONTINUE", 0) == 0) {
    spdlog::info("Successful partial resynchronization with master.");
    if (line.size() > 10) {
      std::string id = line.substr(10, 40);
      if (id.size() == 40 && id != r.replid()) {
        r.adopt_new_master_replid(id);
        spdlog::info("Master replication ID changed to {}", id);
        // Our replicas must learn the new ID: they reconnect and PSYNC.
        repl_.disconnect_replicas();
      }
    }
    spdlog::info("MASTER <-> REPLICA sync: Master accepted a Partial Resynchronization.");
    notify_supervisor(
        "STATUS=MASTER <-> REPLICA sync: Partial Resynchronization accepted. Ready to accept "
        "connections in read-write mode.\n");
    repl_.failover_answered(true);
    become_connected();
    return;
  }
  if (line.rfind("-NOMASTERLINK", 0) == 0 || line.rfind("-LOADING", 0) == 0) {
    spdlog::info("Master is currently unable to PSYNC but should be in the future: {}",
                 line.substr(1));
  } else {
    spdlog::warn("Unexpected reply to PSYNC from master: {}", line);
  }
  lost("");
}

void MasterLink::become_connected() {
  engine::Engine& e = repl_.engine();
  engine::ReplicationState& r = e.repl();
  e.start_repl_stream();
  r.sync_in_progress = false;
  r.link_handshake = false;
  r.link_up = true;
  r.master_last_io_ms = e.clock().now_ms();
  state_ = State::kConnected;
  if (!client_registered_) {
    client_.id = e.next_client_id();
    client_.created_ms = client_.last_interaction_ms = e.clock().now_ms();
    e.add_client(&client_);
    client_.authenticated = true;
    client_registered_ = true;
  }
  send_ack();
}

// ---------------------------------------------------------------- stream

void MasterLink::apply_stream() {
  engine::Engine& e = repl_.engine();
  engine::ReplicationState& r = e.repl();
  r.master_last_io_ms = last_io_ms_;
  while (state_ == State::kConnected && in_pos_ < in_.size()) {
    const char* start = in_.data() + in_pos_;
    auto st = parser_.parse(start, in_.size() - in_pos_);
    if (st == protocol::RequestParser::Status::kNeedMore) break;
    if (st == protocol::RequestParser::Status::kError) {
      spdlog::warn("Protocol error from MASTER: {}", parser_.error());
      lost("");
      return;
    }
    const size_t used = parser_.consumed();
    const auto& args = parser_.args();
    if (!args.empty()) {
      e.execute(client_, engine::Args(args.data(), args.size()), writer_);
      report_error_to_master(args[0]);
      scratch_.clear();
    }
    // The offset counts what was applied; the bytes go on, verbatim, to our
    // backlog and our replicas.
    r.feed(std::string_view(start, used));
    in_pos_ += used;
  }
  if (in_pos_ == in_.size()) {
    in_.clear();
    in_pos_ = 0;
  } else if (in_pos_ > (1 << 20)) {
    in_.erase(0, in_pos_);
    in_pos_ = 0;
  }
}

void MasterLink::report_error_to_master(std::string_view command) {
  // Every command of the stream passes here: look at the first byte in
  // place, and copy the reply only when it is an error.
  struct iovec first;
  if (scratch_.fill_iovec(&first, 1) < 1 || first.iov_len == 0 ||
      static_cast<const char*>(first.iov_base)[0] != '-')
    return;
  const std::string reply = scratch_.to_string();
  // The master ran it without error: our data may now differ from the
  // master's (propagation-error-behavior ignore, Redis's default).
  const size_t eol = reply.find("\r\n");
  spdlog::warn(
      "== CRITICAL == This replica is sending an error to its master: '{}' after processing the "
      "command '{}'",
      reply.substr(1, eol == std::string::npos ? std::string::npos : eol - 1),
      repl_.engine().commands().find(command) ? to_lower(command) : std::string("<unknown>"));
}

void MasterLink::send_ack() {
  if (state_ != State::kConnected) return;
  send_command({"REPLCONF", "ACK", std::to_string(repl_.engine().repl().master_repl_offset())});
}

void MasterLink::cron(int64_t now_ms) {
  if (stopped_) return;
  int64_t timeout_s = 60;
  parse_int64(repl_.engine().config().get("repl-timeout").value_or("60"), &timeout_s);
  switch (state_) {
    case State::kIdle:
      // Reconnect on the next tick of a once-a-second cron, as Redis's
      // replication cron does: 0 to 1 s after the loss, not always 1 s
      // after it. (A fixed delay made a replica's reconnection, and its
      // replicas' loss of their link, land exactly on the second-by-second
      // polls of anyone watching a restarted master.)
      if (now_ms / 1000 != state_since_ms_ / 1000) connect();
      break;
    case State::kConnecting:
    case State::kHandshake:
      if (now_ms - state_since_ms_ > timeout_s * 1000) {
        spdlog::warn("Timeout connecting to the MASTER...");
        lost("");
      }
      break;
    case State::kBulkHeader:
    case State::kBulkBody:
      if (now_ms - last_io_ms_ > timeout_s * 1000) {
        spdlog::warn(
            "Timeout receiving bulk data from MASTER... If the problem persists try to set the "
            "'repl-timeout' parameter in redis.conf to a larger value.");
        lost("");
      }
      break;
    case State::kConnected:
      if (now_ms - last_io_ms_ > timeout_s * 1000) {
        spdlog::warn("MASTER timeout: no data nor PING received...");
        lost("");
        break;
      }
      if (now_ms / 1000 != last_ack_s_) {
        last_ack_s_ = now_ms / 1000;
        send_ack();
      }
      break;
  }
}

}  // namespace kvd::server
