#pragma once
/// \file memory.hpp
/// Process-level memory settings for programs that run many replicates.

namespace canopy::engine {

/// Keeps freed memory in the process for reuse instead of returning it to the system.
///
/// Every replicate allocates its agents' columns afresh; glibc serves large blocks with mmap and
/// unmaps them when freed, so each replicate would page-fault its memory in again (2.5 s of
/// system time in a 1,000-replicate run of the default scenario). Raising the mmap and trim
/// thresholds keeps those blocks in the allocator's arenas for the next replicate. Call once
/// at the start of main(); a no-op where the C library has no such settings.
void keep_freed_memory() noexcept;

/// Makes the whole pages of [begin, end) resident now, written to (zero pages mapped), in one
/// call: memory that will be written later then does not fault in 4 KiB at a time. For the room
/// a vector has reserved beyond its size (the bytes are not read, so no object is touched).
/// MADV_POPULATE_WRITE, Linux 5.14 and later; elsewhere, or if the kernel refuses, nothing
/// happens and the pages are faulted in as they are first written.
void make_resident(const void* begin, const void* end) noexcept;

/// Whether glibc's allocator of this process was asked for transparent huge pages
/// (GLIBC_TUNABLES names glibc.malloc.hugetlb=1 or 2), which canopy-bench states beside its
/// figures.
///
/// Where the kernel gives huge pages only to memory that asks (its mode "madvise", the usual
/// default), glibc asks for them for its large blocks only when the program is started with
/// GLIBC_TUNABLES=glibc.malloc.hugetlb=1. A network of millions of firms is read at random places,
/// and with 4 KiB pages nearly every such read also walks the page tables: the reference model's
/// step at 4 million firms ran 1.1-1.6x faster with them, and its set-up 1.4-1.8x. Runs whose
/// state fits in the caches (the ecosystem's cities, even at 400,000 firms) gained nothing, and
/// restarting the program to set it cost 20-30 ms a start, so Canopy leaves it to the user.
[[nodiscard]] bool huge_pages_requested() noexcept;

} // namespace canopy::engine
