#include "stream_codec.hpp"

#include <memory>
#include <string>
#include <vector>

#include "kvd/persist/byte_order.hpp"
#include "kvd/persist/listpack.hpp"

namespace kvd::persist {

using engine::ConsumerGroup;
using engine::PendingEntry;
using engine::StreamConsumer;
using engine::StreamEntry;
using engine::StreamID;
using engine::StreamObject;

namespace {

// Entry flags inside a node.
constexpr int64_t kFlagDeleted = 1;
constexpr int64_t kFlagSameFields = 2;
// Nodes written by DUMP: at most this many entries, and a new node once one
// passes the byte budget (Redis's stream-node-max-* defaults).
constexpr size_t kNodeEntries = 100;
constexpr size_t kNodeBytes = 4096;

// Stream IDs as radix-tree keys and in PELs: ms then seq, big-endian, so
// byte order is ID order.
std::string id_key(StreamID id) {
  std::string k;
  put_be(&k, id.ms, 8);
  put_be(&k, id.seq, 8);
  return k;
}

StreamID id_from_key(std::string_view k) {
  return {get_be(k.data(), 8), get_be(k.data() + 8, 8)};
}

std::vector<std::string_view> field_names(const StreamEntry& e) {
  std::vector<std::string_view> names;
  e.for_each_field([&](std::string_view f, std::string_view) { names.push_back(f); });
  return names;
}

std::string encode_node(const std::vector<StreamEntry>& entries, size_t from, size_t to) {
  StreamID master = entries[from].id;
  std::vector<std::string_view> master_fields = field_names(entries[from]);
  ListpackWriter lp;
  lp.add_int(static_cast<int64_t>(to - from));  // live entries
  lp.add_int(0);                                // deleted entries
  lp.add_int(static_cast<int64_t>(master_fields.size()));
  for (std::string_view f : master_fields) lp.add(f);
  lp.add_int(0);  // end of the master entry
  for (size_t i = from; i < to; ++i) {
    const StreamEntry& e = entries[i];
    bool same = field_names(e) == master_fields;
    auto n = static_cast<int64_t>(e.nfields);
    lp.add_int(same ? kFlagSameFields : 0);
    lp.add_int(static_cast<int64_t>(e.id.ms - master.ms));
    lp.add_int(static_cast<int64_t>(e.id.seq - master.seq));
    if (!same) lp.add_int(n);
    e.for_each_field([&](std::string_view f, std::string_view v) {
      if (!same) lp.add(f);
      lp.add(v);
    });
    lp.add_int(same ? n + 3 : 2 * n + 4);  // elements of this entry, for backward walks
  }
  return lp.finish();
}

void encode_group(const std::string& name, const ConsumerGroup& g, rdb::Writer& w) {
  w.string(name);
  w.length(g.last_id.ms);
  w.length(g.last_id.seq);
  w.length(static_cast<uint64_t>(g.entries_read));  // -1 (unknown) as Redis writes it
  w.length(g.pel.size());
  for (const auto& [id, p] : g.pel) {
    w.raw(id_key(id));
    w.u64_le(static_cast<uint64_t>(p.delivery_time));
    w.length(p.delivery_count);
  }
  w.length(g.consumers.size());
  for (const auto& [cname, c] : g.consumers) {
    w.string(cname);
    w.u64_le(static_cast<uint64_t>(c->seen_time));
    w.length(c->pel.size());
    for (const StreamID& id : c->pel) w.raw(id_key(id));
  }
}

// ------------------------------------------------------------------ decode

// Reads listpack elements of one node in order, as integers or strings.
class NodeReader {
 public:
  bool open(std::string_view lp) { return c_.open(lp); }
  bool integer(int64_t* v) {
    PackedElem e;
    if (!c_.next(&e) || !e.is_int) return false;
    *v = e.i;
    return true;
  }
  bool count(int64_t* v) { return integer(v) && *v >= 0; }
  bool string(std::string* s) {
    PackedElem e;
    if (!c_.next(&e)) return false;
    s->assign(e.str(scratch_));
    return true;
  }
  bool at_end() {
    PackedElem e;
    return !c_.next(&e) && c_.done();
  }

