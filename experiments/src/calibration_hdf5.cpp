// Calibration result files (calibration_result.hpp) on the HDF5 C API. Every handle is owned, so
// an exception anywhere closes everything before the temporary file is removed.
#include "wire.hpp"

#include <canopy/detail/hdf5_support.hpp>
#include <canopy/engine/error.hpp>
#include <canopy/experiments/calibration_result.hpp>
#include <canopy/experiments/output_lock.hpp>

#include <hdf5.h>
#include <hdf5_hl.h>

#include <atomic>
#include <cmath>
#include <cstdio>
#include <fcntl.h>
#include <limits>
#include <string>
#include <unistd.h>
#include <vector>

namespace canopy::experiments {

namespace {

namespace fs = std::filesystem;

// Failure, Id, must, QuietErrors and the rest of the shared HDF5 plumbing.
using namespace canopy::detail::hdf5;

// ---- checksum ------------------------------------------------------------------------------

// HDF5's 1.8 format checksums its object headers but not the raw data of a contiguous dataset nor
// the variable-length strings of the global heap: a byte flipped on disk there would read back
// as another particle or weight, and every run drawing from the posterior would use it. So the
// writer stores a hash64 of everything read_file gives back and the reader recomputes it. The
// reader recomputes ess and the parameters' summaries from the weights and particles, which are
// covered, so those are left out. Native byte order, as the journal's checksums: a big-endian
// machine would refuse a little-endian machine's file.
std::string checksum(const CalibrationResult& r) {
    detail::Writer w;
    for (const std::string* t :
         {&r.method, &r.name, &r.model, &r.scenario, &r.scenario_start, &r.calibration_text,
          &r.scenario_text, &r.data_file, &r.data_sha256, &r.engine_version, &r.fingerprint}) {
        w.text(*t);
    }
    // A file of a build before build_id was recorded (the shipped posterior) has none, and its
    // checksum as written then.
    if (!r.build_id.empty()) {
        w.text(r.build_id);
    }
    w.u64(r.seed);
    w.u64(static_cast<std::uint64_t>(static_cast<std::int64_t>(r.fit_until)));
    w.u64(r.exact ? 1 : 0);
    w.f64(r.final_temperature);
    w.u64(static_cast<std::uint64_t>(r.simulations));
    w.f64(r.wall_seconds);
    w.f64(r.simulate_seconds);
    w.f64(r.simulations_per_second);
    for (const std::vector<std::string>* list : {&r.parameters, &r.notes}) {
        w.u64(list->size());
        for (const std::string& t : *list) {
            w.text(t);
        }
    }
    w.doubles(r.weights);
    w.doubles(r.particles);
    for (std::size_t j = 0; j < r.parameters.size(); ++j) {
        w.text(r.parameter_kinds[j]);
        w.text(r.parameter_units[j]);
        w.text(r.priors[j]);
        w.f64(r.lower[j]);
        w.f64(r.upper[j]);
    }
    w.u64(r.generations.size());
    for (const GenerationRecord& g : r.generations) {
        w.u64(static_cast<std::uint64_t>(static_cast<std::int64_t>(g.generation)));
        w.f64(g.temperature);
        w.f64(g.tolerance);
        w.u64(static_cast<std::uint64_t>(g.candidates));
        w.u64(static_cast<std::uint64_t>(g.simulations));
        w.f64(g.acceptance_rate);
        w.f64(g.ess);
        w.f64(g.seconds);
    }
    w.u64(r.figures.size());
    for (const FigureFit& f : r.figures) {
        for (const std::string* t : {&f.observation, &f.series, &f.unit, &f.kind, &f.measure}) {
            w.text(*t);
        }
        w.u64(static_cast<std::uint64_t>(static_cast<std::int64_t>(f.year)));
        w.u64(static_cast<std::uint64_t>(static_cast<std::int64_t>(f.line)));
        for (const double x : {f.value, f.sd, f.median, f.q05, f.q25, f.q75, f.q95}) {
            w.f64(x);
        }
        w.u64((f.fitted ? 1U : 0U) | (f.inside50 ? 2U : 0U) | (f.inside90 ? 4U : 0U) |
              (f.edge90 ? 8U : 0U));
    }
    w.u64(r.smm ? 1 : 0);
    if (r.smm) {
        const SmmReport& s = *r.smm;
        w.doubles(s.estimate);
        w.doubles(s.standard_error);
        w.f64(s.objective);
        w.u64(static_cast<std::uint64_t>(static_cast<std::int64_t>(s.iterations)));
        w.u64(static_cast<std::uint64_t>(s.evaluations));
        w.u64(s.converged ? 1 : 0);
        w.u64(static_cast<std::uint64_t>(static_cast<std::int64_t>(s.replicates)));
        for (const auto* rows : {&s.profile_values, &s.profile_objective}) {
            w.u64(rows->size());
            for (const std::vector<double>& row : *rows) {
                w.doubles(row);
            }
        }
    }
    return detail::checksum_text(w.bytes);
}

// ---- writing -------------------------------------------------------------------------------

// No timestamps, creation order kept, the 1.8 format (readable by every HDF5 since 2008), UTF-8
// names — as the run files of output/hdf5.cpp.
class Writer : public FileWriter {
public:
    using FileWriter::FileWriter;

