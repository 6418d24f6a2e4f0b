#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <string>
#include <vector>

#include "kvd/engine/command.hpp"

namespace kvd::engine {

// The slow log: the last commands that ran for at least
// slowlog-log-slower-than microseconds, newest first, at most slowlog-max-len
// of them. Each entry keeps what Redis's keeps: a unique id, the Unix time it
// was logged, the duration, the arguments (at most 32, each cut at 128 bytes),
// and the client's address and name.
class SlowLog {
 public:
  struct Entry {
    uint64_t id;
    int64_t unix_time;
    int64_t duration_us;
    std::vector<std::string> args;
    std::string peer;
    std::string client_name;
  };

  static constexpr size_t kMaxArgs = 32;
  static constexpr size_t kMaxArgBytes = 128;

  // Records a command, then drops the oldest entries past max_len. Arguments
  // the command declares secret (`secret`, may be null) are given as "(redacted)".
  void push(Args args, SecretArgs secret, int64_t unix_time, int64_t duration_us, std::string peer,
            std::string client_name, size_t max_len) {
    Entry e{next_id_++, unix_time, duration_us, {}, std::move(peer), std::move(client_name)};
    const size_t shown = args.size() > kMaxArgs ? kMaxArgs - 1 : args.size();
    e.args.reserve(shown + 1);
    for (size_t i = 0; i < shown; ++i) {
      const bool hidden = secret && secret(args, i);
      e.args.push_back(hidden ? std::string("(redacted)") : trimmed(args[i]));
    }
    if (shown < args.size()) {
      e.args.push_back("... (" + std::to_string(args.size() - shown) + " more arguments)");
    }
    entries_.push_front(std::move(e));
    trim(max_len);
  }
  void trim(size_t max_len) {
    while (entries_.size() > max_len) entries_.pop_back();
  }
  void reset() { entries_.clear(); }  // ids keep counting, as in Redis
  size_t size() const { return entries_.size(); }
  const std::deque<Entry>& entries() const { return entries_; }

 private:
  static std::string trimmed(std::string_view arg) {
    if (arg.size() <= kMaxArgBytes) return std::string(arg);
    return std::string(arg.substr(0, kMaxArgBytes)) + "... (" +
           std::to_string(arg.size() - kMaxArgBytes) + " more bytes)";
  }

  std::deque<Entry> entries_;
  uint64_t next_id_ = 0;
};

}  // namespace kvd::engine
