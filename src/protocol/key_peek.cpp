#include "kvd/protocol/key_peek.hpp"

#include <cstdint>
#include <cstring>

namespace kvd::protocol {
namespace {

// Reads "<prefix><digits>\r\n" at *pos; false if incomplete or malformed.
bool read_header(const char* buf, size_t len, size_t* pos, char prefix, int64_t* out) {
  size_t p = *pos;
  if (p >= len || buf[p] != prefix) return false;
  ++p;
  int64_t v = 0;
  size_t digits = 0;
  while (p < len && buf[p] >= '0' && buf[p] <= '9') {
    if (++digits > 18) return false;
    v = v * 10 + (buf[p] - '0');
    ++p;
  }
  if (digits == 0 || p + 1 >= len || buf[p] != '\r' || buf[p + 1] != '\n') return false;
  *pos = p + 2;
  *out = v;
  return true;
}

}  // namespace

size_t peek_commands(const char* buf, size_t len, PeekedCommand* out, size_t max) {
  size_t pos = 0, found = 0;
  while (found < max) {
    int64_t argc;
    if (!read_header(buf, len, &pos, '*', &argc)) break;
    bool complete = true;
    PeekedCommand c;
    for (int64_t i = 0; i < argc; ++i) {
      int64_t n;
      if (!read_header(buf, len, &pos, '$', &n) || len - pos < static_cast<uint64_t>(n) + 2) {
        complete = false;
        break;
      }
      std::string_view arg(buf + pos, static_cast<size_t>(n));
      if (i == 1) c.key = arg;
      if (i == 2) c.arg2 = arg;
      if (i == 3) c.arg3 = arg;
      pos += static_cast<size_t>(n) + 2;
    }
    if (!complete) break;
    if (argc >= 2) out[found++] = c;
  }
  return found;
}

}  // namespace kvd::protocol
