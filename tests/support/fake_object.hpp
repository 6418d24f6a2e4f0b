#pragma once

#include <initializer_list>
#include <string>
#include <string_view>

#include "kvd/engine/database.hpp"
#include "kvd/engine/value.hpp"
#include "support/engine_harness.hpp"

namespace kvd::test {

// A stand-in collection so string/bitmap tests can check WRONGTYPE before the
// list type exists.
class FakeList final : public engine::Object {
 public:
  engine::ValueType type() const override { return engine::ValueType::kList; }
  const char* encoding() const override { return "listpack"; }
  size_t element_count() const override { return 1; }
  engine::Object* clone() const override { return new FakeList; }
};

inline void add_fake_list(EngineHarness& h, std::string_view key) {
  h.engine().db(0).add(key, engine::Value::from_object(new FakeList));
}

inline engine::Entry* raw_entry(EngineHarness& h, std::string_view key) {
  return h.engine().db(0).find_raw(key);
}

inline std::string encoding_of(EngineHarness& h, std::string_view key) {
  engine::Entry* e = raw_entry(h, key);
  return e ? e->value.encoding() : "none";
}

inline std::string array(std::initializer_list<std::string> items) {
  std::string r = "*" + std::to_string(items.size()) + "\r\n";
  for (const auto& i : items) r += i;
  return r;
}

inline const std::string kWrongType =
    error("WRONGTYPE Operation against a key holding the wrong kind of value");
inline const std::string kSyntaxErr = error("ERR syntax error");
inline const std::string kNotInt = error("ERR value is not an integer or out of range");
inline const std::string kEmptyBulk = "$0\r\n\r\n";

}  // namespace kvd::test
