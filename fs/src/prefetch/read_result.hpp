// What a read hands to the FUSE reply: slices of buffers owned elsewhere (the prefetcher's
// parts, a write handle's copy), each kept alive by its slice until the reply has been sent,
// so read-ahead bytes reach the kernel without another copy.
#pragma once
#include <cstddef>
#include <memory>
#include <string>
#include <vector>

namespace skytrain::fs {

// The bytes of one read: slices of parts, kept alive until the reply has been sent.
struct ReadResult {
  struct Slice {
    std::shared_ptr<const void> owner;  // keeps `data` alive (a ReadPart, a write buffer)
    const char* data;
    size_t size;
  };
  std::vector<Slice> slices;
  size_t size() const;
  std::string to_string() const;  // for tests
};

}  // namespace skytrain::fs
