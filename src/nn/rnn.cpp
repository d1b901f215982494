// RNN, LSTM and GRU over whole sequences. Every input layout (padded, batch_first,
// unbatched, packed) becomes one "flat" layout: the packed data [total, features] plus
// batch_sizes (a padded batch is the packing with every batch size N). A layer direction
// projects all its time steps with one GEMM, then runs the recurrence over row blocks of
// that projection; sequences that end early keep their last state (packed input).
#include "seek/nn/rnn.h"

#include <cmath>

#include "seek/autograd/grad_mode.h"
#include "seek/core/error.h"
#include "seek/core/shape_util.h"
#include "seek/nn/functional.h"
#include "seek/nn/init.h"
#include "seek/ops/creation.h"
#include "seek/ops/shape.h"

namespace seek::nn {

namespace {

struct DirectionResult {
  Tensor output, h, c;
};

// One layer direction over the flat projection x_proj [total, G * H]: returns the outputs
// [total, H_out] and the last state of every sequence (h, and c for the LSTM, in the
// sorted batch order). step(x_proj rows, h, c) -> (h', c').
template <typename Step>
DirectionResult run_direction(const Tensor& x_proj, const std::vector<int64_t>& bs, const Tensor& h0, const Tensor& c0,
                              bool reverse, const Step& step) {
  const int64_t T = static_cast<int64_t>(bs.size());
  std::vector<Tensor> outs(static_cast<size_t>(T));
  // The steps' rows as views of one split (a single backward node that concatenates).
  const std::vector<Tensor> xs = T == 1 ? std::vector<Tensor>{x_proj} : split(x_proj, bs, 0);
  const bool lstm = c0.defined();
  DirectionResult r;
  if (!reverse) {
    // Rows of the sorted batch that end at step t leave the state here; collect them.
    std::vector<Tensor> done_h, done_c;
    Tensor h = h0, c = c0;
    int64_t cur = h0.size(0);
    for (int64_t t = 0; t < T; ++t) {
      const int64_t b = bs[t];
      if (b < cur) {
        done_h.push_back(h.narrow(0, b, cur - b));
        h = h.narrow(0, 0, b);
        if (lstm) {
          done_c.push_back(c.narrow(0, b, cur - b));
          c = c.narrow(0, 0, b);
        }
        cur = b;
      }
      std::tie(h, c) = step(xs[t], h, c);
      outs[t] = h;
    }
    auto assemble = [](std::vector<Tensor>& done, const Tensor& last) {
      if (done.empty()) return last;
      done.push_back(last);
      return cat(std::vector<Tensor>(done.rbegin(), done.rend()), 0);
    };
    r.h = assemble(done_h, h);
    if (lstm) r.c = assemble(done_c, c);
  } else {
    // Backwards in time: a sequence joins (from h0) at its last step.
    int64_t cur = bs[T - 1];
    Tensor h = h0.narrow(0, 0, cur), c = lstm ? c0.narrow(0, 0, cur) : Tensor();
    for (int64_t t = T - 1; t >= 0; --t) {
      const int64_t b = bs[t];
      if (b > cur) {
        h = cat({h, h0.narrow(0, cur, b - cur)}, 0);
        if (lstm) c = cat({c, c0.narrow(0, cur, b - cur)}, 0);
        cur = b;
      }
      std::tie(h, c) = step(xs[t], h, c);
      outs[t] = h;
    }
    r.h = h;
    r.c = c;
  }
  r.output = T == 1 ? outs[0] : cat(outs, 0);
  return r;
}

}  // namespace

RNNBase::RNNBase(std::string mode, int64_t input_size, int64_t hidden_size, int64_t num_layers, bool bias,
                 bool batch_first, double dropout, bool bidirectional, int64_t proj_size, TensorOptions options)
    : Module(mode == "LSTM"  ? "LSTM"
             : mode == "GRU" ? "GRU"
                             : "RNN"),
      mode_(std::move(mode)),
      input_size_(input_size),
      hidden_size_(hidden_size),
      num_layers_(num_layers),
      bias_(bias),
      batch_first_(batch_first),
      dropout_(dropout),
      bidirectional_(bidirectional),
      proj_size_(proj_size) {
  const std::string& fn = type_name();
  SEEK_CHECK_VALUE(mode_ == "RNN_TANH" || mode_ == "RNN_RELU" || mode_ == "LSTM" || mode_ == "GRU", fn,
                   ": unknown mode '", mode_, "'");
  SEEK_CHECK_VALUE(input_size >= 0, fn, ": input_size must be >= 0, got ", input_size);
  SEEK_CHECK_VALUE(hidden_size > 0, fn, ": hidden_size must be > 0, got ", hidden_size);
  SEEK_CHECK_VALUE(num_layers > 0, fn, ": num_layers must be > 0, got ", num_layers);
  SEEK_CHECK_VALUE(dropout >= 0.0 && dropout <= 1.0, fn, ": dropout should be a number in range [0, 1], got ", dropout);
  SEEK_CHECK_VALUE(proj_size >= 0, fn, ": proj_size should be a positive integer or zero to disable projections");
  SEEK_CHECK_VALUE(proj_size < hidden_size, fn,
                   ": proj_size has to be smaller than hidden_size, got proj_size=", proj_size,
                   " hidden_size=", hidden_size);
  SEEK_CHECK_VALUE(proj_size == 0 || mode_ == "LSTM", fn, ": proj_size argument is only supported for LSTM");
  const int64_t G = gate_count() * hidden_size;
  const int64_t real_hidden = proj_size > 0 ? proj_size : hidden_size;
  const int64_t D = bidirectional ? 2 : 1;
  options = options.requires_grad(false);
  for (int64_t layer = 0; layer < num_layers; ++layer) {
    for (int64_t dir = 0; dir < D; ++dir) {
      const std::string sfx = "_l" + std::to_string(layer) + (dir == 1 ? "_reverse" : "");
      const int64_t in = layer == 0 ? input_size : real_hidden * D;
      std::vector<std::string> names;
      auto add = [&](const std::string& name, Shape shape) {
        register_parameter(name + sfx, zeros(shape, options));
        names.push_back(name + sfx);
      };
      add("weight_ih", {G, in});
      add("weight_hh", {G, real_hidden});
      if (bias) {
        add("bias_ih", {G});
        add("bias_hh", {G});
      }
      if (proj_size > 0) add("weight_hr", {proj_size, hidden_size});
      names_.push_back(std::move(names));
    }
  }
  reset_parameters();
}

int64_t RNNBase::gate_count() const { return mode_ == "LSTM" ? 4 : mode_ == "GRU" ? 3 : 1; }

void RNNBase::reset_parameters() {
  const double bound = 1.0 / std::sqrt(static_cast<double>(hidden_size_));
  for (auto& p : parameters(false)) init::uniform_(p, -bound, bound);
}

std::string RNNBase::extra_repr() const {
  std::string s = str(input_size_, ", ", hidden_size_);
  if (proj_size_ != 0) s += str(", proj_size=", proj_size_);
  if (num_layers_ != 1) s += str(", num_layers=", num_layers_);
  if (mode_ == "RNN_RELU") s += ", nonlinearity='relu'";
  if (!bias_) s += ", bias=False";
  if (batch_first_) s += ", batch_first=True";
  if (dropout_ != 0.0) s += str(", dropout=", dropout_);
  if (bidirectional_) s += ", bidirectional=True";
  return s;
}

void RNNBase::check_state(const Tensor& h, int64_t batch, bool batched, int64_t size, const char* what,
                          const char* fn) const {
  const int64_t layers = num_layers_ * (bidirectional_ ? 2 : 1);
  const Shape want = batched ? Shape{layers, batch, size} : Shape{layers, size};
  SEEK_CHECK_SHAPE(h.sizes() == want, type_name(), ".", fn, ": expected ", what, " of size ", shape_str(want), ", got ",
                   shape_str(h.sizes()));
}

RNNBase::Result RNNBase::run_flat(const Tensor& data, const std::vector<int64_t>& batch_sizes, const Tensor& h0,
                                  const Tensor& c0) {
  const bool lstm = mode_ == "LSTM", gru = mode_ == "GRU", relu = mode_ == "RNN_RELU";
  const int64_t D = bidirectional_ ? 2 : 1;
  std::vector<Tensor> h_n, c_n;
  Tensor layer_in = data;
  for (int64_t layer = 0; layer < num_layers_; ++layer) {
    if (layer > 0 && dropout_ > 0.0 && is_training()) layer_in = functional::dropout(layer_in, dropout_, true);
    std::vector<Tensor> outs;
    for (int64_t dir = 0; dir < D; ++dir) {
      const int64_t idx = layer * D + dir;
      const std::vector<std::string>& n = names_[static_cast<size_t>(idx)];
      const Tensor& w_ih = param(n[0]);
      // Under autograd the hidden weights are transposed once into contiguous tensors, so
      // that no step's backward produces a transposed (strided) weight gradient; without
      // autograd the transposed views serve as they are (see detail::lstm_step).
      auto transposed = [](const Tensor& w) {
        return GradMode::is_enabled() && w.requires_grad() ? w.t().contiguous() : w.t();
      };
      const Tensor w_hh = transposed(param(n[1]));
      Tensor b_ih = bias_ ? param(n[2]) : Tensor(), b_hh = bias_ ? param(n[3]) : Tensor();
      Tensor w_hr = proj_size_ > 0 ? transposed(param(n.back())) : Tensor();
      // All time steps' input projections in one GEMM; RNN and LSTM fold b_hh in too.
      Tensor x_proj = functional::linear(layer_in, w_ih, gru || !bias_ ? b_ih : b_ih + b_hh);
      Tensor h = h0.select(0, idx), c = lstm ? c0.select(0, idx) : Tensor();
      DirectionResult r;
      if (lstm) {
        r = run_direction(x_proj, batch_sizes, h, c, dir == 1,
                          [&](const Tensor& x, const Tensor& hp, const Tensor& cp) {
                            return detail::lstm_step(x, hp, cp, w_hh, w_hr);
                          });
      } else if (gru) {
        r = run_direction(x_proj, batch_sizes, h, c, dir == 1, [&](const Tensor& x, const Tensor& hp, const Tensor&) {
          return std::make_tuple(detail::gru_step(x, hp, w_hh, b_hh), Tensor());
        });
      } else {
        r = run_direction(x_proj, batch_sizes, h, c, dir == 1, [&](const Tensor& x, const Tensor& hp, const Tensor&) {
          return std::make_tuple(detail::rnn_step(x, hp, w_hh, relu), Tensor());
        });
      }
      outs.push_back(r.output);
      h_n.push_back(r.h);
      if (lstm) c_n.push_back(r.c);
    }
    layer_in = D == 1 ? outs[0] : cat(outs, 1);
  }
  Result res;
  res.output = layer_in;
  res.h_n = stack(h_n, 0);
  if (lstm) res.c_n = stack(c_n, 0);
  return res;
}

RNNBase::Result RNNBase::run_padded(const Tensor& input, const Tensor& h0, const Tensor& c0, const char* fn) {
  const std::string& name = type_name();
  SEEK_CHECK_VALUE(input.defined(), name, ".", fn, ": input must be defined");
  SEEK_CHECK_SHAPE(input.dim() == 2 || input.dim() == 3, name, ".", fn, ": input must be 3-D ([L, N, ", input_size_,
                   "]", batch_first_ ? " with batch_first [N, L, *]" : "", ") or 2-D unbatched [L, ", input_size_,
                   "], got ", shape_str(input.sizes()));
  SEEK_CHECK_SHAPE(input.size(-1) == input_size_, name, ".", fn,
                   ": input.size(-1) must be equal to input_size. Expected ", input_size_, ", got ", input.size(-1),
                   " (input ", shape_str(input.sizes()), ")");
  const Tensor& w = param(names_[0][0]);
  SEEK_CHECK_DTYPE(input.dtype() == w.dtype(), name, ".", fn, ": input dtype ", dtype_name(input.dtype()),
                   " differs from the parameters' dtype ", dtype_name(w.dtype()));
  const bool batched = input.dim() == 3;
  Tensor x = batched ? (batch_first_ ? input.transpose(0, 1) : input) : input.unsqueeze(1);  // [L, N, in]
  const int64_t L = x.size(0), N = x.size(1);
  SEEK_CHECK_VALUE(L > 0 && N > 0, name, ".", fn, ": the sequence length and batch size must be > 0, got input ",
                   shape_str(input.sizes()));
  const bool lstm = mode_ == "LSTM";
  const int64_t hsize = proj_size_ > 0 ? proj_size_ : hidden_size_;
  const int64_t layers = num_layers_ * (bidirectional_ ? 2 : 1);
  TensorOptions opt = TensorOptions(x.dtype()).device(x.device());
  Tensor h = h0, c = c0;
  if (h.defined()) {
    check_state(h, N, batched, hsize, lstm ? "hx[0]" : "hx", fn);
    if (!batched) h = h.unsqueeze(1);
  } else {
    h = zeros({layers, N, hsize}, opt);
  }
  if (lstm) {
    if (c.defined()) {
      check_state(c, N, batched, hidden_size_, "hx[1]", fn);
      if (!batched) c = c.unsqueeze(1);
    } else {
      c = zeros({layers, N, hidden_size_}, opt);
    }
  }
  Result r = run_flat(x.reshape({L * N, input_size_}), std::vector<int64_t>(static_cast<size_t>(L), N), h, c);
  r.output = r.output.reshape({L, N, r.output.size(-1)});
  if (!batched) {
    r.output = r.output.squeeze(1);
    r.h_n = r.h_n.squeeze(1);
    if (lstm) r.c_n = r.c_n.squeeze(1);
  } else if (batch_first_) {
    r.output = r.output.transpose(0, 1);
  }
  return r;
}

RNNBase::Result RNNBase::run_packed(const PackedSequence& input, const Tensor& h0, const Tensor& c0, const char* fn) {
  const std::string& name = type_name();
  SEEK_CHECK_VALUE(input.data.defined(), name, ".", fn, ": the PackedSequence has no data");
  SEEK_CHECK_SHAPE(input.data.dim() == 2 && input.data.size(1) == input_size_, name, ".", fn,
                   ": the packed data must be [total, ", input_size_, "], got ", shape_str(input.data.sizes()));
  SEEK_CHECK_DTYPE(input.data.dtype() == param(names_[0][0]).dtype(), name, ".", fn, ": input dtype ",
                   dtype_name(input.data.dtype()), " differs from the parameters' dtype ",
                   dtype_name(param(names_[0][0]).dtype()));
  const std::vector<int64_t> bs = input.batch_size_list();
  SEEK_CHECK_VALUE(!bs.empty(), name, ".", fn, ": the PackedSequence has no time steps");
  int64_t total = 0;
  for (size_t t = 0; t < bs.size(); ++t) {
    SEEK_CHECK_VALUE(bs[t] > 0 && (t == 0 || bs[t] <= bs[t - 1]), name, ".", fn,
                     ": batch_sizes must be positive and non-increasing");
    total += bs[t];
  }
  SEEK_CHECK_SHAPE(total == input.data.size(0), name, ".", fn, ": the packed data has ", input.data.size(0),
                   " rows but batch_sizes sum to ", total);
  const int64_t N = bs[0];
  const bool lstm = mode_ == "LSTM";
  const int64_t hsize = proj_size_ > 0 ? proj_size_ : hidden_size_;
  const int64_t layers = num_layers_ * (bidirectional_ ? 2 : 1);
  TensorOptions opt = TensorOptions(input.data.dtype()).device(input.data.device());
  // States come in the caller's batch order: permute them into the sorted order.
  auto sorted_state = [&](const Tensor& s, int64_t size, const char* what) {
    if (!s.defined()) return zeros({layers, N, size}, opt);
    check_state(s, N, true, size, what, fn);
    return input.sorted_indices.defined() ? s.index_select(1, input.sorted_indices) : s;
  };
  Tensor h = sorted_state(h0, hsize, lstm ? "hx[0]" : "hx");
  Tensor c = lstm ? sorted_state(c0, hidden_size_, "hx[1]") : Tensor();
  Result r = run_flat(input.data, bs, h, c);
  if (input.unsorted_indices.defined()) {
    r.h_n = r.h_n.index_select(1, input.unsorted_indices);
    if (lstm) r.c_n = r.c_n.index_select(1, input.unsorted_indices);
  }
  return r;
}

namespace {
PackedSequence repack(const PackedSequence& like, const Tensor& data) {
  PackedSequence p = like;
  p.data = data;
  return p;
}
std::string rnn_mode(const std::string& nonlinearity) {
  SEEK_CHECK_VALUE(nonlinearity == "tanh" || nonlinearity == "relu", "RNN: unknown nonlinearity '", nonlinearity,
                   "'; select from 'tanh' or 'relu'");
  return nonlinearity == "tanh" ? "RNN_TANH" : "RNN_RELU";
}
}  // namespace

RNN::RNN(int64_t input_size, int64_t hidden_size, int64_t num_layers, const std::string& nonlinearity, bool bias,
         bool batch_first, double dropout, bool bidirectional, TensorOptions options)
    : RNNBase(rnn_mode(nonlinearity), input_size, hidden_size, num_layers, bias, batch_first, dropout, bidirectional, 0,
              options) {}

std::tuple<Tensor, Tensor> RNN::forward(const Tensor& input, const Tensor& h0) {
  Result r = run_padded(input, h0, Tensor(), "forward");
  return {r.output, r.h_n};
}

std::tuple<PackedSequence, Tensor> RNN::forward(const PackedSequence& input, const Tensor& h0) {
  Result r = run_packed(input, h0, Tensor(), "forward");
  return {repack(input, r.output), r.h_n};
}

LSTM::LSTM(int64_t input_size, int64_t hidden_size, int64_t num_layers, bool bias, bool batch_first, double dropout,
           bool bidirectional, int64_t proj_size, TensorOptions options)
    : RNNBase("LSTM", input_size, hidden_size, num_layers, bias, batch_first, dropout, bidirectional, proj_size,
              options) {}

std::tuple<Tensor, LSTM::State> LSTM::forward(const Tensor& input, const std::optional<State>& hx) {
  Result r = run_padded(input, hx ? std::get<0>(*hx) : Tensor(), hx ? std::get<1>(*hx) : Tensor(), "forward");
  return {r.output, State{r.h_n, r.c_n}};
}

std::tuple<PackedSequence, LSTM::State> LSTM::forward(const PackedSequence& input, const std::optional<State>& hx) {
  Result r = run_packed(input, hx ? std::get<0>(*hx) : Tensor(), hx ? std::get<1>(*hx) : Tensor(), "forward");
  return {repack(input, r.output), State{r.h_n, r.c_n}};
}

GRU::GRU(int64_t input_size, int64_t hidden_size, int64_t num_layers, bool bias, bool batch_first, double dropout,
         bool bidirectional, TensorOptions options)
    : RNNBase("GRU", input_size, hidden_size, num_layers, bias, batch_first, dropout, bidirectional, 0, options) {}

std::tuple<Tensor, Tensor> GRU::forward(const Tensor& input, const Tensor& h0) {
  Result r = run_padded(input, h0, Tensor(), "forward");
  return {r.output, r.h_n};
}

std::tuple<PackedSequence, Tensor> GRU::forward(const PackedSequence& input, const Tensor& h0) {
  Result r = run_packed(input, h0, Tensor(), "forward");
  return {repack(input, r.output), r.h_n};
}

}  // namespace seek::nn
