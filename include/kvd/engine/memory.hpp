#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

// Process memory figures for INFO memory and the peak tracking in cron.
namespace kvd::engine {

// Bytes the C allocator reports in use (mallinfo2). If another allocator
// replaced malloc this only covers what still goes through glibc.
size_t allocator_used_memory();
// The binary links the allocator, so it tells the engine how to ask it
// (INFO mem_allocator / used_memory). Without a probe, glibc's mallinfo2.
using AllocatorProbe = size_t (*)();
// `counts_frees`: the figure drops when memory is freed (an allocated-bytes
// count), not only when pages go back to the system.
void set_allocator_probe(const char* name, AllocatorProbe probe, bool counts_frees = true);
const char* allocator_name();
// The allocator's own view of its memory (INFO allocator_* fields):
// allocated to the program, in active pages, and resident. Where the binary
// gives no probe, the used memory stands for the first two and RSS for the
// third, so the ratios INFO derives read 1.
struct AllocatorStats {
  size_t allocated = 0;
  size_t active = 0;
  size_t resident = 0;
};
using AllocatorStatsProbe = bool (*)(AllocatorStats* out);
void set_allocator_stats_probe(AllocatorStatsProbe probe);
AllocatorStats allocator_stats();
// Resident set size from /proc/self/statm (0 if unavailable).
size_t resident_memory();
// What maxmemory is compared with: the allocator's count, or RSS where the
// allocator reports none (builds linked with mimalloc).
size_t used_memory_for_limit();
// Physical memory of the machine (0 if unavailable).
size_t total_system_memory();

// The calling thread's net allocations: bytes it allocated minus bytes it
// freed, since it started. Allocators with per-thread counters (jemalloc)
// answer in two loads; the probe returns false where there are none.
using ThreadNetProbe = bool (*)(int64_t* net);
void set_thread_net_probe(ThreadNetProbe probe);

// Threads other than the command thread (the lazy freer, the I/O threads)
// call this after each piece of work, so the gauge below counts what they
// allocated or freed without waiting for its next refresh. Memory one thread
// allocates and another frees shows up only once both have published.
void publish_thread_allocations();

// Gives what the calling thread's allocator holds free back to the OS: its
// cache of freed blocks and its arena's free pages (jemalloc:
// thread.tcache.flush, arena.<i>.purge). For an I/O thread whose
// connections went idle. A no-op unless the binary sets it.
using ThreadMemoryRelease = void (*)();
// DEBUG MALLCTL and MALLCTL-STR: the allocator's own controls (jemalloc's
// mallctl namespace), read and, with a value, written. Each returns "" and
// the old value, "OK" for a write-only control that was written (integer),
// or the error text (strerror of what the allocator said).
// Null when the binary's allocator has no such controls.
struct AllocatorControls {
  std::string (*integer)(const std::string& name, const int64_t* write, int64_t* old) = nullptr;
  // `write` null: read only; "VOID": a control written with no value.
  std::string (*text)(const std::string& name, const std::string* write, std::string* old,
                      bool* wrote) = nullptr;
};
void set_allocator_controls(AllocatorControls controls);
const AllocatorControls& allocator_controls();
void set_thread_memory_release(ThreadMemoryRelease release);
void release_thread_memory();

// What maxmemory is checked against before every command. The allocator-wide
// figure (used_memory_for_limit) costs about 30 us with jemalloc, too much per
// command, so it is taken on refresh() (the cron, 10 times a second) and the
// changes since then are added from cheap per-thread counters: the command
// thread's own, and what background threads published. Without per-thread
// counters every call measures in full. Command thread only.
class MemoryGauge {
 public:
  virtual ~MemoryGauge() = default;
  virtual size_t used();
  virtual void refresh();
  // Whether used() drops as soon as memory is freed. Where it does not (RSS,
  // mimalloc's committed pages), eviction counts the evicted keys' sizes.
  virtual bool sees_frees() const;

 private:
  size_t base_ = 0;
  int64_t own_at_base_ = 0;
  int64_t published_at_base_ = 0;
  bool based_ = false;
};

}  // namespace kvd::engine
