#include <canopy/engine/attachment.hpp>
#include <canopy/engine/error.hpp>

#include <string>

namespace canopy::engine {

AttachmentPool::AttachmentPool(std::size_t categories, bool narrow)
    : narrow_(narrow) {
    if (categories < 1 || categories > MAX_CATEGORIES) {
        throw Error("an attachment pool needs 1 to " + std::to_string(MAX_CATEGORIES) +
                    " categories, not " + std::to_string(categories));
    }
    if (narrow_) {
        narrow_lists_.resize(categories);
    } else {
        lists_.resize(categories);
    }
}

void AttachmentPool::widen() {
    if (!narrow_) {
        return;
    }
    lists_.resize(narrow_lists_.size());
    for (std::size_t c = 0; c < narrow_lists_.size(); ++c) {
        const std::vector<Narrow>& from = narrow_lists_[c];
        // The room a list had keeps growing in place (as a caller that reserved it expects).
        lists_[c].reserve(from.capacity());
        lists_[c].assign(from.begin(), from.end());
    }
    narrow_lists_.clear();
    narrow_lists_.shrink_to_fit();
    narrow_ = false;
}

void AttachmentPool::reserve(std::size_t units) {
    for (auto& list : lists_) {
        list.reserve(list.size() + units);
    }
    for (auto& list : narrow_lists_) {
        list.reserve(list.size() + units);
    }
}

std::size_t AttachmentPool::bytes() const noexcept {
    std::size_t total = 0;
    for (const auto& list : lists_) {
        total += list.size() * sizeof(Network::Vertex);
    }
    for (const auto& list : narrow_lists_) {
        total += list.size() * sizeof(Narrow);
    }
    return total;
}

void AttachmentPool::throw_width_mismatch() {
    throw Error("attachment pool: units written at a width other than the pool's");
}

} // namespace canopy::engine
