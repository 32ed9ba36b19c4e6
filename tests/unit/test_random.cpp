// Philox4x32-10 known answers and the stream layout.
#include <canopy/engine/philox_paths.hpp>
#include <canopy/engine/philox_wide.hpp>
#include <canopy/engine/random.hpp>

#include <catch2/catch.hpp>

#include <set>
#include <vector>

using namespace canopy::engine;

TEST_CASE("Philox4x32-10 matches the Random123 known-answer vectors", "[random]") {
    // kat_vectors from Random123 1.09 (Salmon et al. 2011): counter, key -> output.
    CHECK(philox_block({0, 0, 0, 0}, {0, 0}) ==
          Block{0x6627e8d5, 0xe169c58d, 0xbc57ac4c, 0x9b00dbd8});
    CHECK(
        philox_block({0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff}, {0xffffffff, 0xffffffff}) ==
        Block{0x408f276d, 0x41c83b0e, 0xa20bc7c6, 0x6d5451fd});
    CHECK(
        philox_block({0x243f6a88, 0x85a308d3, 0x13198a2e, 0x03707344}, {0xa4093822, 0x299f31d0}) ==
        Block{0xd16cfe09, 0x94fdcceb, 0x5001e420, 0x24126ea1});
}

TEST_CASE("A random key maps (agent, step, purpose, block) onto the documented counter",
          "[random]") {
    const RandomKey key{0x0123456789abcdefULL, 7};
    const Block expected = philox_block({11, 22, (33u << 16) | 4u, 7}, {0x89abcdef, 0x01234567});
    CHECK(key.block(11, 22, 33, 4) == expected);
}

TEST_CASE("A stream reads consecutive blocks four words at a time", "[random]") {
    const RandomKey key{42, 3};
    Stream s(key, 5, 6, 7);
    for (std::uint16_t b = 0; b < 3; ++b) {
        const Block expected = key.block(5, 6, 7, b);
        for (int w = 0; w < 4; ++w) {
            CHECK(s.next_u32() == expected[static_cast<std::size_t>(w)]);
        }
    }
}

TEST_CASE("Different seeds, replicates, agents, steps and purposes give different numbers",
          "[random]") {
    std::set<std::uint32_t> seen;
    const RandomKey base{1, 0};
    seen.insert(base.block(0, 0, 0)[0]);
    seen.insert(RandomKey{2, 0}.block(0, 0, 0)[0]);
    seen.insert(RandomKey{1ULL << 32 | 1, 0}.block(0, 0, 0)[0]);
    seen.insert(RandomKey{1, 1}.block(0, 0, 0)[0]);
    seen.insert(base.block(1, 0, 0)[0]);
    seen.insert(base.block(0, 1, 0)[0]);
    seen.insert(base.block(0, 0, 1)[0]);
    seen.insert(base.block(0, 0, 0, 1)[0]);
    CHECK(seen.size() == 8);
}

TEST_CASE("u01_open never returns 0 or 1", "[random]") {
    CHECK(u01_open(0) > 0.0);
    CHECK(u01_open(~0ULL) < 1.0);
    CHECK(u01_open(1ULL << 63) == Approx(0.5));
}

TEST_CASE("u32_threshold gives P(u < t) = p", "[random]") {
    CHECK(u32_threshold(0.0) == 0);
    CHECK(u32_threshold(-1.0) == 0);
    CHECK(u32_threshold(1.0) == (1ULL << 32));
    CHECK(u32_threshold(0.25) == (1ULL << 30));
    CHECK(index_below(~0ULL, 10) == 9);
    CHECK(index_below(0, 10) == 0);
}

TEST_CASE("philox_fill equals one block per agent, including a ragged tail", "[random]") {
    const RandomKey key{123456789ULL, 4};
    std::vector<std::uint32_t> out(4 * 37);
    philox_fill(key, 500, 3, 9, 37, out.data());
    for (std::uint32_t j = 0; j < 37; ++j) {
        const Block b = key.block(500 + j, 3, 9);
        for (std::uint32_t w = 0; w < 4; ++w) {
            CHECK(out[4 * j + w] == b[w]);
        }
    }
}

