// WATCH bookkeeping: which clients watch which keys, and how changes to the
// keyspace make their next EXEC fail.
#include <algorithm>

#include "kvd/engine/engine.hpp"
#include "kvd/engine/tracking.hpp"
#include "kvd/engine/transaction.hpp"

namespace kvd::engine {
namespace {

bool key_is_expired(Database& db, std::string_view key, int64_t now_ms) {
  Entry* e = db.find_raw(key);
  return e && db.is_expired(e, now_ms);
}

}  // namespace

TransactionState& tx_state(Client& c) {
  if (!c.tx) c.tx = std::make_shared<TransactionState>();
  return *c.tx;
}

bool in_multi(const Client& c) {
  return c.tx && c.tx->in_multi;
}

void Engine::watch_key(Client& c, int db, std::string_view key) {
  TransactionState& tx = tx_state(c);
  for (const WatchedKey& w : tx.watched)
    if (w.db == db && w.key == key) return;  // already watched
  bool expired = key_is_expired(*dbs_[db], key, clock_.now_ms());
  tx.watched.push_back(WatchedKey{db, std::string(key), expired});
  watches_->by_db[db][std::string(key)].push_back({&c, tx.watched.size() - 1});
}

void Engine::unwatch_all(Client& c) {
  if (!c.tx) return;
  for (const WatchedKey& w : c.tx->watched) {
    auto& keys = watches_->by_db[w.db];
    auto it = keys.find(w.key);
    if (it == keys.end()) continue;
    auto& v = it->second;
    v.erase(std::remove_if(v.begin(), v.end(),
                           [&](const WatchRegistry::Watcher& x) { return x.client == &c; }),
            v.end());
    if (v.empty()) keys.erase(it);
  }
  c.tx->watched.clear();
}

// Marks the watchers of `key` dirty. A key that was already expired when
// watched and is now gone did not logically change (Redis's rule).
void Engine::signal_modified_key(int db, std::string_view key) {
  // A waited-on key that was deleted or overwritten: XREADGROUP waiters must be
  // told (Redis's signalDeletedKeyAsReady); others re-check and stay blocked.
  signal_key_ready(db, key);
  if (!tracking_->idle()) tracking_->invalidate_key(key);
  auto& keys = watches_->by_db[db];
  if (keys.empty()) return;
  auto it = keys.find(std::string(key));
  if (it == keys.end()) return;
  for (const auto& w : it->second) {
    WatchedKey& wk = w.client->tx->watched[w.index];
    if (wk.expired) {
      if (!dbs_[db]->find_raw(key)) wk.expired = false;
      continue;
    }
    w.client->tx->dirty_cas = true;
  }
}

void Engine::touch_watched_keys_in_db(int emptied, int replaced_with) {
  touch_watched_keys_against(emptied, replaced_with >= 0 ? dbs_[replaced_with].get() : nullptr);
}

void Engine::touch_watched_keys_against(int emptied, Database* with) {
  auto& keys = watches_->by_db[emptied];
  Database& from = *dbs_[emptied];
  int64_t now = clock_.now_ms();
  for (auto& [key, watchers] : keys) {
    bool in_emptied = from.find_raw(key) != nullptr;
    bool in_with = with && with->find_raw(key) != nullptr;
    if (!in_emptied && !in_with) continue;
    for (const auto& w : watchers) {
      WatchedKey& wk = w.client->tx->watched[w.index];
      if (wk.expired) {
        if (!in_with) {
          wk.expired = false;  // the stale key is simply gone now
          continue;
        }
        if (key_is_expired(*with, key, now)) continue;  // stale stays stale
      } else if (!in_emptied && key_is_expired(*with, key, now)) {
        wk.expired = true;  // missing key replaced by a stale one
        continue;
      }
      w.client->tx->dirty_cas = true;
    }
  }
}

void Engine::forget_watch(Client& c) {
  if (!c.tx) return;
  unwatch_all(c);
  c.tx->in_multi = false;
  c.tx->dirty_cas = false;
  c.tx->dirty_exec = false;
  c.tx->has_denyoom = false;
  c.tx->has_write = false;
  c.tx->queue.clear();
}

void Engine::on_key_expired(int db, std::string_view key) {
  // Replicas and the AOF never expire keys themselves: they are told.
  if (propagation_.active()) propagation_.emit(db, effect_argv({"DEL", key}));
  notify_keyspace_event('x', "expired", key, db);
  Tracking::ServerChange by_server(*tracking_);
  signal_modified_key(db, key);
}

}  // namespace kvd::engine
