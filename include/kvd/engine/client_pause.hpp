#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <utility>

namespace kvd::engine {

struct Client;

// CLIENT PAUSE: for a while, the commands of normal clients that may change
// data (WRITE) or all their commands (ALL) wait, as Redis's BLOCKED_POSTPONE.
// A waiting command is run, in arrival order, once the pause ends (CLIENT
// UNPAUSE or its deadline). While any pause is in force keys neither expire
// nor are evicted: a lookup treats an expired key as missing but leaves it.
class ClientPause {
 public:
  enum class Mode { kWrite, kAll };

  // Starts a pause, or widens the current one: the later end and the stricter
  // mode win, as in Redis.
  void pause(int64_t end_ms, Mode mode);
  // Ends the pause; the postponed clients are then for the engine to run.
  void unpause() { active_ = false; }
  bool active() const { return active_; }
  bool all() const { return active_ && mode_ == Mode::kAll; }
  int64_t end_ms() const { return end_ms_; }
  // Read by Database and the evictor: expiry and eviction wait too.
  const bool* active_flag() const { return &active_; }

  // Clients whose command waits, oldest first.
  void postpone(Client& c) { postponed_.push_back(&c); }
  void forget(Client& c);
  std::deque<Client*> take_postponed() { return std::exchange(postponed_, {}); }
  size_t postponed_count() const { return postponed_.size(); }

 private:
  bool active_ = false;
  Mode mode_ = Mode::kWrite;
  int64_t end_ms_ = 0;
  std::deque<Client*> postponed_;
};

}  // namespace kvd::engine
