// S3Config resolution: flags > environment > profile files > defaults, with injected env and HOME.
#include <doctest/doctest.h>

#include <CLI/CLI.hpp>
#include <filesystem>
#include <fstream>
#include <map>

#include "skytrain/common/error.hpp"
#include "skytrain/fs/s3_config.hpp"

using namespace skytrain;
using namespace skytrain::fs;
namespace stdfs = std::filesystem;

namespace {

struct FakeHome {
  stdfs::path dir;
  std::map<std::string, std::string> vars;
  FakeHome() {
    char tmpl[] = "/tmp/skytrain-s3cfg-XXXXXX";
    dir = ::mkdtemp(tmpl);
    vars["HOME"] = dir.string();
    stdfs::create_directories(dir / ".aws");
  }
  ~FakeHome() { stdfs::remove_all(dir); }
  void write(const std::string& leaf, const std::string& text) { std::ofstream(dir / ".aws" / leaf) << text; }
  EnvLookup env() const {
    return [this](const std::string& n) -> std::optional<std::string> {
      auto it = vars.find(n);
      if (it == vars.end()) return std::nullopt;
      return it->second;
    };
  }
  S3Config resolve(const S3Flags& f = {}, const std::string& prefix = "") const {
    return resolve_s3_config("bkt", prefix, f, env());
  }
};

std::string error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

}  // namespace

TEST_CASE("s3 config: Tigris works with nothing but its keys") {
  FakeHome h;
  h.vars["AWS_ACCESS_KEY_ID"] = "tid_abc";
  h.vars["AWS_SECRET_ACCESS_KEY"] = "tsec_xyz";
  auto c = h.resolve();
  CHECK(c.endpoint == "https://t3.storage.dev");
  CHECK(c.region == "auto");
  CHECK(c.is_tigris());
  CHECK(c.use_path_style());
  CHECK(c.credentials.access_key_id == "tid_abc");
  CHECK(c.credentials.secret_access_key == "tsec_xyz");
  CHECK(c.config_source == "environment");
  CHECK(c.prefix.empty());
  // describe() never shows the secret
  CHECK(c.describe().find("tsec_xyz") == std::string::npos);
  CHECK(c.describe().find("endpoint=https://t3.storage.dev") != std::string::npos);
}

TEST_CASE("s3 config: environment variables and their order") {
  FakeHome h;
  h.vars["AWS_ACCESS_KEY_ID"] = "AK";
  h.vars["AWS_SECRET_ACCESS_KEY"] = "SK";
  h.vars["AWS_SESSION_TOKEN"] = "TOK";
  h.vars["AWS_ENDPOINT_URL"] = "http://127.0.0.1:9000/";
  h.vars["AWS_DEFAULT_REGION"] = "eu-west-1";
  auto c = h.resolve({}, "/some/prefix");
  CHECK(c.endpoint == "http://127.0.0.1:9000");
  CHECK(c.region == "eu-west-1");
  CHECK(c.credentials.session_token == "TOK");
  CHECK(c.prefix == "some/prefix/");
  CHECK(!c.is_tigris());
  CHECK(c.use_path_style());

  h.vars["AWS_ENDPOINT_URL_S3"] = "https://s3.example.com";
  h.vars["AWS_REGION"] = "us-west-2";
  c = h.resolve();
  CHECK(c.endpoint == "https://s3.example.com");
  CHECK(c.region == "us-west-2");

  S3Flags f;
  f.endpoint = "http://localhost:1234";
  f.region = "flag-region";
  f.max_retries = 2;
  f.max_connections = 7;
  f.addressing = "virtual";
  c = h.resolve(f);
  CHECK(c.endpoint == "http://localhost:1234");
  CHECK(c.region == "flag-region");
  CHECK(c.max_retries == 2);
  CHECK(c.max_connections == 7);
  CHECK(!c.use_path_style());
}

