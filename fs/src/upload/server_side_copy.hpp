// Server-side copy of one object, of any size. CopyObject is limited to 5 GiB; beyond that the
// copy is a multipart upload whose parts are UploadPartCopy ranges of the source, run in
// parallel on the part pool (and aborted if any fails), so renaming a 100 GB checkpoint moves no
// byte through this machine. Rename and setattr build on it.
#pragma once
#include <cstdint>
#include <string>

#include "store/object_store.hpp"

namespace skytrain::fs {

class UploadEngine;

// Copies `src` (of `size` bytes) to `dst`. Metadata is replaced by `replace` when given, else
// kept. Returns the new ETag.
std::string copy_object(UploadEngine& engine, const std::string& src, const std::string& dst, uint64_t size,
                        const PutOptions* replace);

}  // namespace skytrain::fs