    Id doubles(hid_t parent, const std::string& name, const std::vector<hsize_t>& shape,
               const double* data) const {
        return dataset(parent, name, shape, H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, data);
    }
    Id doubles(hid_t parent, const std::string& name, const std::vector<double>& v) const {
        return doubles(parent, name, {v.size()}, v.data());
    }
    Id int64s(hid_t parent, const std::string& name, const std::vector<std::int64_t>& v) const {
        return dataset(parent, name, {v.size()}, H5T_STD_I64LE, H5T_NATIVE_INT64, v.data());
    }
    Id uint8s(hid_t parent, const std::string& name, const std::vector<std::uint8_t>& v) const {
        return dataset(parent, name, {v.size()}, H5T_STD_U8LE, H5T_NATIVE_UINT8, v.data());
    }
};

template <class T, class F>
std::vector<T> column(const std::vector<FigureFit>& figures, F f) {
    std::vector<T> out;
    for (const FigureFit& x : figures) {
        out.push_back(static_cast<T>(f(x)));
    }
    return out;
}

template <class T, class F>
std::vector<T> column(const std::vector<GenerationRecord>& gens, F f) {
    std::vector<T> out;
    for (const GenerationRecord& x : gens) {
        out.push_back(static_cast<T>(f(x)));
    }
    return out;
}

void write_contents(const Writer& w, const CalibrationResult& r) {
    const hid_t root = w.root();
    w.attribute(root, "kind", std::string("calibration"));
    w.attribute(root, "method", r.method);
    w.attribute(root, "name", r.name);
    w.attribute(root, "model", r.model);
    w.attribute(root, "scenario", r.scenario);
    w.attribute(root, "scenario_start", r.scenario_start);
    w.attribute(root, "calibration_text", r.calibration_text);
    w.attribute(root, "scenario_text", r.scenario_text);
    w.attribute(root, "data_file", r.data_file);
    w.attribute(root, "data_sha256", r.data_sha256);
    w.attribute(root, "engine_version", r.engine_version);
    if (!r.build_id.empty()) {
        w.attribute(root, "build_id", r.build_id);
    }
    w.attribute(root, "fingerprint", r.fingerprint);
    w.attribute(root, "seed", std::to_string(r.seed));
    w.attribute(root, "fit_until", static_cast<std::int64_t>(r.fit_until));
    w.attribute(root, "exact", static_cast<std::int64_t>(r.exact ? 1 : 0));
    w.attribute(root, "final_temperature", r.final_temperature);
    w.attribute(root, "ess", r.ess);
    w.attribute(root, "simulations", r.simulations);
    w.attribute(root, "wall_seconds", r.wall_seconds);
    w.attribute(root, "simulate_seconds", r.simulate_seconds);
    w.attribute(root, "simulations_per_second", r.simulations_per_second);
    w.attribute(root, "parameters", r.parameters);
    w.attribute(root, "notes", r.notes);
    w.attribute(root, "checksum", checksum(r));

    const std::size_t n = r.particle_count();
    std::vector<std::int64_t> index(n);
    for (std::size_t k = 0; k < n; ++k) {
        index[k] = static_cast<std::int64_t>(k);
    }
    const Id particle = w.int64s(root, "particle", index);
    must_ok(H5DSset_scale(particle.get(), "particle"), "cannot make '/particle' a dimension scale");
    const Id weights = w.doubles(root, "weights", r.weights);
    must_ok(H5DSattach_scale(weights.get(), particle.get(), 0), "cannot attach '/particle'");

    const Id params = w.group(root, "parameters");
    for (std::size_t j = 0; j < r.parameters.size(); ++j) {
        std::vector<double> v(n);
        for (std::size_t k = 0; k < n; ++k) {
            v[k] = r.particle(k, j);
        }
        const Id set = w.doubles(params.get(), r.parameters[j], v);
        must_ok(H5DSattach_scale(set.get(), particle.get(), 0), "cannot attach '/particle'");
        w.attribute(set.get(), "kind", r.parameter_kinds[j]);
        w.attribute(set.get(), "unit", r.parameter_units[j]);
        w.attribute(set.get(), "prior", r.priors[j]);
        w.attribute(set.get(), "lower", r.lower[j]);
        w.attribute(set.get(), "upper", r.upper[j]);
        const ParameterSummary& s = r.summaries[j];
        w.attribute(set.get(), "mean", s.mean);
        w.attribute(set.get(), "median", s.median);
        w.attribute(set.get(), "q05", s.q05);
        w.attribute(set.get(), "q25", s.q25);
        w.attribute(set.get(), "q75", s.q75);
        w.attribute(set.get(), "q95", s.q95);
    }

    const Id gens = w.group(root, "generations");
    const auto& g = r.generations;
    w.int64s(gens.get(), "generation",
             column<std::int64_t>(g, [](auto& x) { return x.generation; }));
    w.doubles(gens.get(), "temperature", column<double>(g, [](auto& x) { return x.temperature; }));
    w.doubles(gens.get(), "tolerance", column<double>(g, [](auto& x) { return x.tolerance; }));
    w.int64s(gens.get(), "candidates",
             column<std::int64_t>(g, [](auto& x) { return x.candidates; }));
    w.int64s(gens.get(), "simulations",
             column<std::int64_t>(g, [](auto& x) { return x.simulations; }));
    w.doubles(gens.get(), "acceptance_rate",
              column<double>(g, [](auto& x) { return x.acceptance_rate; }));
    w.doubles(gens.get(), "ess", column<double>(g, [](auto& x) { return x.ess; }));
    w.doubles(gens.get(), "seconds", column<double>(g, [](auto& x) { return x.seconds; }));

    const Id figs = w.group(root, "figures");
    const auto& f = r.figures;
    w.strings(figs.get(), "observation",
              column<std::string>(f, [](auto& x) { return x.observation; }));
    w.strings(figs.get(), "series", column<std::string>(f, [](auto& x) { return x.series; }));
    w.int64s(figs.get(), "year", column<std::int64_t>(f, [](auto& x) { return x.year; }));
    w.doubles(figs.get(), "value", column<double>(f, [](auto& x) { return x.value; }));
    w.strings(figs.get(), "unit", column<std::string>(f, [](auto& x) { return x.unit; }));
    w.strings(figs.get(), "kind", column<std::string>(f, [](auto& x) { return x.kind; }));
    w.strings(figs.get(), "measure", column<std::string>(f, [](auto& x) { return x.measure; }));
    w.doubles(figs.get(), "sd", column<double>(f, [](auto& x) { return x.sd; }));
    w.uint8s(figs.get(), "fitted", column<std::uint8_t>(f, [](auto& x) { return x.fitted; }));
    w.doubles(figs.get(), "median", column<double>(f, [](auto& x) { return x.median; }));
    w.doubles(figs.get(), "q05", column<double>(f, [](auto& x) { return x.q05; }));
    w.doubles(figs.get(), "q25", column<double>(f, [](auto& x) { return x.q25; }));
    w.doubles(figs.get(), "q75", column<double>(f, [](auto& x) { return x.q75; }));
    w.doubles(figs.get(), "q95", column<double>(f, [](auto& x) { return x.q95; }));
    w.uint8s(figs.get(), "inside50", column<std::uint8_t>(f, [](auto& x) { return x.inside50; }));
    w.uint8s(figs.get(), "inside90", column<std::uint8_t>(f, [](auto& x) { return x.inside90; }));
    w.uint8s(figs.get(), "edge90", column<std::uint8_t>(f, [](auto& x) { return x.edge90; }));
    w.int64s(figs.get(), "line", column<std::int64_t>(f, [](auto& x) { return x.line; }));

    if (r.smm) {
        const SmmReport& s = *r.smm;
        const Id smm = w.group(root, "smm");
        w.doubles(smm.get(), "estimate", s.estimate);
        w.doubles(smm.get(), "standard_error", s.standard_error);
        w.attribute(smm.get(), "objective", s.objective);
        w.attribute(smm.get(), "iterations", static_cast<std::int64_t>(s.iterations));
        w.attribute(smm.get(), "evaluations", s.evaluations);
        w.attribute(smm.get(), "converged", static_cast<std::int64_t>(s.converged ? 1 : 0));
        w.attribute(smm.get(), "replicates", static_cast<std::int64_t>(s.replicates));
        const std::size_t d = s.profile_values.size();
        const std::size_t p = d > 0 ? s.profile_values.front().size() : 0;
        std::vector<double> values;
        std::vector<double> objective;
        for (std::size_t j = 0; j < d; ++j) {
            values.insert(values.end(), s.profile_values[j].begin(), s.profile_values[j].end());
            objective.insert(objective.end(), s.profile_objective[j].begin(),
                             s.profile_objective[j].end());
        }
        w.doubles(smm.get(), "profile_values", {d, p}, values.data());
        w.doubles(smm.get(), "profile_objective", {d, p}, objective.data());
    }
}

// The file is built in memory first, to learn its size, and written only where it fits: HDF5
// that runs out of disk while writing leaves the file half-closed inside the library, and its
// shutdown at exit then crashed a Python process that had caught the error (an outside tester,
// canopy.calibrate(out=...) on a full disk). A result is small: its particles and summaries.
void write_file(const fs::path& path, const CalibrationResult& r) {
    std::uint64_t bytes = 0;
    {
        Writer sized(path, FileWriter::InMemory{});
        write_contents(sized, r);
        bytes = sized.size();
        sized.close();
    }
    // Room for the file and HDF5's own slack (a close extends the file to its allocation).
    const std::uint64_t needed = bytes + bytes / 16 + (std::uint64_t{16} << 10);
    std::error_code ec;
    const fs::space_info space =
        fs::space(path.parent_path().empty() ? "." : path.parent_path(), ec);
    if (!ec && space.available < needed) {
        throw Failure{"cannot write the file (No space left on device: it needs about " +
                      std::to_string(needed / 1024 + 1) + " KiB, " +
                      std::to_string(space.available / 1024) + " KiB are free)"};
    }
    Writer w(path);
    write_contents(w, r); // every object it opens is closed when it returns
    w.close();
}
// ---- reading -------------------------------------------------------------------------------

class Reader {
public:
    explicit Reader(const fs::path& path)
        : path_(path)
        , file_(must(H5Fopen(path.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT),
                     "cannot open it as an HDF5 file"),
                H5Fclose) {}

