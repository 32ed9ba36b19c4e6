// The HDF5 writer, on the HDF5 C API (and the high-level library's dimension scales). Every
// handle is owned by an Id so that an exception anywhere closes everything before the
// temporary file is removed.
#include <canopy/detail/hdf5_support.hpp>
#include <canopy/engine/error.hpp>
#include <canopy/output/compare.hpp>
#include <canopy/output/files.hpp>
#include <canopy/output/hdf5.hpp>
#include <canopy/output/run_report.hpp>
#include <canopy/output/table.hpp>

#include <fmt/format.h>
#include <hdf5.h>
#include <hdf5_hl.h>

#include <algorithm>
#include <array>
#include <cstdint>
#include <string>
#include <unistd.h>
#include <unordered_map>
#include <vector>

namespace canopy::output {

namespace {

namespace fs = std::filesystem;

// Failure, Id, must, QuietErrors and the rest of the shared HDF5 plumbing.
using namespace canopy::detail::hdf5;

// Attributes an object keeps in its header (compact_attributes).
constexpr unsigned MAX_COMPACT_ATTRIBUTES = 32;

// Attributes stay in the object's header up to this many; HDF5's default of 8 moves the 13 to
// 17 attributes of an indicator or target into a heap and two B-trees of their own, about 3 KB
// per object, which dwarfed the data of a small run.
void compact_attributes(const Id& p) {
    must_ok(H5Pset_attr_phase_change(p.get(), MAX_COMPACT_ATTRIBUTES, MAX_COMPACT_ATTRIBUTES - 8),
            "cannot set the attribute storage");
}

// The shared lists (no timestamps, so that the same run gives the same bytes; creation order
// kept), with attributes kept compact.
Id make_gcpl() {
    Id p = group_creation_list();
    compact_attributes(p);
    return p;
}

Id make_dcpl() {
    Id p = dataset_creation_list();
    compact_attributes(p);
    return p;
}

// The shared list: the 1.8 file format, which also stores many attributes densely instead of
// failing at 64 KiB, and a close that fails while anything is still open.
Id make_fapl() {
    Id p = file_access_list();
    // Raw data goes to disk inside H5Dwrite, whose status is checked, instead of waiting in
    // a buffer until some later call (a dataset's close, whose failure would go unseen).
    must_ok(H5Pset_sieve_buf_size(p.get(), 0), "cannot switch off the sieve buffer");
    return p;
}

// Dataset access without a chunk cache, for the same reason: each chunk is compressed and
// written by the H5Dwrite that fills it.
Id make_dapl() {
    Id p = property_list(H5P_DATASET_ACCESS);
    must_ok(H5Pset_chunk_cache(p.get(), 0, 0, H5D_CHUNK_CACHE_W0_DEFAULT),
            "cannot switch off the chunk cache");
    return p;
}

std::string row_text(int rows) {
    return std::to_string(rows);
}

class Writer {
public:
    explicit Writer(const fs::path& file)
        : fcpl_(file_creation_list())
        , fapl_(make_fapl())
        , gcpl_(make_gcpl())
        , dcpl_(make_dcpl())
        , lcpl_(link_creation_list())
        , string_(string_type())
        , compress_(H5Zfilter_avail(H5Z_FILTER_DEFLATE) > 0 &&
                    H5Zfilter_avail(H5Z_FILTER_SHUFFLE) > 0)
        , dapl_(make_dapl())
        , file_(must(H5Fcreate(file.c_str(), H5F_ACC_TRUNC, fcpl_.get(), fapl_.get()),
                     "cannot create the file"),
                H5Fclose) {}

    Writer(const Writer&) = delete;
    Writer& operator=(const Writer&) = delete;

    /// After a failure the file is abandoned (its temporary is removed by the caller), but
    /// HDF5 must still let go of it: a close that fails leaves it half-open inside the library,
    /// whose shutdown at exit then crashed (a full disk: "cannot close the file", then a
    /// segmentation fault). So the file is emptied first, giving back the space the failed
    /// writes were short of, and only then closed: what the close still writes then fits.
    ~Writer() {
        if (file_.get() >= 0) {
            empty_the_file();
            H5Fclose(file_.release());
        }
    }

    [[nodiscard]] hid_t root() const { return file_.get(); }

    /// Writes everything still in HDF5's caches, then closes the file. Throws on failure,
    /// leaving the file for the destructor to abandon.
    void close() {
        must_ok(H5Fflush(file_.get(), H5F_SCOPE_GLOBAL), "cannot write the file");
        file_.close("cannot close the file");
    }

    Id group(hid_t parent, const std::string& name) const {
        return Id(must(H5Gcreate2(parent, name.c_str(), lcpl_.get(), gcpl_.get(), H5P_DEFAULT),
                       "cannot create group '" + name + "'"),
                  H5Gclose);
    }

    /// A float64 dataset with the given shape and row-major data.
    Id doubles(hid_t parent, const std::string& name, std::vector<hsize_t> shape,
               const double* data) const {
        return dataset(parent, name, shape, H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, data);
    }

