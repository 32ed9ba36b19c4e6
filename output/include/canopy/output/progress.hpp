#pragma once
/// \file progress.hpp
/// A progress bar for long runs, drawn on one line of stderr and erased when the run ends.
///
/// It draws only on a terminal: piped or redirected stderr (a log, CI) stays free of carriage
/// returns. Redraws are throttled so that thousands of fast replicates do not flood the
/// terminal; the last update always draws. Not thread-safe by itself: the ensemble runner
/// serialises its progress calls (ensemble.hpp), which is all it needs.

#include <chrono>
#include <cstddef>
#include <cstdio>
#include <string>

namespace canopy::output {

/// One line of progress: "label [#########.........]  45/100  45 %  eta 3 s".
class ProgressBar {
public:
    /// Draws on `stream` only when `enabled`; redraws at most once per `interval`.
    ProgressBar(std::string label, std::FILE* stream, bool enabled,
                std::chrono::milliseconds interval = std::chrono::milliseconds(100));

    /// A bar on stderr, enabled when stderr is a terminal and `quiet` is false.
    static ProgressBar on_stderr(std::string label, bool quiet);

    ~ProgressBar();
    ProgressBar(const ProgressBar&) = delete;
    ProgressBar& operator=(const ProgressBar&) = delete;
    ProgressBar(ProgressBar&& other) noexcept;
    ProgressBar& operator=(ProgressBar&&) = delete;

    /// Reports `done` of `total` units of work finished.
    void update(std::size_t done, std::size_t total);

    /// Erases the line (when anything was drawn). Called by the destructor; idempotent.
    void finish();

    /// Also shows the rate, as "12.5 <unit>/s" (e.g. "points").
    void show_rate(std::string unit) { rate_unit_ = std::move(unit); }

    [[nodiscard]] bool enabled() const noexcept { return enabled_; }

    /// The line for a state of progress, without the leading carriage return (for tests).
    [[nodiscard]] static std::string render(const std::string& label, std::size_t done,
                                            std::size_t total, double elapsed_seconds);

private:
    std::string label_;
    std::FILE* stream_;
    bool enabled_;
    bool drawn_ = false;
    std::size_t width_drawn_ = 0;
    std::chrono::milliseconds interval_;
    std::chrono::steady_clock::time_point start_;
    std::chrono::steady_clock::time_point last_draw_;
    std::string rate_unit_;
};

/// A status line: free text redrawn in place on stderr, for long runs whose progress is not a
/// fraction of a known total (a calibration's generation, tolerance and acceptance rate). Like
/// the bar it draws only on a terminal, throttles redraws and erases itself when done.
class StatusLine {
public:
    StatusLine(std::FILE* stream, bool enabled,
               std::chrono::milliseconds interval = std::chrono::milliseconds(200));
    /// A line on stderr, enabled when stderr is a terminal and `quiet` is false.
    static StatusLine on_stderr(bool quiet);
    ~StatusLine();
    StatusLine(const StatusLine&) = delete;
    StatusLine& operator=(const StatusLine&) = delete;

    /// Shows `text` (cut to 100 columns' worth of bytes), unless the last redraw was less than
    /// the interval ago and `force` is false.
    void show(const std::string& text, bool force = false);
    /// Erases the line (when anything was drawn). Called by the destructor; idempotent.
    void finish();
    [[nodiscard]] bool enabled() const noexcept { return enabled_; }

private:
    std::FILE* stream_;
    bool enabled_;
    bool drawn_ = false;
    std::size_t width_drawn_ = 0;
    std::chrono::milliseconds interval_;
    std::chrono::steady_clock::time_point last_draw_;
};

/// A duration for people: "12 s", "3 min 05 s", "2 h 10 min"; "?" for NaN or negative.
std::string format_duration(double seconds);

} // namespace canopy::output
