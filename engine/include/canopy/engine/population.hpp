#pragma once
/// \file population.hpp
/// Agents as struct-of-arrays columns with stable ids and births.
///
/// An agent's id is its row index. Rows are never moved, reused or removed: an agent that
/// leaves the system is marked by its model (an `exited` stage, say) and keeps its row, so ids
/// held elsewhere (network edges, output) stay valid. Births append rows to every column at once.
///
/// Columns are plain std::vector<T> owned by the population; a model keeps a typed handle and
/// fetches the vector once per loop, so the per-agent access is an indexed load with no lookup.

#include <canopy/engine/error.hpp>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace canopy::engine {

/// Agent ids are 32-bit: the engine's limit is 4,294,967,295 agents per run.
using AgentId = std::uint32_t;

/// A typed handle to one column of a Population.
template <class T>
struct Column {
    std::uint32_t index = 0;
};

/// A set of agents stored column by column.
class Population {
public:
    Population() = default;
    Population(Population&&) noexcept = default;
    Population& operator=(Population&&) noexcept = default;

    /// Adds a column; existing rows get `fill`. Names are for diagnostics and must be unique.
    template <class T>
    Column<T> add_column(std::string name, T fill = T{}) {
        for (const auto& c : columns_) {
            if (c->name == name) {
                throw Error("population already has a column named '" + name + "'");
            }
        }
        auto column = std::make_unique<TypedColumn<T>>(std::move(name), fill);
        column->data.reserve(reserved_);
        column->data.resize(size_, fill);
        columns_.push_back(std::move(column));
        return Column<T>{static_cast<std::uint32_t>(columns_.size() - 1)};
    }

    /// The vector behind a column. Invalidated (like any vector) by add().
    template <class T>
    [[nodiscard]] std::vector<T>& operator[](Column<T> c) noexcept {
        return static_cast<TypedColumn<T>*>(columns_[c.index].get())->data;
    }
    template <class T>
    [[nodiscard]] const std::vector<T>& operator[](Column<T> c) const noexcept {
        return static_cast<const TypedColumn<T>*>(columns_[c.index].get())->data;
    }

    /// Number of agents ever created (active or not).
    [[nodiscard]] std::size_t size() const noexcept { return size_; }

    /// Appends `count` agents, each column filled with its fill value; returns the first new id.
    AgentId add(std::size_t count) {
        if (size_ + count > std::size_t{UINT32_MAX}) {
            throw Error("population would exceed 2^32 - 1 agents");
        }
        const auto first = static_cast<AgentId>(size_);
        size_ += count;
        for (auto& c : columns_) {
            c->resize(size_);
        }
        return first;
    }

    /// Reserves room for `capacity` agents in every column, present and future.
    void reserve(std::size_t capacity) {
        reserved_ = capacity;
        for (auto& c : columns_) {
            c->reserve(capacity);
        }
    }

    /// Bytes held by the columns' elements (size, not capacity: untouched capacity is not
    /// resident memory).
    [[nodiscard]] std::size_t bytes() const noexcept {
        std::size_t total = 0;
        for (const auto& c : columns_) {
            total += c->bytes();
        }
        return total;
    }

    [[nodiscard]] std::size_t column_count() const noexcept { return columns_.size(); }

private:
    struct ColumnBase {
        explicit ColumnBase(std::string n)
            : name(std::move(n)) {}
        virtual ~ColumnBase() = default;
        ColumnBase(const ColumnBase&) = delete;
        ColumnBase& operator=(const ColumnBase&) = delete;
        virtual void resize(std::size_t n) = 0;
        virtual void reserve(std::size_t n) = 0;
        [[nodiscard]] virtual std::size_t bytes() const noexcept = 0;
        std::string name;
    };
    template <class T>
    struct TypedColumn final : ColumnBase {
        TypedColumn(std::string n, T f)
            : ColumnBase(std::move(n))
            , fill(f) {}
        void resize(std::size_t n) override { data.resize(n, fill); }
        void reserve(std::size_t n) override { data.reserve(n); }
        [[nodiscard]] std::size_t bytes() const noexcept override {
            return data.size() * sizeof(T);
        }
        std::vector<T> data;
        T fill;
    };

    std::vector<std::unique_ptr<ColumnBase>> columns_;
    std::size_t size_ = 0;
    std::size_t reserved_ = 0;
};

} // namespace canopy::engine
