#pragma once
/// \file schedule.hpp
/// Lever schedules: how a lever's intensity moves over time.
///
/// Four shapes, all defined on elapsed months since the calendar start:
///   constant          v
///   step              before `points[0].t` the schedule's `initial`, then each point's value
///                     holds from its time on (a staircase; one point is a single step)
///   ramp              `initial` until points[0], linear to points[1], then points[1]'s value
///   piecewise_linear  linear between points, flat before the first and after the last
/// A step samples its schedule at the start of the step.

#include <string>
#include <vector>

namespace canopy::engine {

/// One breakpoint of a schedule: elapsed months since the calendar start, and a value.
struct SchedulePoint {
    double t_months = 0.0;
    double value = 0.0;
};

/// A lever's value over time. Validated at construction; evaluation never throws.
///
/// Constructors throw canopy::Error on a non-finite time or value, on a step or
/// piecewise-linear schedule without points, and on a ramp that ends before it starts. Points
/// may be given in any order: they are stably sorted by time, and where two share a time the
/// later-listed one holds from that time on (a jump; every shape is right-continuous).
class Schedule {
public:
    enum class Kind { constant, step, ramp, piecewise_linear };

    /// A constant schedule.
    static Schedule constant(double value);
    /// A staircase: `initial` before the first point, then each point's value from its time on.
    static Schedule step(double initial, std::vector<SchedulePoint> points);
    /// `from.value` until `from.t_months`, linear to `to`, then `to.value`.
    static Schedule ramp(SchedulePoint from, SchedulePoint to);
    /// Linear interpolation between points (at least one), flat outside them.
    static Schedule piecewise_linear(std::vector<SchedulePoint> points);

    /// The value at elapsed months t (NaN for a NaN time).
    [[nodiscard]] double at(double t_months) const noexcept;

    [[nodiscard]] Kind kind() const noexcept { return kind_; }
    [[nodiscard]] const std::vector<SchedulePoint>& points() const noexcept { return points_; }
    [[nodiscard]] double initial() const noexcept { return initial_; }

    /// The largest value the schedule takes at any time (a memory estimate's lever level).
    [[nodiscard]] double largest() const noexcept;

    /// A copy with every value multiplied by `factor` (a policy mix scaling a lever).
    [[nodiscard]] Schedule scaled(double factor) const;

private:
    Schedule(Kind kind, double initial, std::vector<SchedulePoint> points);
    Kind kind_;
    double initial_;
    std::vector<SchedulePoint> points_; // sorted by t_months
};

/// "constant", "step", "ramp", "piecewise_linear".
const char* to_string(Schedule::Kind kind) noexcept;

} // namespace canopy::engine
