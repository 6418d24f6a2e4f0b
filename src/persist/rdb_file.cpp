#include "kvd/persist/rdb_file.hpp"

#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "kvd/common/version.hpp"
#include "kvd/persist/byte_order.hpp"
#include "kvd/persist/crc64.hpp"

namespace kvd::persist {
namespace {

// Opcodes between keys (the RDB format's public description).
constexpr uint8_t kOpModuleAux = 247;
constexpr uint8_t kOpIdle = 248;
constexpr uint8_t kOpFreq = 249;
constexpr uint8_t kOpAux = 250;
constexpr uint8_t kOpResizeDb = 251;
constexpr uint8_t kOpExpireMs = 252;
constexpr uint8_t kOpExpireSec = 253;
constexpr uint8_t kOpSelectDb = 254;
constexpr uint8_t kOpEof = 255;

constexpr size_t kFlushAt = 1 << 20;

}  // namespace

RdbFileWriter::RdbFileWriter(int fd, bool compress) : fd_(fd), w_(&buf_, compress) {}

bool RdbFileWriter::flush() {
  if (failed_) return false;
  crc_ = crc64(crc_, buf_.data(), buf_.size());
  size_t off = 0;
  while (off < buf_.size()) {
    ssize_t n = ::write(fd_, buf_.data() + off, buf_.size() - off);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      failed_ = true;
      return false;
    }
    off += static_cast<size_t>(n);
  }
  written_ += buf_.size();
  buf_.clear();
  if (autosync_ > 0 && written_ - synced_at_ >= autosync_) {
    ::fdatasync(fd_);
    synced_at_ = written_;
  }
  return true;
}

void key_delay(int64_t v) {
  if (v > 0) {
    ::usleep(static_cast<useconds_t>(v));
  } else if (v < 0) {
    struct timespec ts {
      0, -v
    };
    ::nanosleep(&ts, nullptr);
  }
}

bool RdbFileWriter::flush_if_big() {
  return buf_.size() < kFlushAt || flush();
}

void RdbFileWriter::aux(std::string_view name, std::string_view value) {
  w_.byte(kOpAux);
  w_.string(name);
  w_.string(value);
}

bool RdbFileWriter::begin(int64_t now_ms, uint64_t used_memory) {
  char magic[16];
  std::snprintf(magic, sizeof magic, "REDIS%04u", static_cast<unsigned>(rdb::kVersion));
  w_.raw(magic);
  aux("redis-ver", kRedisCompatVersion);
  aux("redis-bits", sizeof(void*) == 8 ? "64" : "32");
  aux("ctime", std::to_string(now_ms / 1000));
  aux("used-mem", std::to_string(used_memory));
  aux("aof-base", "0");
  return flush_if_big();
}

bool RdbFileWriter::repl_info(int stream_db, std::string_view replid, int64_t offset) {
  aux("repl-stream-db", std::to_string(stream_db));
  aux("repl-id", replid);
  aux("repl-offset", std::to_string(offset));
  return flush_if_big();
}

bool RdbFileWriter::library(std::string_view code) {
  w_.byte(kRdbOpFunction2);
  w_.string(code);
  return flush_if_big();
}

bool RdbFileWriter::select_db(int db, uint64_t keys, uint64_t expires) {
  w_.byte(kOpSelectDb);
  w_.length(static_cast<uint64_t>(db));
  w_.byte(kOpResizeDb);
  w_.length(keys);
  w_.length(expires);
  return flush_if_big();
}

bool RdbFileWriter::key(std::string_view key, const engine::Value& v, int64_t expire_ms,
                        const KeyAccess& access) {
  if (expire_ms >= 0) {
    w_.byte(kOpExpireMs);
    put_le(&buf_, static_cast<uint64_t>(expire_ms), 8);
  }
  if (access.idle_seconds >= 0) {
    w_.byte(kOpIdle);
    w_.length(static_cast<uint64_t>(access.idle_seconds));
  }
  if (access.freq >= 0) {
    w_.byte(kOpFreq);
    w_.byte(static_cast<uint8_t>(access.freq > 255 ? 255 : access.freq));
  }
  // encode_value writes the type byte, then the body; the key goes between.
  std::string value;
  rdb::Writer vw(&value, false);
  encode_value(v, vw);
  w_.byte(static_cast<uint8_t>(value[0]));
  w_.string(key);
  buf_.append(value, 1, std::string::npos);
  return flush_if_big();
}