    [[nodiscard]] hid_t root() const { return file_.get(); }

    bool has(hid_t where, const std::string& name) const {
        return H5Lexists(where, name.c_str(), H5P_DEFAULT) > 0;
    }
    bool has_attribute(hid_t where, const std::string& name) const {
        return H5Aexists(where, name.c_str()) > 0;
    }

    Id open(hid_t where, const std::string& name) const {
        if (!has(where, name)) {
            throw Failure{"'" + name + "' is missing"};
        }
        return Id(must(H5Oopen(where, name.c_str(), H5P_DEFAULT), "cannot open '" + name + "'"),
                  H5Oclose);
    }

    std::string text(hid_t where, const std::string& name) const {
        const auto strings = texts(where, name);
        if (strings.size() != 1) {
            throw Failure{"attribute '" + name + "' is not one string"};
        }
        return strings.front();
    }

    std::vector<std::string> texts(hid_t where, const std::string& name) const {
        if (!has_attribute(where, name)) {
            throw Failure{"attribute '" + name + "' is missing"};
        }
        Id a(must(H5Aopen(where, name.c_str(), H5P_DEFAULT), "cannot open '" + name + "'"),
             H5Aclose);
        Id type(must(H5Aget_type(a.get()), "cannot read '" + name + "'"), H5Tclose);
        if (H5Tget_class(type.get()) != H5T_STRING || H5Tis_variable_str(type.get()) <= 0) {
            throw Failure{"attribute '" + name + "' is not text"};
        }
        // Through the checked reader (its count checked against the file, stored_count): HDF5
        // would trust a damaged heap (hdf5_support.hpp).
        return read_strings(a.get(), "attribute '" + name + "'");
    }