    Id dataset(hid_t parent, const std::string& name, const std::vector<hsize_t>& shape,
               hid_t file_type, hid_t memory_type, const void* data) const {
        Id space(must(H5Screate_simple(static_cast<int>(shape.size()), shape.data(), nullptr),
                      "cannot create the shape of '" + name + "'"),
                 H5Sclose);
        const Id dcpl = creation_list(shape, file_type);
        Id set(must(H5Dcreate2(parent, name.c_str(), file_type, space.get(), lcpl_.get(),
                               dcpl.get(), dapl_.get()),
                    "cannot create dataset '" + name + "'"),
               H5Dclose);
        must_ok(H5Dwrite(set.get(), memory_type, H5S_ALL, H5S_ALL, H5P_DEFAULT, data),
                "cannot write dataset '" + name + "'");
        return set;
    }

    /// A float64 dataset created now and filled later with fill_doubles (so that datasets can
    /// be listed in one order and computed in another).
    Id create_doubles(hid_t parent, const std::string& name,
                      const std::vector<hsize_t>& shape) const {
        Id space(must(H5Screate_simple(static_cast<int>(shape.size()), shape.data(), nullptr),
                      "cannot create the shape of '" + name + "'"),
                 H5Sclose);
        const Id dcpl = creation_list(shape, H5T_IEEE_F64LE);
        return Id(must(H5Dcreate2(parent, name.c_str(), H5T_IEEE_F64LE, space.get(), lcpl_.get(),
                                  dcpl.get(), dapl_.get()),
                       "cannot create dataset '" + name + "'"),
                  H5Dclose);
    }

    /// Writes the whole of a dataset made by create_doubles.
    void fill_doubles(hid_t parent, const std::string& name, const double* data) const {
        const Id set(
            must(H5Dopen2(parent, name.c_str(), dapl_.get()), "cannot open dataset '" + name + "'"),
            H5Dclose);
        must_ok(H5Dwrite(set.get(), H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, data),
                "cannot write dataset '" + name + "'");
    }

    Id strings(hid_t parent, const std::string& name,
               const std::vector<std::string>& values) const {
        std::vector<const char*> pointers;
        pointers.reserve(values.size());
        for (const std::string& v : values) {
            no_nul(name, v);
            pointers.push_back(v.c_str());
        }
        return dataset(parent, name, {values.size()}, string_.get(), string_.get(),
                       pointers.data());
    }

    void attribute(hid_t object, const std::string& name, const std::string& value) const {
        no_nul(name, value);
        Id space(must(H5Screate(H5S_SCALAR), "cannot create a scalar"), H5Sclose);
        const char* text = value.c_str();
        write_attribute(object, name, string_.get(), string_.get(), space.get(), &text);
    }

    void attribute(hid_t object, const std::string& name,
                   const std::vector<std::string>& values) const {
        const hsize_t n = values.size();
        Id space(must(H5Screate_simple(1, &n, nullptr), "cannot create a shape"), H5Sclose);
        std::vector<const char*> pointers;
        for (const std::string& v : values) {
            no_nul(name, v);
            pointers.push_back(v.c_str());
        }
        write_attribute(object, name, string_.get(), string_.get(), space.get(), pointers.data());
    }

    void attribute(hid_t object, const std::string& name, double value) const {
        Id space(must(H5Screate(H5S_SCALAR), "cannot create a scalar"), H5Sclose);
        write_attribute(object, name, H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, space.get(), &value);
    }

    void attribute(hid_t object, const std::string& name, const std::vector<double>& values) const {
        const hsize_t n = values.size();
        Id space(must(H5Screate_simple(1, &n, nullptr), "cannot create a shape"), H5Sclose);
        write_attribute(object, name, H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, space.get(),
                        values.data());
    }

    void attribute(hid_t object, const std::string& name, std::int64_t value) const {
        Id space(must(H5Screate(H5S_SCALAR), "cannot create a scalar"), H5Sclose);
        write_attribute(object, name, H5T_STD_I64LE, H5T_NATIVE_INT64, space.get(), &value);
    }

    void attribute(hid_t object, const std::string& name, std::uint64_t value) const {
        Id space(must(H5Screate(H5S_SCALAR), "cannot create a scalar"), H5Sclose);
        write_attribute(object, name, H5T_STD_U64LE, H5T_NATIVE_UINT64, space.get(), &value);
    }

    void attribute(hid_t object, const std::string& name,
                   const std::vector<std::uint8_t>& values) const {
        const hsize_t n = values.size();
        Id space(must(H5Screate_simple(1, &n, nullptr), "cannot create a shape"), H5Sclose);
        write_attribute(object, name, H5T_STD_U8LE, H5T_NATIVE_UINT8, space.get(), values.data());
    }

private:
    // HDF5's strings end at their first NUL, so the rest of such a text would silently vanish
    // from the file. The scenario loader refuses NULs; this guards every other caller.
    static void no_nul(const std::string& name, const std::string& value) {
        if (value.find('\0') != std::string::npos) {
            throw Failure{"'" + name +
                          "' holds a NUL character, which an HDF5 string cannot store"};
        }
    }

