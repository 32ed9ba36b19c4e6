// engine/memory.hpp: making reserved room resident, asking for huge pages, and reading the
// huge-page request.
#include <canopy/engine/memory.hpp>
#include <canopy/engine/network.hpp>

#include <catch2/catch.hpp>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <sys/mman.h>
#include <unistd.h>
#include <vector>

namespace {

// How many of the pages of [p, p + bytes) are resident (mincore).
std::size_t resident_pages(void* p, std::size_t bytes) {
    const auto page = static_cast<std::size_t>(::sysconf(_SC_PAGESIZE));
    std::vector<unsigned char> in((bytes + page - 1) / page);
    REQUIRE(::mincore(p, bytes, in.data()) == 0);
    std::size_t n = 0;
    for (const unsigned char c : in) {
        n += c & 1U;
    }
    return n;
}

// Restores an environment variable as it was.
class SavedVariable {
public:
    explicit SavedVariable(const char* name)
        : name_(name) {
        const char* v = std::getenv(name);
        had_ = v != nullptr;
        value_ = had_ ? v : "";
    }
    ~SavedVariable() {
        if (had_) {
            ::setenv(name_, value_.c_str(), 1);
        } else {
            ::unsetenv(name_);
        }
    }
    SavedVariable(const SavedVariable&) = delete;
    SavedVariable& operator=(const SavedVariable&) = delete;

private:
    const char* name_;
    bool had_ = false;
    std::string value_;
};

} // namespace

