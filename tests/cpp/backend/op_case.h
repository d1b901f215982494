#pragma once
// The op-level cross-device harness (test_ops_across_devices.cpp), in the spirit of ggml's
// test-backend-ops: every public differentiable op runs, through autograd, once on a device
// and once on the CPU from the same random inputs, and the forward results and the input
// gradients are compared. The kernel families of the Backend interface are tested directly
// by backend_harness.h; this one tests the ops built on them (their dispatch, dtype rules,
// views, backward formulas) on each device.
//
// An OpCase is a function of its inputs (float tensors that require grad, plus index and
// mask tensors), run three times for a (device, dtype) parameter:
//   reference  on the CPU in the dtype, inputs contiguous, every backend call recorded
//   exact      on the CPU in float64 (the same values, already rounded to the dtype)
//   device     on the device in the dtype, inputs in the layouts the case names
// The device run is compared with the reference at tolerance(dtype) (gradients at
// loose_tolerance) and with the exact run at loose_tolerance(dtype). The backend families
// the case needs are not declared by hand: they are the ones the reference run called
// (forward and backward), recorded by a proxy CPU backend. The device run is tried anyway
// (an op may take another path there: batch norm without the Norm family is composed of
// other ops); when it throws DeviceError and the device's Backend::supports says it lacks one
// of those families, the case is skipped (counted and reported), and otherwise it fails.
#include <cstdint>
#include <functional>
#include <map>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "backend/backend_harness.h"

namespace seek::backend_test {

using Tensors = std::vector<Tensor>;

enum class InputKind {
  Float,     // random values in [lo, hi) away from zero, the parameter dtype, requires grad
  Constant,  // the same, without requires_grad (loss targets, running statistics)
  Distinct,  // a shuffled ramp of distinct values, exact in every float dtype (sorts, max, median)
  Index,     // int64 values in [lo, hi] (hi inclusive)
  Mask,      // bool, both values present
};

struct InputSpec {
  Shape shape;
  InputKind kind = InputKind::Float;
  double lo = -2.0, hi = 2.0;
  Layout layout = Layout::Contiguous;  // how the device run stores it
};

// Input helpers for the case tables.
inline InputSpec in(Shape s, double lo = -2.0, double hi = 2.0, Layout l = Layout::Contiguous) {
  return {std::move(s), InputKind::Float, lo, hi, l};
}
inline InputSpec in(Shape s, Layout l) { return {std::move(s), InputKind::Float, -2.0, 2.0, l}; }
inline InputSpec constant(Shape s, double lo = -2.0, double hi = 2.0, Layout l = Layout::Contiguous) {
  return {std::move(s), InputKind::Constant, lo, hi, l};
}
inline InputSpec constant(Shape s, Layout l) { return {std::move(s), InputKind::Constant, -2.0, 2.0, l}; }
inline InputSpec distinct(Shape s, Layout l = Layout::Contiguous) {
  return {std::move(s), InputKind::Distinct, 0, 0, l};
}
inline InputSpec ints(Shape s, int64_t lo, int64_t hi) {
  return {std::move(s), InputKind::Index, static_cast<double>(lo), static_cast<double>(hi)};
}
inline InputSpec bools(Shape s) { return {std::move(s), InputKind::Mask}; }

inline const std::vector<DType> kFloatDTypes = {kFloat64, kFloat32, kFloat16, kBFloat16};

struct OpCase {
  std::string name;
  std::vector<InputSpec> inputs;
  std::function<Tensors(const Tensors&)> fn;
  std::vector<DType> dtypes = kFloatDTypes;  // the dtypes the op takes
  bool backward = true;                      // false: forward only (integer results, no gradient)
  double slack = 1.0;                        // multiplies every tolerance (long accumulations)
  // Relative floor of the comparisons, as a fraction of the largest |value| of the tensor
  // compared: for results that are sums of cancelling terms (reductions, matmul, norms).
  double rel_floor = 0.0;
};

// Wraps a single-result op.
inline std::function<Tensors(const Tensors&)> one(std::function<Tensor(const Tensors&)> f) {
  return [f = std::move(f)](const Tensors& x) { return Tensors{f(x)}; };
}

// The case tables, one per op family group (op_cases_*.cpp).
std::vector<OpCase> elementwise_cases();  // unary, binary, ternary tables; clamp, pow, where, activations
std::vector<OpCase> reduce_cases();       // reduce table; softmax, cumsum, sort, topk, arg/max/min, losses
std::vector<OpCase> nn_cases();           // matmul, linear, conv, pool, norm layers, embedding, dropout
std::vector<OpCase> copy_cases();         // views and copies: clone, to, permute, cat, repeat, fill, ...
std::vector<OpCase> index_cases();        // gather, scatter, index_select, index_add, masked ops
std::vector<OpCase> more_cases();         // 3-D conv/pool, interpolate, attention, nn extras, more linalg/shape

// ---- running ----
using FamilyUse = std::set<std::pair<BackendFamily, DType>>;

enum class CaseOutcome { Ran, Skipped };

struct CaseReport {
  CaseOutcome outcome = CaseOutcome::Ran;
  std::vector<BackendFamily> missing;  // when skipped: the families the device lacks
  FamilyUse used;                      // what the reference run called
};

// Test hook: changes the device run's results before they are compared (self-tests).
using Tamper = std::function<void(Tensors& outputs, Tensors& grads)>;

// Runs one case for (device, dtype) and adds gtest failures for every mismatch.
CaseReport run_case(const OpCase& c, Device device, DType dtype, const Tamper& tamper = {});

// The families in `used` that `b` lacks for their dtypes.
std::vector<BackendFamily> missing_families(const FamilyUse& used, const Backend& b);

// Runs `fn` with the CPU backend replaced by a proxy that records every family it is asked
// for, with the dtype its contract names (copy/fill/random: the output's; others: the input's).
FamilyUse record_families(const std::function<void()>& fn);

// ---- the summary: one line per device and dtype ----
struct Tally {
  int ran = 0, skipped = 0, failed = 0;
  std::map<std::string, int> missing;  // family name -> cases skipped for it
};
// Tally of "cuda float32" etc.; printed by the environment in test_ops_across_devices.cpp.
std::map<std::string, Tally>& tallies();
std::string summary_line(const std::string& key, const Tally& t);

}  // namespace seek::backend_test
