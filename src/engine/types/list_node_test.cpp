// ListNode against a std::deque model: random pushes, pops, inserts and
// erases at both ends and in the middle, with element sizes that cross the
// one- and two-byte length prefixes, and a check of every element after each
// step.
#include "kvd/engine/types/list_node.hpp"

#include <gtest/gtest.h>

#include <deque>
#include <random>
#include <string>

namespace kvd::engine {
namespace {

void expect_same(const ListNode& n, const std::deque<std::string>& model) {
  ASSERT_EQ(n.size(), model.size());
  size_t off = 0, bytes = 0;
  for (const std::string& want : model) {
    size_t nx;
    ASSERT_EQ(n.at(off, &nx), want);
    bytes += nx - off;
    off = nx;
  }
  EXPECT_EQ(off, n.bytes());
  EXPECT_EQ(bytes, n.bytes());
  EXPECT_LE(n.bytes(), n.allocated());
}

std::string value(std::mt19937_64& rng, int i) {
  // Mostly short, sometimes past 127 bytes (a two-byte length prefix).
  size_t len = rng() % 10 == 0 ? 100 + rng() % 200 : rng() % 12;
  std::string s(len, static_cast<char>('a' + i % 26));
  if (!s.empty()) s[0] = static_cast<char>('A' + i % 26);
  return s;
}

TEST(ListNode, MatchesADequeUnderRandomEdits) {
  std::mt19937_64 rng(7);
  ListNode node;
  std::deque<std::string> model;
  for (int i = 0; i < 20000; ++i) {
    int op = static_cast<int>(rng() % 10);
    if (op < 3) {
      std::string v = value(rng, i);
      node.push_front(v);
      model.push_front(v);
    } else if (op < 6) {
      std::string v = value(rng, i);
      node.push_back(v);
      model.push_back(v);
    } else if (op == 6 && !model.empty()) {
      node.erase(0);
      model.pop_front();
    } else if (op == 7 && !model.empty()) {
      node.erase(node.offset_of(model.size() - 1));
      model.pop_back();
    } else if (op == 8) {
      size_t at = model.empty() ? 0 : rng() % (model.size() + 1);
      std::string v = value(rng, i);
      node.insert(node.offset_of(at), v);
      model.insert(model.begin() + static_cast<std::ptrdiff_t>(at), v);
    } else if (!model.empty()) {
      size_t at = rng() % model.size();
      size_t count = 1 + rng() % 3;
      if (count > model.size() - at) count = model.size() - at;
      node.erase_range(node.offset_of(at), count);
      model.erase(model.begin() + static_cast<std::ptrdiff_t>(at),
                  model.begin() + static_cast<std::ptrdiff_t>(at + count));
    }
    if (i % 97 == 0) expect_same(node, model);
    if (i % 1000 == 999) node.shrink_to_fit();
  }
  expect_same(node, model);
  ListNode copy(node);
  expect_same(copy, model);
}

TEST(ListNode, PushesAtEitherEndDoNotMoveTheNodeEachTime) {
  // Past the exactly-sized small range, the buffer grows geometrically while
  // thousands of elements are pushed at the front: a few grows, not one per push.
  ListNode node;
  size_t grows = 0, last_cap = 0;
  for (int i = 0; i < 4000; ++i) {
    node.push_front("xyz");
    if (node.allocated() != last_cap) {
      if (last_cap >= 256) ++grows;
      last_cap = node.allocated();
    }
  }
  EXPECT_LE(grows, 20u);  // 256 B to 16 KB is 11 steps at x1.5; one per push would be 3,900
  EXPECT_EQ(node.size(), 4000u);
  size_t nx;
  EXPECT_EQ(node.at(0, &nx), "xyz");
}

TEST(ListNode, ReplaceKeepsNeighbours) {
  ListNode node;
  for (const char* s : {"a", "bb", "ccc"}) node.push_back(s);
  node.replace(node.offset_of(1), std::string(200, 'x'));
  std::deque<std::string> want{"a", std::string(200, 'x'), "ccc"};
  expect_same(node, want);
  node.replace(0, "");
  want[0] = "";
  expect_same(node, want);
}

}  // namespace
}  // namespace kvd::engine
