// Client side caching (CLIENT TRACKING): the tracking table, BCAST prefixes
// and the invalidation messages. The commands are in
// src/commands/client_tracking.cpp.
#include "kvd/engine/tracking.hpp"

#include <algorithm>

#include "kvd/engine/engine.hpp"
#include "kvd/engine/pubsub.hpp"

namespace kvd::engine {

namespace {

constexpr std::string_view kChannel = "__redis__:invalidate";

std::string bulk_of(std::string_view s) {
  std::string r = "$" + std::to_string(s.size()) + "\r\n";
  r.append(s);
  r += "\r\n";
  return r;
}

// Writes to a client outside its own reply and has its connection flush it.
template <typename Fn>
void push_to(Client& c, Fn&& write) {
  if (!c.writer) return;
  c.writer->set_resp(c.resp);
  write(*c.writer);
  if (c.conn) c.conn->schedule_flush();
}

bool overlap(std::string_view a, std::string_view b) {
  size_t n = std::min(a.size(), b.size());
  return a.substr(0, n) == b.substr(0, n);
}

}  // namespace

bool tracking_on(const Client& c) {
  return c.tracking && c.tracking->on;
}

void Tracking::enable(Client& c, const Options& o) {
  if (!c.tracking) c.tracking = std::make_shared<TrackingState>();
  TrackingState& t = *c.tracking;
  if (!t.on) ++clients_;
  t.on = true;
  t.broken_redirect = false;
  t.redirect = o.redirect;
  t.bcast = o.bcast;
  t.optin = o.optin;
  t.optout = o.optout;
  t.noloop = o.noloop;
  if (!o.bcast) return;
  std::vector<std::string> add = o.prefixes;
  if (add.empty()) add.emplace_back();
  for (auto& p : add) {
    Prefix& entry = prefixes_[p];
    if (entry.clients.insert(&c).second) t.prefixes.insert(p);
  }
}

void Tracking::disable(Client& c) {
  if (!c.tracking) return;
  TrackingState& t = *c.tracking;
  for (const auto& p : t.prefixes) {
    auto it = prefixes_.find(p);
    if (it == prefixes_.end()) continue;
    it->second.clients.erase(&c);
    if (it->second.clients.empty()) prefixes_.erase(it);
  }
  t.prefixes.clear();
  if (t.on) --clients_;
  t.on = t.bcast = t.optin = t.optout = t.noloop = t.caching = t.broken_redirect = false;
}

std::string Tracking::prefix_collision(const Client& c,
                                       const std::vector<std::string>& prefixes) const {
  const auto tail = ". Prefixes for a single client must not overlap.";
  for (size_t i = 0; i < prefixes.size(); ++i) {
    if (c.tracking) {
      for (const auto& mine : c.tracking->prefixes) {
        if (overlap(mine, prefixes[i])) {
          return "ERR Prefix '" + prefixes[i] + "' overlaps with an existing prefix '" + mine +
                 "'" + tail;
        }
      }
    }
    for (size_t j = i + 1; j < prefixes.size(); ++j) {
      if (overlap(prefixes[i], prefixes[j])) {
        return "ERR Prefix '" + prefixes[i] + "' overlaps with another provided prefix '" +
               prefixes[j] + "'" + tail;
      }
    }
  }
  return {};
}

void Tracking::remember_keys(Client& reader, const std::vector<std::string_view>& keys) {
  const TrackingState& t = *reader.tracking;
  // OPTIN tracks only after CACHING YES, OPTOUT all but after CACHING NO.
  if ((t.optin && !t.caching) || (t.optout && t.caching)) return;
  for (std::string_view key : keys) {
    auto it = table_.find(std::string(key));
    if (it == table_.end())
      it = table_.emplace(std::string(key), std::unordered_set<uint64_t>{}).first;
    if (it->second.insert(reader.id).second) ++items_;
  }
}

void Tracking::invalidate_key(std::string_view key, bool broadcast) {
  if (broadcast && !prefixes_.empty()) {
    const uint64_t by = current_ && !server_change_ ? current_->id : 0;
    for (auto& [prefix, entry] : prefixes_) {
      if (key.substr(0, prefix.size()) == prefix && key.size() >= prefix.size())
        entry.keys[std::string(key)] = by;
    }
  }
  auto it = table_.find(std::string(key));
  if (it == table_.end()) return;
  // Taken out of the table first: a message may not reach back into it.
  std::unordered_set<uint64_t> ids = std::move(it->second);
  table_.erase(it);
  items_ -= ids.size();
  const auto& clients = engine_.clients();
  for (uint64_t id : ids) {
    auto c = clients.find(id);
    if (c == clients.end()) continue;
    Client& target = *c->second;
    if (!tracking_on(target) || target.tracking->bcast) continue;
    if (target.tracking->noloop && &target == current_) continue;
    if (depth_ > 0) {
      pending_.push_back({id, false, std::string(key)});
    } else {
      send_key(target, key);
    }
  }
}

void Tracking::invalidate_all() {
  if (clients_ > 0) {
    for (const auto& [id, c] : engine_.clients()) {
      if (!tracking_on(*c)) continue;
      if (depth_ > 0) {
        pending_.push_back({id, true, {}});
      } else {
        send_null(*c);
      }
    }
  }
  table_.clear();
  items_ = 0;
}

void Tracking::limit_table(uint64_t max_keys) {
  if (max_keys == 0 || table_.size() <= max_keys) {
    limit_rounds_ = 0;
    return;
  }
  // Each call tries harder than the last one that left the table over.
  uint64_t effort = 100ULL * (limit_rounds_ + 1);
  while (effort-- > 0 && !table_.empty()) {
    std::string key = table_.begin()->first;
    invalidate_key(key, false);
    if (table_.size() <= max_keys) {
      limit_rounds_ = 0;
      return;
    }
  }
  ++limit_rounds_;
}

void Tracking::flush_broadcasts() {
  if (prefixes_.empty() || clients_ == 0) return;
  for (auto& [prefix, entry] : prefixes_) {
    if (entry.keys.empty()) continue;
    std::map<std::string, uint64_t> keys;
    keys.swap(entry.keys);
    std::string all = "*" + std::to_string(keys.size()) + "\r\n";
    for (const auto& [k, by] : keys) all += bulk_of(k);
    // A client may go away (or change its prefixes) while we write: copy.
    std::vector<Client*> clients(entry.clients.begin(), entry.clients.end());
    for (Client* c : clients) {
      if (!c->tracking || !c->tracking->noloop) {
        send(*c, all);
        continue;
      }
      std::string body;
      size_t n = 0;
      for (const auto& [k, by] : keys) {
        if (by == c->id) continue;
        body += bulk_of(k);
        ++n;
      }
      if (n == 0) continue;
      send(*c, "*" + std::to_string(n) + "\r\n" + body);
    }
  }
}

void Tracking::after_command(Client& c, const CommandSpec& spec, Args args) {
  if (clients_ == 0 || !(spec.flags & kReadonly) || (spec.flags & kPubsub)) return;
  // The read-only script commands track what their script reads, not what
  // they declare.
  const std::string& name = spec.fullname;
  if (name == "eval_ro" || name == "evalsha_ro" || name == "fcall_ro") return;
  Client* reader = &c;
  const CommandSpec* keys_of = &spec;
  if (c.script && current_ && current_spec_) {
    reader = current_;
    keys_of = current_spec_;
    args = current_args_;
  }
  if (!tracking_on(*reader) || reader->tracking->bcast) return;
  std::vector<int> positions = engine_.commands().key_positions(*keys_of, args);
  if (positions.empty()) return;
  std::vector<std::string_view> keys;
  keys.reserve(positions.size());
  for (int i : positions) {
    if (i >= 0 && static_cast<size_t>(i) < args.size()) keys.push_back(args[i]);
  }
  remember_keys(*reader, keys);
}

void Tracking::begin_command(Client& c, const CommandSpec& spec, Args args) {
  if (depth_++ > 0) return;
  current_ = &c;
  current_spec_ = &spec;
  current_args_ = args;
}

void Tracking::end_command() {
  if (--depth_ > 0) return;
  std::vector<Pending> pending;
  pending.swap(pending_);
  // Other clients' messages first: Redis sends those at once and holds only
  // the running client's own, which shows when they share a redirect target.
  const uint64_t self = current_ ? current_->id : 0;
  std::stable_partition(pending.begin(), pending.end(),
                        [self](const Pending& p) { return p.client_id != self; });
  const auto& clients = engine_.clients();
  for (const auto& p : pending) {
    auto it = clients.find(p.client_id);
    if (it == clients.end() || !tracking_on(*it->second)) continue;
    if (p.flush) {
      send_null(*it->second);
    } else {
      send_key(*it->second, p.key);
    }
  }
  flush_broadcasts();
  current_ = nullptr;
  current_spec_ = nullptr;
  current_args_ = {};
}

void Tracking::send_key(Client& c, std::string_view key) {
  send(c, "*1\r\n" + bulk_of(key));
}

void Tracking::send_null(Client& c) {
  // The null of the tracking client's protocol, even when redirected.
  send(c, c.resp > 2 ? "_\r\n" : "$-1\r\n");
}

void Tracking::send(Client& c, std::string_view payload) {
  TrackingState& t = *c.tracking;
  Client* to = &c;
  const bool redirected = t.redirect != 0;
  if (redirected) {
    const auto& clients = engine_.clients();
    auto it = clients.find(t.redirect);
    if (it == clients.end()) {
      t.broken_redirect = true;
      if (c.resp > 2) {
        push_to(c, [&](protocol::ReplyWriter& w) {
          w.push(2);
          w.bulk("tracking-redir-broken");
          w.integer(static_cast<int64_t>(t.redirect));
        });
      }
      return;
    }
    to = it->second;
  }
  if (to->resp > 2) {
    push_to(*to, [&](protocol::ReplyWriter& w) {
      w.push(2);
      w.bulk("invalidate");
      w.raw(payload);
    });
  } else if (redirected && in_pubsub_mode(*to)) {
    push_to(*to, [&](protocol::ReplyWriter& w) {
      w.push(3);
      w.bulk("message");
      w.bulk(kChannel);
      w.raw(payload);
    });
  }
}

}  // namespace kvd::engine
