#include "kvd/server/proc_title.hpp"

#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <string>

extern char** environ;

namespace kvd::server {
namespace {

char* g_area = nullptr;  // argv[0]'s memory, through the last environment string
size_t g_room = 0;
std::string g_argv0;

}  // namespace

void init_proc_title(int argc, char** argv) {
  if (argc < 1 || !argv || !argv[0] || g_area) return;
  g_argv0 = argv[0];
  // The strings the kernel laid out one after another: argv's, then the
  // environment's. Only that contiguous run can take a title.
  char* end = argv[0] + std::strlen(argv[0]) + 1;
  for (int i = 1; i < argc; ++i) {
    if (argv[i] != end) break;
    end = argv[i] + std::strlen(argv[i]) + 1;
  }
  size_t env_count = 0;
  while (environ && environ[env_count]) ++env_count;
  for (size_t i = 0; i < env_count; ++i) {
    if (environ[i] != end) break;
    end = environ[i] + std::strlen(environ[i]) + 1;
  }
  // Copies for everything that still reads them (getenv, the config's
  // arguments). They live as long as the process.
  char** env_copy = new char*[env_count + 1];
  for (size_t i = 0; i < env_count; ++i) env_copy[i] = ::strdup(environ[i]);
  env_copy[env_count] = nullptr;
  environ = env_copy;
  char* area = argv[0];
  for (int i = 0; i < argc; ++i) argv[i] = ::strdup(argv[i]);
  g_area = area;
  g_room = static_cast<size_t>(end - area);
}

const std::string& proc_title_argv0() {
  return g_argv0;
}

bool set_proc_title(const std::string& title) {
  if (!g_area || g_room < 2) return false;
  const size_t n = std::min(title.size(), g_room - 1);
  std::memcpy(g_area, title.data(), n);
  // NUL to the end: the old arguments must not show behind a shorter title.
  std::memset(g_area + n, 0, g_room - n);
  return true;
}

std::string expand_proc_title(const std::string& tmpl, const ProcTitleVars& vars) {
  std::string out;
  for (size_t i = 0; i < tmpl.size(); ++i) {
    const char c = tmpl[i];
    if (c == '{' && i + 1 < tmpl.size() && tmpl[i + 1] == '{') {
      out += '{';
      ++i;
      continue;
    }
    if (c == '}' && i + 1 < tmpl.size() && tmpl[i + 1] == '}') {
      out += '}';
      ++i;
      continue;
    }
    size_t close = c == '{' ? tmpl.find('}', i + 1) : std::string::npos;
    if (close == std::string::npos) {
      out += c;
      continue;
    }
    const std::string name = tmpl.substr(i + 1, close - i - 1);
    if (name == "title") {
      out += vars.title;
    } else if (name == "listen-addr") {
      if (vars.port || vars.tls_port)
        out += (vars.bind.empty() ? "*" : vars.bind) + ":" +
               std::to_string(vars.port ? vars.port : vars.tls_port);
      else
        out += "unixsocket:" + vars.unixsocket;
    } else if (name == "server-mode") {
      out += vars.server_mode;
    } else if (name == "config-file") {
      out += vars.config_file.empty() ? "-" : vars.config_file;
    } else if (name == "port") {
      out += std::to_string(vars.port);
    } else if (name == "tls-port") {
      out += std::to_string(vars.tls_port);
    } else if (name == "unixsocket") {
      out += vars.unixsocket;
    }
    // (Unknown names never get here: CONFIG refuses such a template.)
    i = close;
  }
  const size_t first = out.find_first_not_of(' ');
  if (first == std::string::npos) return "";
  return out.substr(first, out.find_last_not_of(' ') - first + 1);
}

}  // namespace kvd::server
