#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "kvd/engine/command.hpp"

namespace kvd::engine {

class Engine;
struct Client;

// A client's CLIENT TRACKING settings (Client::tracking).
struct TrackingState {
  bool on = false;
  bool bcast = false;
  bool optin = false;
  bool optout = false;
  bool noloop = false;
  // CLIENT CACHING YES (optin) / NO (optout) was given for the next command.
  bool caching = false;
  // The redirect client was gone when an invalidation was due.
  bool broken_redirect = false;
  uint64_t redirect = 0;
  std::set<std::string> prefixes;  // BCAST prefixes, sorted as TRACKINGINFO lists them
};

// True while the client has CLIENT TRACKING on.
bool tracking_on(const Client& c);

// Server-assisted client side caching: which clients may hold which keys,
// and the invalidation messages sent to them when those keys change.
//
// Default mode keeps a table key -> ids of clients that read it; a change
// sends each of them one message and forgets the key. BCAST mode keeps
// prefixes instead and reports every changed key under a prefix, batched
// until flush_broadcasts(). While a command runs (between begin_command and
// end_command) messages wait, so they follow the command's reply.
class Tracking {
 public:
  explicit Tracking(Engine& engine) : engine_(engine) {}

  struct Options {
    bool bcast = false;
    bool optin = false;
    bool optout = false;
    bool noloop = false;
    uint64_t redirect = 0;
    std::vector<std::string> prefixes;
  };
  // CLIENT TRACKING ON with validated options; adds to the prefixes it has.
  void enable(Client& c, const Options& o);
  // CLIENT TRACKING OFF, RESET, disconnect.
  void disable(Client& c);
  // The error for BCAST prefixes that overlap each other or the client's
  // own, empty when there is none.
  std::string prefix_collision(const Client& c, const std::vector<std::string>& prefixes) const;

  // Remembers that `reader` read these keys (a read-only command ran).
  void remember_keys(Client& reader, const std::vector<std::string_view>& keys);
  // A key changed: invalidates it for default-mode readers and, when
  // `broadcast`, records it for BCAST prefixes.
  void invalidate_key(std::string_view key, bool broadcast = true);
  // FLUSHDB / FLUSHALL: every tracking client gets a null invalidation and
  // the table is emptied.
  void invalidate_all();
  // tracking-table-max-keys: forgets keys (with an invalidation) while the
  // table is over `max_keys`, within a growing effort per call.
  void limit_table(uint64_t max_keys);
  // Sends the BCAST messages collected since the last call.
  void flush_broadcasts();

  // A command `c` ran: when read-only, remembers its keys for the tracking
  // client behind it (a script's commands: the keys the script declared).
  void after_command(Client& c, const CommandSpec& spec, Args args);
  // While one lives, key changes are the server's own (expiry, eviction):
  // BCAST NOLOOP clients hear of them even during their own commands.
  class ServerChange {
   public:
    explicit ServerChange(Tracking& t) : t_(t), was_(t.server_change_) { t.server_change_ = true; }
    ~ServerChange() { t_.server_change_ = was_; }
    ServerChange(const ServerChange&) = delete;
    ServerChange& operator=(const ServerChange&) = delete;

   private:
    Tracking& t_;
    bool was_;
  };
  // The top-level command of `c` starts / ends; nested calls just count.
  void begin_command(Client& c, const CommandSpec& spec, Args args);
  void end_command();
  // The client running the current top-level command (nullptr outside one).
  Client* current() const { return current_; }
  // Nothing is tracked: key changes need no work.
  bool idle() const { return table_.empty() && prefixes_.empty(); }

  // INFO.
  size_t tracking_clients() const { return clients_; }
  size_t total_keys() const { return table_.size(); }
  uint64_t total_items() const { return items_; }
  size_t total_prefixes() const { return prefixes_.size(); }

 private:
  struct Prefix {
    std::set<Client*> clients;
    // Keys changed since the last broadcast -> id of the client that changed
    // it (0: none), for NOLOOP.
    std::map<std::string, uint64_t> keys;
  };
  struct Pending {
    uint64_t client_id;
    bool flush;  // a null invalidation (FLUSHALL) instead of a key
    std::string key;
  };
  // Sends `payload` (the RESP of the keys part) to `c` or its redirect.
  void send(Client& c, std::string_view payload);
  void send_key(Client& c, std::string_view key);
  void send_null(Client& c);

  Engine& engine_;
  std::unordered_map<std::string, std::unordered_set<uint64_t>> table_;
  uint64_t items_ = 0;
  std::map<std::string, Prefix> prefixes_;
  size_t clients_ = 0;
  Client* current_ = nullptr;
  const CommandSpec* current_spec_ = nullptr;
  Args current_args_;
  int depth_ = 0;
  bool server_change_ = false;
  std::vector<Pending> pending_;
  unsigned limit_rounds_ = 0;  // limit_table calls in a row that stayed over
};

}  // namespace kvd::engine
