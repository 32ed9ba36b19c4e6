// The progress bar. It writes "\r<line>" and pads with spaces over a longer previous line, so
// it needs nothing from the terminal beyond carriage return.
#include <canopy/output/progress.hpp>

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <unistd.h>

namespace canopy::output {

namespace {

constexpr std::size_t BAR_WIDTH = 30;
/// Labels are cut so that the whole line fits in 80 columns.
constexpr std::size_t MAX_LABEL = 24;

std::string duration_text(double seconds) {
    if (!(seconds >= 0.0) || std::isinf(seconds)) {
        return "?";
    }
    const auto s = static_cast<long long>(std::llround(seconds));
    if (s < 60) {
        return fmt::format("{} s", s);
    }
    if (s < 3600) {
        return fmt::format("{} min {:02} s", s / 60, s % 60);
    }
    return fmt::format("{} h {:02} min", s / 3600, (s % 3600) / 60);
}

} // namespace

std::string format_duration(double seconds) {
    return duration_text(seconds);
}

StatusLine::StatusLine(std::FILE* stream, bool enabled, std::chrono::milliseconds interval)
    : stream_(stream)
    , enabled_(enabled && stream != nullptr)
    , interval_(interval)
    , last_draw_(std::chrono::steady_clock::now()) {}

StatusLine StatusLine::on_stderr(bool quiet) {
    return StatusLine(stderr, isatty(fileno(stderr)) == 1 && !quiet);
}

StatusLine::~StatusLine() {
    finish();
}

void StatusLine::show(const std::string& text, bool force) {
    if (!enabled_) {
        return;
    }
    const auto now = std::chrono::steady_clock::now();
    if (drawn_ && !force && now - last_draw_ < interval_) {
        return;
    }
    last_draw_ = now;
    std::string line = text.size() > 100 ? text.substr(0, 100) : text;
    const std::size_t width = line.size();
    if (width < width_drawn_) {
        line.append(width_drawn_ - width, ' ');
    }
    std::fputc('\r', stream_);
    std::fputs(line.c_str(), stream_);
    std::fflush(stream_);
    width_drawn_ = std::max(width_drawn_, width);
    drawn_ = true;
}

void StatusLine::finish() {
    if (!enabled_ || !drawn_) {
        return;
    }
    std::fputc('\r', stream_);
    std::fputs(std::string(width_drawn_, ' ').c_str(), stream_);
    std::fputc('\r', stream_);
    std::fflush(stream_);
    drawn_ = false;
    width_drawn_ = 0;
}

ProgressBar::ProgressBar(std::string label, std::FILE* stream, bool enabled,
                         std::chrono::milliseconds interval)
    : label_(std::move(label))
    , stream_(stream)
    , enabled_(enabled && stream != nullptr)
    , interval_(interval)
    , start_(std::chrono::steady_clock::now())
    , last_draw_(start_) {}

ProgressBar ProgressBar::on_stderr(std::string label, bool quiet) {
    const bool terminal = isatty(fileno(stderr)) == 1;
    return ProgressBar(std::move(label), stderr, terminal && !quiet);
}

ProgressBar::ProgressBar(ProgressBar&& other) noexcept
    : label_(std::move(other.label_))
    , stream_(other.stream_)
    , enabled_(other.enabled_)
    , drawn_(other.drawn_)
    , width_drawn_(other.width_drawn_)
    , interval_(other.interval_)
    , start_(other.start_)
    , last_draw_(other.last_draw_)
    , rate_unit_(std::move(other.rate_unit_)) {
    other.enabled_ = false; // the moved-from bar must not erase this one's line
    other.drawn_ = false;
}

ProgressBar::~ProgressBar() {
    finish();
}

std::string ProgressBar::render(const std::string& label, std::size_t done, std::size_t total,
                                double elapsed_seconds) {
    const std::size_t shown = std::min(done, total);
    const double fraction =
        total == 0 ? 1.0 : static_cast<double>(shown) / static_cast<double>(total);
    const auto filled = static_cast<std::size_t>(fraction * static_cast<double>(BAR_WIDTH));
    std::string bar(filled, '#');
    bar.append(BAR_WIDTH - filled, '.');
    std::string name = label.size() > MAX_LABEL ? label.substr(0, MAX_LABEL) : label;
    std::string line = fmt::format("{} [{}] {}/{} {:3.0f} %", name, bar, shown, total,
                                   std::floor(100.0 * fraction));
    if (shown > 0 && shown < total) {
        const double eta =
            elapsed_seconds / static_cast<double>(shown) * static_cast<double>(total - shown);
        line += "  eta " + duration_text(eta);
    }
    return line;
}

void ProgressBar::update(std::size_t done, std::size_t total) {
    if (!enabled_) {
        return;
    }
    const auto now = std::chrono::steady_clock::now();
    const bool last = done >= total;
    if (drawn_ && !last && now - last_draw_ < interval_) {
        return;
    }
    last_draw_ = now;
    const double elapsed = std::chrono::duration<double>(now - start_).count();
    std::string line = render(label_, done, total, elapsed);
    if (!rate_unit_.empty() && elapsed > 0.0 && done > 0) {
        line += fmt::format("  {:.3g} {}/s", static_cast<double>(done) / elapsed, rate_unit_);
    }
    const std::size_t width = line.size();
    if (width < width_drawn_) {
        line.append(width_drawn_ - width, ' ');
    }
    std::fputc('\r', stream_);
    std::fputs(line.c_str(), stream_);
    std::fflush(stream_);
    width_drawn_ = std::max(width_drawn_, width);
    drawn_ = true;
}

void ProgressBar::finish() {
    if (!enabled_ || !drawn_) {
        return;
    }
    std::fputc('\r', stream_);
    std::fputs(std::string(width_drawn_, ' ').c_str(), stream_);
    std::fputc('\r', stream_);
    std::fflush(stream_);
    drawn_ = false;
    width_drawn_ = 0;
}

} // namespace canopy::output