    double number(hid_t where, const std::string& name) const {
        if (!has_attribute(where, name)) {
            throw Failure{"attribute '" + name + "' is missing"};
        }
        Id a(must(H5Aopen(where, name.c_str(), H5P_DEFAULT), "cannot open '" + name + "'"),
             H5Aclose);
        Id space(must(H5Aget_space(a.get()), "cannot read '" + name + "'"), H5Sclose);
        if (H5Sget_simple_extent_npoints(space.get()) != 1) {
            throw Failure{"attribute '" + name + "' is not one number"};
        }
        double v = 0.0;
        must_ok(H5Aread(a.get(), H5T_NATIVE_DOUBLE, &v), "cannot read '" + name + "'");
        return v;
    }

    std::vector<double> doubles(hid_t where, const std::string& name,
                                std::vector<hsize_t>* shape = nullptr) const {
        const Id set = open(where, name);
        (void)stored_count(set.get(), "dataset '" + name + "'"); // before anything is sized by it
        Id space(must(H5Dget_space(set.get()), "cannot read '" + name + "'"), H5Sclose);
        const int rank = H5Sget_simple_extent_ndims(space.get());
        std::vector<hsize_t> dims(static_cast<std::size_t>(std::max(rank, 0)));
        H5Sget_simple_extent_dims(space.get(), dims.data(), nullptr);
        hsize_t n = 1;
        for (const hsize_t d : dims) {
            n *= d;
        }
        std::vector<double> out(static_cast<std::size_t>(n));
        if (n > 0) {
            must_ok(
                H5Dread(set.get(), H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, out.data()),
                "cannot read '" + name + "' as numbers");
        }
        if (shape != nullptr) {
            *shape = dims;
        }
        return out;
    }

