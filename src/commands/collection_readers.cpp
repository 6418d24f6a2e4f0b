#include "collection_readers.hpp"

#include "kvd/engine/types/hash.hpp"
#include "kvd/engine/types/list.hpp"
#include "kvd/engine/types/set.hpp"
#include "kvd/engine/types/zset.hpp"

namespace kvd::commands {

void list_elements(const Value& v, std::vector<std::string>* out) {
  const auto* l = static_cast<const List*>(v.object());
  out->reserve(out->size() + l->size());
  l->for_each(0, l->size(), [&](std::string_view e) { out->emplace_back(e); });
}

void set_elements(const Value& v, std::vector<std::string>* out) {
  const auto* s = static_cast<const SetObject*>(v.object());
  s->for_each([&](std::string_view m) { out->emplace_back(m); });
}

void zset_elements(const Value& v, std::vector<std::string>* out) {
  const auto* z = static_cast<const ZSet*>(v.object());
  z->for_range(0, z->element_count(), false,
               [&](std::string_view m, double) { out->emplace_back(m); });
}

bool hash_field(const Value& v, std::string_view field, std::string* out) {
  auto got = static_cast<const HashObject*>(v.object())->get(field);
  if (!got) return false;
  out->assign(*got);
  return true;
}

Value make_list(std::vector<std::string>&& items) {
  // -2 is list-max-listpack-size's default (8 KB nodes).
  auto* l = new List(-2);
  for (const auto& s : items) l->push_back(s);
  return Value::from_object(l);
}

}  // namespace kvd::commands
