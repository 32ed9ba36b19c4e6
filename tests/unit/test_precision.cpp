// Answers that stop when they are sure (experiments/precision.hpp): the looks, the rule, the
// driver's blocks, and that stopping early keeps the stated confidence.
#include <canopy/engine/error.hpp>
#include <canopy/experiments/precision.hpp>

#include <catch2/catch.hpp>

#include <cmath>
#include <cstdint>
#include <random>
#include <utility>
#include <vector>

using namespace canopy;
using experiments::PrecisionRule;
using experiments::TargetCount;

namespace {

PrecisionRule rule(double h, std::size_t most) {
    PrecisionRule r;
    r.half_width = h;
    r.max_replicates = most;
    return r;
}

} // namespace

TEST_CASE("Precision looks double from 100 up to the most", "[precision]") {
    using V = std::vector<std::size_t>;
    CHECK(experiments::precision_looks(1000) == V{100, 200, 400, 800, 1000});
    CHECK(experiments::precision_looks(800) == V{100, 200, 400, 800});
    CHECK(experiments::precision_looks(100) == V{100});
    CHECK(experiments::precision_looks(40) == V{40});
    CHECK(experiments::precision_looks(101) == V{100, 101});
    // Bonferroni over the looks: five looks at 95 % test at 99 % each.
    CHECK(experiments::look_confidence(rule(0.02, 1000)) == Approx(0.99).epsilon(1e-15));
    CHECK(experiments::look_confidence(rule(0.02, 40)) == Approx(0.95).epsilon(1e-15));
}

TEST_CASE("A target settles on either side of 0.5 or by a narrow interval", "[precision]") {
    const PrecisionRule r = rule(0.02, 1000);
    CHECK(experiments::target_settled(0, 100, r));        // [0, 0.06]: unlikely
    CHECK(experiments::target_settled(100, 100, r));      // likely
    CHECK(experiments::target_settled(70, 100, r));       // 99 % Wilson lower end 0.57
    CHECK_FALSE(experiments::target_settled(60, 100, r)); // lower end 0.47: open
    CHECK_FALSE(experiments::target_settled(500, 1000, r));
    // At 1,000 replicates and p = 0.5 the 99 % half-width is 2.576 x 0.0158 = 0.041.
    CHECK(experiments::target_settled(500, 1000, rule(0.042, 1000)));
    CHECK_FALSE(experiments::target_settled(500, 1000, rule(0.040, 1000)));
}

TEST_CASE("The driver runs a prefix in blocks and stops at the first settled look", "[precision]") {
    // Two targets; the first is clear (90 %), the second depends on the case.
    auto driver = [](double second_p, std::size_t most) {
        std::vector<std::pair<std::size_t, std::size_t>> blocks;
        TargetCount a;
        TargetCount b;
        const auto outcome = experiments::run_until_settled(
            rule(0.02, most), [&](std::size_t first, std::size_t count) {
                blocks.emplace_back(first, count);
                for (std::size_t i = first; i < first + count; ++i) {
                    a.attained += i % 10 != 0 ? 1U : 0U;
                    // Replicate i attains when its fractional position is under second_p.
                    b.attained +=
                        std::fmod(static_cast<double>(i) * 0.6180339887, 1.0) < second_p ? 1U : 0U;
                }
                a.replicates = b.replicates = first + count;
                return std::vector<TargetCount>{a, b};
            });
        return std::make_pair(outcome, blocks);
    };
    using B = std::vector<std::pair<std::size_t, std::size_t>>;
    const auto [clear, clear_blocks] = driver(0.05, 1000);
    CHECK(clear.settled);
    CHECK(clear.replicates == 100);
    CHECK(clear.looks == 1);
    CHECK(clear_blocks == B{{0, 100}});

    const auto [even, even_blocks] = driver(0.5, 1000);
    CHECK_FALSE(even.settled);
    CHECK(even.replicates == 1000);
    CHECK(even.looks == 5);
    CHECK(even_blocks == B{{0, 100}, {100, 100}, {200, 200}, {400, 400}, {800, 200}});

    // 0.58 needs more than 100 replicates to be told from 0.5 at 99 % (400 do).
    const auto [middle, middle_blocks] = driver(0.58, 1000);
    CHECK(middle.settled);
    CHECK(middle.replicates > 100);
    CHECK(middle.replicates < 1000);
}

TEST_CASE("The driver refuses a rule out of range", "[precision]") {
    const auto none = [](std::size_t, std::size_t) { return std::vector<TargetCount>{}; };
    CHECK_THROWS_AS(experiments::run_until_settled(rule(0.0, 100), none), Error);
    CHECK_THROWS_AS(experiments::run_until_settled(rule(0.5, 100), none), Error);
    CHECK_THROWS_AS(experiments::run_until_settled(rule(std::nan(""), 100), none), Error);
    CHECK_THROWS_AS(experiments::run_until_settled(rule(0.02, 0), none), Error);
    CHECK(experiments::precision_problem(0.02).empty());
    CHECK_THAT(experiments::precision_problem(0.7),
               Catch::Contains("above 0 and below 0.5, got 0.7"));
}

TEST_CASE("Stopping early keeps the stated confidence of a decided verdict",
          "[precision][statistical]") {
    // A target whose true P(attain) is exactly 0.5: any verdict the rule decides (likely or
    // unlikely) is wrong. Over S simulated runs of up to 1,000 fair coins, the share that decide
    // must stay below 1 - 0.95 = 0.05, give or take three binomial standard errors. Looking five
    // times at a plain 95 % interval decides in about 18 % of runs (and the rule in about 4 %), so
    // this fails without the correction over the looks.
    constexpr int S = 2000;
    std::mt19937_64 coins(20230101); // a fixed, portable sequence
    int decided = 0;
    for (int s = 0; s < S; ++s) {
        TargetCount c;
        const auto outcome = experiments::run_until_settled(
            rule(0.001, 1000), [&](std::size_t first, std::size_t count) {
                for (std::size_t i = 0; i < count; ++i) {
                    c.attained += static_cast<std::size_t>(coins() >> 63U);
                }
                c.replicates = first + count;
                return std::vector<TargetCount>{c};
            });
        decided += outcome.settled ? 1 : 0;
    }
    const double share = static_cast<double>(decided) / S;
    const double se = std::sqrt(0.05 * 0.95 / S);
    INFO("decided " << decided << " of " << S);
    CHECK(share < 0.05 + 3.0 * se);
}
