// S3 XML parsing, metadata header encoding, and the retry policy.
#include <doctest/doctest.h>

#include <cerrno>

#include "skytrain/common/error.hpp"
#include "s3/metadata_codec.hpp"
#include "s3/retry_policy.hpp"
#include "s3/s3_xml.hpp"

using namespace skytrain;
using namespace skytrain::fs;

TEST_CASE("s3 xml: ListObjectsV2 with contents, common prefixes and a continuation token") {
  const char* body = R"(<?xml version="1.0" encoding="UTF-8"?>
<ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">
  <Name>bkt</Name><Prefix>dir/</Prefix><KeyCount>2</KeyCount><MaxKeys>2</MaxKeys><Delimiter>/</Delimiter>
  <IsTruncated>true</IsTruncated>
  <Contents><Key>dir/a &amp; b &lt;c&gt;.txt</Key><LastModified>2023-05-24T12:34:56.789Z</LastModified>
    <ETag>&quot;9b2cf535f27731c974343645a3985328&quot;</ETag><Size>1234567890123</Size><StorageClass>STANDARD</StorageClass></Contents>
  <Contents><Key>dir/&#xFC;</Key><LastModified>1970-01-01T00:00:01Z</LastModified><ETag>"x-2"</ETag><Size>0</Size></Contents>
  <CommonPrefixes><Prefix>dir/sub/</Prefix></CommonPrefixes>
  <NextContinuationToken>1ueGcxLPRx1Tr/XYExHnhbYLgveDs2J/wm36Hy4vbOwM=</NextContinuationToken>
</ListBucketResult>)";
  auto page = s3xml::parse_list_objects_v2(body, false);
  REQUIRE(page.objects.size() == 2);
  CHECK(page.objects[0].key == "dir/a & b <c>.txt");
  CHECK(page.objects[0].size == 1234567890123ull);
  CHECK(page.objects[0].etag == "9b2cf535f27731c974343645a3985328");
  CHECK(page.objects[0].mtime_ns == 1684931696789000000ll);
  CHECK(!page.objects[0].has_metadata);
  CHECK(page.objects[1].key == "dir/\xc3\xbc");
  CHECK(page.objects[1].etag == "x-2");
  CHECK(page.objects[1].mtime_ns == 1'000'000'000);
  CHECK(page.common_prefixes == std::vector<std::string>{"dir/sub/"});
  REQUIRE(page.next_continuation_token);
  CHECK(*page.next_continuation_token == "1ueGcxLPRx1Tr/XYExHnhbYLgveDs2J/wm36Hy4vbOwM=");
}

TEST_CASE("s3 xml: Tigris list metadata") {
  const char* body = R"(<ListBucketResult><IsTruncated>false</IsTruncated>
  <Contents><Key>f</Key><Size>3</Size><ETag>"e"</ETag>
    <Metadata><Name>X-Amz-Meta-Mode</Name><Value>100644</Value></Metadata>
    <Metadata><Name>uid</Name><Value>1000</Value></Metadata></Contents>
  <Contents><Key>g</Key><Size>1</Size></Contents></ListBucketResult>)";
  auto page = s3xml::parse_list_objects_v2(body, true);
  REQUIRE(page.objects.size() == 2);
  CHECK(page.objects[0].has_metadata);
  CHECK(page.objects[0].metadata == Metadata{{"mode", "100644"}, {"uid", "1000"}});
  CHECK(page.objects[1].has_metadata);  // the server honours the header: no entries = no metadata
  CHECK(page.objects[1].metadata.empty());
  CHECK(!page.next_continuation_token);
  CHECK(!s3xml::parse_list_objects_v2(body, false).objects[1].has_metadata);
}

