#pragma once

#include <initializer_list>
#include <string>
#include <string_view>

#include "declare.hpp"
#include "kvd/engine/command.hpp"

// Helpers shared by the administrative families (connection, client, server,
// config, command, info). Internal to src/commands.
namespace kvd::commands {

// Replies to "<CMD> HELP": a header line, the given lines, then the HELP entry,
// each as a status reply, the shape every Redis container command uses.
void reply_help(CommandContext& ctx, std::string_view command,
                std::initializer_list<std::string_view> lines);

// "unknown subcommand or wrong number of arguments for '<sub>'. Try <CMD> HELP."
void reply_subcommand_syntax_error(CommandContext& ctx);

// Client names may only hold printable ASCII without blanks ('!' .. '~').
bool valid_client_name(std::string_view name);

// Upper-cased copy (container names in help and error texts).
std::string to_upper(std::string_view s);

}  // namespace kvd::commands
