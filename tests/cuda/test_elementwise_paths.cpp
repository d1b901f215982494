// The elementwise kernels' own branches (kernels/elementwise_path.cuh): which loop a
// set of operands takes (16-byte vectors, linear, strided), and that each gives the CPU
// backend's results bit for bit on views that start off the vector alignment, on sizes
// with every tail length, and on sizes that need several blocks; the output's
// neighbours in its buffer must keep their sentinel. The ops checked are exact (neg,
// add, comparisons, where, clamp), so any misplaced element shows. Skips without a GPU.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "kernels/elementwise_path.cuh"
#include "seek/cuda.h"
#include "seek/seek.h"

using namespace seek;
using cuda::ElementwisePath;

namespace {

class ElementwisePaths : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!cuda::is_available()) GTEST_SKIP() << "no CUDA GPU visible: " << cuda::build_info();
    cuda::set_device(0);
  }
};

const char* path_name(ElementwisePath p) {
  return p == ElementwisePath::Vector ? "vector" : p == ElementwisePath::Linear ? "linear" : "strided";
}

template <int K>
ElementwisePath path_of(const std::array<const Tensor*, K>& ops) {
  const cuda::StridedLayout<K> layout = cuda::make_layout<K>(ops, "test");
  std::array<const void*, K> ptrs;
  std::array<size_t, K> bytes;
  for (int k = 0; k < K; ++k) {
    ptrs[k] = ops[k]->data_ptr();
    bytes[k] = ops[k]->element_size();
  }
  return cuda::choose_path<K>(layout, ptrs, bytes);
}

// n values in [-56, 56] ([0, 112] for uint8; every 5th one 0) as `dtype` on the GPU,
// starting `offset` elements into a larger buffer.
Tensor values_at(int64_t n, int64_t offset, DType dtype, int64_t seed) {
  std::vector<double> v(static_cast<size_t>(n + offset + 3));
  const double shift = dtype == DType::UInt8 ? 0.0 : 56.0;
  for (size_t i = 0; i < v.size(); ++i)
    v[i] = i % 5 == 2 ? 0.0 : static_cast<double>((i * 37 + seed * 11) % 113) - shift;
  return tensor<double>(v, {static_cast<int64_t>(v.size())}).to(kCUDA, dtype).narrow(0, offset, n);
}

constexpr double kSentinel = 77;

// An output of n elements `offset` into a buffer of sentinels.
Tensor guarded_out(int64_t n, int64_t offset, DType dtype, Tensor* buffer) {
  *buffer = empty({n + offset + 5}, TensorOptions(dtype).device(kCUDA));
  buffer->fill_(dtype == kBool ? 1 : kSentinel);
  return buffer->narrow(0, offset, n);
}

std::vector<double> values(const Tensor& t) { return to_vector<double>(t.to(kCPU).to(kF64)); }

// got (a GPU view into `buffer` at `offset`) equals want, and the rest of buffer is untouched.
void expect_result(const Tensor& buffer, int64_t offset, const Tensor& want, const std::string& what) {
  const std::vector<double> b = values(buffer), w = values(want);
  const double sentinel = buffer.dtype() == kBool ? 1 : kSentinel;
  for (size_t i = 0; i < b.size(); ++i) {
    const int64_t j = static_cast<int64_t>(i) - offset;
    const bool inside = j >= 0 && j < static_cast<int64_t>(w.size());
    const double expect = inside ? w[static_cast<size_t>(j)] : sentinel;
    ASSERT_EQ(b[i], expect) << what << ": buffer element " << i << (inside ? " (output)" : " (sentinel)");
  }
}

// Sizes around the vector widths (2..16 elements) for every tail, and one that needs several blocks.
const int64_t kSizes[] = {1, 3, 4, 5, 7, 8, 9, 15, 16, 17, 33, 3 * 256 * 16 + 13};

