#pragma once

#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace kvd::engine {

struct Client;

// A key a client WATCHes. `expired` remembers that the key was already
// logically expired when watched: its deletion by expiry is then no change.
struct WatchedKey {
  int db;
  std::string key;
  bool expired;
};

// A client's MULTI queue and WATCH list (Client::tx).
struct TransactionState {
  bool in_multi = false;
  bool dirty_cas = false;    // a watched key changed: EXEC replies a null array
  bool dirty_exec = false;   // a command was rejected while queueing: EXECABORT
  bool has_denyoom = false;  // a queued command may grow memory (EXEC checks maxmemory)
  bool has_write = false;    // a queued command may change data (CLIENT PAUSE WRITE holds EXEC)
  std::vector<std::vector<std::string>> queue;
  std::vector<WatchedKey> watched;
};

// Per database: key -> clients watching it, each with the index of the key in
// the client's TransactionState::watched (clients only ever unwatch all keys
// at once, so the indexes stay valid).
struct WatchRegistry {
  struct Watcher {
    Client* client;
    size_t index;
  };
  std::vector<std::unordered_map<std::string, std::vector<Watcher>>> by_db;
};

// The client's transaction state, created on first use.
TransactionState& tx_state(Client& c);
bool in_multi(const Client& c);

}  // namespace kvd::engine
