#pragma once

#include <cstddef>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace kvd::protocol {

// Complete commands parsed on one thread (an I/O thread) and run on another
// (the main thread). The argument bytes are copied into one buffer owned by the
// batch, so the parsing side may keep reading into its query buffer while the
// batch is away. clear() keeps the capacity: a connection reuses one batch.
class RequestBatch {
 public:
  // Appends one command (args[0] = name).
  void add(const std::vector<std::string_view>& args);
  // A protocol error that followed the commands: the caller replies with it and
  // closes the connection after running them.
  void set_error(std::string msg) { error_ = std::move(msg); }
  const std::string& error() const { return error_; }
  bool has_error() const { return !error_.empty(); }

  size_t size() const { return command_ends_.size(); }
  bool empty() const { return command_ends_.empty() && error_.empty(); }
  size_t bytes() const { return bytes_.size(); }
  // The commands' size on the wire (RESP framing included), as the parser
  // consumed them: what Redis's query buffer holds while they run.
  size_t wire_bytes() const { return wire_bytes_; }
  void add_wire_bytes(size_t n) { wire_bytes_ += n; }

  // The arguments of command i, valid until the batch changes.
  std::span<const std::string_view> command(size_t i);

  void clear();
  // clear(), and gives every buffer back (an idle connection's batch).
  void release();

 private:
  void build_views();

  std::string bytes_;
  std::vector<std::pair<size_t, size_t>> spans_;  // (offset, length) into bytes_
  std::vector<size_t> command_ends_;              // one past the last span of each command
  std::vector<std::string_view> views_;           // built on first access
  bool views_built_ = false;
  size_t wire_bytes_ = 0;
  std::string error_;
};

}  // namespace kvd::protocol
