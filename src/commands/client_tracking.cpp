// Client side caching commands: CLIENT TRACKING, CACHING, GETREDIR and
// TRACKINGINFO. The tracking state itself is the engine's
// (engine/tracking.hpp).
#include "client_tracking.hpp"

#include <string>
#include <vector>

#include "kvd/common/strings.hpp"
#include "kvd/engine/engine.hpp"
#include "kvd/engine/errors.hpp"
#include "kvd/engine/tracking.hpp"

namespace kvd::commands {

using namespace kvd::engine;

namespace {

const TrackingState kOff;

const TrackingState& state_of(const Client& c) {
  return c.tracking ? *c.tracking : kOff;
}

int64_t redirect_of(const Client& c) {
  return tracking_on(c) ? static_cast<int64_t>(c.tracking->redirect) : -1;
}

// Parses the options after ON|OFF; false once an error was replied.
bool parse_options(CommandContext& ctx, Tracking::Options* o) {
  Args a = ctx.args;
  for (size_t j = 3; j < a.size(); ++j) {
    const bool more = j + 1 < a.size();
    if (iequals(a[j], "redirect") && more) {
      ++j;
      if (o->redirect != 0) {
        ctx.out.error("ERR A client can only redirect to a single other client");
        return false;
      }
      int64_t id = 0;
      if (!parse_int64(a[j], &id)) {
        ctx.out.error(err::kNotInteger);
        return false;
      }
      o->redirect = static_cast<uint64_t>(id);
      if (!ctx.engine.clients().count(o->redirect)) {
        ctx.out.error("ERR The client ID you want redirect to does not exist");
        return false;
      }
    } else if (iequals(a[j], "bcast")) {
      o->bcast = true;
    } else if (iequals(a[j], "optin")) {
      o->optin = true;
    } else if (iequals(a[j], "optout")) {
      o->optout = true;
    } else if (iequals(a[j], "noloop")) {
      o->noloop = true;
    } else if (iequals(a[j], "prefix") && more) {
      o->prefixes.emplace_back(a[++j]);
    } else {
      ctx.out.error(err::kSyntax);
      return false;
    }
  }
  return true;
}

// The checks of CLIENT TRACKING ON against the options and the current mode.
std::string check_enable(CommandContext& ctx, const Tracking::Options& o) {
  const TrackingState& t = state_of(ctx.client);
  if (!o.bcast && !o.prefixes.empty()) return "ERR PREFIX option requires BCAST mode to be enabled";
  if (t.on && t.bcast != o.bcast) {
    return "ERR You can't switch BCAST mode on/off before disabling tracking for this client, "
           "and then re-enabling it with a different mode.";
  }
  if (o.bcast && (o.optin || o.optout)) return "ERR OPTIN and OPTOUT are not compatible with BCAST";
  if (o.optin && o.optout) return "ERR You can't specify both OPTIN mode and OPTOUT mode";
  if ((o.optin && t.optout) || (o.optout && t.optin)) {
    return "ERR You can't switch OPTIN/OPTOUT mode before disabling tracking for this client, "
           "and then re-enabling it with a different mode.";
  }
  if (o.bcast) return ctx.engine.tracking().prefix_collision(ctx.client, o.prefixes);
  return {};
}

}  // namespace

// CLIENT TRACKING ON|OFF [REDIRECT id] [PREFIX p ...] [BCAST] [OPTIN] [OPTOUT] [NOLOOP]
void cmd_client_tracking(CommandContext& ctx) {
  Tracking::Options o;
  if (!parse_options(ctx, &o)) return;
  std::string_view mode = ctx.args[2];
  if (iequals(mode, "on")) {
    std::string error = check_enable(ctx, o);
    if (!error.empty()) {
      ctx.out.error(error);
      return;
    }
    ctx.engine.tracking().enable(ctx.client, o);
  } else if (iequals(mode, "off")) {
    ctx.engine.tracking().disable(ctx.client);
  } else {
    ctx.out.error(err::kSyntax);
    return;
  }
  ctx.out.ok();
}

// CLIENT CACHING YES|NO: whether the next command's keys are tracked.
void cmd_client_caching(CommandContext& ctx) {
  if (!tracking_on(ctx.client)) {
    ctx.out.error(
        "ERR CLIENT CACHING can be called only when the client is in tracking mode with OPTIN "
        "or OPTOUT mode enabled");
    return;
  }
  TrackingState& t = *ctx.client.tracking;
  std::string_view opt = ctx.args[2];
  if (iequals(opt, "yes")) {
    if (!t.optin) {
      ctx.out.error("ERR CLIENT CACHING YES is only valid when tracking is enabled in OPTIN mode.");
      return;
    }
  } else if (iequals(opt, "no")) {
    if (!t.optout) {
      ctx.out.error("ERR CLIENT CACHING NO is only valid when tracking is enabled in OPTOUT mode.");
      return;
    }
  } else {
    ctx.out.error(err::kSyntax);
    return;
  }
  t.caching = true;
  ctx.out.ok();
}

void cmd_client_getredir(CommandContext& ctx) {
  ctx.out.integer(redirect_of(ctx.client));
}

void cmd_client_trackinginfo(CommandContext& ctx) {
  const TrackingState& t = state_of(ctx.client);
  std::vector<const char*> flags{t.on ? "on" : "off"};
  if (t.bcast) flags.push_back("bcast");
  if (t.optin) {
    flags.push_back("optin");
    if (t.caching) flags.push_back("caching-yes");
  }
  if (t.optout) {
    flags.push_back("optout");
    if (t.caching) flags.push_back("caching-no");
  }
  if (t.noloop) flags.push_back("noloop");
  if (t.broken_redirect) flags.push_back("broken_redirect");
  ctx.out.map(3);
  ctx.out.bulk("flags");
  ctx.out.set(static_cast<int64_t>(flags.size()));
  for (const char* f : flags) ctx.out.bulk(f);
  ctx.out.bulk("redirect");
  ctx.out.integer(redirect_of(ctx.client));
  ctx.out.bulk("prefixes");
  ctx.out.array(static_cast<int64_t>(t.prefixes.size()));
  for (const auto& p : t.prefixes) ctx.out.bulk(p);
}

}  // namespace kvd::commands
