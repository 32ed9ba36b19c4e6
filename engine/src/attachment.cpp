#include <canopy/engine/attachment.hpp>
#include <canopy/engine/error.hpp>

#include <string>

namespace canopy::engine {

AttachmentPool::AttachmentPool(std::size_t categories) {
    if (categories < 1 || categories > MAX_CATEGORIES) {
        throw Error("an attachment pool needs 1 to " + std::to_string(MAX_CATEGORIES) +
                    " categories, not " + std::to_string(categories));
    }
    lists_.resize(categories);
}

void AttachmentPool::reserve(std::size_t units) {
    for (auto& list : lists_) {
        list.reserve(list.size() + units);
    }
}

std::size_t AttachmentPool::bytes() const noexcept {
    std::size_t total = 0;
    for (const auto& list : lists_) {
        total += list.size() * sizeof(Network::Vertex);
    }
    return total;
}

} // namespace canopy::engine
