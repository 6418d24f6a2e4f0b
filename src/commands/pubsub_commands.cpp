// Pub/Sub: SUBSCRIBE & co, PUBLISH, PUBSUB introspection, and the registry
// that delivers messages to subscribers' out-of-band writers.
#include "kvd/engine/pubsub.hpp"

#include <algorithm>

#include "command_helpers.hpp"
#include "declare.hpp"
#include "families.hpp"
#include "kvd/common/strings.hpp"

namespace kvd::commands {

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
    const auto& s = PubSub::names(*ctx.client.pubsub, kind);
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

}  // namespace

void register_pubsub_commands(CommandTable& t) {
  Family f(t, "pubsub");
  f.add("subscribe", -2, kSubscribedOk | kPubsub | kNoscript | kLoading | kStale, kNoKeys,
        cmd_subscribe, {.channels = ChannelArgs::kSubscribe});
  f.add("unsubscribe", -1, kSubscribedOk | kPubsub | kNoscript | kLoading | kStale, kNoKeys,
        cmd_unsubscribe, {.channels = ChannelArgs::kUnsubscribe});
  f.add("psubscribe", -2, kSubscribedOk | kPubsub | kNoscript | kLoading | kStale, kNoKeys,
        cmd_psubscribe, {.channels = ChannelArgs::kSubscribePatterns});
  f.add("punsubscribe", -1, kSubscribedOk | kPubsub | kNoscript | kLoading | kStale, kNoKeys,
        cmd_punsubscribe, {.channels = ChannelArgs::kUnsubscribe});
  f.add("ssubscribe", -2, kSubscribedOk | kPubsub | kNoscript | kLoading | kStale, kAllKeys,
        cmd_ssubscribe, {.channels = ChannelArgs::kSubscribe});
  f.add("sunsubscribe", -1, kSubscribedOk | kPubsub | kNoscript | kLoading | kStale, kAllKeys,
        cmd_sunsubscribe, {.channels = ChannelArgs::kUnsubscribe});
  f.add("publish", 3, kPubsub | kLoading | kStale | kFast | kMayReplicate, kNoKeys, cmd_publish,
        {.channels = ChannelArgs::kPublish});
  f.add("spublish", 3, kPubsub | kLoading | kStale | kFast | kMayReplicate, kKey1, cmd_spublish,
        {.channels = ChannelArgs::kPublish});
  f.add(
      "pubsub", -2, 0, kNoKeys, cmd_pubsub,
      {.subcommands = {
           cmd("channels", -2, kPubsub | kLoading | kStale, kNoKeys, cmd_pubsub_channels),
           cmd("numsub", -2, kPubsub | kLoading | kStale, kNoKeys, cmd_pubsub_numsub),
           cmd("numpat", 2, kPubsub | kLoading | kStale, kNoKeys, cmd_pubsub_numpat),
           cmd("shardchannels", -2, kPubsub | kLoading | kStale, kNoKeys, cmd_pubsub_shardchannels),
           cmd("shardnumsub", -2, kPubsub | kLoading | kStale, kNoKeys, cmd_pubsub_shardnumsub),
           cmd("help", 2, kLoading | kStale, kNoKeys, cmd_pubsub_help)}});
}

}  // namespace kvd::commands
