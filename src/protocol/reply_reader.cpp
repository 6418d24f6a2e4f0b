#include "kvd/protocol/reply_reader.hpp"

#include <charconv>
#include <cmath>
#include <cstdlib>
#include <string>

namespace kvd::protocol {
namespace {

bool parse_int(std::string_view s, int64_t& v) {
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  return ec == std::errc() && p == s.data() + s.size();
}

bool parse_double(std::string_view s, double& v) {
  if (s == "inf" || s == "+inf") {
    v = HUGE_VAL;
    return true;
  }
  if (s == "-inf") {
    v = -HUGE_VAL;
    return true;
  }
  if (s.empty() || s.size() > 64) return false;
  std::string copy(s);
  char* end = nullptr;
  v = std::strtod(copy.c_str(), &end);
  return end == copy.c_str() + copy.size();
}

}  // namespace

bool ReplyReader::line(std::string_view& out) {
  size_t eol = buf_.find("\r\n", pos_);
  if (eol == std::string_view::npos) return false;
  out = buf_.substr(pos_, eol - pos_);
  pos_ = eol + 2;
  return true;
}

bool ReplyReader::next(ReplyItem& item) {
  using Kind = ReplyItem::Kind;
  if (pos_ >= buf_.size()) return false;
  char type = buf_[pos_++];
  std::string_view text;
  if (!line(text)) return false;
  item = ReplyItem{};
  switch (type) {
    case '+':
      item.kind = Kind::kStatus;
      item.str = text;
      return true;
    case '-':
      item.kind = Kind::kError;
      item.str = text;
      return true;
    case ':':
      item.kind = Kind::kInteger;
      return parse_int(text, item.integer);
    case '_':
      item.kind = Kind::kNull;
      return true;
    case '#':
      item.kind = Kind::kBoolean;
      item.boolean = text == "t";
      return text == "t" || text == "f";
    case ',':
      item.kind = Kind::kDouble;
      return parse_double(text, item.dbl);
    case '(':
      item.kind = Kind::kBigNumber;
      item.str = text;
      return true;
    case '$':
    case '=': {
      int64_t len = 0;
      if (!parse_int(text, len) || len < -1) return false;
      if (len == -1) {
        item.kind = Kind::kNullBulk;
        return type == '$';
      }
      if (buf_.size() - pos_ < static_cast<size_t>(len) + 2) return false;
      if (buf_.compare(pos_ + static_cast<size_t>(len), 2, "\r\n") != 0) return false;
      std::string_view body = buf_.substr(pos_, static_cast<size_t>(len));
      pos_ += static_cast<size_t>(len) + 2;
      if (type == '$') {
        item.kind = Kind::kBulk;
        item.str = body;
        return true;
      }
      // Verbatim: a three-letter format, a colon, then the text.
      if (body.size() < 4 || body[3] != ':') return false;
      item.kind = Kind::kVerbatim;
      item.format = body.substr(0, 3);
      item.str = body.substr(4);
      return true;
    }
    case '*':
    case '%':
    case '~':
    case '>':
    case '|': {
      int64_t n = 0;
      if (!parse_int(text, n) || n < -1) return false;
      if (n == -1) {
        item.kind = Kind::kNullArray;
        return type == '*';
      }
      item.count = n;
      item.kind = type == '*'   ? Kind::kArray
                  : type == '%' ? Kind::kMap
                  : type == '~' ? Kind::kSet
                  : type == '>' ? Kind::kPush
                                : Kind::kAttribute;
      return true;
    }
    default:
      return false;
  }
}

}  // namespace kvd::protocol
