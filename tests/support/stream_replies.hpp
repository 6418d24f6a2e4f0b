#pragma once

#include <cstdint>
#include <initializer_list>
#include <string>
#include <string_view>

#include "support/engine_harness.hpp"
#include "support/fake_object.hpp"

namespace kvd::test {

// Stream replies: an entry [id, [field, value]] ...
inline std::string entry(std::string_view id, std::string_view f, std::string_view v) {
  return "*2\r\n" + bulk(id) + "*2\r\n" + bulk(f) + bulk(v);
}
// ... an entry with any number of fields: [id, [f1, v1, f2, v2, ...]] ...
inline std::string ent(std::string_view id, std::initializer_list<std::string_view> fv) {
  std::string r = "*2\r\n" + bulk(id) + "*" + std::to_string(fv.size()) + "\r\n";
  for (auto x : fv) r += bulk(x);
  return r;
}
// ... and one stream's part of an XREAD / XREADGROUP reply: [key, [entries]].
inline std::string from(std::string_view key, std::initializer_list<std::string> entries) {
  return "*2\r\n" + bulk(key) + array(entries);
}

inline const std::string kNullArray = "*-1\r\n";
inline const std::string kBadId =
    error("ERR Invalid stream ID specified as stream command argument");
inline const std::string kMaxId = "18446744073709551615-18446744073709551615";

inline std::string arity(std::string_view cmd) {
  return error("ERR wrong number of arguments for '" + std::string(cmd) + "' command");
}

// Consumer groups: errors, XINFO rows, pending entries.

inline const std::string kNoKeyForGroup = error(
    "ERR The XGROUP subcommand requires the key to exist. Note that for CREATE you may want "
    "to use the MKSTREAM option to create an empty stream automatically.");

inline std::string subcommand_err(std::string_view sub, std::string_view cmd) {
  return error("ERR unknown subcommand or wrong number of arguments for '" + std::string(sub) +
               "'. Try " + std::string(cmd) + " HELP.");
}
inline std::string no_group(std::string_view group, std::string_view key) {
  return error("NOGROUP No such consumer group '" + std::string(group) + "' for key name '" +
               std::string(key) + "'");
}
inline std::string no_key_or_group(std::string_view key, std::string_view group) {
  return error("NOGROUP No such key '" + std::string(key) + "' or consumer group '" +
               std::string(group) + "'");
}

// One group of XINFO GROUPS; entries_read / lag < 0 stand for null.
inline std::string group_info(std::string_view name, int64_t consumers, int64_t pending,
                              std::string_view last_id, int64_t entries_read, int64_t lag) {
  return array({bulk("name"), bulk(name), bulk("consumers"), integer(consumers), bulk("pending"),
                integer(pending), bulk("last-delivered-id"), bulk(last_id), bulk("entries-read"),
                entries_read < 0 ? kNil : integer(entries_read), bulk("lag"),
                lag == -1 ? kNil : integer(lag)});
}
inline std::string consumer_info(std::string_view name, int64_t pending, int64_t idle) {
  return array(
      {bulk("name"), bulk(name), bulk("pending"), integer(pending), bulk("idle"), integer(idle)});
}
// [id, consumer, idle, deliveries]
inline std::string pel(std::string_view id, std::string_view consumer, int64_t idle,
                       int64_t count) {
  return array({bulk(id), bulk(consumer), integer(idle), integer(count)});
}
inline std::string ids(std::initializer_list<std::string_view> list) {
  std::string r = "*" + std::to_string(list.size()) + "\r\n";
  for (auto i : list) r += bulk(i);
  return r;
}
// An XPENDING summary's consumer row: [name, "count"].
inline std::string owner(std::string_view name, std::string_view count) {
  return array({bulk(name), bulk(count)});
}

// s holds 1-0 a 1 .. n-0 (letter) n, and group g at 0.
inline void stream_with_group(EngineHarness& h, int n) {
  for (int i = 1; i <= n; ++i) {
    std::string id = std::to_string(i) + "-0", v = std::to_string(i);
    h.run({"XADD", "s", id, std::string(1, static_cast<char>('a' + i - 1)), v});
  }
  h.run({"XGROUP", "CREATE", "s", "g", "0"});
}
// Entry i of stream_with_group: i-0 <letter i> <i>.
inline std::string nth_entry(int i) {
  return entry(std::to_string(i) + "-0", std::string(1, static_cast<char>('a' + i - 1)),
               std::to_string(i));
}

}  // namespace kvd::test
