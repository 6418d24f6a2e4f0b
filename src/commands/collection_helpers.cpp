#include "collection_helpers.hpp"

#include <cctype>
#include <cerrno>
#include <cstdlib>
#include <string>

#include "command_helpers.hpp"
#include "declare.hpp"
#include "kvd/common/strings.hpp"

namespace kvd::commands {

bool parse_scan_cursor(CommandContext& ctx, std::string_view s, uint64_t* out) {
  // strtoull semantics: sign and leading zeros accepted, blanks and garbage not.
  std::string buf(s);
  char* end = nullptr;
  errno = 0;
  unsigned long long v = std::strtoull(buf.c_str(), &end, 10);
  if (std::isspace(static_cast<unsigned char>(buf.c_str()[0])) || *end != '\0' || errno == ERANGE) {
    ctx.out.error("ERR invalid cursor");
    return false;
  }
  *out = v;
  return true;
}

bool parse_scan_options(CommandContext& ctx, size_t first, CollectionScanArgs* a, bool allow_type) {
  for (size_t i = first; i < ctx.args.size(); i += 2) {
    std::string_view opt = ctx.args[i];
    bool has_value = i + 1 < ctx.args.size();
    if (has_value && iequals(opt, "count")) {
      if (!arg_int64(ctx, ctx.args[i + 1], &a->count)) return false;
      if (a->count < 1) {
        ctx.out.error(err::kSyntax);
        return false;
      }
    } else if (has_value && iequals(opt, "match")) {
      a->pattern = ctx.args[i + 1];
      // Exactly "*" matches everything: skip matching (it would reject "").
      a->use_pattern = a->pattern != "*";
    } else if (has_value && allow_type && iequals(opt, "type")) {
      a->type = ctx.args[i + 1];
      a->use_type = true;
    } else {
      ctx.out.error(err::kSyntax);
      return false;
    }
  }
  return true;
}

bool scan_match(const CollectionScanArgs& a, std::string_view member) {
  return !a.use_pattern || glob_match(a.pattern, member);
}

bool arg_range(CommandContext& ctx, std::string_view s, int64_t lo, int64_t hi, int64_t* out,
               const char* msg) {
  int64_t v;
  if (!parse_int64(s, &v)) {
    ctx.out.error(msg ? msg : err::kNotInteger);
    return false;
  }
  if (v < lo || v > hi) {
    if (msg) {
      ctx.out.error(msg);
    } else {
      ctx.out.error("ERR value is out of range, value must between " + int_to_string(lo) + " and " +
                    int_to_string(hi));
    }
    return false;
  }
  *out = v;
  return true;
}

}  // namespace kvd::commands
