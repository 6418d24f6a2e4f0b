#pragma once

#include <cstddef>

// Process memory figures for INFO memory and the peak tracking in cron.
namespace kvd::engine {

// Bytes the C allocator reports in use (mallinfo2). If another allocator
// replaced malloc this only covers what still goes through glibc.
size_t allocator_used_memory();
// The binary links the allocator, so it tells the engine how to ask it
// (INFO mem_allocator / used_memory). Without a probe, glibc's mallinfo2.
using AllocatorProbe = size_t (*)();
void set_allocator_probe(const char* name, AllocatorProbe probe);
const char* allocator_name();
// Resident set size from /proc/self/statm (0 if unavailable).
size_t resident_memory();
// What maxmemory is compared with: the allocator's count, or RSS where the
// allocator reports none (builds linked with mimalloc).
size_t used_memory_for_limit();
// Physical memory of the machine (0 if unavailable).
size_t total_system_memory();

}  // namespace kvd::engine
