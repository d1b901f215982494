// Gradcheck cases for view, copy and conversion ops.
#include "support/gradcheck_registry.h"

using namespace seek;
using V = std::vector<Tensor>;

SEEK_GRADCHECK_CASE({"view", {{2, 6}}, [](const V& x) { return x[0].view({3, 4}); }});
SEEK_GRADCHECK_CASE({"reshape_noncontiguous", {{3, 4}}, [](const V& x) { return x[0].t().reshape({12}); }});
SEEK_GRADCHECK_CASE({"permute", {{2, 3, 4}}, [](const V& x) { return x[0].permute({2, 0, 1}) * 1.0; }});
SEEK_GRADCHECK_CASE({"transpose", {{2, 3}}, [](const V& x) { return x[0].transpose(0, 1) * 1.0; }});
SEEK_GRADCHECK_CASE({"slice_step", {{5, 4}}, [](const V& x) { return x[0].slice(0, 1, std::nullopt, 2); }});
SEEK_GRADCHECK_CASE({"select", {{3, 4}}, [](const V& x) { return x[0].select(1, -1); }});
SEEK_GRADCHECK_CASE({"narrow", {{3, 4}}, [](const V& x) { return x[0].narrow(1, 1, 2); }});
SEEK_GRADCHECK_CASE({"expand", {{3, 1}}, [](const V& x) { return x[0].expand({2, 3, 4}); }});
SEEK_GRADCHECK_CASE({"squeeze_unsqueeze", {{1, 3}}, [](const V& x) { return x[0].squeeze(0).unsqueeze(1); }});
SEEK_GRADCHECK_CASE({"flatten_unflatten", {{2, 3, 2}}, [](const V& x) {
                       return x[0].flatten(1).unflatten(0, {1, 2});
                     }});
SEEK_GRADCHECK_CASE({"movedim", {{2, 3, 4}}, [](const V& x) { return x[0].movedim(0, 2) * 1.0; }});
SEEK_GRADCHECK_CASE({"clone", {{2, 3}}, [](const V& x) { return x[0].clone(); }});
SEEK_GRADCHECK_CASE({"contiguous", {{2, 3}}, [](const V& x) { return x[0].t().contiguous(); }});
// Casting to float32 and back is covered by Autograd.GradientsFlowThroughDtypeConversion:
// finite differences of eps 1e-6 drown in float32 rounding.
SEEK_GRADCHECK_CASE({"to_copy", {{4}}, [](const V& x) { return x[0].to(kFloat64, /*copy=*/true) * x[0]; }});
SEEK_GRADCHECK_CASE({"copy_", {{2, 3}, {3}}, [](const V& x) {
                       Tensor t = x[0] * 1.0;
                       t.copy_(x[1]);
                       return t * x[0];
                     }});
SEEK_GRADCHECK_CASE({"inplace_mul_add", {{3}, {3}}, [](const V& x) {
                       Tensor t = x[0] * 1.0;
                       t.mul_(x[1]);
                       t.add_(x[0], 2.0);
                       return t;
                     }});
