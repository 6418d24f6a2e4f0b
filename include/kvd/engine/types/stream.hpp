#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "kvd/engine/value.hpp"

namespace kvd::engine {

// An entry ID: milliseconds and a sequence number, ordered as a 128-bit number.
struct StreamID {
  uint64_t ms = 0;
  uint64_t seq = 0;

  static constexpr StreamID min() { return {0, 0}; }
  static constexpr StreamID max() { return {UINT64_MAX, UINT64_MAX}; }
  bool is_zero() const { return ms == 0 && seq == 0; }
  auto operator<=>(const StreamID&) const = default;
  // Successor / predecessor; false (and wrap-around) at the ends of the range.
  bool incr();
  bool decr();
  std::string str() const;
};

// Parses "<ms>[-<seq>]" (missing seq = `missing_seq`). With `allow_special`, "-"
// and "+" are the minimal and maximal IDs. With `seq_given` non-null the
// "<ms>-*" form is accepted and *seq_given reports whether seq was explicit.
bool parse_stream_id(std::string_view s, StreamID* out, uint64_t missing_seq, bool allow_special,
                     bool* seq_given = nullptr);

// One live entry as the iterator hands it out: the ID and the packed
// field/value pairs (varint length + bytes each).
struct StreamEntry {
  StreamID id;
  size_t nfields = 0;
  const char* data = nullptr;  // first field
  // Calls fn(field, value) for each pair.
  template <typename F>
  void for_each_field(F&& fn) const {
    const char* p = data;
    for (size_t i = 0; i < nfields; ++i) {
      std::string_view f = read_str(&p);
      std::string_view v = read_str(&p);
      fn(f, v);
    }
  }
  static std::string_view read_str(const char** p);
};

struct StreamConsumer;

// A delivered, not yet acknowledged entry (Redis's NACK).
struct PendingEntry {
  int64_t delivery_time = 0;
  uint64_t delivery_count = 1;
  StreamConsumer* consumer = nullptr;
};

struct StreamConsumer {
  std::string name;
  int64_t seen_time = 0;
  std::set<StreamID> pel;  // IDs this consumer owns in the group PEL
};

struct ConsumerGroup {
  static constexpr int64_t kInvalidEntriesRead = -1;
  StreamID last_id;
  int64_t entries_read = kInvalidEntriesRead;
  std::map<StreamID, PendingEntry> pel;
  std::map<std::string, std::unique_ptr<StreamConsumer>, std::less<>> consumers;

  StreamConsumer* find_consumer(std::string_view name) const;
  StreamConsumer* create_consumer(std::string_view name, int64_t now_ms);
  // Drops the consumer and its pending entries; returns how many it had.
  size_t delete_consumer(StreamConsumer* c);
  // Removes one pending entry from the group and its owner.
  void erase_pending(std::map<StreamID, PendingEntry>::iterator it);
};

struct StreamTrimArgs {
  enum Strategy { kNone, kMaxLen, kMinId } strategy = kNone;
  bool approx = false;
  int64_t limit = 0;  // 0: unlimited
  int64_t maxlen = 0;
  StreamID minid;
};

// A stream: entries in nodes of up to stream-node-max-entries entries (or
// stream-node-max-bytes bytes) packed in one buffer each, keyed by the node's
// first ID in an ordered map (Redis keeps listpacks in a radix tree). Deleted
// entries are only flagged until their whole node is empty, as in Redis, so
// approximate trimming removes whole nodes exactly when Redis would.
class StreamObject final : public Object {
 public:
  StreamObject() = default;
  ~StreamObject() override = default;

  ValueType type() const override { return ValueType::kStream; }
  const char* encoding() const override { return "stream"; }
  // The lazy-free effort Redis computes: nodes plus groups times their PEL.
  size_t element_count() const override;
  Object* clone() const override;
  size_t memory_usage() const override;

  uint64_t length() const { return length_; }
  size_t node_count() const { return nodes_.size(); }
  StreamID last_id() const { return last_id_; }
  StreamID first_id() const { return first_id_; }
  StreamID max_deleted_id() const { return max_deleted_; }
  uint64_t entries_added() const { return entries_added_; }
  void set_last_id(StreamID id) { last_id_ = id; }
  void set_entries_added(uint64_t n) { entries_added_ = n; }
  void set_max_deleted_id(StreamID id) { max_deleted_ = id; }

