// _C._backends: seek/backends.h's switches for python/seek/backends (torch.backends.cudnn and
// torch.backends.cuda.matmul as module attributes that read and write the C++ atomics) and
// seek.set/get_float32_matmul_precision; and issue 15's conv + batch norm folding
// (_C.nn._fuse_conv_bn_eval / _fuse_conv_bn, for seek.nn.utils.fusion).
#include "bind.h"
#include "seek/backends.h"
#include "seek/core/error.h"
#include "seek/nn/fusion.h"

namespace seek::python {

void init_nn_fused_conv_bn(py::module_& m);  // nn_fused_conv_bn.cpp

namespace {
std::atomic<bool>& bool_flag(const std::string& name) {
  namespace b = seek::backends;
  if (name == "cuda.matmul.allow_tf32") return b::cuda::matmul::allow_tf32;
  if (name == "cudnn.enabled") return b::cudnn::enabled;
  if (name == "cudnn.benchmark") return b::cudnn::benchmark;
  if (name == "cudnn.deterministic") return b::cudnn::deterministic;
  if (name == "cudnn.allow_tf32") return b::cudnn::allow_tf32;
  throw seek::ValueError("seek.backends: no flag named '" + name + "'");
}
}  // namespace

void init_backends(py::module_& m) {
  py::module_ b = m.def_submodule("_backends", "seek/backends.h: the CUDA library switches");
  b.def(
      "get_flag", [](const std::string& name) { return bool_flag(name).load(); }, py::arg("name"));
  b.def(
      "set_flag", [](const std::string& name, bool value) { bool_flag(name).store(value); }, py::arg("name"),
      py::arg("value"));
  b.def("get_benchmark_limit", [] { return seek::backends::cudnn::benchmark_limit.load(); });
  b.def(
      "set_benchmark_limit",
      [](int limit) {
        SEEK_CHECK_VALUE(limit >= 0, "cudnn.benchmark_limit must be >= 0, got ", limit);
        seek::backends::cudnn::benchmark_limit.store(limit);
      },
      py::arg("limit"));
  m.def("set_float32_matmul_precision", &seek::set_float32_matmul_precision, py::arg("precision"),
        "'highest' (f32 GEMMs in full f32), 'high' or 'medium' (TF32 allowed), as torch.");
  m.def("get_float32_matmul_precision", &seek::get_float32_matmul_precision);

  py::module_ nn = m.attr("nn").cast<py::module_>();
  nn.def("_fuse_conv_bn_eval", &seek::nn::fuse_conv_bn_eval, py::arg("conv"), py::arg("bn"));
  nn.def("_fuse_conv_bn", &seek::nn::fuse_conv_bn, py::arg("model"));
  init_nn_fused_conv_bn(m);  // the training half (nn_fused_conv_bn.cpp)
}

}  // namespace seek::python
