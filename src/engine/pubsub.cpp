// The Pub/Sub registry: who is subscribed to what, and delivery of messages
// to subscribers' out-of-band writers. The commands are in
// src/commands/pubsub_commands.cpp.
#include "kvd/engine/pubsub.hpp"

#include <algorithm>

#include "kvd/common/strings.hpp"
#include "kvd/engine/engine.hpp"

namespace kvd::engine {

bool in_pubsub_mode(const Client& c) {
  return c.pubsub && c.pubsub->total() > 0;
}

namespace {

PubSubState& state_of(Client& c) {
  if (!c.pubsub) c.pubsub = std::make_shared<PubSubState>();
  return *c.pubsub;
}

std::unordered_set<std::string>& set_of(PubSubState& s, PubSub::Kind kind) {
  switch (kind) {
    case PubSub::Kind::kChannel:
      return s.channels;
    case PubSub::Kind::kPattern:
      return s.patterns;
    case PubSub::Kind::kShard:
      break;
  }
  return s.shard_channels;
}

// Writes one message to a subscriber and asks its connection to flush it.
template <typename Fn>
void deliver(Client& c, Fn&& write) {
  if (!c.writer) return;
  c.writer->set_resp(c.resp);
  write(*c.writer);
  if (c.conn) c.conn->schedule_flush();
}

}  // namespace

const std::unordered_set<std::string>& PubSub::names(const PubSubState& s, Kind kind) {
  return set_of(const_cast<PubSubState&>(s), kind);
}

bool PubSub::subscribe(Client& c, Kind kind, std::string_view name) {
  if (!set_of(state_of(c), kind).emplace(name).second) return false;
  by_name_[index(kind)][std::string(name)].push_back(&c);
  return true;
}

bool PubSub::unsubscribe(Client& c, Kind kind, std::string_view name) {
  if (!c.pubsub) return false;
  auto& mine = set_of(*c.pubsub, kind);
  auto it = mine.find(std::string(name));
  if (it == mine.end()) return false;
  mine.erase(it);
  auto& reg = by_name_[index(kind)];
  auto r = reg.find(std::string(name));
  if (r != reg.end()) {
    auto& v = r->second;
    v.erase(std::remove(v.begin(), v.end(), &c), v.end());
    if (v.empty()) reg.erase(r);
  }
  return true;
}

size_t PubSub::publish(std::string_view channel, std::string_view message, bool shard) {
  size_t receivers = 0;
  const Registry& chans = by_name_[index(shard ? Kind::kShard : Kind::kChannel)];
  auto it = chans.find(std::string(channel));
  if (it != chans.end()) {
    const char* kind = shard ? "smessage" : "message";
    for (Client* c : it->second) {
      deliver(*c, [&](protocol::ReplyWriter& w) {
        w.push(3);
        w.bulk(kind);
        w.bulk(channel);
        w.bulk(message);
      });
      ++receivers;
    }
  }
  if (shard) return receivers;  // patterns never match shard channels
  for (const auto& [pattern, clients] : by_name_[index(Kind::kPattern)]) {
    if (!glob_match(pattern, channel)) continue;
    for (Client* c : clients) {
      deliver(*c, [&](protocol::ReplyWriter& w) {
        w.push(4);
        w.bulk("pmessage");
        w.bulk(pattern);
        w.bulk(channel);
        w.bulk(message);
      });
      ++receivers;
    }
  }
  return receivers;
}

std::vector<std::string> PubSub::channels(std::string_view pattern, bool shard) const {
  std::vector<std::string> out;
  for (const auto& [name, clients] : by_name_[index(shard ? Kind::kShard : Kind::kChannel)])
    if (pattern.empty() || glob_match(pattern, name)) out.push_back(name);
  return out;
}

size_t PubSub::subscribers(std::string_view channel, bool shard) const {
  const Registry& reg = by_name_[index(shard ? Kind::kShard : Kind::kChannel)];
  auto it = reg.find(std::string(channel));
  return it == reg.end() ? 0 : it->second.size();
}

void Engine::forget_pubsub(Client& c) {
  if (!c.pubsub) return;
  for (auto kind : {PubSub::Kind::kChannel, PubSub::Kind::kPattern, PubSub::Kind::kShard}) {
    std::vector<std::string> names(set_of(*c.pubsub, kind).begin(), set_of(*c.pubsub, kind).end());
    for (const auto& n : names) pubsub_->unsubscribe(c, kind, n);
  }
}

bool Engine::reject_in_pubsub_context(Client& c, const CommandSpec& spec,
                                      protocol::ReplyWriter& out) {
  if (c.resp != 2 || !in_pubsub_mode(c)) return false;
  const CommandSpec& top = spec.parent ? *spec.parent : spec;
  if (top.flags & kSubscribedOk) return false;
  reject(c, out, &spec,
         "ERR Can't execute '" + spec.fullname +
             "': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / RESET are allowed in "
             "this context");
  return true;
}

}  // namespace kvd::engine
