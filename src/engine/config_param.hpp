#pragma once

// The registry's record of one parameter, shared by config.cpp (the directives
// kvd acts on) and config_inert.cpp (the ones it only accepts). Private to the
// engine layer.

#include <functional>
#include <string>
#include <vector>

#include "kvd/engine/config.hpp"

namespace kvd::engine {

// One parameter: how to read it back as a string and how to apply new values.
struct Config::Param {
  std::string name;
  std::string alias;
  bool is_mutable = true;
  // CONFIG SET refuses it unless enable-protected-configs allows the client.
  bool is_protected = false;
  // Left out of glob matches (CONFIG GET *); an exact name still finds it.
  bool hidden = false;
  size_t min_args = 1, max_args = 1;  // arguments a config file line takes
  std::function<std::string()> get;
  // Returns the error reason ("argument must be 'yes' or 'no'") or empty.
  std::function<std::string(const std::vector<std::string>&)> set;
  std::string default_value;
};

}  // namespace kvd::engine
