#pragma once
// Recurrent layers like torch.nn's: RNN (tanh / relu), LSTM (with proj_size) and GRU, and
// the cells RNNCell, LSTMCell, GRUCell. Same constructor arguments and defaults, parameter
// names (weight_ih_l0, weight_hh_l0, bias_ih_l0, bias_hh_l0, weight_hr_l0, *_reverse),
// gate layouts (LSTM i, f, g, o; GRU r, z, n) and init (U(-1/sqrt(hidden), 1/sqrt(hidden))),
// so a PyTorch state dict loads and gives the same outputs.
//
// A layer direction computes the input projections of all its time steps with one GEMM,
// then runs the recurrence (one GEMM with the hidden weights per step). Everything is
// composed from seek ops, so it differentiates and runs on every backend.
#include <optional>
#include <string>
#include <tuple>
#include <vector>

#include "seek/nn/module.h"
#include "seek/nn/packed_sequence.h"

namespace seek::nn {

// The common part of RNN, LSTM and GRU. mode is "RNN_TANH", "RNN_RELU", "LSTM" or "GRU".
// Inputs are [L, N, input_size] ([N, L, input_size] with batch_first), unbatched
// [L, input_size], or a PackedSequence. Hidden states are [D * num_layers, N, H]
// ([D * num_layers, H] unbatched), D = 2 when bidirectional; H is proj_size for an
// LSTM's h when proj_size > 0. Dropout is applied to the outputs of every layer but
// the last, in training mode only.
class RNNBase : public Module {
 public:
  RNNBase(std::string mode, int64_t input_size, int64_t hidden_size, int64_t num_layers = 1, bool bias = true,
          bool batch_first = false, double dropout = 0.0, bool bidirectional = false, int64_t proj_size = 0,
          TensorOptions options = {});

  void reset_parameters();
  std::string extra_repr() const override;

  const std::string& mode() const { return mode_; }
  int64_t input_size() const { return input_size_; }
  int64_t hidden_size() const { return hidden_size_; }
  int64_t num_layers() const { return num_layers_; }
  bool has_bias() const { return bias_; }
  bool batch_first() const { return batch_first_; }
  double dropout() const { return dropout_; }
  bool bidirectional() const { return bidirectional_; }
  int64_t proj_size() const { return proj_size_; }
  // The parameter names of every layer and direction, in registration order.
  std::vector<std::vector<std::string>> all_weights_names() const { return names_; }

 protected:
  // The result of a whole run: the output and the final hidden (and cell) states.
  struct Result {
    Tensor output;  // padded layout of the input, or the packed data
    Tensor h_n, c_n;
  };
  // Runs on a padded tensor input ([L, N, *], [N, L, *] or [L, *]) with optional states.
  Result run_padded(const Tensor& input, const Tensor& h0, const Tensor& c0, const char* fn);
  // Runs on a packed sequence; the states are in the original (unsorted) batch order.
  Result run_packed(const PackedSequence& input, const Tensor& h0, const Tensor& c0, const char* fn);

 private:
  // data [total, input] with batch_sizes; h0/c0 full [D * layers, N, *] in sorted order.
  Result run_flat(const Tensor& data, const std::vector<int64_t>& batch_sizes, const Tensor& h0, const Tensor& c0);
  void check_state(const Tensor& h, int64_t batch, bool batched, int64_t size, const char* what, const char* fn) const;
  int64_t gate_count() const;

  std::string mode_;
  int64_t input_size_, hidden_size_, num_layers_;
  bool bias_, batch_first_;
  double dropout_;
  bool bidirectional_;
  int64_t proj_size_;
  std::vector<std::vector<std::string>> names_;  // per layer * direction: w_ih, w_hh[, b_ih, b_hh][, w_hr]
};

// Elman RNN: h_t = nonlinearity(x_t W_ih^T + b_ih + h_{t-1} W_hh^T + b_hh).
class RNN : public RNNBase {
 public:
  RNN(int64_t input_size, int64_t hidden_size, int64_t num_layers = 1, const std::string& nonlinearity = "tanh",
      bool bias = true, bool batch_first = false, double dropout = 0.0, bool bidirectional = false,
      TensorOptions options = {});
  // Returns {output, h_n}; h0 defaults to zeros.
  std::tuple<Tensor, Tensor> forward(const Tensor& input, const Tensor& h0);
  std::tuple<PackedSequence, Tensor> forward(const PackedSequence& input, const Tensor& h0 = Tensor());
  Tensor forward(const Tensor& input) override { return std::get<0>(forward(input, Tensor())); }
};

// LSTM with torch's gate order i, f, g, o; with proj_size > 0, h_t = (o * tanh(c_t)) W_hr^T.
class LSTM : public RNNBase {
 public:
  using State = std::tuple<Tensor, Tensor>;  // (h, c)
  LSTM(int64_t input_size, int64_t hidden_size, int64_t num_layers = 1, bool bias = true, bool batch_first = false,
       double dropout = 0.0, bool bidirectional = false, int64_t proj_size = 0, TensorOptions options = {});
  // Returns {output, (h_n, c_n)}; (h0, c0) default to zeros.
  std::tuple<Tensor, State> forward(const Tensor& input, const std::optional<State>& hx);
  std::tuple<PackedSequence, State> forward(const PackedSequence& input, const std::optional<State>& hx = std::nullopt);
  Tensor forward(const Tensor& input) override { return std::get<0>(forward(input, std::nullopt)); }
};

// GRU with torch's gate order r, z, n: n = tanh(W_in x + b_in + r * (W_hn h + b_hn)),
// h' = (1 - z) * n + z * h.
class GRU : public RNNBase {
 public:
  GRU(int64_t input_size, int64_t hidden_size, int64_t num_layers = 1, bool bias = true, bool batch_first = false,
      double dropout = 0.0, bool bidirectional = false, TensorOptions options = {});
  std::tuple<Tensor, Tensor> forward(const Tensor& input, const Tensor& h0);
  std::tuple<PackedSequence, Tensor> forward(const PackedSequence& input, const Tensor& h0 = Tensor());
  Tensor forward(const Tensor& input) override { return std::get<0>(forward(input, Tensor())); }
};

// The cells: one time step. input [N, input_size] or unbatched [input_size]; parameters
// weight_ih [G * H, input_size], weight_hh [G * H, H], bias_ih, bias_hh [G * H].
class RNNCellBase : public Module {
 public:
  RNNCellBase(std::string type_name, int64_t input_size, int64_t hidden_size, bool bias, int64_t gates,
              TensorOptions options);
  void reset_parameters();
  std::string extra_repr() const override;
  int64_t input_size() const { return input_size_; }
  int64_t hidden_size() const { return hidden_size_; }
  bool has_bias() const { return bias_; }

