// Truncated priors (prior.hpp) on Boost.Math's distributions.
#include <canopy/engine/error.hpp>
#include <canopy/experiments/prior.hpp>

#include <boost/math/distributions/beta.hpp>
#include <boost/math/distributions/gamma.hpp>
#include <boost/math/distributions/lognormal.hpp>
#include <boost/math/distributions/normal.hpp>
#include <boost/math/distributions/triangular.hpp>
#include <boost/math/distributions/uniform.hpp>

#include <algorithm>
#include <cmath>
#include <limits>
#include <string>

namespace canopy::experiments {

namespace {

using engine::Uncertain;
namespace bm = boost::math;

constexpr double INF = std::numeric_limits<double>::infinity();

// Calls f with the Boost distribution that `u` describes.
template <class F>
auto with_distribution(const Uncertain& u, F&& f) {
    switch (u.kind) {
    case Uncertain::Kind::uniform:
        return f(bm::uniform_distribution<double>(u.a, u.b));
    case Uncertain::Kind::normal:
        return f(bm::normal_distribution<double>(u.a, u.b));
    case Uncertain::Kind::lognormal:
        // The scenario format gives the median; the log's mean is its logarithm.
        return f(bm::lognormal_distribution<double>(std::log(u.a), u.b));
    case Uncertain::Kind::beta:
        return f(bm::beta_distribution<double>(u.a, u.b));
    case Uncertain::Kind::gamma:
        return f(bm::gamma_distribution<double>(u.a, u.b));
    case Uncertain::Kind::triangular:
        // Uncertain keeps low, high, mode in a, b, c.
        return f(bm::triangular_distribution<double>(u.a, u.c, u.b));
    case Uncertain::Kind::fixed:
        break;
    }
    throw Error("a prior needs a distribution, not a fixed value");
}

// The distribution function, clamped to the support so that Boost never sees a value outside
// it (it would throw a domain error).
double cdf_of(const Uncertain& u, double x) {
    if (x <= u.support_min()) {
        return 0.0;
    }
    if (x >= u.support_max()) {
        return 1.0;
    }
    return with_distribution(u, [x](const auto& d) { return bm::cdf(d, x); });
}

double survival_of(const Uncertain& u, double x) {
    if (x <= u.support_min()) {
        return 1.0;
    }
    if (x >= u.support_max()) {
        return 0.0;
    }
    return with_distribution(u, [x](const auto& d) { return bm::cdf(bm::complement(d, x)); });
}

} // namespace

double Prior::mass_between(const Uncertain& distribution, double lower, double upper) {
    if (!(lower < upper) || distribution.domain_error() != nullptr ||
        distribution.kind == Uncertain::Kind::fixed) {
        return 0.0;
    }
    // Upper tails are measured with the survival function, so a prior far out in its tail keeps
    // its digits.
    const double lo = cdf_of(distribution, lower);
    if (lo > 0.5) {
        return std::max(0.0, survival_of(distribution, lower) - survival_of(distribution, upper));
    }
    return std::max(0.0, cdf_of(distribution, upper) - lo);
}

Prior::Prior(Uncertain distribution, double lower, double upper)
    : distribution_(distribution)
    , lower_(lower)
    , upper_(upper) {
    if (distribution_.kind == Uncertain::Kind::fixed) {
        throw Error("a prior needs a distribution, not a fixed value");
    }
    if (const char* why = distribution_.domain_error()) {
        throw Error(std::string("prior: ") + why);
    }
    if (std::isnan(lower_) || std::isnan(upper_) || !(lower_ < upper_)) {
        throw Error("prior: the bounds must be numbers with lower < upper");
    }
    support_lower_ = std::max(lower_, distribution_.support_min());
    support_upper_ = std::min(upper_, distribution_.support_max());
    cdf_lower_ = cdf_of(distribution_, lower_);
    cdf_upper_ = cdf_of(distribution_, upper_);
    mass_ = mass_between(distribution_, lower_, upper_);
    if (!(mass_ >= MIN_MASS)) {
        throw Error("prior: the distribution has no mass between the bounds");
    }
}

double Prior::log_density(double x) const {
    if (!contains(x)) {
        return -INF;
    }
    const double p = with_distribution(distribution_, [x](const auto& d) { return bm::pdf(d, x); });
    return p > 0.0 ? std::log(p) - std::log(mass_) : -INF;
}

double Prior::cdf(double x) const {
    if (x <= lower_) {
        return 0.0;
    }
    if (x >= upper_) {
        return 1.0;
    }
    double c = 0.0;
    if (cdf_lower_ > 0.5) {
        c = (survival_of(distribution_, lower_) - survival_of(distribution_, x)) / mass_;
    } else {
        c = (cdf_of(distribution_, x) - cdf_lower_) / mass_;
    }
    return std::clamp(c, 0.0, 1.0);
}

double Prior::quantile(double u) const {
    if (!(u > 0.0 && u < 1.0)) {
        throw Error("prior: a quantile needs a probability strictly between 0 and 1");
    }
    double x = 0.0;
    try {
        if (cdf_lower_ > 0.5) {
            const double s = survival_of(distribution_, lower_) - u * mass_;
            x = with_distribution(
                distribution_, [s](const auto& d) { return bm::quantile(bm::complement(d, s)); });
        } else {
            const double p = cdf_lower_ + u * mass_;
            x = with_distribution(distribution_, [p](const auto& d) { return bm::quantile(d, p); });
        }
    } catch (const std::exception&) {
        // Boost refuses probabilities that round to 0 or 1: those are the bounds themselves.
        x = u < 0.5 ? lower_ : upper_;
    }
    return std::clamp(x, lower_, upper_);
}

} // namespace canopy::experiments
