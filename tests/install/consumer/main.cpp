// Uses an installed seek: creates tensors, runs ops forward and backward and
// checks the values against hand-derived ones. Exits non-zero on any mismatch.
#include <cmath>
#include <cstdio>
#include <vector>

#include <seek/cuda.h>
#include <seek/seek.h>

namespace {
int failures = 0;

void expect_values(const char* what, const seek::Tensor& t, const std::vector<double>& want) {
  std::vector<double> got = seek::to_vector<double>(t);
  bool ok = got.size() == want.size();
  for (size_t i = 0; ok && i < got.size(); ++i) ok = std::fabs(got[i] - want[i]) <= 1e-12;
  std::printf("%s %s:", ok ? "ok  " : "FAIL", what);
  for (double v : got) std::printf(" %g", v);
  if (!ok) {
    std::printf("   expected:");
    for (double v : want) std::printf(" %g", v);
    ++failures;
  }
  std::printf("\n");
}
}  // namespace

int main() {
  try {
    std::printf("%s\n", seek::cuda::build_info().c_str());
    seek::Tensor a = seek::tensor<double>({1, 2, 3, 4, 5, 6}, {2, 3}, seek::TensorOptions(seek::kF64).requires_grad());
    seek::Tensor b =
        seek::tensor<double>({0.5, -1, 2, 3, -2, 0.25}, {2, 3}, seek::TensorOptions(seek::kF64).requires_grad());

    // y = a * b + a * a - b / 2
    seek::Tensor y = a * b + a * a - b / 2;
    expect_values("forward y = a*b + a*a - b/2", y, {1.25, 2.5, 14, 26.5, 16, 37.375});

    // dy/da = b + 2a, dy/db = a - 1/2
    y.backward(seek::ones_like(y));
    expect_values("grad a = b + 2a", a.grad(), {2.5, 3, 8, 11, 8, 12.25});
    expect_values("grad b = a - 1/2", b.grad(), {0.5, 1.5, 2.5, 3.5, 4.5, 5.5});

    // Views and dtype conversion.
    expect_values("a.t() as float32", a.detach().t().contiguous().to(seek::kF32).to(seek::kF64), {1, 4, 2, 5, 3, 6});
  } catch (const std::exception& e) {
    std::printf("FAIL: exception: %s\n", e.what());
    return 2;
  }
  if (failures) {
    std::printf("seek_consumer: %d check(s) failed\n", failures);
    return 1;
  }
  std::printf("seek_consumer: all checks passed\n");
  return 0;
}
