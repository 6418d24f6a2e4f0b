// The replica's side of a full sync: the snapshot after +FULLRESYNC, sent
// as `$<len>` or as the diskless `$EOF:<mark>` form, either written to a
// temp file and loaded once complete (repl-diskless-load disabled), or
// loaded as it streams in (on-empty-db, swapdb) with the loop running
// between pieces. Log lines follow Redis's wording for each step.
#include <fcntl.h>
#include <unistd.h>

#include <spdlog/spdlog.h>

#include <cerrno>
#include <cstring>

#include "kvd/common/strings.hpp"
#include "kvd/engine/engine.hpp"
#include "kvd/engine/functions.hpp"
#include "kvd/persist/replica_load.hpp"
#include "kvd/persist/snapshot.hpp"
#include "kvd/server/server.hpp"
#include "kvd/server/supervision.hpp"
#include "master_link.hpp"
#include "replication.hpp"

namespace kvd::server {

namespace {
constexpr size_t kEofMarkLen = 40;
// A streaming load reads for this long, then lets the loop run.
constexpr int64_t kLoadSliceUs = 10'000;
// Received and not yet loaded: above this the socket is not read (the
// master then sends no faster than we load).
constexpr size_t kLoadHighWater = 4 << 20;
}  // namespace

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
    const bool swap = load == "swapdb";
    const bool streaming = swap || (load == "on-empty-db" && keys == 0);
    const char* target = streaming ? "to parser" : "to disk";
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
    transfer_done_ = false;
    if (streaming) {
      start_stream_load(swap);
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
  if (transfer_done_) return;  // the rest is the stream, once the load is done
  // The body: everything up to the length, or up to the EOF mark.
  std::string_view data(in_.data() + in_pos_, in_.size() - in_pos_);
  if (!eof_mode_ && static_cast<int64_t>(data.size()) > bulk_left_)
    data = data.substr(0, static_cast<size_t>(bulk_left_));
  if (eof_mode_) {
    // The mark is the last 40 bytes; keep the tail to compare across reads.
    eof_tail_.append(data.substr(data.size() > kEofMarkLen ? data.size() - kEofMarkLen : 0));
    if (eof_tail_.size() > kEofMarkLen) eof_tail_.erase(0, eof_tail_.size() - kEofMarkLen);
    transfer_done_ = eof_tail_ == eof_mark_;
  } else {
    bulk_left_ -= static_cast<int64_t>(data.size());
    transfer_done_ = bulk_left_ == 0;
  }
  if (load_) {
    load_->append(data);
    if (transfer_done_) load_->end_of_input();
  } else {
    size_t off = 0;
    while (off < data.size()) {
      ssize_t n = ::write(tmp_fd_, data.data() + off, data.size() - off);
      if (n < 0) {
        if (errno == EINTR) continue;
        spdlog::warn(
            "Write error or short write writing to the DB dump file needed for MASTER <-> "
            "REPLICA synchronization: {}",
            std::strerror(errno));
        lost("");
        return;
      }
      off += static_cast<size_t>(n);
    }
  }
  in_pos_ += data.size();
  r.transfer_read += static_cast<int64_t>(data.size());
  if (load_) {
    continue_stream_load();
    return;
  }
  if (!transfer_done_) return;
  if (eof_mode_ && ::ftruncate(tmp_fd_, r.transfer_read - static_cast<int64_t>(kEofMarkLen)) != 0) {
    spdlog::warn("Error truncating the RDB file received from the master for SYNC: {}",
                 std::strerror(errno));
    lost("");
    return;
  }
  finish_full_sync();
  // Everything after the snapshot is the stream.
  if (state_ == State::kConnected && in_pos_ < in_.size()) apply_stream();
}

// ---------------------------------------------------------------- streaming load

void MasterLink::attach_to_new_history() {
  repl_.engine().repl().discard_history();
  // Our replicas follow us to the new history: they sync again once it is in.
  repl_.disconnect_replicas();
}

void MasterLink::start_stream_load(bool swap) {
  engine::Engine& e = repl_.engine();
  attach_to_new_history();
  // Same history as ours: the old data is an earlier point of the dataset
  // coming in, and may be served until the new one is complete.
  const bool async = swap && sync_replid_ == e.repl().replid();
  if (!swap) {
    spdlog::info("MASTER <-> REPLICA sync: Flushing old data");
    for (int i = 0; i < e.db_count(); ++i) {
      e.touch_watched_keys_in_db(i, -1);
      e.db(i).clear(&e.freer());
    }
  }
  load_ = std::make_unique<persist::ReplicaLoad>(e, swap, async);
  spdlog::info("MASTER <-> REPLICA sync: Loading DB in memory");
}

void MasterLink::continue_stream_load() {
  if (!load_ || load_slice_posted_) return;
  const auto status = load_->parse(kLoadSliceUs);
  last_io_ms_ = repl_.engine().clock().now_ms();  // loading is progress too
  switch (status) {
    case persist::RdbStreamLoader::Status::kError:
      spdlog::warn("Internal error in RDB reading offset {}, function at rdbLoad -> {}",
                   load_->consumed(), load_->error());
      spdlog::warn(
          "Failed trying to load the MASTER synchronization DB from socket, check server logs.");
      load_.reset();
      lost("");
      return;
    case persist::RdbStreamLoader::Status::kPaused:
      // More is ready: let the loop run, then go on.
      load_slice_posted_ = true;
      asio::post(repl_.server().io(), [self = shared_from_this(), gen = generation_] {
        if (self->stopped_ || gen != self->generation_) return;
        self->load_slice_posted_ = false;
        self->continue_stream_load();
      });
      return;
    case persist::RdbStreamLoader::Status::kNeedMore:
      break;
    case persist::RdbStreamLoader::Status::kDone:
      if (!transfer_done_) break;  // the EOF mark is still on its way
      finish_stream_load();
      return;
  }
  // Reading was held while loaded bytes piled up; they are gone now.
  if (read_held_) {
    read_held_ = false;
    read_more();
  }
}

bool MasterLink::hold_reading() const {
  return load_ && (load_slice_posted_ && load_->buffered() > kLoadHighWater);
}

void MasterLink::finish_stream_load() {
  engine::Engine& e = repl_.engine();
  const std::string_view tail = load_->trailing();
  if (eof_mode_ ? tail != eof_mark_ : !tail.empty()) {
    spdlog::warn("Internal error in RDB reading offset {}, function at rdbLoad -> {}",
                 load_->consumed(), "bytes after the RDB image");
    load_.reset();
    lost("");
    return;
  }
  int stream_db = 0;
  const std::string err = load_->commit(&stream_db);
  load_.reset();
  if (!err.empty()) {
    spdlog::warn("Failed trying to load the MASTER synchronization DB from socket: {}", err);
    lost("");
    return;
  }
  // The new history is the master's: our replicas must sync again.
  e.repl().set_id_and_offset(sync_replid_, sync_offset_);
  repl_.disconnect_replicas();
  client_.db_index = stream_db;
  spdlog::info("MASTER <-> REPLICA sync: Finished with success");
  notify_supervisor(
      "STATUS=MASTER <-> REPLICA sync: Finished with success. Ready to accept connections in "
      "read-write mode.\n");
  become_connected();
  if (state_ == State::kConnected && in_pos_ < in_.size()) apply_stream();
  if (read_held_) {
    read_held_ = false;
    read_more();
  }
}

// ---------------------------------------------------------------- from disk

void MasterLink::finish_full_sync() {
  engine::Engine& e = repl_.engine();
  engine::ReplicationState& r = e.repl();
  ::fsync(tmp_fd_);
  ::close(tmp_fd_);
  tmp_fd_ = -1;
  attach_to_new_history();
  spdlog::info("MASTER <-> REPLICA sync: Flushing old data");
  // WATCHers of keys that existed see them touched, as after FLUSHALL: the
  // check needs the keys still there, so it comes before each clear.
  for (int i = 0; i < e.db_count(); ++i) {
    e.touch_watched_keys_in_db(i, -1);
    e.db(i).clear(&e.freer());
  }
  if (e.functions_if_created()) e.functions().flush();
  const std::string path = persist::snapshot_path(e);
  if (::rename(tmp_path_.c_str(), path.c_str()) != 0) {
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
  const std::string err = persist::load_snapshot_file(e, path, opts);
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
  notify_supervisor(
      "STATUS=MASTER <-> REPLICA sync: Finished with success. Ready to accept connections in "
      "read-write mode.\n");
  become_connected();
}

}  // namespace kvd::server
