// Per-replicate parameter draws: purity, fixed values, moments against mean(), support, domains.
#include <canopy/engine/distributions.hpp>
#include <canopy/engine/error.hpp>
#include <canopy/engine/uncertain.hpp>

#include <catch2/catch.hpp>

#include <cmath>
#include <cstring>
#include <limits>
#include <vector>

using namespace canopy::engine;
using Kind = Uncertain::Kind;

namespace {

constexpr double INF = std::numeric_limits<double>::infinity();

/// One valid example of each kind, with its theoretical variance (for the tolerance below).
struct Example {
    Uncertain u;
    double variance;
};

std::vector<Example> examples() {
    const double w = std::exp(0.4 * 0.4); // lognormal: exp(sigma^2)
    return {
        {Uncertain::fixed(2.5), 0.0},
        {{Kind::uniform, -1.0, 3.0, 0.0}, 16.0 / 12.0},
        {{Kind::normal, 10.0, 2.0, 0.0}, 4.0},
        {{Kind::lognormal, 3.0, 0.4, 0.0}, 9.0 * w * (w - 1.0)},
        {{Kind::beta, 2.0, 5.0, 0.0}, 10.0 / (49.0 * 8.0)},
        {{Kind::gamma, 0.5, 4.0, 0.0}, 0.5 * 16.0},
        {{Kind::triangular, 1.0, 4.0, 1.5}, (1.0 + 16.0 + 2.25 - 4.0 - 1.5 - 6.0) / 18.0},
    };
}

} // namespace

TEST_CASE("A draw is a pure function of seed, replicate and parameter index", "[uncertain]") {
    const Uncertain u{Kind::normal, 0.0, 1.0, 0.0};
    const RandomKey key{17, 5};
    CHECK(u.draw(key, 3) == u.draw(key, 3));
    CHECK(u.draw(key, 3) != u.draw(key, 4));
    CHECK(u.draw(key, 3) != u.draw(RandomKey{17, 6}, 3));
    CHECK(u.draw(key, 3) != u.draw(RandomKey{18, 5}, 3));
    // The documented stream: agent = parameter index, step 0, purpose PARAMETER_DRAW.
    Stream s(key, 3, 0, PARAMETER_DRAW);
    CHECK(u.draw(key, 3) == normal(s, 0.0, 1.0));
    // Drawing other parameters in between changes nothing (no hidden state).
    const double first = u.draw(key, 9);
    for (std::uint32_t i = 0; i < 10; ++i) {
        (void)u.draw(key, i);
    }
    CHECK(u.draw(key, 9) == first);
}

TEST_CASE("A fixed parameter returns its value in every replicate", "[uncertain]") {
    const Uncertain u = Uncertain::fixed(0.125);
    for (std::uint32_t r = 0; r < 20; ++r) {
        CHECK(u.draw(RandomKey{r * 7919ULL, r}, r) == 0.125);
    }
    CHECK(u.mean() == 0.125);
    CHECK(u.support_min() == 0.125);
    CHECK(u.support_max() == 0.125);
    CHECK(Uncertain::fixed(INF).draw(RandomKey{}, 0) == INF);
}

TEST_CASE("Draws across replicates average to mean() and respect the support", "[uncertain]") {
    // R replicates of each kind; the sample mean must be within 5 standard errors,
    // 5 sqrt(variance / R), of mean() (a false alarm about once in 1.7 million seeds).
    constexpr std::uint32_t R = 20'000;
    for (const Example& e : examples()) {
        INFO(to_string(e.u.kind));
        double sum = 0.0;
        bool in_support = true;
        for (std::uint32_t r = 0; r < R; ++r) {
            const double x = e.u.draw(RandomKey{2024, r}, 6);
            sum += x;
            in_support = in_support && x >= e.u.support_min() && x <= e.u.support_max();
        }
        CHECK(in_support);
        const double tolerance = 5.0 * std::sqrt(e.variance / R);
        CHECK(std::fabs(sum / R - e.u.mean()) <= tolerance);
    }
}

