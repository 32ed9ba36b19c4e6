// The indices of `canopy sensitivity --out`, added under /sensitivity to a copy of the sweep
// result (sensitivity.hpp has the layout). The copy is byte for byte, so everything the sweep
// wrote stays exactly as it was; the new datasets share the result's /factor and /time
// dimension scales, so xarray names their dimensions as it does the sweep's own.
#include <canopy/detail/hdf5_support.hpp>
#include <canopy/engine/error.hpp>
#include <canopy/output/sensitivity.hpp>

#include <hdf5.h>
#include <hdf5_hl.h>

#include <cmath>
#include <cstdint>
#include <optional>
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

    /// Removes /sensitivity, detaching its datasets from the scales first so that no scale
    /// keeps a reference to a deleted dataset.
    void remove_previous(const std::vector<const Id*>& scales) const {
        if (H5Lexists(root(), GROUP, H5P_DEFAULT) <= 0) {
            return;
        }
        std::vector<std::string> datasets;
        Id group(must(H5Gopen2(root(), GROUP, H5P_DEFAULT), "cannot open '/sensitivity'"),
                 H5Gclose);
        must_ok(H5Ovisit2(
                    group.get(), H5_INDEX_NAME, H5_ITER_NATIVE,
                    [](hid_t, const char* name, const H5O_info_t* info, void* data) -> herr_t {
                        if (info->type == H5O_TYPE_DATASET) {
                            static_cast<std::vector<std::string>*>(data)->emplace_back(name);
                        }
                        return 0;
                    },
                    &datasets, H5O_INFO_BASIC),
                "cannot list '/sensitivity'");
        for (const std::string& name : datasets) {
            Id set(must(H5Dopen2(group.get(), name.c_str(), H5P_DEFAULT),
                        "cannot open '/sensitivity/" + name + "'"),
                   H5Dclose);
            // H5DSis_attached follows DIMENSION_LIST into the global heap, which HDF5 trusts.
            if (H5Aexists(set.get(), "DIMENSION_LIST") > 0) {
                const Id list(must(H5Aopen(set.get(), "DIMENSION_LIST", H5P_DEFAULT),
                                   "cannot open '/sensitivity/" + name + "'"),
                              H5Aclose);
                check_heap_references(list.get(),
                                      "attribute 'DIMENSION_LIST' of '/sensitivity/" + name + "'");
            }
            Id space(must(H5Dget_space(set.get()), "cannot read a shape"), H5Sclose);
            const int rank = H5Sget_simple_extent_ndims(space.get());
            for (int dim = 0; dim < rank; ++dim) {
                for (const Id* s : scales) {
                    const auto d = static_cast<unsigned>(dim);
                    if (H5DSis_attached(set.get(), s->get(), d) > 0) {
                        must_ok(H5DSdetach_scale(set.get(), s->get(), d),
                                "cannot detach a scale from '/sensitivity/" + name + "'");
                    }
                }
            }
        }
        must_ok(H5Ldelete(root(), GROUP, H5P_DEFAULT), "cannot remove the old '/sensitivity'");
    }

    /// Creates the group at `path` (relative to `parent`), and any groups above it.
    [[nodiscard]] Id group(hid_t parent, const std::string& path) const {
        return Id(must(H5Gcreate2(parent, path.c_str(), lcpl_.get(), gcpl_.get(), H5P_DEFAULT),
                       "cannot create group '" + path + "'"),
                  H5Gclose);
    }

    Id doubles(hid_t parent, const std::string& name, const std::vector<hsize_t>& shape,
               const std::vector<double>& data) const {
        Id space(must(H5Screate_simple(static_cast<int>(shape.size()), shape.data(), nullptr),
                      "cannot create the shape of '" + name + "'"),
                 H5Sclose);
        Id set(must(H5Dcreate2(parent, name.c_str(), H5T_IEEE_F64LE, space.get(), lcpl_.get(),
                               dcpl_.get(), H5P_DEFAULT),
                    "cannot create dataset '" + name + "'"),
               H5Dclose);
        if (!data.empty()) {
            must_ok(
                H5Dwrite(set.get(), H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, data.data()),
                "cannot write dataset '" + name + "'");
        }
        return set;
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

    static void scalar_attribute(hid_t object, const std::string& name, hid_t file_type,
                                 hid_t memory_type, const void* data) {
        Id space(must(H5Screate(H5S_SCALAR), "cannot create a scalar"), H5Sclose);
        write_attribute(object, name, file_type, memory_type, space.get(), data);
    }

    Id fapl_, gcpl_, dcpl_, lcpl_, string_;
    Id file_;
};

/// One statistic over the factors (or over times x factors): its name and values.
struct Column {
    const char* name;
    std::vector<double> values;
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
    if (s.design == DesignKind::saltelli) {
        return {
            {"S1", pick(o.sobol.s1, &Estimate::value)}, {"S1_lo", pick(o.sobol.s1, &Estimate::lo)},
            {"S1_hi", pick(o.sobol.s1, &Estimate::hi)}, {"ST", pick(o.sobol.st, &Estimate::value)},
            {"ST_lo", pick(o.sobol.st, &Estimate::lo)}, {"ST_hi", pick(o.sobol.st, &Estimate::hi)}};
    }
    return {{"mu_star", pick(o.morris.mu_star, &Estimate::value)},
            {"mu_star_lo", pick(o.morris.mu_star, &Estimate::lo)},
            {"mu_star_hi", pick(o.morris.mu_star, &Estimate::hi)},
            {"mu", o.morris.mu},
            {"sigma", o.morris.sigma}};
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
        for (const Column& c : columns_of(s, o)) {
            const std::string where = std::string(GROUP) + "/" + o.name + "/" + c.name;
            Id set = w.doubles(g.get(), c.name, {d}, c.values);
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
            std::vector<double> values;
            for (const std::vector<Column>& row : per_row) {
                values.insert(values.end(), row[c].values.begin(), row[c].values.end());
            }
            const std::string name = per_row.front()[c].name;
            const std::string where = std::string(GROUP) + "/" + p.name + "/" + name;
            Id set = w.doubles(g.get(), name, {rows, d}, values);
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
    std::error_code ec;
    fs::copy_file(result, temp.path(), fs::copy_options::overwrite_existing, ec);
    if (ec) {
        throw Error("cannot copy " + result.string() + " to write " + target.string() + ": " +
                    ec.message());
    }
    const QuietErrors quiet;
    try {
        Writer w(temp.path());
        {
            const std::optional<Id> factor = w.scale("factor");
            if (!factor) {
                throw Failure{"it has no '/factor' dimension scale (is it a sweep result?)"};
            }
            const std::optional<Id> time = w.scale("time");
            std::vector<const Id*> scales{&*factor};
            if (time) {
                scales.push_back(&*time);
            }
            w.remove_previous(scales);
            write_indices(w, analysis, *factor, time);
        }
        w.close();
    } catch (const Failure& f) {
        throw Error("cannot write the indices into " + target.string() + ": " + f.what);
    }
    return temp;
}

} // namespace canopy::output
