#pragma once
/// \file hdf5.hpp
/// The full results of a run as an HDF5 file that h5py, xarray (engine="h5netcdf") and R read
/// without a guide. The layout is documented in docs/output-format.md:
///
///     /                      attributes: scenario, title, model, seed, replicates, ...
///     /time                  [time] months since the start (dimension scale)
///     /time_label            [time] "2022-12", "2023-01", ... (the month each row ends)
///     /replicate             [replicate] replicate numbers (dimension scale)
///     /indicators/<id>       [replicate, time] float64
///     /series/<name>         [replicate, time] float64, the model's raw series
///     /parameters/<name>     [replicate] float64, the values each replicate drew
///     /targets/<id>/final    [replicate] float64; /targets/<id>/attained [replicate] uint8
///     /policy_mixes/<mix>/{indicators,series,parameters,targets}/...   (canopy run --all-mixes)
///
/// The file holds no timestamps, so the same run gives the same datasets. It is written to a
/// temporary file and renamed into place (files.hpp): an error or a crash never leaves a partial
/// file under the real name, and the old file stays as it was.

#include <canopy/output/files.hpp>
#include <canopy/output/summary.hpp>

#include <filesystem>
#include <span>

namespace canopy::output {

/// One run to write: the raw ensemble and its summary (which must describe that ensemble).
struct RunData {
    const engine::Ensemble& ensemble;
    const EnsembleSummary& summary;
};

/// Writes `base` at the root of the file and each of `mixes` (the policy mixes other than the
/// base, with their scenario's names) under /policy_mixes/<mix>. All
/// runs share the time and replicate axes (same calendar and replicate numbers). Throws
/// canopy::Error naming `path` if the runs are inconsistent (checked before any file is
/// created) or anything fails while writing (the temporary file is then removed and `path`
/// left as it was).
void write_hdf5(const std::filesystem::path& path, const engine::Scenario& scenario,
                const engine::ModelInfo& model, RunData base, std::span<const RunData> mixes = {});

/// For programs, once at start-up, before any HDF5 use: HDF5's own clean-up at exit is
/// skipped. Canopy closes every file it opens; the clean-up could only meet a file that a
/// failed close left half-open (a full disk), and crashed on it.
void skip_hdf5_cleanup_at_exit();

/// As write_hdf5, but leaves the finished file under its temporary name, for the caller to
/// commit together with its other outputs (files.hpp, commit_all).
[[nodiscard]] TemporaryFile write_hdf5_temporary(const std::filesystem::path& path,
                                                 const engine::Scenario& scenario,
                                                 const engine::ModelInfo& model, RunData base,
                                                 std::span<const RunData> mixes = {});

} // namespace canopy::output