bool RdbFileWriter::finish() {
  w_.byte(kOpEof);
  if (!flush()) return false;
  // The checksum is of the bytes above, so it goes out through write alone.
  std::string sum;
  put_le(&sum, crc_, 8);
  buf_ = sum;
  const uint64_t crc = crc_;
  const bool ok = flush();
  crc_ = crc;
  return ok;
}

bool read_rdb_library(rdb::Reader& r, uint8_t opcode, std::string* code, std::string* err) {
  if (opcode == kRdbOpFunction2) {
    if (r.string(code)) return true;
    *err = "Failed loading library payload";
    return false;
  }
  std::string name, engine_name, desc, blob;
  uint64_t has_desc = 0;
  if (!r.string(&name)) {
    *err = "Failed loading library name";
  } else if (!r.string(&engine_name)) {
    *err = "Failed loading engine name";
  } else if (!r.length(&has_desc)) {
    *err = "Failed loading library description indicator";
  } else if (has_desc && !r.string(&desc)) {
    *err = "Failed loading library description";
  } else if (!r.string(&blob)) {
    *err = "Failed loading library blob";
  } else {
    *code = "#!" + engine_name + " name=" + name + "\n" + blob;
    return true;
  }
  return false;
}

RdbRecordReader::RdbRecordReader(const DecodeLimits& limits, int64_t now_ms,
                                 const RdbKeySink& on_key, RdbLoadStats* stats,
                                 const RdbLibrarySink& on_library, const RdbAuxSink& on_aux)
    : limits_(limits),
      now_ms_(now_ms),
      on_key_(on_key),
      stats_(stats),
      on_library_(on_library),
      on_aux_(on_aux) {}

RdbRecordReader::Result RdbRecordReader::next(rdb::Reader& r, std::string* err) {
  auto fail = [&](const char* why) {
    *err = why;
    return Result::kError;
  };
  uint8_t op = 0;
  if (!r.byte(&op)) return fail("truncated RDB file");
  switch (op) {
    case kOpEof:
      return Result::kEof;
    case kOpSelectDb: {
      uint64_t id = 0;
      if (!r.length(&id) || id > 1u << 20) return fail("bad SELECTDB");
      db_ = static_cast<int>(id);
      return Result::kRecord;
    }
    case kOpResizeDb: {
      uint64_t a = 0, b = 0;
      if (!r.length(&a) || !r.length(&b)) return fail("bad RESIZEDB");
      return Result::kRecord;
    }
    case kOpAux: {
      std::string name, value;
      if (!r.string(&name) || !r.string(&value)) return fail("bad AUX field");
      if (on_aux_) on_aux_(name, value);
      return Result::kRecord;
    }
    case kOpExpireMs: {
      uint64_t v = 0;
      if (!r.u64_le(&v)) return fail("bad EXPIRETIME_MS");
      expire_ms_ = static_cast<int64_t>(v);
      return Result::kRecord;
    }
    case kOpExpireSec: {
      uint8_t b[4];
      for (auto& x : b)
        if (!r.byte(&x)) return fail("bad EXPIRETIME");
      uint32_t sec =
          uint32_t{b[0]} | uint32_t{b[1]} << 8 | uint32_t{b[2]} << 16 | uint32_t{b[3]} << 24;
      expire_ms_ = int64_t{sec} * 1000;
      return Result::kRecord;
    }
    case kOpIdle: {
      uint64_t idle = 0;
      if (!r.length(&idle)) return fail("bad IDLE");
      access_.idle_seconds =
          idle > INT64_MAX / 2000 ? INT64_MAX / 2000 : static_cast<int64_t>(idle);
      return Result::kRecord;
    }
    case kOpFreq: {
      uint8_t freq = 0;
      if (!r.byte(&freq)) return fail("bad FREQ");
      access_.freq = freq;
      return Result::kRecord;
    }
    case kOpModuleAux:
      return fail("module data in the RDB file: kvd has no modules");
    case kRdbOpFunction2:
    case kRdbOpFunctionRc: {
      std::string code, why;
      if (!read_rdb_library(r, op, &code, &why)) {
        *err = "Failed loading library, " + why;
        return Result::kError;
      }
      if (!on_library_) return fail("Failed loading library, functions are not loaded here");
      why = on_library_(std::move(code));
      if (!why.empty()) {
        *err = "Failed loading library, " + why;
        return Result::kError;
      }
      return Result::kRecord;
    }
    default:
      break;
  }
  std::string key;
  if (!r.string(&key)) return fail("bad key");
  engine::Value v;
  if (!decode_value(op, r, limits_, &v)) {
    *err = "bad value for key '" + key.substr(0, 64) + "'";
    return Result::kError;
  }
  if (stats_) stats_->bytes_read = offset_base_ + r.position();
  if (expire_ms_ >= 0 && expire_ms_ < now_ms_) {
    if (stats_) {
      ++stats_->keys_expired;
      if (stats_->on_expired) stats_->on_expired(db_, key);
    }
    v.destroy();
  } else {
    if (stats_) ++stats_->keys_loaded;
    on_key_(db_, std::move(key), std::move(v), expire_ms_, access_);
  }
  expire_ms_ = -1;
  access_ = KeyAccess{};
  return Result::kRecord;
}

