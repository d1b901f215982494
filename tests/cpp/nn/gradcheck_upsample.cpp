// Gradcheck cases for interpolate (nearest and bilinear, both align_corners).
#include "seek/nn/upsample.h"
#include "support/gradcheck_registry.h"

using namespace seek;
using V = std::vector<Tensor>;
namespace F = seek::nn::functional;
using Sizes = std::vector<int64_t>;
using Scales = std::vector<double>;

SEEK_GRADCHECK_CASE({"nn_interpolate_nearest", {{1, 2, 2, 3}}, [](const V& x) {
                       return F::interpolate(x[0], Sizes{3, 5});
                     }});
SEEK_GRADCHECK_CASE({"nn_interpolate_nearest_1d_scale", {{2, 1, 3}}, [](const V& x) {
                       return F::interpolate(x[0], std::nullopt, Scales{2.5});
                     }});
SEEK_GRADCHECK_CASE({"nn_interpolate_bilinear", {{1, 2, 3, 3}}, [](const V& x) {
                       return F::interpolate(x[0], std::nullopt, Scales{1.5, 2.0}, "bilinear", false);
                     }});
SEEK_GRADCHECK_CASE({"nn_interpolate_bilinear_align", {{1, 1, 3, 2}}, [](const V& x) {
                       return F::interpolate(x[0], Sizes{4, 5}, std::nullopt, "bilinear", true);
                     }});
SEEK_GRADCHECK_CASE({"nn_interpolate_bilinear_down", {{1, 1, 5, 4}}, [](const V& x) {
                       return F::interpolate(x[0], Sizes{2, 3}, std::nullopt, "bilinear");
                     }});
