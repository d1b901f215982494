// Gradcheck cases for the elementwise and reduction ops of issue 12: the new unary and binary
// table rows, round with decimals, nan_to_num, clamp with tensor bounds, masked_fill with a
// tensor value, median / nanmedian, cumprod (through zeros), std_mean / var_mean, aminmax.
// Inputs stay inside each domain and away from the kinks of the piecewise ops.
#include "support/gradcheck_registry.h"

using namespace seek;
using V = std::vector<Tensor>;

namespace {
// Fixed values (gradcheck's random inputs cannot hold exact zeros, ties or NaN).
Tensor fixed(std::vector<double> v, const Shape& shape) { return tensor(v, shape); }
}  // namespace

// ---- unary rows ----
SEEK_GRADCHECK_CASE({"expm1", {{2, 3}}, [](const V& x) { return x[0].expm1(); }, -2.0, 2.0});
SEEK_GRADCHECK_CASE({"log2", {{2, 3}}, [](const V& x) { return x[0].log2(); }, 0.5, 2.0});
SEEK_GRADCHECK_CASE({"log10", {{2, 3}}, [](const V& x) { return x[0].log10(); }, 0.5, 2.0});
SEEK_GRADCHECK_CASE({"tan", {{2, 3}}, [](const V& x) { return x[0].tan(); }, -1.2, 1.2});
SEEK_GRADCHECK_CASE({"asin", {{2, 3}}, [](const V& x) { return x[0].asin(); }, -0.9, 0.9});
SEEK_GRADCHECK_CASE({"acos", {{2, 3}}, [](const V& x) { return x[0].acos(); }, -0.9, 0.9});
SEEK_GRADCHECK_CASE({"atan", {{2, 3}}, [](const V& x) { return x[0].atan(); }, -3.0, 3.0});
SEEK_GRADCHECK_CASE({"sinh", {{2, 3}}, [](const V& x) { return x[0].sinh(); }, -2.0, 2.0});
SEEK_GRADCHECK_CASE({"cosh", {{2, 3}}, [](const V& x) { return x[0].cosh(); }, -2.0, 2.0});
SEEK_GRADCHECK_CASE({"asinh", {{2, 3}}, [](const V& x) { return x[0].asinh(); }, -3.0, 3.0});
SEEK_GRADCHECK_CASE({"acosh", {{2, 3}}, [](const V& x) { return x[0].acosh(); }, 1.2, 4.0});
SEEK_GRADCHECK_CASE({"atanh", {{2, 3}}, [](const V& x) { return x[0].atanh(); }, -0.9, 0.9});
SEEK_GRADCHECK_CASE({"trunc", {{2, 3}}, [](const V& x) { return (x[0] * 3.0).trunc(); }, -1.0, 1.0});
SEEK_GRADCHECK_CASE({"frac", {{2, 3}}, [](const V& x) { return (x[0] * 3.0).frac(); }, -1.0, 1.0});
SEEK_GRADCHECK_CASE({"round_decimals", {{2, 3}}, [](const V& x) { return x[0].round(2) + x[0]; }, -1.0, 1.0});
SEEK_GRADCHECK_CASE({"nan_to_num", {{2, 3}}, [](const V& x) { return x[0].nan_to_num(); }});
// NaN and inf replaced: no gradient there (x's finite entries keep theirs).
SEEK_GRADCHECK_CASE({"nan_to_num_special", {{4}}, [](const V& x) {
                       Tensor special = fixed({NAN, INFINITY, -INFINITY, 0.0}, {4});
                       return nan_to_num(x[0] + special, 2.0, 5.0, -5.0) + x[0] * 0.5;
                     }});

// ---- binary rows ----
SEEK_GRADCHECK_CASE({"atan2", {{2, 3}, {2, 3}}, [](const V& x) { return x[0].atan2(x[1]); }, 0.3, 2.0});
SEEK_GRADCHECK_CASE({"atan2_broadcast", {{2, 3}, {3}}, [](const V& x) { return atan2(x[0], -x[1]); }, 0.3, 2.0});
SEEK_GRADCHECK_CASE({"hypot", {{2, 3}, {2, 1}}, [](const V& x) { return x[0].hypot(x[1]); }, 0.3, 2.0});
SEEK_GRADCHECK_CASE({"fmod", {{2, 3}, {2, 3}}, [](const V& x) { return fmod(x[0] * 4.0, x[1]); }, 0.5, 2.0});
SEEK_GRADCHECK_CASE({"fmod_neg", {{2, 3}, {3}}, [](const V& x) { return fmod(-x[0] * 4.0, x[1]); }, 0.5, 2.0});
SEEK_GRADCHECK_CASE({"remainder", {{2, 3}, {2, 3}}, [](const V& x) { return remainder(x[0] * 4.0, x[1]); }, 0.5, 2.0});
SEEK_GRADCHECK_CASE(
    {"remainder_neg", {{2, 3}, {3}}, [](const V& x) { return remainder(-x[0] * 4.0, x[1]); }, 0.5, 2.0});