    std::vector<std::string> strings(hid_t where, const std::string& name) const {
        const Id set = open(where, name);
        return read_strings(set.get(), "dataset '" + name + "'"); // counts checked there
    }

private:
    fs::path path_;
    Id file_;
};

void expect_length(const std::string& name, std::size_t got, std::size_t want) {
    if (got != want) {
        throw Failure{"'" + name + "' has " + std::to_string(got) + " values, expected " +
                      std::to_string(want)};
    }
}

CalibrationResult read_file(const fs::path& path) {
    const Reader in(path);
    const hid_t root = in.root();
    CalibrationResult r;
    if (!in.has_attribute(root, "kind") || in.text(root, "kind") != "calibration") {
        throw Failure{"it is not a calibration result (its root attribute 'kind' is not "
                      "\"calibration\"; `canopy calibrate --out` writes one)"};
    }
    r.method = in.text(root, "method");
    r.name = in.text(root, "name");
    r.model = in.text(root, "model");
    r.scenario = in.text(root, "scenario");
    r.scenario_start = in.text(root, "scenario_start");
    r.calibration_text = in.text(root, "calibration_text");
    r.scenario_text = in.text(root, "scenario_text");
    r.data_file = in.text(root, "data_file");
    r.data_sha256 = in.text(root, "data_sha256");
    r.engine_version = in.text(root, "engine_version");
    if (in.has_attribute(root, "build_id")) {
        r.build_id = in.text(root, "build_id");
    }
    r.fingerprint = in.text(root, "fingerprint");
    r.seed = std::stoull(in.text(root, "seed"));
    r.fit_until = static_cast<int>(in.number(root, "fit_until"));
    r.exact = in.number(root, "exact") != 0.0;
    r.final_temperature = in.number(root, "final_temperature");
    r.ess = in.number(root, "ess");
    r.simulations = static_cast<std::int64_t>(in.number(root, "simulations"));
    r.wall_seconds = in.number(root, "wall_seconds");
    r.simulate_seconds = in.number(root, "simulate_seconds");
    r.simulations_per_second = in.number(root, "simulations_per_second");
    r.parameters = in.texts(root, "parameters");
    r.notes = in.texts(root, "notes");
    r.weights = in.doubles(root, "weights");
    const std::size_t n = r.weights.size();
    const std::size_t d = r.parameters.size();
    if (n == 0 || d == 0) {
        throw Failure{"it holds no particles or no parameters"};
    }
    const Id params = in.open(root, "parameters");
    std::vector<std::vector<double>> columns;
    for (const std::string& name : r.parameters) {
        columns.push_back(in.doubles(params.get(), name));
        expect_length("/parameters/" + name, columns.back().size(), n);
        const Id set = in.open(params.get(), name);
        r.parameter_kinds.push_back(in.text(set.get(), "kind"));
        r.parameter_units.push_back(in.text(set.get(), "unit"));
        r.priors.push_back(in.text(set.get(), "prior"));
        r.lower.push_back(in.number(set.get(), "lower"));
        r.upper.push_back(in.number(set.get(), "upper"));
    }
    r.particles.resize(n * d);
    for (std::size_t k = 0; k < n; ++k) {
        for (std::size_t j = 0; j < d; ++j) {
            r.particles[k * d + j] = columns[j][k];
        }
    }
    r.summarise();

    const Id gens = in.open(root, "generations");
    const auto gen = in.doubles(gens.get(), "generation");
    const auto temperature = in.doubles(gens.get(), "temperature");
    const auto tolerance = in.doubles(gens.get(), "tolerance");
    const auto candidates = in.doubles(gens.get(), "candidates");
    const auto simulations = in.doubles(gens.get(), "simulations");
    const auto rate = in.doubles(gens.get(), "acceptance_rate");
    const auto ess = in.doubles(gens.get(), "ess");
    const auto seconds = in.doubles(gens.get(), "seconds");
    for (const auto* v :
         {&temperature, &tolerance, &candidates, &simulations, &rate, &ess, &seconds}) {
        expect_length("/generations", v->size(), gen.size());
    }
    for (std::size_t i = 0; i < gen.size(); ++i) {
        GenerationRecord g;
        g.generation = static_cast<int>(gen[i]);
        g.temperature = temperature[i];
        g.tolerance = tolerance[i];
        g.candidates = static_cast<std::int64_t>(candidates[i]);
        g.simulations = static_cast<std::int64_t>(simulations[i]);
        g.acceptance_rate = rate[i];
        g.ess = ess[i];
        g.seconds = seconds[i];
        r.generations.push_back(g);
    }

    const Id figs = in.open(root, "figures");
    const auto observation = in.strings(figs.get(), "observation");
    const std::size_t m = observation.size();
    const auto series = in.strings(figs.get(), "series");
    const auto year = in.doubles(figs.get(), "year");
    const auto value = in.doubles(figs.get(), "value");
    const auto unit = in.strings(figs.get(), "unit");
    const auto kind = in.strings(figs.get(), "kind");
    const auto measure = in.strings(figs.get(), "measure");
    const auto sd = in.doubles(figs.get(), "sd");
    const auto fitted = in.doubles(figs.get(), "fitted");
    const auto median = in.doubles(figs.get(), "median");
    const auto q05 = in.doubles(figs.get(), "q05");
    const auto q25 = in.doubles(figs.get(), "q25");
    const auto q75 = in.doubles(figs.get(), "q75");
    const auto q95 = in.doubles(figs.get(), "q95");
    const auto inside50 = in.doubles(figs.get(), "inside50");
    const auto inside90 = in.doubles(figs.get(), "inside90");
    // edge90 came later: a file written before it reads as no figure near an end.
    const auto edge90 = in.has(figs.get(), "edge90") ? in.doubles(figs.get(), "edge90")
                                                     : std::vector<double>(m, 0.0);
    const auto line = in.doubles(figs.get(), "line");
    for (const auto* v : {&series, &unit, &kind, &measure}) {
        expect_length("/figures", v->size(), m);
    }
    for (const auto* v : {&year, &value, &sd, &fitted, &median, &q05, &q25, &q75, &q95, &inside50,
                          &inside90, &edge90, &line}) {
        expect_length("/figures", v->size(), m);
    }
    for (std::size_t i = 0; i < m; ++i) {
        FigureFit f;
        f.observation = observation[i];
        f.series = series[i];
        f.year = static_cast<int>(year[i]);
        f.value = value[i];
        f.unit = unit[i];
        f.kind = kind[i];
        f.measure = measure[i];
        f.sd = sd[i];
        f.fitted = fitted[i] != 0.0;
        f.median = median[i];
        f.q05 = q05[i];
        f.q25 = q25[i];
        f.q75 = q75[i];
        f.q95 = q95[i];
        f.inside50 = inside50[i] != 0.0;
        f.inside90 = inside90[i] != 0.0;
        f.edge90 = edge90[i] != 0.0;
        f.line = static_cast<int>(line[i]);
        r.figures.push_back(std::move(f));
    }

    if (in.has(root, "smm")) {
        const Id smm = in.open(root, "smm");
        SmmReport s;
        s.estimate = in.doubles(smm.get(), "estimate");
        s.standard_error = in.doubles(smm.get(), "standard_error");
        expect_length("/smm/estimate", s.estimate.size(), d);
        expect_length("/smm/standard_error", s.standard_error.size(), d);
        s.objective = in.number(smm.get(), "objective");
        s.iterations = static_cast<int>(in.number(smm.get(), "iterations"));
        s.evaluations = static_cast<std::int64_t>(in.number(smm.get(), "evaluations"));
        s.converged = in.number(smm.get(), "converged") != 0.0;
        s.replicates = static_cast<int>(in.number(smm.get(), "replicates"));
        std::vector<hsize_t> shape;
        const auto values = in.doubles(smm.get(), "profile_values", &shape);
        const auto objective = in.doubles(smm.get(), "profile_objective");
        if (shape.size() != 2 || shape[0] != d || objective.size() != values.size()) {
            throw Failure{"'/smm/profile_values' is not [parameter, point]"};
        }
        const auto p = static_cast<std::size_t>(shape[1]);
        for (std::size_t j = 0; j < d; ++j) {
            s.profile_values.emplace_back(values.begin() + static_cast<std::ptrdiff_t>(j * p),
                                          values.begin() +
                                              static_cast<std::ptrdiff_t>((j + 1) * p));
            s.profile_objective.emplace_back(objective.begin() + static_cast<std::ptrdiff_t>(j * p),
                                             objective.begin() +
                                                 static_cast<std::ptrdiff_t>((j + 1) * p));
        }
        r.smm = std::move(s);
    }
    // A file written before Canopy stored the checksum has nothing to compare: read unchecked.
    if (in.has_attribute(root, "checksum")) {
        if (std::string why = detail::checksum_mismatch(
                in.text(root, "checksum"), checksum(r),
                "run the calibration that wrote it again (canopy calibrate ... --out)");
            !why.empty()) {
            throw Failure{std::move(why)};
        }
    }
    return r;
}

std::atomic<unsigned> temporary_counter{0};

} // namespace

CalibrationResult read_calibration_result(const std::filesystem::path& path) {
    const std::string name = path.generic_string();
    std::error_code ec;
    if (!fs::is_regular_file(path, ec)) {
        throw Error("cannot read the calibration result '" + name +
                    "': " + (fs::exists(path, ec) ? "not a regular file" : "no such file"));
    }
    if (H5Fis_hdf5(path.c_str()) <= 0) {
        throw Error("cannot read the calibration result '" + name + "': not an HDF5 file");
    }
    const QuietErrors quiet;
    try {
        return read_file(path);
    } catch (const Failure& f) {
        throw Error("cannot read the calibration result '" + name + "': " + f.what);
    } catch (const std::invalid_argument&) {
        throw Error("cannot read the calibration result '" + name + "': a malformed seed");
    } catch (const std::out_of_range&) {
        throw Error("cannot read the calibration result '" + name + "': a malformed seed");
    }
}

void write_calibration_result(const std::filesystem::path& path, const CalibrationResult& r) {
    const std::size_t d = r.parameters.size();
    if (r.particles.size() != r.weights.size() * d || r.parameter_kinds.size() != d ||
        r.parameter_units.size() != d || r.priors.size() != d || r.lower.size() != d ||
        r.upper.size() != d || r.summaries.size() != d) {
        throw Error("cannot write '" + path.generic_string() +
                    "': the calibration result is inconsistent (internal error)");
    }
    // A temporary beside the target, renamed over it once complete.
    const fs::path target = write_target(path); // through a link, dangling or not
    const fs::path temp = temporary_path(target, ::getpid(), temporary_counter++);
    const QuietErrors quiet;
    try {
        write_file(temp, r);
        const int fd = ::open(temp.c_str(), O_RDONLY);
        if (fd >= 0) {
            ::fsync(fd);
            ::close(fd);
        }
        fs::rename(temp, target);
    } catch (const Failure& f) {
        std::error_code ec;
        fs::remove(temp, ec);
        throw Error("cannot write '" + path.generic_string() + "': " + f.what);
    } catch (const fs::filesystem_error& e) {
        std::error_code ec;
        fs::remove(temp, ec);
        throw Error("cannot write '" + path.generic_string() + "': " + e.what());
    }
}

} // namespace canopy::experiments
