// `canopy solve --assured` (SolveRequest::assured): the answer's true P(attain) is at least P
// with the one-sided confidence its interval promises, where the estimate alone misses P about
// half the time; and it is no more conservative than that interval makes it.
//
// An evaluator whose P(attain) is known exactly: replicate r attains when u(r) < level, with u
// independent uniform draws shared by every level (common random numbers), so P(attain) at a
// level is the level itself. Each seed draws new u.
#include "../unit/solve_fixture.hpp"
#include "registry.hpp"

#include <canopy/engine/scenario.hpp>
#include <canopy/engine/statistics.hpp>
#include <canopy/experiments/evaluator.hpp>
#include <canopy/experiments/solve.hpp>

#include <catch2/catch.hpp>

#include <cmath>
#include <memory>
#include <string>
#include <vector>

using namespace canopy;

namespace {

std::uint64_t mix64(std::uint64_t z) {
    z += 0x9e3779b97f4a7c15ULL;
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

// Replicate r attains (the target's indicator 100, else 0) when u(r) < level; u(r) uniform on
// [0, 1) from (seed, r), the same at every level.
class Uniform final : public experiments::Evaluator {
public:
    Uniform(std::size_t indicator, std::size_t indicators, std::uint64_t seed)
        : indicator_(indicator)
        , indicators_(indicators)
        , seed_(seed) {}

    [[nodiscard]] double u(std::uint64_t r) const {
        return static_cast<double>(mix64(mix64(seed_) ^ r) >> 11) * 0x1.0p-53;
    }

    std::vector<experiments::PointResult>
    evaluate(const experiments::Experiment& e, std::span<const experiments::Point> points,
             const experiments::ResultCallback& done) override {
        std::vector<experiments::PointResult> out;
        for (const experiments::Point& p : points) {
            out.push_back(test::attain_result(e, p, indicator_, indicators_, [&](std::uint32_t r) {
                return u(r) < p.values.at(0);
            }));
            if (done) {
                done(out.back());
            }
        }
        return out;
    }

private:
    std::size_t indicator_;
    std::size_t indicators_;
    std::uint64_t seed_;
};

// P(Binomial(n, p) >= k), summed in logs.
double binomial_upper_tail(int n, double p, int k) {
    double sum = 0.0;
    for (int j = k; j <= n; ++j) {
        const double log_term = std::lgamma(n + 1.0) - std::lgamma(j + 1.0) -
                                std::lgamma(n - j + 1.0) + j * std::log(p) +
                                (n - j) * std::log1p(-p);
        sum += std::exp(log_term);
    }
    return sum;
}

} // namespace

TEST_CASE("solve --assured answers a level whose true P(attain) reaches P with the promised "
          "confidence",
          "[statistical][solve]") {
    const test::Reference ref = test::Reference::load();
    const engine::Scenario& s = ref.scenario;
    const experiments::Experiment x = ref.experiment();
    const std::size_t indicator = ref.indicator;

    constexpr double P = 0.8;
    constexpr int N = 400;
    constexpr int SEEDS = 300;
    experiments::SolveRequest request =
        ref.request({test::Reference::lever("lever_high_tech", 0.0, 1.0)}, P, N, 50, 0.002);

    // The fewest attained of N whose interval's lower end reaches P: the assured answer is where
    // the count first gets there. A level whose true P(attain) is below P passes only when the
    // level P itself has that many (common random numbers, counts rising with the level):
    // chance q at most.
    int k_star = 0;
    while (engine::wilson_interval(static_cast<std::size_t>(k_star), N, request.confidence).lo <
           P) {
        ++k_star;
    }
    const double q = binomial_upper_tail(N, P, k_star);

    int assured_below = 0;
    int plain_below = 0;
    double assured_sum = 0.0;
    double plain_sum = 0.0;
    for (std::uint64_t seed = 1; seed <= SEEDS; ++seed) {
        Uniform evaluator(indicator, s.indicators.size(), seed);
        experiments::SolveRequest assured = request;
        assured.assured = true;
        const experiments::SolveResult a = experiments::solve(x, evaluator, assured);
        const experiments::SolveResult b = experiments::solve(x, evaluator, request);
        REQUIRE(a.reached);
        REQUIRE(b.reached);
        // Every assured answer's interval on all N lies above P: what it claims.
        CHECK(a.best.replicates == static_cast<std::size_t>(N));
        CHECK(a.best.p_attain_ci.lo >= P);
        // P(attain) at a level is the level: the true figure of each answer.
        assured_below += a.best.levels[0] < P ? 1 : 0;
        plain_below += b.best.levels[0] < P ? 1 : 0;
        assured_sum += a.best.levels[0];
        plain_sum += b.best.levels[0];
    }
    const double se_count = std::sqrt(SEEDS * q * (1.0 - q));
    INFO("k* " << k_star << " of " << N << ", q " << q << "; answers below P: assured "
               << assured_below << ", estimate alone " << plain_below << " of " << SEEDS
               << "; mean levels " << assured_sum / SEEDS << ", " << plain_sum / SEEDS);
    // At most q of the assured answers fall below P (4 standard errors of a count, plus one for
    // the discreteness), against about half of those the estimate alone gives.
    CHECK(q < 0.04);
    CHECK(assured_below <= SEEDS * q + 4.0 * se_count + 1.0);
    CHECK(plain_below >= SEEDS * 0.3);
    // Not more conservative than the interval: the assured level sits where the count reaches
    // k*, a level near k* / N. Its spread over seeds is that of a share of N (sd sqrt(P (1 - P)
    // / N)), so the mean of SEEDS is known to 4 sd / sqrt(SEEDS), plus the bisection's bracket.
    const double sd = std::sqrt(P * (1.0 - P) / N);
    const double expected = static_cast<double>(k_star) / N;
    CHECK(std::abs(assured_sum / SEEDS - expected) <=
          4.0 * sd / std::sqrt(static_cast<double>(SEEDS)) + 2.0 * request.precision);
}

TEST_CASE("solve --assured needs enough replicates for the lower end to reach P at all",
          "[statistical][solve]") {
    // n / (n + z^2) >= 0.9 at z = 1.959964: n >= 34.57.
    CHECK(experiments::assured_replicates_needed(0.9, 0.95) == 35);
    CHECK(engine::wilson_interval(35, 35, 0.95).lo >= 0.9);
    CHECK(engine::wilson_interval(34, 34, 0.95).lo < 0.9);
    CHECK(experiments::assured_replicates_needed(0.5, 0.95) == 4);
    CHECK(experiments::assured_replicates_needed(0.01, 0.95) == 1);
    CHECK_THROWS(experiments::assured_replicates_needed(1.0, 0.95));
    CHECK_THROWS(experiments::assured_replicates_needed(1.0 - 1e-15, 0.95));
}
