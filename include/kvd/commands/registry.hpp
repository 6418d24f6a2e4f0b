#pragma once

#include "kvd/engine/command.hpp"

// The commands layer's interface: every command kvd serves, declared by its
// family (src/commands/*_commands.cpp), in one table for the engine to run.
namespace kvd::commands {

engine::CommandTable all_commands();

}  // namespace kvd::commands