SEEK_GRADCHECK_CASE(
    {"div_trunc", {{2, 3}, {2, 3}}, [](const V& x) { return div(x[0] * 5.0, x[1], "trunc") + x[0]; }, 0.5, 2.0});
SEEK_GRADCHECK_CASE(
    {"div_floor", {{2, 3}, {2, 3}}, [](const V& x) { return div(x[0] * -5.0, x[1], "floor") + x[1]; }, 0.5, 2.0});

// ---- clamp with tensor bounds, masked_fill with a tensor value ----
SEEK_GRADCHECK_CASE({"clamp_tensor_bounds", {{3, 4}, {4}, {3, 1}}, [](const V& x) {
                       return clamp(x[0], x[1] * 0.5 - 0.5, x[2] * 0.5 + 0.5);
                     }});
SEEK_GRADCHECK_CASE({"clamp_tensor_min", {{3, 4}, {3, 4}}, [](const V& x) { return x[0].clamp(x[1], Tensor()); }});
SEEK_GRADCHECK_CASE({"clamp_tensor_max", {{3, 4}, {1}}, [](const V& x) { return clamp(x[0], Tensor(), x[1]); }});
// min > max everywhere: the result is max, whose gradient it is.
SEEK_GRADCHECK_CASE({"clamp_tensor_crossed", {{2, 3}, {2, 3}, {2, 3}}, [](const V& x) {
                       return clamp(x[0], x[1] + 3.0, x[2] - 3.0);
                     }});
SEEK_GRADCHECK_CASE({"masked_fill_tensor_value", {{2, 3}, {}}, [](const V& x) {
                       Tensor mask = fixed({1.0, 0.0, 1.0}, {3}).gt(0.5);
                       return x[0].masked_fill(mask, x[1]);
                     }});

// ---- reductions ----
SEEK_GRADCHECK_CASE({"median_all", {{3, 5}}, [](const V& x) { return x[0].median(); }});
SEEK_GRADCHECK_CASE({"median_dim", {{4, 6}}, [](const V& x) { return std::get<0>(x[0].median(1)); }});
SEEK_GRADCHECK_CASE({"median_dim0_keepdim", {{5, 3}}, [](const V& x) { return std::get<0>(median(x[0], 0, true)); }});
SEEK_GRADCHECK_CASE({"nanmedian_dim", {{3, 4}}, [](const V& x) {
                       Tensor nan_mask = fixed({1.0, 0.0, 0.0, 1.0}, {4}).gt(0.5);
                       return std::get<0>(nanmedian(x[0].masked_fill(nan_mask, NAN), 1));
                     }});
SEEK_GRADCHECK_CASE({"nanmedian_all", {{7}}, [](const V& x) { return x[0].nanmedian(); }});
SEEK_GRADCHECK_CASE({"cumprod", {{3, 5}}, [](const V& x) { return x[0].cumprod(1); }, 0.5, 1.5});
SEEK_GRADCHECK_CASE({"cumprod_dim0_signs", {{6, 2}}, [](const V& x) { return cumprod(x[0], 0); }, -1.5, 1.5});
SEEK_GRADCHECK_CASE({"cumprod_long", {{19}}, [](const V& x) { return x[0].cumprod(0); }, 0.6, 1.4});
// Exact zeros, one and two in a row: the gradient is the product of the other factors.
SEEK_GRADCHECK_CASE({"cumprod_zeros", {{2, 5}}, [](const V& x) {
                       Tensor z = fixed({1.0, 0.0, 1.0, 1.0, 1.0, 1.0, 1.0, 0.0, 1.0, 0.0}, {2, 5});
                       return (x[0] * z).cumprod(1);
                     }});
SEEK_GRADCHECK_CASE({"std_mean_dim1", {{3, 4}}, [](const V& x) {
                       auto [s, m] = std_mean(x[0], {1});
                       return s * 2.0 + m;
                     }});
SEEK_GRADCHECK_CASE({"var_mean_dim0_correction0", {{3, 4}}, [](const V& x) {
                       auto [v, m] = var_mean(x[0], {0}, 0, true);
                       return v - m * 3.0;
                     }});
SEEK_GRADCHECK_CASE({"aminmax", {{3, 4}}, [](const V& x) {
                       auto [lo, hi] = x[0].aminmax(1);
                       return lo * 2.0 + hi;
                     }});
SEEK_GRADCHECK_CASE({"fixed_values_median_cumprod", {{1}}, [](const V& x) {
                       // ties and zeros in fixed data, scaled by a gradcheck input
                       Tensor v = fixed({2.0, 0.0, 2.0, 3.0, 0.0, 1.0}, {6});
                       return (v * x[0]).cumprod(0).sum() + (v * x[0]).median();
                     }});
