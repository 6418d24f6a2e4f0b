#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace kvd::protocol {

// Incremental parser for client requests: RESP multibulk (`*2\r\n$3\r\nGET\r\n...`)
// and inline commands (`PING\r\n`). Pure: it sees bytes, never sockets.
//
// The caller keeps unconsumed bytes in its own buffer and calls parse() with the
// buffer starting at the first byte of the pending command, each time more bytes
// arrive. Progress is remembered as offsets relative to that start, so the caller
// may move or grow its buffer between calls.
class RequestParser {
 public:
  enum class Status { kNeedMore, kCommand, kError };

  struct Limits {
    int64_t max_bulk_len = 512LL * 1024 * 1024;  // proto-max-bulk-len
  };

  // Inline requests and multibulk/bulk headers longer than this are protocol errors.
  static constexpr size_t kMaxInlineSize = 64 * 1024;

  RequestParser() = default;
  explicit RequestParser(Limits limits) : limits_(limits) {}

  void set_max_bulk_len(int64_t n) { limits_.max_bulk_len = n; }
  // A client that still has to authenticate may send at most 10 arguments
  // of at most 16 KiB each, as in Redis: an anonymous peer cannot make the
  // server buffer a large request.
  void set_auth_required(bool required) { auth_required_ = required; }

  // Parses one command from data[0, len). On kCommand, args() holds views into
  // `data` (or into parser-owned storage for inline commands) valid until the next
  // call, and consumed() tells how many bytes the command took. An empty command
  // (blank inline line, `*0`) is reported as kCommand with no args.
  Status parse(const char* data, size_t len);

  const std::vector<std::string_view>& args() const { return args_; }
  size_t consumed() const { return consumed_; }
  // The Redis error text (without "-ERR "), valid after kError.
  const std::string& error() const;
  // Bytes the pending command still needs at least, so the caller can reserve.
  size_t bytes_expected() const;
  // While the payload of a big bulk (32 KB or more) is being read: the bytes
  // of the pending command before it (headers, earlier arguments); else 0.
  // Redis moves those into the argument vector then, so its CLIENT LIST
  // counts them as argv-mem and only the payload as qbuf; kvd reports the same.
  size_t bytes_before_big_bulk() const;
  static constexpr int64_t kBigBulk = 32 * 1024;
  // Discards partial progress; the next parse() starts a new command.
  void reset();
  // Between commands: frees the argument tables if a command with very many
  // arguments grew them (100,000 arguments hold 3 MB).
  void release_memory();

 private:
  Status parse_inline(const char* data, size_t len);
  Status parse_multibulk(const char* data, size_t len);
  Status fail(std::string msg);

  Limits limits_;
  bool auth_required_ = false;
  // Multibulk progress, relative to the command start.
  int64_t multibulk_len_ = 0;  // arguments still to read; 0 = header not read yet
  int64_t bulk_len_ = -1;      // length of the bulk being read, -1 = header not read
  size_t pos_ = 0;             // parse position
  std::vector<std::pair<size_t, size_t>> offsets_;  // (offset, length) per argument
  std::vector<std::string_view> args_;
  // What only inline commands and errors need, allocated on first use: one
  // parser per connection, so its idle size matters.
  struct Rare {
    std::vector<std::string> inline_args;
    std::string error;
  };
  Rare& rare();
  size_t consumed_ = 0;
  std::unique_ptr<Rare> rare_;
};

}  // namespace kvd::protocol
