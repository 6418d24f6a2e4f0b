#include "kvd/engine/propagation.hpp"

#include <algorithm>

namespace kvd::engine {

void Propagation::add_sink(EffectSink* s) {
  if (std::find(sinks_.begin(), sinks_.end(), s) == sinks_.end()) sinks_.push_back(s);
}

void Propagation::remove_sink(EffectSink* s) {
  sinks_.erase(std::remove(sinks_.begin(), sinks_.end(), s), sinks_.end());
}

void Propagation::open_frame() {
  if (!frames_.empty()) frames_.back().ran_child = true;
  frames_.push_back(Frame{});
}

bool Propagation::close_frame() {
  if (frames_.empty()) return false;
  Frame f = frames_.back();
  frames_.pop_back();
  return !f.handled && !f.ran_child;
}

void Propagation::emit(int db, std::vector<std::string> argv) {
  if (sinks_.empty()) return;
  pending_.push_back(Effect{db, std::move(argv), targets_});
  if (targets_ != kToAll) narrowed_ = true;
  if (frames_.empty()) end_unit();
}

void Propagation::replace(int db, std::vector<std::string> argv) {
  if (!frames_.empty()) frames_.back().handled = true;
  emit(db, std::move(argv));
}

void Propagation::suppress() {
  if (!frames_.empty()) frames_.back().handled = true;
}

void Propagation::end_unit(bool one_by_one) {
  if (pending_.empty()) return;
  if (one_by_one && pending_.size() > 1) {
    std::vector<Effect> all;
    all.swap(pending_);
    for (Effect& e : all) {
      narrowed_ = e.targets != kToAll;
      pending_.push_back(std::move(e));
      end_unit();
    }
    return;
  }
  const bool everywhere = !narrowed_;
  narrowed_ = false;
  for (EffectSink* s : sinks_) {
    if (everywhere) {
      s->consume(pending_);
      continue;
    }
    // A script chose (redis.set_repl): each sink gets what was meant for it.
    std::vector<Effect> mine;
    for (const Effect& e : pending_)
      if (e.targets & s->target()) mine.push_back(e);
    if (!mine.empty()) s->consume(mine);
  }
  pending_.clear();
}

std::vector<std::string> effect_argv(std::initializer_list<std::string_view> parts) {
  std::vector<std::string> out;
  out.reserve(parts.size());
  for (std::string_view p : parts) out.emplace_back(p);
  return out;
}

}  // namespace kvd::engine
