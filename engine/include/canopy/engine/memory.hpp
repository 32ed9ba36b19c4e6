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

/// Asks the kernel to back the whole 2 MiB pages of [begin, end) with transparent huge pages
/// (MADV_HUGEPAGE), where it gives them only on request (its mode "madvise", the usual default):
/// pages first written after the call, such as a vector's reserved room made resident next
/// (make_resident), come as huge pages, and the kernel's khugepaged may move the pages written
/// before over in time. For the arrays of a network of millions of firms read at random places,
/// where with 4 KiB pages nearly every read also walks the page tables. Ranges shorter than
/// 4 MiB are left alone. Where the kernel has no huge pages or refuses, nothing happens; the
/// bytes are not changed.
void prefer_huge_pages(const void* begin, const void* end) noexcept;

/// Whether glibc's allocator of this process was asked for transparent huge pages
/// (GLIBC_TUNABLES names glibc.malloc.hugetlb=1 or 2), which canopy-bench states beside its
/// figures.
///
/// Where the kernel gives huge pages only to memory that asks (its mode "madvise", the usual
/// default), glibc asks for them for its large blocks only when the program is started with
/// GLIBC_TUNABLES=glibc.malloc.hugetlb=1. The reference model asks for them itself for its
/// network's arrays (prefer_huge_pages); glibc's request covers the rest too (the stages, the
/// arrays as built before the room is added), which made its set-up at 4 million firms 1.4-1.8x
/// faster. Runs whose state fits in the caches (the ecosystem's cities, even at 400,000 firms)
/// gained nothing, and restarting the program to set it cost 20-30 ms a start, so Canopy leaves
/// it to the user.
[[nodiscard]] bool huge_pages_requested() noexcept;

} // namespace canopy::engine