    // The creation properties of one dataset. Numeric arrays of replicates are chunked by whole
    // replicates and compressed (byte shuffle + deflate: lossless, deterministic, and read by
    // every HDF5 and netCDF-4 library); small ones and strings stay contiguous.
    [[nodiscard]] Id creation_list(const std::vector<hsize_t>& shape, hid_t file_type) const {
        Id p(must(H5Pcopy(dcpl_.get()), "cannot copy a property list"), H5Pclose);
        hsize_t elements = 1;
        for (const hsize_t d : shape) {
            elements *= d;
        }
        if (!compress_ || elements < COMPRESS_FROM || shape.empty() ||
            H5Tis_variable_str(file_type) > 0) {
            return p;
        }
        std::vector<hsize_t> chunk = shape;
        hsize_t per_replicate = 1;
        for (std::size_t k = 1; k < shape.size(); ++k) {
            per_replicate *= shape[k];
        }
        chunk[0] =
            std::max<hsize_t>(1, std::min<hsize_t>(shape[0], CHUNK_ELEMENTS / per_replicate));
        must_ok(H5Pset_chunk(p.get(), static_cast<int>(chunk.size()), chunk.data()),
                "cannot set the chunk shape");
        must_ok(H5Pset_shuffle(p.get()), "cannot set the shuffle filter");
        must_ok(H5Pset_deflate(p.get(), DEFLATE_LEVEL), "cannot set the deflate filter");
        return p;
    }

    /// Datasets with fewer elements than this are not worth a chunk index.
    static constexpr hsize_t COMPRESS_FROM = 1024;
    /// About 512 KiB of float64 per chunk: large enough to compress well, small enough that
    /// reading one replicate does not inflate the whole array.
    static constexpr hsize_t CHUNK_ELEMENTS = 65536;
    /// zlib level 4: most of level 9's ratio on these series at a fraction of its time.
    static constexpr unsigned DEFLATE_LEVEL = 4;

    // Truncates the file to nothing through HDF5's own descriptor (the sec2 driver's).
    void empty_the_file() const noexcept {
        void* handle = nullptr;
        if (H5Fget_vfd_handle(file_.get(), fapl_.get(), &handle) >= 0 && handle != nullptr) {
            const int fd = *static_cast<int*>(handle);
            if (fd >= 0) {
                [[maybe_unused]] const int ignored = ::ftruncate(fd, 0);
            }
        }
        H5Eclear2(H5E_DEFAULT);
    }

    Id fcpl_;
    Id fapl_;
    Id gcpl_;
    Id dcpl_;
    Id lcpl_;
    Id string_;
    bool compress_; // zlib is optional in HDF5 builds; without it, write uncompressed
    Id dapl_;
    Id file_;
};

// Dimension scales attached as H5DSattach_scale attaches them — the same DIMENSION_LIST
// attribute on each dataset and REFERENCE_LIST attribute on each scale, so h5py, netCDF-4 and
// xarray read the same file — except that each scale's REFERENCE_LIST is written once, when
// every dataset is attached. H5DSattach_scale deletes and rewrites that list on every call, so
// a file of n datasets held n rewritten copies of a growing list: 16,000 indicators of 26
// values each made a 1.4 GB file of 3.3 MB of data.
class DimensionScales {
public:
    /// Makes `scale` a dimension scale called `name` (H5DSset_scale: CLASS and NAME).
    void set_scale(const Id& scale, const std::string& name) {
        must_ok(H5DSset_scale(scale.get(), name.c_str()),
                "cannot make '/" + name + "' a dimension scale");
        references_.emplace_back(scale.get(), std::vector<Entry>{});
    }

    /// Attaches scales[k] to dimension k of `dataset` (scales.size() is the dataset's rank).
    void attach(hid_t dataset, std::initializer_list<const Id*> scales, const std::string& name) {
        const std::string what = "cannot attach the axes to '" + name + "'";
        hobj_ref_t self{};
        must_ok(H5Rcreate(&self, dataset, ".", H5R_OBJECT, -1), what);
        std::vector<hobj_ref_t> refs(scales.size());
        std::vector<hvl_t> list(scales.size());
        unsigned dim = 0;
        for (const Id* scale : scales) {
            must_ok(H5Rcreate(&refs[dim], scale->get(), ".", H5R_OBJECT, -1), what);
            list[dim].len = 1;
            list[dim].p = &refs[dim];
            entries_of(scale->get()).push_back(Entry{self, dim});
            ++dim;
        }
        const Id type(must(H5Tvlen_create(H5T_STD_REF_OBJ), what), H5Tclose);
        const hsize_t rank = list.size();
        const Id space(must(H5Screate_simple(1, &rank, nullptr), what), H5Sclose);
        const Id attr(must(H5Acreate2(dataset, "DIMENSION_LIST", type.get(), space.get(),
                                      H5P_DEFAULT, H5P_DEFAULT),
                           what),
                      H5Aclose);
        must_ok(H5Awrite(attr.get(), type.get(), list.data()), what);
    }

    /// Writes every scale's REFERENCE_LIST (before the scales are closed).
    void finish() {
        // The compound type H5DS gives the list: {dataset: object reference, dimension: int}
        // laid out as its ds_list_t.
        const Id type(must(H5Tcreate(H5T_COMPOUND, sizeof(Entry)), "cannot create a type"),
                      H5Tclose);
        must_ok(H5Tinsert(type.get(), "dataset", HOFFSET(Entry, ref), H5T_STD_REF_OBJ),
                "cannot create a type");
        must_ok(H5Tinsert(type.get(), "dimension", HOFFSET(Entry, dim_idx), H5T_NATIVE_INT),
                "cannot create a type");
        for (const auto& [scale, entries] : references_) {
            if (entries.empty()) {
                continue;
            }
            const hsize_t n = entries.size();
            const Id space(must(H5Screate_simple(1, &n, nullptr), "cannot create a shape"),
                           H5Sclose);
            const Id attr(must(H5Acreate2(scale, "REFERENCE_LIST", type.get(), space.get(),
                                          H5P_DEFAULT, H5P_DEFAULT),
                               "cannot write the dimension scales' reference lists"),
                          H5Aclose);
            must_ok(H5Awrite(attr.get(), type.get(), entries.data()),
                    "cannot write the dimension scales' reference lists");
        }
    }

private:
    struct Entry { // H5DS's ds_list_t
        hobj_ref_t ref;
        unsigned int dim_idx;
    };

