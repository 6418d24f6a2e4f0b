#pragma once

#include <algorithm>
#include <string>
#include <vector>

#include "support/engine_harness.hpp"

namespace kvd::test {

// What a client reads back from a key of any type, in an order that does not
// depend on the encoding (big hashes and sets iterate in table order), so two
// keys holding the same value compare equal. Streams: the entries and XLEN,
// plus either XINFO STREAM FULL (`stream_details`) or, when delivery and
// seen times differ legitimately (values made by another server), XINFO
// GROUPS.
inline std::string read_back(EngineHarness& h, const std::string& key, bool stream_details) {
  std::string type = h.run({"TYPE", key});
  if (type == "+string\r\n") return h.run({"GET", key});
  if (type == "+list\r\n") return h.run({"LRANGE", key, "0", "-1"});
  if (type == "+set\r\n") return h.run({"SORT", key, "ALPHA"});
  if (type == "+zset\r\n") return h.run({"ZRANGE", key, "0", "-1", "WITHSCORES"});
  if (type == "+hash\r\n") {
    std::string all = h.run({"HGETALL", key});
    std::vector<std::string> pairs;
    size_t pos = all.find("\r\n") + 2;
    while (pos < all.size()) {
      size_t end = pos;
      for (int i = 0; i < 4; ++i) end = all.find("\r\n", end) + 2;  // $n, field, $n, value
      pairs.push_back(all.substr(pos, end - pos));
      pos = end;
    }
    std::sort(pairs.begin(), pairs.end());
    std::string out;
    for (const std::string& p : pairs) out += p;
    return out;
  }
  if (type == "+stream\r\n") {
    std::string r = h.run({"XRANGE", key, "-", "+"}) + h.run({"XLEN", key});
    return r + (stream_details ? h.run({"XINFO", "STREAM", key, "FULL"})
                               : h.run({"XINFO", "GROUPS", key}));
  }
  return type;
}

}  // namespace kvd::test
