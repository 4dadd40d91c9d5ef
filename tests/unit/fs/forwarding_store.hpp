// Base for the unit tests' store wrappers (counting, recording, failure injection, gating): every
// request goes to `inner` unless a wrapper overrides it, so each wrapper states only what it
// changes. remove_many keeps ObjectStore's default (one remove() per key), so a wrapper that
// counts or gates remove() sees batched deletes too unless it overrides remove_many itself.
#pragma once
#include "store/object_store.hpp"

namespace skytrain::fs::test_support {

class ForwardingStore : public ObjectStore {
 public:
  // Only the reference is kept here, so a wrapper may pass its own not-yet-constructed member.
  explicit ForwardingStore(ObjectStore& inner) : fwd_(inner) {}

  ObjectInfo head(const std::string& key) override { return fwd_.head(key); }
  void get(const std::string& key, uint64_t offset, uint64_t length, std::string& out,
           const std::optional<std::string>& if_match = std::nullopt) override {
    fwd_.get(key, offset, length, out, if_match);
  }
  ListPage list(const std::string& prefix, const std::string& delimiter, const std::optional<std::string>& c,
                int max_keys = 1000, const std::optional<std::string>& start_after = std::nullopt) override {
    return fwd_.list(prefix, delimiter, c, max_keys, start_after);
  }
  std::string put(const std::string& key, std::string_view data, const PutOptions& opts) override {
    return fwd_.put(key, data, opts);
  }
  void remove(const std::string& key) override { fwd_.remove(key); }
  std::string copy(const std::string& s, const std::string& d, const PutOptions* r) override {
    return fwd_.copy(s, d, r);
  }
  std::string create_multipart(const std::string& key, const PutOptions& opts) override {
    return fwd_.create_multipart(key, opts);
  }
  std::string upload_part(const std::string& k, const std::string& id, int n, std::string_view d) override {
    return fwd_.upload_part(k, id, n, d);
  }
  std::string upload_part_copy(const std::string& k, const std::string& id, int n, const std::string& s, uint64_t o,
                               uint64_t l) override {
    return fwd_.upload_part_copy(k, id, n, s, o, l);
  }
  std::string complete_multipart(const std::string& k, const std::string& id,
                                 const std::vector<CompletedPart>& p) override {
    return fwd_.complete_multipart(k, id, p);
  }
  void abort_multipart(const std::string& k, const std::string& id) override { fwd_.abort_multipart(k, id); }
  std::vector<MultipartUploadInfo> list_multipart_uploads(const std::string& p) override {
    return fwd_.list_multipart_uploads(p);
  }

 private:
  ObjectStore& fwd_;
};

}  // namespace skytrain::fs::test_support