TEST_CASE("s3 config: profiles in ~/.aws/credentials and ~/.aws/config") {
  FakeHome h;
  h.write("credentials",
          "# comment\n[default]\naws_access_key_id = DEF_ID\naws_secret_access_key = DEF_SECRET\n\n"
          "[work]\naws_access_key_id=WORK_ID\naws_secret_access_key=WORK_SECRET\naws_session_token = WTOK\n");
  h.write("config",
          "[default]\nregion = ap-south-1\n\n[profile work]\nregion = auto\nendpoint_url = https://fly.storage.tigris.dev\n"
          "[profile nested]\naws_access_key_id = N_ID\naws_secret_access_key = N_SECRET\ns3 =\n"
          "  endpoint_url = http://127.0.0.1:7000\n  addressing_style = path\nregion = r1\n");
  auto c = h.resolve();
  CHECK(c.credentials.access_key_id == "DEF_ID");
  CHECK(c.region == "ap-south-1");
  CHECK(c.endpoint == "https://t3.storage.dev");
  CHECK(c.config_source == "profile 'default'");

  h.vars["AWS_PROFILE"] = "work";
  c = h.resolve();
  CHECK(c.credentials.access_key_id == "WORK_ID");
  CHECK(c.credentials.session_token == "WTOK");
  CHECK(c.endpoint == "https://fly.storage.tigris.dev");
  CHECK(c.is_tigris());
  CHECK(c.region == "auto");

  // Credentials only in the config file, endpoint in an "s3 =" sub-section.
  S3Flags f;
  f.profile = "nested";
  c = h.resolve(f);
  CHECK(c.credentials.access_key_id == "N_ID");
  CHECK(c.endpoint == "http://127.0.0.1:7000");
  CHECK(c.region == "r1");

  // Environment credentials beat AWS_PROFILE, but an explicit --profile beats the environment.
  h.vars["AWS_ACCESS_KEY_ID"] = "ENV_ID";
  h.vars["AWS_SECRET_ACCESS_KEY"] = "ENV_SECRET";
  CHECK(h.resolve().credentials.access_key_id == "ENV_ID");
  CHECK(h.resolve(f).credentials.access_key_id == "N_ID");

  // AWS_SHARED_CREDENTIALS_FILE / AWS_CONFIG_FILE move the files.
  h.vars.erase("AWS_ACCESS_KEY_ID");
  h.vars.erase("AWS_SECRET_ACCESS_KEY");
  h.vars.erase("AWS_PROFILE");
  {
    std::ofstream(h.dir / "other-creds") << "[default]\naws_access_key_id=OTHER\naws_secret_access_key=S\n";
  }
  h.vars["AWS_SHARED_CREDENTIALS_FILE"] = (h.dir / "other-creds").string();
  CHECK(h.resolve().credentials.access_key_id == "OTHER");
}

TEST_CASE("s3 config: CA bundle from AWS_CA_BUNDLE, checked to exist") {
  FakeHome h;
  h.vars["AWS_ACCESS_KEY_ID"] = "A";
  h.vars["AWS_SECRET_ACCESS_KEY"] = "B";
  std::ofstream(h.dir / "ca.pem") << "-----BEGIN CERTIFICATE-----\n";
  h.vars["AWS_CA_BUNDLE"] = (h.dir / "ca.pem").string();
  CHECK(h.resolve().ca_bundle == (h.dir / "ca.pem").string());
  h.vars["AWS_CA_BUNDLE"] = (h.dir / "missing.pem").string();
  CHECK(error_of([&] { h.resolve(); }).find("AWS_CA_BUNDLE: CA bundle") == 0);
}

TEST_CASE("s3 config: bad input names what is wrong") {
  FakeHome h;
  CHECK(error_of([&] { h.resolve(); }).rfind("no S3 credentials", 0) == 0);
  h.vars["AWS_ACCESS_KEY_ID"] = "A";
  CHECK(error_of([&] { h.resolve(); }) == "AWS_ACCESS_KEY_ID is set but AWS_SECRET_ACCESS_KEY is not");
  h.vars["AWS_SECRET_ACCESS_KEY"] = "B";
  h.vars["AWS_ENDPOINT_URL"] = "127.0.0.1:9000";
  CHECK(error_of([&] { h.resolve(); }) == "AWS_ENDPOINT_URL: endpoint '127.0.0.1:9000' must start with http:// or https://");
  h.vars.erase("AWS_ENDPOINT_URL");
  S3Flags f;
  f.profile = "nope";
  CHECK(error_of([&] { h.resolve(f); }).rfind("AWS profile 'nope' (from --profile) not found in ", 0) == 0);
  h.write("credentials", "[default]\naws_access_key_id = X\nthis line is broken\n");
  CHECK(error_of([&] { h.resolve(); }).find("credentials:3: expected 'key = value'") != std::string::npos);
  CHECK(error_of([&] { resolve_s3_config("", "", {}, h.env()); }) == "bucket name is empty");
}

