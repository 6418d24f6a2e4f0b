// The replica's side of the link: handshake, full or partial sync, then the
// master's stream applied command by command. Log lines follow Redis's
// wording for each step (tools and tests read them).
#include "master_link.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <spdlog/spdlog.h>

#include <cerrno>
#include <cstring>

#include "kvd/common/strings.hpp"
#include "kvd/engine/engine.hpp"
#include "kvd/engine/functions.hpp"
#include "kvd/persist/snapshot.hpp"
#include "kvd/protocol/command_encoder.hpp"
#include "kvd/server/server.hpp"
#include "replication.hpp"

namespace kvd::server {

namespace {
constexpr size_t kEofMarkLen = 40;
}  // namespace

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
  std::string().swap(image_);
  to_memory_ = false;
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
    if (!why.empty()) spdlog::warn("Error condition on socket for SYNC: {}", why);
    // A handshake of our FAILOVER that fails puts us back as master.
    repl_.failover_answered(false);
  }
  r.link_up = false;
  r.sync_in_progress = false;
  close_socket();
  state_ = State::kIdle;
  state_since_ms_ = repl_.engine().clock().now_ms();
}

void MasterLink::connect() {
  if (stopped_) return;
  state_ = State::kConnecting;
  state_since_ms_ = repl_.engine().clock().now_ms();
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
  last_io_ms_ = repl_.engine().clock().now_ms();
  state_ = State::kHandshake;
  step_ = Step::kPing;
  send_command({"PING"});
  read_more();
}

// ---------------------------------------------------------------- I/O

