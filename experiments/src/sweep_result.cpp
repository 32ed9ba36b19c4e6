// The sweep result file on the HDF5 C API: written to a temporary name and renamed, read back
// with every shape checked. Layout: sweep_result.hpp and docs/sweeps.md.
#include "wire.hpp"

#include <canopy/detail/hdf5_support.hpp>
#include <canopy/engine/error.hpp>
#include <canopy/experiments/output_lock.hpp>
#include <canopy/experiments/sweep_result.hpp>

#include <hdf5.h>
#include <hdf5_hl.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <optional>
#include <unistd.h>

namespace canopy::experiments {

namespace {

/// Between the problems of one Failure that are said on lines of their own (a control character
/// no HDF5 or Canopy message holds).
constexpr char OUTPUT_PROBLEMS_SEPARATOR = '\x1f';

namespace fs = std::filesystem;

// Failure, Id, must, QuietErrors and the rest of the shared HDF5 plumbing.
using namespace canopy::detail::hdf5;

// ---- checksum --------------------------------------------------------------------------------

// HDF5's 1.8 format checksums its object headers but not the raw data of a contiguous dataset nor
// the variable-length strings of the global heap: a byte flipped on disk there reads back as
// another number or text, and a damaged shard would be merged without a word. So the writer
// stores a hash64 of everything read_file gives back and the reader recomputes it. /outputs is
// left out: other programs add their outputs to a --design-only file (docs/sensitivity.md), and
// that is not damage. The bytes hashed are in native byte order, as the journal's: a big-endian
// machine would refuse a little-endian machine's file.
std::string checksum(const SweepResult& r) {
    detail::Writer w;
    w.text(to_string(r.design));
    w.u64(r.unit.base_samples);
    w.u64(r.unit.levels);
    w.u64(r.factors.size());
    for (const std::string& f : r.factors) {
        w.text(f);
    }
    w.u64(r.seed);
    w.u64(static_cast<std::uint64_t>(std::max(0, r.replicates)));
    w.u64(r.common_random_numbers ? 1 : 0);
    w.u64(r.complete ? 1 : 0);
    w.u64(r.points_total);
    for (const std::string* t :
         {&r.shard, &r.engine_version, &r.fingerprint, &r.sweep_text, &r.scenario_text}) {
        w.text(*t);
    }
    // A file of a build before build_id was recorded has none, and its checksum as written then.
    if (!r.build_id.empty()) {
        w.text(r.build_id);
    }
    w.f64(r.wall_seconds);
    w.f64(r.points_per_second);
    w.f64(r.overhead_per_point_seconds);
    // An empty point_index is written as 0 .. points - 1 and read back as such.
    const std::size_t n = r.point_index.empty() ? r.points() : r.point_index.size();
    w.u64(n);
    for (std::size_t k = 0; k < n; ++k) {
        w.u64(r.point_index.empty() ? k : r.point_index[k]);
    }
    w.doubles(r.unit.u);
    w.u64(r.values.size());
    for (const std::vector<double>& v : r.values) {
        w.doubles(v);
    }
    w.u64(r.time_labels.size());
    for (const std::string& t : r.time_labels) {
        w.text(t);
    }
    w.u64(r.targets.size());
    for (const TargetColumns& t : r.targets) {
        w.text(t.id);
        w.text(t.unit);
        w.text(t.comparison);
        w.f64(t.threshold);
        for (const std::vector<double>* v :
             {&t.p_attain, &t.p_attain_lo, &t.p_attain_hi, &t.median}) {
            w.doubles(*v);
        }
    }
    w.u64(r.indicators.size());
    for (const IndicatorColumns& c : r.indicators) {
        w.text(c.id);
        w.text(c.unit);
        for (const std::vector<double>* v :
             {&c.mean, &c.q05, &c.q50, &c.q95, &c.mean_path, &c.finals}) {
            w.doubles(*v);
        }
    }
    return detail::checksum_text(w.bytes);
}

// ---- writing ---------------------------------------------------------------------------------

// A new file with no timestamps (the same sweep gives the same bytes), members and attributes
// listed in the order written, the 1.8 format every reader since 2008 knows.
class Writer : public FileWriter {
public:
    using FileWriter::FileWriter;

