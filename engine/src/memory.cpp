#include <canopy/engine/memory.hpp>

#include <cstdlib> // defines __GLIBC__ on glibc systems
#include <cstring>

#if defined(__GLIBC__)
#include <malloc.h>
#endif

namespace canopy::engine {

void keep_freed_memory() noexcept {
#if defined(__GLIBC__)
    mallopt(M_MMAP_THRESHOLD, 32 * 1024 * 1024); // the largest glibc accepts
    mallopt(M_TRIM_THRESHOLD, 1024 * 1024 * 1024);
#endif
}

bool huge_pages_requested() noexcept {
    const char* tunables = std::getenv("GLIBC_TUNABLES");
    const char* key = "glibc.malloc.hugetlb=";
    const char* at = tunables != nullptr ? std::strstr(tunables, key) : nullptr;
    const char value = at != nullptr ? at[std::strlen(key)] : '\0';
    return value == '1' || value == '2';
}

} // namespace canopy::engine
