// SigV4 signing against the published AWS test-suite vectors (aws-sig-v4-test-suite, 2015-08-30
// edition, service "service") and the S3 documentation's worked examples (examplebucket).
#include <doctest/doctest.h>

#include "skytrain/common/sha256.hpp"
#include "s3/request_executor.hpp"
#include "s3/sigv4.hpp"

using namespace skytrain;
using namespace skytrain::fs;

namespace {

const sigv4::Credentials kSuiteCreds{"AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", ""};
const sigv4::Credentials kS3Creds{"AKIAIOSFODNN7EXAMPLE", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", ""};
constexpr const char* kEmpty = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

struct SuiteCase {
  const char* name;
  const char* method;
  const char* path;
  sigv4::Params query;
  sigv4::Params extra_headers;
  const char* body;
  const char* signed_headers;
  const char* signature;
};

std::string suite_auth(const SuiteCase& c) {
  return std::string("AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=") +
         c.signed_headers + ", Signature=" + c.signature;
}

sigv4::Signature sign_suite(const SuiteCase& c) {
  sigv4::Request r;
  r.method = c.method;
  r.raw_path = c.path;
  r.query = c.query;
  r.headers = c.extra_headers;
  r.headers.emplace_back("Host", "example.amazonaws.com");
  r.headers.emplace_back("X-Amz-Date", "20150830T123600Z");
  r.payload_hash = sha256_hex(c.body);
  return sigv4::sign(r, kSuiteCreds, "us-east-1", "service", "20150830T123600Z");
}

}  // namespace

TEST_CASE("sigv4: AWS test-suite vectors") {
  const std::vector<SuiteCase> cases = {
      {"get-vanilla", "GET", "/", {}, {}, "", "host;x-amz-date",
       "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31"},
      {"get-vanilla-query-order-key-case", "GET", "/", {{"Param2", "value2"}, {"Param1", "value1"}}, {}, "",
       "host;x-amz-date", "b97d918cfa904a5beff61c982a1b6f458b799221646efd99d3219ec94cdf2500"},
      {"get-vanilla-empty-query-key", "GET", "/", {{"Param1", "value1"}}, {}, "", "host;x-amz-date",
       "a67d582fa61cc504c4bae71f336f98b97f1ea3c7a6bfe1b6e45aec72011b9aeb"},
      {"get-unreserved", "GET", "/-._~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz", {}, {}, "",
       "host;x-amz-date", "07ef7494c76fa4850883e2b006601f940f8a34d404d0cfa977f52a65bbf5f24f"},
      {"get-vanilla-query-unreserved", "GET", "/",
       {{"-._~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz",
         "-._~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"}},
       {}, "", "host;x-amz-date", "9c3e54bfcdf0b19771a7f523ee5669cdf59bc7cc0884027167c21bb143a40197"},
      {"get-utf8", "GET", "/\xe1\x88\xb4", {}, {}, "", "host;x-amz-date",
       "8318018e0b0f223aa2bbf98705b62bb787dc9c0e678f255a891fd03141be5d85"},
      {"get-vanilla-utf8-query", "GET", "/", {{"\xe1\x88\xb4", "bar"}}, {}, "", "host;x-amz-date",
       "2cdec8eed098649ff3a119c94853b13c643bcf08f8b0a1d91e12c9027818dd04"},
      {"get-header-key-duplicate", "GET", "/", {}, {{"My-Header1", "value2,value2,value1"}}, "",
       "host;my-header1;x-amz-date", "c9d5ea9f3f72853aea855b47ea873832890dbdd183b4468f858259531a5138ea"},
      {"get-header-value-order", "GET", "/", {}, {{"My-Header1", "value4,value1,value3,value2"}}, "",
       "host;my-header1;x-amz-date", "08c7e5a9acfcfeb3ab6b2185e75ce8b1deb5e634ec47601a50643f830c755c01"},
      {"get-header-value-trim", "GET", "/", {}, {{"My-Header1", " value1"}, {"My-Header2", "\"a   b   c\""}}, "",
       "host;my-header1;my-header2;x-amz-date", "acc3ed3afb60bb290fc8d2dd0098b9911fcaa05412b367055dee359757a9c736"},
      {"post-vanilla", "POST", "/", {}, {}, "", "host;x-amz-date",
       "5da7c1a2acd57cee7505fc6676e4e544621c30862966e37dddb68e92efbe5d6b"},
      {"post-header-key-sort", "POST", "/", {}, {{"My-Header1", "value1"}}, "", "host;my-header1;x-amz-date",
       "c5410059b04c1ee005303aed430f6e6645f61f4dc9e1461ec8f8916fdf18852c"},
      {"post-header-value-case", "POST", "/", {}, {{"My-Header1", "VALUE1"}}, "", "host;my-header1;x-amz-date",
       "cdbc9802e29d2942e5e10b5bccfdd67c5f22c7c4e8ae67b53629efa58b974b7d"},
      {"post-vanilla-query", "POST", "/", {{"Param1", "value1"}}, {}, "", "host;x-amz-date",
       "28038455d6de14eafc1f9222cf5aa6f1a96197d7deb8263271d420d138af7f11"},
      {"post-vanilla-query-nonunreserved", "POST", "/", {{"@#$%^", ""}, {"+", "/,?><`\";:\\|][{}"}}, {}, "",
       "host;x-amz-date", "66c82657c86e26fb25238d0e69f011edc4c6df5ae71119d7cb98ed9b87393c1e"},
      {"post-vanilla-query-space", "POST", "/", {{"p", ""}}, {}, "", "host;x-amz-date",
       "e71688addb58a26418614085fb730ba3faa623b461c17f48f2fbdb9361b94a9b"},
      {"post-x-www-form-urlencoded", "POST", "/", {}, {{"Content-Type", "application/x-www-form-urlencoded"}},
       "Param1=value1", "content-type;host;x-amz-date",
       "ff11897932ad3f4e8b18135d722051e5ac45fc38421b1da7b9d196a0fe09473a"},
      {"post-x-www-form-urlencoded-parameters", "POST", "/", {},
       {{"Content-Type", "application/x-www-form-urlencoded; charset=utf8"}}, "Param1=value1",
       "content-type;host;x-amz-date", "1a72ec8f64bd914b0e42e42607c7fbce7fb2c7465f63e3092b3b0d39fa77a6fe"},
  };
  for (const auto& c : cases) {
    CAPTURE(c.name);
    auto s = sign_suite(c);
    CHECK(s.signed_headers == c.signed_headers);
    CHECK(s.signature == c.signature);
    CHECK(s.authorization == suite_auth(c));
  }
}

TEST_CASE("sigv4: canonical request and string to sign of get-vanilla-query-order-key-case") {
  SuiteCase c{"", "GET", "/", {{"Param2", "value2"}, {"Param1", "value1"}}, {}, "", "", ""};
  auto s = sign_suite(c);
  CHECK(s.canonical_request ==
        "GET\n/\nParam1=value1&Param2=value2\nhost:example.amazonaws.com\nx-amz-date:20150830T123600Z\n\n"
        "host;x-amz-date\n" + std::string(kEmpty));
  CHECK(s.string_to_sign == "AWS4-HMAC-SHA256\n20150830T123600Z\n20150830/us-east-1/service/aws4_request\n" +
                                sha256_hex(s.canonical_request));
}

TEST_CASE("sigv4: S3 documentation example, GET object with Range") {
  sigv4::Request r{"GET", "/test.txt", {},
                   {{"Host", "examplebucket.s3.amazonaws.com"}, {"Range", "bytes=0-9"},
                    {"x-amz-content-sha256", kEmpty}, {"x-amz-date", "20130524T000000Z"}},
                   kEmpty};
  auto s = sigv4::sign(r, kS3Creds, "us-east-1", "s3", "20130524T000000Z");
  CHECK(s.canonical_request ==
        "GET\n/test.txt\n\nhost:examplebucket.s3.amazonaws.com\nrange:bytes=0-9\n"
        "x-amz-content-sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855\n"
        "x-amz-date:20130524T000000Z\n\nhost;range;x-amz-content-sha256;x-amz-date\n"
        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  CHECK(s.string_to_sign ==
        "AWS4-HMAC-SHA256\n20130524T000000Z\n20130524/us-east-1/s3/aws4_request\n"
        "7344ae5b7ee6c3e7e6b0fe0640412a37625d1fbfff95c48bbb2dc43964946972");
  CHECK(s.signature == "f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41");
  CHECK(s.authorization ==
        "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request, "
        "SignedHeaders=host;range;x-amz-content-sha256;x-amz-date, "
        "Signature=f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41");
}

TEST_CASE("sigv4: S3 documentation examples, ListObjects and PUT object") {
  sigv4::Request list{"GET", "/", {{"prefix", "J"}, {"max-keys", "2"}},
                      {{"Host", "examplebucket.s3.amazonaws.com"}, {"x-amz-content-sha256", kEmpty},
                       {"x-amz-date", "20130524T000000Z"}},
                      kEmpty};
  auto s = sigv4::sign(list, kS3Creds, "us-east-1", "s3", "20130524T000000Z");
  CHECK(s.canonical_request.find("\nmax-keys=2&prefix=J\n") != std::string::npos);
  CHECK(s.signature == "34b48302e7b5fa45bde8084f4b7868a86f0a534bc59db6670ed5711ef69dc6f7");

  const std::string body = "Welcome to Amazon S3.";
  const std::string hash = sha256_hex(body);
  CHECK(hash == "44ce7dd67c959e0d3524ffac1771dfbba87d2b6b4b4e99e42034a8b803f8b072");
  sigv4::Request put{"PUT", "/test$file.text", {},
                     {{"Host", "examplebucket.s3.amazonaws.com"}, {"Date", "Fri, 24 May 2013 00:00:00 GMT"},
                      {"x-amz-date", "20130524T000000Z"}, {"x-amz-storage-class", "REDUCED_REDUNDANCY"},
                      {"x-amz-content-sha256", hash}},
                     hash};
  auto p = sigv4::sign(put, kS3Creds, "us-east-1", "s3", "20130524T000000Z");
  CHECK(p.canonical_request.rfind("PUT\n/test%24file.text\n\n", 0) == 0);
  CHECK(p.signed_headers == "date;host;x-amz-content-sha256;x-amz-date;x-amz-storage-class");
  CHECK(p.signature == "98ad721746da40c64f1a55b78f14c238d841ea1380cd77a1b5971af0ece108bd");
}

TEST_CASE("sigv4: URI and query encoding for S3 keys") {
  CHECK(sigv4::uri_encode("a b+c%d=e~f_g.h-i", false) == "a%20b%2Bc%25d%3De~f_g.h-i");
  CHECK(sigv4::uri_encode("dir/sub dir/x", true) == "dir/sub%20dir/x");
  CHECK(sigv4::uri_encode("dir/x", false) == "dir%2Fx");
  CHECK(sigv4::uri_encode("\xc3\xa9", false) == "%C3%A9");
  CHECK(sigv4::canonical_uri("") == "/");
  CHECK(sigv4::canonical_uri("/bucket/a/./b/../c") == "/bucket/a/./b/../c");  // S3: no normalisation
  CHECK(sigv4::canonical_query({{"prefix", "a b/"}, {"list-type", "2"}, {"continuation-token", "x+y=="}}) ==
        "continuation-token=x%2By%3D%3D&list-type=2&prefix=a%20b%2F");
  CHECK(sigv4::canonical_query({{"uploads", ""}}) == "uploads=");
  // Sorted by encoded name, so upper case sorts before lower case.
  CHECK(sigv4::canonical_query({{"b", "1"}, {"B", "2"}, {"a", "3"}}) == "B=2&a=3&b=1");
}

TEST_CASE("sigv4: a different secret gives a different signature") {
  sigv4::Request r{"GET", "/", {}, {{"host", "h"}, {"x-amz-date", "20150830T123600Z"}}, kEmpty};
  auto a = sigv4::sign(r, kSuiteCreds, "us-east-1", "s3", "20150830T123600Z");
  auto wrong = kSuiteCreds;
  wrong.secret_access_key.back() = 'X';
  auto b = sigv4::sign(r, wrong, "us-east-1", "s3", "20150830T123600Z");
  CHECK(a.signature != b.signature);
  CHECK(a.signature.size() == 64);
  CHECK_THROWS(sigv4::sign(r, kSuiteCreds, "us-east-1", "s3", "2015"));
}

TEST_CASE("s3 request: a body is signed by its SHA-256, or sent as UNSIGNED-PAYLOAD") {
  S3Config cfg;
  cfg.endpoint = "http://10.200.0.2:9000";
  cfg.bucket = "b";
  const std::string body = "some object bytes";
  cfg.sign_payload = true;
  RequestExecutor signing(cfg);
  CHECK(signing.payload_hash(body) == sha256_hex(body));
  CHECK(signing.payload_hash("") == sha256_hex(""));
  S3Config unsigned_cfg = cfg;
  unsigned_cfg.sign_payload = false;
  RequestExecutor unsigned_exec(unsigned_cfg);
  CHECK(unsigned_exec.payload_hash(body) == "UNSIGNED-PAYLOAD");
  CHECK(unsigned_exec.payload_hash("") == sha256_hex(""));  // no body: the empty hash, as the SDKs send
}