TEST_CASE("s3 xml: errors, multipart bodies and malformed input") {
  auto e = s3xml::parse_error(R"(<?xml version="1.0"?><Error><Code>NoSuchKey</Code><Message>The key does not exist</Message><RequestId>4442587FB7D0A2F9</RequestId></Error>)");
  REQUIRE(e);
  CHECK(e->code == "NoSuchKey");
  CHECK(e->request_id == "4442587FB7D0A2F9");
  CHECK(!s3xml::parse_error(""));
  CHECK(!s3xml::parse_error("<html>bad gateway</html>"));
  CHECK(!s3xml::parse_error("not xml at all <"));

  CHECK(s3xml::parse_initiate_multipart(
            "<InitiateMultipartUploadResult><Bucket>b</Bucket><Key>k</Key><UploadId>VXBsb2FkIElE</UploadId></InitiateMultipartUploadResult>") ==
        "VXBsb2FkIElE");
  CHECK(s3xml::parse_etag_result("<CopyObjectResult><ETag>&quot;abc&quot;</ETag></CopyObjectResult>", "CopyObjectResult") == "abc");
  CHECK(s3xml::parse_etag_result("<CompleteMultipartUploadResponse><ETag>\"m-3\"</ETag></CompleteMultipartUploadResponse>",
                                 "CompleteMultipartUploadResult") == "m-3");
  CHECK_THROWS_AS(s3xml::parse_etag_result("<Error><Code>InternalError</Code></Error>", "CopyObjectResult"), Error);
  CHECK_THROWS_AS(s3xml::parse_list_objects_v2("<ListBucketResult><Contents>", false), Error);
  CHECK_THROWS_AS(s3xml::parse_list_objects_v2("<ListBucketResult><IsTruncated>true</IsTruncated></ListBucketResult>", false),
                  Error);
  CHECK_THROWS_AS(s3xml::parse_list_objects_v2("<ListBucketResult><Contents><Key>k</Key><Size>-1</Size></Contents></ListBucketResult>", false),
                  Error);

  auto ups = s3xml::parse_list_multipart_uploads(
      "<ListMultipartUploadsResult><IsTruncated>true</IsTruncated><NextKeyMarker>b</NextKeyMarker>"
      "<NextUploadIdMarker>u2</NextUploadIdMarker><Upload><Key>a</Key><UploadId>u1</UploadId></Upload>"
      "<Upload><Key>b</Key><UploadId>u2</UploadId></Upload></ListMultipartUploadsResult>");
  CHECK(ups.truncated);
  REQUIRE(ups.uploads.size() == 2);
  CHECK(ups.uploads[1].key == "b");
  CHECK(*ups.next_upload_id_marker == "u2");

  CHECK(s3xml::build_complete_multipart({{1, "\"a\""}, {2, "b&c"}}) ==
        "<CompleteMultipartUpload xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"><Part><PartNumber>1</PartNumber>"
        "<ETag>\"a\"</ETag></Part><Part><PartNumber>2</PartNumber><ETag>\"b&amp;c\"</ETag></Part></CompleteMultipartUpload>");
}

TEST_CASE("s3 xml: ISO 8601 timestamps") {
  CHECK(s3xml::parse_iso8601_ns("1970-01-01T00:00:00Z") == 0);
  CHECK(s3xml::parse_iso8601_ns("2000-03-01T00:00:00.5Z") == 951868800500000000ll);
  CHECK(s3xml::parse_iso8601_ns("2000-03-01T02:00:00+02:00") == 951868800000000000ll);
  CHECK_THROWS_AS(s3xml::parse_iso8601_ns("yesterday"), Error);
}