TEST_CASE("Support bounds and means follow the parameters", "[uncertain]") {
    const Uncertain uniform{Kind::uniform, -1.0, 3.0, 0.0};
    CHECK(uniform.support_min() == -1.0);
    CHECK(uniform.support_max() == 3.0);
    CHECK(uniform.mean() == 1.0);
    const Uncertain normal{Kind::normal, 10.0, 2.0, 0.0};
    CHECK(normal.support_min() == -INF);
    CHECK(normal.support_max() == INF);
    const Uncertain point_normal{Kind::normal, 10.0, 0.0, 0.0};
    CHECK(point_normal.support_min() == 10.0);
    CHECK(point_normal.support_max() == 10.0);
    CHECK(point_normal.draw(RandomKey{1, 1}, 1) == 10.0);
    const Uncertain lognormal{Kind::lognormal, 3.0, 0.4, 0.0};
    CHECK(lognormal.support_min() == 0.0);
    CHECK(lognormal.support_max() == INF);
    CHECK(lognormal.mean() == Approx(3.0 * std::exp(0.08)));
    const Uncertain beta{Kind::beta, 2.0, 5.0, 0.0};
    CHECK(beta.support_min() == 0.0);
    CHECK(beta.support_max() == 1.0);
    CHECK(beta.mean() == Approx(2.0 / 7.0));
    const Uncertain gamma{Kind::gamma, 0.5, 4.0, 0.0};
    CHECK(gamma.support_min() == 0.0);
    CHECK(gamma.support_max() == INF);
    CHECK(gamma.mean() == 2.0);
    const Uncertain triangular{Kind::triangular, 1.0, 4.0, 1.5};
    CHECK(triangular.support_min() == 1.0);
    CHECK(triangular.support_max() == 4.0);
    CHECK(triangular.mean() == Approx(6.5 / 3.0));
}

TEST_CASE("Parameters outside a kind's domain are named and refuse to draw", "[uncertain]") {
    for (const Example& e : examples()) {
        INFO(to_string(e.u.kind));
        CHECK(e.u.domain_error() == nullptr);
    }
    const double nan = std::numeric_limits<double>::quiet_NaN();
    const std::vector<Uncertain> invalid = {
        Uncertain::fixed(nan),
        {Kind::uniform, 3.0, -1.0, 0.0},
        {Kind::uniform, 0.0, INF, 0.0},
        {Kind::normal, 0.0, -1.0, 0.0},
        {Kind::lognormal, 0.0, 0.5, 0.0},
        {Kind::lognormal, 1.0, -0.5, 0.0},
        {Kind::beta, 0.0, 1.0, 0.0},
        {Kind::beta, 1.0, nan, 0.0},
        {Kind::gamma, -1.0, 1.0, 0.0},
        {Kind::gamma, 1.0, 0.0, 0.0},
        {Kind::triangular, 0.0, 1.0, 2.0},
        {Kind::triangular, 0.0, 1.0, -0.5},
    };
    for (const Uncertain& u : invalid) {
        INFO(to_string(u.kind) << "(" << u.a << ", " << u.b << ", " << u.c << ")");
        REQUIRE(u.domain_error() != nullptr);
        CHECK(std::strstr(u.domain_error(), to_string(u.kind)) != nullptr);
        CHECK_THROWS_AS(u.draw(RandomKey{1, 0}, 0), canopy::Error);
    }
}

TEST_CASE("Kinds have their scenario-file names", "[uncertain]") {
    CHECK(std::strcmp(to_string(Kind::fixed), "fixed") == 0);
    CHECK(std::strcmp(to_string(Kind::uniform), "uniform") == 0);
    CHECK(std::strcmp(to_string(Kind::normal), "normal") == 0);
    CHECK(std::strcmp(to_string(Kind::lognormal), "lognormal") == 0);
    CHECK(std::strcmp(to_string(Kind::beta), "beta") == 0);
    CHECK(std::strcmp(to_string(Kind::gamma), "gamma") == 0);
    CHECK(std::strcmp(to_string(Kind::triangular), "triangular") == 0);
}
