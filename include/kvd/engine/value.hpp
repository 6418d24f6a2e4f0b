#pragma once

#include <cstdint>
#include <cstring>
#include <string_view>

namespace kvd::engine {

enum class ValueType : uint8_t { kString = 0, kList, kHash, kSet, kZSet, kStream };

const char* type_name(ValueType t);

// Base of the collection types (lists, hashes, sets, sorted sets). Strings never
// use it: they live inline in Value.
class Object {
 public:
  virtual ~Object() = default;
  virtual ValueType type() const = 0;
  virtual const char* encoding() const = 0;
  // Elements, so the deleter can decide whether freeing is worth a background job.
  virtual size_t element_count() const = 0;
  // A deep copy (COPY, SORT STORE ...).
  virtual Object* clone() const = 0;
  // Approximate heap bytes held (MEMORY USAGE). Types refine the default.
  virtual size_t memory_usage() const { return 64 + element_count() * 16; }
  // Prefetching for pipelined commands (Engine::prefetch_keys): start loading
  // where `member` would be in a big collection's index and return a token
  // for prefetch_member_node, which starts loading the first node there.
  // Compact encodings are one block already loaded with the object: no-ops.
  virtual uint64_t prefetch_member_slot(std::string_view /*member*/) const { return 0; }
  virtual void prefetch_member_node(uint64_t /*token*/) const {}
};

// A key's value in 16 bytes. Strings up to kInlineCap bytes and integers are
// stored inline with no allocation; longer strings take one heap block
// (length, capacity and bytes together); collections point to an Object.
// Value is a plain handle: ownership is explicit (destroy()), the database does it.
//
// A string of up to kMaxEmbedded bytes stored in a key's Entry is "embedded":
// its bytes follow the key in the entry's allocation and the Value only points
// at them (Entry::create and Database::replace_value do this). An embedded
// string is never changed in place: mutable_bytes()/append() first move it to
// a heap block of its own.
class Value {
 public:
  static constexpr size_t kInlineCap = 14;
  // Longest string kept inside its key's entry (Redis's embstr limit too).
  static constexpr size_t kMaxEmbedded = 44;

  Value() { std::memset(bytes_, 0, sizeof bytes_); }

  // Picks the encoding Redis would: int for canonical integers, else a string.
  static Value from_string(std::string_view s);
  static Value from_int(int64_t v);
  // A string kept as text even if it reads as an integer, as Redis stores
  // INCRBYFLOAT results ("embstr" up to 44 bytes, then "raw").
  static Value text_string(std::string_view s);
  // A string that reports the "raw" encoding (results of APPEND / SETRANGE).
  static Value raw_string(std::string_view s);
  static Value from_object(Object* obj);

  bool empty() const { return repr() == kEmpty; }
  ValueType type() const;
  bool is_string() const { return repr() != kEmpty && repr() != kObject; }
  bool is_int() const { return repr() == kInt; }
  int64_t int_value() const {
    int64_t v;
    std::memcpy(&v, bytes_, 8);
    return v;
  }
  // The string bytes; integers are formatted into `scratch` (>= 24 bytes).
  std::string_view str(char* scratch) const;
  size_t str_len() const;
  // Heap bytes owned by this value (0 for inline strings and integers).
  size_t heap_bytes() const;
  // Integer value if the string is a canonical integer.
  bool to_int(int64_t* out) const;
  Object* object() const {
    Object* o;
    std::memcpy(&o, bytes_, sizeof o);
    return o;
  }
  const char* encoding() const;

  // Makes this a raw heap string of at least `len` bytes (zero-padding growth) and
  // returns its writable bytes. Used by SETRANGE and SETBIT.
  char* mutable_bytes(size_t len);
  // Appends in place, growing capacity geometrically; returns the new length.
  size_t append(std::string_view s);

  // Frees owned memory; the value becomes empty.
  void destroy();

  // True for a string an entry should hold in its own allocation: a heap
  // string (not raw) or an already embedded one, at most kMaxEmbedded bytes.
  bool embeddable() const;
  // Bytes stored in the owning entry's allocation (0 unless embedded).
  size_t embedded_len() const { return repr() == kEmbedded ? str_len_embedded() : 0; }
  // A string whose `len` bytes live at `p`, owned by an Entry.
  static Value embedded(const char* p, size_t len);

 private:
  enum Repr : uint8_t { kEmpty = 0, kInt = 1, kInline = 2, kHeap = 3, kObject = 4, kEmbedded = 5 };
  static constexpr uint8_t kReprMask = 0x07;
  static constexpr uint8_t kRawFlag = 0x08;

  struct HeapStr {
    uint32_t len;
    uint32_t cap;
    char* data() { return reinterpret_cast<char*>(this + 1); }
  };
  static HeapStr* new_heap(std::string_view s, size_t cap);

  uint8_t repr() const { return bytes_[15] & kReprMask; }
  HeapStr* heap() const {
    HeapStr* h;
    std::memcpy(&h, bytes_, sizeof h);
    return h;
  }
  void set_heap(HeapStr* h, bool raw);
  size_t str_len_embedded() const {
    uint32_t n;
    std::memcpy(&n, bytes_ + 8, 4);
    return n;
  }

  alignas(8) unsigned char bytes_[16];
};

static_assert(sizeof(Value) == 16);

}  // namespace kvd::engine
