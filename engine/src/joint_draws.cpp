// Joint per-replicate draws from a weighted table (joint_draws.hpp).
#include <canopy/engine/error.hpp>
#include <canopy/engine/joint_draws.hpp>

#include <algorithm>
#include <cmath>

namespace canopy::engine {

JointDraws::JointDraws(std::vector<Column> columns, std::vector<double> values,
                       const std::vector<double>& weights, std::string origin)
    : columns_(std::move(columns))
    , values_(std::move(values))
    , weights_(weights)
    , origin_(std::move(origin)) {
    const std::size_t rows = weights.size();
    if (columns_.empty() || rows == 0) {
        throw Error(origin_ + ": a joint draw needs at least one column and one row");
    }
    if (values_.size() != rows * columns_.size()) {
        throw Error(origin_ + ": " + std::to_string(values_.size()) + " values for " +
                    std::to_string(rows) + " rows of " + std::to_string(columns_.size()) +
                    " columns");
    }
    for (std::size_t i = 0; i < values_.size(); ++i) {
        if (!std::isfinite(values_[i])) {
            throw Error(origin_ + ": row " + std::to_string(i / columns_.size()) + " of '" +
                        columns_[i % columns_.size()].name + "' is not a finite number");
        }
    }
    // Running sums in row order, so the table means the same at every thread count.
    cumulative_.resize(rows);
    double total = 0.0;
    for (std::size_t k = 0; k < rows; ++k) {
        if (!std::isfinite(weights[k]) || weights[k] < 0.0) {
            throw Error(origin_ + ": weight " + std::to_string(k) +
                        " is negative or not a finite number");
        }
        total += weights[k];
        cumulative_[k] = total;
    }
    if (!(total > 0.0) || !std::isfinite(total)) {
        throw Error(origin_ + ": the weights do not sum to a positive finite number");
    }
    for (double& c : cumulative_) {
        c /= total;
    }
    cumulative_.back() = 1.0;
}

std::size_t JointDraws::pick(const RandomKey& key) const noexcept {
    const Block b = key.block(0, 0, JOINT_DRAW);
    const double u = u01_open((std::uint64_t{b[0]} << 32) | b[1]);
    // The first row whose running sum exceeds u: rows of weight zero are never taken.
    const auto it = std::upper_bound(cumulative_.begin(), cumulative_.end(), u);
    const auto row = static_cast<std::size_t>(it - cumulative_.begin());
    return std::min(row, rows() - 1);
}

JointDraws JointDraws::without(const std::vector<bool>& keep) const {
    std::vector<Column> columns;
    std::vector<std::size_t> kept;
    for (std::size_t c = 0; c < columns_.size(); ++c) {
        if (c >= keep.size() || keep[c]) {
            columns.push_back(columns_[c]);
            kept.push_back(c);
        }
    }
    if (kept.size() == columns_.size()) {
        return *this;
    }
    std::vector<double> values;
    values.reserve(rows() * kept.size());
    for (std::size_t r = 0; r < rows(); ++r) {
        for (std::size_t c : kept) {
            values.push_back(value(r, c));
        }
    }
    if (columns.empty()) {
        throw Error(origin_ + ": every column of the joint draw was removed");
    }
    return JointDraws(std::move(columns), std::move(values), weights_, origin_);
}

} // namespace canopy::engine
