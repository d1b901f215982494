// _C.nn.FusedConvBNReLU, _C.nn.FusedBatchNormState, _C.nn.functional.conv_bn_relu and
// _C.nn._fuse_conv_bn_relu_train (issue 15's fused conv + batch norm for training; seek/nn/fused_conv_bn.h),
// for seek.nn and seek.nn.utils.fusion. Registered from init_backends beside the inference fold.
#include "bind.h"
#include "nn_common.h"
#include "seek/nn/fused_conv_bn.h"

namespace seek::python {

void init_nn_fused_conv_bn(py::module_& m) {
  using Opt = std::optional<Tensor>;
  const auto nogil = py::call_guard<py::gil_scoped_release>();
  auto val = [](const Opt& t) { return t ? *t : Tensor(); };
  py::module_ nn_m = m.attr("nn").cast<py::module_>();
  py::module_ f = nn_m.attr("functional").cast<py::module_>();
  f.def(
      "conv_bn_relu",
      [val](const Tensor& x, const Tensor& weight, const Opt& conv_bias, const Opt& running_mean,
            const Opt& running_var, const Opt& bn_weight, const Opt& bn_bias, const Opt& residual, Int2 stride,
            Int2 padding, Int2 dilation, int64_t groups, bool training, std::optional<double> momentum, double eps,
            bool relu, const Opt& num_batches_tracked) {
        ConvBnOptions o;
        o.stride = stride, o.padding = padding, o.dilation = dilation, o.groups = groups;
        o.training = training, o.momentum = momentum, o.eps = eps, o.relu = relu;
        return nn::functional::conv_bn_relu(x, weight, val(conv_bias), val(running_mean), val(running_var),
                                            val(bn_weight), val(bn_bias), val(residual), o, val(num_batches_tracked));
      },
      "relu(batch_norm(conv2d(input, weight, conv_bias)) + residual) as one fused op (training statistics "
      "and running-statistics updates as batch_norm; relu=False skips the ReLU).",
      py::arg("input"), py::arg("weight"), py::arg("conv_bias") = py::none(), py::arg("running_mean") = py::none(),
      py::arg("running_var") = py::none(), py::arg("bn_weight") = py::none(), py::arg("bn_bias") = py::none(),
      py::arg("residual") = py::none(), py::arg("stride") = 1, py::arg("padding") = 0, py::arg("dilation") = 1,
      py::arg("groups") = 1, py::arg("training") = true, py::arg("momentum") = 0.1, py::arg("eps") = 1e-5,
      py::arg("relu") = true, py::arg("num_batches_tracked") = py::none(), nogil);

  py::class_<nn::FusedBatchNormState, nn::Module, std::shared_ptr<nn::FusedBatchNormState>>(
      nn_m, "FusedBatchNormState",
      "A BatchNorm2d's tensors after fuse_conv_bn_relu_train (same keys); forward is the identity.")
      .def(
          "forward", [](nn::FusedBatchNormState& s, const Tensor& x) { return s.forward(x); }, py::arg("input"), nogil);
  py::class_<nn::FusedConvBNReLU, nn::Module, std::shared_ptr<nn::FusedConvBNReLU>>(
      nn_m, "FusedConvBNReLU",
      "Conv2d -> BatchNorm2d (-> ReLU) as one fused training op; the state_dict keys of "
      "Sequential(Conv2d, BatchNorm2d, ReLU).")
      .def(py::init([](int64_t in, int64_t out, Int2 k, Int2 stride, Int2 padding, Int2 dilation, int64_t groups,
                       bool bias, bool relu, double eps, std::optional<double> momentum, bool affine, bool track,
                       const py::object& device, std::optional<DType> dtype) {
             return std::make_shared<nn::FusedConvBNReLU>(in, out, k, stride, padding, dilation, groups, bias, relu,
                                                          eps, momentum, affine, track,
                                                          make_options(dtype, device, false));
           }),
           py::arg("in_channels"), py::arg("out_channels"), py::arg("kernel_size"), py::arg("stride") = 1,
           py::arg("padding") = 0, py::arg("dilation") = 1, py::arg("groups") = 1, py::arg("bias") = false,
           py::arg("relu") = true, py::arg("eps") = 1e-5, py::arg("momentum") = 0.1, py::arg("affine") = true,
           py::arg("track_running_stats") = true, py::arg("device") = py::none(), py::arg("dtype") = py::none())
      .def(
          "forward",
          [val](nn::FusedConvBNReLU& mod, const Tensor& x, const Opt& residual) {
            return mod.forward(x, val(residual));
          },
          py::arg("input"), py::arg("residual") = py::none(), nogil)
      .def_property_readonly("relu", &nn::FusedConvBNReLU::relu);
  nn_m.def("_fuse_conv_bn_relu_train", &nn::fuse_conv_bn_relu_train, py::arg("model"));
}

}  // namespace seek::python
