#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "kvd/engine/client.hpp"

namespace kvd::engine {

class Engine;

// What one client holds, in bytes, as CLIENT LIST shows it (qbuf, multi-mem,
// omem, tot-mem) and as maxmemory-clients counts it. Kernel socket buffers
// are not counted, as in Redis.
struct ClientMemory {
  size_t query = 0;   // query buffer, used and free (qbuf + qbuf-free)
  size_t output = 0;  // reply blocks allocated
  size_t multi = 0;   // commands queued by MULTI
  size_t other = 0;   // the client itself, its name, WATCH list, subscriptions, tracking prefixes
  size_t total() const { return query + output + multi + other; }
};
ClientMemory measure_client(const Client& c);

// maxmemory-clients: when all clients together hold more than the limit, the
// biggest evictable ones are disconnected until the rest fit. A client's
// figure is refreshed when its memory may have grown (after each of its
// commands, a read into its query buffer, a reply written to it by someone
// else's command) and for every client by cron; only when the running total
// passes the limit are all clients measured again and sorted. Evictable:
// ordinary and pub/sub clients without CLIENT NO-EVICT that hold at least
// 32 KB (Redis's smallest eviction bucket; smaller clients are never worth
// a disconnection).
class ClientEviction {
 public:
  explicit ClientEviction(Engine& engine) : engine_(engine) {}

  // Re-reads maxmemory-clients ("0", bytes, or "N%" of maxmemory).
  void configure(std::string_view setting);
  // The limit in force in bytes; 0 means off (also N% while maxmemory is 0).
  uint64_t limit() const;
  bool enabled() const { return limit() > 0; }

  // The client's memory may have changed: update the running total and evict
  // if it is over the limit. Cheap when the limit is off.
  void note(Client& c);
  // Measures every client and evicts until the total fits (cron, CONFIG SET).
  void enforce();
  // A client went away: its share leaves the total.
  void forget(Client& c);

  uint64_t evicted() const { return evicted_; }
  void reset_stats() { evicted_ = 0; }

  static constexpr size_t kMinEvictableBytes = 32 * 1024;

 private:
  Engine& engine_;
  uint64_t bytes_ = 0;  // a fixed limit in bytes
  int percent_ = 0;     // or a share of maxmemory
  uint64_t total_ = 0;  // sum of every client's mem_accounted
  uint64_t evicted_ = 0;
  bool enforcing_ = false;
};

}  // namespace kvd::engine
