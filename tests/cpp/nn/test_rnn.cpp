// nn::RNN / LSTM / GRU, the cells and packed sequences: parameter names and shapes as
// torch's, gradchecks (f64) of every cell and of small multi-layer bidirectional layers,
// the layer against a loop of its cell, packed runs against one run per sequence, and
// the errors. Values against torch 1.13 are in tests/python/test_rnn.py.
#include <gtest/gtest.h>

#include "seek/seek.h"
#include "support/gradcheck_registry.h"
#include "support/test_util.h"

using namespace seek;
using seek::testing::uniform_tensor;
using V = std::vector<Tensor>;
namespace F = seek::nn::functional;
namespace R = seek::nn::utils::rnn;

// ---- gradchecks of the cells (inputs: x [N, in], h [N, H] (, c), w_ih, w_hh, b_ih, b_hh) ----
SEEK_GRADCHECK_CASE({"nn_rnn_tanh_cell", {{2, 3}, {2, 4}, {4, 3}, {4, 4}, {4}, {4}}, [](const V& x) {
                       return F::rnn_tanh_cell(x[0], x[1], x[2], x[3], x[4], x[5]);
                     }});
SEEK_GRADCHECK_CASE({"nn_rnn_relu_cell", {{2, 3}, {2, 4}, {4, 3}, {4, 4}, {4}}, [](const V& x) {
                       return F::rnn_relu_cell(x[0], x[1], x[2], x[3], x[4]);
                     }});
SEEK_GRADCHECK_CASE({"nn_lstm_cell", {{2, 3}, {2, 2}, {2, 2}, {8, 3}, {8, 2}, {8}, {8}}, [](const V& x) {
                       auto [h, c] = F::lstm_cell(x[0], x[1], x[2], x[3], x[4], x[5], x[6]);
                       return cat({h, c}, 1);
                     }});
SEEK_GRADCHECK_CASE({"nn_gru_cell", {{2, 3}, {2, 3}, {9, 3}, {9, 3}, {9}, {9}}, [](const V& x) {
                       return F::gru_cell(x[0], x[1], x[2], x[3], x[4], x[5]);
                     }});
SEEK_GRADCHECK_CASE({"nn_gru_cell_nobias", {{2, 3}, {2, 3}, {9, 3}, {9, 3}}, [](const V& x) {
                       return F::gru_cell(x[0], x[1], x[2], x[3]);
                     }});

namespace {

TensorOptions f64() { return TensorOptions(kFloat64); }

std::vector<std::string> names(const nn::Module& m) {
  std::vector<std::string> out;
  for (auto& [n, p] : m.named_parameters()) out.push_back(n + str(shape_str(p.sizes())));
  return out;
}

// Gradcheck of a whole module: its parameters and the input are the checked inputs.
void gradcheck_module(nn::Module& m, const Tensor& x, const std::function<Tensor(const Tensor&)>& run) {
  std::vector<Tensor> inputs = m.parameters();
  inputs.push_back(x);
  auto r = autograd::gradcheck([&](const V& in) { return run(in.back()); }, inputs);
  EXPECT_TRUE(r.ok) << r.message;
}

Tensor input(const Shape& s, uint64_t seed = 7) { return uniform_tensor(s, -1, 1, kFloat64, seed).requires_grad_(); }

}  // namespace

