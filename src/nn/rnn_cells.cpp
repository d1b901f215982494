// The recurrent steps (shared by the cells and the multi-layer RNN / LSTM / GRU), the
// functional cells and the cell modules RNNCell, LSTMCell, GRUCell.
#include <cmath>

#include "seek/core/error.h"
#include "seek/core/shape_util.h"
#include "seek/nn/functional.h"
#include "seek/nn/init.h"
#include "seek/nn/rnn.h"
#include "seek/ops/creation.h"
#include "seek/ops/linalg.h"

namespace seek::nn {

namespace detail {

namespace {
// x_proj + h @ w_hh_t in one addmm (x_proj already holds the input projection and biases).
Tensor add_hidden(const Tensor& x_proj, const Tensor& h, const Tensor& w_hh_t) { return addmm(x_proj, h, w_hh_t); }
}  // namespace

Tensor rnn_step(const Tensor& x_proj, const Tensor& h, const Tensor& w_hh_t, bool relu) {
  Tensor pre = add_hidden(x_proj, h, w_hh_t);
  return relu ? pre.relu() : pre.tanh();
}

std::tuple<Tensor, Tensor> lstm_step(const Tensor& x_proj, const Tensor& h, const Tensor& c, const Tensor& w_hh_t,
                                     const Tensor& w_hr_t) {
  std::vector<Tensor> g = add_hidden(x_proj, h, w_hh_t).chunk(4, 1);  // i, f, g, o
  Tensor c_next = g[1].sigmoid() * c + g[0].sigmoid() * g[2].tanh();
  Tensor h_next = g[3].sigmoid() * c_next.tanh();
  if (w_hr_t.defined()) h_next = h_next.matmul(w_hr_t);
  return {h_next, c_next};
}

Tensor gru_step(const Tensor& x_proj, const Tensor& h, const Tensor& w_hh_t, const Tensor& b_hh_gru) {
  Tensor hp = b_hh_gru.defined() ? addmm(b_hh_gru, h, w_hh_t) : h.matmul(w_hh_t);
  std::vector<Tensor> x = x_proj.chunk(3, 1), hh = hp.chunk(3, 1);  // r, z, n
  Tensor r = (x[0] + hh[0]).sigmoid();
  Tensor z = (x[1] + hh[1]).sigmoid();
  Tensor n = (x[2] + r * hh[2]).tanh();
  return n + z * (h - n);  // (1 - z) * n + z * h
}

}  // namespace detail

namespace functional {

namespace {
Tensor joint_bias(const Tensor& b_ih, const Tensor& b_hh) {
  if (b_ih.defined() && b_hh.defined()) return b_ih + b_hh;
  return b_ih.defined() ? b_ih : b_hh;
}
}  // namespace

Tensor rnn_tanh_cell(const Tensor& input, const Tensor& hx, const Tensor& w_ih, const Tensor& w_hh, const Tensor& b_ih,
                     const Tensor& b_hh) {
  return detail::rnn_step(linear(input, w_ih, joint_bias(b_ih, b_hh)), hx, w_hh.t(), false);
}

Tensor rnn_relu_cell(const Tensor& input, const Tensor& hx, const Tensor& w_ih, const Tensor& w_hh, const Tensor& b_ih,
                     const Tensor& b_hh) {
  return detail::rnn_step(linear(input, w_ih, joint_bias(b_ih, b_hh)), hx, w_hh.t(), true);
}

std::tuple<Tensor, Tensor> lstm_cell(const Tensor& input, const Tensor& hx, const Tensor& cx, const Tensor& w_ih,
                                     const Tensor& w_hh, const Tensor& b_ih, const Tensor& b_hh) {
  return detail::lstm_step(linear(input, w_ih, joint_bias(b_ih, b_hh)), hx, cx, w_hh.t(), Tensor());
}

Tensor gru_cell(const Tensor& input, const Tensor& hx, const Tensor& w_ih, const Tensor& w_hh, const Tensor& b_ih,
                const Tensor& b_hh) {
  return detail::gru_step(linear(input, w_ih, b_ih), hx, w_hh.t(), b_hh);
}

}  // namespace functional

RNNCellBase::RNNCellBase(std::string type_name, int64_t input_size, int64_t hidden_size, bool bias, int64_t gates,
                         TensorOptions options)
    : Module(std::move(type_name)), input_size_(input_size), hidden_size_(hidden_size), bias_(bias) {
  SEEK_CHECK_VALUE(input_size >= 0 && hidden_size > 0, this->type_name(),
                   ": input_size must be >= 0 and hidden_size > 0, got input_size=", input_size,
                   " hidden_size=", hidden_size);
  options = options.requires_grad(false);
  register_parameter("weight_ih", zeros({gates * hidden_size, input_size}, options));
  register_parameter("weight_hh", zeros({gates * hidden_size, hidden_size}, options));
  if (bias) {
    register_parameter("bias_ih", zeros({gates * hidden_size}, options));
    register_parameter("bias_hh", zeros({gates * hidden_size}, options));
  }
  reset_parameters();
}

void RNNCellBase::reset_parameters() {
  const double bound = 1.0 / std::sqrt(static_cast<double>(hidden_size_));
  for (auto& p : parameters(false)) init::uniform_(p, -bound, bound);
}

std::string RNNCellBase::extra_repr() const {
  return str(input_size_, ", ", hidden_size_, bias_ ? "" : ", bias=False");
}

std::tuple<Tensor, Tensor> RNNCellBase::prepare(const Tensor& input, const Tensor& h, const char* what) const {
  const std::string& fn = type_name();
  SEEK_CHECK_VALUE(input.defined(), fn, ": input must be defined");
  SEEK_CHECK_SHAPE((input.dim() == 1 || input.dim() == 2) && input.size(-1) == input_size_, fn, ": input must be [N, ",
                   input_size_, "] or unbatched [", input_size_, "], got ", shape_str(input.sizes()));
  const bool batched = input.dim() == 2;
  Tensor x = batched ? input : input.unsqueeze(0);
  if (!h.defined()) return {x, zeros({x.size(0), hidden_size_}, TensorOptions(x.dtype()).device(x.device()))};
  const Shape want = batched ? Shape{x.size(0), hidden_size_} : Shape{hidden_size_};
  SEEK_CHECK_SHAPE(h.sizes() == want, fn, ": ", what, " must be ", shape_str(want), " for input ",
                   shape_str(input.sizes()), ", got ", shape_str(h.sizes()));
  return {x, batched ? h : h.unsqueeze(0)};
}

RNNCell::RNNCell(int64_t input_size, int64_t hidden_size, bool bias, std::string nonlinearity, TensorOptions options)
    : RNNCellBase("RNNCell", input_size, hidden_size, bias, 1, options), nonlinearity_(std::move(nonlinearity)) {
  SEEK_CHECK_VALUE(nonlinearity_ == "tanh" || nonlinearity_ == "relu",
                   "RNNCell: nonlinearity must be 'tanh' or 'relu', got '", nonlinearity_, "'");
}

Tensor RNNCell::forward(const Tensor& input, const Tensor& hx) {
  auto [x, h] = prepare(input, hx, "hx");
  Tensor b_ih = bias_ ? param("bias_ih") : Tensor(), b_hh = bias_ ? param("bias_hh") : Tensor();
  Tensor out = nonlinearity_ == "relu"
                   ? functional::rnn_relu_cell(x, h, param("weight_ih"), param("weight_hh"), b_ih, b_hh)
                   : functional::rnn_tanh_cell(x, h, param("weight_ih"), param("weight_hh"), b_ih, b_hh);
  return input.dim() == 1 ? out.squeeze(0) : out;
}

LSTMCell::LSTMCell(int64_t input_size, int64_t hidden_size, bool bias, TensorOptions options)
    : RNNCellBase("LSTMCell", input_size, hidden_size, bias, 4, options) {}

std::tuple<Tensor, Tensor> LSTMCell::forward(const Tensor& input, const std::optional<std::tuple<Tensor, Tensor>>& hx) {
  Tensor h0 = hx ? std::get<0>(*hx) : Tensor(), c0 = hx ? std::get<1>(*hx) : Tensor();
  auto [x, h] = prepare(input, h0, "hx[0] (h)");
  Tensor c = std::get<1>(prepare(input, c0, "hx[1] (c)"));
  Tensor b_ih = bias_ ? param("bias_ih") : Tensor(), b_hh = bias_ ? param("bias_hh") : Tensor();
  auto [h1, c1] = functional::lstm_cell(x, h, c, param("weight_ih"), param("weight_hh"), b_ih, b_hh);
  if (input.dim() == 1) return {h1.squeeze(0), c1.squeeze(0)};
  return {h1, c1};
}

GRUCell::GRUCell(int64_t input_size, int64_t hidden_size, bool bias, TensorOptions options)
    : RNNCellBase("GRUCell", input_size, hidden_size, bias, 3, options) {}

Tensor GRUCell::forward(const Tensor& input, const Tensor& hx) {
  auto [x, h] = prepare(input, hx, "hx");
  Tensor b_ih = bias_ ? param("bias_ih") : Tensor(), b_hh = bias_ ? param("bias_hh") : Tensor();
  Tensor out = functional::gru_cell(x, h, param("weight_ih"), param("weight_hh"), b_ih, b_hh);
  return input.dim() == 1 ? out.squeeze(0) : out;
}

}  // namespace seek::nn
