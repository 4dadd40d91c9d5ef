// Where the bucket lives and how to reach it: endpoint, region, bucket, key prefix, credentials and
// the transport knobs (timeouts, retries, connection pool, CA bundle).
//
// Resolution follows the AWS CLI/SDK conventions so that a user's existing setup just works, with
// our command-line flags on top:
//   flags  >  environment  >  profile (~/.aws/credentials, ~/.aws/config)  >  defaults
// - credentials: AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY / AWS_SESSION_TOKEN, else the profile
//   (AWS_PROFILE, flag --profile, else "default") in AWS_SHARED_CREDENTIALS_FILE (~/.aws/credentials)
//   and then AWS_CONFIG_FILE (~/.aws/config, section "[profile NAME]" or "[default]").
// - endpoint: AWS_ENDPOINT_URL_S3, AWS_ENDPOINT_URL, the profile's `endpoint_url` (also inside an
//   `s3 =` sub-section), else Tigris (https://t3.storage.dev).
// - region: AWS_REGION, AWS_DEFAULT_REGION, the profile's `region`; else "auto" for Tigris
//   endpoints and "us-east-1" for everything else.
// - CA bundle: AWS_CA_BUNDLE, the profile's `ca_bundle`, else the system default.
// - payload signing: --payload-signing, the profile's `payload_signing_enabled` (in its `s3 =`
//   sub-section, as the AWS CLI reads it), else auto (see S3Config::sign_payload).
// So Tigris works with nothing but its two keys in the environment.
//
// Secrets never leave this struct through describe(), logs or errors.
#pragma once
#include <functional>
#include <optional>
#include <string>

namespace CLI {
class App;
}

namespace skytrain::fs {

struct S3Credentials {
  std::string access_key_id;
  std::string secret_access_key;
  std::string session_token;  // empty unless temporary credentials
  bool empty() const { return access_key_id.empty() && secret_access_key.empty(); }
};

enum class S3Addressing {
  automatic,  // virtual-hosted for *.amazonaws.com (DNS-compatible bucket names), path-style otherwise
  path,       // https://endpoint/bucket/key
  virtual_host,  // https://bucket.endpoint/key
};

inline constexpr const char* kTigrisEndpoint = "https://t3.storage.dev";

struct S3Config {
  std::string endpoint = kTigrisEndpoint;  // scheme://host[:port], no trailing slash
  std::string region = "auto";
  std::string bucket;
  // Key prefix inside the bucket; empty or ending in '/'. The S3Client prepends it to every key
  // it sends and strips it from every key it returns: callers see the prefix as the bucket root.
  std::string prefix;
  S3Credentials credentials;
  S3Addressing addressing = S3Addressing::automatic;
  std::string ca_bundle;  // PEM file; empty = libcurl's default
  // Whether a request's body is hashed into its SigV4 signature (x-amz-content-sha256) or sent
  // as UNSIGNED-PAYLOAD. The hash guards the body against corruption and tampering on the way;
  // it costs a SHA-256 of every uploaded byte here and again on the server (a third of the
  // mount's CPU in a 1 GiB write). Over TLS the record MACs already guarantee that, which is
  // why the AWS SDKs skip it over https; on a loopback endpoint nothing is on the way. So the
  // default (auto) signs only plain-http bodies to a host other than localhost/127.0.0.0/8/::1.
  bool sign_payload = true;

  long connect_timeout_ms = 10'000;
  // A transfer slower than low_speed_limit bytes/s for low_speed_time_s seconds is aborted (and
  // retried). Bounds a stalled connection without capping large transfers.
  long low_speed_limit_bytes = 1024;
  long low_speed_time_s = 30;
  int max_retries = 6;           // retries after the first attempt for transient failures
  int retry_base_delay_ms = 50;  // backoff: random(0, min(cap, base * 2^attempt)) ("full jitter")
  int retry_max_delay_ms = 5'000;
  int max_connections = 64;      // pooled connections kept alive for reuse
  std::string user_agent = "skytrain-fs/0.1";

  std::string profile;       // the profile that was used (for messages)
  std::string config_source;  // where the credentials came from, e.g. "environment" (no secrets)

  bool is_tigris() const;
  bool use_path_style() const;
  // One line for logs: endpoint, region, bucket, prefix, access key id (abbreviated), source. No secrets.
  std::string describe() const;
};

// Values given on the command line; unset ones fall back to environment/profile/defaults.
struct S3Flags {
  std::optional<std::string> endpoint;
  std::optional<std::string> region;
  std::optional<std::string> profile;
  std::optional<std::string> ca_bundle;
  std::optional<std::string> addressing;  // "auto" | "path" | "virtual"
  std::optional<long> connect_timeout_ms;
  std::optional<long> low_speed_time_s;
  std::optional<int> max_retries;
  std::optional<int> max_connections;
  std::optional<std::string> payload_signing;  // "auto" | "on" | "off"
};

// Adds --endpoint, --region, --profile, --ca-bundle, --addressing, --connect-timeout-ms,
// --stall-timeout, --retries, --max-connections, --payload-signing to `app`, writing into
// `flags` (which must outlive parsing). There are deliberately no flags for secrets: they would
// show in `ps` and shell history.
void add_s3_flags(CLI::App& app, S3Flags& flags);

// Applies `-o name=value` style options (fstab); returns false if `name` is not an S3 option.
// Names are the long flag names without dashes ("endpoint", "region", ...).
bool apply_s3_option(S3Flags& flags, const std::string& name, const std::string& value);

using EnvLookup = std::function<std::optional<std::string>(const std::string& name)>;
EnvLookup process_env();

// Resolves the configuration for `bucket` (and key `prefix`) as described above. `env` is used
// for environment variables and to find the home directory (HOME), so tests can inject both.
// Throws skytrain::Error naming the variable, file, line or flag when something is malformed or
// credentials are missing.
S3Config resolve_s3_config(const std::string& bucket, const std::string& prefix, const S3Flags& flags,
                           const EnvLookup& env = process_env());

}  // namespace skytrain::fs