TEST(RNN, ParameterNamesAndShapesAsTorch) {
  nn::LSTM lstm(3, 5, 2, true, false, 0.0, true, 2);
  EXPECT_EQ(names(lstm), (std::vector<std::string>{"weight_ih_l0[20, 3]",
                                                   "weight_hh_l0[20, 2]",
                                                   "bias_ih_l0[20]",
                                                   "bias_hh_l0[20]",
                                                   "weight_hr_l0[2, 5]",
                                                   "weight_ih_l0_reverse[20, 3]",
                                                   "weight_hh_l0_reverse[20, 2]",
                                                   "bias_ih_l0_reverse[20]",
                                                   "bias_hh_l0_reverse[20]",
                                                   "weight_hr_l0_reverse[2, 5]",
                                                   "weight_ih_l1[20, 4]",
                                                   "weight_hh_l1[20, 2]",
                                                   "bias_ih_l1[20]",
                                                   "bias_hh_l1[20]",
                                                   "weight_hr_l1[2, 5]",
                                                   "weight_ih_l1_reverse[20, 4]",
                                                   "weight_hh_l1_reverse[20, 2]",
                                                   "bias_ih_l1_reverse[20]",
                                                   "bias_hh_l1_reverse[20]",
                                                   "weight_hr_l1_reverse[2, 5]"}));
  nn::GRU gru(4, 3, 1, false);
  EXPECT_EQ(names(gru), (std::vector<std::string>{"weight_ih_l0[9, 4]", "weight_hh_l0[9, 3]"}));
  nn::GRUCell cell(4, 3);
  EXPECT_EQ(names(cell), (std::vector<std::string>{"weight_ih[9, 4]", "weight_hh[9, 3]", "bias_ih[9]", "bias_hh[9]"}));
  EXPECT_EQ(lstm.repr().substr(0, 58), "LSTM(3, 5, proj_size=2, num_layers=2, bidirectional=True)");
}

TEST(RNN, InitIsUniformWithinOneOverSqrtHidden) {
  manual_seed(3);
  nn::LSTM lstm(10, 16, 1);
  for (auto& p : lstm.parameters()) {
    EXPECT_LE(p.abs().max().item<float>(), 0.25f);
    EXPECT_GT(p.abs().max().item<float>(), 0.2f);  // spread over the whole range
  }
}

TEST(RNN, OutputAndStateShapes) {
  nn::LSTM lstm(3, 5, 2, true, true, 0.0, true, 2);
  auto [out, hc] = lstm.forward(zeros({4, 7, 3}), std::nullopt);  // batch_first [N, L, in]
  EXPECT_EQ(out.sizes(), (Shape{4, 7, 4}));
  EXPECT_EQ(std::get<0>(hc).sizes(), (Shape{4, 4, 2}));
  EXPECT_EQ(std::get<1>(hc).sizes(), (Shape{4, 4, 5}));
  nn::GRU gru(3, 5, 1);
  auto [o2, h2] = gru.forward(zeros({7, 3}), Tensor());  // unbatched
  EXPECT_EQ(o2.sizes(), (Shape{7, 5}));
  EXPECT_EQ(h2.sizes(), (Shape{1, 5}));
}

TEST(RNN, GradcheckBidirectionalTwoLayerLSTMWithProjection) {
  manual_seed(1);
  nn::LSTM lstm(3, 4, 2, true, false, 0.0, true, 2, f64());
  Tensor h0 = uniform_tensor({4, 2, 2}, -1, 1, kFloat64, 11), c0 = uniform_tensor({4, 2, 4}, -1, 1, kFloat64, 12);
  gradcheck_module(lstm, input({3, 2, 3}), [&](const Tensor& x) {
    auto [out, hc] = lstm.forward(x, nn::LSTM::State{h0, c0});
    return cat({out.reshape({-1}), std::get<0>(hc).reshape({-1}), std::get<1>(hc).reshape({-1})}, 0);
  });
}

TEST(RNN, GradcheckBidirectionalTwoLayerGRUBatchFirst) {
  manual_seed(2);
  nn::GRU gru(3, 3, 2, true, true, 0.0, true, f64());
  gradcheck_module(gru, input({2, 3, 3}), [&](const Tensor& x) {
    auto [out, h] = gru.forward(x, Tensor());
    return cat({out.reshape({-1}), h.reshape({-1})}, 0);
  });
}

TEST(RNN, GradcheckTwoLayerReluRNNWithH0) {
  manual_seed(4);
  nn::RNN rnn(2, 3, 2, "relu", true, false, 0.0, true, f64());
  Tensor h0 = input({4, 2, 3}, 9);
  gradcheck_module(rnn, input({3, 2, 2}), [&](const Tensor& x) {
    auto [out, h] = rnn.forward(x, h0);
    return cat({out.reshape({-1}), h.reshape({-1})}, 0);
  });
}

