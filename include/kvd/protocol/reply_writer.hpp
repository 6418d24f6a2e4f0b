#pragma once

#include <cstdint>
#include <string_view>

#include "kvd/protocol/output_buffer.hpp"

namespace kvd::protocol {

// Encodes replies in RESP2 or RESP3 into an OutputBuffer. Commands describe the
// shape of their reply (a map, a double, a null) and the writer picks the bytes
// for the connection's protocol, so handlers stay protocol-agnostic.
class ReplyWriter {
 public:
  explicit ReplyWriter(OutputBuffer& out, int resp = 2) : out_(&out), resp_(resp) {}

  int resp() const { return resp_; }
  void set_resp(int v) { resp_ = v; }
  OutputBuffer& buffer() { return *out_; }
  void set_buffer(OutputBuffer& out) { out_ = &out; }

  void ok() { out_->append("+OK\r\n", 5); }
  void simple(std::string_view s);
  // `msg` is the whole error including its code, e.g. "ERR syntax error" or
  // "WRONGTYPE Operation ...". A message without a code gets "ERR " prepended.
  // CR and LF are replaced by spaces so the reply stays one line.
  void error(std::string_view msg);
  // Writes "-msg" as it is, its first word taken as the code, where error()
  // would add ERR to a message whose first word is not upper case: a script's
  // {err = "..."} reply is passed on unchanged, as Redis does.
  // `count`: false when the error was already counted (errors()) elsewhere.
  void error_verbatim(std::string_view msg, bool count = true);
  void integer(int64_t v) { prefixed_number(':', v); }
  void bulk(std::string_view s);
  void null();        // missing bulk: $-1 / _
  void null_array();  // missing array: *-1 / _
  void array(int64_t n) { prefixed_number('*', n); }
  void map(int64_t n);                       // n key/value pairs: *2n / %n
  void set(int64_t n);                       // *n / ~n
  void push(int64_t n);                      // >n in RESP3, *n in RESP2
  void dbl(double v);                        // bulk "%.17g" / ,v
  void boolean(bool v);                      // :1 / #t
  void big_number(std::string_view digits);  // bulk / (digits
  void verbatim(std::string_view s, std::string_view fmt = "txt");
  void raw(std::string_view s) { out_->append(s); }

  // Errors written so far (the dispatcher uses it for error stats).
  uint64_t errors() const { return errors_; }
  // Errors written with count = false: they fail the command (failed_calls)
  // but were counted in the error stats where they arose (a script's call).
  uint64_t uncounted_errors() const { return uncounted_errors_; }
  const std::string_view last_error_code() const {
    return {last_error_code_buf_, last_error_code_len_};
  }

 private:
  void prefixed_number(char prefix, int64_t v);

  OutputBuffer* out_;
  int resp_;
  uint64_t errors_ = 0;
  uint64_t uncounted_errors_ = 0;
  // Redis's error codes are short words (WRONGTYPE, EXECABORT): 23 bytes and a
  // length keep every writer, one per connection, small.
  char last_error_code_buf_[23] = {};
  uint8_t last_error_code_len_ = 0;
};

}  // namespace kvd::protocol
