#include "kvd/engine/client_eviction.hpp"

#include <algorithm>
#include <cstdlib>
#include <string>
#include <utility>
#include <vector>

#include <spdlog/spdlog.h>

#include "kvd/engine/engine.hpp"
#include "kvd/engine/pubsub.hpp"
#include "kvd/engine/tracking.hpp"
#include "kvd/engine/transaction.hpp"

namespace kvd::engine {
namespace {

// Heap bytes of a string beyond its own object (none while it fits the
// small-string buffer).
size_t heap_bytes(const std::string& s) {
  return s.capacity() > 15 ? s.capacity() + 1 : 0;
}

// One entry of a hash set or tree node plus its string, and the same key's
// entry in the server-wide registry (channel -> subscribers, key -> watchers).
constexpr size_t kIndexedEntryOverhead = 96;

}  // namespace

ClientMemory measure_client(const Client& c) {
  ClientMemory m;
  m.other = sizeof(Client) + heap_bytes(c.name);
  if (c.lib) m.other += sizeof(Client::LibInfo) + c.lib->name.size() + c.lib->ver.size();
  if (c.conn) {
    m.query = c.conn->query_buffer_used() + c.conn->query_buffer_free() + c.conn->argv_bytes();
    m.output = c.conn->output_allocated();
  }
  if (c.tx) {
    for (const auto& argv : c.tx->queue) {
      m.multi += sizeof(argv) + argv.capacity() * sizeof(std::string);
      for (const auto& a : argv) m.multi += heap_bytes(a);
    }
    for (const auto& w : c.tx->watched) m.other += sizeof(w) + w.key.size() + kIndexedEntryOverhead;
  }
  if (c.pubsub) {
    for (const auto* set : {&c.pubsub->channels, &c.pubsub->patterns, &c.pubsub->shard_channels})
      for (const auto& name : *set) m.other += name.size() + kIndexedEntryOverhead;
  }
  if (c.tracking) {
    for (const auto& p : c.tracking->prefixes) m.other += p.size() + kIndexedEntryOverhead;
  }
  return m;
}

void ClientEviction::configure(std::string_view setting) {
  bytes_ = 0;
  percent_ = 0;
  std::string s(setting);
  if (!s.empty() && s.back() == '%') {
    percent_ = std::atoi(s.c_str());
  } else {
    bytes_ = std::strtoull(s.c_str(), nullptr, 10);
  }
}

uint64_t ClientEviction::limit() const {
  if (percent_ > 0) {
    auto maxmemory = static_cast<uint64_t>(engine_.config().v().maxmemory);
    return maxmemory / 100 * static_cast<uint64_t>(percent_) +
           maxmemory % 100 * static_cast<uint64_t>(percent_) / 100;
  }
  return bytes_;
}

void ClientEviction::note(Client& c) {
  uint64_t lim = limit();
  if (lim == 0 || c.evicted) return;
  size_t now = measure_client(c).total();
  total_ = total_ - c.mem_accounted + now;
  c.mem_accounted = now;
  if (total_ > lim) enforce();
}

void ClientEviction::forget(Client& c) {
  total_ -= std::min<uint64_t>(total_, c.mem_accounted);
  c.mem_accounted = 0;
}

void ClientEviction::enforce() {
  uint64_t lim = limit();
  // Closing a client may run code that reports memory again.
  if (enforcing_) return;
  if (lim == 0) {
    total_ = 0;
    for (const auto& [id, c] : engine_.clients()) c->mem_accounted = 0;
    return;
  }
  enforcing_ = true;
  // The running total drifts (a client's output drains without a report):
  // count every client again, then evict from the biggest down.
  std::vector<std::pair<size_t, Client*>> candidates;
  total_ = 0;
  for (const auto& [id, c] : engine_.clients()) {
    c->mem_accounted = measure_client(*c).total();
    total_ += c->mem_accounted;
    // Clients without a connection (scripts, the AOF loader) and the ones
    // that asked are never evicted, nor are small ones.
    if (c->evicted) {
      c->mem_accounted = 0;
      continue;
    }
    if (c->conn && !c->no_evict && !c->script && !c->replica && !c->master_link &&
        c->mem_accounted >= kMinEvictableBytes)
      candidates.emplace_back(c->mem_accounted, c);
  }
  if (total_ > lim) {
    std::sort(candidates.begin(), candidates.end(),
              [](const auto& a, const auto& b) { return a.first > b.first; });
    for (auto& [mem, c] : candidates) {
      if (total_ <= lim) break;
      ++evicted_;
      c->evicted = true;
      // Redis logs the client's CLIENT LIST line at verbose level.
      spdlog::debug("Evicting client: id={} addr={} name={} tot-mem={}", c->id,
                    c->conn->peer_address(), c->name, mem);
      total_ -= mem;
      c->mem_accounted = 0;
      // Closed by the server once this command is done: the engine may be
      // iterating its clients right now.
      c->conn->drop_soon();
    }
  }
  enforcing_ = false;
}

}  // namespace kvd::engine
