// seek._C.nn TransformerDecoderLayer, TransformerDecoder and Transformer (the encoder
// classes are bound in nn_layers.cpp), with torch.nn's keywords and defaults.
#include "bind.h"
#include "nn_common.h"

#include "seek/nn/transformer.h"

namespace seek::python {

namespace {

using nn::Module;
template <typename T>
using Layer = py::class_<T, Module, std::shared_ptr<T>>;

TensorOptions opts(std::optional<DType> dtype, const py::object& device) { return make_options(dtype, device, false); }
Tensor opt_tensor(const py::object& o) { return o.is_none() ? Tensor() : o.cast<Tensor>(); }

template <typename T>
Tensor decoder_forward(T& self, const Tensor& tgt, const Tensor& memory, const py::object& tgt_mask,
                       const py::object& memory_mask, const py::object& tgt_kpm, const py::object& memory_kpm,
                       bool tgt_is_causal, bool memory_is_causal) {
  Tensor tm = opt_tensor(tgt_mask), mm = opt_tensor(memory_mask), tk = opt_tensor(tgt_kpm), mk = opt_tensor(memory_kpm);
  py::gil_scoped_release nogil;
  return self.forward(tgt, memory, tm, mm, tk, mk, tgt_is_causal, memory_is_causal);
}

template <typename T>
void def_decoder_forward(Layer<T>& cls) {
  cls.def("forward", &decoder_forward<T>, py::arg("tgt"), py::arg("memory"), py::arg("tgt_mask") = py::none(),
          py::arg("memory_mask") = py::none(), py::arg("tgt_key_padding_mask") = py::none(),
          py::arg("memory_key_padding_mask") = py::none(), py::arg("tgt_is_causal") = false,
          py::arg("memory_is_causal") = false);
}

Tensor square_mask(int64_t sz, const py::object& device, std::optional<DType> dtype) {
  return nn::Transformer::generate_square_subsequent_mask(sz, make_options(dtype.value_or(kFloat32), device, false));
}

}  // namespace

void init_nn_transformer(py::module_& m) {
  py::module_ nn_m = m.attr("nn").cast<py::module_>();
  Layer<nn::TransformerDecoderLayer> layer(nn_m, "TransformerDecoderLayer", "torch.nn.TransformerDecoderLayer.");
  layer
      .def(py::init([](int64_t d_model, int64_t nhead, int64_t dim_feedforward, double dropout,
                       const std::string& activation, double eps, bool batch_first, bool norm_first, bool bias,
                       const py::object& device, std::optional<DType> dtype) {
             return std::make_shared<nn::TransformerDecoderLayer>(d_model, nhead, dim_feedforward, dropout, activation,
                                                                  eps, batch_first, norm_first, bias,
                                                                  opts(dtype, device));
           }),
           py::arg("d_model"), py::arg("nhead"), py::arg("dim_feedforward") = 2048, py::arg("dropout") = 0.1,
           py::arg("activation") = "relu", py::arg("layer_norm_eps") = 1e-5, py::arg("batch_first") = false,
           py::arg("norm_first") = false, py::arg("bias") = true, py::arg("device") = py::none(),
           py::arg("dtype") = py::none())
      .def_property_readonly("norm_first", &nn::TransformerDecoderLayer::norm_first);
  def_decoder_forward(layer);

  Layer<nn::TransformerDecoder> dec(nn_m, "TransformerDecoder", "num_layers copies of decoder_layer, then norm.");
  dec.def(py::init([](const nn::TransformerDecoderLayer& layer, int64_t num_layers, const py::object& norm) {
            return std::make_shared<nn::TransformerDecoder>(layer, num_layers,
                                                            norm.is_none() ? nullptr : module_ptr(norm));
          }),
          py::arg("decoder_layer"), py::arg("num_layers"), py::arg("norm") = py::none())
      .def_property_readonly("num_layers", &nn::TransformerDecoder::num_layers);
  def_decoder_forward(dec);

  Layer<nn::Transformer> tr(nn_m, "Transformer", "torch.nn.Transformer: an encoder-decoder model.");
  tr.def(py::init([](int64_t d_model, int64_t nhead, int64_t num_encoder_layers, int64_t num_decoder_layers,
                     int64_t dim_feedforward, double dropout, const std::string& activation,
                     const py::object& custom_encoder, const py::object& custom_decoder, double eps, bool batch_first,
                     bool norm_first, bool bias, const py::object& device, std::optional<DType> dtype) {
           auto enc =
               custom_encoder.is_none() ? nullptr : custom_encoder.cast<std::shared_ptr<nn::TransformerEncoder>>();
           auto dec =
               custom_decoder.is_none() ? nullptr : custom_decoder.cast<std::shared_ptr<nn::TransformerDecoder>>();
           return std::make_shared<nn::Transformer>(d_model, nhead, num_encoder_layers, num_decoder_layers,
                                                    dim_feedforward, dropout, activation, enc, dec, eps, batch_first,
                                                    norm_first, bias, opts(dtype, device));
         }),
         py::arg("d_model") = 512, py::arg("nhead") = 8, py::arg("num_encoder_layers") = 6,
         py::arg("num_decoder_layers") = 6, py::arg("dim_feedforward") = 2048, py::arg("dropout") = 0.1,
         py::arg("activation") = "relu", py::arg("custom_encoder") = py::none(), py::arg("custom_decoder") = py::none(),
         py::arg("layer_norm_eps") = 1e-5, py::arg("batch_first") = false, py::arg("norm_first") = false,
         py::arg("bias") = true, py::arg("device") = py::none(), py::arg("dtype") = py::none())
      .def(
          "forward",
          [](nn::Transformer& t, const Tensor& src, const Tensor& tgt, const py::object& src_mask,
             const py::object& tgt_mask, const py::object& memory_mask, const py::object& src_kpm,
             const py::object& tgt_kpm, const py::object& memory_kpm, bool src_is_causal, bool tgt_is_causal,
             bool memory_is_causal) {
            Tensor sm = opt_tensor(src_mask), tm = opt_tensor(tgt_mask), mm = opt_tensor(memory_mask);
            Tensor sk = opt_tensor(src_kpm), tk = opt_tensor(tgt_kpm), mk = opt_tensor(memory_kpm);
            py::gil_scoped_release nogil;
            return t.forward(src, tgt, sm, tm, mm, sk, tk, mk, src_is_causal, tgt_is_causal, memory_is_causal);
          },
          py::arg("src"), py::arg("tgt"), py::arg("src_mask") = py::none(), py::arg("tgt_mask") = py::none(),
          py::arg("memory_mask") = py::none(), py::arg("src_key_padding_mask") = py::none(),
          py::arg("tgt_key_padding_mask") = py::none(), py::arg("memory_key_padding_mask") = py::none(),
          py::arg("src_is_causal") = false, py::arg("tgt_is_causal") = false, py::arg("memory_is_causal") = false)
      .def_static("generate_square_subsequent_mask", &square_mask, py::arg("sz"), py::arg("device") = py::none(),
                  py::arg("dtype") = py::none(), "[sz, sz] float mask: 0 on and below the diagonal, -inf above.")
      .def_property_readonly("d_model", &nn::Transformer::d_model)
      .def_property_readonly("nhead", &nn::Transformer::nhead)
      .def_property_readonly("batch_first", &nn::Transformer::batch_first);
}

}  // namespace seek::python
