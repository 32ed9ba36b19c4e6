#pragma once
/// \file hdf5_support.hpp
/// The HDF5 plumbing every file Canopy writes or reads shares (run files, sensitivity indices,
/// sweep and calibration results): owned identifiers, HDF5's errors turned into one exception
/// that carries HDF5's own cause, the property lists that make the same data give the same
/// bytes, and a writer of new files.
///
/// Internal: linked PRIVATE by canopy_experiments and canopy_output, never installed. It
/// includes hdf5.h, which no public header may (STYLE.md).

#include <hdf5.h>

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

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

/// How many values attribute or dataset `id` declares, checked against its file before anything
/// is sized by it: Canopy's sweep and calibration results are stored uncompressed, so a count
/// whose stored values could not fit in the file's bytes is damage or an edit (a shape of 10^11
/// made the readers ask for terabytes). Throws Failure "the file is damaged: WHAT declares N
/// values, more than its B bytes can hold", or Failure when `id` cannot be read.
std::size_t stored_count(hid_t id, const std::string& what);

/// The variable-length strings of attribute or dataset `id` (one per element, in storage order),
/// read without letting HDF5 follow their references into the file's global heap. HDF5 (1.10)
/// trusts the length a heap object records and copies that many bytes into a buffer sized by the
/// reference, so one flipped bit in a heap collection crashes the reader before any checksum can
/// be compared. Here each reference is read raw, its collection parsed and checked (signature,
/// size within the file, objects that tile it exactly), and the reference must name an object of
/// exactly its length. Throws Failure "the file is damaged: ..." naming `what` when one does not
/// fit, or Failure when `id` is not variable-length text.
std::vector<std::string> read_strings(hid_t id, const std::string& what);

/// Checks every variable-length value of attribute `attribute` (a sequence or a string) against
/// the global heap the way read_strings does, so that HDF5 may then read it; throws Failure
/// "the file is damaged: ..." naming `what` otherwise.
void check_heap_references(hid_t attribute, const std::string& what);

/// Creates attribute `name` of `file_type` and shape `space` on `object`, and writes `data`,
/// laid out as `memory_type`, to it.
void write_attribute(hid_t object, const std::string& name, hid_t file_type, hid_t memory_type,
                     hid_t space, const void* data);

/// File creation: no timestamps (the same data give the same bytes), members and attributes
/// listed in the order written.
Id file_creation_list();
/// Group creation: no timestamps, members and attributes listed in the order written.
Id group_creation_list();
/// Dataset creation: no timestamps, attributes listed in the order written.
Id dataset_creation_list();
/// File access: the 1.8 file format, readable by every HDF5 since 2008 (and so by netCDF-4,
/// h5py, R); closing the file fails while anything in it is still open, instead of silently
/// deferring.
Id file_access_list();
/// Link creation: UTF-8 names.
Id link_creation_list();

/// A new file (truncating any old one at the path) written with the lists above: groups,
/// contiguous datasets and attributes. Every object it returns is owned by an Id; close() the
/// file once they are closed.
class FileWriter {
public:
    explicit FileWriter(const std::filesystem::path& file);
    /// The file built in memory only (HDF5's core driver, no backing store), to learn how large
    /// it will be (`size()`) before anything reaches the disk; `label` names it in messages.
    struct InMemory {};
    FileWriter(const std::filesystem::path& label, InMemory);

    [[nodiscard]] hid_t root() const noexcept { return file_.get(); }
    /// Closes the file, which writes what HDF5 still holds; throws Failure when that fails.
    void close();
    /// The file's size in bytes as it stands.
    [[nodiscard]] std::uint64_t size() const;

    Id group(hid_t parent, const std::string& name) const;
    /// A dataset of `shape` (row-major `data` laid out as `memory_type`); an empty one is
    /// created without writing.
    Id dataset(hid_t parent, const std::string& name, const std::vector<hsize_t>& shape,
               hid_t file_type, hid_t memory_type, const void* data) const;
    /// A list of UTF-8 strings.
    Id strings(hid_t parent, const std::string& name, const std::vector<std::string>& values) const;

    void attribute(hid_t object, const std::string& name, const std::string& value) const;
    void attribute(hid_t object, const std::string& name,
                   const std::vector<std::string>& values) const;
    void attribute(hid_t object, const std::string& name, double value) const;
    void attribute(hid_t object, const std::string& name, std::int64_t value) const;
    void attribute(hid_t object, const std::string& name, std::uint64_t value) const;

private:
    Id fcpl_, fapl_, gcpl_, dcpl_, lcpl_, string_;
    Id file_;
};

} // namespace canopy::detail::hdf5
