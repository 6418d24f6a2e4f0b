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
  // Who paused: CLIENT PAUSE, or a FAILOVER holding writes while a replica
  // catches up. Each ends on its own (as Redis's pause purposes), so one
  // never lifts the other.
  enum class Purpose { kCommand, kFailover };

  // Starts a pause, or widens that purpose's current one: the later end and
  // the stricter mode win, as in Redis.
  void pause(int64_t end_ms, Mode mode, Purpose p = Purpose::kCommand);
  // Ends that purpose's pause; the postponed clients are then for the
  // engine to run (those still paused by the other wait again).
  void unpause(Purpose p = Purpose::kCommand);
  // Ends the pauses whose deadline passed; true if one ended.
  bool expire(int64_t now_ms);
  bool active() const { return active_; }
  bool all() const;
  // The earliest deadline among the pauses in force.
  int64_t end_ms() const;
  // Read by Database and the evictor: expiry and eviction wait too.
  const bool* active_flag() const { return &active_; }

  // Clients whose command waits, oldest first.
  void postpone(Client& c) { postponed_.push_back(&c); }
  void forget(Client& c);
  std::deque<Client*> take_postponed() { return std::exchange(postponed_, {}); }
  size_t postponed_count() const { return postponed_.size(); }

 private:
  struct Slot {
    bool on = false;
    Mode mode = Mode::kWrite;
    int64_t end_ms = 0;
  };
  Slot& slot(Purpose p) { return slots_[p == Purpose::kCommand ? 0 : 1]; }
  void refresh() { active_ = slots_[0].on || slots_[1].on; }

  bool active_ = false;
  Slot slots_[2];
  std::deque<Client*> postponed_;
};

}  // namespace kvd::engine
