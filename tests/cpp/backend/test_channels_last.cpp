// channels_last (NHWC) operands for the conv, pool and norm entries on every device: inputs, weights,
// outputs and gradients all dense channels_last (what a model after model.to(channels_last) hands
// the backend), and mixed (a channels_last input with an NCHW weight or output), against the same
// entries on f64 NCHW tensors on the CPU. The CUDA backend runs these natively NHWC; the CPU stages
// through NCHW. Cases: 1x1 (the pointwise GEMM path), 3x3 with padding, stride 2, groups,
// depthwise with dilation, odd sizes, and several image chunks.
#include <cmath>

#include "backend/backend_harness.h"

namespace seek::backend_test {
namespace {

class ChannelsLastTest : public DeviceTest {};

constexpr MemoryFormat kCL = MemoryFormat::ChannelsLast;

// `values` on the device in dtype, stored channels_last.
Tensor place_cl(const Tensor& values, DType dt, Device d) { return place(values, dt, d).contiguous(kCL); }

Tensor empty_cl(const Shape& shape, DType dt, Device d) { return empty(shape, TensorOptions(dt).device(d), kCL); }

Tensor empty_f64(const Shape& shape) { return empty(shape, TensorOptions(kFloat64)); }

void expect_cl(const Tensor& t, const std::string& what) {
  EXPECT_TRUE(t.is_contiguous(kCL)) << what << ": strides changed";
}

struct ConvCase {
  Shape x;  // [N, C, H, W]
  int64_t O, kh, kw, stride, pad, dil, groups;
  bool bias;
};
const ConvCase kConvCases[] = {
    {{2, 4, 5, 6}, 6, 1, 1, 1, 0, 1, 1, true},   // 1x1 stride 1: the input is the patch matrix
    {{2, 3, 7, 5}, 4, 3, 3, 1, 1, 1, 1, true},   // 3x3 with padding, odd sizes
    {{1, 4, 9, 8}, 6, 3, 3, 2, 1, 1, 1, false},  // stride 2
    {{2, 6, 6, 7}, 4, 3, 3, 1, 1, 1, 2, true},   // groups
    {{1, 4, 6, 6}, 4, 3, 3, 1, 2, 2, 4, false},  // depthwise, dilation 2
    {{3, 3, 5, 5}, 5, 1, 1, 2, 0, 1, 1, true},   // 1x1 stride 2 (im2col)
    {{1, 5, 5, 3}, 3, 2, 3, 1, 0, 1, 1, true},   // a non-square kernel, 5 channels
};

std::string conv_str(const ConvCase& c) {
  return str("conv ", str_of(c.x), " O", c.O, " k", c.kh, "x", c.kw, " s", c.stride, " p", c.pad, " d", c.dil, " g",
             c.groups, c.bias ? " bias" : "");
}

SEEK_DEVICE_TEST(ChannelsLastTest, ConvForwardAndBackward) {
  SEEK_REQUIRE_FAMILY(BackendFamily::Conv);
  uint64_t seed = 700;
  for (const ConvCase& c : kConvCases) {
    Conv2dParams p;
    p.stride = {c.stride, c.stride}, p.padding = {c.pad, c.pad}, p.dilation = {c.dil, c.dil}, p.groups = c.groups;
    const Shape ws{c.O, c.x[1] / c.groups, c.kh, c.kw};
    const int64_t OH = (c.x[2] + 2 * c.pad - c.dil * (c.kh - 1) - 1) / c.stride + 1;
    const int64_t OW = (c.x[3] + 2 * c.pad - c.dil * (c.kw - 1) - 1) / c.stride + 1;
    const Shape ys{c.x[0], c.O, OH, OW};
    const Tensor xv = random_f64(c.x, -1, 1, ++seed), wv = random_f64(ws, -1, 1, ++seed);
    const Tensor bv = c.bias ? random_f64({c.O}, -1, 1, ++seed) : Tensor();
    const Tensor gyv = random_f64(ys, -1, 1, ++seed);
    const double k = std::sqrt(static_cast<double>(ws[1] * c.kh * c.kw));  // the scale of a sum of products

    // The f64 NCHW reference, on the CPU, from the values the device sees.
    const Tensor x64 = to_f64(place(xv, dtype(), device())), w64 = to_f64(place(wv, dtype(), device()));
    const Tensor b64 = c.bias ? to_f64(place(bv, dtype(), device())) : Tensor();
    const Tensor gy64 = to_f64(place(gyv, dtype(), device()));
    Tensor want_y = empty_f64(ys), want_gx = empty_f64(c.x), want_gw = empty_f64(ws);
    Tensor want_gb = c.bias ? empty_f64({c.O}) : Tensor();
    backend(kCPU).conv2d_forward(x64, w64, b64, p, want_y);
    backend(kCPU).conv2d_backward(gy64, x64, w64, p, want_gx, want_gw, want_gb);

    for (bool cl_weight : {true, false}) {
      const std::string what = conv_str(c) + (cl_weight ? " all channels_last" : " channels_last input, NCHW weight");
      const Tensor x = place_cl(xv, dtype(), device());
      const Tensor w = cl_weight ? place_cl(wv, dtype(), device()) : place(wv, dtype(), device());
      const Tensor b = c.bias ? place(bv, dtype(), device()) : Tensor();
      Tensor y = empty_cl(ys, dtype(), device());
      dev().conv2d_forward(x, w, b, p, y);
      expect_cl(y, what);
      expect_close(y, want_y, loose_tolerance(dtype()), what + " forward", k);

      const Tensor gy = place_cl(gyv, dtype(), device());
      Tensor gx = empty_cl(c.x, dtype(), device());
      Tensor gw = cl_weight ? empty_cl(ws, dtype(), device()) : empty(ws, TensorOptions(dtype()).device(device()));
      Tensor gb = c.bias ? empty({c.O}, TensorOptions(dtype()).device(device())) : Tensor();
      dev().conv2d_backward(gy, x, w, p, gx, gw, gb);
      expect_cl(gx, what + " grad_input");
      EXPECT_TRUE(cl_weight ? gw.is_contiguous(kCL) : gw.is_contiguous()) << what << ": grad_weight strides changed";
      const double rows = std::sqrt(static_cast<double>(ys[0] * OH * OW));
      expect_close(gx, want_gx, loose_tolerance(dtype()), what + " grad_input", k);
      expect_close(gw, want_gw, loose_tolerance(dtype()), what + " grad_weight", rows);
      if (c.bias) expect_close(gb, want_gb, loose_tolerance(dtype()), what + " grad_bias", rows);
    }
  }
}

SEEK_DEVICE_TEST(ChannelsLastTest, BatchNormTrainEvalForwardBackward) {
  SEEK_REQUIRE_FAMILY(BackendFamily::Norm);
  const DType acc = dtype() == kFloat64 ? kFloat64 : kFloat32;
  constexpr double kEps = 1e-5;
  uint64_t seed = 800;
  // The CUDA NHWC statistics tile 32 channels x 512-row chunks: one tile, several chunks (a last
  // partial one), several channel tiles (a last partial one).
  for (const Shape& shape :
       {Shape{4, 3, 5, 7}, Shape{2, 8, 3, 3}, Shape{3, 5, 1, 9}, Shape{5, 6, 11, 12}, Shape{2, 40, 3, 3}}) {
    const int64_t C = shape[1];
    const std::string what = "batch_norm channels_last " + str_of(shape);
    const Tensor xv = random_f64(shape, 1.0, 4.0, ++seed), gyv = random_f64(shape, -1, 1, ++seed);
    const Tensor x = place_cl(xv, dtype(), device()), gy = place_cl(gyv, dtype(), device());
    const Tensor w = place(random_f64({C}, 0.5, 1.5, ++seed), dtype(), device());
    const Tensor b = place(random_f64({C}, -1, 1, ++seed), dtype(), device());
    const TensorOptions acc_opts = TensorOptions(acc).device(device());
    Tensor y = empty_cl(shape, dtype(), device());
    Tensor mean = empty({C}, acc_opts), invstd = empty({C}, acc_opts), var = empty({C}, acc_opts);
    dev().batch_norm_forward_train(x, w, b, kEps, y, mean, invstd, var);
    Tensor want_y = empty_f64(shape), want_mean = empty_f64({C}), want_invstd = empty_f64({C}),
           want_var = empty_f64({C});
    backend(kCPU).batch_norm_forward_train(to_f64(x), to_f64(w), to_f64(b), kEps, want_y, want_mean, want_invstd,
                                           want_var);
    expect_cl(y, what);
    expect_close(y, want_y, loose_tolerance(dtype()), what, 1.0);
    expect_close(mean, want_mean, tolerance(acc), what + " mean");
    expect_close(invstd, want_invstd, loose_tolerance(acc), what + " invstd");
    expect_close(var, want_var, loose_tolerance(acc), what + " var");

    Tensor gx = empty_cl(shape, dtype(), device());
    Tensor gw = empty({C}, TensorOptions(dtype()).device(device())),
           gb = empty({C}, TensorOptions(dtype()).device(device()));
    dev().batch_norm_backward(gy, x, w, mean, invstd, gx, gw, gb);
    Tensor want_gx = empty_f64(shape), want_gw = empty_f64({C}), want_gb = empty_f64({C});
    backend(kCPU).batch_norm_backward(to_f64(gy), to_f64(x), to_f64(w), to_f64(mean), to_f64(invstd), want_gx, want_gw,
                                      want_gb);
    const double per_channel = std::sqrt(static_cast<double>(shape_numel(shape) / C));
    expect_cl(gx, what + " grad_input");
    expect_close(gx, want_gx, loose_tolerance(dtype()), what + " grad_input", 1.0);
    expect_close(gw, want_gw, loose_tolerance(dtype()), what + " grad_weight", per_channel);
    expect_close(gb, want_gb, loose_tolerance(dtype()), what + " grad_bias", per_channel);

    const Tensor rm = place(random_f64({C}, 1, 3, ++seed), dtype(), device());
    const Tensor rv = place(random_f64({C}, 0.5, 2, ++seed), dtype(), device());
    Tensor ye = empty_cl(shape, dtype(), device());
    dev().batch_norm_forward_eval(x, rm, rv, w, b, kEps, ye);
    Tensor want_ye = empty_f64(shape);
    backend(kCPU).batch_norm_forward_eval(to_f64(x), to_f64(rm), to_f64(rv), to_f64(w), to_f64(b), kEps, want_ye);
    expect_cl(ye, what + " eval");
    expect_close(ye, want_ye, loose_tolerance(dtype()), what + " eval", 1.0);
  }
}

PoolParams pool(int64_t k, int64_t s, int64_t pad, int64_t d, bool ceil_mode, bool count_include_pad) {
  PoolParams p;
  p.kernel = {k, k}, p.stride = {s, s}, p.padding = {pad, pad}, p.dilation = {d, d};
  p.ceil_mode = ceil_mode, p.count_include_pad = count_include_pad;
  return p;
}

SEEK_DEVICE_TEST(ChannelsLastTest, PoolingWithIndices) {
  SEEK_REQUIRE_FAMILY(BackendFamily::Pool);
  uint64_t seed = 900;
  const Shape xs{2, 5, 9, 7};
  for (const PoolParams& p :
       {pool(3, 2, 1, 1, false, true), pool(2, 2, 0, 1, true, false), pool(3, 1, 1, 2, false, true)}) {
    const std::string what = str("pool channels_last k", p.kernel[0], " s", p.stride[0], " p", p.padding[0], " d",
                                 p.dilation[0], p.ceil_mode ? " ceil" : "");
    const Tensor xv = random_f64(xs, -3, 3, ++seed);
    const Tensor x = place_cl(xv, dtype(), device()), x64 = to_f64(x);
    const Shape ys =
        max_pool2d(x64, Int2(p.kernel[0]), Int2(p.stride[0]), Int2(p.padding[0]), Int2(p.dilation[0]), p.ceil_mode)
            .sizes();
    Tensor y = empty_cl(ys, dtype(), device()), idx = empty_cl(ys, kInt64, device());
    dev().max_pool2d_forward(x, p, y, idx);
    Tensor want_y = empty_f64(ys), want_idx = empty(ys, TensorOptions(kInt64));
    backend(kCPU).max_pool2d_forward(x64, p, want_y, want_idx);
    expect_cl(y, what), expect_cl(idx, what + " indices");
    expect_equal(y, want_y, what + " max");
    expect_equal(idx, want_idx, what + " indices");

    const Tensor gy = place_cl(random_f64(ys, -1, 1, ++seed), dtype(), device());
    Tensor gx = empty_cl(xs, dtype(), device()), want_gx = empty_f64(xs);
    dev().max_pool2d_backward(gy, idx, gx);
    backend(kCPU).max_pool2d_backward(to_f64(gy), want_idx, want_gx);
    expect_cl(gx, what + " max grad");
    expect_close(gx, want_gx, tolerance(dtype()), what + " max grad", 1.0);

    if (p.dilation[0] != 1) continue;  // average pooling has no dilation
    Tensor a = empty_cl(ys, dtype(), device()), want_a = empty_f64(ys);
    dev().avg_pool2d_forward(x, p, a);
    backend(kCPU).avg_pool2d_forward(x64, p, want_a);
    expect_cl(a, what + " avg");
    expect_close(a, want_a, tolerance(dtype()), what + " avg", 1.0);
    Tensor ga = empty_cl(xs, dtype(), device()), want_ga = empty_f64(xs);
    dev().avg_pool2d_backward(gy, p, ga);
    backend(kCPU).avg_pool2d_backward(to_f64(gy), p, want_ga);
    expect_cl(ga, what + " avg grad");
    expect_close(ga, want_ga, tolerance(dtype()), what + " avg grad", 1.0);
  }
  // Adaptive average pooling (ResNet's head), forward and backward.
  const Tensor x = place_cl(random_f64(xs, -3, 3, ++seed), dtype(), device());
  Tensor a = empty_cl({2, 5, 3, 2}, dtype(), device()), want_a = empty_f64({2, 5, 3, 2});
  dev().adaptive_avg_pool2d_forward(x, a);
  backend(kCPU).adaptive_avg_pool2d_forward(to_f64(x), want_a);
  expect_cl(a, "adaptive_avg_pool2d");
  expect_close(a, want_a, tolerance(dtype()), "adaptive_avg_pool2d", 1.0);
  const Tensor gy = place_cl(random_f64({2, 5, 3, 2}, -1, 1, ++seed), dtype(), device());
  Tensor ga = empty_cl(xs, dtype(), device()), want_ga = empty_f64(xs);
  dev().adaptive_avg_pool2d_backward(gy, ga);
  backend(kCPU).adaptive_avg_pool2d_backward(to_f64(gy), want_ga);
  expect_cl(ga, "adaptive_avg_pool2d grad");
  expect_close(ga, want_ga, tolerance(dtype()), "adaptive_avg_pool2d grad", 1.0);
}

}  // namespace

SEEK_INSTANTIATE_ON_DEVICES(ChannelsLastTest, kFloat64, kFloat32, kBFloat16);

}  // namespace seek::backend_test
