// The stream type: packed entry nodes in an ordered map, plus consumer groups.
#include "kvd/engine/types/stream.hpp"

#include <charconv>

namespace kvd::engine {

namespace {

void put_varint(std::string& out, uint64_t v) {
  while (v >= 0x80) {
    out.push_back(static_cast<char>((v & 0x7f) | 0x80));
    v >>= 7;
  }
  out.push_back(static_cast<char>(v));
}

// Redis's string2ull: digits only, no sign, no leading zeros issue, fits 64 bits.
bool parse_u64(std::string_view s, uint64_t* out) {
  if (s.empty() || s.size() > 20) return false;
  for (char c : s)
    if (c < '0' || c > '9') return false;
  auto r = std::from_chars(s.data(), s.data() + s.size(), *out);
  return r.ec == std::errc() && r.ptr == s.data() + s.size();
}

}  // namespace

// ---------------------------------------------------------------- StreamID

bool StreamID::incr() {
  if (seq == UINT64_MAX) {
    if (ms == UINT64_MAX) {
      ms = seq = 0;
      return false;
    }
    ++ms;
    seq = 0;
  } else {
    ++seq;
  }
  return true;
}

bool StreamID::decr() {
  if (seq == 0) {
    if (ms == 0) {
      ms = seq = UINT64_MAX;
      return false;
    }
    --ms;
    seq = UINT64_MAX;
  } else {
    --seq;
  }
  return true;
}

std::string StreamID::str() const {
  char buf[48];
  auto r = std::to_chars(buf, buf + 24, ms);
  *r.ptr++ = '-';
  r = std::to_chars(r.ptr, buf + sizeof buf, seq);
  return std::string(buf, r.ptr);
}

bool parse_stream_id(std::string_view s, StreamID* out, uint64_t missing_seq, bool allow_special,
                     bool* seq_given) {
  if (s.size() > 127) return false;
  if (seq_given) *seq_given = true;
  if (s == "-" || s == "+") {
    if (!allow_special) return false;
    *out = s == "-" ? StreamID::min() : StreamID::max();
    return true;
  }
  size_t dash = s.find('-');
  uint64_t ms, seq = missing_seq;
  if (!parse_u64(s.substr(0, dash), &ms)) return false;
  if (dash != std::string_view::npos) {
    std::string_view tail = s.substr(dash + 1);
    if (seq_given && tail == "*") {
      seq = 0;
      *seq_given = false;
    } else if (!parse_u64(tail, &seq)) {
      return false;
    }
  }
  out->ms = ms;
  out->seq = seq;
  return true;
}

std::string_view StreamEntry::read_str(const char** p) {
  uint64_t len = 0;
  int shift = 0;
  while (true) {
    auto b = static_cast<uint8_t>(*(*p)++);
    len |= static_cast<uint64_t>(b & 0x7f) << shift;
    if (!(b & 0x80)) break;
    shift += 7;
  }
  std::string_view s(*p, len);
  *p += len;
  return s;
}

// ----------------------------------------------------------- ConsumerGroup

StreamConsumer* ConsumerGroup::find_consumer(std::string_view name) const {
  auto it = consumers.find(name);
  return it == consumers.end() ? nullptr : it->second.get();
}

StreamConsumer* ConsumerGroup::create_consumer(std::string_view name, int64_t now_ms) {
  if (consumers.find(name) != consumers.end()) return nullptr;
  auto c = std::make_unique<StreamConsumer>();
  c->name = std::string(name);
  c->seen_time = now_ms;
  StreamConsumer* raw = c.get();
  consumers.emplace(std::string(name), std::move(c));
  return raw;
}

size_t ConsumerGroup::delete_consumer(StreamConsumer* c) {
  size_t n = c->pel.size();
  for (const StreamID& id : c->pel) pel.erase(id);
  consumers.erase(c->name);
  return n;
}

void ConsumerGroup::erase_pending(std::map<StreamID, PendingEntry>::iterator it) {
  if (it->second.consumer) it->second.consumer->pel.erase(it->first);
  pel.erase(it);
}

// ------------------------------------------------------------ StreamObject

uint64_t StreamObject::read_varint(const char** p) {
  uint64_t v = 0;
  int shift = 0;
  while (true) {
    auto b = static_cast<uint8_t>(*(*p)++);
    v |= static_cast<uint64_t>(b & 0x7f) << shift;
    if (!(b & 0x80)) return v;
    shift += 7;
  }
}

size_t StreamObject::element_count() const {
  size_t effort = nodes_.size();
  // Like Redis, the first group's PEL stands in for every group's.
  if (!groups_.empty()) effort += groups_.size() * (1 + groups_.begin()->second->pel.size());
  return effort;
}

Object* StreamObject::clone() const {
  auto* s = new StreamObject();
  s->nodes_ = nodes_;
  s->length_ = length_;
  s->last_id_ = last_id_;
  s->first_id_ = first_id_;
  s->max_deleted_ = max_deleted_;
  s->entries_added_ = entries_added_;
  for (const auto& [name, g] : groups_) {
    auto ng = std::make_unique<ConsumerGroup>();
    ng->last_id = g->last_id;
    ng->entries_read = g->entries_read;
    for (const auto& [cname, c] : g->consumers) {
      auto nc = std::make_unique<StreamConsumer>(*c);
      ng->consumers.emplace(cname, std::move(nc));
    }
    for (const auto& [id, pe] : g->pel) {
      PendingEntry np = pe;
      np.consumer = pe.consumer ? ng->find_consumer(pe.consumer->name) : nullptr;
      ng->pel.emplace(id, np);
    }
    s->groups_.emplace(name, std::move(ng));
  }
  return s;
}

size_t StreamObject::memory_usage() const {
  size_t bytes = sizeof(*this);
  for (const auto& [id, n] : nodes_) bytes += 64 + n.buf.capacity();
  for (const auto& [name, g] : groups_) {
    bytes += 96 + name.size() + g->pel.size() * 64;
    for (const auto& [cname, c] : g->consumers) bytes += 96 + cname.size() + c->pel.size() * 48;
  }
  return bytes;
}

void StreamObject::append(StreamID id, std::span<const std::string_view> fields,
                          const NodeLimits& limits) {
  size_t payload = 0;
  for (std::string_view f : fields) payload += f.size();
  Node* tail = nodes_.empty() ? nullptr : &nodes_.rbegin()->second;
  StreamID master = nodes_.empty() ? id : nodes_.rbegin()->first;
  if (tail) {
    uint64_t max_bytes = limits.max_bytes > 0 ? static_cast<uint64_t>(limits.max_bytes) : 1u << 30;
    bool full = tail->buf.size() + payload >= max_bytes;
    if (!full && limits.max_entries > 0)
      full = tail->live + tail->deleted >= static_cast<uint64_t>(limits.max_entries);
    if (full) {
      tail->buf.shrink_to_fit();
      tail = nullptr;
    }
  }
  if (!tail) {
    master = id;
    tail = &nodes_[id];
  }
  std::string body;
  for (std::string_view f : fields) {
    put_varint(body, f.size());
    body.append(f);
  }
  std::string& b = tail->buf;
  b.push_back(0);
  put_varint(b, id.ms - master.ms);
  put_varint(b, id.seq);
  put_varint(b, fields.size() / 2);
  put_varint(b, body.size());
  b.append(body);
  ++tail->live;
  ++length_;
  ++entries_added_;
  last_id_ = id;
  if (length_ == 1) first_id_ = id;
}

bool StreamObject::locate(StreamID id, std::map<StreamID, Node>::iterator* node, size_t* off) {
  auto it = nodes_.upper_bound(id);
  if (it == nodes_.begin()) return false;
  --it;
  bool found = false;
  const char* base = it->second.buf.data();
  const char* p = base;
  const char* end = p + it->second.buf.size();
  while (p < end) {
    const char* flag = p++;
    StreamID cur;
    cur.ms = it->first.ms + read_varint(&p);
    cur.seq = read_varint(&p);
    read_varint(&p);
    uint64_t skip = read_varint(&p);
    p += skip;
    if (cur > id) break;
    if (cur == id) {
      if (*flag) break;
      found = true;
      *off = static_cast<size_t>(flag - base);
      break;
    }
  }
  if (found) *node = it;
  return found;
}

bool StreamObject::contains(StreamID id) const {
  bool found = false;
  range(id, id, false, [&](const StreamEntry&) {
    found = true;
    return false;
  });
  return found;
}

bool StreamObject::erase(StreamID id) {
  std::map<StreamID, Node>::iterator it;
  size_t off;
  if (!locate(id, &it, &off)) return false;
  Node& n = it->second;
  if (n.live == 1) {
    nodes_.erase(it);
  } else {
    n.buf[off] = 1;
    --n.live;
    ++n.deleted;
  }
  --length_;
  if (id > max_deleted_) max_deleted_ = id;
  if (length_ == 0)
    first_id_ = StreamID::min();
  else if (id == first_id_)
    refresh_first_id();
  return true;
}

void StreamObject::refresh_first_id() {
  first_id_ = StreamID::max();
  range(StreamID::min(), StreamID::max(), false, [&](const StreamEntry& e) {
    first_id_ = e.id;
    return false;
  });
}

StreamID StreamObject::last_valid_id() const {
  StreamID id;
  range(StreamID::min(), StreamID::max(), true, [&](const StreamEntry& e) {
    id = e.id;
    return false;
  });
  return id;
}

StreamID StreamObject::first_edge_id() const {
  if (nodes_.empty()) return StreamID::max();
  StreamID first;
  walk_node(nodes_.begin()->first, nodes_.begin()->second, [&](const StreamEntry& e, bool) {
    first = e.id;
    return false;
  });
  return first;
}

int64_t StreamObject::trim(const StreamTrimArgs& args) {
  if (args.strategy == StreamTrimArgs::kNone) return 0;
  int64_t removed = 0;
  auto it = nodes_.begin();
  while (it != nodes_.end()) {
    if (args.strategy == StreamTrimArgs::kMaxLen && length_ <= static_cast<uint64_t>(args.maxlen))
      break;
    Node& n = it->second;
    int64_t entries = n.live;
    if (args.limit && removed + entries > args.limit) break;
    bool whole;
    if (args.strategy == StreamTrimArgs::kMaxLen) {
      whole = length_ - static_cast<uint64_t>(entries) >= static_cast<uint64_t>(args.maxlen);
    } else {
      StreamID last;
      walk_node(it->first, n, [&](const StreamEntry& e, bool) {
        last = e.id;
        return true;
      });
      whole = last < args.minid;
    }
    if (whole) {
      length_ -= static_cast<uint64_t>(entries);
      removed += entries;
      it = nodes_.erase(it);
      continue;
    }
    if (args.approx) break;
    // Flag entries inside this node until the target is met.
    char* base = n.buf.data();
    const char* p = base;
    const char* end = p + n.buf.size();
    while (p < end) {
      char* flag = base + (p - base);
      ++p;
      StreamID cur;
      cur.ms = it->first.ms + read_varint(&p);
      cur.seq = read_varint(&p);
      read_varint(&p);
      p += read_varint(&p);
      bool stop = args.strategy == StreamTrimArgs::kMaxLen
                      ? length_ <= static_cast<uint64_t>(args.maxlen)
                      : cur >= args.minid;
      if (stop) break;
      if (!*flag) {
        *flag = 1;
        --n.live;
        ++n.deleted;
        --length_;
        ++removed;
      }
    }
    if (n.live == 0) nodes_.erase(it);
    break;
  }
  if (length_ == 0)
    first_id_ = StreamID::min();
  else if (removed)
    refresh_first_id();
  return removed;
}

ConsumerGroup* StreamObject::find_group(std::string_view name) const {
  auto it = groups_.find(name);
  return it == groups_.end() ? nullptr : it->second.get();
}

ConsumerGroup* StreamObject::create_group(std::string_view name, StreamID last_id,
                                          int64_t entries_read) {
  if (groups_.find(name) != groups_.end()) return nullptr;
  auto g = std::make_unique<ConsumerGroup>();
  g->last_id = last_id;
  g->entries_read = entries_read;
  ConsumerGroup* raw = g.get();
  groups_.emplace(std::string(name), std::move(g));
  return raw;
}

bool StreamObject::destroy_group(std::string_view name) {
  auto it = groups_.find(name);
  if (it == groups_.end()) return false;
  groups_.erase(it);
  return true;
}

bool StreamObject::range_has_tombstones(StreamID start, std::optional<StreamID> end) const {
  if (length_ == 0 || max_deleted_.is_zero()) return false;
  if (first_id_ > max_deleted_) return false;
  StreamID e = end ? *end : StreamID::max();
  return start <= max_deleted_ && max_deleted_ <= e;
}

int64_t StreamObject::estimate_distance(StreamID id) const {
  if (!entries_added_) return 0;
  if (!length_ && id <= last_id_) return static_cast<int64_t>(entries_added_);
  if (id == last_id_) return static_cast<int64_t>(entries_added_);
  if (id > last_id_) return ConsumerGroup::kInvalidEntriesRead;
  if (max_deleted_.is_zero() || max_deleted_ < first_id_) {
    if (id < first_id_) return static_cast<int64_t>(entries_added_ - length_);
    if (id == first_id_) return static_cast<int64_t>(entries_added_ - length_ + 1);
  }
  return ConsumerGroup::kInvalidEntriesRead;
}

std::optional<int64_t> StreamObject::group_lag(const ConsumerGroup& g) const {
  if (!entries_added_) return 0;
  if (g.entries_read != ConsumerGroup::kInvalidEntriesRead &&
      !range_has_tombstones(g.last_id, std::nullopt))
    return static_cast<int64_t>(entries_added_) - g.entries_read;
  int64_t read = estimate_distance(g.last_id);
  if (read != ConsumerGroup::kInvalidEntriesRead)
    return static_cast<int64_t>(entries_added_) - read;
  return std::nullopt;
}

}  // namespace kvd::engine
