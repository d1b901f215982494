// Direct (no im2col) float32 convolution, groups 1: the forward pass and the weight
// gradient of stride-1, dilation-1 convs with padding at most kernel - 1 (whose input
// gradient is itself such a forward conv, see cpu_conv.cpp), and of any stride,
// dilation and padding when the output channels are a multiple of 32 (AVX-512; 16 with
// AVX2, 8 otherwise); the input gradient of the other convs when the input channels are
// such a multiple. Internal to the CPU backend; cpu_conv.cpp decides when to use it.
#pragma once

#include <cstdint>

namespace seek::cpu::direct {

struct ConvShape {
  int64_t N, C, H, W;                      // input [N, C, H, W]
  int64_t O, kh, kw;                       // weight [O, C, kh, kw]
  int64_t ph, pw;                          // zero padding
  int64_t sh = 1, sw = 1, dh = 1, dw = 1;  // stride, dilation
  // output [N, O, OH, OW]
  int64_t OH() const { return (H + 2 * ph - dh * (kh - 1) - 1) / sh + 1; }
  int64_t OW() const { return (W + 2 * pw - dw * (kw - 1) - 1) / sw + 1; }
};

// True for stride 1, dilation 1 and padding <= kernel - 1 (input gradient = forward conv).
bool stride_one(const ConvShape& s);
// True when the direct path handles this conv (all other convs stay on im2col).
bool supported(const ConvShape& s, int64_t groups);

// y = conv(x, w) + b; all contiguous, b may be null. y is overwritten.
void forward(const float* x, const float* w, const float* b, float* y, const ConvShape& s);

// The input gradient gx of y = conv(x, w) for grad_out gy, any stride, dilation and padding (the
// stride-1 convs' is a forward conv instead, see cpu_conv.cpp); gx is overwritten. Supported for
// groups 1 with C a multiple of 2 vectors (cpu_conv_direct_grad_input.cpp).
bool grad_input_supported(const ConvShape& s, int64_t groups);
void grad_input(const float* gy, const float* w, float* gx, const ConvShape& s);

// gw = sum over images of grad_out (x) input correlations; gw is overwritten. Deterministic:
// images are summed in fixed chunks and the chunks in a fixed order, whatever the threads do.
void grad_weight(const float* gy, const float* x, float* gw, const ConvShape& s);

}  // namespace seek::cpu::direct
