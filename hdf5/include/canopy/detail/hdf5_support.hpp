#pragma once
/// \file hdf5_support.hpp
/// The HDF5 plumbing every file Canopy writes or reads shares (run files, sensitivity indices,
/// sweep and calibration results): owned identifiers, HDF5's errors turned into one exception
/// that carries HDF5's own cause, and the string type and attribute writer they all use.
///
/// Internal: linked PRIVATE by canopy_experiments and canopy_output, never installed. It
/// includes hdf5.h, which no public header may (STYLE.md).

#include <hdf5.h>

#include <string>

namespace canopy::detail::hdf5 {

/// A failed HDF5 call, or data that cannot be written as asked. Each file's entry point turns
/// it into canopy::Error with the file's path in front.
struct Failure {
    std::string what;
};

/// Throws Failure{what}, followed by the innermost description on HDF5's error stack (the
/// actual cause, e.g. "Permission denied") in parentheses when there is one; clears the stack.
[[noreturn]] void fail(const std::string& what);

/// `id`, or fail(what) when it is negative (HDF5's sign of failure).
hid_t must(hid_t id, const std::string& what);

/// fail(what) when `status` is negative.
void must_ok(herr_t status, const std::string& what);

/// An owned HDF5 identifier, closed with the function that matches its kind (H5Fclose,
/// H5Gclose, ...), so that an exception anywhere closes everything.
class Id {
public:
    using Close = herr_t (*)(hid_t);
    Id(hid_t id, Close closer)
        : id_(id)
        , close_(closer) {}
    ~Id() {
        if (id_ >= 0) {
            close_(id_);
        }
    }
    Id(const Id&) = delete;
    Id& operator=(const Id&) = delete;
    Id(Id&& other) noexcept
        : id_(other.id_)
        , close_(other.close_) {
        other.id_ = -1;
    }
    Id& operator=(Id&&) = delete;
    [[nodiscard]] hid_t get() const noexcept { return id_; }
    /// Closes now and reports failure (for the file, whose close flushes everything).
    void close(const std::string& what) {
        const hid_t id = id_;
        id_ = -1;
        must_ok(close_(id), what);
    }
    /// Gives up ownership without closing.
    hid_t release() noexcept {
        const hid_t id = id_;
        id_ = -1;
        return id;
    }

private:
    hid_t id_;
    Close close_;
};

/// Switches off HDF5's habit of printing its error stack to stderr while it lives; errors
/// become Failures with their cause. Restores the previous handler on exit.
class QuietErrors {
public:
    QuietErrors();
    ~QuietErrors();
    QuietErrors(const QuietErrors&) = delete;
    QuietErrors& operator=(const QuietErrors&) = delete;

private:
    H5E_auto2_t func_ = nullptr;
    void* data_ = nullptr;
};

/// Groups list their members and attributes in the order written, which h5py and netCDF
/// readers then show.
inline constexpr unsigned CREATION_ORDER = H5P_CRT_ORDER_TRACKED | H5P_CRT_ORDER_INDEXED;

/// A new property list of class `cls` (H5P_FILE_CREATE, ...).
Id property_list(hid_t cls);

/// Variable-length UTF-8 strings: h5py reads them as str, netCDF as NC_STRING, R as character.
Id string_type();

/// Creates attribute `name` of `file_type` and shape `space` on `object`, and writes `data`,
/// laid out as `memory_type`, to it.
void write_attribute(hid_t object, const std::string& name, hid_t file_type, hid_t memory_type,
                     hid_t space, const void* data);

} // namespace canopy::detail::hdf5
