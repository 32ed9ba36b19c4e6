// The system-dynamics integrator and delays against problems with known solutions.
#include <canopy/engine/sd.hpp>

#include <catch2/catch.hpp>

#include <cmath>

using namespace canopy::engine;

namespace {

// y' = -rate y from y(0) = 1 over [0, t_end] with n steps; returns the absolute error.
double decay_error(double rate, double t_end, int n) {
    Eigen::VectorXd y(1);
    y[0] = 1.0;
    Rk4 rk4(1);
    const double h = t_end / n;
    rk4.integrate(y, 0.0, h, n, [rate](double, const Eigen::VectorXd& x, Eigen::VectorXd& dx) {
        dx[0] = -rate * x[0];
    });
    return std::abs(y[0] - std::exp(-rate * t_end));
}

} // namespace

TEST_CASE("RK4 integrates exponential decay", "[sd]") {
    // Global error of RK4 on y' = -y is about T h^4 / 120 e^-T; h = 0.01 over T = 2 gives
    // ~1e-11, so 1e-10 fails only if the method is not fourth order.
    CHECK(decay_error(1.0, 2.0, 200) < 1e-10);
    CHECK(decay_error(0.5, 10.0, 100) < 1e-6);
}

TEST_CASE("RK4 integrates a harmonic oscillator", "[sd]") {
    // x'' = -w^2 x, x(0) = 1, x'(0) = 0: x = cos(w t), v = -w sin(w t).
    const double w = 2.0;
    Eigen::VectorXd y(2);
    y << 1.0, 0.0;
    Rk4 rk4(2);
    const double t_end = 5.0;
    const int n = 1000;
    rk4.integrate(y, 0.0, t_end / n, n, [w](double, const Eigen::VectorXd& x, Eigen::VectorXd& dx) {
        dx[0] = x[1];
        dx[1] = -w * w * x[0];
    });
    CHECK(y[0] == Approx(std::cos(w * t_end)).margin(1e-9));
    CHECK(y[1] == Approx(-w * std::sin(w * t_end)).margin(1e-9));
    // Energy drifts only at the method's order.
    const double energy = 0.5 * y[1] * y[1] + 0.5 * w * w * y[0] * y[0];
    CHECK(energy == Approx(0.5 * w * w).margin(1e-9));
}

TEST_CASE("RK4 passes the stage times to a time-dependent rate", "[sd]") {
    // y' = cos t from y(t0) = sin t0: y = sin t. Wrong stage times give an O(h) error.
    const double t0 = 1.0;
    Eigen::VectorXd y(1);
    y[0] = std::sin(t0);
    Rk4 rk4(1);
    rk4.integrate(y, t0, 0.05, 40, [](double t, const Eigen::VectorXd&, Eigen::VectorXd& dx) {
        dx[0] = std::cos(t);
    });
    CHECK(y[0] == Approx(std::sin(t0 + 2.0)).margin(1e-9));
}

TEST_CASE("RK4 converges at fourth order", "[sd]") {
    // Halving h divides the error by 2^4 = 16 for a smooth problem; the errors here (1e-7 to
    // 1e-9) are far above rounding, so the observed order is within 0.1 of 4.
    const double e1 = decay_error(1.0, 1.0, 10);
    const double e2 = decay_error(1.0, 1.0, 20);
    const double e3 = decay_error(1.0, 1.0, 40);
    const double order12 = std::log2(e1 / e2);
    const double order23 = std::log2(e2 / e3);
    CHECK(order12 == Approx(4.0).margin(0.1));
    CHECK(order23 == Approx(4.0).margin(0.1));
}

TEST_CASE("Delay3 at equilibrium stays there and delivers its inflow", "[sd]") {
    const Delay3 delay{1}; // stocks 1..3; stock 0 belongs to someone else
    Eigen::VectorXd y = Eigen::VectorXd::Constant(4, 7.0);
    const double inflow = 5.0;
    const double d = 6.0;
    delay.initialise(y, inflow, d);
    CHECK(y[0] == 7.0);
    CHECK(delay.in_transit(y) == Approx(inflow * d)); // Little's law
    CHECK(delay.outflow(y, d) == Approx(inflow));

    Eigen::VectorXd dydt = Eigen::VectorXd::Constant(4, 99.0);
    const double out = delay.rates(y, inflow, d, dydt);
    CHECK(out == Approx(inflow));
    CHECK(dydt[0] == 99.0); // not touched
    for (int i = 1; i <= 3; ++i) {
        CHECK(dydt[i] == Approx(0.0).margin(1e-12));
    }

    Rk4 rk4(4);
    rk4.integrate(y, 0.0, 0.25, 400, [&](double, const Eigen::VectorXd& x, Eigen::VectorXd& dx) {
        dx[0] = 0.0;
        delay.rates(x, inflow, d, dx);
    });
    CHECK(delay.outflow(y, d) == Approx(inflow).epsilon(1e-12));
}

