// `import canopy`: the engine, the experiments layer and the output layer from Python (pybind11).
//
// The compiled part is canopy._canopy; python/canopy/__init__.py re-exports it. Everything here
// is a thin translation: scenarios are the engine's validated Scenario, runs are the engine's
// ensembles summarised by the output layer (the same numbers `canopy run` prints), calibration
// results are experiments::CalibrationResult. Long computations release the GIL, so other Python
// threads run meanwhile; bad input raises canopy.InputError with every diagnostic, runtime
// failures canopy.Error.
#include "registry.hpp"

#include <canopy/engine/diagnostics.hpp>
#include <canopy/engine/distribution_syntax.hpp>
#include <canopy/engine/error.hpp>
#include <canopy/engine/limits.hpp>
#include <canopy/engine/parallel.hpp>
#include <canopy/engine/resources.hpp>
#include <canopy/engine/scenario.hpp>
#include <canopy/experiments/abc_smc.hpp>
#include <canopy/experiments/build_id.hpp>
#include <canopy/experiments/calibration.hpp>
#include <canopy/experiments/calibration_result.hpp>
#include <canopy/experiments/evaluator.hpp>
#include <canopy/experiments/output_lock.hpp>
#include <canopy/experiments/overrides.hpp>
#include <canopy/experiments/posterior.hpp>
#include <canopy/experiments/precision.hpp>
#include <canopy/experiments/resource_check.hpp>
#include <canopy/experiments/smm.hpp>
#include <canopy/experiments/sweep_result.hpp>
#include <canopy/output/calibration_outputs.hpp>
#include <canopy/output/history_note.hpp>
#include <canopy/output/input_path.hpp>
#include <canopy/output/json.hpp>
#include <canopy/output/summary.hpp>

#include <algorithm>
#include <atomic>
#include <charconv>
#include <chrono>
#include <cmath>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <optional>
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>
#include <pybind11/stl/filesystem.h>
#include <span>
#include <string>
#include <sys/stat.h>
#include <thread>
#include <unistd.h>
#include <variant>
#include <vector>

namespace py = pybind11;

