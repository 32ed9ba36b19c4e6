// Lever schedules. Construction sorts and validates once so that at(), called for every lever at
// every step of every replicate, is a branch and a short scan that cannot fail.
//
// Points are sorted by time with a stable sort (a scenario may list them in any order). Two
// points at the same time make a jump: from that time on the later-listed point's value holds,
// so every shape is right-continuous.
#include <canopy/engine/error.hpp>
#include <canopy/engine/schedule.hpp>

#include <algorithm>
#include <cmath>
#include <limits>
#include <string>

namespace canopy::engine {

namespace {

void require_finite(double x, const char* what, const char* kind) {
    if (!std::isfinite(x)) {
        throw Error(std::string(kind) + " schedule: " + what + " must be a finite number, got " +
                    std::to_string(x));
    }
}

void validate_points(const std::vector<SchedulePoint>& points, const char* kind) {
    for (const SchedulePoint& p : points) {
        require_finite(p.t_months, "a point's time (months)", kind);
        require_finite(p.value, "a point's value", kind);
    }
}

void sort_points(std::vector<SchedulePoint>& points) {
    std::stable_sort(
        points.begin(), points.end(),
        [](const SchedulePoint& a, const SchedulePoint& b) { return a.t_months < b.t_months; });
}

// Index of the last point with t_months <= t, or -1 when t is before every point.
std::ptrdiff_t last_at_or_before(const std::vector<SchedulePoint>& points, double t) {
    const auto it =
        std::upper_bound(points.begin(), points.end(), t,
                         [](double x, const SchedulePoint& p) { return x < p.t_months; });
    return (it - points.begin()) - 1;
}

double lerp(const SchedulePoint& a, const SchedulePoint& b, double t) {
    return a.value + (b.value - a.value) * ((t - a.t_months) / (b.t_months - a.t_months));
}

} // namespace

Schedule::Schedule(Kind kind, double initial, std::vector<SchedulePoint> points)
    : kind_(kind)
    , initial_(initial)
    , points_(std::move(points)) {}

Schedule Schedule::constant(double value) {
    require_finite(value, "the value", "constant");
    return Schedule(Kind::constant, value, {});
}

Schedule Schedule::step(double initial, std::vector<SchedulePoint> points) {
    require_finite(initial, "the initial value", "step");
    if (points.empty()) {
        throw Error("step schedule needs at least one point (use a constant schedule instead)");
    }
    validate_points(points, "step");
    sort_points(points);
    return Schedule(Kind::step, initial, std::move(points));
}

Schedule Schedule::ramp(SchedulePoint from, SchedulePoint to) {
    validate_points({from, to}, "ramp");
    if (from.t_months > to.t_months) {
        throw Error("ramp schedule: it starts at " + std::to_string(from.t_months) +
                    " months, after it ends at " + std::to_string(to.t_months));
    }
    return Schedule(Kind::ramp, from.value, {from, to});
}

Schedule Schedule::piecewise_linear(std::vector<SchedulePoint> points) {
    if (points.empty()) {
        throw Error("piecewise_linear schedule needs at least one point");
    }
    validate_points(points, "piecewise_linear");
    sort_points(points);
    const double initial = points.front().value;
    return Schedule(Kind::piecewise_linear, initial, std::move(points));
}

double Schedule::at(double t_months) const noexcept {
    if (std::isnan(t_months)) {
        return std::numeric_limits<double>::quiet_NaN();
    }
    switch (kind_) {
    case Kind::constant:
        return initial_;
    case Kind::step: {
        const std::ptrdiff_t i = last_at_or_before(points_, t_months);
        return i < 0 ? initial_ : points_[static_cast<std::size_t>(i)].value;
    }
    case Kind::ramp:
    case Kind::piecewise_linear: {
        // A ramp is a two-point piecewise-linear schedule whose value before the first point is
        // that point's value, so both shapes share this branch.
        const std::ptrdiff_t i = last_at_or_before(points_, t_months);
        if (i < 0) {
            return points_.front().value;
        }
        const auto k = static_cast<std::size_t>(i);
        if (k + 1 == points_.size()) {
            return points_.back().value;
        }
        return lerp(points_[k], points_[k + 1], t_months);
    }
    }
    return initial_;
}

double Schedule::largest() const noexcept {
    // A step schedule holds its initial value before the first point; a ramp or a
    // piecewise-linear one takes its first point's value there and lies between its points.
    double most = kind_ == Kind::constant || kind_ == Kind::step || points_.empty()
                      ? initial_
                      : points_.front().value;
    if (kind_ != Kind::constant) {
        for (const SchedulePoint& p : points_) {
            most = std::max(most, p.value);
        }
    }
    return most;
}

Schedule Schedule::scaled(double factor) const {
    if (!std::isfinite(factor)) {
        throw Error("a schedule can only be scaled by a finite factor, got " +
                    std::to_string(factor));
    }
    Schedule copy = *this;
    copy.initial_ *= factor;
    for (SchedulePoint& p : copy.points_) {
        p.value *= factor;
    }
    validate_points(copy.points_, to_string(kind_));
    require_finite(copy.initial_, "the scaled initial value", to_string(kind_));
    return copy;
}

const char* to_string(Schedule::Kind kind) noexcept {
    switch (kind) {
    case Schedule::Kind::constant:
        return "constant";
    case Schedule::Kind::step:
        return "step";
    case Schedule::Kind::ramp:
        return "ramp";
    case Schedule::Kind::piecewise_linear:
        return "piecewise_linear";
    }
    return "unknown";
}

} // namespace canopy::engine
