#include "admin_helpers.hpp"

#include <cctype>

#include "declare.hpp"
#include "kvd/engine/engine.hpp"

namespace kvd::commands {

std::string to_upper(std::string_view s) {
  std::string r(s);
  for (auto& ch : r) ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
  return r;
}

void reply_help(CommandContext& ctx, std::string_view command,
                std::initializer_list<std::string_view> lines) {
  std::string cmd = to_upper(command);
  ctx.out.array(static_cast<int64_t>(lines.size()) + 3);
  ctx.out.simple(cmd + " <subcommand> [<arg> [value] [opt] ...]. Subcommands are:");
  for (auto l : lines) ctx.out.simple(l);
  ctx.out.simple("HELP");
  ctx.out.simple("    Prints this help.");
}

void reply_subcommand_syntax_error(CommandContext& ctx) {
  std::string sub(ctx.args.size() > 1 ? ctx.args[1].substr(0, 128) : std::string_view());
  ctx.out.error("ERR unknown subcommand or wrong number of arguments for '" + sub + "'. Try " +
                to_upper(ctx.args[0]) + " HELP.");
}

bool valid_client_name(std::string_view name) {
  for (char c : name) {
    if (c < '!' || c > '~') return false;
  }
  return true;
}

}  // namespace kvd::commands