TEST_CASE("Delay3 conserves material", "[sd]") {
    // Stocks: 0..2 the delay, 3 the delivered total, 4 the total that entered. Everything that
    // entered is in transit or delivered; RK4 preserves this linear invariant to rounding.
    const Delay3 delay{0};
    const double d = 3.0;
    Eigen::VectorXd y = Eigen::VectorXd::Zero(5);
    Rk4 rk4(5);
    for (int step = 0; step < 48; ++step) {
        rk4.integrate(y, step * 1.0, 0.25, 4,
                      [&](double t, const Eigen::VectorXd& x, Eigen::VectorXd& dx) {
                          const double inflow = 2.0 + std::sin(t);
                          dx[3] = delay.rates(x, inflow, d, dx);
                          dx[4] = inflow;
                      });
        CHECK(delay.in_transit(y) + y[3] == Approx(y[4]).epsilon(1e-13));
    }
    CHECK(y[3] > 0.0);
    // For a rate of t alone RK4 is Simpson's rule: error at most T (h/2)^4 / 180 |f''''|
    // = 48 * 0.125^4 / 180 = 6.5e-5 here.
    CHECK(y[4] == Approx(2.0 * 48.0 + 1.0 - std::cos(48.0)).margin(6.6e-5));
}

TEST_CASE("Delay3 started empty approaches its inflow", "[sd]") {
    // Erlang-3 step response: out/in = 1 - e^-x (1 + x + x^2/2), x = 3 t / d.
    const Delay3 delay{0};
    const double d = 2.0;
    const double t_end = 4.0;
    Eigen::VectorXd y = Eigen::VectorXd::Zero(3);
    Rk4 rk4(3);
    rk4.integrate(y, 0.0, 0.01, 400, [&](double, const Eigen::VectorXd& x, Eigen::VectorXd& dx) {
        delay.rates(x, 1.0, d, dx);
    });
    const double x = 3.0 * t_end / d;
    CHECK(delay.outflow(y, d) == Approx(1.0 - std::exp(-x) * (1.0 + x + 0.5 * x * x)).margin(1e-9));
}

TEST_CASE("Delay3's impulse response has mean transit time equal to the delay", "[sd]") {
    // One unit enters at t = 0. Integrate m_k = int t^k out(t) dt alongside: the transit time
    // is Erlang-3 with mean d and variance d^2 / 3. By t = 30 d the mass left in transit is
    // about e^-90 90^2 / 2, so the moments are complete to rounding.
    const Delay3 delay{0};
    const double d = 4.0;
    Eigen::VectorXd y = Eigen::VectorXd::Zero(6);
    y[0] = 1.0;
    Rk4 rk4(6);
    const int n = 2400;
    rk4.integrate(y, 0.0, 30.0 * d / n, n,
                  [&](double t, const Eigen::VectorXd& x, Eigen::VectorXd& dx) {
                      const double out = delay.rates(x, 0.0, d, dx);
                      dx[3] = out;
                      dx[4] = t * out;
                      dx[5] = t * t * out;
                  });
    const double mass = y[3];
    const double mean = y[4] / mass;
    const double variance = y[5] / mass - mean * mean;
    CHECK(mass == Approx(1.0).epsilon(1e-12));
    CHECK(mean == Approx(d).epsilon(1e-8));
    CHECK(variance == Approx(d * d / 3.0).epsilon(1e-7));
}

TEST_CASE("smooth_rate closes the gap with its time constant", "[sd]") {
    CHECK(smooth_rate(2.0, 10.0, 4.0) == 2.0);
    // Integrated, a first-order smooth reaches 1 - e^-1 of a step after one time constant.
    Eigen::VectorXd y = Eigen::VectorXd::Zero(1);
    Rk4 rk4(1);
    rk4.integrate(y, 0.0, 0.01, 300, [](double, const Eigen::VectorXd& x, Eigen::VectorXd& dx) {
        dx[0] = smooth_rate(x[0], 1.0, 3.0);
    });
    CHECK(y[0] == Approx(1.0 - std::exp(-1.0)).margin(1e-10));
}
