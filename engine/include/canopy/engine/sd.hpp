#pragma once
/// \file sd.hpp
/// The system-dynamics integrator: classic fourth-order Runge-Kutta with a fixed step on an
/// Eigen state vector, and the delay structures SD models are built from.
///
/// A fixed step (not an adaptive one) because results must be bit-identical across runs and
/// machines, and because the agents advance in fixed steps too: the stocks are integrated over
/// exactly one agent step at a time (operator splitting, see model.hpp).

#include <Eigen/Core>

#include <cstddef>

namespace canopy::engine {

/// Scratch space for RK4, allocated once per run so that a step allocates nothing.
class Rk4 {
public:
    explicit Rk4(Eigen::Index size = 0) { resize(size); }
    void resize(Eigen::Index size) {
        k1_.setZero(size);
        k2_.setZero(size);
        k3_.setZero(size);
        k4_.setZero(size);
        tmp_.setZero(size);
    }

    /// Advances y from t to t + h. f(t, y, dydt) writes dy/dt into dydt (already sized).
    template <class F>
    void step(Eigen::VectorXd& y, double t, double h, F&& f) {
        f(t, y, k1_);
        tmp_ = y + (0.5 * h) * k1_;
        f(t + 0.5 * h, tmp_, k2_);
        tmp_ = y + (0.5 * h) * k2_;
        f(t + 0.5 * h, tmp_, k3_);
        tmp_ = y + h * k3_;
        f(t + h, tmp_, k4_);
        y += (h / 6.0) * (k1_ + 2.0 * k2_ + 2.0 * k3_ + k4_);
    }

    /// Integrates from t0 over n equal substeps of h.
    template <class F>
    void integrate(Eigen::VectorXd& y, double t0, double h, int n, F&& f) {
        for (int i = 0; i < n; ++i) {
            step(y, t0 + i * h, h, f);
        }
    }

private:
    Eigen::VectorXd k1_, k2_, k3_, k4_, tmp_;
};

/// A third-order material delay (Sterman, Business Dynamics, ch. 11; Vensim's DELAY3) kept in
/// three consecutive stocks y[first], y[first+1], y[first+2]. Material that enters at rate
/// `inflow` leaves, on average, `delay` time units later, with an Erlang-3 spread.
struct Delay3 {
    Eigen::Index first = 0; ///< index of the first of the three stocks

    /// Writes the three stocks' rates for an inflow; returns the outflow (the delivered rate).
    double rates(const Eigen::VectorXd& y, double inflow, double delay,
                 Eigen::VectorXd& dydt) const {
        const double k = 3.0 / delay;
        const double out1 = k * y[first];
        const double out2 = k * y[first + 1];
        const double out3 = k * y[first + 2];
        dydt[first] = inflow - out1;
        dydt[first + 1] = out1 - out2;
        dydt[first + 2] = out2 - out3;
        return out3;
    }
    /// The current outflow (delivered rate) of the delay.
    [[nodiscard]] double outflow(const Eigen::VectorXd& y, double delay) const {
        return 3.0 / delay * y[first + 2];
    }
    /// The material in transit.
    [[nodiscard]] double in_transit(const Eigen::VectorXd& y) const {
        return y[first] + y[first + 1] + y[first + 2];
    }
    /// Sets the delay to equilibrium with a steady inflow.
    void initialise(Eigen::VectorXd& y, double steady_inflow, double delay) const {
        y[first] = y[first + 1] = y[first + 2] = steady_inflow * delay / 3.0;
    }
};

/// A first-order information smooth (SMOOTH): the perceived value y[index] adjusts towards
/// `input` with time constant `tau`.
[[nodiscard]] inline double smooth_rate(double perceived, double input, double tau) {
    return (input - perceived) / tau;
}

} // namespace canopy::engine