TEST(RNN, GradcheckPackedBidirectionalLSTM) {
  manual_seed(5);
  nn::LSTM lstm(2, 3, 1, true, false, 0.0, true, 0, f64());
  gradcheck_module(lstm, input({4, 3, 2}), [&](const Tensor& x) {
    auto packed = R::pack_padded_sequence(x, std::vector<int64_t>{2, 4, 1}, false, false);
    auto [out, hc] = lstm.forward(packed, std::nullopt);
    auto [padded, lengths] = R::pad_packed_sequence(out);
    return cat({padded.reshape({-1}), std::get<0>(hc).reshape({-1}), std::get<1>(hc).reshape({-1})}, 0);
  });
}

// One layer, one direction, against a loop of the cell with the same weights: gate layout
// and bias handling agree between the layer and the cell.
TEST(RNN, LayerEqualsLoopOfItsCell) {
  manual_seed(6);
  nn::LSTM lstm(3, 4, 1, true, false, 0.0, false, 0, f64());
  nn::LSTMCell cell(3, 4, true, f64());
  cell.load_state_dict({{"weight_ih", lstm.param("weight_ih_l0")},
                        {"weight_hh", lstm.param("weight_hh_l0")},
                        {"bias_ih", lstm.param("bias_ih_l0")},
                        {"bias_hh", lstm.param("bias_hh_l0")}});
  Tensor x = input({5, 2, 3});
  auto [out, hc] = lstm.forward(x, std::nullopt);
  std::optional<std::tuple<Tensor, Tensor>> state;
  for (int64_t t = 0; t < 5; ++t) {
    state = cell.forward(x.select(0, t), state);
    EXPECT_TRUE(allclose(std::get<0>(*state), out.select(0, t), 1e-12, 1e-12)) << "step " << t;
  }
  EXPECT_TRUE(allclose(std::get<0>(*state), std::get<0>(hc).select(0, 0), 1e-12, 1e-12));
  EXPECT_TRUE(allclose(std::get<1>(*state), std::get<1>(hc).select(0, 0), 1e-12, 1e-12));

  nn::GRU gru(3, 4, 1, true, false, 0.0, false, f64());
  nn::GRUCell gcell(3, 4, true, f64());
  gcell.load_state_dict({{"weight_ih", gru.param("weight_ih_l0")},
                         {"weight_hh", gru.param("weight_hh_l0")},
                         {"bias_ih", gru.param("bias_ih_l0")},
                         {"bias_hh", gru.param("bias_hh_l0")}});
  auto [gout, gh] = gru.forward(x, Tensor());
  Tensor h;
  for (int64_t t = 0; t < 5; ++t) h = gcell.forward(x.select(0, t), h);
  EXPECT_TRUE(allclose(h, gout.select(0, 4), 1e-12, 1e-12));
  EXPECT_TRUE(allclose(h, gh.select(0, 0), 1e-12, 1e-12));
}

// A packed batch with unsorted lengths gives, for each sequence, what that sequence alone gives.
TEST(RNN, PackedEqualsEachSequenceAlone) {
  manual_seed(7);
  nn::GRU gru(3, 4, 2, true, true, 0.0, true, f64());
  const std::vector<int64_t> lengths{3, 5, 1, 4};
  Tensor x = input({4, 5, 3});  // batch_first
  Tensor h0 = input({4, 4, 4}, 3);
  auto packed = R::pack_padded_sequence(x, lengths, true, false);
  auto [out, h_n] = gru.forward(packed, h0);
  auto [padded, lens] = R::pad_packed_sequence(out, true, -7.0);
  EXPECT_EQ(to_vector<int64_t>(lens), lengths);
  EXPECT_EQ(padded.sizes(), (Shape{4, 5, 8}));
  for (int64_t i = 0; i < 4; ++i) {
    const int64_t L = lengths[static_cast<size_t>(i)];
    auto [o1, h1] = gru.forward(x.select(0, i).narrow(0, 0, L), h0.select(1, i));  // unbatched
    EXPECT_TRUE(allclose(o1, padded.select(0, i).narrow(0, 0, L), 1e-12, 1e-12)) << i;
    EXPECT_TRUE(allclose(h1, h_n.select(1, i), 1e-12, 1e-12)) << i;
    if (L < 5) EXPECT_EQ(padded.select(0, i).narrow(0, L, 5 - L).eq(-7.0).all().item<bool>(), true);
  }
}

