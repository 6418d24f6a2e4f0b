#pragma once

#include "kvd/engine/command.hpp"

// CLIENT TRACKING, CACHING, GETREDIR and TRACKINGINFO (client_tracking.cpp),
// declared in the CLIENT container (client_commands.cpp).
namespace kvd::commands {

void cmd_client_tracking(engine::CommandContext& ctx);
void cmd_client_caching(engine::CommandContext& ctx);
void cmd_client_getredir(engine::CommandContext& ctx);
void cmd_client_trackinginfo(engine::CommandContext& ctx);

}  // namespace kvd::commands
