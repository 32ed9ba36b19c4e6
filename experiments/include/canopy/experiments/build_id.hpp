#pragma once
/// \file build_id.hpp
/// Which build of Canopy this is, beyond its version: results have changed between builds of one
/// version, so shards of two builds must not be merged nor a journal of one resumed by another.

#include <string>

namespace canopy::experiments {

/// This build's identity: 16 hex digits of a SHA-256 over the sources and build files that
/// decide what Canopy computes (engine, models, experiments, output, hdf5, the CMake files),
/// written by cmake/build_id.cmake at every build. Two programs built from the same files (the
/// CLI and the Python module, a release and a sanitizer build) share it; any edit changes it.
const char* build_id() noexcept;

/// What a journal's header records of the build that wrote it, after the experiment's own
/// fingerprint: `fingerprint + " build " + build` (hex digits only, so never a ':' nor a space).
std::string with_build(const std::string& fingerprint, const std::string& build = build_id());

/// The build a journal's fingerprint names (with_build), or "" for one written before journals
/// recorded it.
std::string build_of(const std::string& journal_fingerprint);

/// A journal's fingerprint without its build (with_build), as the experiment gave it.
std::string without_build(const std::string& journal_fingerprint);

} // namespace canopy::experiments