    Id doubles(hid_t parent, const std::string& name, const std::vector<hsize_t>& shape,
               const std::vector<double>& data) const {
        hsize_t n = 1;
        for (const hsize_t d : shape) {
            n *= d;
        }
        if (data.size() != n) {
            throw Failure{"dataset '" + name + "' has " + std::to_string(data.size()) +
                          " values for its shape of " + std::to_string(n)};
        }
        return dataset(parent, name, shape, H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, data.data());
    }
};

void units(const Writer& w, hid_t object, const std::string& unit, const std::string& long_name) {
    w.attribute(object, "units", unit);
    w.attribute(object, "long_name", long_name);
}

struct Scales {
    Id point;
    std::optional<Id> factor;
    std::optional<Id> time;
    std::optional<Id> replicate;
};

void attach(hid_t dataset, const Id& scale, unsigned dim, const std::string& name) {
    must_ok(H5DSattach_scale(dataset, scale.get(), dim),
            "cannot attach a dimension scale to '" + name + "'");
}

void write_file(const fs::path& path, const SweepResult& r) {
    const std::size_t n = r.points();
    const std::size_t d = r.factors.size();
    const auto reps = static_cast<std::size_t>(std::max(0, r.replicates));
    Writer w(path);
    {
        const hid_t root = w.root();
        w.attribute(root, "kind", std::string("sweep"));
        w.attribute(root, "design", std::string(to_string(r.design)));
        w.attribute(root, "base_samples", static_cast<std::uint64_t>(r.unit.base_samples));
        w.attribute(root, "levels", static_cast<std::uint64_t>(r.unit.levels));
        w.attribute(root, "factors", r.factors);
        w.attribute(root, "seed", r.seed);
        w.attribute(root, "replicates", static_cast<std::uint64_t>(reps));
        w.attribute(root, "common_random_numbers",
                    static_cast<std::uint64_t>(r.common_random_numbers ? 1 : 0));
        w.attribute(root, "complete", static_cast<std::uint64_t>(r.complete ? 1 : 0));
        w.attribute(root, "points_total", static_cast<std::uint64_t>(r.points_total));
        w.attribute(root, "shard", r.shard);
        w.attribute(root, "engine_version", r.engine_version);
        w.attribute(root, "build_id", r.build_id);
        w.attribute(root, "fingerprint", r.fingerprint);
        w.attribute(root, "sweep_text", r.sweep_text);
        w.attribute(root, "scenario_text", r.scenario_text);
        w.attribute(root, "wall_seconds", r.wall_seconds);
        w.attribute(root, "points_per_second", r.points_per_second);
        w.attribute(root, "overhead_per_point_seconds", r.overhead_per_point_seconds);
        w.attribute(root, "checksum", checksum(r));

        std::vector<std::uint64_t> index = r.point_index;
        if (index.empty()) {
            for (std::size_t k = 0; k < n; ++k) {
                index.push_back(k);
            }
        }
        if (index.size() != n) {
            throw Failure{"point_index has " + std::to_string(index.size()) + " entries for " +
                          std::to_string(n) + " points"};
        }
        Scales s{Id(w.dataset(root, "point", {n}, H5T_STD_U64LE, H5T_NATIVE_UINT64, index.data())),
                 std::nullopt, std::nullopt, std::nullopt};
        must_ok(H5DSset_scale(s.point.get(), "point"), "cannot make '/point' a dimension scale");
        w.attribute(s.point.get(), "long_name",
                    std::string("design point (its random streams are keyed by the seed and it)"));
        s.factor.emplace(w.strings(root, "factor", r.factors));
        must_ok(H5DSset_scale(s.factor->get(), "factor"), "cannot make '/factor' a scale");
        w.attribute(s.factor->get(), "long_name", std::string("the sweep's factors, design order"));
        if (!r.time_labels.empty()) {
            s.time.emplace(w.strings(root, "time", r.time_labels));
            must_ok(H5DSset_scale(s.time->get(), "time"), "cannot make '/time' a scale");
            w.attribute(s.time->get(), "long_name",
                        std::string("the month whose end each row is (the first: the initial "
                                    "state)"));
        }
        bool any_finals = false;
        for (const IndicatorColumns& c : r.indicators) {
            any_finals = any_finals || !c.finals.empty();
        }
        if (any_finals) {
            std::vector<std::uint32_t> numbers(reps);
            for (std::size_t k = 0; k < reps; ++k) {
                numbers[k] = static_cast<std::uint32_t>(k);
            }
            s.replicate.emplace(w.dataset(root, "replicate", {reps}, H5T_STD_U32LE,
                                          H5T_NATIVE_UINT32, numbers.data()));
            must_ok(H5DSset_scale(s.replicate->get(), "replicate"),
                    "cannot make '/replicate' a scale");
            w.attribute(s.replicate->get(), "long_name",
                        std::string("replicate number (shared by every point)"));
        }

        if (r.unit.u.size() != n * d || r.unit.dimensions != d) {
            throw Failure{"the unit design has " + std::to_string(r.unit.u.size()) +
                          " coordinates for " + std::to_string(n) + " points x " +
                          std::to_string(d) + " factors"};
        }
        {
            Id unit = w.doubles(root, "design_unit", {n, d}, r.unit.u);
            units(w, unit.get(), "1", "unit-cube coordinates of the design");
            attach(unit.get(), s.point, 0, "design_unit");
            attach(unit.get(), *s.factor, 1, "design_unit");
        }
        {
            Id design = w.group(root, "design");
            if (r.values.size() != d) {
                throw Failure{"values are given for " + std::to_string(r.values.size()) +
                              " factors, not " + std::to_string(d)};
            }
            for (std::size_t f = 0; f < d; ++f) {
                Id set = w.doubles(design.get(), r.factors[f], {n}, r.values[f]);
                w.attribute(set.get(), "long_name", "value of factor " + r.factors[f]);
                attach(set.get(), s.point, 0, "design/" + r.factors[f]);
            }
        }
        if (!r.targets.empty()) {
            Id targets = w.group(root, "targets");
            for (const TargetColumns& t : r.targets) {
                Id g = w.group(targets.get(), t.id);
                w.attribute(g.get(), "unit", t.unit);
                w.attribute(g.get(), "comparison", t.comparison);
                w.attribute(g.get(), "threshold", t.threshold);
                const std::pair<const char*, const std::vector<double>*> columns[] = {
                    {"p_attain", &t.p_attain},
                    {"p_attain_lo", &t.p_attain_lo},
                    {"p_attain_hi", &t.p_attain_hi},
                    {"median", &t.median}};
                for (const auto& [name, data] : columns) {
                    Id set = w.doubles(g.get(), name, {n}, *data);
                    const bool p = std::string(name) != "median";
                    units(w, set.get(), p ? "1" : t.unit, std::string(name) + " of target " + t.id);
                    attach(set.get(), s.point, 0, "targets/" + t.id + "/" + name);
                }
            }
        }
        if (!r.indicators.empty()) {
            Id indicators = w.group(root, "indicators");
            for (const IndicatorColumns& c : r.indicators) {
                Id g = w.group(indicators.get(), c.id);
                w.attribute(g.get(), "unit", c.unit);
                const std::pair<const char*, const std::vector<double>*> columns[] = {
                    {"mean", &c.mean}, {"q05", &c.q05}, {"q50", &c.q50}, {"q95", &c.q95}};
                for (const auto& [name, data] : columns) {
                    Id set = w.doubles(g.get(), name, {n}, *data);
                    units(w, set.get(), c.unit,
                          std::string(name) + " over replicates of the final " + c.id);
                    attach(set.get(), s.point, 0, "indicators/" + c.id + "/" + name);
                }
                if (!c.mean_path.empty()) {
                    if (!s.time) {
                        throw Failure{"indicator '" + c.id +
                                      "' has paths but there are no time "
                                      "labels"};
                    }
                    Id set =
                        w.doubles(g.get(), "mean_path", {n, r.time_labels.size()}, c.mean_path);
                    units(w, set.get(), c.unit, "mean over replicates of " + c.id);
                    attach(set.get(), s.point, 0, "indicators/" + c.id + "/mean_path");
                    attach(set.get(), *s.time, 1, "indicators/" + c.id + "/mean_path");
                }
                if (!c.finals.empty()) {
                    Id set = w.doubles(g.get(), "finals", {n, reps}, c.finals);
                    units(w, set.get(), c.unit, "final " + c.id + " of each replicate");
                    attach(set.get(), s.point, 0, "indicators/" + c.id + "/finals");
                    attach(set.get(), *s.replicate, 1, "indicators/" + c.id + "/finals");
                }
            }
        }
        if (!r.outputs.empty()) {
            Id outputs = w.group(root, "outputs");
            for (const auto& [name, data] : r.outputs) {
                Id set = w.doubles(outputs.get(), name, {n}, data);
                attach(set.get(), s.point, 0, "outputs/" + name);
            }
        }
    }
    w.close();
}

// ---- reading ---------------------------------------------------------------------------------

/// [sweep] replicates allows 1 .. 1000000 (docs/sweeps.md).
constexpr std::uint64_t MAX_REPLICATES_PER_POINT = 1'000'000;

class Reader {
public:
    explicit Reader(const fs::path& path)
        : file_(must(H5Fopen(path.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT), "cannot open the file"),
                H5Fclose) {}

