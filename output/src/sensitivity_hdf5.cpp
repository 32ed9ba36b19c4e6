// The indices of `canopy sensitivity --out`, added under /sensitivity to a copy of the sweep
// result (sensitivity.hpp has the layout). The copy is a new file that holds every object of the
// result but its old /sensitivity, with the same values, attributes and dimension scales: HDF5
// does not reuse the space of deleted objects in a file it reopens, so copying the file and
// replacing /sensitivity in it made the file grow by the old indices at every update. The new
// datasets share the result's /factor and /time dimension scales, so xarray names their
// dimensions as it does the sweep's own.
#include <canopy/detail/hdf5_support.hpp>
#include <canopy/engine/error.hpp>
#include <canopy/output/sensitivity.hpp>

#include <hdf5.h>
#include <hdf5_hl.h>

#include <cmath>
#include <cstdint>
#include <optional>
#include <sys/statvfs.h>
#include <vector>

namespace canopy::output {

namespace {

namespace fs = std::filesystem;
using experiments::DesignKind;
using experiments::Estimate;
using experiments::OutputSensitivity;
using experiments::SweepSensitivity;

constexpr const char* GROUP = "sensitivity";

// Failure, Id, must, QuietErrors and the rest of the shared HDF5 plumbing.
using namespace canopy::detail::hdf5;

/// Writes into an open sweep result: groups, datasets on its scales, attributes; as the sweep
/// writes them (no timestamps, creation order kept, UTF-8 names).
class Writer {
public:
    explicit Writer(const fs::path& file)
        : fapl_(file_access_list())
        , gcpl_(group_creation_list())
        , dcpl_(dataset_creation_list())
        , lcpl_(link_creation_list())
        , string_(string_type())
        , file_(open(file), H5Fclose) {}

    [[nodiscard]] hid_t root() const { return file_.get(); }
    void close() { file_.close("cannot close the file"); }

    /// The root's dimension scale `name`, if the file has one.
    [[nodiscard]] std::optional<Id> scale(const std::string& name) const {
        if (H5Lexists(root(), name.c_str(), H5P_DEFAULT) <= 0) {
            return std::nullopt;
        }
        Id set(must(H5Dopen2(root(), name.c_str(), H5P_DEFAULT), "cannot open '/" + name + "'"),
               H5Dclose);
        if (H5DSis_scale(set.get()) <= 0) {
            return std::nullopt;
        }
        return set;
    }

    /// Creates the group at `path` (relative to `parent`), and any groups above it.
    [[nodiscard]] Id group(hid_t parent, const std::string& path) const {
        return Id(must(H5Gcreate2(parent, path.c_str(), lcpl_.get(), gcpl_.get(), H5P_DEFAULT),
                       "cannot create group '" + path + "'"),
                  H5Gclose);
    }

    Id doubles(hid_t parent, const std::string& name, const std::vector<hsize_t>& shape,
               const std::vector<double>& data) const {
        return dataset(parent, name, shape, H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, data.size(),
                       data.data());
    }

    /// Counts, stored as unsigned 64-bit integers.
    Id counts(hid_t parent, const std::string& name, const std::vector<hsize_t>& shape,
              const std::vector<std::uint64_t>& data) const {
        return dataset(parent, name, shape, H5T_STD_U64LE, H5T_NATIVE_UINT64, data.size(),
                       data.data());
    }

    Id strings(hid_t parent, const std::string& name,
               const std::vector<std::string>& values) const {
        const hsize_t n = values.size();
        Id space(must(H5Screate_simple(1, &n, nullptr), "cannot create a shape"), H5Sclose);
        Id set(must(H5Dcreate2(parent, name.c_str(), string_.get(), space.get(), lcpl_.get(),
                               dcpl_.get(), H5P_DEFAULT),
                    "cannot create dataset '" + name + "'"),
               H5Dclose);
        std::vector<const char*> p;
        for (const std::string& v : values) {
            p.push_back(v.c_str());
        }
        if (!p.empty()) {
            must_ok(H5Dwrite(set.get(), string_.get(), H5S_ALL, H5S_ALL, H5P_DEFAULT, p.data()),
                    "cannot write dataset '" + name + "'");
        }
        return set;
    }

