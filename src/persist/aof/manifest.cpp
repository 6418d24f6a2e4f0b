#include "manifest.hpp"

#include "kvd/common/strings.hpp"
#include "kvd/protocol/split_args.hpp"

namespace kvd::persist::aof {
namespace {

bool needs_quotes(const std::string& s) {
  for (unsigned char c : s)
    if (c <= ' ' || c == '"' || c == '\'' || c == '\\' || c >= 0x7f) return true;
  return s.empty();
}

void format_line(std::string& out, const AofFile& f) {
  out += "file ";
  if (needs_quotes(f.name))
    append_repr(out, f.name);  // sdscatrepr's form, as Redis quotes it
  else
    out += f.name;
  out += " seq " + std::to_string(f.seq) + " type ";
  out += f.type;
  out += '\n';
}

}  // namespace

std::string AofManifest::format() const {
  std::string out;
  if (has_base) format_line(out, base);
  for (const auto& f : history) format_line(out, f);
  for (const auto& f : incrs) format_line(out, f);
  return out;
}

std::string AofManifest::new_base(const std::string& prefix, bool rdb) {
  // History is kept newest first, as Redis lists it.
  if (has_base) {
    AofFile old = base;
    old.type = 'h';
    history.insert(history.begin(), old);
  }
  base.seq = ++base_seq;
  base.name = prefix + "." + std::to_string(base.seq) + ".base" + (rdb ? ".rdb" : ".aof");
  base.type = 'b';
  has_base = true;
  return base.name;
}

std::string AofManifest::new_incr(const std::string& prefix) {
  AofFile f;
  f.seq = ++incr_seq;
  f.name = prefix + "." + std::to_string(f.seq) + ".incr.aof";
  f.type = 'i';
  incrs.push_back(f);
  return f.name;
}

void AofManifest::retire_incrs_but_last() {
  if (incrs.size() <= 1) return;
  std::vector<AofFile> retired(incrs.begin(), incrs.end() - 1);
  for (auto& f : retired) f.type = 'h';
  history.insert(history.begin(), retired.begin(), retired.end());
  incrs.erase(incrs.begin(), incrs.end() - 1);
}

std::string parse_manifest(const std::string& text, AofManifest* out, int* line_no,
                           std::string* line_out) {
  *line_no = 0;
  line_out->clear();
  size_t pos = 0;
  int64_t max_incr = 0;
  if (text.empty()) return "Found an empty AOF manifest";
  while (pos < text.size()) {
    size_t nl = text.find('\n', pos);
    ++*line_no;
    std::string raw = text.substr(pos, nl == std::string::npos ? std::string::npos : nl - pos);
    pos = nl == std::string::npos ? text.size() : nl + 1;
    if (!raw.empty() && raw[0] == '#') continue;
    if (raw.size() > 1024 || nl == std::string::npos)
      return nl == std::string::npos ? "Invalid AOF manifest file format"
                                     : "The AOF manifest file contains too long line";
    // Trim blanks as Redis does before splitting.
    size_t b = raw.find_first_not_of(" \t\r\n");
    size_t e = raw.find_last_not_of(" \t\r\n");
    std::string line = b == std::string::npos ? "" : raw.substr(b, e - b + 1);
    *line_out = line;
    if (line.empty()) return "Invalid AOF manifest file format";
    auto split = protocol::split_args(line);
    if (!split || split->size() < 6 || split->size() % 2) return "Invalid AOF manifest file format";
    const std::vector<std::string>& argv = *split;
    AofFile f;
    f.type = 0;
    for (size_t i = 0; i < argv.size(); i += 2) {
      if (iequals(argv[i], "file")) {
        f.name = argv[i + 1];
        if (f.name.find('/') != std::string::npos || f.name.find('\\') != std::string::npos)
          return "File can't be a path, just a filename";
      } else if (iequals(argv[i], "seq")) {
        f.seq = std::atoll(argv[i + 1].c_str());
      } else if (iequals(argv[i], "type")) {
        f.type = argv[i + 1].empty() ? 0 : argv[i + 1][0];
      }
    }
    if (f.name.empty() || f.seq == 0 || f.type == 0) return "Invalid AOF manifest file format";
    if (f.type == 'b') {
      if (out->has_base) return "Found duplicate base file information";
      out->has_base = true;
      out->base = f;
      out->base_seq = f.seq;
    } else if (f.type == 'h') {
      out->history.push_back(f);
    } else if (f.type == 'i') {
      if (f.seq <= max_incr) return "Found a non-monotonic sequence number";
      out->incrs.push_back(f);
      out->incr_seq = max_incr = f.seq;
    } else {
      return "Unknown AOF file type";
    }
  }
  line_out->clear();
  return "";
}

}  // namespace kvd::persist::aof
