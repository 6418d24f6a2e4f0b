// CLUSTER, as a redis-server with cluster-enabled no has it: every
// subcommand is declared (so COMMAND, ACL rules and scripts see Redis's
// arity and flags) and answers that cluster support is disabled. kvd is a
// single node; sharding is done in front of it (see README, twemproxy).
#include "declare.hpp"
#include "families.hpp"

namespace kvd::commands {
namespace {

void cmd_cluster_disabled(CommandContext& ctx) {
  ctx.out.error("ERR This instance has cluster support disabled");
}

}  // namespace

void register_cluster_commands(CommandTable& t) {
  Family f(t, "cluster");
  constexpr uint32_t kChange = kNoAsyncLoading | kAdmin | kStale;  // changes the cluster
  constexpr uint32_t kAsk = kStale;                                // asks about it
  auto sub = [](const char* name, int arity, uint32_t flags) {
    return cmd(name, arity, flags, kNoKeys, cmd_cluster_disabled);
  };
  f.add("cluster", -2, 0, kNoKeys, nullptr,
        {.subcommands = {sub("addslots", -3, kChange),
                         sub("addslotsrange", -4, kChange),
                         sub("bumpepoch", 2, kChange),
                         sub("count-failure-reports", 3, kAdmin | kStale),
                         sub("countkeysinslot", 3, kAsk),
                         sub("delslots", -3, kChange),
                         sub("delslotsrange", -4, kChange),
                         sub("failover", -2, kChange),
                         sub("flushslots", 2, kChange),
                         sub("forget", 3, kChange),
                         sub("getkeysinslot", 4, kAsk),
                         sub("help", 2, kLoading | kStale),
                         sub("info", 2, kAsk),
                         sub("keyslot", 3, kAsk),
                         sub("links", 2, kAsk),
                         sub("meet", -4, kChange),
                         sub("myid", 2, kAsk),
                         sub("nodes", 2, kAsk),
                         sub("replicas", 3, kAdmin | kStale),
                         sub("replicate", 3, kChange),
                         sub("reset", -2, kAdmin | kStale | kNoscript),
                         sub("saveconfig", 2, kChange),
                         sub("set-config-epoch", 3, kChange),
                         sub("setslot", -4, kChange),
                         sub("shards", 2, kAsk),
                         sub("slaves", 3, kAdmin | kStale),
                         sub("slots", 2, kAsk)}});
}

}  // namespace kvd::commands
