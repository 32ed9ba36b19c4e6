// Per-replicate parameter draws (uncertain.hpp) on top of the in-house distributions.
#include <canopy/engine/distributions.hpp>
#include <canopy/engine/error.hpp>
#include <canopy/engine/uncertain.hpp>

#include <cmath>
#include <limits>
#include <string>

namespace canopy::engine {

namespace {

constexpr double INF = std::numeric_limits<double>::infinity();

bool finite(double x) {
    return std::isfinite(x);
}

} // namespace

const char* Uncertain::domain_error() const noexcept {
    switch (kind) {
    case Kind::fixed:
        // Infinity can be a deliberate value ("no limit"); only NaN is meaningless.
        return std::isnan(a) ? "fixed needs a number" : nullptr;
    case Kind::uniform:
        if (!finite(a) || !finite(b)) {
            return "uniform needs finite low and high";
        }
        return a <= b ? nullptr : "uniform needs low <= high";
    case Kind::normal:
        if (!finite(a) || !finite(b)) {
            return "normal needs a finite mean and standard deviation";
        }
        return b >= 0.0 ? nullptr : "normal needs a standard deviation >= 0";
    case Kind::lognormal:
        if (!finite(a) || !finite(b)) {
            return "lognormal needs a finite median and sigma";
        }
        if (!(a > 0.0)) {
            return "lognormal needs a median > 0";
        }
        return b >= 0.0 ? nullptr : "lognormal needs a sigma >= 0";
    case Kind::beta:
        return finite(a) && finite(b) && a > 0.0 && b > 0.0
                   ? nullptr
                   : "beta needs finite alpha > 0 and beta > 0";
    case Kind::gamma:
        return finite(a) && finite(b) && a > 0.0 && b > 0.0
                   ? nullptr
                   : "gamma needs finite shape > 0 and scale > 0";
    case Kind::triangular:
        if (!finite(a) || !finite(b) || !finite(c)) {
            return "triangular needs finite low, high and mode";
        }
        return a <= c && c <= b ? nullptr : "triangular needs low <= mode <= high";
    }
    return "unknown distribution kind";
}

double Uncertain::draw(const RandomKey& key, std::uint32_t parameter_index) const {
    if (const char* why = domain_error()) {
        throw Error("uncertain parameter " + std::to_string(parameter_index) + " (" +
                    to_string(kind) + "): " + why);
    }
    Stream stream(key, parameter_index, 0, PARAMETER_DRAW);
    switch (kind) {
    case Kind::fixed:
        return a;
    case Kind::uniform:
        return uniform(stream, a, b);
    case Kind::normal:
        return normal(stream, a, b);
    case Kind::lognormal:
        return lognormal(stream, a, b);
    case Kind::beta:
        return engine::beta(stream, a, b);
    case Kind::gamma:
        return engine::gamma(stream, a, b);
    case Kind::triangular:
        return triangular(stream, a, c, b);
    }
    throw Error("uncertain parameter " + std::to_string(parameter_index) +
                ": unknown distribution kind");
}

double Uncertain::mean() const {
    switch (kind) {
    case Kind::fixed:
        return a;
    case Kind::uniform:
        return 0.5 * (a + b);
    case Kind::normal:
        return a;
    case Kind::lognormal:
        return a * std::exp(0.5 * b * b);
    case Kind::beta:
        return a / (a + b);
    case Kind::gamma:
        return a * b;
    case Kind::triangular:
        return (a + b + c) / 3.0;
    }
    return a;
}

double Uncertain::support_min() const {
    switch (kind) {
    case Kind::fixed:
    case Kind::uniform:
    case Kind::triangular:
        return a;
    case Kind::normal:
        return b > 0.0 ? -INF : a;
    case Kind::lognormal:
        return b > 0.0 ? 0.0 : a;
    case Kind::beta:
    case Kind::gamma:
        return 0.0;
    }
    return a;
}

double Uncertain::support_max() const {
    switch (kind) {
    case Kind::fixed:
        return a;
    case Kind::uniform:
    case Kind::triangular:
        return b;
    case Kind::normal:
    case Kind::lognormal:
        return b > 0.0 ? INF : a;
    case Kind::beta:
        return 1.0;
    case Kind::gamma:
        return INF;
    }
    return a;
}

namespace {

// The largest standard gamma variate of shape >= 1 that Marsaglia & Tsang's method returns:
// d (1 + c x)^3 with x at most STANDARD_NORMAL_MAX, d = shape - 1/3, c = 1 / sqrt(9 d).
double largest_standard_gamma(double shape) {
    const double d = shape - 1.0 / 3.0;
    const double v = 1.0 + STANDARD_NORMAL_MAX / std::sqrt(9.0 * d);
    return d * v * v * v;
}

} // namespace

double Uncertain::draw_min() const {
    switch (kind) {
    case Kind::normal:
        return a - STANDARD_NORMAL_MAX * b;
    case Kind::lognormal:
        return a * std::exp(-STANDARD_NORMAL_MAX * b);
    default:
        return support_min();
    }
}

double Uncertain::draw_max() const {
    switch (kind) {
    case Kind::normal:
        return a + STANDARD_NORMAL_MAX * b;
    case Kind::lognormal:
        return a * std::exp(STANDARD_NORMAL_MAX * b);
    case Kind::gamma:
        // For a shape below 1 the draw is G(shape + 1) U^(1/shape) <= G(shape + 1).
        return b * largest_standard_gamma(a >= 1.0 ? a : a + 1.0);
    default:
        return support_max();
    }
}

const char* to_string(Uncertain::Kind kind) noexcept {
    switch (kind) {
    case Uncertain::Kind::fixed:
        return "fixed";
    case Uncertain::Kind::uniform:
        return "uniform";
    case Uncertain::Kind::normal:
        return "normal";
    case Uncertain::Kind::lognormal:
        return "lognormal";
    case Uncertain::Kind::beta:
        return "beta";
    case Uncertain::Kind::gamma:
        return "gamma";
    case Uncertain::Kind::triangular:
        return "triangular";
    }
    return "unknown";
}

} // namespace canopy::engine
