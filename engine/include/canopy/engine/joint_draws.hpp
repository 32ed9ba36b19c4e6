#pragma once
/// \file joint_draws.hpp
/// Parameter values drawn jointly, one row of a weighted table per replicate: how a calibration
/// posterior (a weighted sample of parameter vectors) becomes parameter uncertainty in a run.
///
/// Uncertain parameters (uncertain.hpp) are drawn independently of each other; a posterior's
/// parameters are correlated, so a replicate takes a whole row: replicate r of a run with seed S
/// picks row k with probability weight[k] / sum(weight), from the stream (S, r, agent 0,
/// step 0, purpose JOINT_DRAW), and its values replace the columns' parameters (or, for a lever
/// column, multiply that lever's whole schedule). The pick depends only on (S, r), never on
/// the thread that runs the replicate.

#include <canopy/engine/random.hpp>

#include <cstddef>
#include <string>
#include <vector>

namespace canopy::engine {

/// The purpose under which a replicate picks its row (distinct from PARAMETER_DRAW).
inline constexpr Purpose JOINT_DRAW = 0xFFF1;

/// A weighted table of parameter vectors that replicates draw whole rows from.
class JointDraws {
public:
    /// What one column sets.
    struct Column {
        enum class Kind {
            parameter,  ///< ModelInfo::parameters[index] (a parameter or a baseline figure)
            lever_scale ///< ModelInfo::levers[index]'s whole schedule multiplied by the value
        };
        Kind kind = Kind::parameter;
        int index = 0;
        std::string name; ///< the model's name for it, for messages and outputs
    };

    /// Throws canopy::Error when `values` is not rows x columns, a value is not finite, a
    /// weight is negative or not finite, or the weights do not sum to a positive number.
    /// `origin` says where the table came from (a posterior file), for messages.
    JointDraws(std::vector<Column> columns, std::vector<double> values,
               const std::vector<double>& weights, std::string origin);

    [[nodiscard]] const std::vector<Column>& columns() const noexcept { return columns_; }
    [[nodiscard]] std::size_t rows() const noexcept { return cumulative_.size(); }
    [[nodiscard]] double value(std::size_t row, std::size_t column) const {
        return values_[row * columns_.size() + column];
    }
    [[nodiscard]] const std::string& origin() const noexcept { return origin_; }
    /// The weights as given (not normalised), one per row.
    [[nodiscard]] const std::vector<double>& weights() const noexcept { return weights_; }

    /// The row replicate `key` takes: a pure function of (key.seed, key.replicate).
    [[nodiscard]] std::size_t pick(const RandomKey& key) const noexcept;

    /// A copy without the columns `keep` is false for (an override fixing one of them), or
    /// the same table when every column is kept.
    [[nodiscard]] JointDraws without(const std::vector<bool>& keep) const;

private:
    std::vector<Column> columns_;
    std::vector<double> values_;     ///< [row * columns + column]
    std::vector<double> weights_;    ///< as given
    std::vector<double> cumulative_; ///< running sums of the weights, divided by their total
    std::string origin_;
};

} // namespace canopy::engine