TEST_CASE("s3 metadata: x-amz-meta headers with RFC 2047 encoding for non-ASCII values") {
  CHECK(metadata_codec::encode_value("plain value") == "plain value");
  CHECK(metadata_codec::encode_value("caf\xc3\xa9") == "=?UTF-8?B?Y2Fmw6k=?=");
  CHECK(metadata_codec::decode_value("=?UTF-8?B?Y2Fmw6k=?=") == "caf\xc3\xa9");
  CHECK(metadata_codec::decode_value("=?utf-8?Q?caf=C3=A9_x?=") == "caf\xc3\xa9 x");
  CHECK(metadata_codec::decode_value("not =?encoded") == "not =?encoded");
  for (std::string v : {std::string(""), std::string(" lead"), std::string("trail "), std::string("=?looks?B?like?="),
                        std::string("tab\there"), std::string("\xe2\x86\x92 \xe6\x97\xa5"), std::string("a\nb")}) {
    CAPTURE(v);
    auto enc = metadata_codec::encode_value(v);
    for (unsigned char c : enc) CHECK((c >= 0x20 && c < 0x7f));
    CHECK(metadata_codec::decode_value(enc) == v);
  }
  auto headers = metadata_codec::to_headers({{"Mode", "644"}, {"target", "\xc3\xa9"}});
  REQUIRE(headers.size() == 2);
  CHECK(headers[0] == std::pair<std::string, std::string>{"x-amz-meta-mode", "644"});
  CHECK(metadata_codec::from_headers({{"x-amz-meta-mode", "644"}, {"x-amz-meta-target", headers[1].second},
                                      {"content-type", "x"}}) == Metadata{{"mode", "644"}, {"target", "\xc3\xa9"}});
  try {
    metadata_codec::to_headers({{"bad name", "x"}});
    FAIL("accepted a bad name");
  } catch (const StoreError& e) {
    CHECK(e.errno_value == EINVAL);
  }
}

TEST_CASE("s3 retry policy: S3 codes on top of the common HTTP policy, errno mapping") {
  using retry::Transport;
  CHECK(retry::is_transient_http(500, ""));
  CHECK(retry::is_transient_http(503, "SlowDown"));
  CHECK(retry::is_transient_http(429, ""));
  CHECK(retry::is_transient_http(400, "RequestTimeout"));
  CHECK(!retry::is_transient_http(403, "AccessDenied"));
  CHECK(!retry::is_transient_http(501, "NotImplemented"));
  CHECK(!retry::is_transient_http(501, "SlowDown"));
  CHECK(!retry::is_transient_http(404, "NoSuchKey"));
  CHECK(!retry::is_transient_http(412, "PreconditionFailed"));

  CHECK(retry::errno_for(404, "NoSuchKey", Transport::ok) == ENOENT);
  CHECK(retry::errno_for(403, "SignatureDoesNotMatch", Transport::ok) == EACCES);
  CHECK(retry::errno_for(412, "PreconditionFailed", Transport::ok) == ESTALE);
  CHECK(retry::errno_for(503, "SlowDown", Transport::ok) == EIO);
  CHECK(retry::errno_for(0, "", Transport::timeout) == EIO);
}

TEST_CASE("s3 xml: DeleteObjects body, errors and Content-MD5") {
  const std::string body = s3xml::build_delete_objects({"a/b", "x<&>y"});
  CHECK(body ==
        "<Delete xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"><Quiet>true</Quiet>"
        "<Object><Key>a/b</Key></Object><Object><Key>x&lt;&amp;&gt;y</Key></Object></Delete>");
  CHECK(s3xml::parse_delete_errors("<DeleteResult/>").empty());
  auto errs = s3xml::parse_delete_errors(
      "<?xml version=\"1.0\"?><DeleteResult xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">"
      "<Deleted><Key>ok</Key></Deleted><Error><Key>k1</Key><Code>AccessDenied</Code><Message>no</Message></Error>"
      "</DeleteResult>");
  REQUIRE(errs.size() == 1);
  CHECK(errs[0].first == "k1");
  CHECK(errs[0].second == "AccessDenied: no");
  CHECK_THROWS(s3xml::parse_delete_errors("<Error><Code>X</Code></Error>"));
  CHECK_THROWS(s3xml::parse_delete_errors("not xml <"));
  // RFC 1864 example values: MD5("") and MD5("abc"), base64.
  CHECK(s3xml::content_md5("") == "1B2M2Y8AsgTpgAmY7PhCfg==");
  CHECK(s3xml::content_md5("abc") == "kAFQmDzST7DWlj99KOF/cg==");
}
