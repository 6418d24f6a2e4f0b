#pragma once

#include <cstdint>
#include <string>
#include <vector>

// The AOF manifest (appendonly.aof.manifest): one line per file,
// "file <name> seq <n> type <b|h|i>", in Redis 7.0's format. The base file
// comes first, then the history files (to be deleted), then the incr files
// in the order they are replayed.
namespace kvd::persist::aof {

struct AofFile {
  std::string name;
  int64_t seq = 0;
  char type = 'i';  // 'b' base, 'h' history, 'i' incr
};

struct AofManifest {
  bool has_base = false;
  AofFile base;
  std::vector<AofFile> incrs;
  std::vector<AofFile> history;
  int64_t base_seq = 0;  // the highest seq a base file had
  int64_t incr_seq = 0;  // the highest seq an incr file had

  bool empty() const { return !has_base && incrs.empty(); }
  std::string format() const;
  // `prefix` is appendfilename. A new base ("<prefix>.<seq>.base.rdb" or
  // ".base.aof"); the previous one becomes history.
  std::string new_base(const std::string& prefix, bool rdb);
  std::string new_incr(const std::string& prefix);
  // After a rewrite: every incr but the last one becomes history.
  void retire_incrs_but_last();
};

// Parses a manifest's text. Returns "" or Redis's message; *line_no and
// *line tell where it failed (0 when not at a line).
std::string parse_manifest(const std::string& text, AofManifest* out, int* line_no,
                           std::string* line);

}  // namespace kvd::persist::aof
