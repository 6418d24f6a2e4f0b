// Pub/Sub: SUBSCRIBE & co, PUBLISH, PUBSUB introspection, and the registry
// that delivers messages to subscribers' out-of-band writers.
#include "kvd/engine/pubsub.hpp"

#include <algorithm>

#include "kvd/common/strings.hpp"
#include "kvd/engine/command_helpers.hpp"

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
  static const char* const kAllowed[] = {"ping",         "subscribe",    "ssubscribe",
                                         "unsubscribe",  "sunsubscribe", "psubscribe",
                                         "punsubscribe", "quit",         "reset"};
  const std::string& name = spec.parent ? spec.parent->name : spec.name;
  for (const char* a : kAllowed)
    if (name == a) return false;
  reject(c, out, &spec,
         "ERR Can't execute '" + spec.fullname +
             "': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / RESET are allowed in "
             "this context");
  return true;
}

namespace {

using Kind = PubSub::Kind;

// The count in (un)subscribe replies: shard subscriptions are counted apart.
int64_t reply_count(const Client& c, Kind kind) {
  if (!c.pubsub) return 0;
  return static_cast<int64_t>(kind == Kind::kShard ? c.pubsub->shard_channels.size()
                                                   : c.pubsub->count());
}

// (Un)subscribe confirmations are pushes: like messages they go out through
// the client's own writer, so CLIENT REPLY OFF does not silence them.
void reply_event(CommandContext& ctx, const char* event, const std::string_view* name, Kind kind) {
  protocol::ReplyWriter& w = ctx.client.writer ? *ctx.client.writer : ctx.out;
  w.set_resp(ctx.client.resp);
  w.push(3);
  w.bulk(event);
  if (name)
    w.bulk(*name);
  else
    w.null();
  w.integer(reply_count(ctx.client, kind));
}

void subscribe_generic(CommandContext& ctx, Kind kind, const char* event, const char* upper) {
  if (ctx.client.in_exec) {
    ctx.out.error(std::string("ERR ") + upper + " isn't allowed for a DENY BLOCKING client");
    return;
  }
  for (size_t i = 1; i < ctx.args.size(); ++i) {
    ctx.engine.pubsub().subscribe(ctx.client, kind, ctx.args[i]);
    reply_event(ctx, event, &ctx.args[i], kind);
  }
}

void unsubscribe_generic(CommandContext& ctx, Kind kind, const char* event) {
  if (ctx.args.size() > 1) {
    for (size_t i = 1; i < ctx.args.size(); ++i) {
      ctx.engine.pubsub().unsubscribe(ctx.client, kind, ctx.args[i]);
      reply_event(ctx, event, &ctx.args[i], kind);
    }
    return;
  }
  // No arguments: leave every subscription of this kind, one reply each.
  std::vector<std::string> names;
  if (ctx.client.pubsub) {
    const auto& s = set_of(*ctx.client.pubsub, kind);
    names.assign(s.begin(), s.end());
  }
  if (names.empty()) {
    reply_event(ctx, event, nullptr, kind);
    return;
  }
  for (const auto& n : names) {
    ctx.engine.pubsub().unsubscribe(ctx.client, kind, n);
    std::string_view v = n;
    reply_event(ctx, event, &v, kind);
  }
}

void cmd_subscribe(CommandContext& ctx) {
  subscribe_generic(ctx, Kind::kChannel, "subscribe", "SUBSCRIBE");
}
void cmd_psubscribe(CommandContext& ctx) {
  subscribe_generic(ctx, Kind::kPattern, "psubscribe", "PSUBSCRIBE");
}
void cmd_ssubscribe(CommandContext& ctx) {
  subscribe_generic(ctx, Kind::kShard, "ssubscribe", "SSUBSCRIBE");
}
void cmd_unsubscribe(CommandContext& ctx) {
  unsubscribe_generic(ctx, Kind::kChannel, "unsubscribe");
}
void cmd_punsubscribe(CommandContext& ctx) {
  unsubscribe_generic(ctx, Kind::kPattern, "punsubscribe");
}
void cmd_sunsubscribe(CommandContext& ctx) {
  unsubscribe_generic(ctx, Kind::kShard, "sunsubscribe");
}

void cmd_publish(CommandContext& ctx) {
  ctx.out.integer(
      static_cast<int64_t>(ctx.engine.pubsub().publish(ctx.args[1], ctx.args[2], false)));
}
void cmd_spublish(CommandContext& ctx) {
  ctx.out.integer(
      static_cast<int64_t>(ctx.engine.pubsub().publish(ctx.args[1], ctx.args[2], true)));
}

void channels_generic(CommandContext& ctx, bool shard) {
  if (ctx.args.size() > 3) {
    reply_arity_error(ctx);
    return;
  }
  std::string_view pattern = ctx.args.size() == 3 ? ctx.args[2] : std::string_view();
  auto names = ctx.engine.pubsub().channels(pattern, shard);
  ctx.out.array(static_cast<int64_t>(names.size()));
  for (const auto& n : names) ctx.out.bulk(n);
}
void cmd_pubsub_channels(CommandContext& ctx) {
  channels_generic(ctx, false);
}
void cmd_pubsub_shardchannels(CommandContext& ctx) {
  channels_generic(ctx, true);
}

void numsub_generic(CommandContext& ctx, bool shard) {
  ctx.out.array(static_cast<int64_t>((ctx.args.size() - 2) * 2));
  for (size_t i = 2; i < ctx.args.size(); ++i) {
    ctx.out.bulk(ctx.args[i]);
    ctx.out.integer(static_cast<int64_t>(ctx.engine.pubsub().subscribers(ctx.args[i], shard)));
  }
}
void cmd_pubsub_numsub(CommandContext& ctx) {
  numsub_generic(ctx, false);
}
void cmd_pubsub_shardnumsub(CommandContext& ctx) {
  numsub_generic(ctx, true);
}
void cmd_pubsub_numpat(CommandContext& ctx) {
  ctx.out.integer(static_cast<int64_t>(ctx.engine.pubsub().pattern_count()));
}

void cmd_pubsub_help(CommandContext& ctx) {
  static const char* const kLines[] = {
      "PUBSUB <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
      "CHANNELS [<pattern>]",
      "    Return the currently active channels matching a <pattern> (default: '*').",
      "NUMPAT",
      "    Return number of subscriptions to patterns.",
      "NUMSUB [<channel> ...]",
      "    Return the number of subscribers for the specified channels, excluding",
      "    pattern subscriptions(default: no channels).",
      "SHARDCHANNELS [<pattern>]",
      "    Return the currently active shard level channels matching a <pattern> (default: '*').",
      "SHARDNUMSUB [<shardchannel> ...]",
      "    Return the number of subscribers for the specified shard level channel(s)",
      "HELP",
      "    Prints this help."};
  ctx.out.array(static_cast<int64_t>(std::size(kLines)));
  for (const char* l : kLines) ctx.out.simple(l);
}

void cmd_pubsub(CommandContext& ctx) {
  ctx.out.error("ERR wrong number of arguments for 'pubsub' command");
}

constexpr uint32_t kSubFlags = kPubsub | kNoscript | kLoading | kStale;

CommandSpec ps_cmd(std::string name, int arity, uint32_t flags, Handler h, std::string summary,
                   std::string since, std::string complexity) {
  return CommandSpec{.name = std::move(name),
                     .arity = arity,
                     .flags = flags,
                     .acl = "@pubsub @slow",
                     .handler = h,
                     .group = "pubsub",
                     .summary = std::move(summary),
                     .since = std::move(since),
                     .complexity = std::move(complexity)};
}

}  // namespace

