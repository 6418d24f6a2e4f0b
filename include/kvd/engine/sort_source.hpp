#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "kvd/engine/value.hpp"

// What SORT needs from the collection types, filled in by each type's own
// files (lists, sets, sorted sets, hashes) when they register their commands.
// Until a type registers, SORT treats a key of that type as WRONGTYPE (or, for
// hash field patterns, as missing) and STORE cannot build its result list.
namespace kvd::engine {

struct SortSources {
  // Appends the elements of a list (head to tail), set (any order) or sorted
  // set (ascending score) to *out.
  using Elements = void (*)(const Value& v, std::vector<std::string>* out);
  // The value of `field` in a hash; false when the field is missing.
  using HashField = bool (*)(const Value& v, std::string_view field, std::string* out);
  // A new list value holding `items` head to tail (SORT ... STORE).
  using MakeList = Value (*)(std::vector<std::string>&& items);

  Elements list = nullptr;
  Elements set = nullptr;
  Elements zset = nullptr;
  HashField hash_field = nullptr;
  MakeList make_list = nullptr;
};

// The process-wide table (types register once at startup).
SortSources& sort_sources();

}  // namespace kvd::engine