TEST_CASE("make_resident maps the whole pages of a range at once, and only those", "[memory]") {
    const auto page = static_cast<std::size_t>(::sysconf(_SC_PAGESIZE));
    const std::size_t pages = 64;
    void* map =
        ::mmap(nullptr, pages * page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    REQUIRE(map != MAP_FAILED);
    auto* bytes = static_cast<unsigned char*>(map);
    ::madvise(map, pages * page, MADV_NOHUGEPAGE); // count 4 KiB pages, whatever the kernel's mode
    REQUIRE(resident_pages(map, pages * page) == 0);

    // From the middle of page 2 to the middle of page 10: pages 3..9 are whole.
    canopy::engine::make_resident(bytes + 2 * page + page / 2, bytes + 10 * page + page / 2);
    for (std::size_t k = 0; k < pages; ++k) {
        INFO("page " << k);
        CHECK(resident_pages(bytes + k * page, page) == (k >= 3 && k <= 9 ? 1U : 0U));
    }
    // Zero pages, as a first write would find them; an empty or backward range does nothing.
    CHECK(bytes[3 * page] == 0);
    canopy::engine::make_resident(bytes + 20 * page, bytes + 20 * page);
    canopy::engine::make_resident(bytes + 30 * page, bytes + 20 * page);
    CHECK(resident_pages(bytes + 20 * page, 10 * page) == 0);
    ::munmap(map, pages * page);
}

TEST_CASE("Network::make_room_resident maps the room reserved for later vertices and edges",
          "[memory][network]") {
    // A network with room for a million more vertices and edges: its arrays are larger than
    // glibc's mmap threshold, so their untouched room starts out not resident.
    canopy::engine::Network g =
        canopy::engine::Network::from_edges(4, std::vector<std::uint32_t>{0, 1, 1, 2, 2, 3});
    g.reserve(1'000'004, 1'000'003);
    const auto page = static_cast<std::size_t>(::sysconf(_SC_PAGESIZE));
    const std::span<const std::uint32_t> targets = g.targets();
    // The room of the targets: from the page after the last stored entry, 1 MiB of it.
    const auto first =
        (reinterpret_cast<std::uintptr_t>(targets.data() + targets.size()) + page - 1) / page *
        page;
    void* room = reinterpret_cast<void*>(first);
    const std::size_t bytes = 256 * page;
    // (Not resident before, unless the kernel gives huge pages to everything.)
    INFO("resident before: " << resident_pages(room, bytes) << " of 256 pages");
    g.make_room_resident();
    CHECK(resident_pages(room, bytes) == 256);
}

TEST_CASE("huge_pages_requested reads glibc.malloc.hugetlb in GLIBC_TUNABLES", "[memory]") {
    const SavedVariable saved("GLIBC_TUNABLES");
    ::unsetenv("GLIBC_TUNABLES");
    CHECK_FALSE(canopy::engine::huge_pages_requested());
    ::setenv("GLIBC_TUNABLES", "glibc.malloc.hugetlb=1", 1);
    CHECK(canopy::engine::huge_pages_requested());
    ::setenv("GLIBC_TUNABLES", "glibc.malloc.mmap_threshold=4096:glibc.malloc.hugetlb=2", 1);
    CHECK(canopy::engine::huge_pages_requested());
    ::setenv("GLIBC_TUNABLES", "glibc.malloc.hugetlb=0", 1);
    CHECK_FALSE(canopy::engine::huge_pages_requested());
    ::setenv("GLIBC_TUNABLES", "glibc.malloc.hugetlb=", 1);
    CHECK_FALSE(canopy::engine::huge_pages_requested());
}

namespace {

// The smaps fields of the mapping that contains `p`: its VmFlags and AnonHugePages (kB).
struct Mapping {
    bool found = false;
    std::string flags;
    long huge_kb = 0;
};
Mapping mapping_of(const void* p) {
    const auto at = reinterpret_cast<std::uintptr_t>(p);
    std::FILE* f = std::fopen("/proc/self/smaps", "r");
    Mapping m;
    if (f == nullptr) {
        return m;
    }
    char line[512];
    bool inside = false;
    while (std::fgets(line, sizeof line, f) != nullptr) {
        unsigned long from = 0;
        unsigned long to = 0;
        if (std::sscanf(line, "%lx-%lx ", &from, &to) == 2 && std::strchr(line, '-') != nullptr &&
            std::strncmp(line, "VmFlags", 7) != 0) {
            inside = at >= from && at < to;
            m.found = m.found || inside;
        } else if (inside && std::strncmp(line, "AnonHugePages:", 14) == 0) {
            m.huge_kb = std::strtol(line + 14, nullptr, 10);
        } else if (inside && std::strncmp(line, "VmFlags:", 8) == 0) {
            m.flags = line + 8;
        }
    }
    std::fclose(f);
    return m;
}

// Whether this kernel gives transparent huge pages at all (not built without them, not "never").
bool kernel_has_huge_pages() {
    std::FILE* f = std::fopen("/sys/kernel/mm/transparent_hugepage/enabled", "r");
    if (f == nullptr) {
        return false;
    }
    char text[128] = {};
    const bool read = std::fgets(text, sizeof text, f) != nullptr;
    std::fclose(f);
    return read && std::strstr(text, "[never]") == nullptr;
}

} // namespace

TEST_CASE("prefer_huge_pages asks for huge pages for a large range, keeps its bytes, and leaves a "
          "short one alone",
          "[memory]") {
    if (!kernel_has_huge_pages()) {
        WARN("not checked: this kernel gives no transparent huge pages");
        return;
    }
    constexpr std::size_t MIB = std::size_t{1} << 20;
    // 16 MiB, written with a pattern, of which the whole 2 MiB pages are asked for.
    const std::size_t bytes = 16 * MIB;
    auto* map = static_cast<std::uint8_t*>(
        ::mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0));
    REQUIRE(map != MAP_FAILED);
    for (std::size_t i = 0; i < bytes; ++i) {
        map[i] = static_cast<std::uint8_t>(i * 131U + 7U);
    }
    canopy::engine::prefer_huge_pages(map, map + bytes);
    const Mapping large = mapping_of(map + bytes / 2);
    REQUIRE(large.found);
    INFO("VmFlags:" << large.flags << "AnonHugePages: " << large.huge_kb << " kB");
    CHECK(large.flags.find(" hg") != std::string::npos); // MADV_HUGEPAGE
    // The room written after the call comes as huge pages (where the kernel has free ones).
    bool same = true;
    for (std::size_t i = 0; i < bytes; ++i) {
        same = same && map[i] == static_cast<std::uint8_t>(i * 131U + 7U);
    }
    CHECK(same);
    // A range shorter than 4 MiB is left as it is.
    auto* other = static_cast<std::uint8_t*>(
        ::mmap(nullptr, 3 * MIB, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0));
    REQUIRE(other != MAP_FAILED);
    canopy::engine::prefer_huge_pages(other, other + 3 * MIB);
    const Mapping small = mapping_of(other + MIB);
    REQUIRE(small.found);
    CHECK(small.flags.find(" hg") == std::string::npos);
    ::munmap(other, 3 * MIB);
    ::munmap(map, bytes);
}

TEST_CASE("Network::prefer_huge_pages asks for huge pages for its arrays, room included",
          "[memory][network]") {
    if (!kernel_has_huge_pages()) {
        WARN("not checked: this kernel gives no transparent huge pages");
        return;
    }
    canopy::engine::Network g =
        canopy::engine::Network::from_edges(4, std::vector<std::uint32_t>{0, 1, 1, 2, 2, 3});
    g.reserve(4'000'004, 4'000'003); // the targets' room: 32 MB
    const std::span<const std::uint32_t> targets = g.targets();
    const std::uint32_t* middle = targets.data() + 4'000'000;
    CHECK(mapping_of(middle).flags.find(" hg") == std::string::npos);
    g.prefer_huge_pages();
    const Mapping after = mapping_of(middle);
    INFO("VmFlags:" << after.flags);
    CHECK(after.flags.find(" hg") != std::string::npos);
    // The room written after the call, which make_room_resident does next.
    g.make_room_resident();
    INFO("AnonHugePages of the targets' room: " << mapping_of(middle).huge_kb << " kB");
    CHECK(g.targets().data() == targets.data()); // nothing moved
}
