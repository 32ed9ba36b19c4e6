// engine/memory.hpp: making reserved room resident, and reading the huge-page request.
#include <canopy/engine/memory.hpp>
#include <canopy/engine/network.hpp>

#include <catch2/catch.hpp>

#include <cstdint>
#include <cstdlib>
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