namespace {

using namespace canopy;

// Raised for bad input (a scenario, calibration file or override that does not validate); its
// message lists every diagnostic, one per line, and `.diagnostics` holds them as dicts.
PyObject* input_error_type = nullptr;

// Text for Python from bytes that need not be UTF-8: a path given as bytes
// (b"/tmp/x\xff.toml") reaches messages as it is, and pybind's strict decoding raised
// UnicodeDecodeError in place of the InputError naming the file. Bytes that are not UTF-8 read
// as \xNN escapes, so that the text prints anywhere.
py::str text(const std::string& s) {
    PyObject* decoded =
        PyUnicode_DecodeUTF8(s.data(), static_cast<Py_ssize_t>(s.size()), "backslashreplace");
    if (decoded == nullptr) {
        throw py::error_already_set();
    }
    return py::reinterpret_steal<py::str>(decoded);
}

// A path for Python as os.fsdecode gives it: bytes that are not UTF-8 as surrogates, so that
// os.fsencode(path) gives the file's name back, as read_sweep's `file` and OSError.filename do.
py::str path_text(const std::string& s) {
    PyObject* decoded =
        PyUnicode_DecodeFSDefaultAndSize(s.data(), static_cast<Py_ssize_t>(s.size()));
    if (decoded == nullptr) {
        throw py::error_already_set();
    }
    return py::reinterpret_steal<py::str>(decoded);
}

[[noreturn]] void raise_input_error(const engine::Diagnostics& diagnostics,
                                    const std::string& what) {
    py::list items;
    for (const engine::Diagnostic& d : diagnostics) {
        py::dict item;
        item["file"] = path_text(d.file);
        item["line"] = d.line;
        item["column"] = d.column;
        item["key"] = text(d.key);
        item["message"] = text(d.message);
        item["allowed"] = text(d.allowed);
        item["hint"] = text(d.hint);
        item["error"] = d.severity == engine::Diagnostic::Severity::error;
        items.append(item);
    }
    py::object error = py::reinterpret_borrow<py::object>(input_error_type)(
        text(what + ":\n" + diagnostics.format()));
    error.attr("diagnostics") = items;
    PyErr_SetObject(input_error_type, error.ptr());
    throw py::error_already_set();
}

// "a, b, c".
std::string join(const std::vector<std::string>& names) {
    std::string out;
    for (const std::string& n : names) {
        out += (out.empty() ? "" : ", ") + n;
    }
    return out;
}

// An argument of a call that is not allowed: InputError (a ValueError) with one diagnostic, as
// for a file's mistakes, so every kind of bad input is caught the same way.
[[noreturn]] void raise_bad_argument(const std::string& key, const std::string& message,
                                     const std::string& allowed, const std::string& hint = {},
                                     const std::string& file = {}) {
    engine::Diagnostics d;
    engine::Diagnostic item;
    item.file = file;
    item.key = key;
    item.message = message;
    item.allowed = allowed;
    item.hint = hint;
    d.add(item);
    raise_input_error(d, "bad argument '" + key + "'");
}

// A whole-number argument from `min` to `max`, taken as Python does (an int or anything with
// __index__, such as numpy's integers; not a bool): InputError naming `key` and the range
// otherwise. pybind's own integer conversion raised TypeError "incompatible function arguments"
// for a negative or too large number, naming neither the argument nor what is allowed.
// True, False and numpy's booleans: refused where a number is asked for, not read as 1 or 0.
bool is_boolean(const py::handle& value) {
    if (py::isinstance<py::bool_>(value)) {
        return true;
    }
    const std::string type = Py_TYPE(value.ptr())->tp_name;
    return type == "numpy.bool_" || type == "numpy.bool";
}

// A numpy array of one or more dimensions: not one number, even of one element, though it has
// __float__ and __index__ (np.array([20.0]) was read silently as 20, np.array([20.0, 30.0]) as a
// number "too large for a double", np.array([3]) raised numpy's bare TypeError "only integer
// scalar arrays can be converted to a scalar index"). A numpy scalar (np.float64(20)) has ndim 0.
bool is_array(const py::handle& value) {
    return PyFloat_Check(value.ptr()) == 0 && PyLong_Check(value.ptr()) == 0 &&
           py::hasattr(value, "ndim") &&
           py::getattr(value, "ndim").cast<py::int_>().cast<long>() != 0;
}

// An int, a float, or one of numpy's integer or floating scalars; not a boolean.
bool is_real_number(const py::handle& value) {
    if (is_boolean(value) || is_array(value)) {
        return false;
    }
    if (PyFloat_Check(value.ptr()) != 0 || PyIndex_Check(value.ptr()) != 0) {
        return true;
    }
    if (!py::hasattr(value, "dtype") || !py::hasattr(value, "__float__")) {
        return false;
    }
    const auto kind =
        py::getattr(py::getattr(value, "dtype"), "kind", py::str("")).cast<std::string>();
    return kind == "f";
}

// How a message names an int too large for a double: as written when short, else by its digits
// (10**400 written out is 401 digits).
std::string too_large_text(const py::handle& value) {
    const std::string text = py::repr(value).cast<std::string>();
    if (text.size() <= 40) {
        return text + " is too large";
    }
    const std::size_t digits = text.size() - (text.front() == '-' ? 1 : 0);
    return "an int of " + std::to_string(digits) + " digits (" + text.substr(0, 12) +
           "...) is too large";
}

// The value of a real number (is_real_number), or nullopt for an int past a double's range.
std::optional<double> double_of(const py::handle& value) {
    const double x = PyFloat_AsDouble(value.ptr());
    if (x == -1.0 && PyErr_Occurred() != nullptr) {
        PyErr_Clear();
        return std::nullopt;
    }
    return x;
}

template <typename T>
T whole_number(const py::handle& value, const std::string& key, T min, T max,
               const std::string& allowed) {
    const std::string range = std::to_string(min) + " to " + std::to_string(max);
    const auto refuse = [&] {
        raise_bad_argument(key,
                           "must be a whole number from " + range + ", not " +
                               py::repr(value).cast<std::string>(),
                           allowed);
    };
    if (is_boolean(value) || PyIndex_Check(value.ptr()) == 0 || is_array(value)) {
        refuse();
    }
    const auto n = py::reinterpret_steal<py::int_>(PyNumber_Index(value.ptr()));
    if (!n) {
        // __index__ refused (np.array(3.0), a 0-d array of floats): not a whole number.
        if (PyErr_ExceptionMatches(PyExc_TypeError) != 0) {
            PyErr_Clear();
            refuse();
        }
        throw py::error_already_set();
    }
    if (n < py::int_(min) || n > py::int_(max)) {
        raise_bad_argument(key,
                           "must be a whole number from " + range + ", not " +
                               py::repr(n).cast<std::string>(),
                           allowed);
    }
    return n.cast<T>();
}

// seed: any 64-bit unsigned number, as `--seed` takes; none for the file's.
std::optional<std::uint64_t> seed_argument(const py::object& seed) {
    if (seed.is_none()) {
        return std::nullopt;
    }
    return whole_number<std::uint64_t>(seed, "seed", 0, UINT64_MAX,
                                       "0 to " + std::to_string(UINT64_MAX));
}

// threads: 0 for every core, else how many.
int check_threads(const py::object& threads) {
    return whole_number<int>(threads, "threads", 0, 4096, "0 (every core) or 1 to 4096");
}

// The scenario with policy mix `name` applied; an unknown name is bad input, with the mixes.
std::shared_ptr<const engine::Scenario> with_mix(const engine::Scenario& s,
                                                 const std::string& name) {
    std::vector<std::string> names;
    for (const auto& m : s.policy_mixes) {
        names.push_back(m.name);
    }
    if (!name.empty() && std::find(names.begin(), names.end(), name) == names.end()) {
        const std::string allowed = join(names);
        raise_bad_argument("policy_mix",
                           "scenario '" + s.name + "' has no policy mix '" + name + "'",
                           allowed.empty() ? "none: the scenario defines no policy mix" : allowed,
                           engine::did_you_mean(name, names));
    }
    return std::make_shared<const engine::Scenario>(s.with_policy_mix(name));
}

const models::ModelHandle& model_of(const engine::Scenario& s) {
    const models::ModelHandle* m = models::find_model(s.model);
    if (m == nullptr) {
        throw Error("model '" + s.model + "' is not registered");
    }
    return *m;
}

// Runs and calibrations from several Python threads go one at a time: each sets the process's
// thread limit (engine::ThreadLimit, one at a time by design), and two at once shared and tore
// down each other's TBB arena (a segfault, or a hang, in an outside probe). Taken with the GIL
// released, so the other Python threads go on meanwhile; waited for in slices (EngineTurn), so
// that Ctrl-C reaches a call waiting its turn.
std::timed_mutex engine_lock;

// A call "in flight" is one that has released the GIL to wait for its turn or to compute
// (ReleasedGil), until it has the GIL back. Two events must not meet one:
// - The interpreter's exit. Python 3.11 ends a thread that takes the GIL back during
//   finalization with pthread_exit, whose forced unwind met a noexcept destructor
//   (py::gil_scoped_release's: "terminate called without an active exception") or TBB's
//   catch (...) ("FATAL: exception not rethrown"); and a daemon thread still computing while
//   exit() destroyed the module's statics crashed (SIGSEGV). So an atexit hook, which runs before
//   finalization, sets `exiting` and waits until no call is in flight: each one stops at its
//   next check for Ctrl-C (Exiting) or when it ends, and parks its thread for good instead of
//   taking the GIL back; it never touches Python or the engine again.
// - A fork. The child has only the forking thread: a lock or TBB arena held by a call in flight
//   stays held in it for ever (the child hung). A child forked then refuses every canopy call
//   with canopy.Error (forked_mid_call); one forked with no call in flight works as before.
std::mutex flight_mutex;              // guards in_flight; held across fork() (fork_handlers)
std::condition_variable flight_ended; // in_flight went down
int in_flight = 0;
std::atomic<bool> exiting{false};
std::atomic<bool> forked_mid_call{false};

// Thrown out of a computation once the interpreter is exiting: it unwinds to ReleasedGil, which
// parks the thread.
struct Exiting {};

[[noreturn]] void park_for_good() {
    for (;;) {
        ::pause(); // a signal's handler may wake it (Python's only sets a flag): sleep again
    }
}

// canopy.Error for a call in a child forked while another thread's call was in flight.
void check_not_forked_mid_call() {
    if (forked_mid_call.load()) {
        throw Error("this process was forked while another thread was inside a canopy call "
                    "(run or calibrate), whose engine lock and threads the fork copied in use: "
                    "canopy cannot be used in it; start worker processes with the 'spawn' or "
                    "'forkserver' start method (multiprocessing.get_context('spawn'), "
                    "ProcessPoolExecutor(mp_context=...); docs/python.md, 'Runs in another "
                    "process')");
    }
}

// The GIL released for a call's wait and computation (in place of py::gil_scoped_release),
// counted in flight. Constructed with the GIL held; raises canopy.Error once the interpreter
// is exiting. Its destructor takes the GIL back unless the interpreter is exiting, when it
// parks the thread instead: the atexit hook waits for that, so finalization (when taking the
// GIL back would end the thread with pthread_exit) never starts while a call is in flight.
class ReleasedGil {
public:
    ReleasedGil() {
        check_not_forked_mid_call();
        if (exiting.load()) {
            throw Error("the interpreter is exiting: canopy runs and calibrations are refused");
        }
        {
            const std::lock_guard count(flight_mutex);
            ++in_flight;
        }
        state_ = PyEval_SaveThread();
    }
    ~ReleasedGil() {
        {
            std::unique_lock count(flight_mutex);
            if (exiting.load()) {
                --in_flight;
                count.unlock();
                flight_ended.notify_all();
                park_for_good();
            }
        }
        // Finalizing without the atexit hook having run (an embedding interpreter): taking the
        // GIL back would end the thread inside this noexcept destructor.
        if (_Py_IsFinalizing() != 0) {
            park_for_good();
        }
        PyEval_RestoreThread(state_);
        {
            const std::lock_guard count(flight_mutex);
            --in_flight;
        }
        flight_ended.notify_all();
    }
    ReleasedGil(const ReleasedGil&) = delete;
    ReleasedGil& operator=(const ReleasedGil&) = delete;

private:
    PyThreadState* state_ = nullptr;
};

// The atexit hook: stops the calls in flight and waits until each has parked or returned.
void stop_calls_at_exit() {
    exiting.store(true);
    // A call taking the GIL back (at a check for Ctrl-C, or as it returns) must get it.
    const py::gil_scoped_release free_threads;
    std::unique_lock count(flight_mutex);
    flight_ended.wait(count, [] { return in_flight == 0; });
}

// os.register_at_fork's handlers, run with the GIL held by the forking thread. flight_mutex is
// held across the fork, so the child's copy is neither held by a thread it lacks nor counting
// a call half-way.
void before_fork() {
    flight_mutex.lock();
}
void after_fork_in_parent() {
    flight_mutex.unlock();
}
void after_fork_in_child() {
    if (in_flight > 0) {
        forked_mid_call.store(true);
    }
    in_flight = 0; // the threads of those calls are not in the child
    flight_mutex.unlock();
}

// Thrown out of a run when Python's signal handler raised (Ctrl-C): the run stops.
struct Interrupted {};

// Ctrl-C for a computation running with the GIL released. Python's handlers run on the main
// thread only: the thread that called (the caller of run or calibrate, which also takes part in
// the work) looks, with the GIL taken back, each time it is asked to; any thread then throws
// Interrupted, and the caller, with the GIL held again, raises what the handler set
// (KeyboardInterrupt) with py::error_already_set. Once the interpreter is exiting, any thread
// throws Exiting instead, without touching the GIL.
class InterruptCheck {
public:
    void operator()() {
        if (exiting.load()) {
            throw Exiting{};
        }
        if (!interrupted_.load() && std::this_thread::get_id() == caller_) {
            if (_Py_IsFinalizing() != 0) { // without the atexit hook: see ReleasedGil
                throw Exiting{};
            }
            const py::gil_scoped_acquire gil;
            if (PyErr_CheckSignals() != 0) { // the error stays set for error_already_set
                interrupted_.store(true);
            }
        }
        if (interrupted_.load()) {
            throw Interrupted{};
        }
    }

private:
    std::thread::id caller_ = std::this_thread::get_id();
    std::atomic<bool> interrupted_{false};
};

// The engine's turn, held while this lives. Waiting for another thread's run or calibration
// (hours, behind a calibration) looked for Ctrl-C only once the turn came: it waits in slices
// of 100 ms, with `check` between them (Interrupted for Ctrl-C, Exiting at exit).
class EngineTurn {
public:
    explicit EngineTurn(InterruptCheck& check) {
        while (!engine_lock.try_lock_for(std::chrono::milliseconds(100))) {
            check();
        }
    }
    ~EngineTurn() { engine_lock.unlock(); }
    EngineTurn(const EngineTurn&) = delete;
    EngineTurn& operator=(const EngineTurn&) = delete;
};

// A calibration's evaluator that looks for Ctrl-C before each batch of runs and after each
// run: `canopy.calibrate` ran to the end (45 s), wrote `out`, and only then raised
// KeyboardInterrupt, losing the result. Results are `inner`'s, untouched.
class InterruptibleEvaluator final : public experiments::Evaluator {
public:
    InterruptibleEvaluator(experiments::Evaluator& inner, InterruptCheck& check)
        : inner_(inner)
        , check_(check) {}
    std::vector<experiments::PointResult>
    evaluate(const experiments::Experiment& experiment, std::span<const experiments::Point> points,
             const experiments::ResultCallback& on_result = {}) override {
        check_();
        return inner_.evaluate(experiment, points,
                               [this, &on_result](const experiments::PointResult& r) {
                                   if (on_result) {
                                       on_result(r);
                                   }
                                   check_();
                               });
    }
    [[nodiscard]] bool is_root() const override { return inner_.is_root(); }
    [[nodiscard]] int processes() const override { return inner_.processes(); }
    void share(std::vector<std::uint8_t>& bytes) override { inner_.share(bytes); }

private:
    experiments::Evaluator& inner_;
    InterruptCheck& check_;
};

// As `canopy run`'s: a run estimated past this many seconds is said before it starts.
constexpr double LONG_RUN_SECONDS = 600.0;

// A validated scenario, immutable; methods return new scenarios.
struct PyScenario {
    std::shared_ptr<const engine::Scenario> s;
    /// The policy mixes applied, in order: the summary's `policy_mix` names them joined by '+'
    /// ("high_tech_push+talent"), "base" when none, as `canopy run --policy-mix` names its one.
    std::vector<std::string> mixes;
    /// The overrides applied, as `--set` writes them (NAME=VALUE, LEVER*=FACTOR).
    std::vector<std::string> overrides;
    /// What `s` was made from, so that with_posterior attaches a posterior where `canopy run`
    /// does, before the mixes and overrides whatever the order of the calls (a mix's or an
    /// override's parameter then drops the posterior's column, as in the CLI): the scenario
    /// before any mix or override, and each of them in the order applied.
    std::shared_ptr<const engine::Scenario> before_steps;
    std::vector<std::variant<std::string, std::vector<experiments::Override>>> steps;
};

std::string mix_label(const std::vector<std::string>& mixes) {
    std::string out;
    for (const std::string& m : mixes) {
        out += (out.empty() ? "" : "+") + m;
    }
    return out.empty() ? std::string(output::BASE_MIX) : out;
}

// The scenario with one more mix applied, its name kept for the summary's label.
PyScenario plus_mix(const PyScenario& self, const std::string& given) {
    check_not_forked_mid_call();
    // "base" is the scenario without a mix, as `canopy run --policy-mix base` takes it.
    const std::string name = given == engine::BASE_POLICY_MIX ? std::string() : given;
    // A mix applied again acts once (its settings are already in force) while the summary's label
    // named it twice ("high_tech_push+high_tech_push"): refused, as `canopy compare` refuses a mix
    // named twice and `canopy run` takes one.
    if (!name.empty() &&
        std::find(self.mixes.begin(), self.mixes.end(), name) != self.mixes.end()) {
        std::vector<std::string> others{std::string(engine::BASE_POLICY_MIX)};
        for (const auto& m : self.s->policy_mixes) {
            if (std::find(self.mixes.begin(), self.mixes.end(), m.name) == self.mixes.end()) {
                others.push_back(m.name);
            }
        }
        raise_bad_argument("policy_mix",
                           "policy mix '" + name + "' is already applied to this scenario (" +
                               mix_label(self.mixes) +
                               "); applied again it would change nothing but the label",
                           "a mix not yet applied, or base for none more: " + join(others));
    }
    PyScenario out{with_mix(*self.s, name), self.mixes, self.overrides, self.before_steps,
                   self.steps};
    if (!name.empty()) {
        out.mixes.push_back(name);
        out.steps.emplace_back(name);
    }
    return out;
}

PyScenario load_scenario(const std::filesystem::path& given) {
    check_not_forked_mid_call();
    // Here, then in the source tree, as `canopy run` looks a scenario up.
    const std::filesystem::path path = output::resolve_input_path(given.string());
    engine::LoadResult r = engine::load_scenario(path, models::model_catalog());
    if (!r.scenario) {
        raise_input_error(r.diagnostics, "cannot load scenario '" + path.generic_string() + "'");
    }
    engine::Scenario scenario = std::move(*r.scenario);
    // A posterior named by the scenario's key is attached as `canopy run` attaches it.
    experiments::AttachedPosterior attached =
        experiments::attach_posterior(scenario, model_of(scenario).info());
    if (!attached.scenario) {
        engine::Diagnostics d;
        d.add(std::move(attached.problem));
        raise_input_error(d, "cannot use the posterior of '" + path.generic_string() + "'");
    }
    scenario = std::move(*attached.scenario);
    auto loaded = std::make_shared<const engine::Scenario>(std::move(scenario));
    return PyScenario{loaded, {}, {}, loaded, {}};
}

py::dict uncertain_dict(const engine::ParameterSetting& p) {
    py::dict d;
    const engine::Uncertain& u = p.value;
    d["distribution"] = engine::to_string(u.kind);
    if (u.kind == engine::Uncertain::Kind::fixed) {
        d["value"] = u.a;
    } else {
        // The fields as the file writes them (beta's alpha and beta, not Uncertain's a and b:
        // an outside reader could not predict "a" and "b").
        const auto& all = engine::distribution_syntaxes();
        const auto syntax =
            std::find_if(all.begin(), all.end(), [&](const auto& x) { return x.kind == u.kind; });
        if (u.kind == engine::Uncertain::Kind::triangular) { // written (low, mode, high)
            d["low"] = u.a;
            d["mode"] = u.c;
            d["high"] = u.b;
        } else if (syntax != all.end()) {
            d[py::str(syntax->fields.at(0))] = u.a;
            d[py::str(syntax->fields.at(1))] = u.b;
        }
        d["mean"] = u.mean(); // a normal's "mean" field is its mean
    }
    d["source"] = p.provenance.source;
    d["assumption"] = p.provenance.assumption;
    d["from_scenario"] = p.provenance.from_scenario;
    return d;
}

// Whether `o` names what an override of `earlier` (a previous with_overrides of the scenario)
// or of `given` (the same dict) already sets; if so adds an error at `where`. As `canopy run
// --set` refuses a name given twice: in one dict only one of "x" and "x*" acted, while the
// summary listed both; across calls the summary listed both ('births_per_month=13',
// 'births_per_month=14'), a list `--set` refuses, though pasting it back should repeat the run.
bool set_twice(const std::vector<experiments::Override>& earlier,
               const std::vector<experiments::Override>& given, const experiments::Override& o,
               const experiments::InputPlace& where, engine::Diagnostics& diagnostics) {
    const auto same = [&o](const experiments::Override& e) {
        return e.target.kind == o.target.kind && e.target.index == o.target.index;
    };
    const auto before = std::find_if(earlier.begin(), earlier.end(), same);
    const auto here = std::find_if(given.begin(), given.end(), same);
    if (before == earlier.end() && here == given.end()) {
        return false;
    }
    const bool in_this_call = here != given.end();
    const experiments::Override& first = in_this_call ? *here : *before;
    engine::Diagnostic d;
    d.key = where.key;
    d.message = "'" + o.target.name + "' is set twice (" +
                experiments::override_texts(std::span(&first, 1)).front() +
                (in_this_call ? "" : " by an earlier with_overrides") + ", then " +
                experiments::override_texts(std::span(&o, 1)).front() + "): " +
                (in_this_call ? "only one could act"
                              : "the run's overrides would list both, a list `canopy run --set` "
                                "refuses");
    d.allowed = "each name once";
    if (!in_this_call) {
        d.hint = "- override the scenario it was made from, or set the name once";
    }
    diagnostics.add(std::move(d));
    return true;
}

// A parameter as Scenario.parameters shows it: drawn from a posterior's column when `joint`
// has one for parameter `index` (its prior's distribution, still in `p`, was shown before,
// though no replicate draws from it), else uncertain_dict's.
py::dict parameter_dict(const engine::ParameterSetting& p, const engine::JointDraws* joint,
                        std::size_t index) {
    if (joint != nullptr) {
        const auto& columns = joint->columns();
        for (std::size_t c = 0; c < columns.size(); ++c) {
            if (columns[c].kind != engine::JointDraws::Column::Kind::parameter ||
                static_cast<std::size_t>(columns[c].index) != index) {
                continue;
            }
            // The weighted mean and the range of the particles the replicates can draw.
            double total = 0.0;
            double sum = 0.0;
            double low = HUGE_VAL;
            double high = -HUGE_VAL;
            for (std::size_t row = 0; row < joint->rows(); ++row) {
                const double x = joint->value(row, c);
                const double w = joint->weights()[row];
                total += w;
                sum += w * x;
                if (w > 0.0) { // a particle of weight 0 is never drawn
                    low = std::min(low, x);
                    high = std::max(high, x);
                }
            }
            py::dict d;
            d["distribution"] = "posterior";
            // JointDraws' origin is "posterior 'PATH'": the file alone.
            std::string file = joint->origin();
            if (const std::string lead = "posterior '";
                file.rfind(lead, 0) == 0 && file.size() > lead.size() && file.back() == '\'') {
                file = file.substr(lead.size(), file.size() - lead.size() - 1);
            }
            d["posterior"] = file;
            d["particles"] = joint->rows();
            d["min"] = low;
            d["max"] = high;
            d["mean"] = sum / total;
            d["source"] = p.provenance.source;
            d["assumption"] = p.provenance.assumption;
            d["from_scenario"] = p.provenance.from_scenario;
            return d;
        }
    }
    return uncertain_dict(p);
}

// A double as the experiments layer's messages write one past 1e15 (std::to_chars' shortest).
std::string double_text(double x) {
    char buffer[64];
    const auto end = std::to_chars(buffer, buffer + sizeof buffer, x);
    return std::string(buffer, end.ptr);
}

// repr(value) when `value` is an int the experiments layer's messages would write as a double
// (past 1e15: "1e+17", or 2**64 - 1 as "18446744073709551616"); else empty.
std::string as_given(const py::handle& value, double x) {
    if (PyFloat_Check(value.ptr()) != 0 || PyIndex_Check(value.ptr()) == 0 || !std::isfinite(x) ||
        std::fabs(x) < 1e15) {
        return {};
    }
    return py::repr(value).cast<std::string>();
}

// Overrides from {"name": value}; "lever*" scales a lever's schedule (as --set LEVER*=F does).
PyScenario with_overrides(const PyScenario& self, const py::dict& values) {
    check_not_forked_mid_call();
    const engine::ModelInfo& info = model_of(*self.s).info();
    engine::Diagnostics diagnostics;
    // What this scenario's earlier with_overrides (or run's overrides=) set already.
    std::vector<experiments::Override> earlier;
    for (const auto& step : self.steps) {
        if (const auto* set = std::get_if<std::vector<experiments::Override>>(&step)) {
            earlier.insert(earlier.end(), set->begin(), set->end());
        }
    }
    std::vector<experiments::Override> overrides;
    // Every mistake of the dict is listed, as `canopy run --set` lists them: a value that is not
    // a number raised at once, dropping what the names before it had found (a misspelt name and
    // its "did you mean").
    const auto refuse = [&diagnostics](const std::string& key, const std::string& message,
                                       const std::string& allowed) {
        engine::Diagnostic d;
        d.key = key;
        d.message = message;
        d.allowed = allowed;
        diagnostics.add(std::move(d));
    };
    for (const auto& [k, v] : values) {
        if (!py::isinstance<py::str>(k)) {
            refuse("overrides", "a key is not a name: " + py::repr(k).cast<std::string>(),
                   "{'name': number}");
            continue;
        }
        std::string name = py::cast<std::string>(k);
        // bool is an int in Python: refuse it rather than read True as 1. numpy's integers and
        // floats are numbers (np.int64(3) was refused as "expected a number, found 3").
        if (!is_real_number(v)) {
            refuse("overrides['" + name + "']",
                   "expected a number, found " + py::repr(v).cast<std::string>(),
                   "an int or a float (numpy's too)");
            continue;
        }
        const std::optional<double> number = double_of(v);
        if (!number) { // an int past a double's range: 10**400
            refuse("overrides['" + name + "']",
                   too_large_text(v) + " for a number of Canopy's (a double)",
                   "a finite number, at most about 1.8e308 in size");
            continue;
        }
        const double value = *number;
        experiments::OverrideMode mode = experiments::OverrideMode::set;
        if (!name.empty() && name.back() == '*') {
            name.pop_back();
            mode = experiments::OverrideMode::scale;
        }
        const experiments::InputPlace where{"", 0, 0,
                                            "overrides['" + py::cast<std::string>(k) + "']"};
        const auto target = experiments::resolve_target(
            name, info, where, diagnostics, mode, "overrides['" + name + "'] (no '*') to set it");
        if (target && set_twice(earlier, overrides, experiments::Override{*target, value}, where,
                                diagnostics)) {
            continue;
        }
        // A large int (np.uint64(2**64 - 1)) is named as given, not as the double it became
        // ("18446744073709551616 is outside the allowed range").
        engine::Diagnostics checked;
        const bool fits =
            target && experiments::check_value(*target, value, info, where, checked, self.s.get());
        const std::string shown = as_given(v, value);
        for (engine::Diagnostic d : checked) {
            if (!shown.empty()) {
                const std::string as_double = double_text(value);
                if (const std::size_t at = d.message.find(as_double); at != std::string::npos) {
                    d.message.replace(at, as_double.size(), shown);
                }
            }
            diagnostics.add(std::move(d));
        }
        if (fits) {
            overrides.push_back(experiments::Override{*target, value});
        }
    }
    if (diagnostics.has_errors()) {
        raise_input_error(diagnostics, "bad overrides of scenario '" + self.s->name + "'");
    }
    PyScenario out{
        std::make_shared<const engine::Scenario>(experiments::apply_overrides(*self.s, overrides)),
        self.mixes, self.overrides, self.before_steps, self.steps};
    out.steps.emplace_back(overrides);
    for (std::string& text : experiments::override_texts(overrides)) {
        out.overrides.push_back(std::move(text));
    }
    return out;
}

PyScenario with_posterior(const PyScenario& self, const std::filesystem::path& path,
                          const std::vector<std::string>& given_columns) {
    check_not_forked_mid_call();
    // No columns named: the scenario's posterior_parameters when it has them, as
    // `canopy run --posterior FILE` keeps them; else every column of the posterior.
    const engine::Scenario& base = self.before_steps ? *self.before_steps : *self.s;
    std::vector<std::string> columns = given_columns;
    if (columns.empty() && base.posterior) {
        columns = base.posterior->parameters;
    }
    // As the scenario key `posterior_parameters` refuses a name given twice.
    for (auto it = columns.begin(); it != columns.end(); ++it) {
        if (std::find(columns.begin(), it, *it) != it) {
            raise_bad_argument("columns", "'" + *it + "' is listed twice", "each name once");
        }
    }
    std::optional<experiments::CalibrationResult> post;
    try {
        post = experiments::read_calibration_result(path);
        auto attached = std::make_shared<const engine::Scenario>(experiments::with_posterior(
            base, model_of(base).info(), *post, path.generic_string(), columns));
        // The mixes and overrides again, in their order, on the scenario with the posterior.
        engine::Scenario s = *attached;
        for (const auto& step : self.steps) {
            if (const auto* mix = std::get_if<std::string>(&step)) {
                s = s.with_policy_mix(*mix);
            } else {
                s = experiments::apply_overrides(
                    s, std::get<std::vector<experiments::Override>>(step));
            }
        }
        return PyScenario{std::make_shared<const engine::Scenario>(std::move(s)), self.mixes,
                          self.overrides, attached, self.steps};
    } catch (const Error& e) {
        // A posterior that does not fit the scenario is bad input, like --posterior's.
        engine::Diagnostics d;
        engine::Diagnostic diag;
        diag.file = path.generic_string();
        diag.key = "posterior";
        diag.message = e.what();
        if (dynamic_cast<const experiments::PosteriorColumnError*>(&e) != nullptr) {
            diag.hint = "- choose the columns it can use with columns=" +
                        experiments::columns_list(
                            experiments::usable_columns(base, model_of(base).info(), *post));
        }
        d.add(std::move(diag));
        raise_input_error(d, "scenario '" + self.s->name + "' cannot use this posterior");
    }
}

// The outcome of one ensemble: arrays and the summary `canopy run --json` writes.
struct PyRun {
    std::shared_ptr<const engine::Scenario> scenario;
    std::shared_ptr<const engine::Ensemble> ensemble;
    std::shared_ptr<const output::EnsembleSummary> summary;
    /// What `canopy run` prints as "note: ..." for this run: the model's advisories its
    /// parameters break at their means, and the targets read before policy_start.
    std::vector<std::string> notes;
};

std::string max_memory_argument(const py::object& value);

PyRun run(const PyScenario& self, const py::object& replicates_arg, const py::object& seed_arg,
          const py::object& threads_arg, const std::string& policy_mix,
          const std::optional<py::dict>& overrides, const py::object& precision_arg,
          const py::object& max_memory_arg) {
    check_not_forked_mid_call();
    const std::string replicates_range = "1 to " + std::to_string(engine::MAX_REPLICATES);
    const std::optional<int> replicates =
        replicates_arg.is_none()
            ? std::nullopt
            : std::optional<int>(whole_number<int>(replicates_arg, "replicates", 1,
                                                   static_cast<int>(engine::MAX_REPLICATES),
                                                   replicates_range));
    const std::optional<std::uint64_t> seed = seed_argument(seed_arg);
    const int threads = check_threads(threads_arg);
    // Overrides apply after the mix, as `canopy run --policy-mix M --set ...` does.
    PyScenario chosen = plus_mix(self, policy_mix);
    if (overrides) {
        chosen = with_overrides(chosen, *overrides);
    }
    const engine::Scenario& mixed = *chosen.s;
    const models::ModelHandle& model = model_of(mixed);
    // The scenario's `precision` unless given, as `canopy run --precision` (0: every replicate).
    double precision = mixed.precision;
    if (!precision_arg.is_none()) {
        if (!is_real_number(precision_arg)) {
            raise_bad_argument("precision",
                               "expected a number, found " +
                                   py::repr(precision_arg).cast<std::string>(),
                               "0 (every replicate), or a probability above 0 and below 0.5");
        }
        const std::optional<double> number = double_of(precision_arg);
        if (!number) { // an int past a double's range: it was "got inf"
            raise_bad_argument(
                "precision", too_large_text(precision_arg) + " for a number of Canopy's (a double)",
                "0 (every replicate), or a probability above 0 and below 0.5");
        }
        precision = *number;
        if (precision != 0.0) {
            if (const std::string p = experiments::precision_problem(precision); !p.empty()) {
                raise_bad_argument("precision", p,
                                   "0 (every replicate), or a probability above 0 and below 0.5");
            }
        }
    }
    engine::EnsembleOptions options;
    options.replicates = replicates.value_or(mixed.replicates);
    options.seed = seed.value_or(mixed.seed);
    if (options.replicates < 1 || options.replicates > engine::MAX_REPLICATES) {
        raise_bad_argument("replicates",
                           "must be 1 to " + std::to_string(engine::MAX_REPLICATES) + ", not " +
                               std::to_string(options.replicates),
                           replicates_range);
    }
    // As `canopy run` does: refuse, before anything runs, a run that cannot fit in memory,
    // blaming the replicates only when fewer would fit (one replicate of a city of 4 billion
    // firms was "fewer replicates").
    const std::string max_memory = max_memory_argument(max_memory_arg);
    const std::vector<engine::Scenario> runs{mixed};
    const int workers = threads > 0 ? threads : engine::hardware_threads();
    const experiments::ResourceCheck need = experiments::check_resources(
        model, runs, options.replicates, workers, max_memory, "the run", "use fewer replicates",
        experiments::python_resource_words());
    if (!need.problem.empty()) {
        const experiments::ResourceCheck one = experiments::check_resources(
            model, runs, 1, workers, max_memory, "even one replicate",
            "use a smaller city (fewer firms)", experiments::python_resource_words());
        if (!one.problem.empty()) {
            raise_bad_argument("max_memory", one.problem,
                               "a scenario whose replicate fits in the memory allowed");
        }
        raise_bad_argument("replicates", need.problem, "fewer replicates");
    }
    // A run estimated past ten minutes is said before it starts, as `canopy run` says it.
    if (need.seconds > LONG_RUN_SECONDS) {
        if (PyErr_WarnEx(PyExc_UserWarning, ("canopy.run: this run needs " + need.estimate).c_str(),
                         1) != 0) {
            throw py::error_already_set(); // warnings made errors (-W error): raised, not run
        }
    }
    // The notes `canopy run` prints on stderr (and Python said nothing of): each a UserWarning
    // before the run starts, and Run.notes.
    std::vector<std::string> notes = engine::advisory_notes(model.info(), mixed);
    if (std::string history = output::history_targets_note(mixed); !history.empty()) {
        if (history.back() == '\n') {
            history.pop_back();
        }
        notes.push_back(std::move(history));
    }
    for (const std::string& note : notes) {
        if (PyErr_WarnEx(PyExc_UserWarning, ("canopy.run: note: " + note).c_str(), 1) != 0) {
            throw py::error_already_set(); // warnings made errors (-W error): raised, not run
        }
    }
    // Ctrl-C stops the run between replicates with KeyboardInterrupt (it finished the whole
    // run first, then raised). Python's handlers run on the main thread only: the thread that
    // called run looks, with the GIL taken back, after each replicate it finishes.
    InterruptCheck check_interrupt;
    options.progress = [&check_interrupt](std::size_t, std::size_t) { check_interrupt(); };
    PyRun out;
    out.scenario = std::make_shared<const engine::Scenario>(mixed);
    out.notes = std::move(notes);
    try {
        const ReleasedGil free_threads;
        const EngineTurn one_at_a_time(check_interrupt);
        const engine::ThreadLimit limit(threads);
        output::SummaryOptions so;
        so.policy_mix = mix_label(chosen.mixes);
        so.overrides = chosen.overrides;
        auto ensemble = std::make_shared<engine::Ensemble>();
        std::optional<output::EnsembleSummary> summary;
        if (precision > 0.0) {
            // Blocks of replicates until every target is settled, as `canopy run` runs them:
            // the replicates used are a prefix of the whole run's.
            experiments::PrecisionRule rule;
            rule.half_width = precision;
            rule.max_replicates = static_cast<std::size_t>(options.replicates);
            const experiments::PrecisionOutcome outcome =
                experiments::run_until_settled(rule, [&](std::size_t first, std::size_t count) {
                    engine::EnsembleOptions block = options;
                    block.first_replicate = static_cast<std::uint32_t>(first);
                    block.replicates = static_cast<int>(count);
                    engine::append_replicates(*ensemble, model.run(mixed, block));
                    summary = output::summarise_ensemble(mixed, model.info(), *ensemble, so);
                    std::vector<experiments::TargetCount> counts;
                    for (const output::TargetResult& t : summary->targets) {
                        counts.push_back({t.summary.attained, t.summary.replicates});
                    }
                    return counts;
                });
            output::record_precision(*summary, rule, outcome);
        } else {
            *ensemble = model.run(mixed, options);
            summary = output::summarise_ensemble(mixed, model.info(), *ensemble, so);
        }
        // The targets the inputs decide, with the inputs that decide them (`determined_by`), as
        // `canopy run` marks them: the same check on the same replicates. Its probes look for
        // Ctrl-C too, before each replicate they run.
        output::mark_determined_targets(
            *summary, mixed, model.info(), *ensemble,
            [&model, &check_interrupt](const engine::RunInputs& in, const engine::RandomKey& key) {
                check_interrupt();
                return model.run_replicate(in, key);
            });
        out.summary = std::make_shared<const output::EnsembleSummary>(std::move(*summary));
        out.ensemble = std::move(ensemble);
    } catch (const Interrupted&) {
        throw py::error_already_set(); // KeyboardInterrupt (or what the handler raised)
    }
    return out;
}

// A Run's arrays are read-only: each access makes a new copy, so a write to one was silently
// lost (`run.finals["x"][0] = 5` then read 2.0 back). numpy now refuses it.
template <typename Array>
Array frozen(Array a) {
    a.attr("setflags")(py::arg("write") = false);
    return a;
}

py::array_t<double> matrix(std::size_t rows, std::size_t cols) {
    return py::array_t<double>({static_cast<py::ssize_t>(rows), static_cast<py::ssize_t>(cols)});
}

py::dict run_indicators(const PyRun& r) {
    py::dict out;
    const engine::IndicatorSet& set = r.summary->indicators;
    const std::size_t reps = r.ensemble->replicates();
    const auto rows = static_cast<std::size_t>(r.scenario->calendar.steps() + 1);
    for (std::size_t i = 0; i < set.size(); ++i) {
        py::array_t<double> a = matrix(reps, rows);
        auto m = a.mutable_unchecked<2>();
        for (std::size_t k = 0; k < reps; ++k) {
            set.series(i, r.ensemble->runs[k],
                       std::span<double>(m.mutable_data(static_cast<py::ssize_t>(k), 0), rows));
        }
        out[py::str(set.specs()[i].id)] = frozen(std::move(a));
    }
    return out;
}

py::dict run_series(const PyRun& r) {
    py::dict out;
    const engine::ModelInfo& info = model_of(*r.scenario).info();
    const std::size_t reps = r.ensemble->replicates();
    const auto rows = static_cast<std::size_t>(r.scenario->calendar.steps() + 1);
    for (std::size_t s = 0; s < info.series.size(); ++s) {
        py::array_t<double> a = matrix(reps, rows);
        auto m = a.mutable_unchecked<2>();
        for (std::size_t k = 0; k < reps; ++k) {
            for (std::size_t t = 0; t < rows; ++t) {
                m(static_cast<py::ssize_t>(k), static_cast<py::ssize_t>(t)) =
                    r.ensemble->runs[k].at(static_cast<int>(t), static_cast<int>(s));
            }
        }
        out[py::str(info.series[s].name)] = frozen(std::move(a));
    }
    return out;
}

py::dict run_finals(const PyRun& r) {
    py::dict out;
    const auto& set = r.summary->indicators;
    for (std::size_t i = 0; i < set.size(); ++i) {
        out[py::str(set.specs()[i].id)] = frozen(py::array_t<double>(
            static_cast<py::ssize_t>(r.summary->finals[i].size()), r.summary->finals[i].data()));
    }
    return out;
}

py::dict run_parameters(const PyRun& r) {
    py::dict out;
    const engine::ModelInfo& info = model_of(*r.scenario).info();
    const std::size_t reps = r.ensemble->replicates();
    for (std::size_t p = 0; p < info.parameters.size(); ++p) {
        py::array_t<double> a(static_cast<py::ssize_t>(reps));
        auto v = a.mutable_unchecked<1>();
        for (std::size_t k = 0; k < reps; ++k) {
            v(static_cast<py::ssize_t>(k)) = r.ensemble->parameters[k][p];
        }
        out[py::str(info.parameters[p].name)] = frozen(std::move(a));
    }
    return out;
}

py::list time_labels(const engine::Calendar& cal) {
    py::list out;
    for (int row = 0; row <= cal.steps(); ++row) {
        out.append(output::row_label(cal, row));
    }
    return out;
}

py::object json_loads(const std::string& text) {
    return py::module_::import("json").attr("loads")(text);
}

// A calibration result as a dict of plain Python and numpy values.
py::dict calibration_dict(const experiments::CalibrationResult& r) {
    py::dict d;
    d["method"] = r.method;
    d["name"] = r.name;
    d["model"] = r.model;
    d["scenario"] = r.scenario;
    d["scenario_start"] = r.scenario_start;
    d["calibration_text"] = r.calibration_text;
    d["data_file"] = r.data_file;
    d["data_sha256"] = r.data_sha256;
    d["seed"] = r.seed;
    d["fit_until"] = r.fit_until > 0 ? py::object(py::int_(r.fit_until)) : py::none();
    d["exact"] = r.exact;
    d["final_temperature"] = r.final_temperature;
    d["ess"] = r.ess;
    d["simulations"] = r.simulations;
    d["wall_seconds"] = r.wall_seconds;
    d["parameters"] = r.parameters;
    d["parameter_kinds"] = r.parameter_kinds;
    d["parameter_units"] = r.parameter_units;
    d["priors"] = r.priors;
    const std::size_t n = r.particle_count();
    const std::size_t dim = r.parameters.size();
    py::array_t<double> particles = matrix(n, dim);
    std::copy(r.particles.begin(), r.particles.end(), particles.mutable_data());
    d["particles"] = particles;
    d["weights"] = py::array_t<double>(static_cast<py::ssize_t>(n), r.weights.data());
    py::dict summaries;
    for (std::size_t j = 0; j < dim; ++j) {
        const experiments::ParameterSummary& s = r.summaries[j];
        summaries[py::str(r.parameters[j])] =
            py::dict(py::arg("mean") = s.mean, py::arg("median") = s.median, py::arg("q05") = s.q05,
                     py::arg("q25") = s.q25, py::arg("q75") = s.q75, py::arg("q95") = s.q95,
                     py::arg("lower") = r.lower[j], py::arg("upper") = r.upper[j],
                     py::arg("unit") = j < r.parameter_units.size() ? r.parameter_units[j] : "");
    }
    d["summary"] = summaries;
    py::list gens;
    for (const experiments::GenerationRecord& g : r.generations) {
        gens.append(py::dict(
            py::arg("generation") = g.generation, py::arg("temperature") = g.temperature,
            py::arg("tolerance") = g.tolerance, py::arg("candidates") = g.candidates,
            py::arg("simulations") = g.simulations, py::arg("acceptance_rate") = g.acceptance_rate,
            py::arg("ess") = g.ess, py::arg("seconds") = g.seconds));
    }
    d["generations"] = gens;
    py::list figures;
    for (const experiments::FigureFit& f : r.figures) {
        figures.append(py::dict(
            py::arg("observation") = f.observation, py::arg("series") = f.series,
            py::arg("year") = f.year, py::arg("value") = f.value, py::arg("unit") = f.unit,
            py::arg("kind") = f.kind, py::arg("measure") = f.measure, py::arg("sd") = f.sd,
            py::arg("fitted") = f.fitted, py::arg("median") = f.median, py::arg("q05") = f.q05,
            py::arg("q25") = f.q25, py::arg("q75") = f.q75, py::arg("q95") = f.q95,
            py::arg("inside50") = f.inside50, py::arg("inside90") = f.inside90,
            py::arg("edge90") = f.edge90, py::arg("line") = f.line));
    }
    d["figures"] = figures;
    // The hold-out figures' count and coverage, as `canopy calibrate --json` gives them.
    int held = 0;
    int in50 = 0;
    int in90 = 0;
    int edge90 = 0;
    for (const experiments::FigureFit& f : r.figures) {
        if (!f.fitted) {
            ++held;
            in50 += f.inside50 ? 1 : 0;
            in90 += f.inside90 ? 1 : 0;
            edge90 += f.edge90 ? 1 : 0;
        }
    }
    d["holdout"] = py::dict(py::arg("figures") = held, py::arg("inside50") = in50,
                            py::arg("inside90") = in90, py::arg("edge90") = edge90);
    // The data's series no figure fits: known only to the calibration that ran (calibrate sets
    // it), not stored in the file.
    d["unused_series"] = py::none();
    if (r.smm) {
        d["smm"] = py::dict(py::arg("estimate") = r.smm->estimate,
                            py::arg("standard_error") = r.smm->standard_error,
                            py::arg("objective") = r.smm->objective,
                            py::arg("iterations") = r.smm->iterations,
                            py::arg("converged") = r.smm->converged,
                            py::arg("profile_values") = r.smm->profile_values,
                            py::arg("profile_objective") = r.smm->profile_objective);
    } else {
        d["smm"] = py::none();
    }
    d["notes"] = r.notes;
    return d;
}

// The lock files of `out` that calls of calibrate in this process hold, by file identity (so
// that another spelling of the path is the same file). Read and changed with the GIL held.
std::vector<std::pair<dev_t, ino_t>> held_locks;

std::optional<std::pair<dev_t, ino_t>> file_identity(const std::filesystem::path& path) {
    struct stat st {};
    if (::stat(path.c_str(), &st) != 0) {
        return std::nullopt;
    }
    return std::pair{st.st_dev, st.st_ino};
}

bool held_by_this_process(const std::filesystem::path& lock_path) {
    const auto id = file_identity(lock_path);
    return id && std::find(held_locks.begin(), held_locks.end(), *id) != held_locks.end();
}

// One lock file in held_locks while this lives.
class HeldHere {
public:
    explicit HeldHere(const std::filesystem::path& lock_path)
        : id_(file_identity(lock_path)) {
        if (id_) {
            held_locks.push_back(*id_);
        }
    }
    ~HeldHere() {
        if (id_) {
            held_locks.erase(std::find(held_locks.begin(), held_locks.end(), *id_));
        }
    }
    HeldHere(const HeldHere&) = delete;
    HeldHere& operator=(const HeldHere&) = delete;

private:
    std::optional<std::pair<dev_t, ino_t>> id_;
};

// max_memory: None for the memory available, "none" for no limit, else a size such as "16G",
// as `--max-memory` takes; anything else is bad input naming the keyword.
std::string max_memory_argument(const py::object& value) {
    const std::string allowed = "a size such as '16G' or '512M', 'none' (no limit), or None (the "
                                "memory available)";
    if (value.is_none()) {
        return {};
    }
    if (!py::isinstance<py::str>(value)) {
        raise_bad_argument("max_memory",
                           "must be a size, not " + py::repr(value).cast<std::string>(), allowed);
    }
    std::string text = value.cast<std::string>();
    if (!experiments::valid_max_memory(text)) {
        raise_bad_argument("max_memory", "'" + text + "' is not a size", allowed);
    }
    return text;
}

py::dict calibrate(const std::filesystem::path& given, const std::optional<std::string>& method,
                   const py::object& fit_until_arg, const py::object& seed_arg,
                   const py::object& threads_arg, const std::optional<std::filesystem::path>& out,
                   const py::object& max_memory_arg) {
    check_not_forked_mid_call();
    // The ranges `canopy calibrate --fit-until` and --seed take (and the file's fit_until).
    const std::optional<int> fit_until =
        fit_until_arg.is_none()
            ? std::nullopt
            : std::optional<int>(
                  whole_number<int>(fit_until_arg, "fit_until", 1, 9999, "a year from 1 to 9999"));
    const std::optional<std::uint64_t> seed = seed_argument(seed_arg);
    const int threads = check_threads(threads_arg);
    const std::string max_memory = max_memory_argument(max_memory_arg);
    // Looked up as load_scenario and `canopy calibrate` look it up: here, then in the source tree.
    const std::filesystem::path file = output::resolve_input_path(given.string());
    experiments::CalibrationFlags flags;
    if (method) {
        if (*method != "abc-smc" && *method != "smm") {
            raise_bad_argument("method", "no method '" + *method + "'", "abc-smc, smm",
                               engine::did_you_mean(*method, {"abc-smc", "smm"}));
        }
        flags.method = *method == "smm" ? experiments::CalibrationMethod::smm
                                        : experiments::CalibrationMethod::abc_smc;
    }
    flags.fit_until = fit_until;
    flags.seed = seed;
    experiments::CalibrationLoad loaded = experiments::load_calibration(file, flags);
    if (!loaded.calibration) {
        // A flag the loader names is this function's argument: fit_until=, not --fit-until.
        engine::Diagnostics named;
        for (engine::Diagnostic d : loaded.diagnostics.items()) {
            if (d.file.empty() && d.key.rfind("--", 0) == 0) {
                d.key = d.key.substr(2);
                std::replace(d.key.begin(), d.key.end(), '-', '_');
            }
            named.add(std::move(d));
        }
        raise_input_error(named, "cannot load calibration '" + file.generic_string() + "'");
    }
    std::unique_ptr<experiments::OutputLock> lock;
    std::optional<HeldHere> held; // after `lock`: forgotten before the lock file goes
    if (out) {
        // The checks `canopy calibrate --out` makes, before anything runs: an HDF5 path that can
        // be written and is none of the files the calibration reads.
        const std::vector<std::string> problems = output::calibration_output_problems(
            file, &*loaded.calibration, out->string(), "", "out", "json");
        if (!problems.empty()) {
            engine::Diagnostics d;
            for (const std::string& p : problems) {
                engine::Diagnostic item;
                item.key = "out";
                item.message = p.rfind("out: ", 0) == 0 ? p.substr(5) : p;
                item.allowed = "a new or writable .h5 file in an existing directory, none of the "
                               "files the calibration reads";
                d.add(std::move(item));
            }
            raise_input_error(d, "bad argument 'out'");
        }
        // One writer per `out`, as `canopy calibrate --out` and `canopy sweep` take it: a second
        // calibration of the same path (from Python or the command line) is refused instead of
        // racing this one to the file. Held until this call returns or raises.
        // The lock is flock(2)'s, held per open file: a second call in this process is refused
        // by it as well, and was told "another process (pid <this one>)". Named as what it is.
        const std::filesystem::path lock_path = experiments::beside(*out, ".lock");
        if (held_by_this_process(lock_path)) {
            raise_bad_argument("out",
                               "'" + out->string() +
                                   "' is being written by another calibrate call in this "
                                   "process, which holds '" +
                                   lock_path.string() + "'; wait for it to return",
                               "a path no other calibration or sweep is writing",
                               "- give each concurrent call its own out");
        }
        std::string why;
        lock = experiments::OutputLock::take(*out, why);
        if (!lock) {
            raise_bad_argument("out", why, "a path no other calibration or sweep is writing");
        }
        held.emplace(lock->path());
    }
    // As `canopy calibrate` checks, with the same code, before any run: the candidate with every
    // fitted parameter at the end of its prior that makes the model largest must fit in memory
    // (a prior reaching past it ended in MemoryError, after the runs drawn before it).
    if (std::string p = experiments::calibration_resource_problem(
            *loaded.calibration, threads, max_memory, experiments::python_resource_words());
        !p.empty()) {
        // The priors of the file's [parameters] are what reach too far (or max_memory too low).
        engine::Diagnostics d;
        engine::Diagnostic item;
        item.file = file.generic_string();
        item.key = "parameters";
        item.message = std::move(p);
        item.allowed = "priors whose largest candidate fits in the memory available, or in "
                       "max_memory";
        d.add(std::move(item));
        raise_input_error(d, "calibration '" + file.generic_string() +
                                 "' cannot run in the memory allowed; nothing was run or written");
    }
    if (lock) {
        // Result-sized files of writers killed while writing: with the lock held, no other
        // calibration or sweep writes this `out`.
        lock->remove_stale_temporaries();
    }
    experiments::CalibrationResult result;
    std::optional<engine::Diagnostic> stopped;
    // Ctrl-C stops the calibration between runs; `out` is then not written.
    InterruptCheck check_interrupt;
    bool interrupted = false;
    {
        const ReleasedGil free_threads;
        try {
            const EngineTurn one_at_a_time(check_interrupt);
            const engine::ThreadLimit limit(threads);
            const std::unique_ptr<experiments::Evaluator> local = experiments::local_evaluator();
            InterruptibleEvaluator evaluator(*local, check_interrupt);
            const experiments::Calibration& c = *loaded.calibration;
            result = c.method == experiments::CalibrationMethod::smm
                         ? experiments::run_smm(c, evaluator)
                         : experiments::run_abc_smc(c, evaluator);
            if (out) {
                experiments::write_calibration_result(*out, result);
            }
        } catch (const experiments::CalibrationSettingError& e) {
            stopped = e.diagnostic(); // raised below, with the GIL held again
        } catch (const Interrupted&) {
            interrupted = true;
        }
    }
    if (interrupted) {
        throw py::error_already_set(); // KeyboardInterrupt (or what the handler raised)
    }
    if (stopped) {
        // A setting of the file stopped it before it had a result: bad input, as on the
        // command line (exit 2).
        engine::Diagnostics d;
        d.add(*stopped);
        raise_input_error(d, "calibration '" + file.generic_string() + "' stopped");
    }
    py::dict dict = calibration_dict(result);
    dict["unused_series"] = loaded.calibration->unused_series;
    return dict;
}

py::dict model_info(const std::string& name) {
    check_not_forked_mid_call();
    const models::ModelHandle* m = models::find_model(name);
    if (m == nullptr) {
        const std::vector<std::string> names = models::model_names();
        raise_bad_argument("name", "no model '" + name + "'", join(names),
                           engine::did_you_mean(name, names));
    }
    const engine::ModelInfo& info = m->info();
    py::dict d;
    d["name"] = info.name;
    d["description"] = info.description;
    py::list params;
    for (const engine::ParameterSpec& p : info.parameters) {
        params.append(py::dict(
            py::arg("name") = p.name, py::arg("unit") = p.unit,
            py::arg("description") = p.description, py::arg("default") = p.default_value,
            py::arg("min") = p.range.min, py::arg("max") = p.range.max,
            py::arg("role") = p.role == engine::ParameterRole::baseline ? "baseline" : "parameter",
            py::arg("integer") = p.integer));
    }
    d["parameters"] = params;
    py::list levers;
    for (const engine::LeverSpec& l : info.levers) {
        levers.append(py::dict(py::arg("name") = l.name, py::arg("unit") = l.unit,
                               py::arg("description") = l.description,
                               py::arg("default") = l.default_value, py::arg("min") = l.range.min,
                               py::arg("max") = l.range.max, py::arg("group") = l.group));
    }
    d["levers"] = levers;
    py::list series;
    for (const engine::SeriesSpec& s : info.series) {
        series.append(
            py::dict(py::arg("name") = s.name, py::arg("unit") = s.unit,
                     py::arg("description") = s.description,
                     py::arg("kind") = s.kind == engine::SeriesKind::flow ? "flow" : "stock"));
    }
    d["series"] = series;
    return d;
}

} // namespace

