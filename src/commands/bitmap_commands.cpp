#include <algorithm>
#include <array>
#include <cstring>
#include <string>
#include <vector>

#include "command_helpers.hpp"
#include "declare.hpp"
#include "families.hpp"
#include "kvd/common/strings.hpp"
#include "kvd/engine/keyspace_events.hpp"

// Bitmaps are plain strings addressed bit by bit, most significant bit of the
// first byte being bit 0.
namespace kvd::commands {
namespace {

using Scratch = char[24];

std::string_view string_of(const Entry* e, char* scratch) {
  return e ? e->value.str(scratch) : std::string_view();
}

// Parses a bit offset. With allow_hash, "#N" means N * width (BITFIELD). Offsets
// are bounded by the largest string a command may build.
bool arg_bit_offset(CommandContext& ctx, std::string_view s, bool allow_hash, int width,
                    uint64_t* out) {
  bool hash = allow_hash && !s.empty() && s[0] == '#';
  int64_t v;
  bool ok = parse_int64(hash ? s.substr(1) : s, &v);
  // "#N" multiplies in wrapping 64-bit arithmetic, as Redis effectively does;
  // the range check below still rejects whatever the wrap produces out of range.
  if (ok && hash) v = static_cast<int64_t>(static_cast<uint64_t>(v) * static_cast<uint64_t>(width));
  if (!ok || v < 0 || (v >> 3) >= max_string_bytes(ctx)) {
    ctx.out.error(err::kBitOffset);
    return false;
  }
  *out = static_cast<uint64_t>(v);
  return true;
}

struct WritableBits {
  unsigned char* data;
  size_t len;
  bool grew;  // the key was created or padded: a change even if no bit flips
};

// Makes `key`'s string writable, creating or zero-padding it so that bit
// `max_bit` exists. Returns false after a WRONGTYPE reply.
bool bits_for_write(CommandContext& ctx, std::string_view key, uint64_t max_bit,
                    WritableBits* out) {
  Entry* e;
  if (!lookup_write_typed(ctx, key, ValueType::kString, &e)) return false;
  bool created = e == nullptr;
  if (!e) e = ctx.db.add(key, Value());
  size_t need = static_cast<size_t>(max_bit >> 3) + 1;
  out->grew = created || e->value.str_len() < need;
  out->data = reinterpret_cast<unsigned char*>(e->value.mutable_bytes(need));
  out->len = e->value.str_len();
  return true;
}

int bit_at(const unsigned char* p, uint64_t bit) {
  return (p[bit >> 3] >> (7 - (bit & 7))) & 1;
}

// ---------------------------------------------------------------------------
// SETBIT / GETBIT

void cmd_setbit(CommandContext& ctx) {
  uint64_t offset;
  if (!arg_bit_offset(ctx, ctx.args[2], false, 0, &offset)) return;
  int64_t on;
  if (!parse_int64(ctx.args[3], &on) || (on & ~1)) {
    ctx.out.error(err::kBitValue);
    return;
  }
  WritableBits w;
  if (!bits_for_write(ctx, ctx.args[1], offset, &w)) return;
  unsigned char* p = w.data;
  int old = bit_at(p, offset);
  unsigned char mask = static_cast<unsigned char>(1u << (7 - (offset & 7)));
  if (on)
    p[offset >> 3] |= mask;
  else
    p[offset >> 3] &= static_cast<unsigned char>(~mask);
  // Only a real change counts for persistence (rdb_changes_since_last_save).
  ctx.dirty = (w.grew || old != static_cast<int>(on)) ? 1 : 0;
  key_changed(ctx, '$', "setbit", ctx.args[1]);
  ctx.out.integer(old);
}

void cmd_getbit(CommandContext& ctx) {
  uint64_t offset;
  if (!arg_bit_offset(ctx, ctx.args[2], false, 0, &offset)) return;
  Entry* e;
  if (!lookup_read_typed(ctx, ctx.args[1], ValueType::kString, &e)) return;
  Scratch s;
  std::string_view str = string_of(e, s);
  int bit = 0;
  if ((offset >> 3) < str.size()) {
    bit = bit_at(reinterpret_cast<const unsigned char*>(str.data()), offset);
  }
  ctx.out.integer(bit);
}

// ---------------------------------------------------------------------------
// BITCOUNT / BITPOS

// Parses BIT|BYTE; replies a syntax error for anything else.
bool arg_bit_unit(CommandContext& ctx, std::string_view s, bool* is_bit) {
  if (iequals(s, "BIT"))
    *is_bit = true;
  else if (iequals(s, "BYTE"))
    *is_bit = false;
  else {
    ctx.out.error(err::kSyntax);
    return false;
  }
  return true;
}

// Clamps inclusive, possibly negative, indexes into [0, len). Returns false if
// the range is empty.
bool clamp_indexes(int64_t len, int64_t* start, int64_t* end) {
  if (*start < 0) *start += len;
  if (*end < 0) *end += len;
  if (*start < 0) *start = 0;
  if (*end < 0) *end = 0;
  if (*end >= len) *end = len - 1;
  return *start <= *end;
}

uint64_t popcount(const unsigned char* p, size_t n) {
  uint64_t count = 0;
  size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    uint64_t w;
    std::memcpy(&w, p + i, 8);
    count += static_cast<uint64_t>(__builtin_popcountll(w));
  }
  for (; i < n; ++i) count += static_cast<uint64_t>(__builtin_popcount(p[i]));
  return count;
}

// Set bits in the inclusive bit range [first, last]: whole bytes counted, then
// the bits of the edge bytes outside the range taken back out.
uint64_t count_bits(const unsigned char* p, uint64_t first, uint64_t last) {
  uint64_t first_byte = first >> 3, last_byte = last >> 3;
  uint64_t count = popcount(p + first_byte, last_byte - first_byte + 1);
  unsigned before = (0xFFu << (8 - (first & 7))) & 0xFFu;
  unsigned after = (1u << (7 - (last & 7))) - 1;
  count -= static_cast<uint64_t>(__builtin_popcount(p[first_byte] & before));
  count -= static_cast<uint64_t>(__builtin_popcount(p[last_byte] & after));
  return count;
}

void cmd_bitcount(CommandContext& ctx) {
  Entry* e;
  if (!lookup_read_typed(ctx, ctx.args[1], ValueType::kString, &e)) return;
  if (!e) {
    ctx.out.integer(0);
    return;
  }
  Scratch s;
  std::string_view str = string_of(e, s);
  auto* p = reinterpret_cast<const unsigned char*>(str.data());
  int64_t len = static_cast<int64_t>(str.size());
  size_t argc = ctx.args.size();
  if (argc == 2) {
    ctx.out.integer(static_cast<int64_t>(popcount(p, str.size())));
    return;
  }
  if (argc != 4 && argc != 5) {
    ctx.out.error(err::kSyntax);
    return;
  }
  int64_t start, end;
  if (!arg_int64(ctx, ctx.args[2], &start) || !arg_int64(ctx, ctx.args[3], &end)) return;
  if (start < 0 && end < 0 && start > end) {
    ctx.out.integer(0);
    return;
  }
  bool is_bit = false;
  if (argc == 5 && !arg_bit_unit(ctx, ctx.args[4], &is_bit)) return;
  int64_t total = is_bit ? len * 8 : len;
  if (!clamp_indexes(total, &start, &end)) {
    ctx.out.integer(0);
    return;
  }
  uint64_t first = is_bit ? uint64_t(start) : uint64_t(start) * 8;
  uint64_t last = is_bit ? uint64_t(end) : uint64_t(end) * 8 + 7;
  ctx.out.integer(static_cast<int64_t>(count_bits(p, first, last)));
}

// Position of the first bit equal to `bit` in the inclusive range [first,
// last], or -1.
int64_t find_bit(const unsigned char* p, uint64_t first, uint64_t last, int bit) {
  while (first <= last && (first & 7)) {
    if (bit_at(p, first) == bit) return static_cast<int64_t>(first);
    ++first;
  }
  // Whole bytes: skip the ones holding no candidate a word at a time.
  const unsigned char skip = bit ? 0x00 : 0xFF;
  uint64_t skip_word;
  std::memset(&skip_word, skip, 8);
  while (first + 64 <= last + 1) {
    uint64_t w;
    std::memcpy(&w, p + (first >> 3), 8);
    if (w != skip_word) break;
    first += 64;
  }
  while (first + 8 <= last + 1 && p[first >> 3] == skip) first += 8;
  for (; first <= last; ++first) {
    if (bit_at(p, first) == bit) return static_cast<int64_t>(first);
  }
  return -1;
}

struct BitposRange {
  int64_t start = 0, end = 0;
  bool is_bit = false;
  bool end_given = false;
};

// Parses BITPOS's optional start [end [BIT|BYTE]], in Redis's order.
bool parse_bitpos_range(CommandContext& ctx, int64_t len, BitposRange* r) {
  size_t argc = ctx.args.size();
  if (argc == 3) {
    r->start = 0;
    r->end = len - 1;
    return true;
  }
  if (argc > 6) {
    ctx.out.error(err::kSyntax);
    return false;
  }
  if (!arg_int64(ctx, ctx.args[3], &r->start)) return false;
  if (argc == 6 && !arg_bit_unit(ctx, ctx.args[5], &r->is_bit)) return false;
  int64_t total = r->is_bit ? len * 8 : len;
  if (argc >= 5) {
    if (!arg_int64(ctx, ctx.args[4], &r->end)) return false;
    r->end_given = true;
  } else {
    r->end = total - 1;
  }
  if (r->start < 0) r->start += total;
  if (r->end < 0) r->end += total;
  if (r->start < 0) r->start = 0;
  if (r->end < 0) r->end = 0;
  if (r->end >= total) r->end = total - 1;
  return true;
}

void cmd_bitpos(CommandContext& ctx) {
  int64_t bit;
  if (!arg_int64(ctx, ctx.args[2], &bit)) return;
  if (bit != 0 && bit != 1) {
    ctx.out.error("ERR The bit argument must be 1 or 0.");
    return;
  }
  Entry* e;
  if (!lookup_read_typed(ctx, ctx.args[1], ValueType::kString, &e)) return;
  if (!e) {
    // A missing key is an endless run of zeros.
    ctx.out.integer(bit ? -1 : 0);
    return;
  }
  Scratch s;
  std::string_view str = string_of(e, s);
  BitposRange r;
  if (!parse_bitpos_range(ctx, static_cast<int64_t>(str.size()), &r)) return;
  if (r.start > r.end) {
    ctx.out.integer(-1);
    return;
  }
  uint64_t first = r.is_bit ? uint64_t(r.start) : uint64_t(r.start) * 8;
  uint64_t last = r.is_bit ? uint64_t(r.end) : uint64_t(r.end) * 8 + 7;
  int64_t pos = find_bit(reinterpret_cast<const unsigned char*>(str.data()), first, last,
                         static_cast<int>(bit));
  // Past the string everything reads as zero, unless the caller bounded the range.
  if (pos < 0 && bit == 0 && !r.end_given) pos = static_cast<int64_t>(last + 1);
  ctx.out.integer(pos);
}

// ---------------------------------------------------------------------------
// BITOP

enum class BitOp { kAnd, kOr, kXor, kNot };

bool parse_bitop(std::string_view s, BitOp* op) {
  if (iequals(s, "AND"))
    *op = BitOp::kAnd;
  else if (iequals(s, "OR"))
    *op = BitOp::kOr;
  else if (iequals(s, "XOR"))
    *op = BitOp::kXor;
  else if (iequals(s, "NOT"))
    *op = BitOp::kNot;
  else
    return false;
  return true;
}

std::string combine(BitOp op, const std::vector<std::string_view>& srcs, size_t maxlen) {
  std::string res(maxlen, '\0');
  auto byte = [](std::string_view s, size_t i) -> unsigned char {
    return i < s.size() ? static_cast<unsigned char>(s[i]) : 0;
  };
  for (size_t i = 0; i < maxlen; ++i) {
    unsigned char out = byte(srcs[0], i);
    if (op == BitOp::kNot) out = static_cast<unsigned char>(~out);
    for (size_t k = 1; k < srcs.size(); ++k) {
      unsigned char b = byte(srcs[k], i);
      if (op == BitOp::kAnd)
        out &= b;
      else if (op == BitOp::kOr)
        out |= b;
      else
        out ^= b;
    }
    res[i] = static_cast<char>(out);
  }
  return res;
}

void cmd_bitop(CommandContext& ctx) {
  BitOp op;
  if (!parse_bitop(ctx.args[1], &op)) {
    ctx.out.error(err::kSyntax);
    return;
  }
  if (op == BitOp::kNot && ctx.args.size() != 4) {
    ctx.out.error("ERR BITOP NOT must be called with a single source key.");
    return;
  }
  size_t n = ctx.args.size() - 3;
  std::vector<std::array<char, 24>> scratch(n);
  std::vector<std::string_view> srcs(n);
  size_t maxlen = 0;
  for (size_t k = 0; k < n; ++k) {
    Entry* e;
    if (!lookup_read_typed(ctx, ctx.args[k + 3], ValueType::kString, &e)) return;
    srcs[k] = string_of(e, scratch[k].data());
    maxlen = std::max(maxlen, srcs[k].size());
  }
  std::string_view dest = ctx.args[2];
  if (maxlen == 0) {
    if (ctx.db.remove(dest)) key_changed(ctx, 'g', "del", dest);
  } else {
    // Computed apart from the sources, since the destination may be one of them.
    ctx.db.set(dest, Value::raw_string(combine(op, srcs, maxlen)));
    key_changed(ctx, '$', "set", dest);
  }
  ctx.out.integer(static_cast<int64_t>(maxlen));
}

// ---------------------------------------------------------------------------
// BITFIELD

enum class Overflow { kWrap, kSat, kFail };
enum class FieldOp { kGet, kSet, kIncrby };

struct FieldType {
  bool is_signed = false;
  int bits = 0;
};

struct Field {
  FieldOp op;
  FieldType type;
  Overflow overflow;
  uint64_t offset;
  int64_t arg;
};

bool arg_field_type(CommandContext& ctx, std::string_view s, FieldType* t) {
  int64_t bits;
  bool ok = !s.empty() && (s[0] == 'i' || s[0] == 'u') && parse_int64(s.substr(1), &bits);
  if (ok) {
    t->is_signed = s[0] == 'i';
    ok = bits >= 1 && bits <= (t->is_signed ? 64 : 63);
  }
  if (!ok) {
    ctx.out.error(
        "ERR Invalid bitfield type. Use something like i16 u8. Note that u64 is not supported "
        "but i64 is.");
    return false;
  }
  t->bits = static_cast<int>(bits);
  return true;
}

bool arg_overflow(CommandContext& ctx, std::string_view s, Overflow* o) {
  if (iequals(s, "WRAP"))
    *o = Overflow::kWrap;
  else if (iequals(s, "SAT"))
    *o = Overflow::kSat;
  else if (iequals(s, "FAIL"))
    *o = Overflow::kFail;
  else {
    ctx.out.error("ERR Invalid OVERFLOW type specified");
    return false;
  }
  return true;
}

// Parses the subcommands; *max_write_bit is the last bit any SET/INCRBY touches
// (-1 when the command only reads).
bool parse_fields(CommandContext& ctx, std::vector<Field>* fields, int64_t* max_write_bit) {
  Overflow overflow = Overflow::kWrap;
  *max_write_bit = -1;
  for (size_t j = 2; j < ctx.args.size(); ++j) {
    std::string_view sub = ctx.args[j];
    size_t rest = ctx.args.size() - j - 1;
    Field f{};
    if (iequals(sub, "GET") && rest >= 2)
      f.op = FieldOp::kGet;
    else if (iequals(sub, "SET") && rest >= 3)
      f.op = FieldOp::kSet;
    else if (iequals(sub, "INCRBY") && rest >= 3)
      f.op = FieldOp::kIncrby;
    else if (iequals(sub, "OVERFLOW") && rest >= 1) {
      if (!arg_overflow(ctx, ctx.args[++j], &overflow)) return false;
      continue;
    } else {
      ctx.out.error(err::kSyntax);
      return false;
    }
    f.overflow = overflow;
    if (!arg_field_type(ctx, ctx.args[j + 1], &f.type)) return false;
    if (!arg_bit_offset(ctx, ctx.args[j + 2], true, f.type.bits, &f.offset)) return false;
    if (f.op != FieldOp::kGet) {
      *max_write_bit = std::max(*max_write_bit, int64_t(f.offset) + f.type.bits - 1);
      if (!arg_int64(ctx, ctx.args[j + 3], &f.arg)) return false;
    }
    fields->push_back(f);
    j += f.op == FieldOp::kGet ? 2 : 3;
  }
  return true;
}

uint64_t get_field(const unsigned char* p, uint64_t offset, int bits) {
  uint64_t v = 0;
  for (int i = 0; i < bits; ++i) v = (v << 1) | static_cast<uint64_t>(bit_at(p, offset + i));
  return v;
}

void set_field(unsigned char* p, uint64_t offset, int bits, uint64_t v) {
  for (int i = 0; i < bits; ++i) {
    uint64_t bit = offset + i;
    auto mask = static_cast<unsigned char>(1u << (7 - (bit & 7)));
    if ((v >> (bits - 1 - i)) & 1)
      p[bit >> 3] |= mask;
    else
      p[bit >> 3] &= static_cast<unsigned char>(~mask);
  }
}

// Interprets the low `bits` bits of v as the field's type.
int64_t to_typed(uint64_t v, FieldType t) {
  if (t.bits < 64) v &= (uint64_t(1) << t.bits) - 1;
  if (t.is_signed && t.bits < 64 && (v >> (t.bits - 1)) & 1) v |= ~uint64_t(0) << t.bits;
  return static_cast<int64_t>(v);
}

// Fits `exact` into the field per the overflow policy. Returns false on FAIL.
bool fit_field(__int128 exact, FieldType t, Overflow o, int64_t* out) {
  __int128 max = t.is_signed ? (__int128(1) << (t.bits - 1)) - 1 : (__int128(1) << t.bits) - 1;
  __int128 min = t.is_signed ? -max - 1 : 0;
  if (exact >= min && exact <= max) {
    *out = static_cast<int64_t>(exact);
    return true;
  }
  if (o == Overflow::kFail) return false;
  if (o == Overflow::kSat)
    *out = static_cast<int64_t>(exact > max ? max : min);
  else
    *out = to_typed(static_cast<uint64_t>(exact), t);
  return true;
}

// Redis 7.0 computes "max - value" in wrapping 64-bit arithmetic when it checks
// a signed SET, so a value so negative that the difference wraps is judged an
// overflow upwards: OVERFLOW SAT then stores the maximum, not the minimum.
// Reproduced for compatibility; WRAP and FAIL are unaffected.
bool saturates_high_in_redis(const Field& f) {
  if (f.op != FieldOp::kSet || !f.type.is_signed || f.type.bits == 64) return false;
  if (f.overflow != Overflow::kSat) return false;
  int64_t max = (int64_t(1) << (f.type.bits - 1)) - 1;
  return f.arg < max - INT64_MAX;
}

// Reads a field that may lie partly or wholly past the end of the string.
int64_t read_field(std::string_view str, uint64_t offset, FieldType t) {
  unsigned char buf[9] = {};
  uint64_t byte = offset >> 3;
  for (uint64_t i = 0; i < 9 && byte + i < str.size(); ++i) buf[i] = str[byte + i];
  return to_typed(get_field(buf, offset & 7, t.bits), t);
}

// Applies SET or INCRBY to p and replies the value Redis reports (old value
// for SET, new for INCRBY) or null when OVERFLOW FAIL refused the write.
// Returns whether the stored bits changed.
bool write_field(CommandContext& ctx, unsigned char* p, const Field& f) {
  int64_t old = to_typed(get_field(p, f.offset, f.type.bits), f.type);
  // A SET value is taken as the field's raw bits: unsigned fields see negative
  // input as a huge number, just as Redis does.
  __int128 exact = f.op == FieldOp::kIncrby ? __int128(old) + f.arg
                   : f.type.is_signed       ? __int128(f.arg)
                                            : __int128(static_cast<uint64_t>(f.arg));
  int64_t fitted;
  if (!fit_field(exact, f.type, f.overflow, &fitted)) {
    ctx.out.null();
    return false;
  }
  if (saturates_high_in_redis(f)) fitted = (int64_t(1) << (f.type.bits - 1)) - 1;
  set_field(p, f.offset, f.type.bits, static_cast<uint64_t>(fitted));
  ctx.out.integer(f.op == FieldOp::kIncrby ? fitted : old);
  // Redis counts every INCRBY that wrote as a change, but a SET only when the
  // bits differ.
  return f.op == FieldOp::kIncrby || fitted != old;
}

void bitfield_generic(CommandContext& ctx, bool readonly_cmd) {
  std::vector<Field> fields;
  int64_t max_write_bit;
  if (!parse_fields(ctx, &fields, &max_write_bit)) return;
  std::string_view key = ctx.args[1];
  Scratch s;
  std::string_view str;
  unsigned char* p = nullptr;
  ctx.dirty = 0;
  bool grew = false;
  if (max_write_bit < 0) {
    Entry* e;
    if (!lookup_read_typed(ctx, key, ValueType::kString, &e)) return;
    str = string_of(e, s);
  } else {
    if (readonly_cmd) {
      ctx.out.error("ERR BITFIELD_RO only supports the GET subcommand");
      return;
    }
    WritableBits w;
    if (!bits_for_write(ctx, key, static_cast<uint64_t>(max_write_bit), &w)) return;
    p = w.data;
    str = std::string_view(reinterpret_cast<const char*>(w.data), w.len);
    grew = w.grew;
  }
  ctx.out.array(static_cast<int64_t>(fields.size()));
  for (const Field& f : fields) {
    if (f.op == FieldOp::kGet) {
      ctx.out.integer(read_field(str, f.offset, f.type));
    } else if (write_field(ctx, p, f) || grew) {
      ++ctx.dirty;
    }
  }
  if (p) key_changed(ctx, '$', "setbit", key);
}

void cmd_bitfield(CommandContext& ctx) {
  bitfield_generic(ctx, false);
}
void cmd_bitfield_ro(CommandContext& ctx) {
  bitfield_generic(ctx, true);
}

}  // namespace

void register_bitmap_commands(CommandTable& t) {
  Family f(t, "bitmap");
  f.add("setbit", 4, kWrite | kDenyOom, kKey1, cmd_setbit);
  f.add("getbit", 3, kReadonly | kFast, kKey1, cmd_getbit);
  f.add("bitcount", -2, kReadonly, kKey1, cmd_bitcount);
  f.add("bitpos", -3, kReadonly, kKey1, cmd_bitpos);
  f.add("bitop", -4, kWrite | kDenyOom, {2, -1, 1}, cmd_bitop);
  f.add("bitfield", -2, kWrite | kDenyOom, kKey1, cmd_bitfield);
  f.add("bitfield_ro", -2, kReadonly | kFast, kKey1, cmd_bitfield_ro);
}

}  // namespace kvd::commands
