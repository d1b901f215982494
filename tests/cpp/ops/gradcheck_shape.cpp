// Gradcheck cases for the shape family (cat, stack, split/chunk/unbind, pad) and
// the sort family (sort and topk values).
#include <tuple>

#include "support/gradcheck_registry.h"

using namespace seek;
using V = std::vector<Tensor>;

SEEK_GRADCHECK_CASE({"cat_dim1", {{2, 3}, {2, 2}}, [](const V& x) { return cat({x[0], x[1]}, 1); }});
SEEK_GRADCHECK_CASE({"cat_three_noncontiguous", {{2, 1, 3}, {3, 2, 2}, {2, 4, 3}}, [](const V& x) {
                       return cat({x[0], x[1].permute({1, 2, 0}), x[2]}, -2);
                     }});
SEEK_GRADCHECK_CASE({"cat_same_input_twice", {{3, 2}}, [](const V& x) { return cat({x[0], x[0] * x[0]}, 0); }});
SEEK_GRADCHECK_CASE({"stack_dim1", {{2, 3}, {2, 3}}, [](const V& x) { return stack({x[0], x[1]}, 1); }});
SEEK_GRADCHECK_CASE({"stack_last", {{4}, {4}, {4}}, [](const V& x) { return stack({x[0], x[1], x[2]}, -1); }});
SEEK_GRADCHECK_CASE({"split_pieces", {{5, 3}}, [](const V& x) {
                       auto p = x[0].split(2);
                       return cat({p[2] * 2.0, p[0]}, 0);  // p[1] unused
                     }});
SEEK_GRADCHECK_CASE({"chunk_pieces", {{2, 6}}, [](const V& x) {
                       auto p = x[0].chunk(3, 1);
                       return p[1] * p[2];
                     }});
SEEK_GRADCHECK_CASE({"unbind_rows", {{3, 4}}, [](const V& x) {
                       auto u = x[0].unbind(0);
                       return stack({u[2], u[0] * u[1]});
                     }});
SEEK_GRADCHECK_CASE({"pad_constant", {{2, 3, 4}}, [](const V& x) { return pad(x[0], {1, 2, 0, 1}, "constant", 0.5); }});
SEEK_GRADCHECK_CASE({"pad_constant_crop", {{3, 5}}, [](const V& x) { return pad(x[0], {-1, 2, 1, -2}); }});
SEEK_GRADCHECK_CASE({"pad_reflect_1d", {{2, 5}}, [](const V& x) { return pad(x[0], {3, 2}, "reflect"); }});
SEEK_GRADCHECK_CASE({"pad_reflect_2d", {{2, 3, 4}}, [](const V& x) { return pad(x[0], {2, 1, 1, 2}, "reflect"); }});
SEEK_GRADCHECK_CASE({"pad_reflect_3d", {{1, 3, 3, 4}}, [](const V& x) {
                       return pad(x[0], {1, 2, 2, 1, 1, 1}, "reflect");
                     }});
SEEK_GRADCHECK_CASE({"pad_replicate_2d", {{2, 3, 4}}, [](const V& x) { return pad(x[0], {2, 1, 1, 3}, "replicate"); }});
SEEK_GRADCHECK_CASE({"pad_replicate_3d", {{1, 2, 2, 3}}, [](const V& x) {
                       return pad(x[0], {1, 1, 0, 2, 1, 0}, "replicate");
                     }});
SEEK_GRADCHECK_CASE({"pad_circular_2d", {{2, 3, 4}}, [](const V& x) { return pad(x[0], {4, 1, 3, 2}, "circular"); }});
// Random inputs have no ties, so sort and topk are differentiable at them.
SEEK_GRADCHECK_CASE({"sort_values", {{3, 5}}, [](const V& x) { return std::get<0>(x[0].sort(1)); }});
SEEK_GRADCHECK_CASE({"sort_values_descending_dim0", {{4, 3}}, [](const V& x) {
                       return std::get<0>(x[0].sort(0, /*descending=*/true));
                     }});
SEEK_GRADCHECK_CASE({"topk_values_largest", {{3, 6}}, [](const V& x) { return std::get<0>(x[0].topk(2)); }});
SEEK_GRADCHECK_CASE({"topk_values_smallest_dim0", {{5, 3}}, [](const V& x) {
                       return std::get<0>(x[0].topk(3, 0, /*largest=*/false));
                     }});
SEEK_GRADCHECK_CASE({"topk_values_unsorted", {{2, 7}}, [](const V& x) {
                       return std::get<0>(x[0].topk(4, -1, true, /*sorted=*/false));
                     }});