void MasterLink::read_more() {
  if (stopped_ || !socket_.is_open()) return;
  const size_t old = in_.size();
  in_.resize(old + kReadChunk);
  reading_ = true;
  socket_.async_read_some(
      asio::buffer(in_.data() + old, kReadChunk),
      [self = shared_from_this(), old, gen = generation_](const std::error_code& ec, size_t n) {
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
        if (!self->stopped_ && self->state_ != State::kIdle) self->read_more();
      });
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
  asio::async_write(socket_, asio::buffer(sending_),
                    [self = shared_from_this()](const std::error_code& ec, size_t) {
                      self->writing_ = false;
                      self->sending_.clear();
                      if (self->stopped_ || ec) return;
                      self->write_pending();
                    });
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

// ---------------------------------------------------------------- full sync

void MasterLink::receive_bulk() {
  engine::Engine& e = repl_.engine();
  engine::ReplicationState& r = e.repl();
  if (state_ == State::kBulkHeader) {
    // Newlines are the master's keepalive while it prepares the snapshot.
    while (in_pos_ < in_.size() && in_[in_pos_] == '\n') ++in_pos_;
    std::string line;
    if (!take_line(&line)) return;
    if (line.empty() || line[0] != '$') {
      if (!line.empty() && line[0] == '-') {
        spdlog::warn("MASTER aborted replication with an error: {}", line.substr(1));
      } else {
        spdlog::warn(
            "Bad protocol from MASTER, the first byte is not '$' (we received '{}'), are you sure "
            "the host and port are right?",
            line);
      }
      lost("");
      return;
    }
    // repl-diskless-load: swapdb always, on-empty-db when we hold no key.
    const std::string load = e.config().get("repl-diskless-load").value_or("disabled");
    uint64_t keys = 0;
    for (int i = 0; i < e.db_count(); ++i) keys += e.db(i).size();
    to_memory_ = load == "swapdb" || (load == "on-empty-db" && keys == 0);
    const char* target = to_memory_ ? "to memory" : "to disk";
    if (line.rfind("$EOF:", 0) == 0 && line.size() == 5 + kEofMarkLen) {
      eof_mode_ = true;
      eof_mark_ = line.substr(5);
      eof_tail_.clear();
      spdlog::info("MASTER <-> REPLICA sync: receiving streamed RDB from master with EOF {}",
                   target);
    } else {
      eof_mode_ = false;
      if (!parse_int64(std::string_view(line).substr(1), &bulk_left_) || bulk_left_ < 0) {
        lost("bad bulk length");
        return;
      }
      r.transfer_size = bulk_left_;
      spdlog::info("MASTER <-> REPLICA sync: receiving {} bytes from master {}", bulk_left_,
                   target);
    }
    if (to_memory_) {
      image_.clear();
      state_ = State::kBulkBody;
      receive_bulk();
      return;
    }
    const std::string& dir = e.config().v().dir;
    tmp_path_ = (dir.empty() ? std::string(".") : dir) + "/temp-" +
                std::to_string(e.clock().now_ms() / 1000) + "." + std::to_string(::getpid()) +
                ".rdb";
    tmp_fd_ = ::open(tmp_path_.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (tmp_fd_ < 0) {
      spdlog::warn("Opening the temp file needed for MASTER <-> REPLICA synchronization: {}",
                   std::strerror(errno));
      lost("");
      return;
    }
    state_ = State::kBulkBody;
  }
  // The body: everything up to the length, or up to the EOF mark.
  std::string_view data(in_.data() + in_pos_, in_.size() - in_pos_);
  if (!eof_mode_ && static_cast<int64_t>(data.size()) > bulk_left_)
    data = data.substr(0, static_cast<size_t>(bulk_left_));
  bool done = false;
  if (eof_mode_) {
    // The mark is the last 40 bytes; keep the tail to compare across reads.
    eof_tail_.append(data.substr(data.size() > kEofMarkLen ? data.size() - kEofMarkLen : 0));
    if (eof_tail_.size() > kEofMarkLen) eof_tail_.erase(0, eof_tail_.size() - kEofMarkLen);
    done = eof_tail_ == eof_mark_;
  } else {
    bulk_left_ -= static_cast<int64_t>(data.size());
    done = bulk_left_ == 0;
  }
  size_t off = to_memory_ ? data.size() : 0;
  if (to_memory_) image_.append(data);
  while (off < data.size()) {
    ssize_t n = ::write(tmp_fd_, data.data() + off, data.size() - off);
    if (n < 0) {
      if (errno == EINTR) continue;
      spdlog::warn(
          "Write error or short write writing to the DB dump file needed for MASTER <-> REPLICA "
          "synchronization: {}",
          std::strerror(errno));
      lost("");
      return;
    }
    off += static_cast<size_t>(n);
  }
  in_pos_ += data.size();
  r.transfer_read += static_cast<int64_t>(data.size());
  if (!done) return;
  // Everything after the snapshot is the stream.
  if (to_memory_) {
    if (eof_mode_) image_.resize(image_.size() - kEofMarkLen);
    finish_full_sync();
    if (state_ == State::kConnected && in_pos_ < in_.size()) apply_stream();
    return;
  }
  if (eof_mode_ && ::ftruncate(tmp_fd_, r.transfer_read - static_cast<int64_t>(kEofMarkLen)) != 0) {
    spdlog::warn("Error truncating the RDB file received from the master for SYNC: {}",
                 std::strerror(errno));
    lost("");
    return;
  }
  finish_full_sync();
  if (state_ == State::kConnected && in_pos_ < in_.size()) apply_stream();
}

void MasterLink::finish_full_sync() {
  engine::Engine& e = repl_.engine();
  engine::ReplicationState& r = e.repl();
  if (!to_memory_) {
    ::fsync(tmp_fd_);
    ::close(tmp_fd_);
    tmp_fd_ = -1;
  }
  spdlog::info("MASTER <-> REPLICA sync: Flushing old data");
  // WATCHers of keys that existed see them touched, as after FLUSHALL: the
  // check needs the keys still there, so it comes before each clear.
  for (int i = 0; i < e.db_count(); ++i) {
    e.touch_watched_keys_in_db(i, -1);
    e.db(i).clear(&e.freer());
  }
  if (e.functions_if_created()) e.functions().flush();
  const std::string path = persist::snapshot_path(e);
  if (!to_memory_ && ::rename(tmp_path_.c_str(), path.c_str()) != 0) {
    spdlog::warn(
        "Failed trying to rename the temp DB into {} in MASTER <-> REPLICA synchronization: {}",
        path, std::strerror(errno));
    lost("");
    return;
  }
  tmp_path_.clear();
  spdlog::info("MASTER <-> REPLICA sync: Loading DB in memory");
  persist::LoadOptions opts;
  opts.keep_expired = true;
  int stream_db = 0;
  opts.repl_stream_db = &stream_db;
  std::string err;
  if (to_memory_) {
    err = persist::load_snapshot_image(e, image_, "the master's stream", opts);
    std::string().swap(image_);
    to_memory_ = false;
  } else {
    err = persist::load_snapshot_file(e, path, opts);
  }
  if (!err.empty()) {
    spdlog::warn("Failed trying to load the MASTER synchronization DB from disk: {}", err);
    lost("");
    return;
  }
  // The new history is the master's: our replicas must sync again.
  r.set_id_and_offset(sync_replid_, sync_offset_);
  repl_.disconnect_replicas();
  client_.db_index = stream_db >= 0 && stream_db < e.db_count() ? stream_db : 0;
  spdlog::info("MASTER <-> REPLICA sync: Finished with success");
  become_connected();
}

void MasterLink::become_connected() {
  engine::Engine& e = repl_.engine();
  engine::ReplicationState& r = e.repl();
  e.start_repl_stream();
  r.sync_in_progress = false;
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
      // Reconnect about once a second, as Redis's replication cron does.
      if (now_ms - state_since_ms_ >= 1000) connect();
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
