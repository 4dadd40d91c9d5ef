// Fuzz target: the S3 XML bodies skytrain-fs parses (through pugixml): ListObjectsV2 (with and
// without Tigris' complete-metadata flag), <Error> documents, ListMultipartUploads,
// DeleteObjects errors, CreateMultipartUpload and Copy/Complete results, and the ISO 8601
// timestamps inside listings. Every parser sees the same input. Asserts that malformed bodies
// end in skytrain::Error (or "not an error document" for parse_error) and that a truncated
// listing always carries its continuation token.
#include "fuzz_support.hpp"
#include "s3/s3_xml.hpp"

using namespace skytrain::fs::s3xml;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view body(reinterpret_cast<const char*>(data), size);
  using skytrain::fuzz::expect_clear_errors;
  for (bool complete : {false, true}) {
    expect_clear_errors([&] {
      skytrain::fs::ListPage page = parse_list_objects_v2(body, complete);
      if (page.next_continuation_token) FUZZ_CHECK(!page.next_continuation_token->empty());
      for (const auto& o : page.objects) FUZZ_CHECK(!complete || o.has_metadata);
    });
  }
  (void)parse_error(body);
  expect_clear_errors([&] { (void)parse_list_multipart_uploads(body); });
  expect_clear_errors([&] { (void)parse_delete_errors(body); });
  expect_clear_errors([&] { (void)parse_initiate_multipart(body); });
  expect_clear_errors([&] { (void)parse_etag_result(body, "CompleteMultipartUploadResult"); });
  expect_clear_errors([&] { (void)parse_iso8601_ns(body.substr(0, 64)); });
  (void)unquote(body);
  return 0;
}