  struct NodeLimits {
    int64_t max_bytes = 4096;
    int64_t max_entries = 100;
  };
  // Appends an entry with `id` (must be > last_id) and `fields` (name, value, ...).
  void append(StreamID id, std::span<const std::string_view> fields, const NodeLimits& limits);
  // Flags an entry deleted; false when absent. Keeps first_id and
  // max_deleted_entry_id as XDEL needs them.
  bool erase(StreamID id);
  bool contains(StreamID id) const;
  // Trims from the head as XTRIM/XADD do; returns the number of removed entries.
  int64_t trim(const StreamTrimArgs& args);
  // Last live ID (0-0 when empty).
  StreamID last_valid_id() const;
  // First ID in the first node, tombstones included (XADD's propagated MINID).
  StreamID first_edge_id() const;

  // Calls fn(const StreamEntry&) for each live entry with start <= id <= end,
  // ascending (or descending with `rev`), until fn returns false.
  template <typename F>
  void range(StreamID start, StreamID end, bool rev, F&& fn) const {
    if (start > end || nodes_.empty()) return;
    if (!rev) {
      auto it = nodes_.upper_bound(start);
      if (it != nodes_.begin()) --it;
      for (; it != nodes_.end() && it->first <= end; ++it) {
        bool stop = false;
        walk_node(it->first, it->second, [&](const StreamEntry& e, bool deleted) {
          if (e.id > end) {
            stop = true;
            return false;
          }
          if (deleted || e.id < start) return true;
          if (!fn(e)) stop = true;
          return !stop;
        });
        if (stop) return;
      }
    } else {
      auto it = nodes_.upper_bound(end);
      while (it != nodes_.begin()) {
        --it;
        std::vector<StreamEntry> entries;
        walk_node(it->first, it->second, [&](const StreamEntry& e, bool deleted) {
          if (e.id > end) return false;
          if (!deleted) entries.push_back(e);
          return true;
        });
        for (auto e = entries.rbegin(); e != entries.rend(); ++e) {
          if (e->id < start) return;
          if (!fn(*e)) return;
        }
      }
    }
  }

  // Consumer groups by name (XINFO lists them in name order, as Redis's rax).
  using Groups = std::map<std::string, std::unique_ptr<ConsumerGroup>, std::less<>>;
  const Groups& groups() const { return groups_; }
  ConsumerGroup* find_group(std::string_view name) const;
  // nullptr when the name exists.
  ConsumerGroup* create_group(std::string_view name, StreamID last_id, int64_t entries_read);
  bool destroy_group(std::string_view name);

  // Consumer group lag helpers (Redis 7 semantics).
  bool range_has_tombstones(StreamID start, std::optional<StreamID> end) const;
  // The logical read counter of `id`, or kInvalidEntriesRead when unknowable.
  int64_t estimate_distance(StreamID id) const;
  // Lag of a group, or nullopt when it cannot be computed.
  std::optional<int64_t> group_lag(const ConsumerGroup& g) const;

 private:
  struct Node {
    std::string buf;
    uint32_t live = 0;
    uint32_t deleted = 0;
  };
  // Walks every entry of a node (deleted included): fn(entry, deleted) -> continue?
  template <typename F>
  static void walk_node(StreamID master, const Node& n, F&& fn) {
    const char* p = n.buf.data();
    const char* end = p + n.buf.size();
    while (p < end) {
      bool deleted = *p++ != 0;
      StreamEntry e;
      e.id.ms = master.ms + read_varint(&p);
      e.id.seq = read_varint(&p);
      e.nfields = read_varint(&p);
      uint64_t skip = read_varint(&p);
      e.data = p;
      p += skip;
      if (!fn(e, deleted)) return;
    }
  }
  static uint64_t read_varint(const char** p);
  // The node holding `id` (if any) and the offset of its flag byte.
  bool locate(StreamID id, std::map<StreamID, Node>::iterator* node, size_t* off);
  void refresh_first_id();

  std::map<StreamID, Node> nodes_;
  uint64_t length_ = 0;
  StreamID last_id_;
  StreamID first_id_;
  StreamID max_deleted_;
  uint64_t entries_added_ = 0;
  Groups groups_;
};

}  // namespace kvd::engine
