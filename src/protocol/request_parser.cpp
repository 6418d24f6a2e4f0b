#include "kvd/protocol/request_parser.hpp"

#include <climits>
#include <cstring>

#include "kvd/common/strings.hpp"
#include "kvd/protocol/split_args.hpp"

namespace kvd::protocol {

RequestParser::Rare& RequestParser::rare() {
  if (!rare_) rare_ = std::make_unique<Rare>();
  return *rare_;
}

const std::string& RequestParser::error() const {
  static const std::string kNone;
  return rare_ ? rare_->error : kNone;
}
namespace {

const char* find_crlf(const char* p, size_t n) {
  const void* r = std::memchr(p, '\r', n);
  while (r) {
    const char* c = static_cast<const char*>(r);
    size_t off = c - p;
    if (off + 1 >= n) return nullptr;  // '\r' is the last byte: need more
    if (c[1] == '\n') return c;
    r = std::memchr(c + 1, '\r', n - off - 1);
  }
  return nullptr;
}

}  // namespace

void RequestParser::reset() {
  multibulk_len_ = 0;
  bulk_len_ = -1;
  pos_ = 0;
  offsets_.clear();
  consumed_ = 0;
}

void RequestParser::release_memory() {
  constexpr size_t kKeep = 1024;
  if (multibulk_len_ != 0) return;  // mid-command: the tables are in use
  if (offsets_.capacity() > kKeep) std::vector<std::pair<size_t, size_t>>().swap(offsets_);
  if (args_.capacity() > kKeep) std::vector<std::string_view>().swap(args_);
}

size_t RequestParser::bytes_expected() const {
  if (bulk_len_ >= 0) return pos_ + static_cast<size_t>(bulk_len_) + 2;
  return 0;
}

size_t RequestParser::bytes_before_big_bulk() const {
  return bulk_len_ >= kBigBulk ? pos_ : 0;
}

RequestParser::Status RequestParser::fail(std::string msg) {
  rare().error = std::move(msg);
  reset();
  return Status::kError;
}

RequestParser::Status RequestParser::parse(const char* data, size_t len) {
  args_.clear();
  if (pos_ == 0 && multibulk_len_ == 0) {
    if (len == 0) return Status::kNeedMore;
    if (data[0] != '*') return parse_inline(data, len);
  }
  return parse_multibulk(data, len);
}

RequestParser::Status RequestParser::parse_inline(const char* data, size_t len) {
  const void* nl = std::memchr(data, '\n', len);
  if (!nl) {
    if (len > kMaxInlineSize) return fail("Protocol error: too big inline request");
    return Status::kNeedMore;
  }
  size_t line_end = static_cast<const char*>(nl) - data;
  size_t content_end = line_end;
  if (content_end > 0 && data[content_end - 1] == '\r') --content_end;
  auto parts = split_args(std::string_view(data, content_end));
  if (!parts) return fail("Protocol error: unbalanced quotes in request");
  rare().inline_args = std::move(*parts);
  for (const auto& a : rare_->inline_args) args_.emplace_back(a);
  consumed_ = line_end + 1;
  pos_ = 0;
  return Status::kCommand;
}

namespace {
constexpr int64_t kMaxUnauthenticatedArgs = 10;
constexpr int64_t kMaxUnauthenticatedBulk = 16384;
}  // namespace

RequestParser::Status RequestParser::parse_multibulk(const char* data, size_t len) {
  if (multibulk_len_ == 0) {
    // Header: *<count>\r\n
    const char* crlf = find_crlf(data, len);
    if (!crlf) {
      if (len > kMaxInlineSize) return fail("Protocol error: too big mbulk count string");
      return Status::kNeedMore;
    }
    int64_t count;
    if (!parse_int64(std::string_view(data + 1, crlf - data - 1), &count) || count > INT_MAX) {
      return fail("Protocol error: invalid multibulk length");
    }
    if (count > kMaxUnauthenticatedArgs && auth_required_)
      return fail("Protocol error: unauthenticated multibulk length");
    pos_ = crlf - data + 2;
    if (count <= 0) {
      consumed_ = pos_;
      pos_ = 0;
      return Status::kCommand;  // empty command, ignored by the caller
    }
    multibulk_len_ = count;
    offsets_.clear();
    offsets_.reserve(count < 1024 ? count : 1024);
  }
  while (multibulk_len_ > 0) {
    if (bulk_len_ < 0) {
      if (pos_ >= len) return Status::kNeedMore;
      const char* crlf = find_crlf(data + pos_, len - pos_);
      if (!crlf) {
        if (len - pos_ > kMaxInlineSize) return fail("Protocol error: too big bulk count string");
        return Status::kNeedMore;
      }
      if (data[pos_] != '$') {
        return fail(std::string("Protocol error: expected '$', got '") + data[pos_] + "'");
      }
      int64_t blen;
      if (!parse_int64(std::string_view(data + pos_ + 1, crlf - data - pos_ - 1), &blen) ||
          blen < 0 || blen > limits_.max_bulk_len) {
        return fail("Protocol error: invalid bulk length");
      }
      if (blen > kMaxUnauthenticatedBulk && auth_required_)
        return fail("Protocol error: unauthenticated bulk length");
      bulk_len_ = blen;
      pos_ = crlf - data + 2;
    }
    if (len - pos_ < static_cast<size_t>(bulk_len_) + 2) return Status::kNeedMore;
    offsets_.emplace_back(pos_, static_cast<size_t>(bulk_len_));
    pos_ += bulk_len_ + 2;
    bulk_len_ = -1;
    --multibulk_len_;
  }
  for (const auto& [off, n] : offsets_) args_.emplace_back(data + off, n);
  consumed_ = pos_;
  pos_ = 0;
  offsets_.clear();
  return Status::kCommand;
}

}  // namespace kvd::protocol
