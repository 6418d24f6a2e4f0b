#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "declare.hpp"
#include "kvd/engine/value.hpp"

// What SORT reads from the collection types: a list's, set's or sorted set's
// elements, a hash field (BY/GET patterns), and a new list for STORE.
namespace kvd::commands {

// Append the elements to *out: a list head to tail, a set in any order, a
// sorted set by ascending score.
void list_elements(const Value& v, std::vector<std::string>* out);
void set_elements(const Value& v, std::vector<std::string>* out);
void zset_elements(const Value& v, std::vector<std::string>* out);
// The value of `field` in a hash; false when the field is missing.
bool hash_field(const Value& v, std::string_view field, std::string* out);
// A new list value holding `items` head to tail.
Value make_list(std::vector<std::string>&& items);

}  // namespace kvd::commands