    void attribute(hid_t object, const std::string& name, const std::string& value) const {
        const char* text = value.c_str();
        scalar_attribute(object, name, string_.get(), string_.get(), &text);
    }
    void attribute(hid_t object, const std::string& name, double value) const {
        scalar_attribute(object, name, H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, &value);
    }
    void attribute(hid_t object, const std::string& name, std::uint64_t value) const {
        scalar_attribute(object, name, H5T_STD_U64LE, H5T_NATIVE_UINT64, &value);
    }

private:
    hid_t open(const fs::path& file) {
        must_ok(H5Pset_create_intermediate_group(lcpl_.get(), 1), "cannot set group creation");
        return must(H5Fopen(file.c_str(), H5F_ACC_RDWR, fapl_.get()), "cannot open the file");
    }

    Id dataset(hid_t parent, const std::string& name, const std::vector<hsize_t>& shape,
               hid_t file_type, hid_t memory_type, std::size_t size, const void* data) const {
        Id space(must(H5Screate_simple(static_cast<int>(shape.size()), shape.data(), nullptr),
                      "cannot create the shape of '" + name + "'"),
                 H5Sclose);
        Id set(must(H5Dcreate2(parent, name.c_str(), file_type, space.get(), lcpl_.get(),
                               dcpl_.get(), H5P_DEFAULT),
                    "cannot create dataset '" + name + "'"),
               H5Dclose);
        if (size != 0) {
            must_ok(H5Dwrite(set.get(), memory_type, H5S_ALL, H5S_ALL, H5P_DEFAULT, data),
                    "cannot write dataset '" + name + "'");
        }
        return set;
    }

    static void scalar_attribute(hid_t object, const std::string& name, hid_t file_type,
                                 hid_t memory_type, const void* data) {
        Id space(must(H5Screate(H5S_SCALAR), "cannot create a scalar"), H5Sclose);
        write_attribute(object, name, file_type, memory_type, space.get(), data);
    }

