// seek._C.nn recurrent layers (RNN, LSTM, GRU, the cells) and the packing functions
// behind seek.nn.utils.rnn. A PackedSequence is the Python namedtuple of
// seek.nn.utils.rnn; the layers take one and return one, as torch's do.
#include "bind.h"
#include "nn_common.h"

#include "seek/nn/packed_sequence.h"
#include "seek/nn/rnn.h"

namespace seek::python {

namespace {

using nn::Module;
template <typename T>
using Layer = py::class_<T, Module, std::shared_ptr<T>>;
template <typename T>
using Recurrent = py::class_<T, nn::RNNBase, std::shared_ptr<T>>;
template <typename T>
using Cell = py::class_<T, nn::RNNCellBase, std::shared_ptr<T>>;

TensorOptions opts(std::optional<DType> dtype, const py::object& device) { return make_options(dtype, device, false); }
Tensor opt_tensor(const py::object& o) { return o.is_none() ? Tensor() : o.cast<Tensor>(); }
py::object none_or(const Tensor& t) { return t.defined() ? py::cast(t) : py::none(); }

bool is_packed(const py::handle& o) {
  return py::hasattr(o, "batch_sizes") && py::hasattr(o, "data") && py::hasattr(o, "sorted_indices") &&
         !py::isinstance<Tensor>(o);
}

nn::PackedSequence packed_from_py(const py::handle& o) {
  nn::PackedSequence p;
  p.data = o.attr("data").cast<Tensor>();
  p.batch_sizes = o.attr("batch_sizes").cast<Tensor>();
  p.sorted_indices = opt_tensor(o.attr("sorted_indices"));
  p.unsorted_indices = opt_tensor(o.attr("unsorted_indices"));
  return p;
}

py::object packed_to_py(const nn::PackedSequence& p) {
  py::object cls = py::module_::import("seek.nn.utils.rnn").attr("PackedSequence");
  return cls(p.data, p.batch_sizes, none_or(p.sorted_indices), none_or(p.unsorted_indices));
}

// An LSTM's hx: None or a pair (h_0, c_0) of tensors.
std::optional<nn::LSTM::State> lstm_state(const py::object& hx, const char* who) {
  if (hx.is_none()) return std::nullopt;
  if (!py::isinstance<py::tuple>(hx) && !py::isinstance<py::list>(hx))
    throw py::type_error(std::string(who) + ": hx must be a tuple (h_0, c_0) of tensors or None, got " +
                         std::string(py::str(py::type::handle_of(hx).attr("__name__"))));
  auto seq = hx.cast<py::sequence>();
  if (seq.size() != 2 || !py::isinstance<Tensor>(seq[0]) || !py::isinstance<Tensor>(seq[1]))
    throw py::type_error(std::string(who) + ": hx must be a tuple of two tensors (h_0, c_0)");
  return nn::LSTM::State{seq[0].cast<Tensor>(), seq[1].cast<Tensor>()};
}

Tensor hidden_state(const py::object& hx, const char* who) {
  if (hx.is_none()) return Tensor();
  if (!py::isinstance<Tensor>(hx))
    throw py::type_error(std::string(who) + ": hx must be a tensor or None, got " +
                         std::string(py::str(py::type::handle_of(hx).attr("__name__"))));
  return hx.cast<Tensor>();
}

void check_input(const py::object& input, const char* who) {
  if (!py::isinstance<Tensor>(input) && !is_packed(input))
    throw py::type_error(std::string(who) + ": input must be a tensor or a PackedSequence, got " +
                         std::string(py::str(py::type::handle_of(input).attr("__name__"))));
}

// forward(input, hx=None) of RNN and GRU (a single hidden state).
template <typename T>
py::tuple single_state_forward(T& m, const py::object& input, const py::object& hx, const char* who) {
  check_input(input, who);
  Tensor h0 = hidden_state(hx, who);
  if (is_packed(input)) {
    nn::PackedSequence p = packed_from_py(input);
    std::tuple<nn::PackedSequence, Tensor> r;
    {
      py::gil_scoped_release nogil;
      r = m.forward(p, h0);
    }
    return py::make_tuple(packed_to_py(std::get<0>(r)), std::get<1>(r));
  }
  Tensor x = input.cast<Tensor>();
  std::tuple<Tensor, Tensor> r;
  {
    py::gil_scoped_release nogil;
    r = m.forward(x, h0);
  }
  return py::make_tuple(std::get<0>(r), std::get<1>(r));
}

template <typename T>
void common_properties(Layer<T>&& cls) {
  cls.def_property_readonly("input_size", &T::input_size)
      .def_property_readonly("hidden_size", &T::hidden_size)
      .def_property_readonly("num_layers", &T::num_layers)
      .def_property_readonly("bias", &T::has_bias)
      .def_property_readonly("batch_first", &T::batch_first)
      .def_property_readonly("dropout", [](const T& m) { return m.dropout(); })
      .def_property_readonly("bidirectional", &T::bidirectional)
      .def_property_readonly("proj_size", &T::proj_size)
      .def_property_readonly("mode", &T::mode)
      .def_property_readonly("_flat_weights_names",
                             [](const T& m) {
                               std::vector<std::string> out;
                               for (auto& names : m.all_weights_names())
                                 out.insert(out.end(), names.begin(), names.end());
                               return out;
                             })
      .def_property_readonly("all_weights",
                             [](T& m) {
                               std::vector<std::vector<Tensor>> out;
                               for (auto& names : m.all_weights_names()) {
                                 out.emplace_back();
                                 for (auto& n : names) out.back().push_back(m.param(n));
                               }
                               return out;
                             })
      .def("reset_parameters", &T::reset_parameters)
      .def(
          "flatten_parameters", [](T&) {},
          "Nothing to do: seek keeps each weight as its own tensor (torch needs this for cuDNN only).");
}

void init_layers(py::module_& m) {
  common_properties(Layer<nn::RNNBase>(m, "RNNBase", "Base of RNN, LSTM and GRU."));
  Recurrent<nn::RNN> rnn(m, "RNN", "Elman RNN with tanh or ReLU, like torch.nn.RNN.");
  rnn.def(py::init([](int64_t input_size, int64_t hidden_size, int64_t num_layers, const std::string& nonlinearity,
                      bool bias, bool batch_first, double dropout, bool bidirectional, const py::object& device,
                      std::optional<DType> dtype) {
            return std::make_shared<nn::RNN>(input_size, hidden_size, num_layers, nonlinearity, bias, batch_first,
                                             dropout, bidirectional, opts(dtype, device));
          }),
          py::arg("input_size"), py::arg("hidden_size"), py::arg("num_layers") = 1, py::arg("nonlinearity") = "tanh",
          py::arg("bias") = true, py::arg("batch_first") = false, py::arg("dropout") = 0.0,
          py::arg("bidirectional") = false, py::arg("device") = py::none(), py::arg("dtype") = py::none())
      .def(
          "forward",
          [](nn::RNN& r, const py::object& input, const py::object& hx) {
            return single_state_forward(r, input, hx, "RNN.forward");
          },
          py::arg("input"), py::arg("hx") = py::none(), "Returns (output, h_n).")
      .def_property_readonly("nonlinearity", [](const nn::RNN& r) { return r.mode() == "RNN_RELU" ? "relu" : "tanh"; });

  Recurrent<nn::LSTM> lstm(m, "LSTM", "LSTM (gates i, f, g, o; optional proj_size), like torch.nn.LSTM.");
  lstm.def(py::init([](int64_t input_size, int64_t hidden_size, int64_t num_layers, bool bias, bool batch_first,
                       double dropout, bool bidirectional, int64_t proj_size, const py::object& device,
                       std::optional<DType> dtype) {
             return std::make_shared<nn::LSTM>(input_size, hidden_size, num_layers, bias, batch_first, dropout,
                                               bidirectional, proj_size, opts(dtype, device));
           }),
           py::arg("input_size"), py::arg("hidden_size"), py::arg("num_layers") = 1, py::arg("bias") = true,
           py::arg("batch_first") = false, py::arg("dropout") = 0.0, py::arg("bidirectional") = false,
           py::arg("proj_size") = 0, py::arg("device") = py::none(), py::arg("dtype") = py::none())
      .def(
          "forward",
          [](nn::LSTM& l, const py::object& input, const py::object& hx) -> py::tuple {
            check_input(input, "LSTM.forward");
            auto state = lstm_state(hx, "LSTM.forward");
            if (is_packed(input)) {
              nn::PackedSequence p = packed_from_py(input);
              std::tuple<nn::PackedSequence, nn::LSTM::State> r;
              {
                py::gil_scoped_release nogil;
                r = l.forward(p, state);
              }
              auto& [h, c] = std::get<1>(r);
              return py::make_tuple(packed_to_py(std::get<0>(r)), py::make_tuple(h, c));
            }
            Tensor x = input.cast<Tensor>();
            std::tuple<Tensor, nn::LSTM::State> r;
            {
              py::gil_scoped_release nogil;
              r = l.forward(x, state);
            }
            auto& [h, c] = std::get<1>(r);
            return py::make_tuple(std::get<0>(r), py::make_tuple(h, c));
          },
          py::arg("input"), py::arg("hx") = py::none(), "Returns (output, (h_n, c_n)).");

  Recurrent<nn::GRU> gru(m, "GRU", "GRU (gates r, z, n), like torch.nn.GRU.");
  gru.def(py::init([](int64_t input_size, int64_t hidden_size, int64_t num_layers, bool bias, bool batch_first,
                      double dropout, bool bidirectional, const py::object& device, std::optional<DType> dtype) {
            return std::make_shared<nn::GRU>(input_size, hidden_size, num_layers, bias, batch_first, dropout,
                                             bidirectional, opts(dtype, device));
          }),
          py::arg("input_size"), py::arg("hidden_size"), py::arg("num_layers") = 1, py::arg("bias") = true,
          py::arg("batch_first") = false, py::arg("dropout") = 0.0, py::arg("bidirectional") = false,
          py::arg("device") = py::none(), py::arg("dtype") = py::none())
      .def(
          "forward",
          [](nn::GRU& g, const py::object& input, const py::object& hx) {
            return single_state_forward(g, input, hx, "GRU.forward");
          },
          py::arg("input"), py::arg("hx") = py::none(), "Returns (output, h_n).");
}

template <typename T>
void cell_properties(Layer<T>&& cls) {
  cls.def_property_readonly("input_size", &T::input_size)
      .def_property_readonly("hidden_size", &T::hidden_size)
      .def_property_readonly("bias", &T::has_bias)
      .def("reset_parameters", &T::reset_parameters);
}

void init_cells(py::module_& m) {
  cell_properties(Layer<nn::RNNCellBase>(m, "RNNCellBase", "Base of the RNN cells."));
  Cell<nn::RNNCell> rnn(m, "RNNCell", "One step of an Elman RNN, like torch.nn.RNNCell.");
  rnn.def(py::init([](int64_t input_size, int64_t hidden_size, bool bias, const std::string& nonlinearity,
                      const py::object& device, std::optional<DType> dtype) {
            return std::make_shared<nn::RNNCell>(input_size, hidden_size, bias, nonlinearity, opts(dtype, device));
          }),
          py::arg("input_size"), py::arg("hidden_size"), py::arg("bias") = true, py::arg("nonlinearity") = "tanh",
          py::arg("device") = py::none(), py::arg("dtype") = py::none())
      .def(
          "forward",
          [](nn::RNNCell& c, const Tensor& input, const py::object& hx) {
            Tensor h = hidden_state(hx, "RNNCell.forward");
            py::gil_scoped_release nogil;
            return c.forward(input, h);
          },
          py::arg("input"), py::arg("hx") = py::none())
      .def_property_readonly("nonlinearity", &nn::RNNCell::nonlinearity);

  Cell<nn::LSTMCell> lstm(m, "LSTMCell", "One LSTM step, like torch.nn.LSTMCell; returns (h_1, c_1).");
  lstm.def(py::init([](int64_t input_size, int64_t hidden_size, bool bias, const py::object& device,
                       std::optional<DType> dtype) {
             return std::make_shared<nn::LSTMCell>(input_size, hidden_size, bias, opts(dtype, device));
           }),
           py::arg("input_size"), py::arg("hidden_size"), py::arg("bias") = true, py::arg("device") = py::none(),
           py::arg("dtype") = py::none())
      .def(
          "forward",
          [](nn::LSTMCell& c, const Tensor& input, const py::object& hx) {
            auto state = lstm_state(hx, "LSTMCell.forward");
            py::gil_scoped_release nogil;
            return c.forward(input, state);
          },
          py::arg("input"), py::arg("hx") = py::none());

  Cell<nn::GRUCell> gru(m, "GRUCell", "One GRU step, like torch.nn.GRUCell.");
  gru.def(py::init([](int64_t input_size, int64_t hidden_size, bool bias, const py::object& device,
                      std::optional<DType> dtype) {
            return std::make_shared<nn::GRUCell>(input_size, hidden_size, bias, opts(dtype, device));
          }),
          py::arg("input_size"), py::arg("hidden_size"), py::arg("bias") = true, py::arg("device") = py::none(),
          py::arg("dtype") = py::none())
      .def(
          "forward",
          [](nn::GRUCell& c, const Tensor& input, const py::object& hx) {
            Tensor h = hidden_state(hx, "GRUCell.forward");
            py::gil_scoped_release nogil;
            return c.forward(input, h);
          },
          py::arg("input"), py::arg("hx") = py::none());
}

py::tuple packed_tuple(const nn::PackedSequence& p) {
  return py::make_tuple(p.data, p.batch_sizes, none_or(p.sorted_indices), none_or(p.unsorted_indices));
}

void init_packing(py::module_& u) {
  namespace R = nn::utils::rnn;
  u.def(
      "pack_padded_sequence",
      [](const Tensor& input, const py::object& lengths, bool batch_first, bool enforce_sorted) {
        nn::PackedSequence p;
        if (py::isinstance<Tensor>(lengths)) {
          p = R::pack_padded_sequence(input, lengths.cast<Tensor>(), batch_first, enforce_sorted);
        } else {
          std::vector<int64_t> lens;
          try {
            lens = lengths.cast<std::vector<int64_t>>();
          } catch (const py::cast_error&) {
            throw py::type_error("pack_padded_sequence: lengths must be a 1-D int64 tensor or a list of ints, got " +
                                 std::string(py::str(py::type::handle_of(lengths).attr("__name__"))));
          }
          p = R::pack_padded_sequence(input, lens, batch_first, enforce_sorted);
        }
        return packed_tuple(p);
      },
      py::arg("input"), py::arg("lengths"), py::arg("batch_first") = false, py::arg("enforce_sorted") = true,
      "Returns (data, batch_sizes, sorted_indices, unsorted_indices).");
  u.def(
      "pad_packed_sequence",
      [](const py::object& sequence, bool batch_first, double padding_value, std::optional<int64_t> total_length) {
        if (!is_packed(sequence))
          throw py::type_error("pad_packed_sequence: sequence must be a PackedSequence, got " +
                               std::string(py::str(py::type::handle_of(sequence).attr("__name__"))));
        nn::PackedSequence p = packed_from_py(sequence);
        py::gil_scoped_release nogil;
        return R::pad_packed_sequence(p, batch_first, padding_value, total_length);
      },
      py::arg("sequence"), py::arg("batch_first") = false, py::arg("padding_value") = 0.0,
      py::arg("total_length") = py::none());
  u.def("pad_sequence", &R::pad_sequence, py::arg("sequences"), py::arg("batch_first") = false,
        py::arg("padding_value") = 0.0, py::call_guard<py::gil_scoped_release>());
}

}  // namespace

void init_nn_rnn(py::module_& m) {
  py::module_ nn_m = m.attr("nn").cast<py::module_>();
  init_layers(nn_m);
  init_cells(nn_m);
  py::module_ u = nn_m.def_submodule("_rnn_utils", "Packing functions behind seek.nn.utils.rnn");
  init_packing(u);
}

}  // namespace seek::python
