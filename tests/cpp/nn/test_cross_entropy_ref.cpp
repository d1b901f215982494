// F::cross_entropy with class-index targets (the fused Backend::cross_entropy_forward /
// cross_entropy_backward path) against torch 1.13: the loss and the gradient of its sum for
// weights, label smoothing, ignore_index, spatial (N, C, d1, d2) and unbatched inputs, one
// class, and a batch whose targets are all ignored (mean: NaN, gradient 0). The values come from
// gen_cross_entropy_ref.py beside this file (float64 logits from seek::testing::uniform_values).
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include "seek/seek.h"
#include "support/test_util.h"

namespace F = seek::nn::functional;
using namespace seek;

namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

// clang-format off
// weighted_smooth_ignore_mean: shape (4, 5), seed 1, targets [3, 1, 0, 4], weight [0.5, 1.0, 2.0, 1.5, 0.8], ignore_index 1, mean, smoothing 0.2
const std::vector<double> k_weighted_smooth_ignore_mean_loss = {2.8744139938206605};
const std::vector<double> k_weighted_smooth_ignore_mean_grad = {0.023564275171784364, 0.037219578896683106, 0.0899858597030227, -0.425894976364589, 0.2751252625930988, 0.0, 0.0, 0.0, 0.0, 0.0, -0.0652915771878177, 0.009740979015323795, 0.07777695790506614, -0.01496025475730832, -0.00726610497526387, 0.14938185249188432, 0.007932251171048768, 0.025297226372143766, 0.05149986773912866, -0.23411119777420558};
// weighted_smooth_ignore_none: shape (4, 5), seed 1, targets [3, 1, 0, 4], weight [0.5, 1.0, 2.0, 1.5, 0.8], ignore_index 1, none, smoothing 0.2
const std::vector<double> k_weighted_smooth_ignore_none_loss = {4.132589587180035, 0.0, 0.902353658423956, 3.0134159370938582};
const std::vector<double> k_weighted_smooth_ignore_none_grad = {0.06597997048099623, 0.10421482091071271, 0.2519604071684636, -1.1925059338208492, 0.7703507352606767, 0.0, 0.0, 0.0, 0.0, 0.0, -0.18281641612588953, 0.027274741242906627, 0.21777548213418518, -0.041888713320463296, -0.02034509393073883, 0.41826918697727616, 0.022210303278936562, 0.07083223384200256, 0.14419962966956026, -0.6555113537677757};
// weighted_sum: shape (4, 5), seed 1, targets [3, 1, 0, 4], weight [0.5, 1.0, 2.0, 1.5, 0.8], ignore_index -100, sum, smoothing 0.0
const std::vector<double> k_weighted_sum_loss = {10.255297081092854};
const std::vector<double> k_weighted_sum_grad = {0.09006281824126698, 0.15106301073049513, 0.3477238901904297, -1.429300908331895, 0.8404511891697031, 0.09737958586843337, -0.8658228329151536, 0.007156813021001285, 0.7453885001164522, 0.015897933909266776, -0.31235475959326703, 0.05322368769217296, 0.2355818687770452, 0.014328549588241061, 0.009220653535807885, 0.4020818229149322, 0.057073672732969316, 0.13837819618532343, 0.18733910978858737, -0.7848728016218124};
// spatial_ignore_mean: shape (2, 3, 2, 2), seed 2, targets [[[0, 2], [-100, 1]], [[1, 1], [2, -100]]], weight None, ignore_index -100, mean, smoothing 0.0
const std::vector<double> k_spatial_ignore_mean_loss = {1.2208637379094474};
const std::vector<double> k_spatial_ignore_mean_grad = {-0.01045806106625476, 0.07317977220290922, 0.0, 0.008128504892398351, 0.005395430650252398, 0.004183716170011769, 0.0, -0.07132482278199434, 0.005062630416002367, -0.07736348837292101, 0.0, 0.06319631788959598, 0.11962725884196142, 0.13319627792233688, 0.14305024168232525, 0.0, -0.12673742100984992, -0.1519559550427962, 0.005543602421530133, 0.0, 0.007110162167888491, 0.018759677120459308, -0.14859384410385537, 0.0};
// spatial_smooth_sum: shape (2, 3, 2, 2), seed 2, targets [[[0, 2], [-100, 1]], [[1, 1], [2, -100]]], weight None, ignore_index -100, sum, smoothing 0.1
const std::vector<double> k_spatial_smooth_sum_loss = {7.665953243607307};
const std::vector<double> k_spatial_smooth_sum_grad = {0.003918300269138086, 0.40574529988412206, 0.0, 0.015437696021056782, -0.0009607494318189455, -0.008231036313262715, 0.0, -0.36128227002529945, -0.002957550837319127, -0.3975142635708594, 0.0, 0.3458445740042426, 0.6844302197184352, 0.765844334200688, 0.8249681167606182, 0.0, -0.693757859392433, -0.8450690635901105, -7.171880415253462e-05, 0.0, 0.009327639673997613, 0.07922472938942252, -0.8248963979564656, 0.0};
// unbatched_smooth: shape (7,), seed 3, targets 2, weight None, ignore_index -100, mean, smoothing 0.1
const std::vector<double> k_unbatched_smooth_loss = {0.9126277173635753};
const std::vector<double> k_unbatched_smooth_grad = {-0.0027030944229542385, 0.0269454060030759, -0.43282064184968005, 0.03257553321062788, 0.2267136743779383, 0.043061941089032545, 0.10622718159195944};
// one_class: shape (3, 1), seed 4, targets [0, 0, 0], weight None, ignore_index -100, mean, smoothing 0.3
const std::vector<double> k_one_class_loss = {0.0};
const std::vector<double> k_one_class_grad = {0.0, 0.0, 0.0};
// all_ignored_mean: shape (2, 3), seed 5, targets [-100, -100], weight None, ignore_index -100, mean, smoothing 0.0
const std::vector<double> k_all_ignored_mean_loss = {kNaN};
const std::vector<double> k_all_ignored_mean_grad = {0.0, 0.0, 0.0, 0.0, 0.0, 0.0};
// clang-format on