TEST(RNN, PackAndPadRoundTrip) {
  Tensor a = tensor<float>({1, 2, 3}, {3, 1}), b = tensor<float>({4}, {1, 1}), c = tensor<float>({5, 6}, {2, 1});
  Tensor padded = R::pad_sequence({a, b, c}, true);
  EXPECT_EQ(to_vector<float>(padded), (std::vector<float>{1, 2, 3, 4, 0, 0, 5, 6, 0}));
  auto packed = R::pack_sequence({a, b, c}, false);
  EXPECT_EQ(to_vector<float>(packed.data), (std::vector<float>{1, 5, 4, 2, 6, 3}));
  EXPECT_EQ(packed.batch_size_list(), (std::vector<int64_t>{3, 2, 1}));
  EXPECT_EQ(to_vector<int64_t>(packed.sorted_indices), (std::vector<int64_t>{0, 2, 1}));
  EXPECT_EQ(to_vector<int64_t>(packed.unsorted_indices), (std::vector<int64_t>{0, 2, 1}));
  auto [back, lens] = R::pad_packed_sequence(packed, false, 0.0, 4);
  EXPECT_EQ(back.sizes(), (Shape{4, 3, 1}));
  EXPECT_TRUE(allclose(back.narrow(0, 0, 3).transpose(0, 1), padded));
  EXPECT_EQ(to_vector<int64_t>(lens), (std::vector<int64_t>{3, 1, 2}));
}

TEST(RNN, DropoutBetweenLayersOnlyWhenTraining) {
  manual_seed(8);
  nn::LSTM lstm(3, 4, 2, true, false, 0.5);
  Tensor x = uniform_tensor({5, 2, 3}, -1, 1, kFloat32);
  lstm.eval();
  Tensor e1 = lstm.forward(x), e2 = lstm.forward(x);
  EXPECT_TRUE(allclose(e1, e2, 0, 0));
  lstm.train();
  EXPECT_FALSE(allclose(lstm.forward(x), e1, 1e-4, 1e-4));
}

TEST(RNN, Errors) {
  nn::LSTM lstm(3, 4, 2);
  EXPECT_SEEK_ERROR(lstm.forward(zeros({5, 2, 6})), ShapeError, "input.size(-1) must be equal to input_size");
  EXPECT_SEEK_ERROR(lstm.forward(zeros({5, 2, 3}), nn::LSTM::State{zeros({1, 2, 4}), zeros({2, 2, 4})}), ShapeError,
                    "expected hx[0] of size [2, 2, 4]");
  EXPECT_SEEK_ERROR(lstm.forward(zeros({5, 2, 3}, f64())), DTypeError, "dtype");
  EXPECT_SEEK_ERROR(nn::LSTM(3, 4, 1, true, false, 0.0, false, 4), ValueError, "proj_size has to be smaller");
  EXPECT_SEEK_ERROR(nn::RNN(3, 4, 1, "sigmoid"), ValueError, "nonlinearity");
  EXPECT_SEEK_ERROR(nn::GRU(3, 4, 1, true, false, 1.5), ValueError, "dropout");
  EXPECT_SEEK_ERROR(R::pack_padded_sequence(zeros({4, 2, 1}), std::vector<int64_t>{2, 3}), ValueError,
                    "enforce_sorted");
  EXPECT_SEEK_ERROR(R::pack_padded_sequence(zeros({4, 2, 1}), std::vector<int64_t>{5, 3}), ValueError, "lengths[0]");
  nn::GRUCell cell(3, 4);
  EXPECT_SEEK_ERROR(cell.forward(zeros({2, 3}), zeros({3, 4})), ShapeError, "hx must be [2, 4]");
}
