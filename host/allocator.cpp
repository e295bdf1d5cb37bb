#include "allocator.h"

#if APISERVER_MIMALLOC
#include <mimalloc.h>
#else
#include <malloc.h>

#include <algorithm>
#include <thread>
#endif

#include <cstdlib>

namespace apiserver::host {

#if APISERVER_MIMALLOC

// Every create of a memory- or cache-backed store keeps new memory: 0.6 fresh 4 KiB pages per
// pod, each a page fault. Under a paravirtualized hypervisor a fault (and the page table write
// in it) traps to the host: the bench's creates spent 15% of the server's time faulting, and
// ran at 0.28 of nginx's GETs where other phases of the machine gave 0.4–0.45
// (docs/performance.md). Huge pages take that to one fault per 2 MiB. Set here, after
// start-up's first allocations, and with each thread's first segment on small pages (mimalloc's
// eager_commit_delay), an idle host holds no huge page. The cost: mimalloc keeps freed huge
// pages rather than giving them back to the system.
void tuneAllocator() {
  if (std::getenv("MIMALLOC_LARGE_OS_PAGES") == nullptr)
    mi_option_set(mi_option_large_os_pages, 1);
}

#else

// glibc gives a thread that meets a locked arena an arena of its own, up to 8 per core; the
// writes' blocking pool (32 threads) then leaves freed memory spread over a dozen arenas: with
// 1,000 watch streams under 200 updates/s that was 18.6 KiB of RSS per watcher, 10–11 KiB with
// two per core, at the same create throughput (docs/performance.md, memory per watcher). glibc
// fixes its limit once more than 8 arenas exist: this runs before the server's threads start.
void tuneAllocator() {
  if (std::getenv("MALLOC_ARENA_MAX") != nullptr || std::getenv("GLIBC_TUNABLES") != nullptr)
    return;
  const unsigned cores = std::max(1u, std::thread::hardware_concurrency());
  mallopt(M_ARENA_MAX, static_cast<int>(2 * cores));
}

#endif

}  // namespace apiserver::host
