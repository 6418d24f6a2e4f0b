// HyperLogLog commands: PFADD PFCOUNT PFMERGE over Redis-layout HLL strings
// (see types/hyperloglog.hpp), and PFDEBUG to look at the encoding.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "command_helpers.hpp"
#include "declare.hpp"
#include "families.hpp"
#include "kvd/common/strings.hpp"
#include "kvd/engine/types/hyperloglog.hpp"

namespace kvd::commands {
namespace {

constexpr const char* kNotHll = "WRONGTYPE Key is not a valid HyperLogLog string value.";
constexpr const char* kCorrupt = "INVALIDOBJ Corrupted HLL object detected";

std::string_view bytes_of(const Entry* e, char* scratch) {
  return e->value.str(scratch);
}

// Checks that a key holds an HLL string; replies the error and returns false.
bool check_hll(CommandContext& ctx, const Entry* e) {
  if (e->value.type() != ValueType::kString) {
    ctx.out.error(err::kWrongType);
    return false;
  }
  char scratch[24];
  if (hll::check(bytes_of(e, scratch)) != hll::Status::kOk) {
    ctx.out.error(kNotHll);
    return false;
  }
  return true;
}

// Registers of a checked HLL key; replies INVALIDOBJ and returns false when
// its sparse body is broken.
bool load_registers(CommandContext& ctx, const Entry* e, hll::Registers regs) {
  char scratch[24];
  if (hll::decode(bytes_of(e, scratch), regs) != hll::Status::kOk) {
    ctx.out.error(kCorrupt);
    return false;
  }
  return true;
}

// The string for regs: sparse while it fits hll-sparse-max-bytes and allowed,
// else dense. The cached cardinality is marked stale.
std::string encode(CommandContext& ctx, const hll::Registers regs, bool allow_sparse) {
  std::string s;
  if (allow_sparse) {
    s = hll::encode_sparse(regs, static_cast<size_t>(ctx.engine.config().v().hll_sparse_max_bytes));
  }
  if (s.empty()) s = hll::encode_dense(regs);
  hll::invalidate_cache(s.data());
  return s;
}

void changed(CommandContext& ctx, std::string_view key) {
  ctx.engine.signal_modified_key(ctx.db.id(), key);
  ctx.engine.notify_keyspace_event('$', "pfadd", key, ctx.db.id());
}

// ------------------------------------------------------------- PFADD

// Adds to a dense HLL in place; returns whether a register grew.
bool add_dense(Entry* e, Args elements) {
  char* p = e->value.mutable_bytes(hll::kDenseSize);
  char* body = p + hll::kHeaderSize;
  bool updated = false;
  for (std::string_view el : elements) {
    size_t i;
    uint8_t v;
    hll::position(el, &i, &v);
    if (v > hll::dense_get(body, i)) {
      hll::dense_set(body, i, v);
      updated = true;
    }
  }
  if (updated) hll::invalidate_cache(p);
  return updated;
}

void cmd_pfadd(CommandContext& ctx) {
  std::string_view key = ctx.args[1];
  Args elements = ctx.args.subspan(2);
  Entry* e = lookup_write(ctx, key);
  bool updated = false;
  if (!e) {
    e = ctx.db.add(key, Value::raw_string(hll::make_empty()));
    updated = true;
  } else if (!check_hll(ctx, e)) {
    return;
  }
  char scratch[24];
  if (hll::encoding_of(bytes_of(e, scratch)) == hll::kDense) {
    updated |= add_dense(e, elements);
  } else if (!elements.empty()) {
    std::vector<uint8_t> regs(hll::kRegisters);
    if (!load_registers(ctx, e, regs.data())) return;
    bool grew = false;
    for (std::string_view el : elements) grew |= hll::add(regs.data(), el);
    if (grew) ctx.db.replace_value(e, Value::raw_string(encode(ctx, regs.data(), true)));
    updated |= grew;
  }
  if (updated) changed(ctx, key);
  ctx.dirty = updated ? 1 : 0;
  ctx.out.integer(updated ? 1 : 0);
}

// ------------------------------------------------------------- PFCOUNT

void count_one(CommandContext& ctx, std::string_view key) {
  Entry* e = lookup_write(ctx, key);
  if (!e) {
    ctx.out.integer(0);
    return;
  }
  if (!check_hll(ctx, e)) return;
  char scratch[24];
  std::string_view s = bytes_of(e, scratch);
  if (hll::cache_valid(s)) {
    ctx.out.integer(static_cast<int64_t>(hll::cached(s)));
    return;
  }
  std::vector<uint8_t> regs(hll::kRegisters);
  if (!load_registers(ctx, e, regs.data())) return;
  uint64_t card = hll::estimate(regs.data());
  // The cache lives in the string, so refreshing it is a change to the key.
  hll::set_cache(e->value.mutable_bytes(s.size()), card);
  ctx.engine.signal_modified_key(ctx.db.id(), key);
  ctx.out.integer(static_cast<int64_t>(card));
}

void cmd_pfcount(CommandContext& ctx) {
  ctx.dirty = 0;
  if (ctx.args.size() == 2) return count_one(ctx, ctx.args[1]);
  // Several keys: the union's estimate, computed on a scratch register set.
  std::vector<uint8_t> merged(hll::kRegisters);
  std::vector<uint8_t> regs(hll::kRegisters);
  for (size_t k = 1; k < ctx.args.size(); ++k) {
    Entry* e = lookup_read(ctx, ctx.args[k]);
    if (!e) continue;
    if (!check_hll(ctx, e) || !load_registers(ctx, e, regs.data())) return;
    for (size_t i = 0; i < hll::kRegisters; ++i) {
      if (regs[i] > merged[i]) merged[i] = regs[i];
    }
  }
  ctx.out.integer(static_cast<int64_t>(hll::estimate(merged.data())));
}

// ------------------------------------------------------------- PFMERGE

void cmd_pfmerge(CommandContext& ctx) {
  std::vector<uint8_t> merged(hll::kRegisters);
  std::vector<uint8_t> regs(hll::kRegisters);
  bool any_dense = false;
  // The destination takes part in the union, like every source.
  for (size_t k = 1; k < ctx.args.size(); ++k) {
    Entry* e = lookup_read(ctx, ctx.args[k]);
    if (!e) continue;
    if (!check_hll(ctx, e) || !load_registers(ctx, e, regs.data())) return;
    char scratch[24];
    if (hll::encoding_of(bytes_of(e, scratch)) == hll::kDense) any_dense = true;
    for (size_t i = 0; i < hll::kRegisters; ++i) {
      if (regs[i] > merged[i]) merged[i] = regs[i];
    }
  }
  std::string_view dst = ctx.args[1];
  Value v = Value::raw_string(encode(ctx, merged.data(), !any_dense));
  if (Entry* e = lookup_write(ctx, dst))
    ctx.db.replace_value(e, v);
  else
    ctx.db.add(dst, v);
  changed(ctx, dst);
  ctx.out.ok();
}

// ------------------------------------------------------------- PFDEBUG

// The sparse opcodes as Redis's PFDEBUG DECODE prints them.
std::string decode_sparse(std::string_view s) {
  std::string out;
  for (size_t i = hll::kHeaderSize; i < s.size();) {
    const uint8_t op = static_cast<uint8_t>(s[i]);
    if ((op & 0xc0) == 0) {
      out += "z:" + std::to_string((op & 0x3f) + 1) + " ";
      i += 1;
    } else if ((op & 0xc0) == 0x40 && i + 1 < s.size()) {
      const int len = (((op & 0x3f) << 8) | static_cast<uint8_t>(s[i + 1])) + 1;
      out += "Z:" + std::to_string(len) + " ";
      i += 2;
    } else {
      out +=
          "v:" + std::to_string(((op >> 2) & 0x1f) + 1) + "," + std::to_string((op & 3) + 1) + " ";
      i += 1;
    }
  }
  if (!out.empty()) out.pop_back();
  return out;
}

// Rewrites a sparse HLL key as dense, keeping its cached cardinality.
bool make_dense(CommandContext& ctx, Entry* e) {
  std::vector<uint8_t> regs(hll::kRegisters);
  if (!load_registers(ctx, e, regs.data())) return false;
  char scratch[24];
  std::string_view old = bytes_of(e, scratch);
  std::string dense = hll::encode_dense(regs.data());
  std::memcpy(dense.data() + 8, old.data() + 8, 8);
  ctx.db.replace_value(e, Value::raw_string(dense));
  return true;
}

void cmd_pfdebug(CommandContext& ctx) {
  const std::string sub = to_lower(ctx.args[1]);
  std::string_view key = ctx.args[2];
  Entry* e = lookup_write(ctx, key);
  if (!e) {
    ctx.out.error("ERR The specified key does not exist");
    return;
  }
  if (!check_hll(ctx, e)) return;
  const bool known = sub == "getreg" || sub == "decode" || sub == "encoding" || sub == "todense";
  if (known && ctx.args.size() != 3) {
    ctx.out.error("ERR Wrong number of arguments for the '" + std::string(ctx.args[1]) +
                  "' subcommand");
    return;
  }
  char scratch[24];
  const bool sparse = hll::encoding_of(bytes_of(e, scratch)) == hll::kSparse;
  if (sub == "getreg") {
    // As in Redis, reading the raw registers leaves the key dense.
    if (sparse) {
      if (!make_dense(ctx, e)) return;
      changed(ctx, key);
    }
    const char* body = bytes_of(e, scratch).data() + hll::kHeaderSize;
    ctx.out.array(static_cast<int64_t>(hll::kRegisters));
    for (size_t i = 0; i < hll::kRegisters; ++i) ctx.out.integer(hll::dense_get(body, i));
  } else if (sub == "decode") {
    if (!sparse) {
      ctx.out.error("ERR HLL encoding is not sparse");
      return;
    }
    ctx.out.bulk(decode_sparse(bytes_of(e, scratch)));
  } else if (sub == "encoding") {
    ctx.out.simple(sparse ? "sparse" : "dense");
  } else if (sub == "todense") {
    if (sparse) {
      if (!make_dense(ctx, e)) return;
      changed(ctx, key);
    }
    ctx.out.integer(sparse ? 1 : 0);
  } else {
    ctx.out.error("ERR Unknown PFDEBUG subcommand '" + std::string(ctx.args[1]) + "'");
  }
}

// ------------------------------------------------------------- PFSELFTEST

// Checks this build's HyperLogLog code against itself: dense register
// packing round-trips every value at every index, the sparse and dense forms
// of the same registers decode alike, and estimates stay within five
// standard errors of the true count from 1 to 100,000 elements.
void cmd_pfselftest(CommandContext& ctx) {
  std::mt19937_64 rng(0x6b7664);  // fixed: a failure must be reproducible
  std::vector<uint8_t> ref(hll::kRegisters);
  std::string dense = hll::encode_dense(ref.data());
  char* body = dense.data() + hll::kHeaderSize;
  for (int round = 0; round < 4; ++round) {
    for (size_t i = 0; i < hll::kRegisters; ++i) {
      ref[i] = static_cast<uint8_t>(rng() & 63);
      hll::dense_set(body, i, ref[i]);
    }
    for (size_t i = 0; i < hll::kRegisters; ++i) {
      if (hll::dense_get(body, i) != ref[i]) {
        ctx.out.error("TESTFAILED Register error at " + std::to_string(i));
        return;
      }
    }
  }
  const double relerr = 1.04 / std::sqrt(static_cast<double>(hll::kRegisters));
  std::vector<uint8_t> regs(hll::kRegisters);
  std::vector<uint8_t> back(hll::kRegisters);
  uint64_t checkpoint = 1;
  for (uint64_t n = 1; n <= 100000; ++n) {
    uint64_t element = rng();
    hll::add(regs.data(), std::string_view(reinterpret_cast<const char*>(&element), 8));
    if (n != checkpoint) continue;
    checkpoint *= 10;
    std::string sparse = hll::encode_sparse(regs.data(), SIZE_MAX);
    if (!sparse.empty()) {
      if (hll::decode(sparse, back.data()) != hll::Status::kOk || back != regs) {
        ctx.out.error("TESTFAILED Sparse and dense cardinality mismatch");
        return;
      }
    }
    if (hll::decode(hll::encode_dense(regs.data()), back.data()) != hll::Status::kOk ||
        back != regs) {
      ctx.out.error("TESTFAILED Dense encoding does not round-trip");
      return;
    }
    double card = static_cast<double>(hll::estimate(regs.data()));
    double maxerr = std::max(1.0, 5 * relerr * static_cast<double>(n));
    if (std::fabs(card - static_cast<double>(n)) > maxerr) {
      char msg[96];
      std::snprintf(msg, sizeof msg, "TESTFAILED too big error. card:%llu abserr:%f",
                    static_cast<unsigned long long>(card), std::fabs(card - static_cast<double>(n)));
      ctx.out.error(msg);
      return;
    }
  }
  ctx.out.ok();
}

}  // namespace

void register_hyperloglog_commands(CommandTable& t) {
  Family f(t, "hyperloglog");
  f.add("pfadd", -2, kWrite | kDenyOom | kFast, kKey1, cmd_pfadd);
  f.add("pfcount", -2, kReadonly | kMayReplicate, kAllKeys, cmd_pfcount);
  f.add("pfmerge", -2, kWrite | kDenyOom, kAllKeys, cmd_pfmerge);
  f.add("pfdebug", 3, kWrite | kDenyOom | kAdmin, {2, 2, 1}, cmd_pfdebug);
  f.add("pfselftest", 1, kAdmin, kNoKeys, cmd_pfselftest);
}

}  // namespace kvd::commands
