#include "kvd/protocol/request_batch.hpp"

namespace kvd::protocol {

void RequestBatch::add(const std::vector<std::string_view>& args) {
  for (std::string_view a : args) {
    spans_.emplace_back(bytes_.size(), a.size());
    bytes_.append(a.data(), a.size());
  }
  command_ends_.push_back(spans_.size());
  views_built_ = false;
}

void RequestBatch::build_views() {
  // Views are made once all bytes are in place: appending may move bytes_.
  views_.clear();
  views_.reserve(spans_.size());
  for (auto [off, len] : spans_) views_.emplace_back(bytes_.data() + off, len);
  views_built_ = true;
}

std::span<const std::string_view> RequestBatch::command(size_t i) {
  if (!views_built_) build_views();
  size_t begin = i == 0 ? 0 : command_ends_[i - 1];
  return {views_.data() + begin, command_ends_[i] - begin};
}

void RequestBatch::clear() {
  wire_bytes_ = 0;
  bytes_.clear();
  spans_.clear();
  command_ends_.clear();
  views_.clear();
  views_built_ = false;
  error_.clear();
  // A batch that once carried a big value or very many arguments should not
  // pin that memory (the same 64 KB bound as a connection's query buffer).
  if (bytes_.capacity() > 64 * 1024) std::string().swap(bytes_);
  if (spans_.capacity() > 4096) {
    std::vector<std::pair<size_t, size_t>>().swap(spans_);
    std::vector<std::string_view>().swap(views_);
    std::vector<size_t>().swap(command_ends_);
  }
}

void RequestBatch::release() {
  clear();
  std::string().swap(bytes_);
  std::vector<std::pair<size_t, size_t>>().swap(spans_);
  std::vector<std::string_view>().swap(views_);
  std::vector<size_t>().swap(command_ends_);
  std::string().swap(error_);
}

}  // namespace kvd::protocol
