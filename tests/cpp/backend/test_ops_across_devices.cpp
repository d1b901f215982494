// Every public differentiable op on every registered device against the CPU (op_case.h):
// one test per op group and (device, dtype), cases looped inside with the case name in
// each failure. A case whose families the device lacks is skipped and counted; the
// environment prints one summary line per device and dtype at the end:
//   [ops across devices] cuda float32: 42 cases ran, 217 skipped (cases per missing family: binary 154 ...), 0 failed
// On the CPU the "device" run is the CPU itself with inputs in the cases' non-contiguous
// layouts, compared with the contiguous CPU run and with float64: so every case runs (and
// its domain and tolerances are checked) in every build, GPU or not.
#include <algorithm>
#include <cstdlib>
#include <iostream>

#include "backend/op_case.h"

namespace seek::backend_test {
namespace {

class OpsAcrossDevices : public DeviceTest {
 protected:
  void run_group(const std::vector<OpCase>& cases) {
    const std::string key = str(device_name(device()), " ", dtype_name(dtype()));
    Tally& tally = tallies()[key];
    int ran = 0, skipped = 0;
    std::map<std::string, int> missing;
    // SEEK_OPS_VERBOSE=1 lists every case run or skipped.
    const bool verbose = std::getenv("SEEK_OPS_VERBOSE") != nullptr;
    for (const OpCase& c : cases) {
      if (std::find(c.dtypes.begin(), c.dtypes.end(), dtype()) == c.dtypes.end()) continue;
      const int failures_before = failed_parts();
      CaseReport report;
      try {
        report = run_case(c, device(), dtype());
      } catch (const std::exception& e) {
        ADD_FAILURE() << c.name << " in " << dtype_name(dtype()) << " threw on the CPU: " << e.what();
      }
      if (failed_parts() > failures_before) {
        ++tally.failed;
      } else if (report.outcome == CaseOutcome::Skipped) {
        ++skipped;
        std::string families;
        for (BackendFamily f : report.missing) {
          ++missing[backend_family_name(f)];
          families += str(" ", backend_family_name(f));
        }
        if (verbose) std::cout << "  skipped " << c.name << ": the device lacks" << families << "\n";
      } else {
        ++ran;
        if (verbose) std::cout << "  ran " << c.name << "\n";
      }
    }
    tally.ran += ran;
    tally.skipped += skipped;
    std::string why;
    for (const auto& [family, n] : missing) {
      tally.missing[family] += n;
      why += str(why.empty() ? "" : ", ", family, " (", n, ")");
    }
    if (skipped > 0 && ran == 0 && !HasFailure())
      GTEST_SKIP() << "all " << skipped << " cases need families the " << device_name(device()) << " backend lacks for "
                   << dtype_name(dtype()) << ": " << why;
    if (skipped > 0) std::cout << "  " << key << ": " << ran << " ran, " << skipped << " skipped: " << why << "\n";
  }

 private:
  static int failed_parts() {
    const ::testing::TestResult* r = ::testing::UnitTest::GetInstance()->current_test_info()->result();
    int n = 0;
    for (int i = 0; i < r->total_part_count(); ++i) n += r->GetTestPartResult(i).failed() ? 1 : 0;
    return n;
  }
};

SEEK_DEVICE_TEST(OpsAcrossDevices, Elementwise) { run_group(elementwise_cases()); }
SEEK_DEVICE_TEST(OpsAcrossDevices, Reductions) { run_group(reduce_cases()); }
SEEK_DEVICE_TEST(OpsAcrossDevices, Layers) { run_group(nn_cases()); }
SEEK_DEVICE_TEST(OpsAcrossDevices, ViewsAndCopies) { run_group(copy_cases()); }
SEEK_DEVICE_TEST(OpsAcrossDevices, Indexing) { run_group(index_cases()); }
SEEK_DEVICE_TEST(OpsAcrossDevices, More) { run_group(more_cases()); }

SEEK_INSTANTIATE_ON_DEVICES(OpsAcrossDevices, kFloat64, kFloat32, kFloat16, kBFloat16);

// Prints the summary lines after every test has run.
class SummaryEnvironment : public ::testing::Environment {
 public:
  void TearDown() override {
    for (const auto& [key, tally] : tallies()) std::cout << summary_line(key, tally) << "\n";
  }
};
[[maybe_unused]] ::testing::Environment* const summary_environment =
    ::testing::AddGlobalTestEnvironment(new SummaryEnvironment);

// Case names are unique within and across groups (a failure names its case).
TEST(OpsAcrossDevicesTables, CaseNamesAreUnique) {
  std::vector<std::string> names;
  for (const auto& group : {elementwise_cases(), reduce_cases(), nn_cases(), copy_cases(), index_cases(), more_cases()})
    for (const OpCase& c : group) names.push_back(c.name);
  std::sort(names.begin(), names.end());
  EXPECT_EQ(std::adjacent_find(names.begin(), names.end()), names.end()) << "duplicate op case name";
  EXPECT_GT(names.size(), 200u);
}

}  // namespace
}  // namespace seek::backend_test
