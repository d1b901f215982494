// seek._C.nn.functional, issue 12's additions: conv1d/conv3d and padding strings,
// 1-D/3-D and adaptive max pooling, unfold/fold, pixel shuffles, distances, channel and
// alpha dropout, the activations of seek/ops/activation.h and the extra losses.
// (The modules are Python classes in python/seek/nn/modules_extra.py; inplace=True is
// handled by the Python wrappers in python/seek/nn/functional.py.)
#include "bind.h"
#include "nn_common.h"

#include "seek/nn/functional_extra.h"
#include "seek/nn/loss_extra.h"
#include "seek/ops/activation.h"
#include "seek/ops/conv_nd.h"
#include "seek/ops/pool_nd.h"

namespace seek::python {

namespace {

namespace F = nn::functional;
using Opt = std::optional<Tensor>;
const auto nogil = py::call_guard<py::gil_scoped_release>();

Tensor val(const Opt& t) { return t ? *t : Tensor(); }

// An int or a sequence of ints (torch's `int or tuple` size arguments) as a list.
std::vector<int64_t> ints(const py::object& o, const char* op, const char* arg) {
  if (py::isinstance<py::int_>(o)) return {o.cast<int64_t>()};
  if (py::isinstance<py::sequence>(o) && !py::isinstance<py::str>(o)) {
    std::vector<int64_t> v;
    for (const auto& e : o.cast<py::sequence>()) {
      if (!py::isinstance<py::int_>(e))
        throw py::type_error(std::string(op) + ": " + arg +
                             " must be an int or a tuple of ints, got an element of type " +
                             std::string(py::str(py::type::of(e).attr("__name__"))));
      v.push_back(e.cast<int64_t>());
    }
    return v;
  }
  throw py::type_error(std::string(op) + ": " + arg + " must be an int or a tuple of ints, got " +
                       std::string(py::str(py::type::of(o).attr("__name__"))));
}

// A padding argument: a size list, or the string "same" / "valid".
Tensor conv_any(const char* op, const Tensor& x, const Tensor& w, const Opt& b, const py::object& stride,
                const py::object& padding, const py::object& dilation, int64_t groups) {
  const auto s = ints(stride, op, "stride"), d = ints(dilation, op, "dilation");
  if (py::isinstance<py::str>(padding)) {
    const std::string p = padding.cast<std::string>();
    py::gil_scoped_release g;
    return convolution(x, w, val(b), s, p, d, groups);
  }
  const auto p = ints(padding, op, "padding");
  py::gil_scoped_release g;
  return convolution(x, w, val(b), s, p, d, groups);
}

void check_weight_dims(const Tensor& w, int64_t dims, const char* op) {
  if (w.defined() && w.dim() != dims + 2)
    throw py::value_error(std::string(op) + ": expected a " + std::to_string(dims + 2) + "-D weight, got " +
                          std::to_string(w.dim()) + "-D");
}

py::object pair_or_first(std::pair<Tensor, Tensor> r, bool return_indices) {
  if (return_indices) return py::make_tuple(r.first, r.second);
  return py::cast(r.first);
}

void init_conv_pool(py::module_& f) {
  for (auto [name, dims] : {std::pair{"conv1d", 1}, std::pair{"conv2d", 2}, std::pair{"conv3d", 3}}) {
    const char* op = name;
    const int64_t nd = dims;
    f.def(
        name,
        [op, nd](const Tensor& x, const Tensor& w, const Opt& b, const py::object& stride, const py::object& padding,
                 const py::object& dilation, int64_t groups) {
          check_weight_dims(w, nd, op);
          return conv_any(op, x, w, b, stride, padding, dilation, groups);
        },
        py::arg("input"), py::arg("weight"), py::arg("bias") = py::none(), py::arg("stride") = 1,
        py::arg("padding") = 0, py::arg("dilation") = 1, py::arg("groups") = 1);
  }
  f.def(
      "_conv_padded",
      [](const Tensor& x, const Tensor& w, const Opt& b, const py::object& stride, const py::object& padding,
         const py::object& dilation, int64_t groups, const std::string& padding_mode) {
        const auto s = ints(stride, "conv", "stride"), d = ints(dilation, "conv", "dilation");
        std::string ps;
        std::vector<int64_t> p{0};
        if (py::isinstance<py::str>(padding))
          ps = padding.cast<std::string>();
        else
          p = ints(padding, "conv", "padding");
        py::gil_scoped_release g;
        return F::conv_padded(x, w, val(b), s, p, ps, d, groups, padding_mode);
      },
      py::arg("input"), py::arg("weight"), py::arg("bias"), py::arg("stride"), py::arg("padding"), py::arg("dilation"),
      py::arg("groups"), py::arg("padding_mode"));
  f.def(
      "max_pool1d",
      [](const Tensor& x, int64_t k, std::optional<int64_t> stride, int64_t padding, int64_t dilation, bool ceil_mode,
         bool return_indices) {
        std::pair<Tensor, Tensor> r;
        {
          py::gil_scoped_release g;
          if (return_indices)
            r = max_pool1d_with_indices(x, k, stride, padding, dilation, ceil_mode);
          else
            r.first = max_pool1d(x, k, stride, padding, dilation, ceil_mode);
        }
        return pair_or_first(r, return_indices);
      },
      py::arg("input"), py::arg("kernel_size"), py::arg("stride") = py::none(), py::arg("padding") = 0,
      py::arg("dilation") = 1, py::arg("ceil_mode") = false, py::arg("return_indices") = false);
  f.def("avg_pool1d", &avg_pool1d, py::arg("input"), py::arg("kernel_size"), py::arg("stride") = py::none(),
        py::arg("padding") = 0, py::arg("ceil_mode") = false, py::arg("count_include_pad") = true, nogil);
  f.def(
      "max_pool3d",
      [](const Tensor& x, const py::object& k, const py::object& stride, const py::object& padding,
         const py::object& dilation, bool ceil_mode, bool return_indices) {
        if (return_indices) throw py::value_error("max_pool3d: return_indices=True is not supported");
        const auto kk = ints(k, "max_pool3d", "kernel_size");
        const auto s = stride.is_none() ? std::vector<int64_t>{} : ints(stride, "max_pool3d", "stride");
        const auto p = ints(padding, "max_pool3d", "padding"), d = ints(dilation, "max_pool3d", "dilation");
        py::gil_scoped_release g;
        return max_pool3d(x, kk, s, p, d, ceil_mode);
      },
      py::arg("input"), py::arg("kernel_size"), py::arg("stride") = py::none(), py::arg("padding") = 0,
      py::arg("dilation") = 1, py::arg("ceil_mode") = false, py::arg("return_indices") = false);
  f.def(
      "avg_pool3d",
      [](const Tensor& x, const py::object& k, const py::object& stride, const py::object& padding, bool ceil_mode,
         bool count_include_pad, const py::object& divisor_override) {
        if (!divisor_override.is_none()) throw py::value_error("avg_pool3d: divisor_override is not supported");
        const auto kk = ints(k, "avg_pool3d", "kernel_size");
        const auto s = stride.is_none() ? std::vector<int64_t>{} : ints(stride, "avg_pool3d", "stride");
        const auto p = ints(padding, "avg_pool3d", "padding");
        py::gil_scoped_release g;
        return avg_pool3d(x, kk, s, p, ceil_mode, count_include_pad);
      },
      py::arg("input"), py::arg("kernel_size"), py::arg("stride") = py::none(), py::arg("padding") = 0,
      py::arg("ceil_mode") = false, py::arg("count_include_pad") = true, py::arg("divisor_override") = py::none());
  f.def("adaptive_avg_pool1d", &adaptive_avg_pool1d, py::arg("input"), py::arg("output_size"), nogil);
  f.def(
      "adaptive_max_pool1d",
      [](const Tensor& x, int64_t size, bool return_indices) {
        std::pair<Tensor, Tensor> r;
        {
          py::gil_scoped_release g;
          r = adaptive_max_pool1d(x, size);
        }
        return pair_or_first(r, return_indices);
      },
      py::arg("input"), py::arg("output_size"), py::arg("return_indices") = false);
  f.def(
      "adaptive_max_pool2d",
      [](const Tensor& x, const py::object& size, bool return_indices) {
        if (!py::isinstance<py::int_>(size) && py::isinstance<py::sequence>(size))
          for (const auto& e : size.cast<py::sequence>())
            if (e.is_none()) throw py::value_error("adaptive_max_pool2d: None in output_size is not supported");
        const auto s = ints(size, "adaptive_max_pool2d", "output_size");
        std::pair<Tensor, Tensor> r;
        {
          py::gil_scoped_release g;
          r = adaptive_max_pool2d(x, s);
        }
        return pair_or_first(r, return_indices);
      },
      py::arg("input"), py::arg("output_size"), py::arg("return_indices") = false);
  f.def(
      "unfold",
      [](const Tensor& x, const py::object& k, const py::object& d, const py::object& p, const py::object& s) {
        const auto kk = ints(k, "unfold", "kernel_size"), dd = ints(d, "unfold", "dilation"),
                   pp = ints(p, "unfold", "padding"), ss = ints(s, "unfold", "stride");
        py::gil_scoped_release g;
        return F::unfold(x, kk, dd, pp, ss);
      },
      py::arg("input"), py::arg("kernel_size"), py::arg("dilation") = 1, py::arg("padding") = 0, py::arg("stride") = 1);
  f.def(
      "fold",
      [](const Tensor& x, const py::object& o, const py::object& k, const py::object& d, const py::object& p,
         const py::object& s) {
        const auto oo = ints(o, "fold", "output_size"), kk = ints(k, "fold", "kernel_size"),
                   dd = ints(d, "fold", "dilation"), pp = ints(p, "fold", "padding"), ss = ints(s, "fold", "stride");
        py::gil_scoped_release g;
        return F::fold(x, oo, kk, dd, pp, ss);
      },
      py::arg("input"), py::arg("output_size"), py::arg("kernel_size"), py::arg("dilation") = 1, py::arg("padding") = 0,
      py::arg("stride") = 1);
  f.def("pixel_shuffle", &F::pixel_shuffle, py::arg("input"), py::arg("upscale_factor"), nogil);
  f.def("pixel_unshuffle", &F::pixel_unshuffle, py::arg("input"), py::arg("downscale_factor"), nogil);
}

void init_distances_dropout(py::module_& f) {
  f.def("normalize", &F::normalize, py::arg("input"), py::arg("p") = 2.0, py::arg("dim") = 1, py::arg("eps") = 1e-12,
        nogil);
  f.def("cosine_similarity", &F::cosine_similarity, py::arg("x1"), py::arg("x2"), py::arg("dim") = 1,
        py::arg("eps") = 1e-8, nogil);
  f.def("pairwise_distance", &F::pairwise_distance, py::arg("x1"), py::arg("x2"), py::arg("p") = 2.0,
        py::arg("eps") = 1e-6, py::arg("keepdim") = false, nogil);
  for (const char* name : {"dropout1d", "dropout2d", "dropout3d", "alpha_dropout", "feature_alpha_dropout"}) {
    const std::string n = name;
    f.def(("_" + n).c_str(),
          [n](const Tensor& x, double p, bool training) {
            if (n == "dropout1d") return F::dropout1d(x, p, training);
            if (n == "dropout2d") return F::dropout2d(x, p, training);
            if (n == "dropout3d") return F::dropout3d(x, p, training);
            if (n == "alpha_dropout") return F::alpha_dropout(x, p, training);
            return F::feature_alpha_dropout(x, p, training);
          },
          py::arg("input"), py::arg("p"), py::arg("training"), nogil);
  }
}

// The activations; the inplace=True forms are the Python wrappers' (seek/nn/functional.py).
void init_activations_extra(py::module_& f) {
  f.def(
      "_elu", [](const Tensor& x, double alpha, double scale) { return seek::elu(x, alpha, scale); }, py::arg("input"),
      py::arg("alpha"), py::arg("scale"), nogil);
  f.def(
      "_selu", [](const Tensor& x) { return seek::selu(x); }, py::arg("input"), nogil);
  f.def(
      "_celu", [](const Tensor& x, double alpha) { return seek::celu(x, alpha); }, py::arg("input"), py::arg("alpha"),
      nogil);
  f.def(
      "_mish", [](const Tensor& x) { return seek::mish(x); }, py::arg("input"), nogil);
  f.def(
      "logsigmoid", [](const Tensor& x) { return seek::logsigmoid(x); }, py::arg("input"), nogil);
  f.def(
      "softsign", [](const Tensor& x) { return seek::softsign(x); }, py::arg("input"), nogil);
  f.def(
      "_hardtanh", [](const Tensor& x, double lo, double hi) { return seek::hardtanh(x, lo, hi); }, py::arg("input"),
      py::arg("min_val"), py::arg("max_val"), nogil);
  f.def(
      "_threshold", [](const Tensor& x, double th, double v) { return seek::threshold(x, th, v); }, py::arg("input"),
      py::arg("threshold"), py::arg("value"), nogil);
  f.def(
      "softshrink", [](const Tensor& x, double l) { return seek::softshrink(x, l); }, py::arg("input"),
      py::arg("lambd") = 0.5, nogil);
  f.def(
      "hardshrink", [](const Tensor& x, double l) { return seek::hardshrink(x, l); }, py::arg("input"),
      py::arg("lambd") = 0.5, nogil);
  f.def(
      "tanhshrink", [](const Tensor& x) { return seek::tanhshrink(x); }, py::arg("input"), nogil);
  f.def("prelu", &F::prelu, py::arg("input"), py::arg("weight"), nogil);
  f.def(
      "_rrelu", [](const Tensor& x, double lo, double hi, bool training) { return F::rrelu(x, lo, hi, training); },
      py::arg("input"), py::arg("lower"), py::arg("upper"), py::arg("training"), nogil);
  f.def("glu", &F::glu, py::arg("input"), py::arg("dim") = -1, nogil);
  f.def(
      "softmin",
      [](const Tensor& x, int64_t dim, std::optional<DType> dtype) {
        return F::softmin(dtype ? x.to(*dtype) : x, dim);
      },
      py::arg("input"), py::arg("dim"), py::arg("dtype") = py::none(), nogil);
}

void init_losses_extra(py::module_& f) {
  f.def("huber_loss", &F::huber_loss, py::arg("input"), py::arg("target"), py::arg("reduction") = "mean",
        py::arg("delta") = 1.0, nogil);
  f.def("margin_ranking_loss", &F::margin_ranking_loss, py::arg("input1"), py::arg("input2"), py::arg("target"),
        py::arg("margin") = 0.0, py::arg("reduction") = "mean", nogil);
  f.def("triplet_margin_loss", &F::triplet_margin_loss, py::arg("anchor"), py::arg("positive"), py::arg("negative"),
        py::arg("margin") = 1.0, py::arg("p") = 2.0, py::arg("eps") = 1e-6, py::arg("swap") = false,
        py::arg("reduction") = "mean", nogil);
  f.def("cosine_embedding_loss", &F::cosine_embedding_loss, py::arg("input1"), py::arg("input2"), py::arg("target"),
        py::arg("margin") = 0.0, py::arg("reduction") = "mean", nogil);
  f.def("poisson_nll_loss", &F::poisson_nll_loss, py::arg("input"), py::arg("target"), py::arg("log_input") = true,
        py::arg("full") = false, py::arg("eps") = 1e-8, py::arg("reduction") = "mean", nogil);
  f.def(
      "multilabel_soft_margin_loss",
      [](const Tensor& x, const Tensor& t, const Opt& w, const std::string& reduction) {
        return F::multilabel_soft_margin_loss(x, t, val(w), reduction);
      },
      py::arg("input"), py::arg("target"), py::arg("weight") = py::none(), py::arg("reduction") = "mean", nogil);
  f.def("soft_margin_loss", &F::soft_margin_loss, py::arg("input"), py::arg("target"), py::arg("reduction") = "mean",
        nogil);
  f.def("hinge_embedding_loss", &F::hinge_embedding_loss, py::arg("input"), py::arg("target"), py::arg("margin") = 1.0,
        py::arg("reduction") = "mean", nogil);
  f.def("gaussian_nll_loss", &F::gaussian_nll_loss, py::arg("input"), py::arg("target"), py::arg("var"),
        py::arg("full") = false, py::arg("eps") = 1e-6, py::arg("reduction") = "mean", nogil);
}

}  // namespace

void init_nn_extra(py::module_& m) {
  py::module_ f = m.attr("nn").attr("functional").cast<py::module_>();
  init_conv_pool(f);
  init_distances_dropout(f);
  init_activations_extra(f);
  init_losses_extra(f);
}

}  // namespace seek::python
