// Fuzz target: a safetensors file: header length, JSON header (dtypes, shapes, data_offsets,
// __metadata__) and the validation against the file, then every tensor's bytes read back.
// Asserts that bad files end in skytrain::Error and that an accepted file keeps its promises:
// tensors tile the data section in order, end exactly at the end of the file, and each one's
// byte size is numel * dtype size without overflow.
//
// The reader lives in trainer/, whose library links libtorch, but safetensors.cpp itself uses
// none: the target compiles that one file with skytrain_common (see CMakeLists.txt).
#include "fuzz_support.hpp"
#include "skytrain/trainer/safetensors.hpp"

using namespace skytrain::trainer;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static skytrain::fuzz::MemFile file;
  file.assign(data, size);
  skytrain::fuzz::expect_clear_errors([&] {
    SafetensorsFile f(file.path());
    FUZZ_CHECK(f.data_start() >= 8 && f.data_start() <= size);
    uint64_t pos = 0;
    for (const TensorInfo& t : f.tensors()) {
      FUZZ_CHECK(t.begin == pos && t.end >= t.begin);
      pos = t.end;
      const int64_t numel = t.numel();
      FUZZ_CHECK(numel >= 0);
      FUZZ_CHECK(static_cast<uint64_t>(numel) * dtype_size(t.dtype) == t.nbytes());
      FUZZ_CHECK(f.find(t.name) != nullptr);
      std::vector<uint8_t> bytes = f.read(t);
      FUZZ_CHECK(bytes.size() == t.nbytes());
    }
    FUZZ_CHECK(f.data_start() + pos == size);
  });
  return 0;
}