 protected:
  // Checks input and a state (may be undefined: zeros are returned); returns {batched input, state}.
  std::tuple<Tensor, Tensor> prepare(const Tensor& input, const Tensor& h, const char* what) const;

  int64_t input_size_, hidden_size_;
  bool bias_;
};

class RNNCell : public RNNCellBase {
 public:
  RNNCell(int64_t input_size, int64_t hidden_size, bool bias = true, std::string nonlinearity = "tanh",
          TensorOptions options = {});
  Tensor forward(const Tensor& input, const Tensor& hx);
  Tensor forward(const Tensor& input) override { return forward(input, Tensor()); }
  const std::string& nonlinearity() const { return nonlinearity_; }

 private:
  std::string nonlinearity_;
};

class LSTMCell : public RNNCellBase {
 public:
  LSTMCell(int64_t input_size, int64_t hidden_size, bool bias = true, TensorOptions options = {});
  // Returns (h', c'); hx = (h, c) defaults to zeros.
  std::tuple<Tensor, Tensor> forward(const Tensor& input, const std::optional<std::tuple<Tensor, Tensor>>& hx);
  Tensor forward(const Tensor& input) override { return std::get<0>(forward(input, std::nullopt)); }
};

class GRUCell : public RNNCellBase {
 public:
  GRUCell(int64_t input_size, int64_t hidden_size, bool bias = true, TensorOptions options = {});
  Tensor forward(const Tensor& input, const Tensor& hx);
  Tensor forward(const Tensor& input) override { return forward(input, Tensor()); }
};

namespace functional {
// One step of each cell on batched [N, *] tensors; the biases may be undefined.
// rnn_tanh_cell / rnn_relu_cell: act(x W_ih^T + b_ih + h W_hh^T + b_hh).
Tensor rnn_tanh_cell(const Tensor& input, const Tensor& hx, const Tensor& w_ih, const Tensor& w_hh,
                     const Tensor& b_ih = Tensor(), const Tensor& b_hh = Tensor());
Tensor rnn_relu_cell(const Tensor& input, const Tensor& hx, const Tensor& w_ih, const Tensor& w_hh,
                     const Tensor& b_ih = Tensor(), const Tensor& b_hh = Tensor());
std::tuple<Tensor, Tensor> lstm_cell(const Tensor& input, const Tensor& hx, const Tensor& cx, const Tensor& w_ih,
                                     const Tensor& w_hh, const Tensor& b_ih = Tensor(), const Tensor& b_hh = Tensor());
Tensor gru_cell(const Tensor& input, const Tensor& hx, const Tensor& w_ih, const Tensor& w_hh,
                const Tensor& b_ih = Tensor(), const Tensor& b_hh = Tensor());
}  // namespace functional

namespace detail {
// The recurrent step given the input projection x_proj = x W_ih^T (+ b_ih [+ b_hh]) [N, G * H]
// and the TRANSPOSED hidden weights w_hh_t = W_hh^T [H_out, G * H] (and w_hr_t = W_hr^T
// [H, proj], may be undefined): the layers transpose them once per sequence into contiguous
// tensors, so that no step's backward writes a transposed gradient. Each returns the new
// hidden state (and cell state for the LSTM). b_hh_gru is GRU's b_hh (kept apart because r
// multiplies its n part).
Tensor rnn_step(const Tensor& x_proj, const Tensor& h, const Tensor& w_hh_t, bool relu);
std::tuple<Tensor, Tensor> lstm_step(const Tensor& x_proj, const Tensor& h, const Tensor& c, const Tensor& w_hh_t,
                                     const Tensor& w_hr_t);
Tensor gru_step(const Tensor& x_proj, const Tensor& h, const Tensor& w_hh_t, const Tensor& b_hh_gru);
}  // namespace detail

}  // namespace seek::nn
