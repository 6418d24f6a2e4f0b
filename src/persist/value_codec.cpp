#include "kvd/persist/value_codec.hpp"

#include <cmath>
#include <memory>
#include <vector>

#include "kvd/common/strings.hpp"
#include "kvd/engine/type_limits.hpp"
#include "kvd/engine/types/list.hpp"
#include "kvd/persist/byte_order.hpp"
#include "kvd/persist/listpack.hpp"
#include "kvd/persist/ziplist.hpp"
#include "stream_codec.hpp"

namespace kvd::persist {

DecodeLimits decode_limits(const engine::ConfigValues& v) {
  return {v.list_max_listpack_size, engine::hash_limits(v), engine::set_limits(v),
          engine::zset_limits(v), engine::stream_node_limits(v)};
}

using engine::HashObject;
using engine::List;
using engine::SetObject;
using engine::Value;
using engine::ValueType;
using engine::ZSet;

namespace {

// Doubles in (-2^52, 2^52) with no fraction are written as integers, as
// Redis's d2string does when it stores a score in a listpack.
constexpr double kExactIntLimit = 4503599627370496.0;

// ------------------------------------------------------------------ encode

void encode_string(const Value& v, rdb::Writer& w) {
  char scratch[24];
  w.byte(rdb::kString);
  w.string(v.str(scratch));
}

// One listpack per node, as Redis writes its quicklist, so a list keeps its
// node layout (list-max-listpack-size) across DUMP and RESTORE.
void encode_list(const List& l, rdb::Writer& w) {
  w.byte(rdb::kListQuicklist2);
  w.length(l.node_count());
  l.for_each_node([&](const engine::ListNode& node) {
    ListpackWriter lp;
    for (size_t off = 0, next; off < node.bytes(); off = next) lp.add(node.at(off, &next));
    w.length(rdb::kContainerPacked);
    w.string(lp.finish());
  });
}

void encode_set(const SetObject& s, rdb::Writer& w) {
  if (s.is_table()) {
    w.byte(rdb::kSet);
    w.length(s.size());
    s.for_each([&](std::string_view m) { w.string(m); });
    return;
  }
  // The intset blob: Redis's narrowest width is 2 bytes.
  std::vector<int64_t> ints;
  ints.reserve(s.size());
  s.for_each_int([&](int64_t v) { ints.push_back(v); });
  uint32_t width = 2;
  for (int64_t v : ints) {
    if (v < INT32_MIN || v > INT32_MAX) {
      width = 8;
    } else if ((v < INT16_MIN || v > INT16_MAX) && width < 4) {
      width = 4;
    }
  }
  std::string blob;
  put_le(&blob, width, 4);
  put_le(&blob, ints.size(), 4);
  for (int64_t v : ints) put_le(&blob, static_cast<uint64_t>(v), static_cast<int>(width));
  w.byte(rdb::kSetIntset);
  w.string(blob);
}

void add_score(ListpackWriter& lp, double score) {
  if (score == 0 && std::signbit(score)) {
    lp.add("-0");
  } else if (score > -kExactIntLimit && score < kExactIntLimit && score == std::trunc(score)) {
    lp.add_int(static_cast<int64_t>(score));
  } else {
    lp.add(format_double(score));
  }
}

void encode_zset(const ZSet& z, rdb::Writer& w) {
  if (z.is_packed()) {
    ListpackWriter lp;
    z.for_range(0, z.size(), false, [&](std::string_view m, double score) {
      lp.add(m);
      add_score(lp, score);
    });
    w.byte(rdb::kZSetListpack);
    w.string(lp.finish());
    return;
  }
  w.byte(rdb::kZSet2);
  w.length(z.size());
  z.for_range(0, z.size(), false, [&](std::string_view m, double score) {
    w.string(m);
    w.binary_double(score);
  });
}

void encode_hash(const HashObject& h, rdb::Writer& w) {
  if (!h.is_table()) {
    ListpackWriter lp;
    h.for_each([&](std::string_view f, std::string_view v) {
      lp.add(f);
      lp.add(v);
    });
    w.byte(rdb::kHashListpack);
    w.string(lp.finish());
    return;
  }
  w.byte(rdb::kHash);
  w.length(h.size());
  h.for_each([&](std::string_view f, std::string_view v) {
    w.string(f);
    w.string(v);
  });
}

// ------------------------------------------------------------------ decode

// Calls fn(elem) for each element of a listpack (or ziplist when
// `ziplist`); false if the blob is malformed or fn refuses an element.
template <typename F>
bool for_each_packed(std::string_view blob, bool ziplist, F&& fn) {
  PackedElem e;
  if (ziplist) {
    ZiplistCursor c;
    if (!c.open(blob)) return false;
    while (c.next(&e)) {
      if (!fn(e)) return false;
    }
    return c.done();
  }
  ListpackCursor c;
  if (!c.open(blob)) return false;
  while (c.next(&e)) {
    if (!fn(e)) return false;
  }
  return c.done();
}

// Calls fn(first, second) for each pair of elements of a listpack or ziplist
// (hash field and value, sorted-set member and score); false if the blob is
// malformed, holds an odd number of elements, or fn refuses a pair. The
// first element of a pair is copied: the second may be formatted into the
// same scratch space.
template <typename F>
bool for_each_packed_pair(std::string_view blob, bool ziplist, F&& fn) {
  std::string first;
  bool have_first = false;
  char scratch[24];
  bool ok = for_each_packed(blob, ziplist, [&](const PackedElem& e) {
    if (!have_first) {
      first.assign(e.str(scratch));
      have_first = true;
      return true;
    }
    have_first = false;
    return fn(std::string_view(first), e);
  });
  return ok && !have_first;
}

bool decode_list(uint8_t type, rdb::Reader& r, const DecodeLimits& lim, Value* out) {
  auto list = std::make_unique<List>(lim.list_fill);
  char scratch[24];
  auto push = [&](const PackedElem& e) {
    list->push_back(e.str(scratch));
    return true;
  };
  std::string s;
  if (type == rdb::kListZiplist) {
    if (!r.string(&s) || !for_each_packed(s, true, push)) return false;
  } else {
    uint64_t n;
    if (!r.length(&n)) return false;
    for (uint64_t i = 0; i < n; ++i) {
      uint64_t container = rdb::kContainerPacked;
      if (type == rdb::kListQuicklist2 && !r.length(&container)) return false;
      if (!r.string(&s)) return false;
      if (type == rdb::kList || container == rdb::kContainerPlain) {
        list->push_back(s);
      } else if (container != rdb::kContainerPacked ||
                 !for_each_packed(s, type == rdb::kListQuicklist, push)) {
        return false;
      }
    }
  }
  if (list->empty()) return false;
  *out = Value::from_object(list.release());
  return true;
}

bool decode_set(uint8_t type, rdb::Reader& r, const DecodeLimits& lim, Value* out) {
  std::unique_ptr<SetObject> set(SetObject::create());
  if (type == rdb::kSetIntset) {
    std::string blob;
    std::vector<int64_t> ints;
    if (!r.string(&blob) || !parse_intset(blob, &ints)) return false;
    char buf[24];
    for (int64_t v : ints) set->add(std::string_view(buf, format_int64(v, buf)), lim.set);
  } else {
    uint64_t n;
    if (!r.length(&n)) return false;
    std::string m;
    for (uint64_t i = 0; i < n; ++i) {
      if (!r.string(&m) || !set->add(m, lim.set)) return false;  // duplicates are corrupt
    }
  }
  if (set->size() == 0) return false;
  *out = Value::from_object(set.release());
  return true;
}

bool decode_zset(uint8_t type, rdb::Reader& r, const DecodeLimits& lim, Value* out) {
  auto z = std::make_unique<ZSet>();
  auto add = [&](std::string_view member, double score) {
    bool added = false;
    if (std::isnan(score)) return false;
    z->set(member, score, lim.zset, &added);
    return added;  // a repeated member is corruption
  };
  if (type == rdb::kZSet || type == rdb::kZSet2) {
    uint64_t n;
    if (!r.length(&n)) return false;
    std::string m;
    for (uint64_t i = 0; i < n; ++i) {
      double score;
      bool ok =
          r.string(&m) && (type == rdb::kZSet2 ? r.binary_double(&score) : r.ascii_double(&score));
      if (!ok || !add(m, score)) return false;
    }
  } else {
    std::string blob;
    auto pair = [&](std::string_view member, const PackedElem& e) {
      double score;
      if (e.is_int) {
        score = static_cast<double>(e.i);
      } else if (!parse_double(e.s, &score)) {
        return false;
      }
      return add(member, score);
    };
    if (!r.string(&blob) || !for_each_packed_pair(blob, type == rdb::kZSetZiplist, pair)) {
      return false;
    }
  }
  if (z->size() == 0) return false;
  *out = Value::from_object(z.release());
  return true;
}

bool decode_hash(uint8_t type, rdb::Reader& r, const DecodeLimits& lim, Value* out) {
  auto h = std::make_unique<HashObject>();
  if (type == rdb::kHashZipmap) {
    std::string blob;
    std::vector<std::string_view> pairs;
    if (!r.string(&blob) || !parse_zipmap(blob, &pairs)) return false;
    for (size_t i = 0; i < pairs.size(); i += 2) {
      if (!h->set(pairs[i], pairs[i + 1], lim.hash)) return false;  // a repeated field
    }
  } else if (type == rdb::kHash) {
    uint64_t n;
    if (!r.length(&n)) return false;
    std::string f, v;
    for (uint64_t i = 0; i < n; ++i) {
      if (!r.string(&f) || !r.string(&v) || !h->set(f, v, lim.hash)) return false;
    }
  } else {
    std::string blob;
    char scratch[24];
    auto pair = [&](std::string_view field, const PackedElem& e) {
      return h->set(field, e.str(scratch), lim.hash);  // false: repeated field
    };
    if (!r.string(&blob) || !for_each_packed_pair(blob, type == rdb::kHashZiplist, pair)) {
      return false;
    }
  }
  if (h->size() == 0) return false;
  *out = Value::from_object(h.release());
  return true;
}

}  // namespace

void encode_value(const Value& v, rdb::Writer& w) {
  switch (v.type()) {
    case ValueType::kString:
      encode_string(v, w);
      return;
    case ValueType::kList:
      encode_list(*static_cast<const List*>(v.object()), w);
      return;
    case ValueType::kSet:
      encode_set(*static_cast<const SetObject*>(v.object()), w);
      return;
    case ValueType::kZSet:
      encode_zset(*static_cast<const ZSet*>(v.object()), w);
      return;
    case ValueType::kHash:
      encode_hash(*static_cast<const HashObject*>(v.object()), w);
      return;
    case ValueType::kStream:
      encode_stream(*static_cast<const engine::StreamObject*>(v.object()), w);
      return;
  }
}

bool decode_value(uint8_t type, rdb::Reader& r, const DecodeLimits& limits, Value* out) {
  switch (type) {
    case rdb::kString: {
      std::string s;
      if (!r.string(&s)) return false;
      *out = Value::from_string(s);
      return true;
    }
    case rdb::kList:
    case rdb::kListZiplist:
    case rdb::kListQuicklist:
    case rdb::kListQuicklist2:
      return decode_list(type, r, limits, out);
    case rdb::kSet:
    case rdb::kSetIntset:
      return decode_set(type, r, limits, out);
    case rdb::kZSet:
    case rdb::kZSet2:
    case rdb::kZSetZiplist:
    case rdb::kZSetListpack:
      return decode_zset(type, r, limits, out);
    case rdb::kHash:
    case rdb::kHashZipmap:
    case rdb::kHashZiplist:
    case rdb::kHashListpack:
      return decode_hash(type, r, limits, out);
    case rdb::kStreamListpacks:
    case rdb::kStreamListpacks2:
      return decode_stream(type, r, limits, out);
    default:
      return false;  // module values, unknown types
  }
}

}  // namespace kvd::persist
