#pragma once

#include <cstddef>
#include <cstdint>

namespace kvd::persist {

// The LZF format (Marc Lehmann's liblzf), which Redis uses for compressed
// strings in DUMP payloads and RDB files. A stream is a sequence of
//   000lllll <l+1 literal bytes>                       (1..32 literals)
//   LLLooooo [LLLLLLLL if LLL == 7] oooooooo           (back reference)
// where a reference copies len+2 bytes (len = LLL, plus the extra byte when
// LLL is 7) from `offset+1` bytes back in the output (offset < 8192).

// Compresses `len` bytes into `out` (room for `cap` bytes). Returns the
// compressed size, or 0 when the result would not fit in `cap` bytes (callers
// pass cap < len to keep only worthwhile compressions).
size_t lzf_compress(const uint8_t* in, size_t len, uint8_t* out, size_t cap);

// Decompresses into exactly `out_len` bytes. False when the input is malformed,
// refers before the start of the output, or does not produce out_len bytes.
bool lzf_decompress(const uint8_t* in, size_t in_len, uint8_t* out, size_t out_len);

}  // namespace kvd::persist
