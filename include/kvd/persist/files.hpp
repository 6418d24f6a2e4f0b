#pragma once

#include <string>

// Crash-safe file helpers for the AOF, the ACL file and the like: a file is written under a temp
// name, fsynced, renamed over the real one, and the directory fsynced, so a crash leaves either the
// old file or the new one, never half of one.
namespace kvd::persist {

// Reads a whole file: 0, or the errno of the failure (ENOENT: missing).
int read_file(const std::string& path, std::string* out);
// Creates the directory if missing. "" or Redis's message.
std::string make_dir(const std::string& dir);
// Writes `text` as dir/name through dir/temp-name. "" or the error.
std::string write_file_atomically(const std::string& dir, const std::string& name,
                                  const std::string& text);
// fsync of a directory, so a rename in it survives a crash.
bool fsync_dir(const std::string& dir);

}  // namespace kvd::persist
