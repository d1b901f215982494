// Op cases of the reductions and what sits on them: one public op per row of the reduce
// table (kReduceOps; a row without a case here fails), then softmax/log_softmax, cumsum,
// cumprod, sort/topk/argsort, max/min along a dim, argmax/argmin, median, and the losses.
// Results that are sums of many terms compare with a relative floor (rel_floor).
#include <limits>

#include "backend/op_case.h"
#include "backend/op_lists.h"
#include "seek/nn.h"

namespace seek::backend_test {

namespace {

const auto T = Layout::Transposed;
const auto S = Layout::Stepped;

OpCase reduce_row(ReduceOp op) {
  OpCase c{str("reduce_", reduce_op_name(op)), {in({7, 13}, T)}, {}};
  c.rel_floor = 1e-2;
  switch (op) {
    case ReduceOp::Sum:
      c.fn = [](const Tensors& x) { return Tensors{x[0].sum(), sum(x[0], std::vector<int64_t>{1}, true)}; };
      break;
    case ReduceOp::Prod:
      c.inputs = {in({7, 5}, 0.6, 1.6, S)};
      c.fn = [](const Tensors& x) { return Tensors{prod(x[0], 1), prod(x[0])}; };
      break;
    case ReduceOp::Max:
      c.inputs = {distinct({7, 13}, T)};
      c.fn = [](const Tensors& x) { return Tensors{amax(x[0], std::vector<int64_t>{0}), max(x[0])}; };
      break;
    case ReduceOp::Min:
      c.inputs = {distinct({7, 13}, S)};
      c.fn = [](const Tensors& x) { return Tensors{amin(x[0], std::vector<int64_t>{1}, true), min(x[0])}; };
      break;
    case ReduceOp::All:
    case ReduceOp::Any:
      c.inputs = {bools({7, 13})};
      c.backward = false;
      c.fn = [op](const Tensors& x) {
        return op == ReduceOp::All ? Tensors{all(x[0], 1), all(x[0])} : Tensors{any(x[0], 0), any(x[0])};
      };
      break;
    case ReduceOp::SumSquares: c.fn = [](const Tensors& x) { return Tensors{norm(x[0], 2.0, {1})}; }; break;
    case ReduceOp::SumAbsPow: c.fn = [](const Tensors& x) { return Tensors{norm(x[0], 3.0, {0}, true)}; }; break;
    case ReduceOp::MaxAbs:
      c.inputs = {distinct({7, 13}, T)};
      c.fn = [](const Tensors& x) { return Tensors{norm(x[0], std::numeric_limits<double>::infinity(), {1})}; };
      break;
    case ReduceOp::Mean:
      c.fn = [](const Tensors& x) { return Tensors{mean(x[0], std::vector<int64_t>{0}), x[0].mean()}; };
      break;
    case ReduceOp::Norm: c.fn = [](const Tensors& x) { return Tensors{norm(x[0], 1.0, {1}), norm(x[0])}; }; break;
    case ReduceOp::Var: c.fn = [](const Tensors& x) { return Tensors{var(x[0], {1}), var(x[0], {0}, 0, true)}; }; break;
    case ReduceOp::Std:
      c.fn = [](const Tensors& x) { return Tensors{seek::std(x[0], {1}), std::get<0>(std_mean(x[0], {0}))}; };
      break;
    case ReduceOp::LogSumExp:
      c.fn = [](const Tensors& x) { return Tensors{logsumexp(x[0], std::vector<int64_t>{1})}; };
      break;
  }
  if (!c.fn)
    c.fn = [op](const Tensors&) -> Tensors { throw Error(str("no op case for reduce row ", reduce_op_name(op))); };
  return c;
}

}  // namespace

std::vector<OpCase> reduce_cases() {
  std::vector<OpCase> cases;
  for (ReduceOp op : kReduceOps) cases.push_back(reduce_row(op));
  auto add = [&](OpCase c, double rel_floor = 1e-2) {
    c.rel_floor = rel_floor;
    cases.push_back(std::move(c));
  };
  add({"sum_broadcast_backward", {in({3, 1, 5}, S), in({4, 5})}, one([](const Tensors& x) {
         return (x[0] * x[1]).sum(std::vector<int64_t>{2});
       })});
  add({"var_mean_dims", {in({3, 5, 7}, T)}, [](const Tensors& x) {
         auto [v, m] = var_mean(x[0], {0, 2});
         return Tensors{v, m};
       }});
  add({"softmax", {in({7, 13}, -3, 3, T)}, one([](const Tensors& x) { return softmax(x[0], 1); })});
  add({"softmax_dim0", {in({7, 13}, -3, 3, S)}, one([](const Tensors& x) { return softmax(x[0], 0); })});
  add({"log_softmax", {in({3, 7, 5}, -3, 3, T)}, one([](const Tensors& x) { return log_softmax(x[0], 1); })});
  add({"softmin_glu", {in({7, 12}, S)}, one([](const Tensors& x) {
         return nn::functional::softmin(x[0], 1) + nn::functional::glu(x[0], 1).repeat({1, 2});
       })});
  add({"cumsum", {in({7, 13}, T)}, one([](const Tensors& x) { return cumsum(x[0], 1) + cumsum(x[0], 0); })});
  add({"cumprod", {in({5, 9}, 0.6, 1.5, S)}, one([](const Tensors& x) { return cumprod(x[0], 1); })});
  add({"sort", {distinct({7, 13}, T)}, [](const Tensors& x) {
         auto [v, i] = sort(x[0], 1);
         auto [v0, i0] = sort(x[0], 0, /*descending=*/true);
         return Tensors{v, i, v0, i0};
       }});
  add({"argsort", {distinct({7, 13}, S)}, one([](const Tensors& x) { return argsort(x[0], 1, true); })});
  cases.back().backward = false;
  add({"topk", {distinct({7, 13}, S)}, [](const Tensors& x) {
         auto [v, i] = topk(x[0], 4, 1);
         auto [v0, i0] = topk(x[0], 3, 0, /*largest=*/false);
         return Tensors{v, i, v0, i0};
       }});
  add({"max_min_dim", {distinct({7, 13}, T)}, [](const Tensors& x) {
         auto [mx, imx] = max(x[0], 1, true);
         auto [mn, imn] = min(x[0], 0);
         return Tensors{mx, imx, mn, imn};
       }});
  add({"argmax_argmin", {distinct({7, 13}, S)}, [](const Tensors& x) {
         return Tensors{argmax(x[0], 1), argmin(x[0], 0, true), argmax(x[0])};
       }});
  cases.back().backward = false;
  add({"median", {distinct({7, 13}, T)}, [](const Tensors& x) {
         auto [v, i] = median(x[0], 1);
         return Tensors{v, i, median(x[0])};
       }});
  add({"aminmax", {distinct({7, 13})}, [](const Tensors& x) {
         auto [a, b] = aminmax(x[0], 0);
         return Tensors{a, b};
       }});
  // Losses (seek/nn/loss.h): class targets as int64 inputs, probabilities as constants.
  namespace F = nn::functional;
  add({"cross_entropy", {in({7, 5}, -3, 3, T), ints({7}, 0, 4)}, one([](const Tensors& x) {
         return F::cross_entropy(x[0], x[1]);
       })});
  add({"cross_entropy_smoothing_sum", {in({7, 5, 3}, -3, 3, S), ints({7, 3}, 0, 4)}, one([](const Tensors& x) {
         return F::cross_entropy(x[0], x[1], Tensor(), -100, "sum", 0.1);
       })});
  add({"nll_loss_weighted", {in({7, 5}, -3, -0.1), ints({7}, 0, 4), constant({5}, 0.5, 2.0)}, one([](const Tensors& x) {
         return F::nll_loss(x[0], x[1], x[2]);
       })});
  add({"mse_loss", {in({7, 13}, T), in({7, 13})}, one([](const Tensors& x) { return F::mse_loss(x[0], x[1]); })});
  add({"l1_smooth_l1_loss", {in({7, 13}, S), constant({7, 13})}, one([](const Tensors& x) {
         return F::l1_loss(x[0], x[1], "sum") + F::smooth_l1_loss(x[0], x[1], "mean", 0.5);
       })});
  add({"bce_with_logits", {in({7, 13}, -3, 3, T), constant({7, 13}, 0.05, 0.95)}, one([](const Tensors& x) {
         return F::binary_cross_entropy_with_logits(x[0], x[1]);
       })});
  add({"bce", {in({7, 13}, 0.05, 0.95, S), constant({7, 13}, 0.05, 0.95)}, one([](const Tensors& x) {
         return F::binary_cross_entropy(x[0], x[1], Tensor(), "none");
       })});
  add({"kl_div", {in({7, 5}, -3, -0.1), constant({7, 5}, 0.05, 0.95)}, one([](const Tensors& x) {
         return F::kl_div(x[0], x[1], "batchmean");
       })});
  return cases;
}

}  // namespace seek::backend_test
