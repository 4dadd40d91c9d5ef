// CopyObject up to 5 GiB, multipart UploadPartCopy above; see server_side_copy.hpp.
#include "upload/server_side_copy.hpp"

#include <algorithm>

#include "skytrain/common/log.hpp"
#include "upload/job_group.hpp"
#include "upload/part_layout.hpp"
#include "upload/upload_engine.hpp"

namespace skytrain::fs {

std::string copy_object(UploadEngine& engine, const std::string& src, const std::string& dst, uint64_t size,
                        const PutOptions* replace) {
  ObjectStore& store = engine.store();
  if (size <= PartLayout::kMaxPartSize) return store.copy(src, dst, replace);

  PutOptions opts;
  if (replace) {
    opts = *replace;
  } else {
    ObjectInfo info = store.head(src);
    opts.metadata = info.metadata;
  }
  // 512 MiB parts (fewer requests), more if needed to stay within 10,000 parts.
  uint64_t part = std::max<uint64_t>(512ull << 20, (size + PartLayout::kMaxParts - 1) / PartLayout::kMaxParts);
  uint64_t count = (size + part - 1) / part;
  std::string id = store.create_multipart(dst, opts);
  try {
    std::vector<CompletedPart> parts(count);
    {
      JobGroup jobs(engine);
      for (uint64_t i = 0; i < count; ++i) {
        jobs.add([&, i] {
          uint64_t off = i * part, len = std::min(part, size - off);
          parts[i].part_number = int(i) + 1;
          parts[i].etag = store.upload_part_copy(dst, id, int(i) + 1, src, off, len);
        });
      }
      jobs.wait();
    }
    return store.complete_multipart(dst, id, parts);
  } catch (...) {
    try {
      store.abort_multipart(dst, id);
    } catch (const std::exception& e) {
      log::warn("aborting the multipart copy to {} failed: {}", dst, e.what());
    }
    throw;
  }
}

}  // namespace skytrain::fs