void register_pubsub_commands(CommandTable& t) {
  t.add(ps_cmd("subscribe", -2, kSubFlags, cmd_subscribe,
               "Listen for messages published to channels", "2.0.0",
               "O(N) where N is the number of channels to subscribe to."));
  t.add(ps_cmd("unsubscribe", -1, kSubFlags, cmd_unsubscribe,
               "Stop listening for messages posted to the given channels", "2.0.0",
               "O(N) where N is the number of clients already subscribed to a channel."));
  t.add(ps_cmd("psubscribe", -2, kSubFlags, cmd_psubscribe,
               "Listen for messages published to channels matching the given patterns", "2.0.0",
               "O(N) where N is the number of patterns the client is already subscribed to."));
  t.add(ps_cmd("punsubscribe", -1, kSubFlags, cmd_punsubscribe,
               "Stop listening for messages posted to channels matching the given patterns",
               "2.0.0",
               "O(N+M) where N is the number of patterns the client is already subscribed and M "
               "is the number of total patterns subscribed in the system (by any client)."));
  auto ss = ps_cmd("ssubscribe", -2, kSubFlags, cmd_ssubscribe,
                   "Listen for messages published to the given shard channels", "7.0.0",
                   "O(N) where N is the number of shard channels to subscribe to.");
  ss.first_key = 1;
  ss.last_key = -1;
  ss.key_step = 1;
  t.add(std::move(ss));
  auto sus = ps_cmd("sunsubscribe", -1, kSubFlags, cmd_sunsubscribe,
                    "Stop listening for messages posted to the given shard channels", "7.0.0",
                    "O(N) where N is the number of clients already subscribed to a shard channel.");
  sus.first_key = 1;
  sus.last_key = -1;
  sus.key_step = 1;
  t.add(std::move(sus));
  const uint32_t kPubFlags = kPubsub | kLoading | kStale | kFast | kMayReplicate;
  auto pub = ps_cmd("publish", 3, kPubFlags, cmd_publish, "Post a message to a channel", "2.0.0",
                    "O(N+M) where N is the number of clients subscribed to the receiving channel "
                    "and M is the total number of subscribed patterns (by any client).");
  pub.acl = "@pubsub @fast";
  t.add(std::move(pub));
  auto spub =
      ps_cmd("spublish", 3, kPubFlags, cmd_spublish, "Post a message to a shard channel", "7.0.0",
             "O(N) where N is the number of clients subscribed to the receiving shard "
             "channel.");
  spub.acl = "@pubsub @fast";
  spub.first_key = 1;
  spub.last_key = 1;
  spub.key_step = 1;
  t.add(std::move(spub));

  const uint32_t kIntro = kPubsub | kLoading | kStale;
  CommandSpec ps = ps_cmd("pubsub", -2, 0, cmd_pubsub, "A container for Pub/Sub commands", "2.8.0",
                          "Depends on subcommand.");
  ps.acl = "@slow";
  ps.subcommands.push_back(ps_cmd("channels", -2, kIntro, cmd_pubsub_channels,
                                  "List active channels", "2.8.0",
                                  "O(N) where N is the number of active channels, and assuming "
                                  "constant time pattern matching (relatively short channels "
                                  "and patterns)"));
  ps.subcommands.push_back(ps_cmd("numsub", -2, kIntro, cmd_pubsub_numsub,
                                  "Get the count of subscribers for channels", "2.8.0",
                                  "O(N) for the NUMSUB subcommand, where N is the number of "
                                  "requested channels"));
  ps.subcommands.push_back(ps_cmd("numpat", 2, kIntro, cmd_pubsub_numpat,
                                  "Get the count of unique patterns pattern subscriptions", "2.8.0",
                                  "O(1)"));
  ps.subcommands.push_back(ps_cmd("shardchannels", -2, kIntro, cmd_pubsub_shardchannels,
                                  "List active shard channels", "7.0.0",
                                  "O(N) where N is the number of active shard channels, and "
                                  "assuming constant time pattern matching (relatively short "
                                  "shard channels)."));
  ps.subcommands.push_back(ps_cmd("shardnumsub", -2, kIntro, cmd_pubsub_shardnumsub,
                                  "Get the count of subscribers for shard channels", "7.0.0",
                                  "O(N) for the SHARDNUMSUB subcommand, where N is the number of "
                                  "requested shard channels"));
  ps.subcommands.push_back(ps_cmd("help", 2, kLoading | kStale, cmd_pubsub_help,
                                  "Show helpful text about the different subcommands", "6.2.0",
                                  "O(1)"));
  t.add(std::move(ps));
}

}  // namespace kvd::engine
