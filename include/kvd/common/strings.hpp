#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace kvd {

// Strict decimal integer parse, as Redis's string2ll: optional '-', no '+', no
// blanks, no leading zeros, must fit in int64.
bool parse_int64(std::string_view s, int64_t* out);
// Like parse_int64 but accepts only values that fit in uint64 and have no sign.
bool parse_uint64(std::string_view s, uint64_t* out);
// Parses a double as Redis's getDoubleFromObject does: no blanks, no NaN; "inf",
// "+inf", "-inf" accepted.
bool parse_double(std::string_view s, double* out);
// Same for long double (INCRBYFLOAT).
bool parse_long_double(std::string_view s, long double* out);

// Writes v in decimal to buf (at least 21 bytes); returns the length.
size_t format_int64(int64_t v, char* buf);
std::string int_to_string(int64_t v);
// "%.17g" as Redis's RESP2 double replies; inf as "inf"/"-inf".
std::string format_double(double v);
// Human form used by INCRBYFLOAT: fixed point, trailing zeros removed.
std::string format_long_double(long double v);

// ASCII case folding, as Redis's strcasecmp in the C locale: command names
// and options are ASCII, and std::tolower is a locale-aware call per byte.
inline char ascii_lower(char c) {
  return c >= 'A' && c <= 'Z' ? static_cast<char>(c + 32) : c;
}
bool iequals(std::string_view a, std::string_view b);
// Appends s double-quoted, with \\ \" \n \r \t \a \b and \xHH escapes for
// what is not printable: Redis's "sdscatrepr" form (MONITOR, CONFIG REWRITE),
// which split_args reads back.
void append_repr(std::string& out, std::string_view s);
std::string to_lower(std::string_view s);

// Redis glob matching (stringmatchlen): * ? [abc] [^a] [a-z] and \ escapes.
bool glob_match(std::string_view pattern, std::string_view str, bool nocase = false);

// Parses memory sizes as redis.conf does: 1k = 1000, 1kb = 1024, 1m, 1mb, 1g, 1gb.
bool parse_memory(std::string_view s, int64_t* out);

}  // namespace kvd
