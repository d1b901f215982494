// multinomial: indices drawn from rows of non-negative weights, on the host from the
// generator's Philox stream (seek/core/generator.h), like randperm.
//
// With replacement, sample k of row r inverts the row's cumulative weights at
// u * total, u the f64 uniform of block (offset + r * num_samples + k).
// Without replacement it runs exponential races: category i of row r gets the
// key -log(1 - u_i) / w_i from block (offset + r * categories + i), and the
// num_samples smallest keys, in increasing order, are the draw. This is the same
// distribution as drawing one category at a time proportionally to the remaining
// weights and removing it (the first of independent exponential clocks with rates
// w_i rings at i with probability w_i / sum w).
#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>
#include <vector>

#include "ops/op_utils.h"
#include "seek/ops/creation.h"
#include "seek/ops/random.h"

namespace seek {

Tensor multinomial(const Tensor& input, int64_t num_samples, bool replacement, Generator* generator) {
  SEEK_CHECK_VALUE(input.defined(), "multinomial: input is undefined");
  SEEK_CHECK_SHAPE(input.dim() == 1 || input.dim() == 2, "multinomial: expected a 1-D or 2-D tensor of weights, got ",
                   input.dim(), " dims");
  SEEK_CHECK_DTYPE(is_floating(input.dtype()), "multinomial: expected floating weights, got ", input.dtype());
  SEEK_CHECK_VALUE(num_samples > 0, "multinomial: num_samples must be positive, got ", num_samples);
  const int64_t rows = input.dim() == 2 ? input.size(0) : 1;
  const int64_t cats = input.size(-1);
  SEEK_CHECK_VALUE(cats > 0, "multinomial: expected at least one category, got an input of shape ",
                   shape_str(input.shape()));
  SEEK_CHECK_VALUE(replacement || num_samples <= cats, "multinomial: cannot draw num_samples=", num_samples,
                   " without replacement from ", cats, " categories");
  std::vector<double> w = to_vector<double>(input.to(kCPU, kFloat64).contiguous());
  for (int64_t r = 0; r < rows; ++r) {
    double total = 0;
    int64_t positive = 0;
    for (int64_t i = 0; i < cats; ++i) {
      double v = w[static_cast<size_t>(r * cats + i)];
      SEEK_CHECK_VALUE(std::isfinite(v) && v >= 0, "multinomial: weights must be finite and non-negative, row ", r,
                       " has ", v, " at category ", i);
      total += v;
      positive += v > 0;
    }
    SEEK_CHECK_VALUE(total > 0, "multinomial: row ", r, " of the weights sums to zero");
    SEEK_CHECK_VALUE(replacement || positive >= num_samples, "multinomial: row ", r, " has only ", positive,
                     " categories of positive weight, fewer than num_samples=", num_samples,
                     " drawn without replacement");
  }
  if (generator && generator->device().type != input.device().type)
    throw DeviceError(str("multinomial: expected a generator for device ", input.device().str(), ", but got one for ",
                          generator->device().str()));
  Generator& g = generator ? *generator : default_generator(input.device());
  const int64_t per_row = replacement ? num_samples : cats;
  GeneratorState s = g.reserve(static_cast<uint64_t>(rows * per_row));
  auto uniform = [&](int64_t r, int64_t k) {
    Philox4x32 b = philox_block(s.seed, s.offset + static_cast<uint64_t>(r * per_row + k));
    return rng::uniform53(b.v[0], b.v[1]);
  };
  std::vector<int64_t> out(static_cast<size_t>(rows * num_samples));
  std::vector<double> cum(static_cast<size_t>(cats));
  std::vector<std::pair<double, int64_t>> keys(static_cast<size_t>(cats));
  for (int64_t r = 0; r < rows; ++r) {
    const double* wr = w.data() + r * cats;
    int64_t* o = out.data() + r * num_samples;
    if (replacement) {
      std::partial_sum(wr, wr + cats, cum.begin());
      for (int64_t k = 0; k < num_samples; ++k) {
        double x = uniform(r, k) * cum.back();
        auto it = std::upper_bound(cum.begin(), cum.end(), x);
        int64_t i = std::min<int64_t>(it - cum.begin(), cats - 1);
        while (wr[i] == 0 && i > 0) --i;  // x on a boundary after zero-weight categories
        o[k] = i;
      }
    } else {
      for (int64_t i = 0; i < cats; ++i) {
        double key = wr[i] > 0 ? -std::log1p(-uniform(r, i)) / wr[i] : std::numeric_limits<double>::infinity();
        keys[static_cast<size_t>(i)] = {key, i};
      }
      std::partial_sort(keys.begin(), keys.begin() + num_samples, keys.end());
      for (int64_t k = 0; k < num_samples; ++k) o[k] = keys[static_cast<size_t>(k)].second;
    }
  }
  Shape shape = input.dim() == 2 ? Shape{rows, num_samples} : Shape{num_samples};
  return tensor<int64_t>(out, shape, TensorOptions(kInt64)).to(input.device());
}

}  // namespace seek
