#pragma once

#include <string_view>

// COMMAND DOCS text, kept apart from the declarations so that a family's
// command list stays one line per command. The text lives in
// command_docs.txt, one line per command or subcommand:
//
//   <name> | <since> | <complexity> | <summary>
//
// where a subcommand's name is "<container> <sub>" ("config get"). The build
// embeds the file (command_docs_text.cpp.in).
namespace kvd::commands {

struct CommandDoc {
  std::string_view since;
  std::string_view complexity;
  std::string_view summary;
};

// nullptr when the file has no line for `name`.
const CommandDoc* find_command_doc(std::string_view name);

// The embedded file, as the build wrote it.
extern const char* const kCommandDocsText;

}  // namespace kvd::commands
