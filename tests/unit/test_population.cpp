// Struct-of-arrays agents: columns, births, stable ids, memory accounting.
#include <canopy/engine/population.hpp>

#include <catch2/catch.hpp>

#include <cstdint>
#include <string>
#include <vector>

using namespace canopy::engine;

TEST_CASE("add_column gives existing rows the fill value", "[population]") {
    Population pop;
    CHECK(pop.size() == 0);
    CHECK(pop.add(3) == 0);
    const auto age = pop.add_column<double>("age_months", 12.5);
    const auto stage = pop.add_column<std::uint8_t>("stage");
    CHECK(pop.column_count() == 2);
    CHECK(pop[age] == std::vector<double>{12.5, 12.5, 12.5});
    CHECK(pop[stage] == std::vector<std::uint8_t>{0, 0, 0});
    // Handles are independent of each other and of insertion order.
    CHECK(age.index != stage.index);
}

TEST_CASE("Births append rows filled with each column's fill value and keep old ids",
          "[population]") {
    Population pop;
    const auto wealth = pop.add_column<double>("wealth", -1.0);
    const auto sector = pop.add_column<std::int32_t>("sector", 7);
    CHECK(pop.add(2) == 0);
    pop[wealth][0] = 100.0;
    pop[wealth][1] = 200.0;
    pop[sector][1] = 3;

    // A birth's first id is the old size; ids are consecutive and never reused.
    CHECK(pop.add(3) == 2);
    CHECK(pop.add(0) == 5);
    CHECK(pop.add(1) == 5);
    CHECK(pop.size() == 6);
    CHECK(pop[wealth] == std::vector<double>{100.0, 200.0, -1.0, -1.0, -1.0, -1.0});
    CHECK(pop[sector] == std::vector<std::int32_t>{7, 3, 7, 7, 7, 7});

    // A column added later covers every row, old and new.
    const auto flag = pop.add_column<bool>("exited", true);
    CHECK(pop[flag].size() == 6);
    const Population& view = pop;
    CHECK(view[wealth][1] == 200.0);
}

TEST_CASE("bytes counts the elements of every column", "[population]") {
    Population pop;
    CHECK(pop.bytes() == 0);
    pop.add_column<double>("a");
    pop.add_column<std::uint16_t>("b");
    pop.add(10);
    CHECK(pop.bytes() == 10 * (sizeof(double) + sizeof(std::uint16_t)));
    // Reserved capacity is not counted: it is not resident until written.
    pop.reserve(1000);
    CHECK(pop.bytes() == 10 * (sizeof(double) + sizeof(std::uint16_t)));
    pop.add(5);
    CHECK(pop.bytes() == 15 * (sizeof(double) + sizeof(std::uint16_t)));
}

TEST_CASE("A duplicate column name throws canopy::Error and adds nothing", "[population]") {
    Population pop;
    pop.add_column<double>("talent");
    CHECK_THROWS_AS(pop.add_column<int>("talent"), canopy::Error);
    CHECK(pop.column_count() == 1);
    CHECK_NOTHROW(pop.add_column<int>("talent_2"));
}

TEST_CASE("reserve gives present and future columns room, so births do not move them",
          "[population]") {
    Population pop;
    const auto before = pop.add_column<double>("before");
    pop.reserve(500);
    const auto after = pop.add_column<float>("after", 1.0f);
    CHECK(pop[before].capacity() >= 500);
    CHECK(pop[after].capacity() >= 500);
    pop.add(1);
    const double* data_before = pop[before].data();
    const float* data_after = pop[after].data();
    pop.add(499);
    CHECK(pop[before].data() == data_before);
    CHECK(pop[after].data() == data_after);
    CHECK(pop.size() == 500);
}

TEST_CASE("A population refuses to grow past 2^32 - 1 agents", "[population]") {
    Population pop;
    pop.add_column<std::uint8_t>("x");
    pop.add(10);
    // Checked before any allocation, and the population is left as it was.
    CHECK_THROWS_AS(pop.add(std::size_t{UINT32_MAX}), canopy::Error);
    CHECK(pop.size() == 10);
}

TEST_CASE("A moved population keeps its columns and rows", "[population]") {
    Population pop;
    const auto c = pop.add_column<int>("c", 4);
    pop.add(3);
    Population moved = std::move(pop);
    CHECK(moved.size() == 3);
    CHECK(moved[c] == std::vector<int>{4, 4, 4});
}