struct RefCase {
  const char* name;
  Shape shape;
  uint64_t seed;
  Tensor target;
  std::vector<double> weight;
  int64_t ignore_index;
  const char* reduction;
  double smoothing;
  const std::vector<double>& loss;
  const std::vector<double>& grad;
};

void expect_values(const Tensor& got, const std::vector<double>& want, const std::string& what) {
  const std::vector<double> g = to_vector<double>(got.to(kFloat64).contiguous());
  ASSERT_EQ(g.size(), want.size()) << what;
  for (size_t i = 0; i < g.size(); ++i) {
    if (std::isnan(want[i]))
      EXPECT_TRUE(std::isnan(g[i])) << what << " [" << i << "] = " << g[i];
    else
      EXPECT_NEAR(g[i], want[i], 1e-12 * (1 + std::abs(want[i]))) << what << " [" << i << "]";
  }
}

TEST(CrossEntropyRef, FusedPathMatchesTorch) {
  const Tensor t44 = tensor<int64_t>({3, 1, 0, 4}, {4});
  const Tensor tsp = tensor<int64_t>({0, 2, -100, 1, 1, 1, 2, -100}, {2, 2, 2});
  const std::vector<double> w5 = {0.5, 1.0, 2.0, 1.5, 0.8};
  const RefCase cases[] = {
      {"weighted_smooth_ignore_mean",
       {4, 5},
       1,
       t44,
       w5,
       1,
       "mean",
       0.2,
       k_weighted_smooth_ignore_mean_loss,
       k_weighted_smooth_ignore_mean_grad},
      {"weighted_smooth_ignore_none",
       {4, 5},
       1,
       t44,
       w5,
       1,
       "none",
       0.2,
       k_weighted_smooth_ignore_none_loss,
       k_weighted_smooth_ignore_none_grad},
      {"weighted_sum", {4, 5}, 1, t44, w5, -100, "sum", 0.0, k_weighted_sum_loss, k_weighted_sum_grad},
      {"spatial_ignore_mean",
       {2, 3, 2, 2},
       2,
       tsp,
       {},
       -100,
       "mean",
       0.0,
       k_spatial_ignore_mean_loss,
       k_spatial_ignore_mean_grad},
      {"spatial_smooth_sum",
       {2, 3, 2, 2},
       2,
       tsp,
       {},
       -100,
       "sum",
       0.1,
       k_spatial_smooth_sum_loss,
       k_spatial_smooth_sum_grad},
      {"unbatched_smooth",
       {7},
       3,
       scalar_tensor(int64_t{2}, TensorOptions(kInt64)),
       {},
       -100,
       "mean",
       0.1,
       k_unbatched_smooth_loss,
       k_unbatched_smooth_grad},
      {"one_class",
       {3, 1},
       4,
       tensor<int64_t>({0, 0, 0}, {3}),
       {},
       -100,
       "mean",
       0.3,
       k_one_class_loss,
       k_one_class_grad},
      {"all_ignored_mean",
       {2, 3},
       5,
       tensor<int64_t>({-100, -100}, {2}),
       {},
       -100,
       "mean",
       0.0,
       k_all_ignored_mean_loss,
       k_all_ignored_mean_grad},
  };
  for (const RefCase& c : cases) {
    Tensor x = seek::testing::uniform_tensor(c.shape, -3.0, 3.0, kFloat64, c.seed).requires_grad_();
    const Tensor w = c.weight.empty() ? Tensor() : tensor<double>(c.weight, {static_cast<int64_t>(c.weight.size())});
    Tensor loss = F::cross_entropy(x, c.target, w, c.ignore_index, c.reduction, c.smoothing);
    expect_values(loss, c.loss, std::string(c.name) + " loss");
    loss.sum().backward();
    expect_values(x.grad(), c.grad, std::string(c.name) + " grad");
  }
}

}  // namespace
