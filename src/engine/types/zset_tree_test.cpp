// The big sorted-set order (ZTree) against a std::set model: random inserts,
// erases and score moves, with the tree's invariants and every query checked.
#include "kvd/engine/types/zset_tree.hpp"

#include <gtest/gtest.h>

#include <iterator>
#include <map>
#include <random>
#include <set>
#include <string>
#include <utility>
#include <vector>

namespace kvd::engine {
namespace {

using Key = std::pair<double, std::string>;

class ZTreeModel {
 public:
  ~ZTreeModel() {
    for (auto& [m, e] : elems_) ZElem::destroy(e);
  }

  void insert(double score, const std::string& m) {
    ZElem* e = ZElem::make(score, m);
    tree_.insert(e);
    elems_[m] = e;
    model_.insert({score, m});
  }
  void erase(const std::string& m) {
    ZElem* e = elems_.at(m);
    model_.erase({e->score, m});
    tree_.erase(e);
    ZElem::destroy(e);
    elems_.erase(m);
  }
  void rescore(const std::string& m, double score) {
    ZElem* e = elems_.at(m);
    model_.erase({e->score, m});
    tree_.rescore(e, score);
    model_.insert({score, m});
  }

  // Every query against the model; cheap checks each call, full ones when asked.
  void verify(bool full) {
    ASSERT_TRUE(tree_.check());
    ASSERT_EQ(tree_.size(), model_.size());
    if (!full) return;
    std::vector<Key> forward;
    tree_.for_each(
        [&](const ZElem* e) { forward.emplace_back(e->score, std::string(e->member())); });
    ASSERT_EQ(forward, std::vector<Key>(model_.begin(), model_.end()));
    size_t r = 0;
    for (const auto& k : model_) {
      ASSERT_EQ(tree_.rank_of(elems_.at(k.second)), r);
      ZTree::Cursor c = tree_.seek(r);
      ASSERT_TRUE(c.valid());
      ASSERT_EQ(ZTree::elem_at(c)->member(), k.second);
      ASSERT_EQ(ZTree::score_at(c), k.first);
      ++r;
    }
    // Backwards from the last rank.
    if (!model_.empty()) {
      ZTree::Cursor c = tree_.seek(model_.size() - 1);
      for (auto it = model_.rbegin(); it != model_.rend(); ++it) {
        ASSERT_TRUE(c.valid());
        ASSERT_EQ(ZTree::elem_at(c)->member(), it->second);
        ZTree::step(&c, true);
      }
      ASSERT_FALSE(c.valid());
    }
  }

  size_t count_below(double score) const {
    return tree_.count_prefix([&](const ZElem*, double s) { return s < score; });
  }
  size_t model_count_below(double score) const {
    return std::distance(model_.begin(), model_.lower_bound({score, std::string()}));
  }

  ZTree tree_;
  std::map<std::string, ZElem*> elems_;
  std::set<Key> model_;
};

TEST(ZTree, EmptyTree) {
  ZTree t;
  EXPECT_EQ(t.size(), 0u);
  EXPECT_TRUE(t.check());
  EXPECT_FALSE(t.seek(0).valid());
  EXPECT_EQ(t.count_prefix([](const ZElem*, double) { return true; }), 0u);
}

TEST(ZTree, AscendingInsertsThenEraseAll) {
  ZTreeModel z;
  for (int i = 0; i < 5000; ++i) z.insert(i, "m" + std::to_string(i));
  z.verify(true);
  for (int i = 0; i < 5000; ++i) {
    z.erase("m" + std::to_string(i));
    if (i % 500 == 0) z.verify(true);
  }
  z.verify(true);
  EXPECT_EQ(z.tree_.size(), 0u);
}

TEST(ZTree, AscendingInsertsThenEraseFromTheEnd) {
  // Appends split off small right nodes; taking keys off the end again must
  // never leave an empty or underfull node behind (check() and iteration).
  ZTreeModel z;
  for (int round = 0; round < 3; ++round) {
    for (int i = 0; i < 3000; ++i) z.insert(i, "a" + std::to_string(i));
    for (int i = 2999; i >= 0; --i) {
      z.erase("a" + std::to_string(i));
      if (i % 7 == 0) z.verify(i % 301 == 0);
    }
  }
  z.verify(true);
}

TEST(ZTree, DescendingInsertsAndEqualScoresOrderByMember) {
  ZTreeModel z;
  for (int i = 3000; i > 0; --i) z.insert(i % 7, "member:" + std::to_string(i));
  z.verify(true);
  for (int i = 1; i <= 3000; i += 2) z.erase("member:" + std::to_string(i));
  z.verify(true);
}

TEST(ZTree, RandomOperationsMatchModel) {
  std::mt19937_64 rng(12345);
  ZTreeModel z;
  std::vector<std::string> names;
  for (int i = 0; i < 4000; ++i) names.push_back("e" + std::to_string(i));
  std::uniform_int_distribution<int> pick(0, static_cast<int>(names.size()) - 1);
  // Few distinct scores, so ties (ordered by member) are common.
  std::uniform_int_distribution<int> score(-50, 50);
  for (int step = 0; step < 60000; ++step) {
    const std::string& m = names[pick(rng)];
    bool present = z.elems_.count(m) != 0;
    int op = static_cast<int>(rng() % 10);
    if (!present) {
      z.insert(score(rng) / 2.0, m);
    } else if (op < 4) {
      z.erase(m);
    } else {
      z.rescore(m, score(rng) / 2.0);
    }
    if (step % 97 == 0) z.verify(false);
    if (step % 5000 == 0) z.verify(true);
    if (step % 1000 == 0) {
      double s = score(rng) / 2.0;
      ASSERT_EQ(z.count_below(s), z.model_count_below(s)) << s;
    }
  }
  z.verify(true);
}

TEST(ZTree, RescoreInPlaceKeepsOrder) {
  ZTreeModel z;
  for (int i = 0; i < 1000; ++i) z.insert(i * 10, "k" + std::to_string(i));
  // Small moves stay between neighbours (in place); big ones cross leaves.
  for (int i = 0; i < 1000; ++i) z.rescore("k" + std::to_string(i), i * 10 + 1);
  z.verify(true);
  for (int i = 0; i < 1000; ++i) z.rescore("k" + std::to_string(i), -i);
  z.verify(true);
}

}  // namespace
}  // namespace kvd::engine
