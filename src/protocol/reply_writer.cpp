#include "kvd/protocol/reply_writer.hpp"

#include <cstring>
#include <string>

#include "kvd/common/strings.hpp"

namespace kvd::protocol {

void ReplyWriter::prefixed_number(char prefix, int64_t v) {
  char buf[32];
  buf[0] = prefix;
  size_t n = 1 + format_int64(v, buf + 1);
  buf[n++] = '\r';
  buf[n++] = '\n';
  out_->append(buf, n);
}

void ReplyWriter::simple(std::string_view s) {
  char buf[128];
  if (s.size() + 3 <= sizeof buf) {
    buf[0] = '+';
    if (!s.empty()) std::memcpy(buf + 1, s.data(), s.size());
    buf[s.size() + 1] = '\r';
    buf[s.size() + 2] = '\n';
    out_->append(buf, s.size() + 3);
    return;
  }
  out_->append("+", 1);
  out_->append(s);
  out_->append("\r\n", 2);
}

void ReplyWriter::error(std::string_view msg) {
  ++errors_;
  std::string line = "-";
  // A message starting with an upper-case word followed by a space carries its
  // own code (ERR, WRONGTYPE, NOAUTH, ...). Otherwise use ERR.
  size_t sp = msg.find(' ');
  bool has_code = sp != std::string_view::npos && sp > 0;
  for (size_t i = 0; has_code && i < sp; ++i) {
    if (!(msg[i] >= 'A' && msg[i] <= 'Z')) has_code = false;
  }
  if (!has_code) line += "ERR ";
  for (char c : msg) line.push_back(c == '\r' || c == '\n' ? ' ' : c);
  line += "\r\n";
  std::string_view code = has_code ? msg.substr(0, sp) : std::string_view("ERR");
  size_t cn = std::min(code.size(), sizeof last_error_code_buf_);
  std::memcpy(last_error_code_buf_, code.data(), cn);
  last_error_code_len_ = static_cast<uint8_t>(cn);
  out_->append(line);
}

void ReplyWriter::error_verbatim(std::string_view msg, bool count) {
  if (count) {
    ++errors_;
  } else {
    ++uncounted_errors_;
  }
  std::string line = "-";
  for (char c : msg) line.push_back(c == '\r' || c == '\n' ? ' ' : c);
  line += "\r\n";
  std::string_view code = msg.substr(0, std::min(msg.find(' '), msg.size()));
  size_t cn = std::min(code.size(), sizeof last_error_code_buf_);
  std::memcpy(last_error_code_buf_, code.data(), cn);
  last_error_code_len_ = static_cast<uint8_t>(cn);
  out_->append(line);
}

void ReplyWriter::big_number(std::string_view digits) {
  if (resp_ < 3) {
    bulk(digits);
    return;
  }
  out_->append("(", 1);
  out_->append(digits);
  out_->append("\r\n", 2);
}

void ReplyWriter::bulk(std::string_view s) {
  // Most bulk replies are small and fit the current block: write them there
  // directly ("$", length, CRLF, bytes, CRLF). LRANGE of 100 short elements
  // spent 40% of its time staging and copying these.
  constexpr size_t kHeaderMax = 1 + 20 + 2;
  if (s.size() <= 4096) {
    if (char* p = out_->tail_room(kHeaderMax + s.size() + 2)) {
      size_t n = 0;
      p[n++] = '$';
      n += format_int64(static_cast<int64_t>(s.size()), p + n);
      p[n++] = '\r';
      p[n++] = '\n';
      if (!s.empty()) std::memcpy(p + n, s.data(), s.size());
      n += s.size();
      p[n++] = '\r';
      p[n++] = '\n';
      out_->commit(n);
      return;
    }
  }
  char buf[32];
  buf[0] = '$';
  size_t n = 1 + format_int64(static_cast<int64_t>(s.size()), buf + 1);
  buf[n++] = '\r';
  buf[n++] = '\n';
  if (s.size() <= 256) {
    char small[300];
    std::memcpy(small, buf, n);
    // An empty view may carry a null pointer, which memcpy must not see.
    if (!s.empty()) std::memcpy(small + n, s.data(), s.size());
    small[n + s.size()] = '\r';
    small[n + s.size() + 1] = '\n';
    out_->append(small, n + s.size() + 2);
    return;
  }
  out_->append(buf, n);
  out_->append(s);
  out_->append("\r\n", 2);
}

void ReplyWriter::null() {
  if (resp_ >= 3)
    out_->append("_\r\n", 3);
  else
    out_->append("$-1\r\n", 5);
}

void ReplyWriter::null_array() {
  if (resp_ >= 3)
    out_->append("_\r\n", 3);
  else
    out_->append("*-1\r\n", 5);
}

void ReplyWriter::map(int64_t n) {
  if (resp_ >= 3)
    prefixed_number('%', n);
  else
    prefixed_number('*', n * 2);
}

void ReplyWriter::set(int64_t n) {
  prefixed_number(resp_ >= 3 ? '~' : '*', n);
}

void ReplyWriter::push(int64_t n) {
  prefixed_number(resp_ >= 3 ? '>' : '*', n);
}

void ReplyWriter::dbl(double v) {
  std::string s = format_double(v);
  if (resp_ >= 3) {
    out_->append(",", 1);
    out_->append(s);
    out_->append("\r\n", 2);
  } else {
    bulk(s);
  }
}

void ReplyWriter::boolean(bool v) {
  if (resp_ >= 3)
    out_->append(v ? "#t\r\n" : "#f\r\n", 4);
  else
    integer(v ? 1 : 0);
}

void ReplyWriter::verbatim(std::string_view s, std::string_view fmt) {
  if (resp_ < 3) {
    bulk(s);
    return;
  }
  prefixed_number('=', static_cast<int64_t>(s.size() + 4));
  // prefixed_number wrote "=<n>\r\n"; now "<fmt>:<payload>\r\n".
  out_->append(fmt);
  out_->append(":", 1);
  out_->append(s);
  out_->append("\r\n", 2);
}

}  // namespace kvd::protocol
