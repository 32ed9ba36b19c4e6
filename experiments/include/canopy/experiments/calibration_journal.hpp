#pragma once
/// \file calibration_journal.hpp
/// The journals of a calibration run, so that a killed `canopy calibrate` continues with
/// `--resume` and gives the same bits as a run never interrupted.
///
/// A method is deterministic (abc_smc.hpp, smm.hpp): rerun, it asks for the same points in the
/// same order, and the journal hands back every point that completed before the kill. One
/// journal holds one experiment, and a method may evaluate several (the method of moments: its
/// moments on common random numbers, then the projection of its normal approximation's draws),
/// so experiment k, counted in the order the method first evaluates it, is journalled at
/// `calibration_journal_path(first, k)`: `<first>`, `<first>.2`, `<first>.3`, ... Under MPI only
/// the root reads and writes them (evaluator.hpp's `journalled`).

#include <canopy/experiments/evaluator.hpp>

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

namespace canopy::experiments {

/// The journal of the calibration's k-th experiment (k from 1): `first` for k = 1, else
/// `first` with ".k" appended.
std::filesystem::path calibration_journal_path(const std::filesystem::path& first, int k);

/// The journal files of a calibration whose first journal is `first` that exist now, in order,
/// gaps skipped (for `--resume` checks and for removing them once the result is written).
std::vector<std::filesystem::path> calibration_journal_files(const std::filesystem::path& first);

/// `inner` (which must outlive it) behind one journal per experiment, as the file comment says.
/// `evaluate` throws canopy::Error when an existing journal belongs to another calibration.
class CalibrationJournal final : public Evaluator {
public:
    CalibrationJournal(Evaluator& inner, std::filesystem::path first);
    std::vector<PointResult> evaluate(const Experiment& experiment, std::span<const Point> points,
                                      const ResultCallback& on_result = {}) override;
    [[nodiscard]] bool is_root() const override { return inner_.is_root(); }
    [[nodiscard]] int processes() const override { return inner_.processes(); }
    void share(std::vector<std::uint8_t>& bytes) override { inner_.share(bytes); }
    /// Points read back from the journals instead of computed.
    [[nodiscard]] std::int64_t points_restored() const noexcept { return requested_ - computed_; }
    /// Closes every journal file: once the method is done, before the files are removed.
    void close() noexcept { journals_.clear(); }

private:
    Evaluator& inner_;
    std::filesystem::path first_;
    std::unordered_map<std::string, std::unique_ptr<Evaluator>> journals_; ///< by fingerprint
    std::int64_t requested_ = 0;                                           ///< points asked for
    std::int64_t computed_ = 0; ///< points the journals did not hold, handed to `inner_`
};

} // namespace canopy::experiments