TEST_CASE("philox_fill equals one block per agent at every count, across the top of the counter",
          "[random]") {
    // The vectorised fill works eight blocks at a time and stores a ragged last group with masks:
    // every count from 0 to 41 (and a first agent whose counter wraps past 2^32) must give
    // exactly the blocks, and write nothing past them.
    const RandomKey key{0xFEDCBA9876543210ULL, 0x9ABCDEF0U};
    for (const std::uint32_t first : {0U, 1000U, 0xFFFFFFF0U}) {
        for (std::size_t count = 0; count <= 41; ++count) {
            std::vector<std::uint32_t> out(4 * count + 8, 0xA5A5A5A5U);
            philox_fill(key, first, 77, 12, count, out.data(), 5);
            for (std::uint32_t j = 0; j < count; ++j) {
                const Block b = key.block(first + j, 77, 12, 5);
                for (std::uint32_t w = 0; w < 4; ++w) {
                    REQUIRE(out[4 * j + w] == b[w]);
                }
            }
            for (std::size_t w = 4 * count; w < out.size(); ++w) {
                REQUIRE(out[w] == 0xA5A5A5A5U);
            }
        }
    }
}

TEST_CASE("philox_fill_agents equals one block per listed agent at every count", "[random]") {
    // Agents in any order, repeated, at the top of the range; the ragged last group of the
    // vectorised fill must read no agent past the list and write nothing past the blocks.
    const RandomKey key{0x0123456789ABCDEFULL, 7};
    std::vector<std::uint32_t> agents;
    for (std::uint32_t k = 0; k < 41; ++k) {
        agents.push_back(k % 5 == 0 ? 0xFFFFFFFFU - k : (k * 2654435761U) % 100000U);
    }
    for (std::size_t count = 0; count <= agents.size(); ++count) {
        std::vector<std::uint32_t> out(4 * count + 8, 0xA5A5A5A5U);
        philox_fill_agents(key, agents.data(), 31, 9, count, out.data(), 2);
        for (std::size_t j = 0; j < count; ++j) {
            const Block b = key.block(agents[j], 31, 9, 2);
            for (std::uint32_t w = 0; w < 4; ++w) {
                REQUIRE(out[4 * j + w] == b[w]);
            }
        }
        for (std::size_t w = 4 * count; w < out.size(); ++w) {
            REQUIRE(out[w] == 0xA5A5A5A5U);
        }
    }
}

TEST_CASE("every Philox path this CPU runs gives the blocks, for stretches and lists of agents",
          "[random]") {
    // philox_fill takes the widest path the CPU has, so the tests above check only that one;
    // here each available path (portable, AVX2, AVX-512) is run on its own, at every count from
    // 0 to 41 (the vector paths' whole groups and ragged tails), with counters that wrap past
    // 2^32, and must write exactly the blocks and nothing past them.
    using detail::PhiloxPath;
    const RandomKey key{0x0F1E2D3C4B5A6978ULL, 0xDEADBEEFU};
    std::vector<std::uint32_t> agents;
    for (std::uint32_t k = 0; k < 41; ++k) {
        agents.push_back(k % 3 == 0 ? 0xFFFFFFFFU - k : (k * 2246822519U) % 70000U);
    }
    int paths = 0;
    for (const PhiloxPath path : {PhiloxPath::portable, PhiloxPath::avx2, PhiloxPath::avx512}) {
        if (!detail::philox_path_available(path)) {
            continue;
        }
        ++paths;
        for (const bool listed : {false, true}) {
            for (const std::uint32_t first : {0U, 0xFFFFFFF3U}) {
                for (std::size_t count = 0; count <= agents.size(); ++count) {
                    std::vector<std::uint32_t> out(4 * count + 8, 0xA5A5A5A5U);
                    const std::uint32_t c2 = (std::uint32_t{11} << 16) | 4U;
                    detail::philox_fill_path(path, key, first, listed ? agents.data() : nullptr, 19,
                                             c2, count, out.data());
                    for (std::uint32_t j = 0; j < count; ++j) {
                        const Block b = key.block(listed ? agents[j] : first + j, 19, 11, 4);
                        for (std::uint32_t w = 0; w < 4; ++w) {
                            REQUIRE(out[4 * j + w] == b[w]);
                        }
                    }
                    for (std::size_t w = 4 * count; w < out.size(); ++w) {
                        REQUIRE(out[w] == 0xA5A5A5A5U);
                    }
                }
            }
        }
    }
    CHECK(paths >= 1);
    CHECK(detail::philox_path_available(detail::philox_best_path()));
}

