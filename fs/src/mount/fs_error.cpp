// Maps the exception in flight to the errno a FUSE reply carries (see fs_error.hpp).
#include "mount/fs_error.hpp"

#include "skytrain/common/log.hpp"
#include "store/object_store.hpp"

namespace skytrain::fs {

int current_exception_errno(bool log_it) {
  try {
    throw;
  } catch (const FsError& e) {
    return e.err();
  } catch (const StoreError& e) {
    switch (e.errno_value) {
      case ENOENT:
      case EACCES:
      case EPERM:
      case ENOSPC:
      case EROFS:
        return e.errno_value;
      default:
        if (log_it) log::error("store request failed: {}", e.what());
        return EIO;
    }
  } catch (const std::bad_alloc&) {
    if (log_it) log::error("out of memory");
    return ENOMEM;
  } catch (const std::exception& e) {
    if (log_it) log::error("internal error: {}", e.what());
    return EIO;
  } catch (...) {
    if (log_it) log::error("internal error: unknown exception");
    return EIO;
  }
}

}  // namespace skytrain::fs
