#include "kvd/common/strings.hpp"

#include <cctype>
#include <cerrno>
#include <climits>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <utility>

namespace kvd {

bool parse_int64(std::string_view s, int64_t* out) {
  size_t n = s.size();
  if (n == 0 || n > 20) return false;
  const char* p = s.data();
  if (n == 1 && p[0] == '0') {
    *out = 0;
    return true;
  }
  bool neg = false;
  size_t i = 0;
  if (p[0] == '-') {
    neg = true;
    i = 1;
    if (n == 1) return false;
  }
  if (p[i] < '1' || p[i] > '9') return false;
  uint64_t v = 0;
  for (; i < n; ++i) {
    if (p[i] < '0' || p[i] > '9') return false;
    unsigned d = p[i] - '0';
    if (v > (UINT64_MAX - d) / 10) return false;
    v = v * 10 + d;
  }
  if (neg) {
    if (v > static_cast<uint64_t>(INT64_MAX) + 1) return false;
    *out = static_cast<int64_t>(0 - v);
  } else {
    if (v > static_cast<uint64_t>(INT64_MAX)) return false;
    *out = static_cast<int64_t>(v);
  }
  return true;
}

bool parse_uint64(std::string_view s, uint64_t* out) {
  size_t n = s.size();
  if (n == 0 || n > 20) return false;
  if (n == 1 && s[0] == '0') {
    *out = 0;
    return true;
  }
  if (s[0] < '1' || s[0] > '9') return false;
  uint64_t v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
    unsigned d = c - '0';
    if (v > (UINT64_MAX - d) / 10) return false;
    v = v * 10 + d;
  }
  *out = v;
  return true;
}

bool parse_double(std::string_view s, double* out) {
  if (s.empty() || s.size() > 5000) return false;
  if (isspace(static_cast<unsigned char>(s[0]))) return false;
  char buf[5001];
  std::memcpy(buf, s.data(), s.size());
  buf[s.size()] = '\0';
  char* end;
  errno = 0;
  double v = std::strtod(buf, &end);
  if (static_cast<size_t>(end - buf) != s.size()) return false;
  if (std::isnan(v)) return false;
  // Overflow (to +-inf) and underflow to zero are errors, as in Redis; a
  // subnormal result is a valid score although strtod flags it with ERANGE.
  if (errno == ERANGE && (std::isinf(v) || v == 0)) return false;
  *out = v;
  return true;
}

bool parse_long_double(std::string_view s, long double* out) {
  if (s.empty() || s.size() > 5000) return false;
  if (isspace(static_cast<unsigned char>(s[0]))) return false;
  char buf[5001];
  std::memcpy(buf, s.data(), s.size());
  buf[s.size()] = '\0';
  char* end;
  errno = 0;
  long double v = std::strtold(buf, &end);
  if (static_cast<size_t>(end - buf) != s.size()) return false;
  if (std::isnan(v)) return false;
  if (errno == ERANGE) return false;
  *out = v;
  return true;
}

size_t format_int64(int64_t v, char* buf) {
  uint64_t u = v < 0 ? 0 - static_cast<uint64_t>(v) : static_cast<uint64_t>(v);
  size_t len = 0;
  if (v < 0) buf[len++] = '-';
  // Count the digits first, then write them in place from the last: no
  // reversed copy (this formats every length header of every reply).
  size_t n = 1;
  for (uint64_t t = u; t >= 10; t /= 10) ++n;
  for (size_t i = n; i-- > 0; u /= 10) buf[len + i] = static_cast<char>('0' + u % 10);
  return len + n;
}

std::string int_to_string(int64_t v) {
  char buf[24];
  return std::string(buf, format_int64(v, buf));
}

std::string format_double(double v) {
  if (std::isinf(v)) return v > 0 ? "inf" : "-inf";
  char buf[64];
  int n = std::snprintf(buf, sizeof buf, "%.17g", v);
  return std::string(buf, n);
}

std::string format_long_double(long double v) {
  if (std::isinf(v)) return v > 0 ? "inf" : "-inf";
  char buf[5600];
  int n = std::snprintf(buf, sizeof buf, "%.17Lf", v);
  if (n <= 0 || n >= static_cast<int>(sizeof buf)) return "0";
  if (std::strchr(buf, '.')) {
    while (n > 0 && buf[n - 1] == '0') --n;
    if (n > 0 && buf[n - 1] == '.') --n;
  }
  if (n == 2 && buf[0] == '-' && buf[1] == '0') return "0";
  return std::string(buf, n);
}

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (ascii_lower(a[i]) != ascii_lower(b[i])) return false;
  }
  return true;
}

std::string to_lower(std::string_view s) {
  std::string r(s);
  for (auto& c : r) c = ascii_lower(c);
  return r;
}