TEST_F(ElementwisePaths, ChoiceFollowsAlignmentStridesAndSize) {
  const Tensor buf = empty({4096}, TensorOptions(kF32).device(kCUDA));
  const Tensor out = empty({64}, TensorOptions(kF32).device(kCUDA));
  const Tensor dense = buf.narrow(0, 0, 64), off1 = buf.narrow(0, 1, 64), off4 = buf.narrow(0, 4, 64);
  EXPECT_EQ(path_of<2>({&out, &dense}), ElementwisePath::Vector);
  EXPECT_EQ(path_of<2>({&out, &off1}), ElementwisePath::Linear);  // 4 bytes off a 16-byte vector
  EXPECT_EQ(path_of<2>({&out, &off4}), ElementwisePath::Vector);  // 16 bytes on
  EXPECT_EQ(path_of<2>({&off1, &dense}), ElementwisePath::Linear);
  const Tensor stepped = buf.slice(0, 0, 128, 2);
  EXPECT_EQ(path_of<2>({&out, &stepped}), ElementwisePath::Linear);
  const Tensor scalar = buf.narrow(0, 3, 1).expand({64});  // stride 0: loaded once, any alignment
  EXPECT_EQ(path_of<3>({&out, &dense, &scalar}), ElementwisePath::Vector);
  const Tensor small_out = empty({3}, TensorOptions(kF32).device(kCUDA)), small = buf.narrow(0, 0, 3);
  EXPECT_EQ(path_of<2>({&small_out, &small}), ElementwisePath::Linear);  // fewer than one vector
  const Tensor square = buf.narrow(0, 0, 64).view({8, 8}), out2 = empty({8, 8}, TensorOptions(kF32).device(kCUDA));
  const Tensor transposed = square.t();
  EXPECT_EQ(path_of<2>({&out2, &transposed}), ElementwisePath::Strided);
  // The widest operand sets the width: f32 -> bool moves 4 elements, 4 bytes of bool.
  const Tensor flags = empty({64}, TensorOptions(kBool).device(kCUDA));
  const Tensor flags4 = flags.narrow(0, 4, 8), flags2 = flags.narrow(0, 2, 8), eight = buf.narrow(0, 0, 8);
  EXPECT_EQ(path_of<2>({&flags4, &eight}), ElementwisePath::Vector);
  EXPECT_EQ(path_of<2>({&flags2, &eight}), ElementwisePath::Linear);
  // f16: 8 elements per vector.
  const Tensor halves = empty({64}, TensorOptions(kF16).device(kCUDA));
  const Tensor h8 = halves.narrow(0, 8, 16), h4 = halves.narrow(0, 4, 16),
               hout = empty({16}, TensorOptions(kF16).device(kCUDA));
  EXPECT_EQ(path_of<2>({&hout, &h8}), ElementwisePath::Vector);
  EXPECT_EQ(path_of<2>({&hout, &h4}), ElementwisePath::Linear);
}

TEST_F(ElementwisePaths, UnaryOffsetsTailsAndBlocks) {
  for (DType dt : {kF32, kF16, kF64, DType::UInt8, kI64}) {
    for (int64_t n : kSizes) {
      for (int64_t in_off : {0, 1, 3}) {
        for (int64_t out_off : {0, 1}) {
          const std::string what = std::string("neg ") + dtype_name(dt) + " n=" + std::to_string(n) + " in+" +
                                   std::to_string(in_off) + " out+" + std::to_string(out_off);
          const Tensor in = values_at(n, in_off, dt, n);
          Tensor buffer;
          const Tensor out = guarded_out(n, out_off, dt, &buffer);
          if (in_off == 0 && out_off == 0 && n >= 16)
            EXPECT_EQ(path_of<2>({&out, &in}), ElementwisePath::Vector) << what;
          backend(kCUDA).unary(UnaryOp::Neg, in, out, {});
          const Tensor host_in = in.to(kCPU), want = empty({n}, dt);
          backend(kCPU).unary(UnaryOp::Neg, host_in, want, {});
          expect_result(buffer, out_off, want, what + " (" + path_name(path_of<2>({&out, &in})) + ")");
        }
      }
    }
  }
}

// add with a broadcast scalar (stride 0 on the vector path) and a comparison into bool.
TEST_F(ElementwisePaths, BinaryBroadcastScalarAndBoolOutput) {
  for (DType dt : {kF32, kBF16, kI32}) {
    for (int64_t n : kSizes) {
      for (int64_t off : {0, 2}) {
        const std::string what = std::string(dtype_name(dt)) + " n=" + std::to_string(n) + " +" + std::to_string(off);
        const Tensor a = values_at(n, off, dt, 1), b = values_at(n, 0, dt, 2);
        const Tensor scalar = values_at(1, 5, dt, 3).expand({n});
        Tensor buffer, flags_buffer;
        const Tensor sum = guarded_out(n, off, dt, &buffer), flags = guarded_out(n, off, kBool, &flags_buffer);
        backend(kCUDA).binary(BinaryOp::Add, a, scalar, sum);
        backend(kCUDA).binary(BinaryOp::Lt, a, b, flags);
        const Tensor ha = a.to(kCPU), hb = b.to(kCPU), hs = scalar.to(kCPU);
        const Tensor want_sum = empty({n}, dt), want_flags = empty({n}, kBool);
        backend(kCPU).binary(BinaryOp::Add, ha, hs, want_sum);
        backend(kCPU).binary(BinaryOp::Lt, ha, hb, want_flags);
        expect_result(buffer, off, want_sum, "add " + what + " (" + path_name(path_of<3>({&sum, &a, &scalar})) + ")");
        expect_result(flags_buffer, off, want_flags,
                      "lt " + what + " (" + path_name(path_of<3>({&flags, &a, &b})) + ")");
      }
    }
  }
}