 private:
  ListpackCursor c_;
  char scratch_[24];
};

// Appends one node's live entries; *last is the previous entry's ID (deleted
// ones included), which every entry must exceed.
bool decode_node(StreamID master, std::string_view blob, const DecodeLimits& lim, StreamObject* s,
                 StreamID* last, bool* any, uint64_t* live_total) {
  NodeReader n;
  int64_t live, deleted, nmaster;
  if (!n.open(blob) || !n.count(&live) || !n.count(&deleted) || !n.count(&nmaster)) return false;
  // Every count is bounded by the blob's size before anything is sized by it.
  auto limit = static_cast<int64_t>(blob.size());
  if (live + deleted == 0) return false;  // Redis never writes an empty node
  if (live > limit || deleted > limit || nmaster > limit) return false;
  std::vector<std::string> master_fields(static_cast<size_t>(nmaster));
  for (std::string& f : master_fields) {
    if (!n.string(&f)) return false;
  }
  int64_t zero;
  if (!n.integer(&zero) || zero != 0) return false;
  std::vector<std::string> fields;
  std::vector<std::string_view> views;
  const int64_t total = live + deleted;
  for (int64_t i = 0; i < total; ++i) {
    int64_t flags, dms, dseq, nf, lpcount;
    if (!n.integer(&flags) || !n.integer(&dms) || !n.integer(&dseq)) return false;
    bool same = flags & kFlagSameFields;
    if (same) {
      nf = nmaster;
    } else if (!n.count(&nf) || nf > limit) {
      return false;
    }
    fields.assign(static_cast<size_t>(nf) * 2, std::string());
    for (int64_t f = 0; f < nf; ++f) {
      if (same) {
        fields[2 * f] = master_fields[f];
      } else if (!n.string(&fields[2 * f])) {
        return false;
      }
      if (!n.string(&fields[2 * f + 1])) return false;
    }
    if (!n.integer(&lpcount) || lpcount != (same ? nf + 3 : 2 * nf + 4)) return false;
    StreamID id{master.ms + static_cast<uint64_t>(dms), master.seq + static_cast<uint64_t>(dseq)};
    if (*any && id <= *last) return false;
    *last = id;
    *any = true;
    if (flags & kFlagDeleted) {
      --deleted;
      continue;
    }
    --live;
    views.assign(fields.begin(), fields.end());
    s->append(id, views, lim.stream);
    ++*live_total;
  }
  return live == 0 && deleted == 0 && n.at_end();
}

bool decode_id(rdb::Reader& r, StreamID* id) {
  return r.length(&id->ms) && r.length(&id->seq);
}

bool decode_group(uint8_t type, rdb::Reader& r, StreamObject* s) {
  std::string name;
  StreamID last;
  if (!r.string(&name) || !decode_id(r, &last)) return false;
  int64_t entries_read;
  if (type == rdb::kStreamListpacks2) {
    uint64_t v;
    if (!r.length(&v)) return false;
    entries_read = static_cast<int64_t>(v);
  } else {
    entries_read = s->estimate_distance(last);
  }
  ConsumerGroup* g = s->create_group(name, last, entries_read);
  if (!g) return false;  // two groups with one name
  uint64_t npel;
  if (!r.length(&npel)) return false;
  for (uint64_t i = 0; i < npel; ++i) {
    std::string_view raw;
    uint64_t time, count;
    if (!r.raw(16, &raw) || !r.u64_le(&time) || !r.length(&count)) return false;
    PendingEntry p;
    p.delivery_time = static_cast<int64_t>(time);
    p.delivery_count = count;
    if (!g->pel.emplace(id_from_key(raw), p).second) return false;
  }
  uint64_t nconsumers;
  if (!r.length(&nconsumers)) return false;
  for (uint64_t i = 0; i < nconsumers; ++i) {
    std::string cname;
    uint64_t seen, nown;
    if (!r.string(&cname) || !r.u64_le(&seen) || !r.length(&nown)) return false;
    StreamConsumer* c = g->create_consumer(cname, static_cast<int64_t>(seen));
    if (!c) return false;
    for (uint64_t k = 0; k < nown; ++k) {
      std::string_view raw;
      if (!r.raw(16, &raw)) return false;
      StreamID id = id_from_key(raw);
      auto it = g->pel.find(id);
      // Each pending entry belongs to exactly one consumer.
      if (it == g->pel.end() || it->second.consumer != nullptr) return false;
      it->second.consumer = c;
      c->pel.insert(id);
    }
  }
  for (const auto& [id, p] : g->pel) {
    if (p.consumer == nullptr) return false;  // an entry pending on nobody
  }
  return true;
}

}  // namespace

void encode_stream(const StreamObject& s, rdb::Writer& w) {
  std::vector<StreamEntry> entries;
  entries.reserve(s.length());
  s.range(StreamID::min(), StreamID::max(), false, [&](const StreamEntry& e) {
    entries.push_back(e);
    return true;
  });
  std::vector<std::pair<StreamID, std::string>> nodes;
  for (size_t from = 0; from < entries.size();) {
    size_t to = from, bytes = 0;
    while (to < entries.size() && to - from < kNodeEntries && bytes < kNodeBytes) {
      entries[to].for_each_field(
          [&](std::string_view f, std::string_view v) { bytes += f.size() + v.size() + 4; });
      ++to;
    }
    nodes.emplace_back(entries[from].id, encode_node(entries, from, to));
    from = to;
  }
  w.byte(rdb::kStreamListpacks2);
  w.length(nodes.size());
  for (const auto& [master, lp] : nodes) {
    w.string(id_key(master));
    w.string(lp);
  }
  w.length(s.length());
  w.length(s.last_id().ms);
  w.length(s.last_id().seq);
  StreamID first = entries.empty() ? StreamID{} : entries.front().id;
  w.length(first.ms);
  w.length(first.seq);
  w.length(s.max_deleted_id().ms);
  w.length(s.max_deleted_id().seq);
  w.length(s.entries_added());
  w.length(s.groups().size());
  for (const auto& [name, g] : s.groups()) encode_group(name, *g, w);
}

bool decode_stream(uint8_t type, rdb::Reader& r, const DecodeLimits& limits, engine::Value* out) {
  auto s = std::make_unique<StreamObject>();
  uint64_t nodes;
  if (!r.length(&nodes)) return false;
  StreamID last_entry, last_master;
  bool any = false;
  uint64_t live = 0;
  for (uint64_t i = 0; i < nodes; ++i) {
    std::string key, blob;
    if (!r.string(&key) || key.size() != 16 || !r.string(&blob)) return false;
    StreamID master = id_from_key(key);
    if (i > 0 && master <= last_master) return false;
    last_master = master;
    if (!decode_node(master, blob, limits, s.get(), &last_entry, &any, &live)) return false;
  }
  uint64_t length;
  StreamID last_id, first_id, max_deleted;
  uint64_t entries_added = 0;
  if (!r.length(&length) || !decode_id(r, &last_id)) return false;
  if (type == rdb::kStreamListpacks2 &&
      (!decode_id(r, &first_id) || !decode_id(r, &max_deleted) || !r.length(&entries_added))) {
    return false;
  }
  // The counters must agree with the entries, or later XADDs could reuse IDs.
  if (length != live || (any && last_id < last_entry)) return false;
  s->set_last_id(last_id);
  if (type == rdb::kStreamListpacks2) {
    s->set_max_deleted_id(max_deleted);
    s->set_entries_added(entries_added);
  } else {
    s->set_entries_added(length);
  }
  uint64_t ngroups;
  if (!r.length(&ngroups)) return false;
  for (uint64_t i = 0; i < ngroups; ++i) {
    if (!decode_group(type, r, s.get())) return false;
  }
  *out = engine::Value::from_object(s.release());
  return true;
}

}  // namespace kvd::persist
