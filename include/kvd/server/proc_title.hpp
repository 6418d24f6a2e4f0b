#pragma once

#include <string>

namespace kvd::server {

// The process title `ps` shows, as redis-server sets it ("kvd *:6379").
//
// Linux has no setproctitle(3): the title is written over the memory that
// held argv (and the environment strings right after it), which is what
// /proc/<pid>/cmdline reads. init_proc_title() first copies argv's strings
// and the environment elsewhere, so nothing still reads that memory.
// Call it at the top of main, before any thread starts.
void init_proc_title(int argc, char** argv);
// argv[0] as kvd was started ("{title}" in proc-title-template).
const std::string& proc_title_argv0();
// Writes `title` (cut to the room there is); false before init_proc_title.
bool set_proc_title(const std::string& title);

// proc-title-template's variables.
struct ProcTitleVars {
  std::string title;
  std::string bind;  // the first bind address
  long port = 0;
  long tls_port = 0;
  std::string unixsocket;
  std::string config_file;
  std::string server_mode;  // "", or "[sentinel]"
};
// Expands "{title} {listen-addr} {server-mode}" and the like ("{{" is a
// brace); spaces at either end are trimmed, as Redis does.
std::string expand_proc_title(const std::string& tmpl, const ProcTitleVars& vars);

}  // namespace kvd::server
