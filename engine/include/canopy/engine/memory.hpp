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

} // namespace canopy::engine