// where with a bool mask (the mask's 1-byte vectors), and clamp with scalar bounds.
TEST_F(ElementwisePaths, TernaryMaskAndScalarBounds) {
  for (DType dt : {kF32, kF16, kF64}) {
    for (int64_t n : kSizes) {
      for (int64_t off : {0, 1}) {
        const std::string what = std::string(dtype_name(dt)) + " n=" + std::to_string(n) + " +" + std::to_string(off);
        const Tensor mask = values_at(n, off, kF32, 4).gt(0.0), x = values_at(n, off, dt, 5),
                     y = values_at(n, 0, dt, 6);
        const Tensor lo = full({1}, -20.0, TensorOptions(dt).device(kCUDA)).expand({n});
        const Tensor hi = full({1}, 30.0, TensorOptions(dt).device(kCUDA)).expand({n});
        Tensor wbuf, cbuf;
        const Tensor chosen = guarded_out(n, off, dt, &wbuf), clamped = guarded_out(n, off, dt, &cbuf);
        backend(kCUDA).ternary(TernaryOp::Where, mask, x, y, chosen, {});
        backend(kCUDA).ternary(TernaryOp::Clamp, x, lo, hi, clamped, {});
        const Tensor want_where = empty({n}, dt), want_clamp = empty({n}, dt);
        backend(kCPU).ternary(TernaryOp::Where, mask.to(kCPU), x.to(kCPU), y.to(kCPU), want_where, {});
        backend(kCPU).ternary(TernaryOp::Clamp, x.to(kCPU), lo.to(kCPU), hi.to(kCPU), want_clamp, {});
        expect_result(wbuf, off, want_where,
                      "where " + what + " (" + path_name(path_of<4>({&chosen, &mask, &x, &y})) + ")");
        expect_result(cbuf, off, want_clamp,
                      "clamp " + what + " (" + path_name(path_of<4>({&clamped, &x, &lo, &hi})) + ")");
      }
    }
  }
}

// A 0-d tensor takes the linear path with no dims; an empty one launches nothing.
TEST_F(ElementwisePaths, ZeroDimAndEmptyOperands) {
  const Tensor x = full({}, 2.5, TensorOptions(kF32).device(kCUDA)),
               y = full({}, -4.0, TensorOptions(kF32).device(kCUDA));
  const Tensor out = empty({}, TensorOptions(kF32).device(kCUDA));
  EXPECT_EQ(path_of<3>({&out, &x, &y}), ElementwisePath::Linear);
  backend(kCUDA).binary(BinaryOp::Mul, x, y, out);
  EXPECT_EQ(out.to(kCPU).item<double>(), -10.0);
  backend(kCUDA).unary(UnaryOp::Abs, out, out, {});
  EXPECT_EQ(out.to(kCPU).item<double>(), 10.0);
  const Tensor none = empty({0, 3}, TensorOptions(kF16).device(kCUDA));
  EXPECT_NO_THROW(backend(kCUDA).unary(UnaryOp::Exp, none, none, {}));
  EXPECT_NO_THROW(backend(kCUDA).ternary(TernaryOp::Lerp, none, none, none, none, {}));
}

// Operands on different devices or of the wrong dtypes are refused with the op's name.
TEST_F(ElementwisePaths, BadOperandsAreRefused) {
  const Tensor d = empty({4}, TensorOptions(kF32).device(kCUDA)), h = empty({4}, kF32);
  EXPECT_THROW(backend(kCUDA).binary(BinaryOp::Add, d, h, d), DeviceError);
  EXPECT_THROW(backend(kCUDA).binary(BinaryOp::Add, d, d.to(kF64), d), DTypeError);
  EXPECT_THROW(backend(kCUDA).unary(UnaryOp::Exp, d.to(kI32), d.to(kI32), {}), DTypeError);
  EXPECT_THROW(backend(kCUDA).ternary(TernaryOp::Lerp, d, d, h, d, {}), DeviceError);
  EXPECT_THROW(backend(kCUDA).binary(BinaryOp::Add, d, empty({5}, TensorOptions(kF32).device(kCUDA)), d), ShapeError);
}

}  // namespace
