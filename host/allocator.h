#pragma once

/// @file allocator.h
/// The process's allocator, tuned before anything else runs (host/main.cpp). Linked into the
/// host binary and its own unit test alone: the other tests keep the allocator they have.

namespace apiserver::host {

/// tuneAllocator sets the allocator up for a long-running server whose store grows:
///  - with mimalloc (APISERVER_MIMALLOC), its segments are backed by transparent huge pages
///    (mimalloc's `large_os_pages` option): a growing store then takes one page fault per 2 MiB
///    instead of one per 4 KiB, which a virtual machine makes expensive;
///  - with glibc's malloc, at most two arenas per core.
/// A setting the user made in the environment (MIMALLOC_LARGE_OS_PAGES, MALLOC_ARENA_MAX,
/// GLIBC_TUNABLES) is left as it is. Call it before the server's threads start.
void tuneAllocator();

}  // namespace apiserver::host