    [[nodiscard]] hid_t root() const { return file_.get(); }

    [[nodiscard]] bool exists(hid_t parent, const std::string& name) const {
        return H5Lexists(parent, name.c_str(), H5P_DEFAULT) > 0;
    }
    [[nodiscard]] bool has_attribute(hid_t object, const std::string& name) const {
        return H5Aexists(object, name.c_str()) > 0;
    }

    Id group(hid_t parent, const std::string& name) const {
        return Id(must(H5Gopen2(parent, name.c_str(), H5P_DEFAULT), "missing group '" + name + "'"),
                  H5Gclose);
    }

    // Member names in creation order.
    std::vector<std::string> members(hid_t group) const {
        std::vector<std::string> names;
        H5_index_t index = H5_INDEX_NAME;
        Id gcpl(H5Gget_create_plist(group), H5Pclose);
        unsigned flags = 0;
        if (gcpl.get() >= 0 && H5Pget_link_creation_order(gcpl.get(), &flags) >= 0 &&
            (flags & H5P_CRT_ORDER_INDEXED) != 0) {
            index = H5_INDEX_CRT_ORDER;
        }
        must_ok(H5Literate(
                    group, index, H5_ITER_INC, nullptr,
                    [](hid_t, const char* name, const H5L_info_t*, void* data) -> herr_t {
                        static_cast<std::vector<std::string>*>(data)->emplace_back(name);
                        return 0;
                    },
                    &names),
                "cannot list a group");
        return names;
    }

