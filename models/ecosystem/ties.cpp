// The collaboration network as each firm's own ties (ties.hpp).
#include "ecosystem/ties.hpp"

namespace canopy::models::ecosystem {

Ties::Ties(engine::Network&& initial, std::size_t room, bool narrow) {
    engine::Network::Csr csr = std::move(initial).release_csr();
    offsets_ = std::move(csr.offsets);
    initial_ = offsets_.size() - 1;
    narrow_ = narrow && initial_ <= NARROW_FIRMS;
    if (narrow_) {
        narrow_targets_.reserve(csr.targets.size() + room);
        narrow_targets_.assign(csr.targets.begin(), csr.targets.end());
    } else {
        targets_ = std::move(csr.targets);
        targets_.reserve(targets_.size() + room);
    }
}

Ties::Firm Ties::add(std::span<const Firm> partners) {
    const auto v = static_cast<Firm>(size());
    if (narrow_ && size() + 1 > NARROW_FIRMS) {
        widen();
    }
    if (narrow_) {
        narrow_targets_.insert(narrow_targets_.end(), partners.begin(), partners.end());
        offsets_.push_back(static_cast<std::uint32_t>(narrow_targets_.size()));
    } else {
        targets_.insert(targets_.end(), partners.begin(), partners.end());
        offsets_.push_back(static_cast<std::uint32_t>(targets_.size()));
    }
    return v;
}

void Ties::widen() {
    if (!narrow_) {
        return;
    }
    targets_.reserve(narrow_targets_.capacity());
    targets_.assign(narrow_targets_.begin(), narrow_targets_.end());
    narrow_targets_.clear();
    narrow_targets_.shrink_to_fit();
    narrow_ = false;
}

std::vector<Ties::Firm> Ties::of(Firm v) const {
    return visit([&](auto targets) {
        return std::vector<Firm>(targets.begin() + offsets_[v], targets.begin() + offsets_[v + 1]);
    });
}

engine::Network Ties::to_network() const {
    const std::size_t n = size();
    std::vector<std::uint32_t> offsets(n + 1, 0);
    visit([&](auto own) {
        for (std::size_t v = 0; v < n; ++v) {
            offsets[v + 1] += offsets_[v + 1] - offsets_[v];
            if (v >= initial_) {
                for (std::uint32_t i = offsets_[v]; i < offsets_[v + 1]; ++i) {
                    ++offsets[own[i] + 1];
                }
            }
        }
    });
    for (std::size_t v = 0; v < n; ++v) {
        offsets[v + 1] += offsets[v];
    }
    std::vector<Firm> targets(offsets[n]);
    std::vector<std::uint32_t> at(offsets.begin(), offsets.end() - 1);
    visit([&](auto own) {
        for (std::size_t v = 0; v < n; ++v) {
            for (std::uint32_t i = offsets_[v]; i < offsets_[v + 1]; ++i) {
                targets[at[v]++] = own[i];
            }
        }
        for (std::size_t v = initial_; v < n; ++v) {
            for (std::uint32_t i = offsets_[v]; i < offsets_[v + 1]; ++i) {
                targets[at[own[i]]++] = static_cast<Firm>(v);
            }
        }
    });
    return engine::Network::from_csr(std::move(offsets), std::move(targets));
}

} // namespace canopy::models::ecosystem