namespace {

// Redis folds case with tolower() in the C locale: ASCII letters only.
char fold_case(char c, bool nocase) {
  return nocase && c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
}

// Matches c against the "[...]" class whose body starts at p[i] (just past the
// '['). Mirrors stringmatchlen byte for byte, quirks included: "\x" escapes
// (compared case-sensitively), "a-z" ranges whose ends are swapped before case
// folding, and an unterminated class that ends with the pattern. *next is set
// to the first pattern byte after the class.
bool match_class(std::string_view p, size_t i, char c, bool nocase, size_t* next) {
  // Redis reads the terminating NUL of its sds pattern; model it explicitly.
  auto at = [&](size_t k) { return k < p.size() ? p[k] : '\0'; };
  bool negate = at(i) == '^';
  if (negate) ++i;
  bool match = false;
  while (true) {
    size_t left = p.size() - i;
    if (at(i) == '\\' && left >= 2) {
      ++i;
      if (p[i] == c) match = true;
    } else if (at(i) == ']') {
      break;
    } else if (left == 0) {
      --i;  // the class ends with the pattern; the common step below reaches the end
      break;
    } else if (left >= 3 && p[i + 1] == '-') {
      int lo = p[i], hi = p[i + 2];
      if (lo > hi) std::swap(lo, hi);
      lo = fold_case(static_cast<char>(lo), nocase);
      hi = fold_case(static_cast<char>(hi), nocase);
      int ch = fold_case(c, nocase);
      if (ch >= lo && ch <= hi) match = true;
      i += 2;
    } else if (fold_case(p[i], nocase) == fold_case(c, nocase)) {
      match = true;
    }
    ++i;
  }
  *next = i + 1;
  return match != negate;
}

// Matches one single-character token (anything but '*') at p[i] against c.
bool match_token(std::string_view p, size_t i, char c, bool nocase, size_t* next) {
  switch (p[i]) {
    case '?':
      *next = i + 1;
      return true;
    case '[':
      return match_class(p, i + 1, c, nocase, next);
    case '\\':
      // A trailing backslash is a literal backslash.
      if (p.size() - i >= 2) ++i;
      [[fallthrough]];
    default:
      *next = i + 1;
      return fold_case(p[i], nocase) == fold_case(c, nocase);
  }
}

}  // namespace

// Same answers as Redis's stringmatchlen, but iterative: every token other than
// '*' consumes exactly one byte, so on a mismatch it is enough to retry from the
// most recent '*' one byte further (earlier stars can never do better). That
// bounds the work to O(pattern * string) with no recursion, where a naive
// backtracking matcher is exponential on patterns like "a*a*a*...b".
bool glob_match(std::string_view p, std::string_view s, bool nocase) {
  // Redis never enters its loop for an empty string, so even "*" fails on "".
  if (s.empty()) return p.empty();
  constexpr size_t kNone = static_cast<size_t>(-1);
  size_t pi = 0, si = 0, star_p = kNone, star_s = 0;
  while (si < s.size()) {
    if (pi < p.size() && p[pi] == '*') {
      while (pi < p.size() && p[pi] == '*') ++pi;
      if (pi == p.size()) return true;
      star_p = pi;
      star_s = si;
      continue;
    }
    size_t next;
    if (pi < p.size() && match_token(p, pi, s[si], nocase, &next)) {
      pi = next;
      ++si;
      continue;
    }
    if (star_p == kNone) return false;
    pi = star_p;
    si = ++star_s;
  }
  while (pi < p.size() && p[pi] == '*') ++pi;
  return pi == p.size();
}

bool parse_memory(std::string_view s, int64_t* out) {
  std::string l = to_lower(s);
  int64_t mul = 1;
  auto ends = [&](const char* suf) {
    size_t n = std::strlen(suf);
    return l.size() > n && l.compare(l.size() - n, n, suf) == 0;
  };
  size_t cut = 0;
  if (ends("gb"))
    mul = 1024LL * 1024 * 1024, cut = 2;
  else if (ends("mb"))
    mul = 1024LL * 1024, cut = 2;
  else if (ends("kb"))
    mul = 1024, cut = 2;
  else if (ends("g"))
    mul = 1000LL * 1000 * 1000, cut = 1;
  else if (ends("m"))
    mul = 1000LL * 1000, cut = 1;
  else if (ends("k"))
    mul = 1000, cut = 1;
  else if (ends("b"))
    mul = 1, cut = 1;
  int64_t v;
  if (!parse_int64(std::string_view(l).substr(0, l.size() - cut), &v)) return false;
  if (v != 0 && (v > INT64_MAX / mul || v < INT64_MIN / mul)) return false;
  *out = v * mul;
  return true;
}

void append_repr(std::string& out, std::string_view s) {
  out += '"';
  for (unsigned char c : s) {
    switch (c) {
      case '\\':
        out += "\\\\";
        break;
      case '"':
        out += "\\\"";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      case '\a':
        out += "\\a";
        break;
      case '\b':
        out += "\\b";
        break;
      default:
        if (c < ' ' || c >= 0x7f) {
          static const char kHex[] = "0123456789abcdef";
          out += "\\x";
          out += kHex[c >> 4];
          out += kHex[c & 15];
        } else {
          out += static_cast<char>(c);
        }
    }
  }
  out += '"';
}

}  // namespace kvd
