#include "kvd/engine/command_helpers.hpp"

namespace kvd::engine {

void register_key_commands(CommandTable& t) {
  (void)t;
}

}  // namespace kvd::engine
