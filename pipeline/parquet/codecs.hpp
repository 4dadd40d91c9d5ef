// Page decompression for the codecs Parquet writers use in practice: SNAPPY (libsnappy, the
// default of most writers), ZSTD (libzstd), GZIP (zlib, gzip or zlib framing), and
// UNCOMPRESSED. LZ4, LZO and BROTLI are rare in hub datasets and not linked; they are reported
// as unsupported by name. The expected uncompressed size comes from the page header and is
// checked exactly, so a corrupt page cannot make us allocate or produce more than it declared.
#pragma once
#include <cstdint>
#include <span>
#include "byte_buffer.hpp"
#include "file_metadata.hpp"

namespace skytrain::pipeline::parquet {

bool codec_supported(Codec c);

// Decompresses `in` into `out` (resized to `uncompressed_size`). Throws skytrain::Error with
// a plain message on corrupt data or a size mismatch.
void decompress(Codec codec, std::span<const uint8_t> in, size_t uncompressed_size, ByteBuffer& out);

}  // namespace skytrain::pipeline::parquet
