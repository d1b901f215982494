// Fits y = 3x + 0.5 by gradient descent with autograd; exits non-zero if it fails to.
#include <seek/seek.h>

#include <cmath>
#include <iostream>

int main() {
  using namespace seek;
  manual_seed(0);
  Tensor x = randn({256, 1});
  Tensor y = x * 3.0 + 0.5 + randn({256, 1}) * 0.01;
  Tensor w = zeros({1, 1}, TensorOptions().requires_grad());
  Tensor b = zeros({1}, TensorOptions().requires_grad());
  for (int step = 0; step < 200; ++step) {
    Tensor loss = (matmul(x, w) + b - y).pow(2).mean();
    loss.backward();
    {
      NoGradGuard no_grad;
      w.sub_(w.grad() * 0.1);
      b.sub_(b.grad() * 0.1);
    }
    w.grad().zero_();
    b.grad().zero_();
    if (step % 50 == 0) std::cout << "step " << step << " loss " << loss.item<float>() << "\n";
  }
  std::cout << "w = " << w << "\nb = " << b << "\n";
  bool ok = std::fabs(w.item<double>() - 3.0) < 1e-2 && std::fabs(b.item<double>() - 0.5) < 1e-2;
  if (!ok) std::cerr << "fit_line: did not converge to w=3, b=0.5\n";
  return ok ? 0 : 1;
}
