// One way to spread independent items over threads: parallel_for(n, threads, body) runs
// body(i) for every i in [0, n), handing indices out in increasing order from a shared counter
// (work stealing in its simplest form: a slow item never holds up the others' threads). The
// calling thread works too, so threads = 1 spawns nothing.
//
// Errors: once an item throws, no further item starts, the items already running finish, and
// the exception of the lowest failing index is rethrown, so which error a caller reports does
// not depend on how the threads interleaved.
//
// Results go wherever body puts them (normally slot i of a vector sized n beforehand), which is
// what keeps outputs identical for any thread count.
#pragma once
#include <algorithm>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <exception>
#include <mutex>
#include <thread>
#include <vector>

namespace skytrain {

// make_state() builds one per-thread state (a parser, a scratch buffer) that body(state, i)
// reuses across the items that thread takes.
template <typename MakeState, typename Body>
void parallel_for_with_state(size_t n, int threads, MakeState&& make_state, Body&& body) {
  const size_t workers = std::min<size_t>(std::max(1, threads), std::max<size_t>(1, n));
  std::atomic<size_t> next{0};
  std::atomic<bool> failed{false};
  std::mutex error_mu;
  size_t error_index = SIZE_MAX;
  std::exception_ptr error;
  auto work = [&] {
    auto state = make_state();
    for (;;) {
      const size_t i = next.fetch_add(1);
      if (i >= n || failed.load()) return;
      try {
        body(state, i);
      } catch (...) {
        std::lock_guard lock(error_mu);
        if (i < error_index) {
          error_index = i;
          error = std::current_exception();
        }
        failed.store(true);
      }
    }
  };
  {
    std::vector<std::jthread> pool;
    pool.reserve(workers - 1);
    for (size_t t = 1; t < workers; ++t) pool.emplace_back(work);
    work();
  }  // joins
  if (error) std::rethrow_exception(error);
}

template <typename Body> void parallel_for(size_t n, int threads, Body&& body) {
  struct NoState {};
  parallel_for_with_state(n, threads, [] { return NoState{}; }, [&](NoState&, size_t i) { body(i); });
}

}  // namespace skytrain
