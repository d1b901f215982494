// The optim family on every device: one Backend::optim call over a list of odd-sized
// parameters (SGD with momentum/nesterov/weight decay/maximize, Adam and AdamW with and without
// amsgrad, RMSprop centered and with momentum, the total gradient norm, unscale-and-check)
// against torch.optim's formulas written as plain float64 loops here. Parameters and state live
// in the middle of sentinel-filled buffers that no update may touch.
#include <cmath>
#include <limits>

#include "backend/backend_harness.h"
#include "seek/backend/optim_op.h"

namespace seek::backend_test {
namespace {

class OptimTest : public DeviceTest {};

const Shape kShapes[] = {{7, 5}, {13}, {3, 1, 9}, {1}};
constexpr int kSteps = 3;

std::vector<double> values(const Tensor& t) { return to_vector<double>(to_f64(t)); }

// One tensor of the list: its device buffers (guarded) and the f64 reference state.
struct Slot {
  std::vector<GuardedOutput> dev;  // param, then one per state buffer
  std::vector<std::vector<double>> ref;
};

std::vector<Slot> make_slots(DType dt, Device device, int n_states, uint64_t& seed) {
  std::vector<Slot> slots;
  for (const Shape& s : kShapes) {
    Slot slot;
    for (int k = 0; k <= n_states; ++k) {
      // States start at non-zero values (as after earlier steps); square averages stay positive.
      const Tensor init = k == 0 ? random_f64(s, -1, 1, ++seed) : random_f64(s, 0.05, 0.5, ++seed);
      slot.dev.push_back(guarded_like(init, dt, device));
      slot.ref.push_back(values(slot.dev.back().out));  // what the device holds, rounded to dt
    }
    slots.push_back(std::move(slot));
  }
  return slots;
}

std::vector<Tensor> grads_for(DType dt, Device device, uint64_t& seed, std::vector<std::vector<double>>& ref) {
  std::vector<Tensor> grads;
  ref.clear();
  for (const Shape& s : kShapes) {
    grads.push_back(place(random_f64(s, -2, 2, ++seed), dt, device));
    ref.push_back(values(grads.back()));
  }
  return grads;
}

void check(const std::vector<Slot>& slots, DType dt, const std::string& what) {
  for (size_t i = 0; i < slots.size(); ++i)
    for (size_t k = 0; k < slots[i].dev.size(); ++k) {
      const std::string w = str(what, " tensor ", i, k == 0 ? " param" : str(" state ", k - 1));
      Tensor want = tensor(slots[i].ref[k], slots[i].dev[k].out.sizes());
      expect_close(slots[i].dev[k].out, want, loose_tolerance(dt), w, 1.0);
      expect_sentinels_intact(slots[i].dev[k], w);
    }
}

SEEK_DEVICE_TEST(OptimTest, Sgd) {
  SEEK_REQUIRE_FAMILY(BackendFamily::Optim);
  struct Case {
    double momentum, dampening, wd;
    bool nesterov, maximize;
  };
  const Case cases[] = {{0, 0, 0, false, false}, {0.9, 0, 1e-2, true, false}, {0.8, 0.3, 0, false, true}};
  uint64_t seed = 500;
  for (const Case& c : cases) {
    const std::string what = str("sgd momentum=", c.momentum, " nesterov=", c.nesterov, " maximize=", c.maximize);
    std::vector<Slot> slots = make_slots(dtype(), device(), 1, seed);
    for (int step = 0; step < kSteps; ++step) {
      std::vector<std::vector<double>> g;
      OptimArgs a;
      a.grads = grads_for(dtype(), device(), seed, g);
      a.hyper.lr = 0.1, a.hyper.momentum = c.momentum, a.hyper.dampening = c.dampening;
      a.hyper.weight_decay = c.wd, a.hyper.nesterov = c.nesterov, a.hyper.maximize = c.maximize;
      a.states.resize(1);
      for (Slot& s : slots) {
        a.params.push_back(s.dev[0].out);
        a.states[0].push_back(s.dev[1].out);
        a.fresh.push_back(step == 0);
      }
      if (c.momentum == 0) a.states.clear(), a.fresh.clear();
      dev().optim(OptimOp::SGD, a);
      for (size_t i = 0; i < slots.size(); ++i) {
        auto &p = slots[i].ref[0], &buf = slots[i].ref[1];
        for (size_t j = 0; j < p.size(); ++j) {
          double d = c.maximize ? -g[i][j] : g[i][j];
          d += c.wd * p[j];
          if (c.momentum != 0) {
            buf[j] = step == 0 ? d : c.momentum * buf[j] + (1 - c.dampening) * d;
            d = c.nesterov ? d + c.momentum * buf[j] : buf[j];
          }
          p[j] -= 0.1 * d;
        }
      }
    }
    check(slots, dtype(), what);
  }
}

SEEK_DEVICE_TEST(OptimTest, AdamAndAdamW) {
  SEEK_REQUIRE_FAMILY(BackendFamily::Optim);
  struct Case {
    double wd;
    bool decoupled, amsgrad, maximize;
  };
  const Case cases[] = {
      {0, false, false, false}, {1e-2, false, true, false}, {5e-2, true, false, true}, {5e-2, true, true, false}};
  uint64_t seed = 600;
  const double lr = 1e-2, b1 = 0.9, b2 = 0.999, eps = 1e-8;
  for (const Case& c : cases) {
    const std::string what = str(c.decoupled ? "adamw" : "adam", " wd=", c.wd, " amsgrad=", c.amsgrad);
    std::vector<Slot> slots = make_slots(dtype(), device(), 3, seed);
    for (int step = 1; step <= kSteps; ++step) {
      std::vector<std::vector<double>> g;
      OptimArgs a;
      a.grads = grads_for(dtype(), device(), seed, g);
      a.hyper.lr = lr, a.hyper.beta1 = b1, a.hyper.beta2 = b2, a.hyper.eps = eps, a.hyper.weight_decay = c.wd;
      a.hyper.decoupled = c.decoupled, a.hyper.amsgrad = c.amsgrad, a.hyper.maximize = c.maximize;
      a.states.resize(3);
      for (Slot& s : slots) {
        a.params.push_back(s.dev[0].out);
        for (int k = 0; k < 3; ++k) a.states[k].push_back(s.dev[k + 1].out);
        a.steps.push_back(step);
      }
      if (!c.amsgrad) a.states[2].clear();
      dev().optim(OptimOp::Adam, a);
      const double bc1 = 1 - std::pow(b1, step), bc2 = 1 - std::pow(b2, step);
      for (size_t i = 0; i < slots.size(); ++i) {
        auto &p = slots[i].ref[0], &m = slots[i].ref[1], &v = slots[i].ref[2], &vmax = slots[i].ref[3];
        for (size_t j = 0; j < p.size(); ++j) {
          double d = c.maximize ? -g[i][j] : g[i][j];
          if (c.decoupled)
            p[j] *= 1 - lr * c.wd;
          else
            d += c.wd * p[j];
          m[j] = b1 * m[j] + (1 - b1) * d;
          v[j] = b2 * v[j] + (1 - b2) * d * d;
          if (c.amsgrad) vmax[j] = std::max(vmax[j], v[j]);
          const double denom = std::sqrt(c.amsgrad ? vmax[j] : v[j]) / std::sqrt(bc2) + eps;
          p[j] -= lr / bc1 * m[j] / denom;
        }
      }
    }
    check(slots, dtype(), what);
  }
}

SEEK_DEVICE_TEST(OptimTest, Rmsprop) {
  SEEK_REQUIRE_FAMILY(BackendFamily::Optim);
  struct Case {
    double momentum, wd;
    bool centered;
  };
  const Case cases[] = {{0, 0, false}, {0.9, 1e-2, false}, {0.5, 0, true}};
  uint64_t seed = 700;
  const double lr = 1e-2, alpha = 0.99, eps = 1e-8;
  for (const Case& c : cases) {
    const std::string what = str("rmsprop momentum=", c.momentum, " centered=", c.centered);
    std::vector<Slot> slots = make_slots(dtype(), device(), 3, seed);
    for (Slot& s : slots)  // a centered average below the square average keeps the variance positive
      for (size_t j = 0; j < s.ref[2].size(); ++j) s.ref[2][j] = s.ref[2][j] * 0.1;
    for (Slot& s : slots) s.dev[2].out.copy_(tensor(s.ref[2], s.dev[2].out.sizes()).to(dtype()));
    for (Slot& s : slots) s.ref[2] = values(s.dev[2].out);
    for (int step = 0; step < kSteps; ++step) {
      std::vector<std::vector<double>> g;
      OptimArgs a;
      a.grads = grads_for(dtype(), device(), seed, g);
      a.hyper.lr = lr, a.hyper.alpha = alpha, a.hyper.eps = eps, a.hyper.momentum = c.momentum;
      a.hyper.weight_decay = c.wd, a.hyper.centered = c.centered;
      a.states.resize(3);
      for (Slot& s : slots) {
        a.params.push_back(s.dev[0].out);
        for (int k = 0; k < 3; ++k) a.states[k].push_back(s.dev[k + 1].out);
      }
      if (!c.centered) a.states[1].clear();
      if (c.momentum == 0) a.states[2].clear();
      dev().optim(OptimOp::RMSprop, a);
      for (size_t i = 0; i < slots.size(); ++i) {
        auto &p = slots[i].ref[0], &sq = slots[i].ref[1], &ga = slots[i].ref[2], &buf = slots[i].ref[3];
        for (size_t j = 0; j < p.size(); ++j) {
          const double d = g[i][j] + c.wd * p[j];
          sq[j] = alpha * sq[j] + (1 - alpha) * d * d;
          double avg;
          if (c.centered) {
            ga[j] = alpha * ga[j] + (1 - alpha) * d;
            avg = std::sqrt(sq[j] - ga[j] * ga[j]) + eps;
          } else {
            avg = std::sqrt(sq[j]) + eps;
          }
          if (c.momentum > 0) {
            buf[j] = c.momentum * buf[j] + d / avg;
            p[j] -= lr * buf[j];
          } else {
            p[j] -= lr * d / avg;
          }
        }
      }
    }
    check(slots, dtype(), what);
  }
}

SEEK_DEVICE_TEST(OptimTest, GradNorm) {
  SEEK_REQUIRE_FAMILY(BackendFamily::Optim);
  uint64_t seed = 800;
  for (double p : {2.0, 1.0, 3.0, std::numeric_limits<double>::infinity()}) {
    std::vector<std::vector<double>> g;
    OptimArgs a;
    a.grads = grads_for(dtype(), device(), seed, g);
    a.norm_type = p;
    GuardedOutput out = guarded_empty({}, dtype(), device());
    a.out = out.out;
    dev().optim(OptimOp::GradNorm, a);
    double acc = 0;
    for (const auto& t : g)
      for (double x : t) acc = std::isinf(p) ? std::max(acc, std::abs(x)) : acc + std::pow(std::abs(x), p);
    const double want = std::isinf(p) ? acc : std::pow(acc, 1 / p);
    expect_close(out.out, scalar_tensor(want, TensorOptions(kFloat64)), loose_tolerance(dtype()),
                 str("grad_norm p=", p));
    expect_sentinels_intact(out, str("grad_norm p=", p));
  }
}

SEEK_DEVICE_TEST(OptimTest, ScaleGradsAndCheck) {
  SEEK_REQUIRE_FAMILY(BackendFamily::Optim);
  uint64_t seed = 900;
  for (bool inject : {false, true}) {
    const std::string what = str("scale_grads", inject ? " with an inf" : "");
    std::vector<GuardedOutput> grads;
    std::vector<std::vector<double>> ref;
    OptimArgs a;
    for (const Shape& s : kShapes) {
      std::vector<double> v = to_vector<double>(random_f64(s, -2, 2, ++seed));
      if (inject && s.size() == 1 && s[0] == 13) v[6] = std::numeric_limits<double>::infinity();
      grads.push_back(guarded_like(tensor(v, s), dtype(), device()));
      ref.push_back(values(grads.back().out));
      a.grads.push_back(grads.back().out);
    }
    a.scale = place(scalar_tensor(0.25, TensorOptions(kFloat64)), dtype(), device());
    GuardedOutput found = guarded_like(scalar_tensor(0.0, TensorOptions(kFloat64)), kFloat32, device());
    a.found_inf = found.out;
    dev().optim(OptimOp::ScaleGrads, a);
    for (size_t i = 0; i < grads.size(); ++i) {
      for (double& x : ref[i]) x *= 0.25;
      expect_close(grads[i].out, tensor(ref[i], grads[i].out.sizes()), tolerance(dtype()), what);
      expect_sentinels_intact(grads[i], what);
    }
    EXPECT_EQ(values(found.out)[0], inject ? 1.0 : 0.0) << what;
    expect_sentinels_intact(found, what + " found_inf");
  }
}

SEEK_INSTANTIATE_ON_DEVICES(OptimTest, kFloat64, kFloat32);

}  // namespace
}  // namespace seek::backend_test