    Id fapl_, gcpl_, dcpl_, lcpl_, string_;
    Id file_;
};

/// The dimension-scale attributes: their object references are addresses in the file that holds
/// them, so they are not copied but made again by attaching the scales in the new file.
bool scale_attribute(const std::string& name) {
    return name == "DIMENSION_LIST" || name == "REFERENCE_LIST";
}

/// The paths (from the root, "" for the root itself) of every object of `file` outside
/// /sensitivity, each once, the root first.
std::vector<std::string> objects_outside_indices(hid_t file) {
    std::vector<std::string> paths{""};
    must_ok(H5Ovisit2(
                file, H5_INDEX_NAME, H5_ITER_INC,
                [](hid_t, const char* name, const H5O_info_t*, void* data) -> herr_t {
                    const std::string path(name);
                    if (path != "." && path != GROUP &&
                        !path.starts_with(std::string(GROUP) + "/")) {
                        static_cast<std::vector<std::string>*>(data)->push_back(path);
                    }
                    return 0;
                },
                &paths, H5O_INFO_BASIC),
            "cannot list the file's objects");
    return paths;
}

/// Copies the attributes of `from` to `to` (in creation order when it is kept), except the
/// dimension-scale attributes. `where` names the object in messages.
void copy_attributes(hid_t from, hid_t to, const std::string& where) {
    H5O_info_t info;
    must_ok(H5Oget_info2(from, &info, H5O_INFO_NUM_ATTRS), "cannot read " + where);
    for (hsize_t k = 0; k < info.num_attrs; ++k) {
        // Creation order when the object keeps it (Canopy's files do), else by name.
        hid_t a = -1;
        H5E_BEGIN_TRY {
            a = H5Aopen_by_idx(from, ".", H5_INDEX_CRT_ORDER, H5_ITER_INC, k, H5P_DEFAULT,
                               H5P_DEFAULT);
        }
        H5E_END_TRY;
        if (a < 0) {
            a = must(
                H5Aopen_by_idx(from, ".", H5_INDEX_NAME, H5_ITER_INC, k, H5P_DEFAULT, H5P_DEFAULT),
                "cannot open an attribute of " + where);
        }
        const Id attr(a, H5Aclose);
        const ssize_t length = H5Aget_name(attr.get(), 0, nullptr);
        std::string name(static_cast<std::size_t>(std::max<ssize_t>(length, 0)), '\0');
        must_ok(
            static_cast<herr_t>(H5Aget_name(attr.get(), name.size() + 1, name.data()) < 0 ? -1 : 0),
            "cannot read an attribute's name of " + where);
        if (scale_attribute(name)) {
            continue;
        }
        const std::string what = "attribute '" + name + "' of " + where;
        const Id type(must(H5Aget_type(attr.get()), "cannot read " + what), H5Tclose);
        if (H5Tdetect_class(type.get(), H5T_REFERENCE) > 0) {
            throw Failure{what + " holds object references, which cannot be copied"};
        }
        check_heap_references(attr.get(), what);
        const Id memory(
            must(H5Tget_native_type(type.get(), H5T_DIR_DEFAULT), "cannot read " + what), H5Tclose);
        const Id space(must(H5Aget_space(attr.get()), "cannot read " + what), H5Sclose);
        const std::size_t count = stored_count(attr.get(), what);
        std::vector<unsigned char> buffer(std::max<std::size_t>(count, 1) *
                                          H5Tget_size(memory.get()));
        must_ok(H5Aread(attr.get(), memory.get(), buffer.data()), "cannot read " + what);
        const bool variable =
            H5Tdetect_class(type.get(), H5T_VLEN) > 0 || H5Tis_variable_str(type.get()) > 0;
        try {
            write_attribute(to, name, type.get(), memory.get(), space.get(), buffer.data());
        } catch (...) {
            if (variable) {
                H5Dvlen_reclaim(memory.get(), space.get(), H5P_DEFAULT, buffer.data());
            }
            throw;
        }
        if (variable) {
            H5Dvlen_reclaim(memory.get(), space.get(), H5P_DEFAULT, buffer.data());
        }
    }
}

/// One attachment of a dimension scale: dataset `set`'s dimension `dim` to scale `scale`.
struct Attachment {
    std::string set;
    unsigned dim;
    std::string scale;
};

/// The scales attached to the datasets at `paths` of `file`.
std::vector<Attachment> attachments(hid_t file, const std::vector<std::string>& paths) {
    std::vector<Attachment> out;
    for (const std::string& path : paths) {
        if (path.empty()) {
            continue;
        }
        const Id object(
            must(H5Oopen(file, path.c_str(), H5P_DEFAULT), "cannot open '/" + path + "'"),
            H5Oclose);
        if (H5Iget_type(object.get()) != H5I_DATASET ||
            H5Aexists(object.get(), "DIMENSION_LIST") <= 0) {
            continue;
        }
        {
            // H5DSiterate_scales follows DIMENSION_LIST into the global heap, which HDF5 trusts.
            const Id list(must(H5Aopen(object.get(), "DIMENSION_LIST", H5P_DEFAULT),
                               "cannot open '/" + path + "'"),
                          H5Aclose);
            check_heap_references(list.get(), "attribute 'DIMENSION_LIST' of '/" + path + "'");
        }
        const Id space(must(H5Dget_space(object.get()), "cannot read the shape of '/" + path + "'"),
                       H5Sclose);
        const int rank = H5Sget_simple_extent_ndims(space.get());
        for (int dim = 0; dim < rank; ++dim) {
            std::vector<std::string> scales;
            must_ok(H5DSiterate_scales(
                        object.get(), static_cast<unsigned>(dim), nullptr,
                        [](hid_t, unsigned, hid_t scale, void* data) -> herr_t {
                            const ssize_t n = H5Iget_name(scale, nullptr, 0);
                            if (n <= 0) {
                                return -1;
                            }
                            std::string name(static_cast<std::size_t>(n), '\0');
                            H5Iget_name(scale, name.data(), name.size() + 1);
                            static_cast<std::vector<std::string>*>(data)->push_back(name);
                            return 0;
                        },
                        &scales),
                    "cannot read the dimension scales of '/" + path + "'");
            for (std::string& scale : scales) {
                out.push_back({path, static_cast<unsigned>(dim), std::move(scale)});
            }
        }
    }
    return out;
}

/// Writes to `target` (a new file) every object of the sweep result `source` but /sensitivity:
/// the root's other members with H5Ocopy, every attribute but the dimension-scale ones, and the
/// same scales attached again. The result's data are not read back here: read_sweep_result has
/// checked them, and the copy is as compact as a file the sweep wrote.
///
/// The copy is made in memory (HDF5's core driver) and written to the file when it is closed:
/// H5Ocopy into a file on a disk that fills meanwhile crashed HDF5 1.10.8 (a segmentation fault
/// in H5T_close_real on its error path, with 45-54 KiB free for a 41 KiB result), where the core
/// driver's one write at the close fails with "No space left on device". The copy holds what the
/// result holds, which sensitivity has read already.
void copy_without_indices(const fs::path& source, const fs::path& target) {
    // The core driver takes room in steps of CORE_STEP: with less free, H5Fcreate fails inside
    // HDF5, and HDF5 1.10.8 leaks its buffer on that path (LeakSanitizer, the ASan suite). Said
    // here instead, before HDF5 is asked.
    constexpr std::size_t CORE_STEP = 64U << 10U;
    struct statvfs disk {};
    const fs::path dir = target.parent_path().empty() ? fs::path(".") : target.parent_path();
    if (::statvfs(dir.c_str(), &disk) == 0 &&
        static_cast<double>(disk.f_bavail) * static_cast<double>(disk.f_frsize) <
            static_cast<double>(CORE_STEP)) {
        throw Failure{"cannot create the file (No space left on device)"};
    }
    const Id fapl = file_access_list();
    const Id memory = file_access_list();
    must_ok(H5Pset_fapl_core(memory.get(), CORE_STEP, true), "cannot make the copy in memory");
    const Id fcpl = file_creation_list();
    const Id lcpl = link_creation_list();
    const Id in(must(H5Fopen(source.c_str(), H5F_ACC_RDONLY, fapl.get()), "cannot open the result"),
                H5Fclose);
    Id out(must(H5Fcreate(target.c_str(), H5F_ACC_TRUNC, fcpl.get(), memory.get()),
                "cannot create the file"),
           H5Fclose);
    const std::vector<std::string> paths = objects_outside_indices(in.get());
    const std::vector<Attachment> scales = attachments(in.get(), paths);
    {
        const Id copy(must(H5Pcreate(H5P_OBJECT_COPY), "cannot make a copy list"), H5Pclose);
        must_ok(H5Pset_copy_object(copy.get(), H5O_COPY_WITHOUT_ATTR_FLAG),
                "cannot set the copy list");
        std::vector<std::string> members;
        must_ok(H5Literate(
                    in.get(), H5_INDEX_NAME, H5_ITER_INC, nullptr,
                    [](hid_t, const char* name, const H5L_info_t* info, void* data) -> herr_t {
                        if (info->type != H5L_TYPE_HARD) {
                            return -1;
                        }
                        static_cast<std::vector<std::string>*>(data)->emplace_back(name);
                        return 0;
                    },
                    &members),
                "cannot list the root group (only hard links can be copied)");
        // Creation order, as the sweep wrote them, when the root keeps it.
        std::vector<std::string> ordered;
        H5G_info_t root;
        must_ok(H5Gget_info(in.get(), &root), "cannot read the root group");
        for (hsize_t k = 0; k < root.nlinks; ++k) {
            ssize_t n = -1;
            H5E_BEGIN_TRY {
                n = H5Lget_name_by_idx(in.get(), ".", H5_INDEX_CRT_ORDER, H5_ITER_INC, k, nullptr,
                                       0, H5P_DEFAULT);
            }
            H5E_END_TRY;
            if (n < 0) {
                ordered = members;
                break;
            }
            std::string name(static_cast<std::size_t>(n), '\0');
            H5Lget_name_by_idx(in.get(), ".", H5_INDEX_CRT_ORDER, H5_ITER_INC, k, name.data(),
                               name.size() + 1, H5P_DEFAULT);
            ordered.push_back(std::move(name));
        }
        for (const std::string& name : ordered) {
            if (name != GROUP) {
                must_ok(H5Ocopy(in.get(), name.c_str(), out.get(), name.c_str(), copy.get(),
                                lcpl.get()),
                        "cannot copy '/" + name + "'");
            }
        }
    }
    for (const std::string& path : paths) {
        const std::string where = path.empty() ? "the root" : "'/" + path + "'";
        const char* name = path.empty() ? "/" : path.c_str();
        const Id from(must(H5Oopen(in.get(), name, H5P_DEFAULT), "cannot open " + where), H5Oclose);
        const Id to(must(H5Oopen(out.get(), name, H5P_DEFAULT), "cannot open the copy of " + where),
                    H5Oclose);
        copy_attributes(from.get(), to.get(), where);
    }
    for (const Attachment& a : scales) {
        const Id set(must(H5Dopen2(out.get(), a.set.c_str(), H5P_DEFAULT),
                          "cannot open the copy of '/" + a.set + "'"),
                     H5Dclose);
        const Id scale(must(H5Dopen2(out.get(), a.scale.c_str(), H5P_DEFAULT),
                            "cannot open the copy of '" + a.scale + "'"),
                       H5Dclose);
        must_ok(H5DSattach_scale(set.get(), scale.get(), a.dim),
                "cannot attach '" + a.scale + "' to '/" + a.set + "'");
    }
    out.close("cannot close the file");
}

/// One statistic over the factors (or over times x factors): its name and values. A count (the
/// bootstrap resamples in which an index was undefined) is held exactly in a double and written
/// as an unsigned 64-bit integer.
struct Column {
    const char* name;
    std::vector<double> values;
    bool count = false;
};

/// The statistics of one analysis, in the layout's order.
std::vector<Column> columns_of(const SweepSensitivity& s, const OutputSensitivity& o) {
    const auto pick = [](const std::vector<Estimate>& e, double Estimate::*field) {
        std::vector<double> v;
        for (const Estimate& x : e) {
            v.push_back(x.*field);
        }
        return v;
    };
    const auto undefined = [](const std::vector<Estimate>& e) {
        std::vector<double> v;
        for (const Estimate& x : e) {
            v.push_back(static_cast<double>(x.undefined));
        }
        return v;
    };
    if (s.design == DesignKind::saltelli) {
        return {{"S1", pick(o.sobol.s1, &Estimate::value)},
                {"S1_lo", pick(o.sobol.s1, &Estimate::lo)},
                {"S1_hi", pick(o.sobol.s1, &Estimate::hi)},
                {"S1_undefined_resamples", undefined(o.sobol.s1), true},
                {"ST", pick(o.sobol.st, &Estimate::value)},
                {"ST_lo", pick(o.sobol.st, &Estimate::lo)},
                {"ST_hi", pick(o.sobol.st, &Estimate::hi)},
                {"ST_undefined_resamples", undefined(o.sobol.st), true}};
    }
    return {{"mu_star", pick(o.morris.mu_star, &Estimate::value)},
            {"mu_star_lo", pick(o.morris.mu_star, &Estimate::lo)},
            {"mu_star_hi", pick(o.morris.mu_star, &Estimate::hi)},
            {"mu_star_undefined_resamples", undefined(o.morris.mu_star), true},
            {"mu", o.morris.mu},
            {"sigma", o.morris.sigma}};
}

/// Writes column `c` as the dataset `name` of `shape` under `parent`.
Id write_column(const Writer& w, hid_t parent, const std::string& name,
                const std::vector<hsize_t>& shape, const Column& c) {
    if (!c.count) {
        return w.doubles(parent, name, shape, c.values);
    }
    std::vector<std::uint64_t> n;
    for (const double x : c.values) {
        n.push_back(static_cast<std::uint64_t>(x));
    }
    return w.counts(parent, name, shape, n);
}

std::string long_name(const std::string& statistic, const std::string& output) {
    static const std::pair<const char*, const char*> names[] = {
        {"S1", "first-order Sobol index"},
        {"S1_lo", "lower end of the interval of the first-order Sobol index"},
        {"S1_hi", "upper end of the interval of the first-order Sobol index"},
        {"ST", "total-order Sobol index"},
        {"ST_lo", "lower end of the interval of the total-order Sobol index"},
        {"ST_hi", "upper end of the interval of the total-order Sobol index"},
        {"mu_star", "Morris mu*: mean absolute elementary effect per unit of the range"},
        {"mu_star_lo", "lower end of the interval of Morris mu*"},
        {"mu_star_hi", "upper end of the interval of Morris mu*"},
        {"S1_undefined_resamples",
         "bootstrap resamples in which the first-order Sobol index was undefined"},
        {"ST_undefined_resamples",
         "bootstrap resamples in which the total-order Sobol index was undefined"},
        {"mu_star_undefined_resamples", "bootstrap resamples in which Morris mu* was undefined"},
        {"mu", "Morris mu: mean elementary effect per unit of the range"},
        {"sigma", "Morris sigma: standard deviation of the elementary effects"}};
    for (const auto& [key, text] : names) {
        if (statistic == key) {
            return std::string(text) + " of " + output;
        }
    }
    return statistic + " of " + output;
}

void attach(hid_t set, const Id& scale, unsigned dim, const std::string& name) {
    must_ok(H5DSattach_scale(set, scale.get(), dim),
            "cannot attach a dimension scale to '" + name + "'");
}

void write_indices(const Writer& w, const SweepSensitivity& s, const Id& factor,
                   const std::optional<Id>& time) {
    const hsize_t d = s.factors.size();
    Id top = w.group(w.root(), GROUP);
    w.attribute(top.get(), "method",
                std::string(s.design == DesignKind::saltelli ? "sobol" : "morris"));
    w.attribute(top.get(), "design", std::string(experiments::to_string(s.design)));
    w.attribute(top.get(), "base_samples", static_cast<std::uint64_t>(s.base_samples));
    w.attribute(top.get(), "points", static_cast<std::uint64_t>(s.points));
    w.attribute(top.get(), "bootstrap_resamples",
                static_cast<std::uint64_t>(s.bootstrap.resamples));
    w.attribute(top.get(), "confidence", s.bootstrap.confidence);
    w.attribute(top.get(), "bootstrap_seed", s.bootstrap.seed);

    for (const OutputSensitivity& o : s.outputs) {
        Id g = w.group(top.get(), o.name);
        w.attribute(g.get(), "note", o.note);
        if (s.design == DesignKind::saltelli) {
            w.attribute(g.get(), "variance", o.sobol.variance);
        }
        // The replicate noise (docs/sensitivity.md): NaN and the reason when not estimated.
        w.attribute(g.get(), "replicate_noise_variance", o.noise.variance);
        if (s.design == DesignKind::saltelli) {
            w.attribute(g.get(), "replicate_noise_share", o.noise_share);
        } else {
            w.attribute(g.get(), "replicate_noise_mu_star", o.noise_mu_star);
        }
        w.attribute(g.get(), "replicate_noise_in_intervals",
                    std::uint64_t{o.noise_in_intervals ? 1u : 0u});
        w.attribute(g.get(), "replicate_noise_method",
                    o.noise.reason.empty() ? o.noise.method : "not estimated: " + o.noise.reason);
        for (const Column& c : columns_of(s, o)) {
            const std::string where = std::string(GROUP) + "/" + o.name + "/" + c.name;
            Id set = write_column(w, g.get(), c.name, {d}, c);
            w.attribute(set.get(), "long_name", long_name(c.name, o.name));
            attach(set.get(), factor, 0, where);
        }
    }
    for (const experiments::PathSensitivity& p : s.paths) {
        if (!time) {
            throw Failure{"the result has indicator paths but no '/time' dimension scale"};
        }
        const hsize_t rows = p.rows.size();
        Id g = w.group(top.get(), p.name);
        std::vector<std::string> notes;
        for (const OutputSensitivity& row : p.rows) {
            notes.push_back(row.note);
        }
        {
            Id set = w.strings(g.get(), "note", notes);
            w.attribute(set.get(), "long_name",
                        "why the indices at this time are undefined, or empty");
            attach(set.get(), *time, 0, std::string(GROUP) + "/" + p.name + "/note");
        }
        // Statistic by statistic, each [time, factor] row-major.
        std::vector<std::vector<Column>> per_row;
        for (const OutputSensitivity& row : p.rows) {
            per_row.push_back(columns_of(s, row));
        }
        const std::size_t statistics = per_row.empty() ? 0 : per_row.front().size();
        for (std::size_t c = 0; c < statistics; ++c) {
            Column all{per_row.front()[c].name, {}, per_row.front()[c].count};
            for (const std::vector<Column>& row : per_row) {
                all.values.insert(all.values.end(), row[c].values.begin(), row[c].values.end());
            }
            const std::string name = all.name;
            const std::string where = std::string(GROUP) + "/" + p.name + "/" + name;
            Id set = write_column(w, g.get(), name, {rows, d}, all);
            w.attribute(set.get(), "long_name", long_name(name, p.name + " at each time"));
            attach(set.get(), *time, 0, where);
            attach(set.get(), factor, 1, where);
        }
    }
}

} // namespace

TemporaryFile write_sensitivity_hdf5_temporary(const fs::path& result, const fs::path& target,
                                               const SweepSensitivity& analysis) {
    TemporaryFile temp(target);
    const QuietErrors quiet;
    try {
        copy_without_indices(result, temp.path());
    } catch (const Failure& f) {
        throw Error("cannot copy " + result.string() + " to write " + target.string() + ": " +
                    f.what);
    }
    try {
        Writer w(temp.path());
        {
            const std::optional<Id> factor = w.scale("factor");
            if (!factor) {
                throw Failure{"it has no '/factor' dimension scale (is it a sweep result?)"};
            }
            const std::optional<Id> time = w.scale("time");
            write_indices(w, analysis, *factor, time);
        }
        w.close();
    } catch (const Failure& f) {
        throw Error("cannot write the indices into " + target.string() + ": " + f.what);
    }
    return temp;
}

} // namespace canopy::output
