// The journals of a calibration run (calibration_journal.hpp): one `journalled` evaluator per
// experiment the method evaluates, each around the same inner evaluator.
#include <canopy/experiments/calibration_journal.hpp>

#include <string>
#include <system_error>

namespace canopy::experiments {

namespace fs = std::filesystem;

namespace {

// Lends an evaluator to `journalled`, which wants to own what it wraps, and counts the points
// the journal could not supply.
class Borrowed final : public Evaluator {
public:
    Borrowed(Evaluator& inner, std::int64_t& computed)
        : inner_(inner)
        , computed_(computed) {}
    std::vector<PointResult> evaluate(const Experiment& experiment, std::span<const Point> points,
                                      const ResultCallback& on_result) override {
        computed_ += static_cast<std::int64_t>(points.size());
        return inner_.evaluate(experiment, points, on_result);
    }
    [[nodiscard]] bool is_root() const override { return inner_.is_root(); }
    [[nodiscard]] int processes() const override { return inner_.processes(); }
    void share(std::vector<std::uint8_t>& bytes) override { inner_.share(bytes); }

private:
    Evaluator& inner_;
    std::int64_t& computed_;
};

} // namespace

fs::path calibration_journal_path(const fs::path& first, int k) {
    return k <= 1 ? first : fs::path(first.string() + "." + std::to_string(k));
}

std::vector<fs::path> calibration_journal_files(const fs::path& first) {
    std::vector<fs::path> out;
    std::error_code ec;
    // Methods use a handful of experiments. A gap does not end the list: a later journal
    // without the first (the first removed by hand, or a stray file) must still be seen, so that
    // it is refused or resumed rather than silently replaced.
    for (int k = 1; k <= 64; ++k) {
        const fs::path p = calibration_journal_path(first, k);
        if (fs::exists(p, ec)) {
            out.push_back(p);
        }
    }
    return out;
}

CalibrationJournal::CalibrationJournal(Evaluator& inner, fs::path first)
    : inner_(inner)
    , first_(std::move(first)) {}

std::vector<PointResult> CalibrationJournal::evaluate(const Experiment& experiment,
                                                      std::span<const Point> points,
                                                      const ResultCallback& on_result) {
    // Every rank sees the same experiments in the same order (the methods are deterministic),
    // so every rank numbers them alike.
    auto it = journals_.find(experiment.fingerprint);
    if (it == journals_.end()) {
        const int k = static_cast<int>(journals_.size()) + 1;
        it = journals_
                 .emplace(experiment.fingerprint,
                          journalled(std::make_unique<Borrowed>(inner_, computed_),
                                     calibration_journal_path(first_, k)))
                 .first;
    }
    requested_ += static_cast<std::int64_t>(points.size());
    return it->second->evaluate(experiment, points, on_result);
}

} // namespace canopy::experiments
