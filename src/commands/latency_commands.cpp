// LATENCY: the latency monitor's events (engine/latency_monitor.hpp) and the
// per-command latency histograms (engine/latency_histogram.hpp).
#include "kvd/engine/latency_monitor.hpp"

#include <string>
#include <vector>

#include "admin_helpers.hpp"
#include "declare.hpp"
#include "families.hpp"
#include "kvd/common/strings.hpp"
#include "kvd/engine/engine.hpp"
#include "latency_report.hpp"

namespace kvd::commands {

namespace {

int64_t now_s(const CommandContext& ctx) {
  return ctx.now_ms / 1000;
}

void cmd_latency_latest(CommandContext& ctx) {
  const auto& all = ctx.engine.latency().series();
  ctx.out.array(static_cast<int64_t>(all.size()));
  for (const LatencyMonitor::Series& s : all) {
    ctx.out.array(4);
    ctx.out.bulk(s.event);
    ctx.out.integer(s.latest().time);
    ctx.out.integer(s.latest().latency_ms);
    ctx.out.integer(s.max_ms);
  }
}

void cmd_latency_history(CommandContext& ctx) {
  const LatencyMonitor::Series* s = ctx.engine.latency().find(ctx.args[2]);
  const std::vector<LatencyMonitor::Sample> h =
      s ? s->history() : std::vector<LatencyMonitor::Sample>{};
  ctx.out.array(static_cast<int64_t>(h.size()));
  for (const auto& x : h) {
    ctx.out.array(2);
    ctx.out.integer(x.time);
    ctx.out.integer(x.latency_ms);
  }
}

void cmd_latency_reset(CommandContext& ctx) {
  LatencyMonitor& m = ctx.engine.latency();
  size_t n = 0;
  if (ctx.args.size() == 2) {
    n = m.reset_all();
  } else {
    for (size_t i = 2; i < ctx.args.size(); ++i) n += m.reset(ctx.args[i]);
  }
  ctx.out.integer(static_cast<int64_t>(n));
}

void cmd_latency_graph(CommandContext& ctx) {
  const LatencyMonitor::Series* s = ctx.engine.latency().find(ctx.args[2]);
  if (!s) {
    ctx.out.error("ERR No samples available for event '" + std::string(ctx.args[2]) + "'");
    return;
  }
  ctx.out.verbatim(latency_graph(*s, now_s(ctx)));
}

void cmd_latency_doctor(CommandContext& ctx) {
  ctx.out.verbatim(latency_doctor_report(ctx.engine, now_s(ctx)));
}

// One command's entry of LATENCY HISTOGRAM: calls and the cumulative
// distribution in microseconds.
void write_histogram(CommandContext& ctx, const CommandSpec& c) {
  const LatencyHistogram& h = c.stats.histogram;
  ctx.out.bulk(c.fullname);
  ctx.out.map(2);
  ctx.out.bulk("calls");
  ctx.out.integer(static_cast<int64_t>(h.total()));
  ctx.out.bulk("histogram_usec");
  const auto buckets = h.cumulative_usec();
  ctx.out.map(static_cast<int64_t>(buckets.size()));
  for (const auto& [usec, count] : buckets) {
    ctx.out.integer(usec);
    ctx.out.integer(static_cast<int64_t>(count));
  }
}

// A command and, for a container, its subcommands: those with data.
void collect_with_data(const CommandSpec& c, std::vector<const CommandSpec*>& out) {
  if (!c.stats.histogram.empty()) out.push_back(&c);
  for (const CommandSpec& sub : c.subcommands) {
    if (!sub.stats.histogram.empty()) out.push_back(&sub);
  }
}

// "get", or "client|id" for one subcommand; null when unknown.
const CommandSpec* find_by_fullname(const CommandTable& t, std::string_view name) {
  const size_t bar = name.find('|');
  if (bar == std::string_view::npos) return t.find(name);
  const CommandSpec* parent = t.find(name.substr(0, bar));
  return parent ? t.find_sub(*parent, name.substr(bar + 1)) : nullptr;
}

void cmd_latency_histogram(CommandContext& ctx) {
  const CommandTable& table = ctx.engine.commands();
  std::vector<const CommandSpec*> chosen;
  if (ctx.args.size() == 2) {
    for (const CommandSpec* c : table.all()) collect_with_data(*c, chosen);
  } else {
    // Unknown names are skipped, as Redis does.
    for (size_t i = 2; i < ctx.args.size(); ++i) {
      if (const CommandSpec* c = find_by_fullname(table, ctx.args[i]))
        collect_with_data(*c, chosen);
    }
  }
  ctx.out.map(static_cast<int64_t>(chosen.size()));
  for (const CommandSpec* c : chosen) write_histogram(ctx, *c);
}

void cmd_latency_help(CommandContext& ctx) {
  reply_help(ctx, "latency",
             {"DOCTOR", "    Return a human readable latency analysis report.", "GRAPH <event>",
              "    Return an ASCII latency graph for the <event> class.", "HISTORY <event>",
              "    Return time-latency samples for the <event> class.", "LATEST",
              "    Return the latest latency samples for all events.", "RESET [<event> ...]",
              "    Reset latency data of one or more <event> classes.",
              "    (default: reset all data for all event classes)", "HISTOGRAM [COMMAND ...]",
              "    Return a cumulative distribution of latencies in the format of a histogram for "
              "the specified command names.",
              "    If no commands are specified then all histograms are replied."});
}

}  // namespace

void register_latency_commands(CommandTable& t) {
  Family f(t, "server");
  constexpr uint32_t kFlags = kAdmin | kNoscript | kLoading | kStale;
  f.add("latency", -2, 0, kNoKeys, nullptr,
        {.subcommands = {cmd("doctor", 2, kFlags, kNoKeys, cmd_latency_doctor),
                         cmd("graph", 3, kFlags, kNoKeys, cmd_latency_graph),
                         cmd("histogram", -2, kFlags, kNoKeys, cmd_latency_histogram),
                         cmd("history", 3, kFlags, kNoKeys, cmd_latency_history),
                         cmd("latest", 2, kFlags, kNoKeys, cmd_latency_latest),
                         cmd("reset", -2, kFlags, kNoKeys, cmd_latency_reset),
                         cmd("help", 2, kLoading | kStale, kNoKeys, cmd_latency_help)}});
}

}  // namespace kvd::commands