    std::vector<Entry>& entries_of(hid_t scale) {
        for (auto& [id, entries] : references_) {
            if (id == scale) {
                return entries;
            }
        }
        throw Failure{"a dataset was attached to an axis that is not a dimension scale"};
    }

    std::vector<std::pair<hid_t, std::vector<Entry>>> references_;
};

// The shared axes: /time, /time_label and /replicate, and the scales' bookkeeping.
struct Axes {
    Id time;
    Id replicate;
    DimensionScales* scales;
};

void attach(hid_t dataset, const Axes& axes, bool with_time, const std::string& name) {
    if (with_time) {
        axes.scales->attach(dataset, {&axes.replicate, &axes.time}, name);
    } else {
        axes.scales->attach(dataset, {&axes.replicate}, name);
    }
}

// The unit under Canopy's name and under the CF name xarray and plotting tools read.
void unit_attributes(const Writer& w, hid_t object, const std::string& unit,
                     const std::string& long_name) {
    w.attribute(object, "unit", unit);
    w.attribute(object, "units", unit);
    w.attribute(object, "long_name", long_name);
}

Axes write_axes(const Writer& w, const EnsembleSummary& s, DimensionScales& scales) {
    const engine::Calendar& cal = s.calendar;
    const int rows = cal.steps() + 1;
    std::vector<double> months(static_cast<std::size_t>(rows));
    std::vector<std::string> labels(static_cast<std::size_t>(rows));
    for (int r = 0; r < rows; ++r) {
        months[static_cast<std::size_t>(r)] = cal.months_at_start(r);
        labels[static_cast<std::size_t>(r)] = row_label(cal, r);
    }
    Id time = w.doubles(w.root(), "time", {static_cast<hsize_t>(rows)}, months.data());
    scales.set_scale(time, "time");
    // "months", not "months since ...": xarray would try (and fail) to decode calendar months.
    w.attribute(time.get(), "units", std::string("months"));
    w.attribute(time.get(), "long_name",
                "months from the start of " + cal.start().str() + " to the end of the row's step");
    w.attribute(time.get(), "start", cal.start().str());
    w.attribute(time.get(), "time_step", std::string(time_step_name(cal.unit())));
    w.attribute(time.get(), "axis", std::string("T"));

    std::vector<std::uint32_t> numbers(s.replicates);
    for (std::size_t r = 0; r < s.replicates; ++r) {
        numbers[r] = s.first_replicate + static_cast<std::uint32_t>(r);
    }
    Id replicate = w.dataset(w.root(), "replicate", {static_cast<hsize_t>(s.replicates)},
                             H5T_STD_U32LE, H5T_NATIVE_UINT32, numbers.data());
    scales.set_scale(replicate, "replicate");
    w.attribute(replicate.get(), "long_name",
                std::string("replicate number (its random stream is keyed by seed and number)"));

    Id label = w.strings(w.root(), "time_label", labels);
    w.attribute(label.get(), "long_name",
                std::string("the month whose end each row is (row 0: the initial state)"));
    Axes axes{std::move(time), std::move(replicate), &scales};
    scales.attach(label.get(), {&axes.time}, "/time_label");
    return axes;
}

// The attributes of /indicators/<id>: units, kind, definition and the finals' spread.
void indicator_attributes(const Writer& w, hid_t set, const EnsembleSummary& s, std::size_t i) {
    const engine::IndicatorSpec& spec = s.indicators.specs()[i];
    unit_attributes(w, set, spec.unit, spec.description.empty() ? spec.id : spec.description);
    w.attribute(set, "kind", std::string(engine::to_string(spec.kind)));
    w.attribute(set, "description", spec.description);
    switch (spec.kind) {
    case engine::IndicatorSpec::Kind::stock:
        w.attribute(set, "series", spec.series);
        w.attribute(set, "at", spec.at.str());
        break;
    case engine::IndicatorSpec::Kind::flow:
        w.attribute(set, "series", spec.series);
        w.attribute(set, "from", spec.from.str());
        w.attribute(set, "to", spec.to.str());
        break;
    case engine::IndicatorSpec::Kind::growth:
        w.attribute(set, "series", spec.series);
        w.attribute(set, "from", spec.from.str());
        w.attribute(set, "at", spec.at.str());
        break;
    case engine::IndicatorSpec::Kind::ratio:
        w.attribute(set, "numerator", spec.numerator);
        w.attribute(set, "denominator", spec.denominator);
        break;
    case engine::IndicatorSpec::Kind::change:
        w.attribute(set, "of", spec.of);
        w.attribute(set, "from", spec.from.str());
        break;
    }
    w.attribute(set, "scale", spec.scale);
    w.attribute(set, "final_mean", s.indicator_stats[i].mean);
    w.attribute(set, "final_median", s.indicator_stats[i].median);
    w.attribute(set, "final_q05", s.indicator_stats[i].q05);
    w.attribute(set, "final_q95", s.indicator_stats[i].q95);
}

// The indicators are created in scenario order (the order readers list them in) and filled in
// evaluation order, each once: a ratio's inputs are kept only until their last ratio is
// written, so a chain of ratios costs one pass, not one pass per link.
void write_indicators(const Writer& w, hid_t parent, const Axes& axes, const RunData& run) {
    const EnsembleSummary& s = run.summary;
    const engine::IndicatorSet& set = s.indicators;
    Id group = w.group(parent, "indicators");
    const auto n_rows = static_cast<std::size_t>(s.calendar.steps() + 1);
    const std::vector<hsize_t> shape{s.replicates, n_rows};
    const auto& specs = set.specs();
    std::vector<int> uses(specs.size(), 0); // ratios still to be written that read each one
    for (std::size_t i = 0; i < specs.size(); ++i) {
        const Id created = w.create_doubles(group.get(), specs[i].id, shape);
        indicator_attributes(w, created.get(), s, i);
        attach(created.get(), axes, true, "indicators/" + specs[i].id);
        for (const int k : set.inputs(i)) {
            if (k >= 0) {
                ++uses[static_cast<std::size_t>(k)];
            }
        }
    }
    std::unordered_map<std::size_t, std::vector<double>> kept;
    std::vector<double> data(s.replicates * n_rows);
    for (const std::size_t i : set.order()) {
        const std::array<int, 2> in = set.inputs(i);
        for (std::size_t r = 0; r < s.replicates; ++r) {
            const auto part = [&](int k) -> std::span<const double> {
                return k < 0 ? std::span<const double>{}
                             : std::span<const double>(
                                   &kept.at(static_cast<std::size_t>(k))[r * n_rows], n_rows);
            };
            set.series(i, run.ensemble.runs[r], std::span<double>(&data[r * n_rows], n_rows),
                       part(in[0]), part(in[1]));
        }
        w.fill_doubles(group.get(), specs[i].id, data.data());
        for (const int k : in) {
            if (k >= 0 && --uses[static_cast<std::size_t>(k)] == 0) {
                kept.erase(static_cast<std::size_t>(k));
            }
        }
        if (uses[i] > 0) {
            kept.emplace(i, data);
        }
    }
}

void write_series(const Writer& w, hid_t parent, const Axes& axes, const engine::ModelInfo& model,
                  const RunData& run) {
    const EnsembleSummary& s = run.summary;
    Id group = w.group(parent, "series");
    const auto n_rows = static_cast<std::size_t>(s.calendar.steps() + 1);
    std::vector<double> data(s.replicates * n_rows);
    for (std::size_t k = 0; k < model.series.size(); ++k) {
        const engine::SeriesSpec& spec = model.series[k];
        for (std::size_t r = 0; r < s.replicates; ++r) {
            const engine::SeriesTable& table = run.ensemble.runs[r];
            for (std::size_t row = 0; row < n_rows; ++row) {
                data[r * n_rows + row] = table.at(static_cast<int>(row), static_cast<int>(k));
            }
        }
        Id set = w.doubles(group.get(), spec.name, {s.replicates, n_rows}, data.data());
        unit_attributes(w, set.get(), spec.unit,
                        spec.description.empty() ? spec.name : spec.description);
        w.attribute(set.get(), "kind",
                    std::string(spec.kind == engine::SeriesKind::stock ? "stock" : "flow"));
        w.attribute(set.get(), "description", spec.description);
        attach(set.get(), axes, true, "series/" + spec.name);
    }
}

void write_parameters(const Writer& w, hid_t parent, const Axes& axes,
                      const engine::ModelInfo& model, const engine::Scenario& scenario,
                      const RunData& run) {
    const EnsembleSummary& s = run.summary;
    Id group = w.group(parent, "parameters");
    std::vector<double> data(s.replicates);
    for (std::size_t p = 0; p < model.parameters.size(); ++p) {
        const engine::ParameterSpec& spec = model.parameters[p];
        for (std::size_t r = 0; r < s.replicates; ++r) {
            data[r] = run.ensemble.parameters[r][p];
        }
        Id set = w.doubles(group.get(), spec.name, {s.replicates}, data.data());
        unit_attributes(w, set.get(), spec.unit,
                        spec.description.empty() ? spec.name : spec.description);
        w.attribute(set.get(), "description", spec.description);
        w.attribute(
            set.get(), "role",
            std::string(spec.role == engine::ParameterRole::baseline ? "baseline" : "parameter"));
        const engine::ParameterSetting& setting = scenario.parameters[p];
        if (drawn_from_posterior(scenario, p)) {
            // Each replicate drew a row of the posterior: the prior it replaced did not run.
            // The values drawn are the dataset itself.
            w.attribute(set.get(), "distribution", std::string("posterior"));
            w.attribute(set.get(), "posterior", posterior_file(*scenario.joint_draws));
            w.attribute(set.get(), "source", setting.provenance.source);
            w.attribute(set.get(), "assumption", std::string());
        } else {
            w.attribute(set.get(), "distribution",
                        std::string(engine::to_string(setting.value.kind)));
            w.attribute(set.get(), "source", setting.provenance.source);
            w.attribute(set.get(), "assumption", setting.provenance.assumption);
        }
        attach(set.get(), axes, false, "parameters/" + spec.name);
    }
}

void write_targets(const Writer& w, hid_t parent, const Axes& axes, const RunData& run) {
    const EnsembleSummary& s = run.summary;
    Id group = w.group(parent, "targets");
    std::vector<std::uint8_t> attained(s.replicates);
    for (const TargetResult& t : s.targets) {
        const engine::TargetSummary& ts = t.summary;
        Id tg = w.group(group.get(), ts.id);
        w.attribute(tg.get(), "indicator", t.indicator);
        w.attribute(tg.get(), "comparison", std::string(engine::to_string(ts.comparison)));
        w.attribute(tg.get(), "threshold", ts.threshold);
        w.attribute(tg.get(), "unit", ts.unit);
        w.attribute(tg.get(), "p_attain", ts.p_attain);
        w.attribute(tg.get(), "p_attain_ci",
                    std::vector<double>{ts.p_attain_ci.lo, ts.p_attain_ci.hi});
        w.attribute(tg.get(), "interval", std::string(interval_name(s.interval)));
        w.attribute(tg.get(), "confidence", s.confidence);
        // As the table says it (under a precision rule, on the looks' interval: the root's
        // verdict_confidence).
        w.attribute(tg.get(), "verdict", std::string(to_string(target_verdict(t))));
        w.attribute(tg.get(), "attained", static_cast<std::uint64_t>(ts.attained));
        // Replicates whose final is NaN (undefined), missed like the rest: a reader counting
        // NaN in `final` finds the same number, but should not have to know to.
        w.attribute(tg.get(), "undefined", static_cast<std::uint64_t>(ts.undefined));
        w.attribute(tg.get(), "replicates", static_cast<std::uint64_t>(ts.replicates));
        w.attribute(tg.get(), "description", t.description);
        w.attribute(tg.get(), "source", t.source);
        w.attribute(tg.get(), "assumption", t.assumption);
        // 0: the simulated dynamics move the final value; 1: the inputs fix it, decided by the
        // comma-separated `determined_by` (empty when no single input could be isolated).
        w.attribute(tg.get(), "determined_by_inputs",
                    static_cast<std::uint64_t>(t.determination.by_inputs ? 1 : 0));
        std::string deciders;
        for (const std::string& name : t.determination.inputs) {
            deciders += (deciders.empty() ? "" : ",") + name;
        }
        w.attribute(tg.get(), "determined_by", deciders);

        const std::vector<double>& finals = s.finals[t.indicator_index];
        Id final_set = w.doubles(tg.get(), "final", {s.replicates}, finals.data());
        unit_attributes(w, final_set.get(), ts.unit, "final value of indicator " + t.indicator);
        attach(final_set.get(), axes, false, "targets/" + ts.id + "/final");

        for (std::size_t r = 0; r < s.replicates; ++r) {
            attained[r] = engine::attained(ts.comparison, finals[r], ts.threshold) ? 1 : 0;
        }
        Id attained_set = w.dataset(tg.get(), "attained", {s.replicates}, H5T_STD_U8LE,
                                    H5T_NATIVE_UINT8, attained.data());
        w.attribute(attained_set.get(), "long_name",
                    "1 when the replicate's final " + t.indicator + " is " +
                        engine::to_string(ts.comparison) + " the threshold");
        w.attribute(attained_set.get(), "flag_values", std::vector<std::uint8_t>{0, 1});
        w.attribute(attained_set.get(), "flag_meanings", std::string("missed attained"));
        attach(attained_set.get(), axes, false, "targets/" + ts.id + "/attained");
    }
}

void write_run(const Writer& w, hid_t parent, const Axes& axes, const engine::ModelInfo& model,
               const engine::Scenario& scenario, const RunData& run) {
    write_indicators(w, parent, axes, run);
    write_series(w, parent, axes, model, run);
    write_parameters(w, parent, axes, model, scenario, run);
    write_targets(w, parent, axes, run);
}

void write_root_attributes(const Writer& w, const engine::Scenario& scenario, const RunData& base,
                           std::span<const RunData> mixes) {
    const EnsembleSummary& s = base.summary;
    const hid_t root = w.root();
    w.attribute(root, "scenario", s.scenario);
    w.attribute(root, "title", s.title);
    w.attribute(root, "description", scenario.description);
    w.attribute(root, "model", s.model);
    w.attribute(root, "seed", static_cast<std::uint64_t>(s.seed));
    w.attribute(root, "replicates", static_cast<std::uint64_t>(s.replicates));
    w.attribute(root, "first_replicate", static_cast<std::uint64_t>(s.first_replicate));
    w.attribute(root, "engine_version", std::string(CANOPY_VERSION));
    w.attribute(root, "policy_mix", s.policy_mix);
    std::vector<std::string> names;
    for (const RunData& m : mixes) {
        names.push_back(m.summary.policy_mix);
    }
    if (!names.empty()) {
        w.attribute(root, "policy_mixes", names);
    }
    w.attribute(root, "time_step", std::string(time_step_name(s.calendar.unit())));
    w.attribute(root, "start", s.calendar.start().str());
    w.attribute(root, "end", s.calendar.end().str());
    w.attribute(root, "steps", static_cast<std::int64_t>(s.calendar.steps()));
    w.attribute(root, "interval", std::string(interval_name(s.interval)));
    w.attribute(root, "confidence", s.confidence);
    if (s.precision > 0.0) {
        w.attribute(root, "precision", s.precision);
        w.attribute(root, "max_replicates", static_cast<std::uint64_t>(s.max_replicates));
        w.attribute(root, "precision_settled", static_cast<std::uint64_t>(s.precision_settled));
        w.attribute(root, "verdict_confidence",
                    s.verdict_confidence > 0.0 ? s.verdict_confidence : s.confidence);
    }
    w.attribute(root, "scenario_text", scenario.text);
    // xarray reads a global "coordinates" attribute as the list of coordinate variables, so
    // time_label shows up beside the time axis instead of as data.
    w.attribute(root, "coordinates", std::string("time_label"));
}

std::string consistency_problem(const engine::Scenario& scenario, const engine::ModelInfo& model,
                                const RunData& run, const RunData& base) {
    const EnsembleSummary& s = run.summary;
    const engine::Ensemble& e = run.ensemble;
    const std::string name = "run '" + s.policy_mix + "'";
    if (e.replicates() != s.replicates || e.first_replicate != s.first_replicate) {
        return name + ": the summary does not describe the ensemble (replicates differ)";
    }
    if (s.replicates == 0) {
        return name + " has no replicates";
    }
    if (s.replicates != base.summary.replicates ||
        s.first_replicate != base.summary.first_replicate ||
        s.calendar.steps() != base.summary.calendar.steps() ||
        s.calendar.start() != base.summary.calendar.start() ||
        s.calendar.unit() != base.summary.calendar.unit()) {
        return name + " has different replicates or a different calendar than '" +
               base.summary.policy_mix + "'";
    }
    if (scenario.parameters.size() != model.parameters.size()) {
        return "scenario '" + scenario.name + "' does not match model '" + model.name + "'";
    }
    if (s.finals.size() != s.indicators.size() || s.indicator_stats.size() != s.indicators.size()) {
        return name + ": the summary's indicators are incomplete";
    }
    for (const TargetResult& t : s.targets) {
        if (t.indicator_index >= s.finals.size()) {
            return name + ": target '" + t.summary.id + "' refers to a missing indicator";
        }
    }
    const int rows = s.calendar.steps() + 1;
    for (std::size_t r = 0; r < e.replicates(); ++r) {
        if (e.runs[r].rows != rows || e.runs[r].series != static_cast<int>(model.series.size()) ||
            e.parameters.size() != e.runs.size() ||
            e.parameters[r].size() != model.parameters.size()) {
            return name + ": replicate " + std::to_string(r) + " does not match model '" +
                   model.name + "' and the calendar (" + row_text(rows) + " rows)";
        }
    }
    for (const auto& finals : s.finals) {
        if (finals.size() != s.replicates) {
            return name + ": the summary's finals do not have one value per replicate";
        }
    }
    return {};
}

// /comparison: what `canopy compare` printed, one entry per mix (the base first) along the
// first axis of every dataset, so the paired differences travel with the runs they come from.
// The axes are dimension scales of the group, /comparison/mix (the mixes' names) and
// /comparison/bound ("lo", "hi": the ends of an interval), so xarray names the dimensions "mix"
// and "bound" rather than phony_dim_*, and each dataset carries its units, as a run's do.
void write_comparison(const Writer& w, const Comparison& c) {
    Id group = w.group(w.root(), "comparison");
    w.attribute(group.get(), "common_random_numbers",
                static_cast<std::int64_t>(c.common_random_numbers ? 1 : 0));
    w.attribute(group.get(), "confidence", c.confidence);
    w.attribute(group.get(), "currency", c.currency);
    w.attribute(group.get(), "description",
                std::string("per mix (axis 0, the base first): cost, medians, P(attain) and the "
                            "paired differences from the base with their confidence intervals"));
    const std::size_t n = c.mixes.size();
    std::vector<std::string> names;
    std::vector<double> cost;
    std::vector<std::uint8_t> over;
    for (const MixComparison& m : c.mixes) {
        names.push_back(m.name);
        cost.push_back(m.cost);
        over.push_back(m.over_budget ? 1U : 0U);
    }
    DimensionScales scales;
    const Id mix = w.strings(group.get(), "mix", names);
    scales.set_scale(mix, "mix");
    w.attribute(mix.get(), "long_name", std::string("policy mix (the base first)"));
    const Id bound = w.strings(group.get(), "bound", {"lo", "hi"});
    scales.set_scale(bound, "bound");
    w.attribute(bound.get(), "long_name",
                std::string("end of the confidence interval (lower, upper)"));
    {
        const Id set = w.doubles(group.get(), "cost", {n}, cost.data());
        unit_attributes(w, set.get(), c.currency,
                        "mean cost of the mix over the replicates, every lever");
        scales.attach(set.get(), {&mix}, "comparison/cost");
    }
    {
        const Id set =
            w.dataset(group.get(), "over_budget", {n}, H5T_STD_U8LE, H5T_NATIVE_UINT8, over.data());
        w.attribute(set.get(), "long_name",
                    std::string("1 when the mix's mean cost is over a budget cap"));
        w.attribute(set.get(), "flag_values", std::vector<std::uint8_t>{0, 1});
        w.attribute(set.get(), "flag_meanings", std::string("within over"));
        scales.attach(set.get(), {&mix}, "comparison/over_budget");
    }
    Id targets = w.group(group.get(), "targets");
    for (std::size_t t = 0; t < c.targets.size(); ++t) {
        const std::string& id = c.targets[t].id;
        const std::string& unit = c.targets[t].unit;
        Id target = w.group(targets.get(), id);
        w.attribute(target.get(), "units", unit);
        w.attribute(target.get(), "comparison",
                    std::string(engine::to_string(c.targets[t].comparison)));
        w.attribute(target.get(), "threshold", c.targets[t].threshold);
        const auto column = [&](double TargetComparison::*field) {
            std::vector<double> v;
            for (const MixComparison& m : c.mixes) {
                v.push_back(m.targets.at(t).*field);
            }
            return v;
        };
        const auto pairs = [&](engine::Interval TargetComparison::*field) {
            std::vector<double> v;
            for (const MixComparison& m : c.mixes) {
                v.push_back((m.targets.at(t).*field).lo);
                v.push_back((m.targets.at(t).*field).hi);
            }
            return v;
        };
        // Each dataset with its units ("1": a fraction) and what it is, on the mix axis (and
        // the bound axis for an interval).
        const auto put = [&](const std::string& name, const std::vector<double>& values,
                             const std::string& units, const std::string& long_name) {
            const bool interval = values.size() == 2 * n;
            const Id set = interval ? w.doubles(target.get(), name, {n, 2}, values.data())
                                    : w.doubles(target.get(), name, {n}, values.data());
            unit_attributes(w, set.get(), units, long_name);
            const std::string path = "comparison/targets/" + id + "/" + name;
            if (interval) {
                scales.attach(set.get(), {&mix, &bound}, path);
            } else {
                scales.attach(set.get(), {&mix}, path);
            }
        };
        const std::string pct = fmt::format("{:g} %", 100.0 * c.confidence);
        put("median", column(&TargetComparison::median), unit, "median final value of " + id);
        put("p_attain", column(&TargetComparison::p_attain), "1",
            "P(attain) of " + id + " (a fraction)");
        put("p_attain_ci", pairs(&TargetComparison::p_attain_ci), "1",
            pct + " confidence interval of P(attain) of " + id);
        put("delta_median", column(&TargetComparison::delta_median), unit,
            "change in the median final value of " + id + " from the base");
        put("delta_median_ci", pairs(&TargetComparison::delta_median_ci), unit,
            pct + " paired interval of the change in the median of " + id);
        put("delta_p", column(&TargetComparison::delta_p), "1",
            "change in P(attain) of " + id + " from the base (a fraction)");
        put("delta_p_ci", pairs(&TargetComparison::delta_p_ci), "1",
            pct + " paired interval of the change in P(attain) of " + id);
        // Replicates of each mix whose final had no value (counted as missed), as the table's
        // note and the JSON's "undefined" say.
        std::vector<std::uint64_t> undefined;
        for (const MixComparison& m : c.mixes) {
            undefined.push_back(m.targets.at(t).undefined);
        }
        const Id set = w.dataset(target.get(), "undefined", {n}, H5T_STD_U64LE, H5T_NATIVE_UINT64,
                                 undefined.data());
        w.attribute(set.get(), "long_name",
                    "replicates whose final " + id + " has no value (counted as missed)");
        scales.attach(set.get(), {&mix}, "comparison/targets/" + id + "/undefined");
    }
    scales.finish(); // while /comparison/mix and /comparison/bound are still open
}

// The scenario a run was made from: the base with the run's policy mix applied.
engine::Scenario scenario_of(const engine::Scenario& base, const EnsembleSummary& run) {
    return base.with_policy_mix(run.policy_mix == BASE_MIX ? std::string() : run.policy_mix);
}

} // namespace

void skip_hdf5_cleanup_at_exit() {
    // Effective only before HDF5's first use, which is why a program calls it at start-up.
    H5dont_atexit();
}

void write_hdf5(const fs::path& path, const engine::Scenario& scenario,
                const engine::ModelInfo& model, RunData base, std::span<const RunData> mixes,
                const Comparison* comparison) {
    write_hdf5_temporary(path, scenario, model, base, mixes, comparison).commit();
}

TemporaryFile write_hdf5_temporary(const fs::path& path, const engine::Scenario& scenario,
                                   const engine::ModelInfo& model, RunData base,
                                   std::span<const RunData> mixes, const Comparison* comparison) {
    const std::string where = "cannot write HDF5 file '" + path.string() + "': ";
    if (std::string problem = consistency_problem(scenario, model, base, base); !problem.empty()) {
        throw Error(where + problem);
    }
    for (const RunData& m : mixes) {
        if (std::string problem = consistency_problem(scenario, model, m, base); !problem.empty()) {
            throw Error(where + problem);
        }
    }
    if (std::string problem = output_path_problem(path); !problem.empty()) {
        throw Error(where + problem);
    }

    TemporaryFile temp(path);
    try {
        const QuietErrors quiet;
        Writer w(temp.path());
        {
            DimensionScales scales;
            const Axes axes = write_axes(w, base.summary, scales);
            write_root_attributes(w, scenario, base, mixes);
            // The root run may itself be a policy mix (--policy-mix): its parameters'
            // attributes (distribution, source) must describe that mix, not the base.
            write_run(w, w.root(), axes, model, scenario_of(scenario, base.summary), base);
            if (!mixes.empty()) {
                Id group = w.group(w.root(), "policy_mixes");
                for (const RunData& m : mixes) {
                    Id mix = w.group(group.get(), m.summary.policy_mix);
                    w.attribute(mix.get(), "description", m.summary.policy_mix_description);
                    write_run(w, mix.get(), axes, model, scenario_of(scenario, m.summary), m);
                }
            }
            scales.finish();
            if (comparison != nullptr) {
                write_comparison(w, *comparison);
            }
        } // every dataset and group closed here, so the file can close
        w.close();
    } catch (const Failure& f) {
        throw Error(where + f.what);
    } catch (const Error& e) {
        throw Error(where + e.what());
    }
    return temp;
}

} // namespace canopy::output
