// Gradcheck cases for the binary family.
#include "support/gradcheck_registry.h"

using namespace seek;
using V = std::vector<Tensor>;

SEEK_GRADCHECK_CASE({"add", {{2, 3}, {2, 3}}, [](const V& x) { return x[0] + x[1]; }});
SEEK_GRADCHECK_CASE({"add_broadcast", {{2, 3}, {3}}, [](const V& x) { return x[0] + x[1]; }});
SEEK_GRADCHECK_CASE({"add_alpha", {{2, 3}, {2, 1}}, [](const V& x) { return add(x[0], x[1], 2.5); }});
SEEK_GRADCHECK_CASE({"sub_broadcast", {{4, 1}, {1, 3}}, [](const V& x) { return x[0] - x[1]; }});
SEEK_GRADCHECK_CASE({"mul_broadcast", {{2, 3, 4}, {3, 1}}, [](const V& x) { return x[0] * x[1]; }});
SEEK_GRADCHECK_CASE({"mul_scalar", {{5}}, [](const V& x) { return x[0] * 3.0; }});
SEEK_GRADCHECK_CASE({"div", {{2, 3}, {2, 3}}, [](const V& x) { return x[0] / x[1]; }, 0.5, 2.0});
SEEK_GRADCHECK_CASE({"rdiv_scalar", {{4}}, [](const V& x) { return 2.0 / x[0]; }, 0.5, 2.0});
SEEK_GRADCHECK_CASE({"pow", {{2, 3}, {2, 3}}, [](const V& x) { return pow(x[0], x[1]); }, 0.5, 2.0});
SEEK_GRADCHECK_CASE({"pow_scalar", {{6}}, [](const V& x) { return x[0].pow(3); }});
SEEK_GRADCHECK_CASE({"maximum", {{3, 4}, {3, 4}}, [](const V& x) { return maximum(x[0], x[1]); }});
SEEK_GRADCHECK_CASE({"minimum_broadcast", {{3, 4}, {4}}, [](const V& x) { return minimum(x[0], x[1]); }});
SEEK_GRADCHECK_CASE({"xlogy_broadcast", {{3, 4}, {4}}, [](const V& x) { return xlogy(x[0], x[1]); }, 0.5, 2.0});
