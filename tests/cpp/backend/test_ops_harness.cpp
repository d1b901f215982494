// The op-level harness (op_case.h) can fail: a device result off by more than the dtype's
// tolerance, a wrong gradient, a result that depends on the input's layout, or an op that
// throws on the device are gtest failures; the families a case needs are recorded from
// its CPU run, and a device that lacks one of them skips it. The "device" here is the CPU
// (its run uses the non-contiguous layouts, the references contiguous ones), so these run
// in every build.
#include <gtest/gtest-spi.h>

#include "backend/op_case.h"

namespace seek::backend_test {
namespace {

// The gtest failures `fn` reports, intercepted (they do not fail the calling test): like
// EXPECT_NONFATAL_FAILURE, which insists on exactly one, where a wrong result fails both
// comparisons (against the CPU and against float64).
std::vector<std::string> failures_of(const std::function<void()>& fn) {
  ::testing::TestPartResultArray results;
  {
    const ::testing::ScopedFakeTestPartResultReporter reporter(
        ::testing::ScopedFakeTestPartResultReporter::INTERCEPT_ONLY_CURRENT_THREAD, &results);
    fn();
  }
  std::vector<std::string> messages;
  for (int i = 0; i < results.size(); ++i)
    if (results.GetTestPartResult(i).failed()) messages.push_back(results.GetTestPartResult(i).message());
  return messages;
}

// Expects `fn` to fail, with `substring` in one of its messages.
void expect_failure(const std::function<void()>& fn, const std::string& substring) {
  const std::vector<std::string> messages = failures_of(fn);
  if (messages.empty()) {
    ADD_FAILURE() << "no failure; expected one with \"" << substring << "\"";
    return;
  }
  bool found = false;
  for (const std::string& m : messages) found = found || m.find(substring) != std::string::npos;
  EXPECT_TRUE(found) << "no failure mentions \"" << substring
                     << "\"; the first: " << (messages.empty() ? "" : messages[0]);
}

OpCase exp_case() {
  return {"selftest_exp", {in({3, 5}, Layout::Transposed)}, one([](const Tensors& x) { return x[0].exp(); })};
}

TEST(OpsHarness, PassesAnOpThatAgrees) {
  EXPECT_TRUE(failures_of([] { EXPECT_EQ(run_case(exp_case(), kCPU, kFloat32).outcome, CaseOutcome::Ran); }).empty());
  EXPECT_NONFATAL_FAILURE(expect_failure([] { run_case(exp_case(), kCPU, kFloat32); }, "output"), "no failure");
}

TEST(OpsHarness, CatchesAPerturbedForwardResult) {
  const Tamper off_by_1e4 = [](Tensors& outs, Tensors&) {
    outs[0] = outs[0].detach().clone();
    outs[0].view({-1}).narrow(0, 4, 1).mul_(1.0 + 1e-4);  // f32 tolerance: 1e-5 relative
  };
  expect_failure([&] { run_case(exp_case(), kCPU, kFloat32, off_by_1e4); }, "output 0 vs the CPU");
  // bf16 tolerates that, not 10%.
  run_case(exp_case(), kCPU, kBFloat16, off_by_1e4);
  const Tamper off_by_10pc = [](Tensors& outs, Tensors&) { outs[0] = outs[0].detach() * 1.1; };
  expect_failure([&] { run_case(exp_case(), kCPU, kBFloat16, off_by_10pc); }, "output 0 vs float64");
}

TEST(OpsHarness, CatchesAPerturbedGradient) {
  const Tamper grad_off = [](Tensors&, Tensors& grads) { grads[0] = grads[0] * 1.001; };
  expect_failure([&] { run_case(exp_case(), kCPU, kFloat32, grad_off); }, "gradient of input 0 vs the CPU");
  const Tamper grad_dropped = [](Tensors&, Tensors& grads) { grads[0] = Tensor(); };
  expect_failure([&] { run_case(exp_case(), kCPU, kFloat32, grad_dropped); }, "undefined on the device");
}

// On every registered device (the CUDA one with only its Copy family, too), a clone runs and
// is compared: a result changed after the device computed it fails.
TEST(OpsHarness, ComparesTheResultsOfEveryDevice) {
  const OpCase clone{
      "selftest_clone_device", {in({5, 7}, Layout::Stepped)}, one([](const Tensors& x) { return x[0].clone(); })};
  for (DeviceType type : registered_backends()) {
    const Device device(type, 0);
    SCOPED_TRACE(device_name(device));
    EXPECT_TRUE(failures_of([&] { EXPECT_EQ(run_case(clone, device, kFloat32).outcome, CaseOutcome::Ran); }).empty());
    // neg needs the Unary family: do it on the host, then put it back where it was.
    const Tamper host_neg = [device](Tensors& outs, Tensors&) { outs[0] = outs[0].detach().cpu().neg().to(device); };
    expect_failure([&] { run_case(clone, device, kFloat32, host_neg); }, "output 0 vs the CPU");
  }
}

// Bugs that only the non-contiguous device run has, as a kernel's strided path might.
TEST(OpsHarness, CatchesLayoutDependentResultsAndGradients) {
  const OpCase wrong_value{"selftest_strided_value", {in({4, 7}, Layout::Stepped)}, one([](const Tensors& x) {
                             return x[0].is_contiguous() ? x[0] * 2.0 : x[0] * 2.001;
                           })};
  expect_failure([&] { run_case(wrong_value, kCPU, kFloat64); }, "output 0 vs the CPU");
  // Same forward values, but the gradient of a strided input is 1 instead of exp(x).
  const OpCase wrong_grad{"selftest_strided_grad", {in({4, 7}, Layout::Transposed)}, one([](const Tensors& x) {
                            if (x[0].is_contiguous()) return x[0].exp();
                            return x[0].detach().exp() + (x[0] - x[0].detach());
                          })};
  expect_failure([&] { run_case(wrong_grad, kCPU, kFloat32); }, "gradient of input 0 vs float64");
}

TEST(OpsHarness, AnOpThatThrowsOnTheDeviceFails) {
  const OpCase throws{"selftest_throws", {in({4, 7}, Layout::Stepped)}, one([](const Tensors& x) {
                        if (!x[0].is_contiguous()) throw DeviceError("no kernel for this layout");
                        return x[0].clone();
                      })};
  EXPECT_NONFATAL_FAILURE(run_case(throws, kCPU, kFloat32), "although its backend has every family");
}

TEST(OpsHarness, RecordsTheFamiliesOfForwardAndBackward) {
  const CaseReport exp_report = run_case(exp_case(), kCPU, kFloat32);
  EXPECT_TRUE(exp_report.used.count({BackendFamily::Unary, kFloat32}));
  EXPECT_TRUE(exp_report.used.count({BackendFamily::Binary, kFloat32}));  // backward: grad * exp(x)
  EXPECT_FALSE(exp_report.used.count({BackendFamily::Reduce, kFloat32}));
  // Broadcasting's backward sums over the broadcast dims.
  const OpCase broadcast{
      "selftest_broadcast", {in({3, 1}), in({4})}, one([](const Tensors& x) { return x[0] + x[1]; })};
  const CaseReport b = run_case(broadcast, kCPU, kFloat16);
  EXPECT_TRUE(b.used.count({BackendFamily::Reduce, kFloat16}));
  // A clone whose backward needs no add: copies only.
  const OpCase clone{"selftest_clone", {in({3, 4})}, one([](const Tensors& x) { return x[0].clone(); })};
  for (const auto& [family, dtype] : run_case(clone, kCPU, kBFloat16).used)
    EXPECT_EQ(family, BackendFamily::Copy) << backend_family_name(family);
}

TEST(OpsHarness, RecordingRestoresTheCpuBackendWhenTheCodeThrows) {
  Backend* const before = &backend(kCPU);
  EXPECT_THROW(record_families([] {
                 (void)(ones({2}) + ones({2}));
                 throw ValueError("stop");
               }),
               ValueError);
  EXPECT_EQ(&backend(kCPU), before);
}

// A backend with only the Copy family, as the CUDA backend is before its kernels land.
class CopyOnlyBackend final : public Backend {
 public:
  DeviceType type() const override { return DeviceType::CUDA; }
  bool supports(BackendFamily f, DType) const override { return f == BackendFamily::Copy; }
};

TEST(OpsHarness, MissingFamiliesAreTheUnsupportedOnes) {
  const CopyOnlyBackend copy_only;
  const FamilyUse used = {{BackendFamily::Copy, kFloat32},
                          {BackendFamily::Unary, kFloat32},
                          {BackendFamily::Binary, kFloat32},
                          {BackendFamily::Binary, kFloat16}};
  EXPECT_EQ(missing_families(used, copy_only),
            (std::vector<BackendFamily>{BackendFamily::Unary, BackendFamily::Binary}));
  EXPECT_TRUE(missing_families({{BackendFamily::Copy, kBFloat16}}, copy_only).empty());
  EXPECT_TRUE(missing_families(used, backend(kCPU)).empty());
}

TEST(OpsHarness, SummaryLineCountsRunsSkipsAndFailures) {
  Tally t;
  t.ran = 3;
  t.skipped = 2;
  t.failed = 1;
  t.missing = {{"binary", 2}, {"unary", 1}};
  EXPECT_EQ(summary_line("cuda float32", t),
            "[ops across devices] cuda float32: 3 cases ran, 2 skipped (cases per missing family: binary 2 unary 1), 1 "
            "failed");
}

}  // namespace
}  // namespace seek::backend_test
