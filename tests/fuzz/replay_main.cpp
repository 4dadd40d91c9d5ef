// The replay driver: a main() for the normal (GCC, non-fuzzing) build that feeds every file
// named on the command line, or found under a directory named there, to the target's
// LLVMFuzzerTestOneInput, once each. ctest runs it over the committed corpus and every fixed
// crash (tests/fuzz/{corpus,regressions}/<target>/), so CI re-checks them without clang.
// An input that crashes aborts the run; the driver prints each file's name first so the
// log says which one.
#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <memory>
#include <string>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size);

int main(int argc, char** argv) {
  namespace stdfs = std::filesystem;
  std::vector<stdfs::path> inputs;
  for (int i = 1; i < argc; ++i) {
    stdfs::path p(argv[i]);
    if (stdfs::is_directory(p)) {
      for (const auto& e : stdfs::recursive_directory_iterator(p))
        if (e.is_regular_file()) inputs.push_back(e.path());
    } else if (stdfs::is_regular_file(p)) {
      inputs.push_back(p);
    } else {
      std::fprintf(stderr, "replay: %s: no such file or directory\n", argv[i]);
      return 2;
    }
  }
  std::sort(inputs.begin(), inputs.end());
  if (inputs.empty()) {
    std::fprintf(stderr, "replay: no inputs\n");
    return 2;
  }
  for (const auto& p : inputs) {
    std::fprintf(stderr, "replay: %s\n", p.c_str());
    std::ifstream in(p, std::ios::binary);
    std::vector<uint8_t> bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    // Like libFuzzer, hand over an exact-size heap copy so reads past the end are caught (ASan).
    std::unique_ptr<uint8_t[]> copy(new uint8_t[bytes.size()]);
    std::copy(bytes.begin(), bytes.end(), copy.get());
    LLVMFuzzerTestOneInput(copy.get(), bytes.size());
  }
  std::fprintf(stderr, "replay: %zu inputs, no crash\n", inputs.size());
  return 0;
}
