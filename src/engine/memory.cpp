#include "kvd/engine/memory.hpp"

#include <malloc.h>
#include <unistd.h>

#include <cstdio>

namespace kvd::engine {

namespace {
AllocatorProbe g_probe = nullptr;
const char* g_allocator = "libc";
}  // namespace

void set_allocator_probe(const char* name, AllocatorProbe probe) {
  g_allocator = name;
  g_probe = probe;
}

const char* allocator_name() {
  return g_allocator;
}

size_t used_memory_for_limit() {
  size_t used = allocator_used_memory();
  return used ? used : resident_memory();
}

size_t allocator_used_memory() {
  if (g_probe) return g_probe();
#ifndef __GLIBC__
  return resident_memory();
#else
  struct mallinfo2 mi = mallinfo2();
  // uordblks: in-use bytes in the arenas; hblkhd: bytes in mmap()ed blocks.
  size_t used = mi.uordblks + mi.hblkhd;
  // Zero means malloc is not glibc's (a sanitizer's, say): report RSS instead.
  return used ? used : resident_memory();
#endif
}

size_t resident_memory() {
  FILE* f = std::fopen("/proc/self/statm", "r");
  if (!f) return 0;
  unsigned long size = 0, resident = 0;
  int n = std::fscanf(f, "%lu %lu", &size, &resident);
  std::fclose(f);
  if (n != 2) return 0;
  return static_cast<size_t>(resident) * static_cast<size_t>(sysconf(_SC_PAGESIZE));
}

size_t total_system_memory() {
  long pages = sysconf(_SC_PHYS_PAGES);
  long page = sysconf(_SC_PAGESIZE);
  return pages > 0 && page > 0 ? static_cast<size_t>(pages) * static_cast<size_t>(page) : 0;
}

}  // namespace kvd::engine
