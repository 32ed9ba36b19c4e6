#pragma once
/// \file error.hpp
/// The one exception type Canopy throws for runtime failures.
///
/// Bad user input is not an exception: validation returns diagnostics (see diagnostics.hpp).
/// `canopy::Error` is for failures found while running: an impossible state, a failed write,
/// a model asked for something it does not have. The CLI and the Python module catch it at
/// their boundary; library code never calls exit() and keeps no global error state.

#include <stdexcept>
#include <string>

namespace canopy {

/// A runtime failure with its context in the message.
class Error : public std::runtime_error {
public:
    explicit Error(const std::string& what)
        : std::runtime_error(what) {}
};

} // namespace canopy
