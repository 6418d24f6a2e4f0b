// Connects the collection types to the commands that read several of them:
// SORT (lists, sets, sorted sets, hash fields for BY/GET patterns, STORE) and
// ZUNION/ZINTER/ZDIFF (plain sets as inputs with score 1). The readers are
// plain function pointers so those commands never see a type's layout.
#include "kvd/engine/sort_source.hpp"
#include "kvd/engine/types/hash.hpp"
#include "kvd/engine/types/list.hpp"
#include "kvd/engine/types/set.hpp"
#include "kvd/engine/types/set_reader.hpp"
#include "kvd/engine/types/zset.hpp"

namespace kvd::engine {
namespace {

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

void read_set_members(const Object* set, SetMemberVisitor visit, void* arg) {
  static_cast<const SetObject*>(set)->for_each([&](std::string_view m) { visit(arg, m); });
}

}  // namespace

void install_type_adapters() {
  SortSources& s = sort_sources();
  s.list = list_elements;
  s.set = set_elements;
  s.zset = zset_elements;
  s.hash_field = hash_field;
  s.make_list = make_list;
  set_member_reader = read_set_members;
}

}  // namespace kvd::engine
