#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

#include "kvd/engine/value.hpp"
#include "kvd/persist/rdb_format.hpp"
#include "kvd/persist/value_codec.hpp"

// Whole snapshots in Redis's RDB file format, version 10: "REDIS0010", aux
// fields, then per database a SELECTDB and RESIZEDB, each key with its
// expiry, and EOF with a CRC-64 of everything before it. A file kvd writes
// loads in redis-server 7.0 and the other way round.
namespace kvd::persist {

// Streams a snapshot to a file descriptor through a buffer, keeping the
// checksum as it goes. Every call returns false once a write failed
// (errno tells why); nothing is retried.
// A key's eviction data in the file: Redis writes its idle time under an LRU
// policy and its LFU counter under an LFU one. -1: not in the file.
struct KeyAccess {
  int64_t idle_seconds = -1;
  int64_t freq = -1;
};

class RdbFileWriter {
 public:
  RdbFileWriter(int fd, bool compress);
  // The header and aux fields (redis-ver, redis-bits, ctime, used-mem).
  bool begin(int64_t now_ms, uint64_t used_memory);
  // The replication aux fields (repl-stream-db, repl-id, repl-offset) that
  // let a restarted server continue its replication history, as Redis 7's.
  bool repl_info(int stream_db, std::string_view replid, int64_t offset);
  // One function library (its code), after begin and before the databases.
  bool library(std::string_view code);
  bool select_db(int db, uint64_t keys, uint64_t expires);
  // One key; expire_ms < 0: no TTL. The access hints go in when >= 0.
  bool key(std::string_view key, const engine::Value& v, int64_t expire_ms,
           const KeyAccess& access = {});
  // EOF and checksum, then everything still buffered.
  bool finish();
  uint64_t bytes_written() const { return written_; }
  // rdb-save-incremental-fsync: fdatasync after every `bytes` written, so
  // the final fsync has little left to do and the disk sees a steady flow.
  void set_autosync(uint64_t bytes) { autosync_ = bytes; }

 private:
  bool flush_if_big();
  bool flush();
  void aux(std::string_view name, std::string_view value);

  int fd_;
  std::string buf_;
  rdb::Writer w_;
  uint64_t crc_ = 0;
  uint64_t written_ = 0;
  uint64_t autosync_ = 0;
  uint64_t synced_at_ = 0;
  bool failed_ = false;
};

// Redis's debugDelay for rdb-key-save-delay and key-load-delay: a positive
// value sleeps that many microseconds; a negative one is -N nanoseconds.
void key_delay(int64_t v);

struct RdbLoadStats {
  uint64_t keys_loaded = 0;
  uint64_t keys_expired = 0;  // had a deadline already past: skipped
  uint64_t bytes_read = 0;    // of the image so far (up to the current key)
  // Told each key skipped for its deadline (a master puts their DELs in its
  // replication backlog).
  std::function<void(int db, std::string_view key)> on_expired;
};

// Reads a whole snapshot and hands each live key to `on_key(db, key, value,
// expire_ms or -1, access hints)`. Returns an empty string, or what is wrong with the file
// (nothing loaded is to be trusted then). Keys whose deadline is before
// now_ms are skipped, as a Redis master does.
using RdbKeySink = std::function<void(int db, std::string key, engine::Value v, int64_t expire_ms,
                                      const KeyAccess& access)>;
// Receives each function library's code (the whole payload, "#!lua
// name=..." line first); returns "" or why it cannot be loaded, which fails
// the load. Without one, a file with functions is refused.
using RdbLibrarySink = std::function<std::string(std::string code)>;
// Receives each aux field (name, value) as it is read.
using RdbAuxSink = std::function<void(std::string_view name, std::string_view value)>;
// With `consumed`, the image may be followed by other bytes (a pre-7.0 AOF
// keeps its command tail after the RDB preamble): the checksum is the 8
// bytes after EOF and *consumed is where the image ends.
std::string load_rdb(std::string_view data, const DecodeLimits& limits, int64_t now_ms,
                     const RdbKeySink& on_key, RdbLoadStats* stats,
                     const RdbLibrarySink& on_library = {}, const RdbAuxSink& on_aux = {},
                     size_t* consumed = nullptr);

// The records of an image after its 9-byte header, one at a time: what
// load_rdb loops over, and what a streaming load resumes between pieces of
// the image (a record cut short leaves the reader starved and this object
// as it was, so the same record can be read again from its start).
class RdbRecordReader {
 public:
  RdbRecordReader(const DecodeLimits& limits, int64_t now_ms, const RdbKeySink& on_key,
                  RdbLoadStats* stats, const RdbLibrarySink& on_library, const RdbAuxSink& on_aux);
  enum class Result { kRecord, kEof, kError };
  // One record: an opcode and what belongs to it. kError: *err says why.
  Result next(rdb::Reader& r, std::string* err);
  // Where the reader's first byte is in the image (for bytes_read).
  void set_offset_base(uint64_t base) { offset_base_ = base; }

 private:
  DecodeLimits limits_;
  int64_t now_ms_;
  const RdbKeySink& on_key_;
  RdbLoadStats* stats_;
  const RdbLibrarySink& on_library_;
  const RdbAuxSink& on_aux_;
  uint64_t offset_base_ = 0;
  int db_ = 0;
  int64_t expire_ms_ = -1;
  KeyAccess access_;
};

// The version in an image's "REDISnnnn" header, or -1 when it is not one
// (or shorter than the header).
int rdb_header_version(std::string_view data);

// The opcodes of a function library in RDB files and FUNCTION DUMP payloads:
// FUNCTION2 (Redis 7.0 GA: the code) and FUNCTION (7.0 release candidates:
// name, engine, optional description, code).
inline constexpr uint8_t kRdbOpFunction2 = 245;
inline constexpr uint8_t kRdbOpFunctionRc = 246;

// Reads one library after its opcode and returns its code (the RC form is
// given the "#!<engine> name=<name>" line it lacks); false when malformed,
// with Redis's message in err.
bool read_rdb_library(rdb::Reader& r, uint8_t opcode, std::string* code, std::string* err);

}  // namespace kvd::persist
