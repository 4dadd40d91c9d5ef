// Where a file's multipart parts begin and end. S3 allows at most 10,000 parts of 5 MiB to
// 5 GiB each (the last one may be smaller), so a fixed part size forces a choice between
// small files being cheap (small parts) and huge files fitting at all (big parts). Like
// geesefs, we let the part size grow with the offset: the first `parts_per_doubling` parts have
// `first_part_size`, the next group twice that, and so on up to 5 GiB. With the defaults
// (8 MiB, doubling every 1,000 parts) a file of ~8 GB uses 8 MiB parts, and 10,000 parts hold
// ~8 TB. The layout depends on the offset only, never on the write pattern, so part N always
// covers the same bytes: a re-written range maps to the same part number, and an unchanged part
// of the previous object can be copied server-side (UploadPartCopy) at exactly its offset.
#pragma once
#include <cstdint>

namespace skytrain::fs {

struct PartLayout {
  static constexpr uint32_t kMaxParts = 10000;
  static constexpr uint64_t kMinPartSize = 5ull << 20;
  static constexpr uint64_t kMaxPartSize = 5ull << 30;

  uint64_t first_part_size = 8ull << 20;
  uint32_t parts_per_doubling = 1000;
  uint64_t max_part_size = kMaxPartSize;

  uint64_t part_size(uint32_t index) const;
  uint64_t part_start(uint32_t index) const;
  uint64_t part_end(uint32_t index) const { return part_start(index) + part_size(index); }
  // The part holding byte `offset`; kMaxParts if the offset is past the largest storable file.
  uint32_t part_index(uint64_t offset) const;
  uint64_t max_file_size() const { return part_start(kMaxParts); }
};

}  // namespace skytrain::fs
