// ClientEvaluator (evaluator.hpp): which failures of a client method every rank shares.
#include <canopy/experiments/evaluator.hpp>

#include <exception>

namespace canopy::experiments {

std::vector<PointResult> ClientEvaluator::evaluate(const Experiment& experiment,
                                                   std::span<const Point> points,
                                                   const ResultCallback& on_result) {
    try {
        return inner_.evaluate(experiment, points, on_result);
    } catch (...) {
        escaped_ = true;
        throw;
    }
}

void ClientEvaluator::share(std::vector<std::uint8_t>& bytes) {
    try {
        inner_.share(bytes);
    } catch (...) {
        escaped_ = true;
        throw;
    }
}

void ClientEvaluator::rethrow_shared() const {
    try {
        throw;
    } catch (const SharedFailure&) {
        throw;
    } catch (const Error& e) {
        if (escaped_ || processes() <= 1) {
            throw;
        }
        throw SharedFailure(e.what(), is_root());
    }
}

} // namespace canopy::experiments
