#pragma once

#include <string_view>

#include "kvd/engine/value.hpp"

namespace kvd::engine {

// How sorted-set commands (ZUNION, ZINTER, ZDIFF ...) read plain sets, which
// Redis accepts as inputs with score 1. The set type lives in its own files and
// installs this reader when it registers its commands, so the zset code does
// not depend on the set's layout. While no reader is installed, the zset
// commands reply an error for set inputs.
// TODO(sets): register_set_commands should assign set_member_reader.
using SetMemberVisitor = void (*)(void* arg, std::string_view member);
using SetMemberReader = void (*)(const Object* set, SetMemberVisitor visit, void* arg);

inline SetMemberReader set_member_reader = nullptr;

}  // namespace kvd::engine
