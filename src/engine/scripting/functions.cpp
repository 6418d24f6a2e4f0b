// The function libraries: loading, replacing, deleting and restoring them.
// The Lua side (running a library's code, calling a function) is in
// lua_functions.cpp.
#include "kvd/engine/functions.hpp"

#include <cctype>

#include "kvd/protocol/split_args.hpp"

namespace kvd::engine {
namespace {

constexpr const char* kBadName =
    "Library names can only contain letters, numbers, or underscores(_) and must be at least one "
    "character long";

bool valid_name(std::string_view name) {
  if (name.empty()) return false;
  for (char c : name)
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_') return false;
  return true;
}

bool iequal(std::string_view a, std::string_view b) {
  return !CaseInsensitiveLess{}(a, b) && !CaseInsensitiveLess{}(b, a);
}

}  // namespace

bool CaseInsensitiveLess::operator()(std::string_view a, std::string_view b) const {
  const size_t n = a.size() < b.size() ? a.size() : b.size();
  for (size_t i = 0; i < n; ++i) {
    const int x = std::tolower(static_cast<unsigned char>(a[i]));
    const int y = std::tolower(static_cast<unsigned char>(b[i]));
    if (x != y) return x < y;
  }
  return a.size() < b.size();
}

bool parse_library_metadata(std::string_view code, LibraryMetadata* md, std::string* err) {
  if (code.substr(0, 2) != "#!") {
    *err = "Missing library metadata";
    return false;
  }
  const size_t eol = code.find('\n');
  if (eol == std::string_view::npos) {
    *err = "Invalid library metadata";
    return false;
  }
  // The line splits like a redis-cli line: name="my lib" is quoted.
  auto parts = protocol::split_args(code.substr(0, eol));
  if (!parts || parts->empty()) {
    *err = "Invalid library metadata";
    return false;
  }
  md->engine = (*parts)[0].substr(2);
  bool named = false;
  for (size_t i = 1; i < parts->size(); ++i) {
    const std::string& part = (*parts)[i];
    if (part.size() >= 5 && iequal(std::string_view(part).substr(0, 5), "name=")) {
      if (named) {
        *err = "Invalid metadata value, name argument was given multiple times";
        return false;
      }
      md->name = part.substr(5);
      named = true;
      continue;
    }
    *err = "Invalid metadata value given: " + part;
    return false;
  }
  if (!named) {
    *err = "Library name was not given";
    return false;
  }
  md->code_offset = eol;
  return true;
}

FunctionStore::FunctionStore(Engine& engine) : runtime_(engine, ScriptKind::kFunction) {}

FunctionStore::~FunctionStore() = default;

const FunctionInfo* FunctionStore::find(std::string_view name) const {
  auto it = current_.functions.find(name);
  return it == current_.functions.end() ? nullptr : it->second;
}

size_t FunctionStore::overhead_memory() const {
  // Roughly what Redis counts: the structures, names and code of each
  // library and function, and the index entries.
  constexpr size_t kPerLibrary = 96;
  constexpr size_t kPerFunction = 96;
  size_t n = 0;
  for (const auto& [name, lib] : current_.libraries) {
    n += kPerLibrary + lib->name.size() + lib->code.size();
    for (const auto& [fname, fn] : lib->functions)
      n += kPerFunction + fn.name.size() + fn.description.size();
  }
  return n;
}

void FunctionStore::link(LibrarySet& set, std::unique_ptr<FunctionLibrary> lib) {
  for (const auto& [name, fn] : lib->functions) set.functions.emplace(name, &fn);
  std::string name = lib->name;
  set.libraries.emplace(std::move(name), std::move(lib));
}

std::unique_ptr<FunctionLibrary> FunctionStore::unlink(LibrarySet& set, std::string_view name) {
  auto it = set.libraries.find(name);
  if (it == set.libraries.end()) return nullptr;
  std::unique_ptr<FunctionLibrary> lib = std::move(it->second);
  set.libraries.erase(it);
  for (const auto& [fname, fn] : lib->functions) {
    auto f = set.functions.find(fname);
    if (f != set.functions.end() && f->second == &fn) set.functions.erase(f);
  }
  return lib;
}

void FunctionStore::clear(LibrarySet& set) {
  for (const auto& [name, lib] : set.libraries) runtime_.release(*lib);
  set.libraries.clear();
  set.functions.clear();
}

std::string FunctionStore::create(std::string_view code, bool replace, int64_t timeout_ms,
                                  LibrarySet& set, std::string* err) {
  LibraryMetadata md;
  if (!parse_library_metadata(code, &md, err)) return {};
  if (!valid_name(md.name)) {
    *err = kBadName;
    return {};
  }
  if (!iequal(md.engine, "lua")) {
    *err = "Engine '" + md.engine + "' not found";
    return {};
  }
  if (set.libraries.count(md.name) && !replace) {
    *err = "Library '" + md.name + "' already exists";
    return {};
  }
  // The old library steps aside while the new one loads, and comes back if
  // the new one fails.
  std::unique_ptr<FunctionLibrary> old = unlink(set, md.name);
  auto lib = std::make_unique<FunctionLibrary>();
  lib->name = md.name;
  lib->code = std::string(code);
  bool ok = runtime_.load_library(code.substr(md.code_offset), *lib, timeout_ms, err);
  if (ok && lib->functions.empty()) {
    *err = "No functions registered";
    ok = false;
  }
  if (ok) {
    for (const auto& [fname, fn] : lib->functions) {
      if (set.functions.count(fname)) {
        *err = "Function " + fname + " already exists";
        ok = false;
        break;
      }
    }
  }
  if (!ok) {
    runtime_.release(*lib);
    if (old) link(set, std::move(old));
    return {};
  }
  for (auto& [fname, fn] : lib->functions) fn.library = lib.get();
  link(set, std::move(lib));
  if (old) runtime_.release(*old);
  return md.name;
}

std::string FunctionStore::load(std::string_view code, bool replace, int64_t timeout_ms,
                                std::string* err) {
  return create(code, replace, timeout_ms, current_, err);
}

bool FunctionStore::remove(std::string_view library) {
  std::unique_ptr<FunctionLibrary> lib = unlink(current_, library);
  if (!lib) return false;
  runtime_.release(*lib);
  return true;
}

void FunctionStore::flush() {
  current_.libraries.clear();
  current_.functions.clear();
  runtime_.flush();  // closes the interpreter: every callback goes with it
}

bool FunctionStore::join(LibrarySet& src, bool replace, std::string* err) {
  std::vector<std::unique_ptr<FunctionLibrary>> replaced;
  auto put_back = [&] {
    for (auto& old : replaced) link(current_, std::move(old));
  };
  for (const auto& [name, lib] : src.libraries) {
    if (!current_.libraries.count(name)) continue;
    if (!replace) {
      *err = "Library " + name + " already exists";
      return false;
    }
    replaced.push_back(unlink(current_, name));
  }
  for (const auto& [fname, fn] : src.functions) {
    if (current_.functions.count(fname)) {
      *err = "Function " + fname + " already exists";
      put_back();
      return false;
    }
  }
  while (!src.libraries.empty()) {
    auto it = src.libraries.begin();
    std::unique_ptr<FunctionLibrary> lib = std::move(it->second);
    src.libraries.erase(it);
    link(current_, std::move(lib));
  }
  src.functions.clear();
  for (auto& old : replaced) runtime_.release(*old);
  return true;
}

bool FunctionStore::restore(const std::vector<std::string>& codes, RestorePolicy policy,
                            std::string* err) {
  LibrarySet incoming;
  for (const std::string& code : codes) {
    if (create(code, false, 0, incoming, err).empty()) {
      clear(incoming);
      return false;
    }
  }
  if (policy == RestorePolicy::kFlush) {
    clear(current_);
    current_ = std::move(incoming);
    return true;
  }
  if (!join(incoming, policy == RestorePolicy::kReplace, err)) {
    clear(incoming);
    return false;
  }
  return true;
}

}  // namespace kvd::engine