int rdb_header_version(std::string_view data) {
  if (data.size() < 9 || data.substr(0, 5) != "REDIS") return -1;
  int version = 0;
  for (size_t i = 5; i < 9; ++i) {
    if (data[i] < '0' || data[i] > '9') return -1;
    version = version * 10 + (data[i] - '0');
  }
  return version;
}

std::string load_rdb(std::string_view data, const DecodeLimits& limits, int64_t now_ms,
                     const RdbKeySink& on_key, RdbLoadStats* stats,
                     const RdbLibrarySink& on_library, const RdbAuxSink& on_aux, size_t* consumed) {
  const int version = data.size() < 9 + 9 ? -1 : rdb_header_version(data);
  if (version < 0) return "not an RDB file";
  if (version < 1 || version > rdb::kVersion)
    return "RDB version " + std::to_string(version) + " is newer than this server reads";
  // The checksum covers everything up to and including EOF; 0 means "not
  // computed" (rdbchecksum no), as Redis reads it.
  if (!consumed) {
    const std::string_view body = data.substr(0, data.size() - 8);
    const uint64_t stored = get_le(data.data() + data.size() - 8, 8);
    if (version >= 5 && stored != 0 && crc64(0, body.data(), body.size()) != stored)
      return "RDB CRC error";  // Redis's words, which tools look for
  }
  rdb::Reader r(version >= 5 && !consumed ? data.substr(9, data.size() - 8 - 9) : data.substr(9));
  RdbRecordReader records(limits, now_ms, on_key, stats, on_library, on_aux);
  records.set_offset_base(9);
  std::string err;
  while (true) {
    switch (records.next(r, &err)) {
      case RdbRecordReader::Result::kRecord:
        continue;
      case RdbRecordReader::Result::kError:
        return err;
      case RdbRecordReader::Result::kEof:
        break;
    }
    if (!consumed) return "";
    // The image's end is only known now: check its checksum here.
    const size_t end = data.size() - r.remaining();
    if (version < 5) {
      *consumed = end;
      return "";
    }
    if (data.size() - end < 8) return "truncated RDB file";
    const uint64_t stored = get_le(data.data() + end, 8);
    if (stored != 0 && crc64(0, data.data(), end) != stored) return "RDB CRC error";
    *consumed = end + 8;
    return "";
  }
}

}  // namespace kvd::persist
