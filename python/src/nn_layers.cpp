// seek._C.nn layers: each C++ layer bound with torch.nn's constructor keywords and
// defaults, and its parameters reachable as attributes (module.weight, module.bias)
// through Module.__getattr__. forward() releases the GIL.
#include "nn_common.h"

#include "seek/nn/attention.h"
#include "seek/nn/conv.h"
#include "seek/nn/layers_basic.h"
#include "seek/nn/linear.h"
#include "seek/nn/loss.h"
#include "seek/nn/normalization.h"
#include "seek/nn/pooling.h"
#include "seek/nn/squeeze_excitation.h"
#include "seek/nn/transformer.h"
#include "seek/nn/upsample.h"

namespace seek::python {

namespace {

using nn::Module;

// The attention= keywords of MultiheadAttention / TransformerEncoderLayer as an AttentionConfig.
nn::AttentionConfig attention_config(const std::string& kind, int64_t n_buckets, int64_t n_hashes, int64_t chunk_size,
                                     bool shared_qk, std::optional<uint64_t> seed) {
  nn::AttentionConfig c;
  c.kind = kind;
  c.lsh.n_buckets = n_buckets, c.lsh.n_hashes = n_hashes, c.lsh.chunk_size = chunk_size, c.lsh.shared_qk = shared_qk;
  c.lsh.seed = seed;
  return c;
}
template <typename T>
using Layer = py::class_<T, Module, std::shared_ptr<T>>;

TensorOptions opts(std::optional<DType> dtype, const py::object& device) { return make_options(dtype, device, false); }

// forward(input) with the GIL released.
template <typename T>
Layer<T>& with_forward(Layer<T>& cls) {
  cls.def(
      "forward", [](T& m, const Tensor& x) { return m.forward(x); }, py::arg("input"),
      py::call_guard<py::gil_scoped_release>());
  return cls;
}

template <typename T>
Layer<T> layer(py::module_& m, const char* name, const char* doc) {
  Layer<T> cls(m, name, doc);
  return with_forward(cls);
}

template <typename T>
void activation(py::module_& m, const char* name) {
  layer<T>(m, name, "Elementwise activation, like its torch.nn namesake.").def(py::init<>());
}

// An activation with torch's inplace flag (the module then overwrites its input).
template <typename T>
void inplace_activation(py::module_& m, const char* name) {
  layer<T>(m, name, "Elementwise activation, like its torch.nn namesake.")
      .def(py::init<bool>(), py::arg("inplace") = false)
      .def_property_readonly("inplace", &T::inplace);
}

template <typename T>
void batch_norm(py::module_& m, const char* name, const char* doc) {
  py::class_<T, nn::BatchNormBase, std::shared_ptr<T>>(m, name, doc)
      .def(py::init([](int64_t n, double eps, std::optional<double> momentum, bool affine, bool track,
                       const py::object& device, std::optional<DType> dtype) {
             return std::make_shared<T>(n, eps, momentum, affine, track, opts(dtype, device));
           }),
           py::arg("num_features"), py::arg("eps") = 1e-5, py::arg("momentum") = 0.1, py::arg("affine") = true,
           py::arg("track_running_stats") = true, py::arg("device") = py::none(), py::arg("dtype") = py::none());
}

Tensor opt_tensor(const py::object& o) { return o.is_none() ? Tensor() : o.cast<Tensor>(); }

template <typename T>
void loss_forward(Layer<T>& cls) {
  cls.def(
      "forward", [](T& m, const Tensor& input, const Tensor& target) { return m.forward(input, target); },
      py::arg("input"), py::arg("target"), py::call_guard<py::gil_scoped_release>());
}

void init_losses(py::module_& m) {
  py::class_<nn::Loss, Module, std::shared_ptr<nn::Loss>>(m, "_Loss",
                                                          "Base of the loss modules: forward(input, target).")
      .def_property_readonly("reduction", &nn::Loss::reduction);
  auto ce = Layer<nn::CrossEntropyLoss>(m, "CrossEntropyLoss", "Cross entropy over class logits.");
  ce.def(py::init([](const py::object& weight, int64_t ignore_index, const std::string& reduction, double ls) {
           return std::make_shared<nn::CrossEntropyLoss>(opt_tensor(weight), ignore_index, reduction, ls);
         }),
         py::arg("weight") = py::none(), py::arg("ignore_index") = -100, py::arg("reduction") = "mean",
         py::arg("label_smoothing") = 0.0);
  loss_forward(ce);
  auto nll = Layer<nn::NLLLoss>(m, "NLLLoss", "Negative log likelihood of log-probabilities.");
  nll.def(py::init([](const py::object& weight, int64_t ignore_index, const std::string& reduction) {
            return std::make_shared<nn::NLLLoss>(opt_tensor(weight), ignore_index, reduction);
          }),
          py::arg("weight") = py::none(), py::arg("ignore_index") = -100, py::arg("reduction") = "mean");
  loss_forward(nll);
  auto mse = Layer<nn::MSELoss>(m, "MSELoss", "Mean squared error.");
  mse.def(py::init<std::string>(), py::arg("reduction") = "mean");
  loss_forward(mse);
  auto l1 = Layer<nn::L1Loss>(m, "L1Loss", "Mean absolute error.");
  l1.def(py::init<std::string>(), py::arg("reduction") = "mean");
  loss_forward(l1);
  auto sl1 = Layer<nn::SmoothL1Loss>(m, "SmoothL1Loss", "Huber-like loss with threshold beta.");
  sl1.def(py::init<std::string, double>(), py::arg("reduction") = "mean", py::arg("beta") = 1.0);
  loss_forward(sl1);
  auto bce = Layer<nn::BCELoss>(m, "BCELoss", "Binary cross entropy of probabilities.");
  bce.def(py::init([](const py::object& weight, const std::string& reduction) {
            return std::make_shared<nn::BCELoss>(opt_tensor(weight), reduction);
          }),
          py::arg("weight") = py::none(), py::arg("reduction") = "mean");
  loss_forward(bce);
  auto bcel = Layer<nn::BCEWithLogitsLoss>(m, "BCEWithLogitsLoss", "Sigmoid + binary cross entropy, stable.");
  bcel.def(py::init([](const py::object& weight, const std::string& reduction, const py::object& pos_weight) {
             return std::make_shared<nn::BCEWithLogitsLoss>(opt_tensor(weight), reduction, opt_tensor(pos_weight));
           }),
           py::arg("weight") = py::none(), py::arg("reduction") = "mean", py::arg("pos_weight") = py::none());
  loss_forward(bcel);
  auto kl = Layer<nn::KLDivLoss>(m, "KLDivLoss", "Kullback-Leibler divergence.");
  kl.def(py::init<std::string, bool>(), py::arg("reduction") = "mean", py::arg("log_target") = false);
  loss_forward(kl);
}

void init_attention(py::module_& m) {
  Layer<nn::MultiheadAttention>(m, "MultiheadAttention",
                                "torch.nn.MultiheadAttention (no add_bias_kv / add_zero_attn).")
      .def(py::init([](int64_t embed_dim, int64_t num_heads, double dropout, bool bias, std::optional<int64_t> kdim,
                       std::optional<int64_t> vdim, bool batch_first, const py::object& device,
                       std::optional<DType> dtype, const std::string& attention, int64_t n_buckets, int64_t n_hashes,
                       int64_t chunk_size, bool shared_qk, std::optional<uint64_t> lsh_seed) {
             return std::make_shared<nn::MultiheadAttention>(
                 embed_dim, num_heads, dropout, bias, kdim, vdim, batch_first, opts(dtype, device),
                 attention_config(attention, n_buckets, n_hashes, chunk_size, shared_qk, lsh_seed));
           }),
           py::arg("embed_dim"), py::arg("num_heads"), py::arg("dropout") = 0.0, py::arg("bias") = true,
           py::arg("kdim") = py::none(), py::arg("vdim") = py::none(), py::arg("batch_first") = false,
           py::arg("device") = py::none(), py::arg("dtype") = py::none(), py::arg("attention") = "full",
           py::arg("n_buckets") = 8, py::arg("n_hashes") = 1, py::arg("chunk_size") = 64, py::arg("shared_qk") = false,
           py::arg("lsh_seed") = py::none())
      .def_property_readonly("attention", [](const nn::MultiheadAttention& a) { return a.attention().kind; })
      .def(
          "forward",
          [](nn::MultiheadAttention& a, const Tensor& q, const Tensor& k, const Tensor& v,
             const py::object& key_padding_mask, bool need_weights, const py::object& attn_mask,
             bool average_attn_weights, bool is_causal) -> py::tuple {
            Tensor kpm = opt_tensor(key_padding_mask), am = opt_tensor(attn_mask);
            std::tuple<Tensor, Tensor> r;
            {
              py::gil_scoped_release nogil;
              r = a.forward(q, k, v, kpm, need_weights, am, average_attn_weights, is_causal);
            }
            auto& [out, w] = r;
            return py::make_tuple(out, w.defined() ? py::cast(w) : py::none());
          },
          py::arg("query"), py::arg("key"), py::arg("value"), py::arg("key_padding_mask") = py::none(),
          py::arg("need_weights") = true, py::arg("attn_mask") = py::none(), py::arg("average_attn_weights") = true,
          py::arg("is_causal") = false, "Returns (attn_output, attn_weights or None).");

  Layer<nn::LSHAttention>(m, "LSHAttention",
                          "Reformer-style LSH attention without parameters; forward(query, key, value, "
                          "key_padding_mask) over [..., L, D] inputs (key None with shared_qk).")
      .def(py::init([](int64_t n_buckets, int64_t n_hashes, int64_t chunk_size, bool causal, bool shared_qk,
                       std::optional<double> scale, std::optional<uint64_t> seed) {
             LSHAttentionOptions o;
             o.n_buckets = n_buckets, o.n_hashes = n_hashes, o.chunk_size = chunk_size, o.causal = causal;
             o.shared_qk = shared_qk, o.scale = scale, o.seed = seed;
             return std::make_shared<nn::LSHAttention>(o);
           }),
           py::arg("n_buckets") = 8, py::arg("n_hashes") = 1, py::arg("chunk_size") = 64, py::arg("causal") = false,
           py::arg("shared_qk") = false, py::arg("scale") = py::none(), py::arg("seed") = py::none())
      .def(
          "forward",
          [](nn::LSHAttention& a, const Tensor& q, const py::object& k, const py::object& v,
             const py::object& key_padding_mask) {
            Tensor kt = opt_tensor(k), vt = v.is_none() ? q : py::cast<Tensor>(v), pm = opt_tensor(key_padding_mask);
            py::gil_scoped_release nogil;
            return a.forward(q, kt, vt, pm);
          },
          py::arg("query"), py::arg("key") = py::none(), py::arg("value") = py::none(),
          py::arg("key_padding_mask") = py::none(), "value None: the query (shared-QK self-attention of x).");

  auto enc_forward = [](auto& self, const Tensor& src, const py::object& mask, const py::object& kpm, bool causal) {
    Tensor mk = opt_tensor(mask), pm = opt_tensor(kpm);
    py::gil_scoped_release nogil;
    return self.forward(src, mk, pm, causal);
  };
  Layer<nn::TransformerEncoderLayer>(m, "TransformerEncoderLayer", "torch.nn.TransformerEncoderLayer.")
      .def(py::init([](int64_t d_model, int64_t nhead, int64_t dim_feedforward, double dropout,
                       const std::string& activation, double eps, bool batch_first, bool norm_first, bool bias,
                       const py::object& device, std::optional<DType> dtype, const std::string& attention,
                       int64_t n_buckets, int64_t n_hashes, int64_t chunk_size, bool shared_qk,
                       std::optional<uint64_t> lsh_seed) {
             return std::make_shared<nn::TransformerEncoderLayer>(
                 d_model, nhead, dim_feedforward, dropout, activation, eps, batch_first, norm_first, bias,
                 opts(dtype, device),
                 attention_config(attention, n_buckets, n_hashes, chunk_size, shared_qk, lsh_seed));
           }),
           py::arg("d_model"), py::arg("nhead"), py::arg("dim_feedforward") = 2048, py::arg("dropout") = 0.1,
           py::arg("activation") = "relu", py::arg("layer_norm_eps") = 1e-5, py::arg("batch_first") = false,
           py::arg("norm_first") = false, py::arg("bias") = true, py::arg("device") = py::none(),
           py::arg("dtype") = py::none(), py::arg("attention") = "full", py::arg("n_buckets") = 8,
           py::arg("n_hashes") = 1, py::arg("chunk_size") = 64, py::arg("shared_qk") = false,
           py::arg("lsh_seed") = py::none())
      .def(
          "forward",
          [enc_forward](nn::TransformerEncoderLayer& l, const Tensor& src, const py::object& src_mask,
                        const py::object& kpm,
                        bool is_causal) { return enc_forward(l, src, src_mask, kpm, is_causal); },
          py::arg("src"), py::arg("src_mask") = py::none(), py::arg("src_key_padding_mask") = py::none(),
          py::arg("is_causal") = false);
  Layer<nn::TransformerEncoder>(m, "TransformerEncoder", "num_layers copies of encoder_layer, then an optional norm.")
      .def(py::init([](const nn::TransformerEncoderLayer& layer, int64_t num_layers, const py::object& norm) {
             return std::make_shared<nn::TransformerEncoder>(layer, num_layers,
                                                             norm.is_none() ? nullptr : module_ptr(norm));
           }),
           py::arg("encoder_layer"), py::arg("num_layers"), py::arg("norm") = py::none())
      .def(
          "forward",
          [enc_forward](nn::TransformerEncoder& e, const Tensor& src, const py::object& mask, const py::object& kpm,
                        bool is_causal) { return enc_forward(e, src, mask, kpm, is_causal); },
          py::arg("src"), py::arg("mask") = py::none(), py::arg("src_key_padding_mask") = py::none(),
          py::arg("is_causal") = false);

  layer<nn::SqueezeExcitation>(m, "SqueezeExcitation", "torchvision.ops.SqueezeExcitation (ReLU, Sigmoid).")
      .def(py::init([](int64_t input_channels, int64_t squeeze_channels) {
             return std::make_shared<nn::SqueezeExcitation>(input_channels, squeeze_channels);
           }),
           py::arg("input_channels"), py::arg("squeeze_channels"));
}

}  // namespace

void init_nn_layers(py::module_& m) {
  layer<nn::Linear>(m, "Linear", "y = x @ weight.T + bias, like torch.nn.Linear.")
      .def(py::init([](int64_t in, int64_t out, bool bias, const py::object& device, std::optional<DType> dtype) {
             return std::make_shared<nn::Linear>(in, out, bias, opts(dtype, device));
           }),
           py::arg("in_features"), py::arg("out_features"), py::arg("bias") = true, py::arg("device") = py::none(),
           py::arg("dtype") = py::none())
      .def_property_readonly("in_features", &nn::Linear::in_features)
      .def_property_readonly("out_features", &nn::Linear::out_features)
      .def("reset_parameters", &nn::Linear::reset_parameters);

  layer<nn::Conv2d>(m, "Conv2d", "2-D convolution, like torch.nn.Conv2d.")
      .def(py::init([](int64_t in, int64_t out, Int2 k, Int2 stride, const py::object& padding, Int2 dilation,
                       int64_t groups, bool bias, const std::string& padding_mode, const py::object& device,
                       std::optional<DType> dtype) {
             // padding: an int, a pair, or "same" / "valid"
             if (py::isinstance<py::str>(padding))
               return std::make_shared<nn::Conv2d>(in, out, k, stride, 0, dilation, groups, bias, opts(dtype, device),
                                                   padding_mode, padding.cast<std::string>());
             return std::make_shared<nn::Conv2d>(in, out, k, stride, padding.cast<Int2>(), dilation, groups, bias,
                                                 opts(dtype, device), padding_mode);
           }),
           py::arg("in_channels"), py::arg("out_channels"), py::arg("kernel_size"), py::arg("stride") = 1,
           py::arg("padding") = 0, py::arg("dilation") = 1, py::arg("groups") = 1, py::arg("bias") = true,
           py::arg("padding_mode") = "zeros", py::arg("device") = py::none(), py::arg("dtype") = py::none())
      .def("reset_parameters", &nn::Conv2d::reset_parameters);

  layer<nn::ConvTranspose2d>(m, "ConvTranspose2d", "Transposed 2-D convolution, like torch.nn.ConvTranspose2d.")
      .def(py::init([](int64_t in, int64_t out, Int2 k, Int2 stride, Int2 padding, Int2 output_padding, int64_t groups,
                       bool bias, Int2 dilation, const py::object& device, std::optional<DType> dtype) {
             return std::make_shared<nn::ConvTranspose2d>(in, out, k, stride, padding, output_padding, groups, bias,
                                                          dilation, opts(dtype, device));
           }),
           py::arg("in_channels"), py::arg("out_channels"), py::arg("kernel_size"), py::arg("stride") = 1,
           py::arg("padding") = 0, py::arg("output_padding") = 0, py::arg("groups") = 1, py::arg("bias") = true,
           py::arg("dilation") = 1, py::arg("device") = py::none(), py::arg("dtype") = py::none())
      .def("reset_parameters", &nn::ConvTranspose2d::reset_parameters);

  py::class_<nn::BatchNormBase, Module, std::shared_ptr<nn::BatchNormBase>>(m, "_BatchNorm")
      .def(
          "forward", [](nn::BatchNormBase& b, const Tensor& x) { return b.forward(x); }, py::arg("input"),
          py::call_guard<py::gil_scoped_release>())
      .def_property_readonly("num_features", &nn::BatchNormBase::num_features)
      .def("reset_running_stats", &nn::BatchNormBase::reset_running_stats)
      .def("reset_parameters", &nn::BatchNormBase::reset_parameters);
  batch_norm<nn::BatchNorm1d>(m, "BatchNorm1d",
                              "Batch normalisation of [N, C] or [N, C, L], like torch.nn.BatchNorm1d.");
  batch_norm<nn::BatchNorm2d>(m, "BatchNorm2d", "Batch normalisation of [N, C, H, W], like torch.nn.BatchNorm2d.");

  layer<nn::LayerNorm>(m, "LayerNorm", "Normalises over the trailing normalized_shape dims, like torch.nn.LayerNorm.")
      .def(py::init([](const py::object& shape, double eps, bool affine, bool bias, const py::object& device,
                       std::optional<DType> dtype) {
             return std::make_shared<nn::LayerNorm>(Shape(*int_list(shape)), eps, affine, bias, opts(dtype, device));
           }),
           py::arg("normalized_shape"), py::arg("eps") = 1e-5, py::arg("elementwise_affine") = true,
           py::arg("bias") = true, py::arg("device") = py::none(), py::arg("dtype") = py::none());
  layer<nn::GroupNorm>(m, "GroupNorm", "Group normalisation, like torch.nn.GroupNorm.")
      .def(py::init([](int64_t groups, int64_t channels, double eps, bool affine, const py::object& device,
                       std::optional<DType> dtype) {
             return std::make_shared<nn::GroupNorm>(groups, channels, eps, affine, opts(dtype, device));
           }),
           py::arg("num_groups"), py::arg("num_channels"), py::arg("eps") = 1e-5, py::arg("affine") = true,
           py::arg("device") = py::none(), py::arg("dtype") = py::none());

  layer<nn::Dropout>(m, "Dropout", "Inverted dropout in training mode, identity in eval mode.")
      .def(py::init([](double p, bool inplace) { return std::make_shared<nn::Dropout>(p, inplace); }),
           py::arg("p") = 0.5, py::arg("inplace") = false)
      .def_property_readonly("p", &nn::Dropout::p)
      .def_property_readonly("inplace", &nn::Dropout::inplace);
  layer<nn::Embedding>(m, "Embedding", "A lookup table of embedding vectors, like torch.nn.Embedding.")
      .def(py::init([](int64_t num, int64_t dim, std::optional<int64_t> padding_idx, const py::object& device,
                       std::optional<DType> dtype) {
             return std::make_shared<nn::Embedding>(num, dim, padding_idx, opts(dtype, device));
           }),
           py::arg("num_embeddings"), py::arg("embedding_dim"), py::arg("padding_idx") = py::none(),
           py::arg("device") = py::none(), py::arg("dtype") = py::none())
      .def_property_readonly("padding_idx", &nn::Embedding::padding_idx)
      .def("reset_parameters", &nn::Embedding::reset_parameters);

  layer<nn::MaxPool2d>(m, "MaxPool2d", "2-D max pooling; stride defaults to kernel_size.")
      .def(py::init([](Int2 k, std::optional<Int2> stride, Int2 padding, Int2 dilation, bool return_indices,
                       bool ceil_mode) {
             if (return_indices)
               throw py::value_error(
                   "MaxPool2d: return_indices=True is not supported (use seek.nn.functional.max_pool2d_with_indices)");
             return std::make_shared<nn::MaxPool2d>(k, stride.value_or(Int2()), padding, dilation, ceil_mode);
           }),
           py::arg("kernel_size"), py::arg("stride") = py::none(), py::arg("padding") = 0, py::arg("dilation") = 1,
           py::arg("return_indices") = false, py::arg("ceil_mode") = false);
  layer<nn::AvgPool2d>(m, "AvgPool2d", "2-D average pooling; stride defaults to kernel_size.")
      .def(py::init([](Int2 k, std::optional<Int2> stride, Int2 padding, bool ceil_mode, bool count_include_pad) {
             return std::make_shared<nn::AvgPool2d>(k, stride.value_or(Int2()), padding, ceil_mode, count_include_pad);
           }),
           py::arg("kernel_size"), py::arg("stride") = py::none(), py::arg("padding") = 0, py::arg("ceil_mode") = false,
           py::arg("count_include_pad") = true);
  layer<nn::AdaptiveAvgPool2d>(m, "AdaptiveAvgPool2d", "Average pooling to a fixed output size.")
      .def(py::init<Int2>(), py::arg("output_size"));
  layer<nn::Upsample>(m, "Upsample", "Nearest or bilinear upsampling, like torch.nn.Upsample.")
      .def(py::init([](const py::object& size, const py::object& scale_factor, const std::string& mode,
                       std::optional<bool> align_corners) {
             return std::make_shared<nn::Upsample>(int_list(size), float_list(scale_factor), mode, align_corners);
           }),
           py::arg("size") = py::none(), py::arg("scale_factor") = py::none(), py::arg("mode") = "nearest",
           py::arg("align_corners") = py::none());
  layer<nn::Flatten>(m, "Flatten", "Flattens dims start_dim..end_dim.")
      .def(py::init<int64_t, int64_t>(), py::arg("start_dim") = 1, py::arg("end_dim") = -1);
  layer<nn::Identity>(m, "Identity", "Returns its input.").def(py::init([](const py::args&, const py::kwargs&) {
    return std::make_shared<nn::Identity>();
  }));

  inplace_activation<nn::ReLU>(m, "ReLU");
  inplace_activation<nn::ReLU6>(m, "ReLU6");
  inplace_activation<nn::SiLU>(m, "SiLU");
  inplace_activation<nn::Hardswish>(m, "Hardswish");
  inplace_activation<nn::Hardsigmoid>(m, "Hardsigmoid");
  activation<nn::Sigmoid>(m, "Sigmoid");
  activation<nn::Tanh>(m, "Tanh");
  layer<nn::LeakyReLU>(m, "LeakyReLU", "max(x, 0) + negative_slope * min(x, 0).")
      .def(py::init([](double slope, bool inplace) { return std::make_shared<nn::LeakyReLU>(slope, inplace); }),
           py::arg("negative_slope") = 0.01, py::arg("inplace") = false);
  layer<nn::GELU>(m, "GELU", "Gaussian error linear unit; approximate 'none' or 'tanh'.")
      .def(py::init<std::string>(), py::arg("approximate") = "none");
  layer<nn::Softmax>(m, "Softmax", "Softmax along dim.").def(py::init<int64_t>(), py::arg("dim"));

  init_losses(m);
  init_attention(m);
}

}  // namespace seek::python