    std::string text(hid_t object, const std::string& name) const {
        Id attr(
            must(H5Aopen(object, name.c_str(), H5P_DEFAULT), "missing attribute '" + name + "'"),
            H5Aclose);
        Id type(must(H5Aget_type(attr.get()), "bad attribute '" + name + "'"), H5Tclose);
        if (H5Tget_class(type.get()) != H5T_STRING) {
            fail("attribute '" + name + "' is not text");
        }
        if (H5Tis_variable_str(type.get()) > 0) {
            // Through the checked reader: HDF5 would trust a damaged heap (hdf5_support.hpp).
            std::vector<std::string> values = read_strings(attr.get(), "attribute '" + name + "'");
            if (values.size() != 1) {
                fail("attribute '" + name + "' is not one text");
            }
            return std::move(values.front());
        }
        if (stored_count(attr.get(), "attribute '" + name + "'") != 1) {
            fail("attribute '" + name + "' is not one text");
        }
        const std::size_t size = H5Tget_size(type.get());
        std::string out(size, '\0');
        must_ok(H5Aread(attr.get(), type.get(), out.data()),
                "cannot read attribute '" + name + "'");
        out.resize(out.find('\0') == std::string::npos ? size : out.find('\0'));
        return out;
    }

    std::vector<std::string> texts(hid_t object, const std::string& name) const {
        Id attr(
            must(H5Aopen(object, name.c_str(), H5P_DEFAULT), "missing attribute '" + name + "'"),
            H5Aclose);
        return read_strings(attr.get(), "attribute '" + name + "'");
    }

