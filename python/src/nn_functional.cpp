// seek._C.nn.functional and seek._C.nn.init (torch's names and keywords), and init_nn,
// which builds the seek._C.nn module from the nn_*.cpp parts. Every function releases
// the GIL while it computes.
#include "nn_common.h"

#include "seek/nn/attention.h"
#include "seek/nn/functional.h"
#include "seek/nn/init.h"
#include "seek/nn/loss.h"
#include "seek/nn/normalization.h"
#include "seek/nn/upsample.h"
#include "seek/ops/conv.h"
#include "seek/ops/index.h"
#include "seek/ops/pool.h"
#include "seek/ops/shape.h"
#include "seek/ops/unary.h"

namespace seek::python {

namespace {

namespace F = nn::functional;
using Opt = std::optional<Tensor>;
const auto nogil = py::call_guard<py::gil_scoped_release>();

Tensor val(const Opt& t) { return t ? *t : Tensor(); }

void init_activations(py::module_& f) {
  f.def(
      "relu", [](const Tensor& x, bool) { return F::relu(x); }, py::arg("input"), py::arg("inplace") = false, nogil);
  f.def(
      "relu6", [](const Tensor& x, bool) { return F::relu6(x); }, py::arg("input"), py::arg("inplace") = false, nogil);
  f.def(
      "leaky_relu", [](const Tensor& x, double s, bool) { return F::leaky_relu(x, s); }, py::arg("input"),
      py::arg("negative_slope") = 0.01, py::arg("inplace") = false, nogil);
  f.def("gelu", &F::gelu, py::arg("input"), py::arg("approximate") = "none", nogil);
  f.def(
      "silu", [](const Tensor& x, bool) { return F::silu(x); }, py::arg("input"), py::arg("inplace") = false, nogil);
  f.def(
      "hardswish", [](const Tensor& x, bool) { return seek::hardswish(x); }, py::arg("input"),
      py::arg("inplace") = false, nogil);
  f.def(
      "hardsigmoid", [](const Tensor& x, bool) { return seek::hardsigmoid(x); }, py::arg("input"),
      py::arg("inplace") = false, nogil);
  f.def(
      "sigmoid", [](const Tensor& x) { return seek::sigmoid(x); }, py::arg("input"), nogil);
  f.def(
      "tanh", [](const Tensor& x) { return seek::tanh(x); }, py::arg("input"), nogil);
  f.def(
      "softplus", [](const Tensor& x, double beta, double threshold) { return seek::softplus(x, beta, threshold); },
      py::arg("input"), py::arg("beta") = 1.0, py::arg("threshold") = 20.0, nogil);
  f.def(
      "softmax",
      [](const Tensor& x, int64_t dim, std::optional<DType> dtype) {
        return F::softmax(dtype ? x.to(*dtype) : x, dim);
      },
      py::arg("input"), py::arg("dim"), py::arg("dtype") = py::none(), nogil);
  f.def(
      "log_softmax",
      [](const Tensor& x, int64_t dim, std::optional<DType> dtype) {
        return F::log_softmax(dtype ? x.to(*dtype) : x, dim);
      },
      py::arg("input"), py::arg("dim"), py::arg("dtype") = py::none(), nogil);
}

void init_layers(py::module_& f) {
  f.def(
      "linear", [](const Tensor& x, const Tensor& w, const Opt& b) { return F::linear(x, w, val(b)); },
      py::arg("input"), py::arg("weight"), py::arg("bias") = py::none(), nogil, "y = x @ weight.T + bias.");
  f.def(
      "conv2d",
      [](const Tensor& x, const Tensor& w, const Opt& b, Int2 stride, Int2 padding, Int2 dilation, int64_t groups) {
        return seek::conv2d(x, w, val(b), stride, padding, dilation, groups);
      },
      py::arg("input"), py::arg("weight"), py::arg("bias") = py::none(), py::arg("stride") = 1, py::arg("padding") = 0,
      py::arg("dilation") = 1, py::arg("groups") = 1, nogil);
  f.def(
      "conv_transpose2d",
      [](const Tensor& x, const Tensor& w, const Opt& b, Int2 stride, Int2 padding, Int2 output_padding, int64_t groups,
         Int2 dilation) {
        return seek::conv_transpose2d(x, w, val(b), stride, padding, output_padding, groups, dilation);
      },
      py::arg("input"), py::arg("weight"), py::arg("bias") = py::none(), py::arg("stride") = 1, py::arg("padding") = 0,
      py::arg("output_padding") = 0, py::arg("groups") = 1, py::arg("dilation") = 1, nogil);
  f.def(
      "max_pool2d",
      [](const Tensor& x, Int2 k, std::optional<Int2> stride, Int2 padding, Int2 dilation, bool ceil_mode,
         bool return_indices) -> py::object {
        if (return_indices) {
          std::pair<Tensor, Tensor> r;
          {
            py::gil_scoped_release g;
            r = seek::max_pool2d_with_indices(x, k, stride.value_or(Int2()), padding, dilation, ceil_mode);
          }
          return py::make_tuple(r.first, r.second);
        }
        Tensor y;
        {
          py::gil_scoped_release g;
          y = seek::max_pool2d(x, k, stride.value_or(Int2()), padding, dilation, ceil_mode);
        }
        return py::cast(y);
      },
      py::arg("input"), py::arg("kernel_size"), py::arg("stride") = py::none(), py::arg("padding") = 0,
      py::arg("dilation") = 1, py::arg("ceil_mode") = false, py::arg("return_indices") = false);
  f.def(
      "avg_pool2d",
      [](const Tensor& x, Int2 k, std::optional<Int2> stride, Int2 padding, bool ceil_mode, bool count_include_pad) {
        return seek::avg_pool2d(x, k, stride.value_or(Int2()), padding, ceil_mode, count_include_pad);
      },
      py::arg("input"), py::arg("kernel_size"), py::arg("stride") = py::none(), py::arg("padding") = 0,
      py::arg("ceil_mode") = false, py::arg("count_include_pad") = true, nogil);
  f.def("adaptive_avg_pool2d", &seek::adaptive_avg_pool2d, py::arg("input"), py::arg("output_size"), nogil);
  f.def(
      "dropout", [](const Tensor& x, double p, bool training, bool) { return F::dropout(x, p, training); },
      py::arg("input"), py::arg("p") = 0.5, py::arg("training") = true, py::arg("inplace") = false, nogil);
  f.def(
      "layer_norm",
      [](const Tensor& x, const std::vector<int64_t>& shape, const Opt& w, const Opt& b, double eps) {
        return F::layer_norm(x, Shape(shape), val(w), val(b), eps);
      },
      py::arg("input"), py::arg("normalized_shape"), py::arg("weight") = py::none(), py::arg("bias") = py::none(),
      py::arg("eps") = 1e-5, nogil);
  f.def(
      "batch_norm",
      [](const Tensor& x, const Opt& rm, const Opt& rv, const Opt& w, const Opt& b, bool training,
         std::optional<double> momentum,
         double eps) { return F::batch_norm(x, val(rm), val(rv), val(w), val(b), training, momentum, eps); },
      py::arg("input"), py::arg("running_mean"), py::arg("running_var"), py::arg("weight") = py::none(),
      py::arg("bias") = py::none(), py::arg("training") = false, py::arg("momentum") = 0.1, py::arg("eps") = 1e-5,
      nogil);
  f.def(
      "group_norm",
      [](const Tensor& x, int64_t groups, const Opt& w, const Opt& b, double eps) {
        return F::group_norm(x, groups, val(w), val(b), eps);
      },
      py::arg("input"), py::arg("num_groups"), py::arg("weight") = py::none(), py::arg("bias") = py::none(),
      py::arg("eps") = 1e-5, nogil);
  f.def(
      "embedding",
      [](const Tensor& idx, const Tensor& w, std::optional<int64_t> padding_idx) {
        return F::embedding(idx, w, padding_idx);
      },
      py::arg("input"), py::arg("weight"), py::arg("padding_idx") = py::none(), nogil);
  f.def("one_hot", &seek::one_hot, py::arg("tensor"), py::arg("num_classes") = -1, nogil);
  f.def(
      "pad",
      [](const Tensor& x, const std::vector<int64_t>& pad, const std::string& mode, std::optional<double> v) {
        return seek::pad(x, pad, mode, Scalar(v.value_or(0.0)));
      },
      py::arg("input"), py::arg("pad"), py::arg("mode") = "constant", py::arg("value") = py::none(), nogil);
  f.def(
      "interpolate",
      [](const Tensor& x, const py::object& size, const py::object& scale_factor, const std::string& mode,
         std::optional<bool> align_corners) {
        auto s = int_list(size);
        auto sf = float_list(scale_factor);
        py::gil_scoped_release g;
        return F::interpolate(x, s, sf, mode, align_corners);
      },
      py::arg("input"), py::arg("size") = py::none(), py::arg("scale_factor") = py::none(), py::arg("mode") = "nearest",
      py::arg("align_corners") = py::none());
  f.def(
      "scaled_dot_product_attention",
      [](const Tensor& q, const Tensor& k, const Tensor& v, const Opt& mask, double dropout_p, bool is_causal,
         std::optional<double> scale) {
        return F::scaled_dot_product_attention(q, k, v, val(mask), dropout_p, is_causal, scale);
      },
      py::arg("query"), py::arg("key"), py::arg("value"), py::arg("attn_mask") = py::none(), py::arg("dropout_p") = 0.0,
      py::arg("is_causal") = false, py::arg("scale") = py::none(), nogil);
  f.def(
      "lsh_attention",
      [](const Tensor& q, const Opt& k, const Tensor& v, int64_t n_buckets, int64_t n_hashes, int64_t chunk_size,
         bool causal, bool shared_qk, std::optional<double> scale, std::optional<uint64_t> seed, const Opt& kpm) {
        LSHAttentionOptions o;
        o.n_buckets = n_buckets, o.n_hashes = n_hashes, o.chunk_size = chunk_size, o.causal = causal;
        o.shared_qk = shared_qk, o.scale = scale, o.seed = seed;
        return F::lsh_attention(q, val(k), v, o, val(kpm));
      },
      py::arg("query"), py::arg("key"), py::arg("value"), py::arg("n_buckets") = 8, py::arg("n_hashes") = 1,
      py::arg("chunk_size") = 64, py::arg("causal") = false, py::arg("shared_qk") = false,
      py::arg("scale") = py::none(), py::arg("seed") = py::none(), py::arg("key_padding_mask") = py::none(), nogil,
      "Reformer-style LSH attention over [..., L, D] inputs (key None with shared_qk); memory linear in L.");
}

void init_losses(py::module_& f) {
  f.def(
      "cross_entropy",
      [](const Tensor& x, const Tensor& t, const Opt& w, int64_t ignore_index, const std::string& reduction,
         double label_smoothing) { return F::cross_entropy(x, t, val(w), ignore_index, reduction, label_smoothing); },
      py::arg("input"), py::arg("target"), py::arg("weight") = py::none(), py::arg("ignore_index") = -100,
      py::arg("reduction") = "mean", py::arg("label_smoothing") = 0.0, nogil);
  f.def(
      "nll_loss",
      [](const Tensor& x, const Tensor& t, const Opt& w, int64_t ignore_index, const std::string& reduction) {
        return F::nll_loss(x, t, val(w), ignore_index, reduction);
      },
      py::arg("input"), py::arg("target"), py::arg("weight") = py::none(), py::arg("ignore_index") = -100,
      py::arg("reduction") = "mean", nogil);
  f.def("mse_loss", &F::mse_loss, py::arg("input"), py::arg("target"), py::arg("reduction") = "mean", nogil);
  f.def("l1_loss", &F::l1_loss, py::arg("input"), py::arg("target"), py::arg("reduction") = "mean", nogil);
  f.def("smooth_l1_loss", &F::smooth_l1_loss, py::arg("input"), py::arg("target"), py::arg("reduction") = "mean",
        py::arg("beta") = 1.0, nogil);
  f.def(
      "binary_cross_entropy",
      [](const Tensor& x, const Tensor& t, const Opt& w, const std::string& reduction) {
        return F::binary_cross_entropy(x, t, val(w), reduction);
      },
      py::arg("input"), py::arg("target"), py::arg("weight") = py::none(), py::arg("reduction") = "mean", nogil);
  f.def(
      "binary_cross_entropy_with_logits",
      [](const Tensor& x, const Tensor& t, const Opt& w, const std::string& reduction, const Opt& pw) {
        return F::binary_cross_entropy_with_logits(x, t, val(w), reduction, val(pw));
      },
      py::arg("input"), py::arg("target"), py::arg("weight") = py::none(), py::arg("reduction") = "mean",
      py::arg("pos_weight") = py::none(), nogil);
  f.def("kl_div", &F::kl_div, py::arg("input"), py::arg("target"), py::arg("reduction") = "mean",
        py::arg("log_target") = false, nogil);
}

}  // namespace

void init_nn_init(py::module_& i) {
  i.def("calculate_gain", &nn::init::calculate_gain, py::arg("nonlinearity"), py::arg("param") = py::none());
  i.def("_calculate_fan_in_and_fan_out", &nn::init::calculate_fan_in_and_fan_out, py::arg("tensor"));
  i.def(
      "uniform_", [](Tensor t, double a, double b) { return nn::init::uniform_(t, a, b); }, py::arg("tensor"),
      py::arg("a") = 0.0, py::arg("b") = 1.0, nogil);
  i.def(
      "normal_", [](Tensor t, double mean, double std) { return nn::init::normal_(t, mean, std); }, py::arg("tensor"),
      py::arg("mean") = 0.0, py::arg("std") = 1.0, nogil);
  i.def(
      "constant_", [](Tensor t, double v) { return nn::init::constant_(t, v); }, py::arg("tensor"), py::arg("val"),
      nogil);
  i.def(
      "zeros_", [](Tensor t) { return nn::init::zeros_(t); }, py::arg("tensor"), nogil);
  i.def(
      "ones_", [](Tensor t) { return nn::init::ones_(t); }, py::arg("tensor"), nogil);
  i.def(
      "trunc_normal_",
      [](Tensor t, double mean, double std, double a, double b) { return nn::init::trunc_normal_(t, mean, std, a, b); },
      py::arg("tensor"), py::arg("mean") = 0.0, py::arg("std") = 1.0, py::arg("a") = -2.0, py::arg("b") = 2.0, nogil);
  i.def(
      "xavier_uniform_", [](Tensor t, double gain) { return nn::init::xavier_uniform_(t, gain); }, py::arg("tensor"),
      py::arg("gain") = 1.0, nogil);
  i.def(
      "xavier_normal_", [](Tensor t, double gain) { return nn::init::xavier_normal_(t, gain); }, py::arg("tensor"),
      py::arg("gain") = 1.0, nogil);
  i.def(
      "kaiming_uniform_",
      [](Tensor t, double a, const std::string& mode, const std::string& nl) {
        return nn::init::kaiming_uniform_(t, a, mode, nl);
      },
      py::arg("tensor"), py::arg("a") = 0.0, py::arg("mode") = "fan_in", py::arg("nonlinearity") = "leaky_relu", nogil);
  i.def(
      "kaiming_normal_",
      [](Tensor t, double a, const std::string& mode, const std::string& nl) {
        return nn::init::kaiming_normal_(t, a, mode, nl);
      },
      py::arg("tensor"), py::arg("a") = 0.0, py::arg("mode") = "fan_in", py::arg("nonlinearity") = "leaky_relu", nogil);
}

void init_nn_functional(py::module_& f) {
  init_activations(f);
  init_layers(f);
  init_losses(f);
}

void init_nn(py::module_& m) {
  py::module_ nn_m = m.def_submodule("nn", "Modules and layers (wrapped by seek.nn)");
  init_nn_module(nn_m);
  init_nn_layers(nn_m);
  init_nn_containers(nn_m);
  py::module_ functional = nn_m.def_submodule("functional", "Stateless layer functions and losses");
  init_nn_functional(functional);
  py::module_ init = nn_m.def_submodule("init", "In-place parameter initialisers");
  init_nn_init(init);
}

}  // namespace seek::python