PYBIND11_MODULE(_canopy, m) {
    m.doc() = "Canopy: scenario simulation of innovation ecosystems (docs/python.md)";
    m.attr("__version__") = CANOPY_VERSION;
    // The build beyond the version (experiments/build_id.hpp), as sweep results record it.
    m.attr("__build_id__") = experiments::build_id();
    py::register_exception<canopy::Error>(m, "Error", PyExc_RuntimeError);
    // canopy.Error's message decoded as text() does: register_exception's PyErr_SetString raised
    // UnicodeDecodeError for a message naming a path that is not UTF-8. Tried before it (the
    // translator registered last is tried first).
    static PyObject* error_type = py::object(m.attr("Error")).release().ptr();
    py::register_exception_translator([](std::exception_ptr p) {
        try {
            if (p) {
                std::rethrow_exception(p);
            }
        } catch (const canopy::Error& e) {
            PyErr_SetObject(error_type, text(e.what()).ptr());
        }
    });
    input_error_type = PyErr_NewException("canopy.InputError", PyExc_ValueError, nullptr);
    m.attr("InputError") = py::handle(input_error_type);
    // A call in flight at exit parks its thread, and a child forked while one was in flight
    // refuses canopy calls (ReleasedGil, stop_calls_at_exit, after_fork_in_child).
    py::module_::import("atexit").attr("register")(py::cpp_function(&stop_calls_at_exit));
    py::module_::import("os").attr("register_at_fork")(
        py::arg("before") = py::cpp_function(&before_fork),
        py::arg("after_in_parent") = py::cpp_function(&after_fork_in_parent),
        py::arg("after_in_child") = py::cpp_function(&after_fork_in_child));
    // Scenario.__new__(Scenario) made an instance without its C++ object, and any use of it
    // segfaulted: both classes refuse __new__ (pybind makes its own instances with tp_alloc).
    const auto refuse_new = [](const std::string& message) {
        return py::staticmethod(
            py::cpp_function([message](const py::args&, const py::kwargs&) -> py::object {
                throw py::type_error(message);
            }));
    };

    py::class_<PyScenario> scenario_class(m, "Scenario", "A validated scenario (immutable)");
    scenario_class.attr("__new__") =
        refuse_new("canopy.Scenario cannot be made directly: canopy.load_scenario(path) makes one");
    scenario_class.def_property_readonly("name", [](const PyScenario& s) { return s.s->name; })
        .def_property_readonly("title", [](const PyScenario& s) { return s.s->title; })
        .def_property_readonly("description", [](const PyScenario& s) { return s.s->description; })
        .def_property_readonly("model", [](const PyScenario& s) { return s.s->model; })
        .def_property_readonly("path", [](const PyScenario& s) { return s.s->path; })
        .def_property_readonly("text", [](const PyScenario& s) { return s.s->text; })
        .def_property_readonly("start",
                               [](const PyScenario& s) { return s.s->calendar.start().str(); })
        .def_property_readonly("end", [](const PyScenario& s) { return s.s->calendar.end().str(); })
        .def_property_readonly("steps", [](const PyScenario& s) { return s.s->calendar.steps(); })
        .def_property_readonly("policy_start",
                               [](const PyScenario& s) { return s.s->policy_start.str(); })
        .def_property_readonly("seed", [](const PyScenario& s) { return s.s->seed; })
        .def_property_readonly("replicates", [](const PyScenario& s) { return s.s->replicates; })
        .def_property_readonly("time",
                               [](const PyScenario& s) { return time_labels(s.s->calendar); })
        .def_property_readonly("indicators",
                               [](const PyScenario& s) {
                                   std::vector<std::string> ids;
                                   for (const auto& i : s.s->indicators) {
                                       ids.push_back(i.id);
                                   }
                                   return ids;
                               })
        .def_property_readonly("targets",
                               [](const PyScenario& s) {
                                   std::vector<std::string> ids;
                                   for (const auto& t : s.s->targets) {
                                       ids.push_back(t.id);
                                   }
                                   return ids;
                               })
        .def_property_readonly("policy_mixes",
                               [](const PyScenario& s) {
                                   std::vector<std::string> names;
                                   for (const auto& p : s.s->policy_mixes) {
                                       names.push_back(p.name);
                                   }
                                   return names;
                               })
        .def_property_readonly(
            "parameters",
            [](const PyScenario& s) {
                py::dict d;
                const engine::ModelInfo& info = model_of(*s.s).info();
                for (std::size_t i = 0; i < info.parameters.size(); ++i) {
                    d[py::str(info.parameters[i].name)] =
                        parameter_dict(s.s->parameters[i], s.s->joint_draws.get(), i);
                }
                return d;
            },
            "Every parameter and baseline figure: its value or distribution (or the posterior "
            "it is drawn from) and provenance")
        .def_property_readonly("posterior_columns",
                               [](const PyScenario& s) {
                                   std::vector<std::string> names;
                                   if (s.s->joint_draws) {
                                       for (const auto& c : s.s->joint_draws->columns()) {
                                           names.push_back(c.name);
                                       }
                                   }
                                   return names;
                               })
        .def("with_overrides", &with_overrides, py::arg("values"),
             "A new scenario with parameters, baselines or levers set: {'name': value}; a key "
             "'lever*' scales the lever's whole schedule. Checked like `canopy run --set`.")
        .def(
            "with_policy_mix",
            [](const PyScenario& s, const std::string& mix) { return plus_mix(s, mix); },
            py::arg("name"))
        .def("with_posterior", &with_posterior, py::arg("path"),
             py::arg("columns") = std::vector<std::string>{},
             "A new scenario whose replicates draw their parameters jointly from a calibration "
             "posterior (all its columns, or those named)")
        // Immutable: a copy is the same object (as for a tuple). Not picklable (the engine's
        // validated scenario, not the calls that made it): the message says what works instead.
        .def("__copy__", [](const py::object& self) { return self; })
        .def(
            "__deepcopy__", [](const py::object& self, const py::object&) { return self; },
            py::arg("memo"))
        .def(
            "__reduce_ex__",
            [](const PyScenario&, const py::object&) -> py::object {
                throw py::type_error(
                    "a canopy.Scenario cannot be pickled: give a worker process the scenario's "
                    "path and its overrides (and policy mix, posterior), and let it call "
                    "canopy.load_scenario there (docs/python.md, 'Runs in another process')");
            },
            py::arg("protocol"))
        .def("__repr__", [](const PyScenario& s) {
            return "<canopy.Scenario '" + s.s->name + "' (" + s.s->model + ", " +
                   s.s->calendar.start().str() + " .. " + s.s->calendar.end().str() + ")>";
        });

    py::class_<PyRun> run_class(m, "Run", "The replicates of one ensemble and their summary");
    run_class.attr("__new__") =
        refuse_new("canopy.Run cannot be made directly: canopy.run(scenario) makes one");
    run_class
        .def_property_readonly("replicates",
                               [](const PyRun& r) { return r.ensemble->replicates(); })
        .def_property_readonly("seed", [](const PyRun& r) { return r.ensemble->seed; })
        .def_property_readonly("time",
                               [](const PyRun& r) { return time_labels(r.scenario->calendar); })
        .def_property_readonly("indicators", &run_indicators,
                               "{indicator id: array [replicate, time]}")
        .def_property_readonly("series", &run_series, "{model series: array [replicate, time]}")
        .def_property_readonly("finals", &run_finals, "{indicator id: array [replicate]}")
        .def_property_readonly("parameters", &run_parameters,
                               "{parameter: array [replicate]}: what each replicate drew")
        .def_property_readonly(
            "p_attain",
            [](const PyRun& r) {
                py::dict out;
                const py::object summary = json_loads(output::summary_json(*r.summary));
                for (const auto& t : summary["targets"]) {
                    out[t["id"]] = t["p_attain"];
                }
                return out;
            },
            "{target id: probability of attainment}")
        .def_property_readonly(
            "summary", [](const PyRun& r) { return json_loads(output::summary_json(*r.summary)); },
            "The summary `canopy run --json` writes, as a dict")
        .def_property_readonly(
            "notes", [](const PyRun& r) { return r.notes; },
            "The notes `canopy run` prints for this run (each also a UserWarning when it ran)")
        .def("__copy__", [](const py::object& self) { return self; })
        .def(
            "__deepcopy__", [](const py::object& self, const py::object&) { return self; },
            py::arg("memo"))
        .def(
            "__reduce_ex__",
            [](const PyRun&, const py::object&) -> py::object {
                throw py::type_error(
                    "a canopy.Run cannot be pickled: return what is needed from the worker "
                    "process instead (run.summary, run.p_attain, arrays such as run.finals are "
                    "plain dicts and numpy arrays; docs/python.md, 'Runs in another process')");
            },
            py::arg("protocol"))
        .def("__repr__", [](const PyRun& r) {
            return "<canopy.Run '" + r.scenario->name + "', " +
                   std::to_string(r.ensemble->replicates()) + " replicates>";
        });

    m.def("load_scenario", &load_scenario, py::arg("path"),
          "Load and validate a scenario file (raises InputError listing every problem)");
    m.def("run", &run, py::arg("scenario"), py::arg("replicates") = py::none(),
          py::arg("seed") = py::none(), py::arg("threads") = 0, py::arg("policy_mix") = "",
          py::arg("overrides") = py::none(), py::arg("precision") = py::none(),
          py::arg("max_memory") = py::none(),
          "Run the scenario's ensemble (its policy mix `policy_mix`, with `overrides` as "
          "Scenario.with_overrides) on `threads` threads (0: all), without holding the GIL; "
          "`precision` (default: the scenario's) stops once every target is settled, as "
          "`canopy run --precision`");
    m.def("calibrate", &calibrate, py::arg("path"), py::arg("method") = py::none(),
          py::arg("fit_until") = py::none(), py::arg("seed") = py::none(), py::arg("threads") = 0,
          py::arg("out") = py::none(), py::arg("max_memory") = py::none(),
          "Run a calibration file (docs/calibration.md); returns the result as a dict and, "
          "with `out`, writes it as `canopy calibrate --out` does, holding the same lock on it "
          "(OUT.h5.lock) while it runs");
    m.def(
        "read_calibration",
        [](const std::filesystem::path& path) {
            // The file is the user's input: a missing file, one that is not HDF5 or not a
            // calibration result is bad input naming it, as with_posterior's.
            check_not_forked_mid_call();
            std::optional<experiments::CalibrationResult> result;
            try {
                result = experiments::read_calibration_result(path);
            } catch (const Error& e) {
                raise_bad_argument("path", e.what(),
                                   "a calibration result written by canopy calibrate --out", {},
                                   path.generic_string());
            }
            return calibration_dict(*result);
        },
        py::arg("path"), "Read a calibration result (the posterior) written by canopy calibrate");
    m.def(
        "_check_sweep",
        [](const std::filesystem::path& path) {
            // read_sweep (canopy/__init__.py) reads the file with h5py; this reads it as merge
            // does, so that a file damaged on disk (its checksum) is refused there too.
            check_not_forked_mid_call();
            try {
                (void)experiments::read_sweep_result(path);
            } catch (const Error& e) {
                raise_bad_argument("path", e.what(),
                                   "a file written by canopy sweep or canopy merge", {},
                                   path.generic_string());
            }
        },
        py::arg("path"), "Check a sweep result as canopy merge reads it (canopy.read_sweep)");
    m.def("models", &models::model_names, "The registered models' names");
    m.def("model_info", &model_info, py::arg("name"),
          "A model's parameters, levers and series with units, ranges and defaults");
}