    double number(hid_t object, const std::string& name) const {
        Id attr(
            must(H5Aopen(object, name.c_str(), H5P_DEFAULT), "missing attribute '" + name + "'"),
            H5Aclose);
        if (stored_count(attr.get(), "attribute '" + name + "'") != 1) {
            fail("attribute '" + name + "' is not one number");
        }
        double x = 0.0;
        must_ok(H5Aread(attr.get(), H5T_NATIVE_DOUBLE, &x), "cannot read attribute '" + name + "'");
        return x;
    }

    std::uint64_t whole(hid_t object, const std::string& name) const {
        Id attr(
            must(H5Aopen(object, name.c_str(), H5P_DEFAULT), "missing attribute '" + name + "'"),
            H5Aclose);
        if (stored_count(attr.get(), "attribute '" + name + "'") != 1) {
            fail("attribute '" + name + "' is not one number");
        }
        std::uint64_t x = 0;
        must_ok(H5Aread(attr.get(), H5T_NATIVE_UINT64, &x), "cannot read attribute '" + name + "'");
        return x;
    }

    std::vector<hsize_t> shape(hid_t parent, const std::string& name) const {
        Id set(must(H5Dopen2(parent, name.c_str(), H5P_DEFAULT), "missing dataset '" + name + "'"),
               H5Dclose);
        (void)stored_count(set.get(), "dataset '" + name + "'"); // before anything is sized by it
        Id space(must(H5Dget_space(set.get()), "bad dataset '" + name + "'"), H5Sclose);
        const int rank = H5Sget_simple_extent_ndims(space.get());
        std::vector<hsize_t> dims(static_cast<std::size_t>(std::max(rank, 0)));
        if (rank > 0) {
            H5Sget_simple_extent_dims(space.get(), dims.data(), nullptr);
        }
        return dims;
    }

    // A dataset of doubles of exactly `expected` shape.
    std::vector<double> doubles(hid_t parent, const std::string& name,
                                const std::vector<hsize_t>& expected) const {
        const std::vector<hsize_t> dims = shape(parent, name);
        if (dims != expected) {
            std::string want;
            std::string got;
            for (const hsize_t x : expected) {
                want += (want.empty() ? "" : " x ") + std::to_string(x);
            }
            for (const hsize_t x : dims) {
                got += (got.empty() ? "" : " x ") + std::to_string(x);
            }
            fail("dataset '" + name + "' is " + (got.empty() ? "a scalar" : got) + ", not " + want);
        }
        std::size_t count = 1;
        for (const hsize_t x : dims) {
            count *= static_cast<std::size_t>(x);
        }
        std::vector<double> out(count);
        Id set(must(H5Dopen2(parent, name.c_str(), H5P_DEFAULT), "missing dataset '" + name + "'"),
               H5Dclose);
        if (count > 0) {
            must_ok(
                H5Dread(set.get(), H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, out.data()),
                "cannot read dataset '" + name + "' as numbers");
        }
        return out;
    }

    std::vector<std::uint64_t> indices(hid_t parent, const std::string& name, std::size_t n) const {
        if (shape(parent, name) != std::vector<hsize_t>{n}) {
            fail("dataset '" + name + "' does not have one entry per point");
        }
        std::vector<std::uint64_t> out(n);
        Id set(must(H5Dopen2(parent, name.c_str(), H5P_DEFAULT), "missing dataset '" + name + "'"),
               H5Dclose);
        if (n > 0) {
            must_ok(
                H5Dread(set.get(), H5T_NATIVE_UINT64, H5S_ALL, H5S_ALL, H5P_DEFAULT, out.data()),
                "cannot read dataset '" + name + "'");
        }
        return out;
    }

