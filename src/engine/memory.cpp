#include "kvd/engine/memory.hpp"

#include <malloc.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>

namespace kvd::engine {

namespace {
AllocatorProbe g_probe = nullptr;
bool g_probe_counts_frees = false;
ThreadNetProbe g_thread_net = nullptr;
const char* g_allocator = "libc";
// Sum of what background threads published (ThreadAllocations).
std::atomic<int64_t> g_published{0};
}  // namespace

namespace {
AllocatorStatsProbe g_stats_probe = nullptr;
}  // namespace

void set_allocator_stats_probe(AllocatorStatsProbe probe) {
  g_stats_probe = probe;
}

AllocatorStats allocator_stats() {
  AllocatorStats st;
  if (g_stats_probe && g_stats_probe(&st)) return st;
  st.allocated = st.active = allocator_used_memory();
  st.resident = resident_memory();
  return st;
}

void set_thread_net_probe(ThreadNetProbe probe) {
  g_thread_net = probe;
}

namespace {
ThreadMemoryRelease g_thread_memory_release = nullptr;
}  // namespace

void set_thread_memory_release(ThreadMemoryRelease release) {
  g_thread_memory_release = release;
}

namespace {
AllocatorControls g_allocator_controls;
}  // namespace

void set_allocator_controls(AllocatorControls controls) {
  g_allocator_controls = controls;
}

const AllocatorControls& allocator_controls() {
  return g_allocator_controls;
}

void release_thread_memory() {
  if (g_thread_memory_release) g_thread_memory_release();
}

void publish_thread_allocations() {
  // What this thread published so far: it adds only the change since.
  thread_local int64_t published = 0;
  int64_t net = 0;
  if (!g_thread_net || !g_thread_net(&net) || net == published) return;
  g_published.fetch_add(net - published, std::memory_order_relaxed);
  published = net;
}

size_t MemoryGauge::used() {
  int64_t own = 0;
  if (!g_thread_net || !g_thread_net(&own)) return used_memory_for_limit();
  if (!based_) {
    refresh();
    return base_;
  }
  int64_t now = static_cast<int64_t>(base_) + (own - own_at_base_) +
                (g_published.load(std::memory_order_relaxed) - published_at_base_);
  return now > 0 ? static_cast<size_t>(now) : 0;
}

bool MemoryGauge::sees_frees() const {
  if (g_thread_net || g_probe) return g_thread_net || g_probe_counts_frees;
#ifdef __GLIBC__
  return mallinfo2().uordblks > 0;  // glibc's own count, unless malloc was replaced
#else
  return false;
#endif
}

void MemoryGauge::refresh() {
  base_ = used_memory_for_limit();
  own_at_base_ = 0;
  if (g_thread_net) g_thread_net(&own_at_base_);
  published_at_base_ = g_published.load(std::memory_order_relaxed);
  based_ = true;
}

void set_allocator_probe(const char* name, AllocatorProbe probe, bool counts_frees) {
  g_allocator = name;
  g_probe = probe;
  g_probe_counts_frees = counts_frees;
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
