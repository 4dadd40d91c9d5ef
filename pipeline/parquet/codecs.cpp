#include "codecs.hpp"

#include <snappy.h>
#include <zlib.h>
#define ZSTD_STATIC_LINKING_ONLY  // ZSTD_decompressBound (stable since zstd 1.4.0, still in this section)
#include <zstd.h>

#include "skytrain/common/error.hpp"

namespace skytrain::pipeline::parquet {

bool codec_supported(Codec c) {
  return c == Codec::Uncompressed || c == Codec::Snappy || c == Codec::Gzip || c == Codec::Zstd;
}

namespace {

void gunzip(std::span<const uint8_t> in, size_t size, ByteBuffer& out) {
  z_stream zs{};
  // 15 + 32: accept both gzip and zlib headers.
  if (inflateInit2(&zs, 15 + 32) != Z_OK) fail("GZIP: inflateInit failed");
  struct End {
    z_stream* z;
    ~End() { inflateEnd(z); }
  } end{&zs};
  zs.next_in = const_cast<Bytef*>(in.data());
  zs.avail_in = static_cast<uInt>(in.size());
  zs.next_out = out.data();
  zs.avail_out = static_cast<uInt>(size);
  for (;;) {
    int rc = inflate(&zs, Z_FINISH);
    if (rc == Z_STREAM_END) {
      // Concatenated gzip members are legal; continue if input remains.
      if (zs.avail_in > 0 && zs.avail_out > 0) {
        if (inflateReset(&zs) != Z_OK) fail("GZIP: inflateReset failed");
        continue;
      }
      break;
    }
    if (rc == Z_BUF_ERROR && zs.avail_out == 0) fail("GZIP data inflates to more than the {} bytes declared", size);
    if (rc != Z_OK) fail("GZIP data is corrupt ({})", zs.msg ? zs.msg : "inflate error");
  }
  if (zs.total_out != size && zs.avail_out != 0) fail("GZIP data inflates to fewer bytes than the {} declared", size);
}

}  // namespace

// The most bytes `in` can decompress to, from the codec's own bounds: a page header's size is
// only a claim, and allocating it before checking would let a 100-byte page ask for 2 GiB.
// Snappy emits at most 64 bytes per 3-byte copy tag; deflate at most 258 bytes per 2 bits
// (1032:1); zstd's frame headers bound it (ZSTD_decompressBound; a real zstd "bomb" can still
// reach kMaxPageBytes, but then the bytes are really there).
uint64_t decompressed_bound(Codec codec, std::span<const uint8_t> in) {
  switch (codec) {
    case Codec::Snappy: return uint64_t(in.size()) * 22 + 64;
    case Codec::Gzip: return uint64_t(in.size()) * 1032 + 1024;
    case Codec::Zstd: {
      unsigned long long b = ZSTD_decompressBound(in.data(), in.size());
      if (b == ZSTD_CONTENTSIZE_ERROR) fail("ZSTD data is corrupt (bad frame header)");
      return b;
    }
    default: return in.size();
  }
}

void decompress(Codec codec, std::span<const uint8_t> in, size_t size, ByteBuffer& out) {
  if (codec_supported(codec) && size > decompressed_bound(codec, in))
    fail("{} page declares {} bytes, more than its {} compressed bytes can hold", codec_name(codec), size, in.size());
  out.resize_for_overwrite(size);
  switch (codec) {
    case Codec::Uncompressed:
      if (in.size() != size) fail("uncompressed page is {} bytes but declares {}", in.size(), size);
      std::copy(in.begin(), in.end(), out.data());
      return;
    case Codec::Snappy: {
      size_t n = 0;
      auto src = reinterpret_cast<const char*>(in.data());
      if (!snappy::GetUncompressedLength(src, in.size(), &n)) fail("SNAPPY data is corrupt (bad length header)");
      if (n != size) fail("SNAPPY data decompresses to {} bytes but the page declares {}", n, size);
      if (!snappy::RawUncompress(src, in.size(), reinterpret_cast<char*>(out.data()))) fail("SNAPPY data is corrupt");
      return;
    }
    case Codec::Zstd: {
      size_t n = ZSTD_decompress(out.data(), size, in.data(), in.size());
      if (ZSTD_isError(n)) fail("ZSTD data is corrupt ({})", ZSTD_getErrorName(n));
      if (n != size) fail("ZSTD data decompresses to {} bytes but the page declares {}", n, size);
      return;
    }
    case Codec::Gzip:
      if (size > UINT32_MAX || in.size() > UINT32_MAX) fail("GZIP page too large");
      gunzip(in, size, out);
      return;
    default:
      break;
  }
  fail("unsupported compression codec {}", codec_name(codec));
}

}  // namespace skytrain::pipeline::parquet