TEST_CASE("philox_fill_wide gives each word of the blocks in its own array, on every path",
          "[random]") {
    // Word w of agent first + j's block in words[w][j], zero-extended; every count from 0 to 41
    // (whole vector groups and ragged tails), counters that wrap past 2^32, nothing written past
    // the count; and philox_fill_wide itself (the widest path) agrees with philox_fill.
    using detail::PhiloxPath;
    const RandomKey key{0x1122334455667788ULL, 0x0BADF00DU};
    for (const PhiloxPath path : {PhiloxPath::portable, PhiloxPath::avx2, PhiloxPath::avx512}) {
        if (!detail::philox_path_available(path)) {
            continue;
        }
        for (const std::uint32_t first : {0U, 0xFFFFFFEEU}) {
            for (std::size_t count = 0; count <= 41; ++count) {
                std::vector<std::vector<std::uint64_t>> words(
                    4, std::vector<std::uint64_t>(count + 8, 0xA5A5A5A5A5A5A5A5ULL));
                std::uint64_t* const out[4] = {words[0].data(), words[1].data(), words[2].data(),
                                               words[3].data()};
                detail::philox_fill_wide_path(path, key, first, 23, (std::uint32_t{6} << 16) | 2U,
                                              count, out);
                for (std::uint32_t j = 0; j < count; ++j) {
                    const Block b = key.block(first + j, 23, 6, 2);
                    for (std::uint32_t w = 0; w < 4; ++w) {
                        REQUIRE(words[w][j] == std::uint64_t{b[w]});
                    }
                }
                for (std::uint32_t w = 0; w < 4; ++w) {
                    for (std::size_t j = count; j < count + 8; ++j) {
                        REQUIRE(words[w][j] == 0xA5A5A5A5A5A5A5A5ULL);
                    }
                }
            }
        }
    }
    std::vector<std::uint32_t> interleaved(4 * 29);
    philox_fill(key, 1000, 5, 8, 29, interleaved.data(), 3);
    std::vector<std::uint64_t> w0(29), w1(29), w2(29), w3(29);
    std::uint64_t* const out[4] = {w0.data(), w1.data(), w2.data(), w3.data()};
    philox_fill_wide(key, 1000, 5, 8, 29, out, 3);
    for (std::size_t j = 0; j < 29; ++j) {
        CHECK(w0[j] == interleaved[4 * j]);
        CHECK(w1[j] == interleaved[4 * j + 1]);
        CHECK(w2[j] == interleaved[4 * j + 2]);
        CHECK(w3[j] == interleaved[4 * j + 3]);
    }
}

TEST_CASE("philox_fill fills any block index; a stream can start at any block", "[random]") {
    const RandomKey key{77, 2};
    std::vector<std::uint32_t> out(4 * 19);
    philox_fill(key, 40, 5, 6, 19, out.data(), 3);
    for (std::uint32_t j = 0; j < 19; ++j) {
        const Block b = key.block(40 + j, 5, 6, 3);
        for (std::uint32_t w = 0; w < 4; ++w) {
            CHECK(out[4 * j + w] == b[w]);
        }
    }
    Stream from_start(key, 9, 1, 2);
    for (int w = 0; w < 8; ++w) {
        (void)from_start.next_u32();
    }
    Stream from_two(key, 9, 1, 2, 2);
    for (int w = 0; w < 12; ++w) {
        CHECK(from_two.next_u32() == from_start.next_u32());
    }
}

TEST_CASE("A stream batch gives each agent the words of its own stream, past the filled blocks "
          "too",
          "[random]") {
    const RandomKey key{123, 9};
    StreamBatch batch;
    for (const std::uint16_t blocks : {std::uint16_t{1}, std::uint16_t{3}}) {
        batch.fill(key, 1000, 4, 7, 37, blocks);
        for (std::size_t j = 0; j < 37; ++j) {
            PrefilledStream prefilled = batch.stream(j);
            Stream plain(key, 1000 + static_cast<std::uint32_t>(j), 4, 7);
            for (int w = 0; w < 4 * (blocks + 2); ++w) { // two blocks beyond the filled ones
                REQUIRE(prefilled.next_u32() == plain.next_u32());
            }
            CHECK(batch.word(j, blocks - 1, 3) ==
                  key.block(1000 + static_cast<std::uint32_t>(j), 4, 7, blocks - 1)[3]);
        }
    }
}
