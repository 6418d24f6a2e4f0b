#include "kvd/engine/replication.hpp"

#include <algorithm>

#include "kvd/protocol/command_encoder.hpp"

namespace kvd::engine {

// ---------------------------------------------------------------- backlog

void ReplBacklog::append(std::string_view bytes) {
  const size_t cap = buf_.size();
  // Only the newest `cap` bytes can stay.
  if (bytes.size() > cap) bytes.remove_prefix(bytes.size() - cap);
  size_t done = 0;
  while (done < bytes.size()) {
    const size_t n = std::min(bytes.size() - done, cap - head_);
    std::copy_n(bytes.data() + done, n, buf_.data() + head_);
    head_ = (head_ + n) % cap;
    done += n;
  }
  histlen_ = std::min(cap, histlen_ + bytes.size());
}

std::string ReplBacklog::tail(size_t n) const {
  n = std::min(n, histlen_);
  const size_t cap = buf_.size();
  std::string out;
  out.resize(n);
  size_t start = (head_ + cap - n) % cap;
  size_t done = 0;
  while (done < n) {
    const size_t k = std::min(n - done, cap - start);
    std::copy_n(buf_.data() + start, k, out.data() + done);
    start = (start + k) % cap;
    done += k;
  }
  return out;
}

void ReplBacklog::resize(size_t capacity) {
  if (capacity == 0) capacity = 1;
  if (capacity == buf_.size()) return;
  std::string keep = tail(std::min(capacity, histlen_));
  buf_.assign(capacity, 0);
  head_ = 0;
  histlen_ = 0;
  append(keep);
}

// ---------------------------------------------------------------- state

ReplicationState::ReplicationState() : replid_(random_hex_id()), replid2_(40, '0') {}

void ReplicationState::change_replid() {
  replid_ = random_hex_id();
}

void ReplicationState::clear_replid2() {
  replid2_.assign(40, '0');
  second_offset_ = -1;
}

void ReplicationState::shift_replid() {
  if (history_discarded_) {
    // Our data is not our ID's history: nobody may continue from it.
    history_discarded_ = false;
    change_replid();
    clear_replid2();
    return;
  }
  replid2_ = replid_;
  // The first byte that only the new history has.
  second_offset_ = offset_ + 1;
  change_replid();
}

void ReplicationState::set_id_and_offset(std::string replid, int64_t offset) {
  replid_ = std::move(replid);
  offset_ = offset;
  clear_replid2();
  history_discarded_ = false;
  // Whatever the backlog held belongs to another history.
  if (backlog_) {
    backlog_ = std::make_unique<ReplBacklog>(backlog_size_);
  }
}

void ReplicationState::continue_after_restart(std::string old_replid, int64_t offset) {
  replid2_ = std::move(old_replid);
  second_offset_ = offset + 1;
  offset_ += offset;
  history_discarded_ = false;
  change_replid();
}

void ReplicationState::adopt_new_master_replid(std::string replid) {
  if (replid == replid_) return;
  replid2_ = replid_;
  second_offset_ = offset_ + 1;
  replid_ = std::move(replid);
}

int64_t ReplicationState::backlog_first_byte_offset() const {
  if (!backlog_) return 0;
  return offset_ - static_cast<int64_t>(backlog_->histlen()) + 1;
}

std::string ReplicationState::can_continue(std::string_view replid, int64_t offset) const {
  if (replid != replid_ && !(replid == replid2_ && offset <= second_offset_)) {
    if (replid != replid2_) return "Replication ID mismatch";
    return "Requested offset for second ID was " + std::to_string(offset) +
           ", but I can reply up to " + std::to_string(second_offset_);
  }
  if (!backlog_ || history_discarded_) return "no backlog";
  if (offset < backlog_first_byte_offset() || offset > offset_ + 1)
    return "Requested offset " + std::to_string(offset) + " is out of the backlog range";
  return "";
}

std::string ReplicationState::backlog_from(int64_t offset) const {
  if (!backlog_ || offset > offset_) return "";
  return backlog_->tail(static_cast<size_t>(offset_ - offset + 1));
}

void ReplicationState::create_backlog() {
  if (backlog_) return;
  backlog_ = std::make_unique<ReplBacklog>(backlog_size_);
}

void ReplicationState::discard_history() {
  history_discarded_ = true;
  // Emptied, not freed: the backlog's presence says the stream sink is on.
  if (backlog_) backlog_ = std::make_unique<ReplBacklog>(backlog_size_);
}

void ReplicationState::free_backlog() {
  backlog_.reset();
}

void ReplicationState::resize_backlog(size_t size) {
  backlog_size_ = size < 16 * 1024 ? 16 * 1024 : size;  // Redis's minimum
  if (backlog_) backlog_->resize(backlog_size_);
}

void ReplicationState::feed(std::string_view bytes) {
  if (bytes.empty()) return;
  if (backlog_) backlog_->append(bytes);
  offset_ += static_cast<int64_t>(bytes.size());
  if (on_stream) on_stream(bytes);
}

void ReplicationState::consume(const std::vector<Effect>& unit) {
  if (unit.empty() || is_replica() || !backlog_) return;
  scratch_.clear();
  auto select = [&](int db) {
    if (db == stream_db_) return;
    const std::string n = std::to_string(db);
    protocol::append_command(scratch_, std::initializer_list<std::string_view>{"SELECT", n});
    stream_db_ = db;
  };
  // A unit of several effects is applied atomically by the replica, as the
  // AOF does it.
  const bool wrap = unit.size() > 1;
  if (wrap) {
    select(unit.front().db);
    protocol::append_command(scratch_, std::initializer_list<std::string_view>{"MULTI"});
  }
  for (const auto& eff : unit) {
    select(eff.db);
    protocol::append_command(scratch_, eff.argv);
  }
  if (wrap) protocol::append_command(scratch_, std::initializer_list<std::string_view>{"EXEC"});
  feed(scratch_);
}

}  // namespace kvd::engine
