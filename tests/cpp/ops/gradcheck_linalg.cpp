// Gradcheck cases for the linear algebra family.
#include "support/gradcheck_registry.h"

using namespace seek;
using V = std::vector<Tensor>;

SEEK_GRADCHECK_CASE({"matmul_1d_1d", {{4}, {4}}, [](const V& x) { return matmul(x[0], x[1]); }});
SEEK_GRADCHECK_CASE({"matmul_2d_1d", {{3, 4}, {4}}, [](const V& x) { return matmul(x[0], x[1]); }});
SEEK_GRADCHECK_CASE({"matmul_1d_2d", {{4}, {4, 3}}, [](const V& x) { return matmul(x[0], x[1]); }});
SEEK_GRADCHECK_CASE({"matmul_2d_2d", {{3, 4}, {4, 2}}, [](const V& x) { return matmul(x[0], x[1]); }});
SEEK_GRADCHECK_CASE({"matmul_3d_2d", {{2, 3, 4}, {4, 2}}, [](const V& x) { return matmul(x[0], x[1]); }});
SEEK_GRADCHECK_CASE({"matmul_2d_3d", {{3, 4}, {2, 4, 2}}, [](const V& x) { return matmul(x[0], x[1]); }});
SEEK_GRADCHECK_CASE({"matmul_1d_3d", {{4}, {2, 4, 3}}, [](const V& x) { return matmul(x[0], x[1]); }});
SEEK_GRADCHECK_CASE({"matmul_3d_1d", {{2, 3, 4}, {4}}, [](const V& x) { return matmul(x[0], x[1]); }});
SEEK_GRADCHECK_CASE({"matmul_3d_3d", {{2, 3, 4}, {2, 4, 2}}, [](const V& x) { return matmul(x[0], x[1]); }});
SEEK_GRADCHECK_CASE({"matmul_broadcast_batch", {{2, 1, 3, 4}, {3, 4, 2}}, [](const V& x) {
                       return matmul(x[0], x[1]);
                     }});
SEEK_GRADCHECK_CASE({"matmul_transposed_operands", {{4, 3}, {2, 4}}, [](const V& x) {
                       return matmul(x[0].t(), x[1].t());
                     }});
SEEK_GRADCHECK_CASE({"mm", {{3, 4}, {4, 5}}, [](const V& x) { return mm(x[0], x[1]); }});
SEEK_GRADCHECK_CASE({"bmm", {{2, 3, 4}, {2, 4, 2}}, [](const V& x) { return bmm(x[0], x[1]); }});
SEEK_GRADCHECK_CASE({"mv", {{3, 4}, {4}}, [](const V& x) { return mv(x[0], x[1]); }});
SEEK_GRADCHECK_CASE({"dot", {{5}, {5}}, [](const V& x) { return dot(x[0], x[1]); }});
SEEK_GRADCHECK_CASE({"outer", {{3}, {4}}, [](const V& x) { return outer(x[0], x[1]); }});
SEEK_GRADCHECK_CASE({"addmm", {{3, 2}, {3, 4}, {4, 2}}, [](const V& x) { return addmm(x[0], x[1], x[2]); }});
SEEK_GRADCHECK_CASE({"addmm_alpha_beta", {{3, 2}, {3, 4}, {4, 2}}, [](const V& x) {
                       return addmm(x[0], x[1], x[2], 0.5, -2.0);
                     }});
SEEK_GRADCHECK_CASE({"addmm_broadcast_bias", {{2}, {3, 4}, {4, 2}}, [](const V& x) {
                       return addmm(x[0], x[1], x[2]);
                     }});