    std::vector<std::string> strings(hid_t parent, const std::string& name) const {
        const std::vector<hsize_t> dims = shape(parent, name);
        if (dims.size() != 1) {
            fail("dataset '" + name + "' is not a list");
        }
        Id set(must(H5Dopen2(parent, name.c_str(), H5P_DEFAULT), "missing dataset '" + name + "'"),
               H5Dclose);
        return read_strings(set.get(), "dataset '" + name + "'");
    }

private:
    Id file_;
};

std::optional<DesignKind> design_named(const std::string& name) {
    for (const DesignKind k : {DesignKind::grid, DesignKind::lhs, DesignKind::sobol,
                               DesignKind::saltelli, DesignKind::morris}) {
        if (name == to_string(k)) {
            return k;
        }
    }
    return std::nullopt;
}

SweepResult read_file(const fs::path& path) {
    Reader in(path);
    const hid_t root = in.root();
    if (!in.has_attribute(root, "kind") || in.text(root, "kind") != "sweep") {
        fail("not a sweep result (no root attribute kind = \"sweep\"; `canopy run` writes "
             "another layout)");
    }
    SweepResult r;
    const std::string design = in.text(root, "design");
    const auto kind = design_named(design);
    if (!kind) {
        fail("unknown design '" + design + "'");
    }
    r.design = *kind;
    r.factors = in.texts(root, "factors");
    r.seed = in.whole(root, "seed");
    // Counts that size what is allocated are held to what a sweep can be before any use: the
    // checksum is compared once everything is read, so until then they could say anything.
    const auto count = [&](const std::string& name, std::uint64_t low, std::uint64_t high,
                           const std::string& why) {
        const std::uint64_t x = in.whole(root, name);
        if (x < low || x > high) {
            fail("root attribute '" + name + "' is " + std::to_string(x) + ", outside " +
                 std::to_string(low) + " .. " + std::to_string(high) + " (" + why +
                 "): the file is damaged, or was not written by Canopy");
        }
        return x;
    };
    r.replicates = static_cast<int>(
        count("replicates", 1, MAX_REPLICATES_PER_POINT, "the replicates a sweep allows"));
    r.common_random_numbers = in.whole(root, "common_random_numbers") != 0;
    r.complete = in.whole(root, "complete") != 0;
    r.points_total = static_cast<std::size_t>(
        count("points_total", 1, MAX_DESIGN_POINTS, "the design points a sweep can run"));
    r.shard = in.text(root, "shard");
    // The shard's own command writes it again; a whole sweep's or a merge's, likewise.
    const std::string remedy = r.shard.empty() ? "run the sweep or merge that wrote it again"
                                               : "rerun shard " + r.shard +
                                                     " (canopy sweep SWEEP.toml --shard " +
                                                     r.shard + ") to write it again";
    // Every file this build writes has a checksum. One without could say anything: it was
    // written by a Canopy from before checksums, or edited and its checksum deleted (an outside
    // tester's shard with an impossible p_attain was merged into a result with a fresh, valid
    // checksum). Neither can be told from the other, so neither is read.
    if (!in.has_attribute(root, "checksum")) {
        fail("it has no checksum (root attribute 'checksum'), so its data cannot be checked: it "
             "was written by a Canopy from before result files had one, or edited after it was "
             "written; " +
             remedy);
    }
    r.sweep_text = in.text(root, "sweep_text");
    r.scenario_text = in.text(root, "scenario_text");
    r.engine_version = in.text(root, "engine_version");
    if (in.has_attribute(root, "build_id")) {
        r.build_id = in.text(root, "build_id");
    }
    r.fingerprint = in.text(root, "fingerprint");
    r.wall_seconds = in.number(root, "wall_seconds");
    r.points_per_second = in.number(root, "points_per_second");
    r.overhead_per_point_seconds = in.number(root, "overhead_per_point_seconds");

    const std::vector<hsize_t> point_shape = in.shape(root, "point");
    if (point_shape.size() != 1) {
        fail("dataset 'point' is not a list");
    }
    const auto n = static_cast<std::size_t>(point_shape[0]);
    if (n > r.points_total) {
        fail("dataset 'point' has " + std::to_string(n) + " rows, more than the " +
             std::to_string(r.points_total) + " design points of root attribute 'points_total'");
    }
    const std::size_t d = r.factors.size();
    r.point_index = in.indices(root, "point", n);
    r.unit.kind = r.design;
    r.unit.dimensions = d;
    r.unit.base_samples = static_cast<std::size_t>(
        count("base_samples", 0, MAX_DESIGN_POINTS, "no more than the design's points"));
    r.unit.levels = static_cast<std::size_t>(
        count("levels", 0, MAX_DESIGN_POINTS, "no more than the design's points"));
    r.unit.u = in.doubles(root, "design_unit", {n, d});
    {
        Id design_group = in.group(root, "design");
        for (const std::string& f : r.factors) {
            r.values.push_back(in.doubles(design_group.get(), f, {n}));
        }
    }
    if (in.exists(root, "time")) {
        r.time_labels = in.strings(root, "time");
    }
    const std::size_t rows = r.time_labels.size();
    const auto reps = static_cast<std::size_t>(std::max(0, r.replicates));
    if (in.exists(root, "targets")) {
        Id targets = in.group(root, "targets");
        for (const std::string& id : in.members(targets.get())) {
            Id g = in.group(targets.get(), id);
            TargetColumns t;
            t.id = id;
            t.unit = in.text(g.get(), "unit");
            t.comparison = in.text(g.get(), "comparison");
            t.threshold = in.number(g.get(), "threshold");
            t.p_attain = in.doubles(g.get(), "p_attain", {n});
            t.p_attain_lo = in.doubles(g.get(), "p_attain_lo", {n});
            t.p_attain_hi = in.doubles(g.get(), "p_attain_hi", {n});
            t.median = in.doubles(g.get(), "median", {n});
            r.targets.push_back(std::move(t));
        }
    }
    if (in.exists(root, "indicators")) {
        Id indicators = in.group(root, "indicators");
        for (const std::string& id : in.members(indicators.get())) {
            Id g = in.group(indicators.get(), id);
            IndicatorColumns c;
            c.id = id;
            c.unit = in.text(g.get(), "unit");
            c.mean = in.doubles(g.get(), "mean", {n});
            c.q05 = in.doubles(g.get(), "q05", {n});
            c.q50 = in.doubles(g.get(), "q50", {n});
            c.q95 = in.doubles(g.get(), "q95", {n});
            if (in.exists(g.get(), "mean_path")) {
                c.mean_path = in.doubles(g.get(), "mean_path", {n, rows});
            }
            if (in.exists(g.get(), "finals")) {
                c.finals = in.doubles(g.get(), "finals", {n, reps});
            }
            r.indicators.push_back(std::move(c));
        }
    }
    if (in.exists(root, "outputs")) {
        Id outputs = in.group(root, "outputs");
        // Written by another program (docs/sweeps.md): said in the terms of that contract, with
        // the full path, rather than as one of Canopy's own datasets; and every bad column at
        // once, not the first alone (joined by OUTPUT_PROBLEMS_SEPARATOR, one line each).
        const std::string need = "one value per design point is needed (" + std::to_string(n) +
                                 (n == 1 ? " point)" : " points)");
        std::vector<std::string> problems;
        for (const std::string& name : in.members(outputs.get())) {
            const std::string column = "/outputs/" + name;
            const Id object(H5Oopen(outputs.get(), name.c_str(), H5P_DEFAULT), H5Oclose);
            const H5I_type_t object_kind = object.get() < 0 ? H5I_BADID : H5Iget_type(object.get());
            if (object_kind != H5I_DATASET) {
                problems.push_back(column + " is " +
                                   (object_kind == H5I_GROUP      ? std::string("a group")
                                    : object_kind == H5I_DATATYPE ? std::string("a named datatype")
                                                                  : std::string("not readable")) +
                                   ", not a dataset: one 1-D column of numbers with " + need);
                continue;
            }
            {
                const Id type(H5Dget_type(object.get()), H5Tclose);
                const H5T_class_t cls = type.get() < 0 ? H5T_NO_CLASS : H5Tget_class(type.get());
                if (cls != H5T_FLOAT && cls != H5T_INTEGER) {
                    problems.push_back(
                        column + " holds " +
                        (cls == H5T_STRING ? std::string("text") : std::string("no numbers")) +
                        ", not numbers: one 1-D column of numbers (float64) with " + need);
                    continue;
                }
            }
            const std::vector<hsize_t> dims = in.shape(outputs.get(), name);
            if (dims != std::vector<hsize_t>{n}) {
                std::string got;
                for (const hsize_t x : dims) {
                    got += (got.empty() ? "" : " x ") + std::to_string(x);
                }
                problems.push_back(column + " " +
                                   (dims.empty() ? "is a scalar"
                                    : dims.size() == 1
                                        ? "has " + got + (dims[0] == 1 ? " value" : " values")
                                        : "is " + got) +
                                   ", but " + need);
                continue;
            }
            r.outputs.emplace_back(name, in.doubles(outputs.get(), name, {n}));
        }
        if (!problems.empty()) {
            std::string all;
            for (const std::string& problem : problems) {
                all += (all.empty() ? std::string() : std::string(1, OUTPUT_PROBLEMS_SEPARATOR)) +
                       problem;
            }
            fail(all);
        }
    }
    if (std::string why = detail::checksum_mismatch(in.text(root, "checksum"), checksum(r), remedy);
        !why.empty()) {
        throw Failure{std::move(why)};
    }
    return r;
}

// A fresh name beside the target, removed unless renamed over it.
class Temporary {
public:
    // Through a symbolic link: the file it names is replaced and the link kept (an outside
    // tester's `--out LINK` replaced the link itself, and the result never reached its target).
    explicit Temporary(const fs::path& target)
        : target_(write_target(target)) {
        static std::atomic<unsigned> counter{0};
        path_ = temporary_path(target_, ::getpid(), counter++);
    }
    ~Temporary() {
        if (!committed_) {
            std::error_code ec;
            fs::remove(path_, ec);
        }
    }
    Temporary(const Temporary&) = delete;
    Temporary& operator=(const Temporary&) = delete;
    [[nodiscard]] const fs::path& path() const noexcept { return path_; }
    void commit() {
        // The data reach the disk before the name does, so a crash never shows a half file.
        if (FILE* f = std::fopen(path_.c_str(), "rb")) {
            ::fsync(fileno(f));
            std::fclose(f);
        }
        std::error_code ec;
        fs::rename(path_, target_, ec);
        if (ec) {
            throw Error("cannot rename '" + path_.string() + "' to '" + target_.string() +
                        "': " + ec.message());
        }
        committed_ = true;
    }

private:
    fs::path target_;
    fs::path path_;
    bool committed_ = false;
};

} // namespace

namespace {

// HDF5's description of a failed write() is one long line with a newline in it ("file write
// failed: time = ..., errno = 28, error message = 'No space left on device', ..., bytes actually
// written = 18446744073709551615, ..."): only the system's message means anything to a reader.
std::string plain_failure(const std::string& what) {
    const std::string key = "error message = '";
    const std::size_t at = what.find(key);
    const std::size_t open = what.find(" (");
    std::string out = what;
    if (at != std::string::npos && open != std::string::npos && open < at) {
        const std::size_t from = at + key.size();
        const std::size_t to = what.find('\'', from);
        if (to != std::string::npos) {
            out = what.substr(0, open) + " (" + what.substr(from, to - from) + ")";
        }
    }
    std::replace(out.begin(), out.end(), '\n', ' ');
    return out;
}

} // namespace

SweepResult read_sweep_result(const std::filesystem::path& path) {
    // A missing file or a directory in words of its own, not HDF5's line of open flags.
    std::error_code ec;
    const fs::file_status status = fs::status(path, ec);
    if (!fs::exists(status)) {
        throw Error("cannot read sweep result '" + path.string() + "': no such file");
    }
    if (fs::is_directory(status)) {
        throw Error("cannot read sweep result '" + path.string() +
                    "': it is a directory, not a file");
    }
    if (!fs::is_regular_file(status)) {
        // A FIFO would block the open for ever (a tester's unattended merge hung); a device
        // holds no result either.
        throw Error("cannot read sweep result '" + path.string() + "': not a regular file");
    }
    try {
        const QuietErrors quiet;
        return read_file(path);
    } catch (const Failure& f) {
        // One line per problem (every bad /outputs column), each naming the file.
        std::string message;
        std::size_t at = 0;
        while (true) {
            const std::size_t end = f.what.find(OUTPUT_PROBLEMS_SEPARATOR, at);
            message += (at == 0 ? "" : "\n") + ("cannot read sweep result '" + path.string() +
                                                "': " + plain_failure(f.what.substr(at, end - at)));
            if (end == std::string::npos) {
                break;
            }
            at = end + 1;
        }
        throw Error(message);
    }
}

void write_sweep_result(const std::filesystem::path& path, const SweepResult& result) {
    Temporary temp(path);
    try {
        const QuietErrors quiet;
        write_file(temp.path(), result);
    } catch (const Failure& f) {
        throw Error("cannot write sweep result '" + path.string() + "': " + plain_failure(f.what));
    }
    temp.commit();
}

} // namespace canopy::experiments
