// The index family on every device: gather, scatter (assign, add, multiply, max
// and min, from a tensor and from a value), index_select (negative indices too) and index_add
// (duplicate indices accumulate) along every dim, with inputs and indices in
// several layouts, into sentinel-guarded outputs, against the CPU backend in
// f64; and the gradients of gather and index_select against f64 on the CPU.
#include <functional>

#include "backend/backend_harness.h"
#include "support/test_util.h"

namespace seek::backend_test {
namespace {

class IndexTest : public DeviceTest {};

Tensor values(const Shape& shape, DType dt, uint64_t seed) {
  return is_floating(dt) ? random_f64(shape, -3, 3, seed) : random_ints_f64(shape, -50, 50, seed);
}

// Indices in [0, size) (or [-size, size) with negative), as an int64 tensor on the device.
Tensor indices(const Shape& shape, int64_t size, uint64_t seed, Device device, Layout layout = Layout::Contiguous,
               bool negative = false) {
  return place(random_ints_f64(shape, negative ? -size : 0, size - 1, seed), kInt64, device, layout);
}

// Indices distinct along `dim` of `shape` (for assigning scatters, whose result is otherwise unspecified).
Tensor distinct_indices(const Shape& shape, int64_t size, Device device) {
  Tensor t = empty(shape, TensorOptions(kInt64));
  int64_t* p = t.data_ptr<int64_t>();
  for (int64_t i = 0; i < shape[0]; ++i)
    for (int64_t j = 0; j < shape[1]; ++j) p[i * shape[1] + j] = (i + j) % size;  // i < size rows, j < size columns
  return t.to(device);
}

const Shape kShape{6, 7};

SEEK_DEVICE_TEST(IndexTest, Gather) {
  SEEK_REQUIRE_FAMILY(BackendFamily::Index);
  uint64_t seed = 151;
  for (int64_t dim : {0, 1}) {
    for (Layout layout : kLayouts) {
      const std::string what = str("gather along ", dim, " ", layout_name(layout));
      const Tensor in = place(values(kShape, dtype(), ++seed), dtype(), device(), layout);
      const Shape idx_shape{5, 4};
      const Tensor idx = indices(idx_shape, kShape[dim], ++seed, device(), layout);
      GuardedOutput g = guarded_empty(idx_shape, dtype(), device(), layout == Layout::Contiguous);
      dev().gather(in, dim, idx, g.out);
      Tensor want = empty(idx_shape, TensorOptions(kFloat64));
      backend(kCPU).gather(to_f64(in), dim, idx.cpu(), want);
      expect_equal(g.out, want, what);
      expect_sentinels_intact(g, what);
    }
  }
}

SEEK_DEVICE_TEST(IndexTest, Scatter) {
  SEEK_REQUIRE_FAMILY(BackendFamily::Index);
  uint64_t seed = 161;
  for (ScatterMode mode :
       {ScatterMode::Assign, ScatterMode::Add, ScatterMode::Multiply, ScatterMode::Max, ScatterMode::Min}) {
    for (bool from_value : {false, true}) {
      for (int64_t dim : {0, 1}) {
        for (Layout layout : kLayouts) {
          const char* names[] = {"scatter", "scatter_add", "scatter_multiply", "scatter_max", "scatter_min"};
          const std::string what =
              str(names[static_cast<int>(mode)], from_value ? " value" : "", " along ", dim, " ", layout_name(layout));
          const Shape idx_shape{4, 5};
          const Tensor idx = mode == ScatterMode::Assign ? distinct_indices(idx_shape, kShape[dim], device())
                                                         : indices(idx_shape, kShape[dim], ++seed, device(), layout);
          const Tensor src =
              from_value ? Tensor() : place(values(idx_shape, dtype(), ++seed), dtype(), device(), layout);
          const Tensor base = values(kShape, dtype(), ++seed);
          GuardedOutput g = guarded_like(base, dtype(), device(), layout == Layout::Contiguous);
          Tensor want = to_f64(g.out);
          dev().scatter(mode, g.out, dim, idx, src, 2);
          backend(kCPU).scatter(mode, want, dim, idx.cpu(), from_value ? Tensor() : to_f64(src), 2);
          expect_close(g.out, want, loose_tolerance(dtype()), what, 3.0);
          expect_sentinels_intact(g, what);
        }
      }
    }
  }
}

SEEK_DEVICE_TEST(IndexTest, IndexSelectAndAdd) {
  SEEK_REQUIRE_FAMILY(BackendFamily::Index);
  uint64_t seed = 171;
  for (int64_t dim : {0, 1}) {
    for (Layout layout : kLayouts) {
      const std::string what = str(" along ", dim, " ", layout_name(layout));
      const Tensor in = place(values(kShape, dtype(), ++seed), dtype(), device(), layout);
      const Tensor idx = indices({9}, kShape[dim], ++seed, device(), Layout::Stepped, /*negative=*/true);
      Shape out_shape = kShape;
      out_shape[dim] = 9;
      GuardedOutput g = guarded_empty(out_shape, dtype(), device(), layout == Layout::Contiguous);
      dev().index_select(in, dim, idx, g.out);
      Tensor want = empty(out_shape, TensorOptions(kFloat64));
      backend(kCPU).index_select(to_f64(in), dim, idx.cpu(), want);
      expect_equal(g.out, want, "index_select" + what);
      expect_sentinels_intact(g, "index_select" + what);

      // 9 indices into 6 or 7 slices: some repeat, and their sources accumulate.
      const Tensor source = place(values(out_shape, dtype(), ++seed), dtype(), device(), layout);
      GuardedOutput acc =
          guarded_like(values(kShape, dtype(), ++seed), dtype(), device(), layout == Layout::Contiguous);
      Tensor want_acc = to_f64(acc.out);
      dev().index_add(acc.out, dim, idx, source, 2);
      backend(kCPU).index_add(want_acc, dim, idx.cpu(), to_f64(source), 2);
      expect_close(acc.out, want_acc, loose_tolerance(dtype()), "index_add" + what, 6.0);
      expect_sentinels_intact(acc, "index_add" + what);
    }
  }
}

SEEK_DEVICE_TEST(IndexTest, Gradients) {
  SEEK_REQUIRE_FAMILY(BackendFamily::Index);
  if (!is_floating(dtype())) GTEST_SKIP() << "gradients need a floating dtype";
  const Tensor gather_idx = indices({5, 7}, kShape[0], 3, device());
  const Tensor select_idx = indices({9}, kShape[1], 4, device());
  const std::pair<const char*, std::function<Tensor(const Tensor&, bool)>> cases[] = {
      {"gather", [&](const Tensor& t, bool host) { return gather(t, 0, host ? gather_idx.cpu() : gather_idx); }},
      {"index_select",
       [&](const Tensor& t, bool host) { return index_select(t, 1, host ? select_idx.cpu() : select_idx); }},
  };
  uint64_t seed = 1001;
  for (const auto& [name, fn] : cases) {
    const Tensor x = leaf(random_f64(kShape, -3, 3, ++seed), dtype(), device(), Layout::Transposed);
    const Tensor y = fn(x, false);
    const Tensor gy = place(random_f64(y.sizes(), -1, 1, ++seed), dtype(), device());
    const Tensor x64 = to_f64(x).requires_grad_();
    expect_close(grads_of(y, gy, {x})[0], grads_of(fn(x64, true), to_f64(gy), {x64})[0], loose_tolerance(dtype()),
                 str("grad of ", name), 3.0);
  }
}

// Shapes that take several blocks on a GPU: gather / index_select over thousands of elements,
// scatters with hundreds of slices each walking `dim`, with repeated indices.
SEEK_DEVICE_TEST(IndexTest, LargeShapes) {
  SEEK_REQUIRE_FAMILY(BackendFamily::Index);
  const Shape shape{20, 5, 30};
  const Tensor in = place(values(shape, dtype(), 201), dtype(), device(), Layout::Transposed);
  const Tensor gidx = indices({20, 4, 30}, 5, 202, device());
  Tensor got = empty({20, 4, 30}, TensorOptions(dtype()).device(device()));
  dev().gather(in, 1, gidx, got);
  Tensor want = empty({20, 4, 30}, TensorOptions(kFloat64));
  backend(kCPU).gather(to_f64(in), 1, gidx.cpu(), want);
  expect_equal(got, want, "large gather");

  const Tensor sidx = indices({20, 3, 30}, 5, 203, device());
  const Tensor src = place(values({20, 3, 30}, dtype(), 204), dtype(), device());
  Tensor acc = place(values(shape, dtype(), 205), dtype(), device());
  Tensor want_acc = to_f64(acc);
  dev().scatter(ScatterMode::Add, acc, 1, sidx, src, 1);
  backend(kCPU).scatter(ScatterMode::Add, want_acc, 1, sidx.cpu(), to_f64(src), 1);
  expect_close(acc, want_acc, loose_tolerance(dtype()), "large scatter_add", 3.0);

  const Tensor aidx = indices({45}, 30, 206, device(), Layout::Contiguous, /*negative=*/true);
  const Tensor source = place(values({20, 5, 45}, dtype(), 207), dtype(), device());
  Tensor out = place(values(shape, dtype(), 208), dtype(), device());
  Tensor want_out = to_f64(out);
  dev().index_add(out, 2, aidx, source, 1);
  backend(kCPU).index_add(want_out, 2, aidx.cpu(), to_f64(source), 1);
  expect_close(out, want_out, loose_tolerance(dtype()), "large index_add", 8.0);
}

// An index out of range is an IndexError naming the first bad value (row-major), raised
// before anything is written.
SEEK_DEVICE_TEST(IndexTest, OutOfRangeIndex) {
  SEEK_REQUIRE_FAMILY(BackendFamily::Index);
  const Tensor in = place(values(kShape, dtype(), 211), dtype(), device());
  const Tensor bad = tensor<int64_t>({0, 1, 7, 2, -1, 3}, {2, 3}).to(device());  // 7 and -1 are out of range
  Tensor out = place(values({2, 3}, dtype(), 212), dtype(), device());
  const Tensor before = to_f64(out);
  EXPECT_SEEK_ERROR_ALL(dev().gather(in, 1, bad, out), IndexError,
                        {"index 7 is out of bounds for dimension 1 with size 7"});
  expect_equal(out, before, "gather output after a bad index");

  Tensor base = place(values(kShape, dtype(), 213), dtype(), device());
  const Tensor base_before = to_f64(base);
  const Tensor src = place(values({2, 3}, dtype(), 214), dtype(), device());
  EXPECT_SEEK_ERROR_ALL(dev().scatter(ScatterMode::Add, base, 0, bad, src, 1), IndexError,
                        {"index 7 is out of bounds for dimension 0 with size 6"});
  expect_equal(base, base_before, "scatter output after a bad index");

  const Tensor wrapped = tensor<int64_t>({3, -6, -7, 2}, {4}).to(device());  // -6 counts from the end, -7 is out
  Tensor sel = empty({4, 7}, TensorOptions(dtype()).device(device()));
  EXPECT_SEEK_ERROR_ALL(dev().index_select(in, 0, wrapped, sel), IndexError,
                        {"index -7 is out of bounds for dimension 0 with size 6"});
  EXPECT_SEEK_ERROR_ALL(dev().index_add(base, 0, wrapped, sel, 1), IndexError,
                        {"index -7 is out of bounds for dimension 0 with size 6"});
  expect_equal(base, base_before, "index_add output after a bad index");
}

SEEK_INSTANTIATE_ON_DEVICES(IndexTest, kFloat64, kFloat32, kFloat16, kBFloat16, kInt64, kInt32);

}  // namespace
}  // namespace seek::backend_test
