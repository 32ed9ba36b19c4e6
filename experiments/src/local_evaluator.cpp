// The local evaluator: design points on this process's threads. A point's replicates run on the
// engine's TBB ensemble; when a point has fewer replicates than there are threads, several points
// run at once so that no thread idles.
#include <canopy/engine/parallel.hpp>
#include <canopy/experiments/evaluator.hpp>

#include <tbb/global_control.h>

#include <algorithm>
#include <mutex>

namespace canopy::experiments {

namespace {

// Threads this process may use: TBB's default, lowered by an engine::ThreadLimit.
std::size_t usable_threads() {
    const std::size_t limit =
        tbb::global_control::active_value(tbb::global_control::max_allowed_parallelism);
    return std::max<std::size_t>(
        1, std::min(limit, static_cast<std::size_t>(engine::hardware_threads())));
}

class LocalEvaluator final : public Evaluator {
public:
    std::vector<PointResult> evaluate(const Experiment& experiment, std::span<const Point> points,
                                      const ResultCallback& on_result) override {
        std::vector<PointResult> results(points.size());
        const std::size_t replicates = static_cast<std::size_t>(std::max(1, experiment.replicates));
        const bool together = usable_threads() > replicates && points.size() > 1;
        if (!together) {
            for (std::size_t k = 0; k < points.size(); ++k) {
                results[k] = evaluate_point(experiment, points[k]);
                if (on_result) {
                    on_result(results[k]);
                }
            }
            return results;
        }
        // Each slot is written by one task only; the callback is serialised. Results do not
        // depend on which points ran together: evaluate_point is a pure function of the point.
        std::mutex callback;
        engine::Executor(true).for_each(points.size(), [&](std::size_t k) {
            results[k] = evaluate_point(experiment, points[k]);
            if (on_result) {
                const std::lock_guard<std::mutex> lock(callback);
                on_result(results[k]);
            }
        });
        return results;
    }
};

} // namespace

std::unique_ptr<Evaluator> local_evaluator() {
    return std::make_unique<LocalEvaluator>();
}

} // namespace canopy::experiments