TEST_CASE("s3 config: command-line flags and -o options") {
  S3Flags f;
  CLI::App app("t");
  add_s3_flags(app, f);
  const char* argv[] = {"t", "--endpoint", "http://127.0.0.1:5", "--region", "r", "--retries", "3",
                        "--max-connections", "9", "--stall-timeout", "4", "--addressing", "path"};
  app.parse(static_cast<int>(std::size(argv)), argv);
  CHECK(*f.endpoint == "http://127.0.0.1:5");
  CHECK(*f.region == "r");
  CHECK(*f.max_retries == 3);
  CHECK(*f.max_connections == 9);
  CHECK(*f.low_speed_time_s == 4);
  CHECK(*f.addressing == "path");
  CHECK(!f.profile);
  const std::string help = app.help();
  CHECK(help.find("--endpoint") != std::string::npos);
  CHECK(help.find("default: 6") != std::string::npos);
  CHECK(help.find("secret") == std::string::npos);  // no flag takes a secret

  S3Flags o;
  CHECK(apply_s3_option(o, "endpoint", "http://x:1"));
  CHECK(apply_s3_option(o, "retries", "4"));
  CHECK(!apply_s3_option(o, "uid", "0"));
  CHECK(*o.endpoint == "http://x:1");
  CHECK(*o.max_retries == 4);
  CHECK(error_of([&] { apply_s3_option(o, "retries", "many"); }) == "option retries=many: expected a non-negative integer");
}

TEST_CASE("s3 config: payload signing is on for plain http to another host, off over TLS and loopback") {
  FakeHome h;
  h.vars["AWS_ACCESS_KEY_ID"] = "A";
  h.vars["AWS_SECRET_ACCESS_KEY"] = "B";
  auto signs = [&](const std::string& endpoint, S3Flags f = {}) {
    f.endpoint = endpoint;
    return h.resolve(f).sign_payload;
  };
  CHECK(!h.resolve().sign_payload);  // Tigris, https
  CHECK(!signs("https://s3.us-east-1.amazonaws.com"));
  CHECK(!signs("http://127.0.0.1:9000"));
  CHECK(!signs("http://127.3.4.5"));
  CHECK(!signs("http://localhost:9000"));
  CHECK(!signs("http://[::1]:9000"));
  CHECK(signs("http://10.200.0.2:9000"));  // a veth peer, a LAN MinIO: the body crosses a link
  CHECK(signs("http://minio.internal:9000"));
  CHECK(signs("http://128.0.0.1"));
  CHECK(signs("http://127.evil.example:9000"));  // a name, not an address: it may be anywhere
  CHECK(!signs("http://[0:0:0:0:0:0:0:1]:9000"));
  CHECK(signs("http://[::2]:9000"));
  S3Flags on;
  on.payload_signing = "on";
  CHECK(signs("https://t3.storage.dev", on));
  S3Flags off;
  off.payload_signing = "off";
  CHECK(!signs("http://10.200.0.2:9000", off));
  CHECK(h.resolve(off).describe().find("payload=unsigned") != std::string::npos);
  CHECK(h.resolve(on).describe().find("payload=signed") != std::string::npos);

  // The AWS CLI's profile setting, in the profile's "s3 =" sub-section; a flag beats it.
  h.write("config", "[default]\ns3 =\n  payload_signing_enabled = true\n");
  CHECK(h.resolve().sign_payload);
  CHECK(!h.resolve(off).sign_payload);
  h.write("config", "[default]\ns3 =\n  payload_signing_enabled = maybe\n");
  const std::string err = error_of([&] { h.resolve(); });
  CHECK(err.find("s3.payload_signing_enabled: payload signing must be auto, on or off") != std::string::npos);
  CHECK(err.find("'maybe'") != std::string::npos);

  S3Flags o;
  CHECK(apply_s3_option(o, "payload_signing", "off"));
  CHECK(*o.payload_signing == "off");
  CHECK(error_of([&] { apply_s3_option(o, "payload-signing", "yes"); }).find("option payload-signing") == 0);
}
