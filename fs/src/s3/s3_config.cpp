// Resolution of S3Config from flags, the AWS environment variables and the AWS profile files.
// The precedence mirrors the AWS CLI so that an existing setup works unchanged: an explicit
// --profile beats credentials in the environment (as `aws --profile` does), otherwise
// environment credentials beat the profile. See s3_config.hpp for the full order.
#include "skytrain/fs/s3_config.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>

#include <cstdlib>
#include <filesystem>

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include "s3/aws_profile_file.hpp"
#include "skytrain/common/error.hpp"

namespace skytrain::fs {

namespace {

std::string host_of(const std::string& endpoint) {
  auto p = endpoint.find("://");
  std::string rest = p == std::string::npos ? endpoint : endpoint.substr(p + 3);
  auto slash = rest.find('/');
  if (slash != std::string::npos) rest.resize(slash);
  auto at = rest.rfind('@');
  if (at != std::string::npos) rest = rest.substr(at + 1);
  if (!rest.empty() && rest[0] == '[') {
    auto close = rest.find(']');
    return rest.substr(0, close == std::string::npos ? rest.size() : close + 1);
  }
  auto colon = rest.find(':');
  if (colon != std::string::npos) rest.resize(colon);
  return rest;
}

bool ends_with(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

bool dns_compatible_bucket(const std::string& b) {
  if (b.size() < 3 || b.size() > 63) return false;
  for (char c : b) {
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-')) return false;
  }
  return b.front() != '-' && b.back() != '-';
}

// A value and where it came from, for error messages.
struct Sourced {
  std::string value;
  std::string source;
};

std::string normalize_endpoint(const Sourced& e) {
  std::string v = e.value;
  if (v.rfind("http://", 0) != 0 && v.rfind("https://", 0) != 0) {
    fail("{}: endpoint '{}' must start with http:// or https://", e.source, v);
  }
  while (!v.empty() && v.back() == '/') v.pop_back();
  if (host_of(v).empty()) fail("{}: endpoint '{}' has no host", e.source, v);
  return v;
}

S3Addressing parse_addressing(const std::string& v, const std::string& source) {
  if (v == "auto") return S3Addressing::automatic;
  if (v == "path") return S3Addressing::path;
  if (v == "virtual") return S3Addressing::virtual_host;
  fail("{}: addressing must be auto, path or virtual, not '{}'", source, v);
}

// The hosts a connection to which never leaves this machine: "localhost", an IPv4 literal in
// 127.0.0.0/8 or the IPv6 literal ::1 (in brackets, as URLs write it). Names are not resolved: a
// host merely named "127.x.example" may be anywhere.
bool loopback_host(const std::string& h) {
  if (h == "localhost") return true;
  in_addr v4{};
  if (::inet_pton(AF_INET, h.c_str(), &v4) == 1) return (ntohl(v4.s_addr) >> 24) == 127;
  in6_addr v6{};
  if (h.size() > 2 && h.front() == '[' && h.back() == ']' &&
      ::inet_pton(AF_INET6, h.substr(1, h.size() - 2).c_str(), &v6) == 1)
    return IN6_IS_ADDR_LOOPBACK(&v6);
  return false;
}

// on/off/auto from a flag or an option; true/false from a profile (the AWS CLI's spelling).
std::optional<bool> parse_payload_signing(const std::string& v, const std::string& source) {
  if (v == "on" || v == "true") return true;
  if (v == "off" || v == "false") return false;
  if (v == "auto") return std::nullopt;
  fail("{}: payload signing must be auto, on or off (true or false in a profile), not '{}'", source, v);
}

}  // namespace

bool S3Config::is_tigris() const {
  const std::string h = host_of(endpoint);
  return h == "t3.storage.dev" || ends_with(h, ".storage.dev") || ends_with(h, ".tigris.dev");
}

bool S3Config::use_path_style() const {
  switch (addressing) {
    case S3Addressing::path: return true;
    case S3Addressing::virtual_host: return false;
    case S3Addressing::automatic: break;
  }
  return !(ends_with(host_of(endpoint), ".amazonaws.com") && dns_compatible_bucket(bucket));
}

std::string S3Config::describe() const {
  std::string key = credentials.access_key_id.size() > 4 ? credentials.access_key_id.substr(0, 4) + "..."
                                                         : std::string("(none)");
  return fmt::format("endpoint={} region={} bucket={}{}{} addressing={} payload={} access_key={} credentials_from={}",
                     endpoint, region, bucket, prefix.empty() ? "" : " prefix=", prefix,
                     use_path_style() ? "path" : "virtual", sign_payload ? "signed" : "unsigned", key,
                     config_source.empty() ? "?" : config_source);
}

EnvLookup process_env() {
  return [](const std::string& name) -> std::optional<std::string> {
    const char* v = std::getenv(name.c_str());
    if (!v) return std::nullopt;
    return std::string(v);
  };
}

void add_s3_flags(CLI::App& app, S3Flags& flags) {
  app.add_option_function<std::string>(
         "--endpoint", [&flags](const std::string& v) { flags.endpoint = v; },
         "S3 endpoint URL (default: $AWS_ENDPOINT_URL_S3, $AWS_ENDPOINT_URL, the profile's endpoint_url, "
         "else Tigris https://t3.storage.dev)")
      ->type_name("URL");
  app.add_option_function<std::string>(
         "--region", [&flags](const std::string& v) { flags.region = v; },
         "Signing region (default: $AWS_REGION, $AWS_DEFAULT_REGION, the profile's region, else 'auto' for Tigris "
         "and 'us-east-1' otherwise)")
      ->type_name("NAME");
  app.add_option_function<std::string>(
         "--profile", [&flags](const std::string& v) { flags.profile = v; },
         "AWS profile in ~/.aws/credentials and ~/.aws/config (default: $AWS_PROFILE, else 'default'); "
         "overrides credentials in the environment")
      ->type_name("NAME");
  app.add_option_function<std::string>(
         "--ca-bundle", [&flags](const std::string& v) { flags.ca_bundle = v; },
         "PEM file of CA certificates (default: $AWS_CA_BUNDLE, the profile's ca_bundle, else the system's)")
      ->type_name("FILE");
  app.add_option_function<std::string>(
         "--addressing", [&flags](const std::string& v) { flags.addressing = v; },
         "Bucket addressing: path, virtual, or auto = virtual-hosted on *.amazonaws.com, path-style elsewhere "
         "(default: auto)")
      ->type_name("auto|path|virtual")
      ->check(CLI::IsMember({"auto", "path", "virtual"}));
  app.add_option_function<long>(
         "--connect-timeout-ms", [&flags](const long& v) { flags.connect_timeout_ms = v; },
         "TCP/TLS connect timeout in milliseconds (default: 10000)")
      ->type_name("MS")
      ->check(CLI::PositiveNumber);
  app.add_option_function<long>(
         "--stall-timeout", [&flags](const long& v) { flags.low_speed_time_s = v; },
         "Abort and retry a request that moves under 1 KiB/s for this many seconds (default: 30)")
      ->type_name("SECONDS")
      ->check(CLI::PositiveNumber);
  app.add_option_function<int>(
         "--retries", [&flags](const int& v) { flags.max_retries = v; },
         "Retries of a request after a transient error (5xx, 429/SlowDown, reset, timeout), with exponential "
         "backoff and jitter (default: 6)")
      ->type_name("N")
      ->check(CLI::NonNegativeNumber);
  app.add_option_function<int>(
         "--max-connections", [&flags](const int& v) { flags.max_connections = v; },
         "Maximum parallel S3 connections, kept alive for reuse (default: 64)")
      ->type_name("N")
      ->check(CLI::PositiveNumber);
  app.add_option_function<std::string>(
         "--payload-signing", [&flags](const std::string& v) { flags.payload_signing = v; },
         "Hash uploaded bodies into the request signature (x-amz-content-sha256): on, off, or auto = on only "
         "for plain http to a host other than loopback; TLS already protects the body (default: the profile's "
         "payload_signing_enabled, else auto)")
      ->type_name("auto|on|off")
      ->check(CLI::IsMember({"auto", "on", "off"}));
}

bool apply_s3_option(S3Flags& flags, const std::string& name, const std::string& value) {
  auto to_long = [&](const std::string& what) {
    try {
      size_t pos = 0;
      long v = std::stol(value, &pos);
      if (pos != value.size() || v < 0) throw std::invalid_argument(what);
      return v;
    } catch (const std::exception&) {
      fail("option {}={}: expected a non-negative integer", name, value);
    }
  };
  if (name == "endpoint") flags.endpoint = value;
  else if (name == "region") flags.region = value;
  else if (name == "profile") flags.profile = value;
  else if (name == "ca-bundle" || name == "ca_bundle") flags.ca_bundle = value;
  else if (name == "addressing") {
    parse_addressing(value, "option addressing");
    flags.addressing = value;
  } else if (name == "connect-timeout-ms") flags.connect_timeout_ms = to_long(name);
  else if (name == "stall-timeout") flags.low_speed_time_s = to_long(name);
  else if (name == "retries") flags.max_retries = static_cast<int>(to_long(name));
  else if (name == "max-connections") flags.max_connections = static_cast<int>(to_long(name));
  else if (name == "payload-signing" || name == "payload_signing") {
    parse_payload_signing(value, "option payload-signing");
    flags.payload_signing = value;
  }
  else return false;
  return true;
}

S3Config resolve_s3_config(const std::string& bucket, const std::string& prefix, const S3Flags& flags,
                           const EnvLookup& env) {
  namespace stdfs = std::filesystem;
  if (bucket.empty()) fail("bucket name is empty");
  if (bucket.find('/') != std::string::npos) fail("bucket name '{}' contains '/'", bucket);

  S3Config cfg;
  cfg.bucket = bucket;
  std::string p = prefix;
  while (!p.empty() && p.front() == '/') p.erase(p.begin());
  if (!p.empty() && p.back() != '/') p.push_back('/');
  cfg.prefix = p;

  auto nonempty_env = [&](const char* name) -> std::optional<std::string> {
    auto v = env(name);
    if (v && !v->empty()) return v;
    return std::nullopt;
  };

  // Profile and its files.
  const bool explicit_profile = flags.profile.has_value();
  std::string profile = "default";
  if (flags.profile) profile = *flags.profile;
  else if (auto v = nonempty_env("AWS_PROFILE")) profile = *v;
  else if (auto v = nonempty_env("AWS_DEFAULT_PROFILE")) profile = *v;
  const bool named_profile = explicit_profile || profile != "default";
  cfg.profile = profile;

  const auto home = nonempty_env("HOME");
  auto file_path = [&](const char* var, const char* leaf) -> std::optional<stdfs::path> {
    if (auto v = nonempty_env(var)) return stdfs::path(*v);
    if (home) return stdfs::path(*home) / ".aws" / leaf;
    return std::nullopt;
  };
  std::optional<aws_profile::File> cred_file, conf_file;
  if (auto path = file_path("AWS_SHARED_CREDENTIALS_FILE", "credentials")) cred_file = aws_profile::load(*path);
  if (auto path = file_path("AWS_CONFIG_FILE", "config")) conf_file = aws_profile::load(*path);
  const aws_profile::Section* cred_sec = cred_file ? aws_profile::find_profile(*cred_file, profile, false) : nullptr;
  const aws_profile::Section* conf_sec = conf_file ? aws_profile::find_profile(*conf_file, profile, true) : nullptr;
  if (named_profile && !cred_sec && !conf_sec) {
    fail("AWS profile '{}' (from {}) not found in {} or {}", profile, explicit_profile ? "--profile" : "AWS_PROFILE",
         cred_file ? cred_file->path.string() : std::string("~/.aws/credentials"),
         conf_file ? conf_file->path.string() : std::string("~/.aws/config"));
  }
  auto from_profile = [&](const std::string& key) -> std::optional<Sourced> {
    if (cred_sec) {
      auto it = cred_sec->find(key);
      if (it != cred_sec->end() && !it->second.empty())
        return Sourced{it->second, fmt::format("{} [{}] {}", cred_file->path.string(), profile, key)};
    }
    if (conf_sec) {
      auto it = conf_sec->find(key);
      if (it != conf_sec->end() && !it->second.empty())
        return Sourced{it->second, fmt::format("{} profile '{}' {}", conf_file->path.string(), profile, key)};
    }
    return std::nullopt;
  };

  // Credentials.
  auto env_key = nonempty_env("AWS_ACCESS_KEY_ID");
  auto env_secret = nonempty_env("AWS_SECRET_ACCESS_KEY");
  auto profile_creds = [&]() -> bool {
    auto id = from_profile("aws_access_key_id");
    auto secret = from_profile("aws_secret_access_key");
    if (!id && !secret) return false;
    if (!id || !secret) {
      fail("AWS profile '{}' has {} but not {}", profile, id ? "aws_access_key_id" : "aws_secret_access_key",
           id ? "aws_secret_access_key" : "aws_access_key_id");
    }
    cfg.credentials.access_key_id = id->value;
    cfg.credentials.secret_access_key = secret->value;
    if (auto tok = from_profile("aws_session_token")) cfg.credentials.session_token = tok->value;
    cfg.config_source = "profile '" + profile + "'";
    return true;
  };
  auto env_creds = [&]() -> bool {
    if (!env_key && !env_secret) return false;
    if (!env_key || !env_secret) {
      fail("{} is set but {} is not", env_key ? "AWS_ACCESS_KEY_ID" : "AWS_SECRET_ACCESS_KEY",
           env_key ? "AWS_SECRET_ACCESS_KEY" : "AWS_ACCESS_KEY_ID");
    }
    cfg.credentials.access_key_id = *env_key;
    cfg.credentials.secret_access_key = *env_secret;
    if (auto tok = nonempty_env("AWS_SESSION_TOKEN")) cfg.credentials.session_token = *tok;
    cfg.config_source = "environment";
    return true;
  };
  const bool have = explicit_profile ? (profile_creds() || env_creds()) : (env_creds() || profile_creds());
  if (!have) {
    fail("no S3 credentials: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or put aws_access_key_id and "
         "aws_secret_access_key in profile '{}' of {}",
         profile, cred_file ? cred_file->path.string() : std::string("~/.aws/credentials"));
  }

  // Endpoint.
  std::optional<Sourced> endpoint;
  if (flags.endpoint) endpoint = Sourced{*flags.endpoint, "--endpoint"};
  else if (auto v = nonempty_env("AWS_ENDPOINT_URL_S3")) endpoint = Sourced{*v, "AWS_ENDPOINT_URL_S3"};
  else if (auto v = nonempty_env("AWS_ENDPOINT_URL")) endpoint = Sourced{*v, "AWS_ENDPOINT_URL"};
  else if (auto v = from_profile("s3.endpoint_url")) endpoint = v;
  else if (auto v = from_profile("endpoint_url")) endpoint = v;
  cfg.endpoint = endpoint ? normalize_endpoint(*endpoint) : std::string(kTigrisEndpoint);

  // Region.
  if (flags.region) cfg.region = *flags.region;
  else if (auto v = nonempty_env("AWS_REGION")) cfg.region = *v;
  else if (auto v = nonempty_env("AWS_DEFAULT_REGION")) cfg.region = *v;
  else if (auto v = from_profile("region")) cfg.region = v->value;
  else cfg.region = cfg.is_tigris() ? "auto" : "us-east-1";
  if (cfg.region.empty()) fail("--region is empty");

  // CA bundle.
  std::optional<Sourced> ca;
  if (flags.ca_bundle) ca = Sourced{*flags.ca_bundle, "--ca-bundle"};
  else if (auto v = nonempty_env("AWS_CA_BUNDLE")) ca = Sourced{*v, "AWS_CA_BUNDLE"};
  else if (auto v = from_profile("ca_bundle")) ca = v;
  if (ca) {
    std::error_code ec;
    if (!stdfs::is_regular_file(ca->value, ec)) fail("{}: CA bundle '{}' is not a readable file", ca->source, ca->value);
    cfg.ca_bundle = ca->value;
  }

  // Payload signing.
  std::optional<bool> sign;
  if (flags.payload_signing) sign = parse_payload_signing(*flags.payload_signing, "--payload-signing");
  else if (auto v = from_profile("s3.payload_signing_enabled")) sign = parse_payload_signing(v->value, v->source);
  const std::string host = host_of(cfg.endpoint);
  cfg.sign_payload = sign.value_or(cfg.endpoint.rfind("https://", 0) != 0 && !loopback_host(host));

  if (flags.addressing) cfg.addressing = parse_addressing(*flags.addressing, "--addressing");
  if (flags.connect_timeout_ms) cfg.connect_timeout_ms = *flags.connect_timeout_ms;
  if (flags.low_speed_time_s) cfg.low_speed_time_s = *flags.low_speed_time_s;
  if (flags.max_retries) cfg.max_retries = *flags.max_retries;
  if (flags.max_connections) cfg.max_connections = *flags.max_connections;
  if (cfg.connect_timeout_ms <= 0) fail("--connect-timeout-ms must be positive");
  if (cfg.low_speed_time_s <= 0) fail("--stall-timeout must be positive");
  if (cfg.max_retries < 0) fail("--retries must not be negative");
  if (cfg.max_connections <= 0) fail("--max-connections must be positive");
  return cfg;
}

}  // namespace skytrain::fs
