// The 16-bit GEMM dispatch table (src/backend/cuda/gemm_dispatch.h): shape classes, the table
// file's format and its errors, the choice with its fallbacks and the SEEK_CUDA_GEMM override,
// and, on the simulated device, that matmul and nn::Linear under autocast run the path the
// table names (the Hopper kernel, the mma.sync kernel), counted by gemm_path_count.
#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>
#include <string>

#include "backend/cuda/cuda_backend.h"
#include "backend/cuda/gemm_dispatch.h"
#include "seek/seek.h"

using namespace seek;
using namespace seek::cuda;

namespace {

// Restores the process's table when a test ends.
struct TableScope {
  GemmDispatchTable saved = gemm_dispatch_table();
  ~TableScope() { set_gemm_dispatch_table(saved); }
};

TEST(GemmDispatch, ShapeClassesByWork) {
  EXPECT_EQ(gemm_shape_class(1, 512, 512, 512), GemmShapeClass::Small);
  EXPECT_EQ(gemm_shape_class(1, 512, 512, 513), GemmShapeClass::Medium);
  EXPECT_EQ(gemm_shape_class(8, 256, 256, 512), GemmShapeClass::Medium);  // the batch counts
  EXPECT_EQ(gemm_shape_class(1, 2048, 2048, 2048), GemmShapeClass::Medium);
  EXPECT_EQ(gemm_shape_class(1, 4096, 4096, 4096), GemmShapeClass::Large);
  EXPECT_EQ(gemm_shape_class(1 << 20, 1 << 20, 1 << 20, 1 << 20), GemmShapeClass::Large);  // no overflow
}

TEST(GemmDispatch, TableFileRoundTripsAndDefaultsToLt) {
  const GemmDispatchTable t = GemmDispatchTable::parse("# measured\nbf16 large hopper\n\nf16 medium mp  # note\n", "t");
  EXPECT_EQ(t.get(DType::BFloat16, GemmShapeClass::Large), GemmPath::Hopper);
  EXPECT_EQ(t.get(DType::Float16, GemmShapeClass::Medium), GemmPath::Mp);
  EXPECT_EQ(t.get(DType::BFloat16, GemmShapeClass::Small), GemmPath::Lt);
  EXPECT_EQ(GemmDispatchTable::parse(t.str(), "str"), t);
  EXPECT_EQ(GemmDispatchTable(), GemmDispatchTable::parse("", "empty"));

  const std::string path = testing::TempDir() + "seek_gemm_table.txt";
  std::ofstream(path) << t.str();
  EXPECT_EQ(GemmDispatchTable::load(path), t);
  std::remove(path.c_str());
  EXPECT_THROW(GemmDispatchTable::load(path), IOError);
}

void expect_error(const std::string& text, const std::string& words) {
  try {
    GemmDispatchTable::parse(text, "table.txt");
    ADD_FAILURE() << "expected an error for `" << text << "`";
  } catch (const ValueError& e) {
    EXPECT_NE(std::string(e.what()).find(words), std::string::npos) << e.what();
  }
}

TEST(GemmDispatch, BadTableLinesAreNamed) {
  expect_error("bf16 large\n", "table.txt:1: expected `<dtype> <class> <path>`");
  expect_error("\nf32 large lt\n", "table.txt:2: dtype `f32` is not bf16 or f16");
  expect_error("bf16 huge lt\n", "table.txt:1: class `huge` is not small, medium or large");
  expect_error("bf16 large cublas\n", "table.txt:1: path `cublas` is not lt, mp or hopper");
  expect_error("bf16 large own\n", "path `own` is not lt, mp or hopper");
  expect_error("bf16 large lt extra\n", "table.txt:1: expected");
}

TEST(GemmDispatch, ChoiceFallbacksAndOverride) {
  TableScope scope;
  GemmDispatchTable t;
  t.set(DType::BFloat16, GemmShapeClass::Large, GemmPath::Hopper);
  t.set(DType::Float16, GemmShapeClass::Large, GemmPath::Mp);
  set_gemm_dispatch_table(t);
  GemmProblem p;
  p.dtype = DType::BFloat16, p.M = p.N = p.K = 4096, p.hopper_ok = true;
  EXPECT_EQ(choose_gemm_path(p, ""), GemmPath::Hopper);
  p.hopper_ok = false;  // not sm_90, or operands TMA cannot load
  EXPECT_EQ(choose_gemm_path(p, ""), GemmPath::Lt);
  p.simulated = true;  // no cuBLASLt on the simulated device
  EXPECT_EQ(choose_gemm_path(p, ""), GemmPath::Mp);
  p.simulated = false, p.hopper_ok = true;
  p.M = 64;  // small: not in the table
  EXPECT_EQ(choose_gemm_path(p, ""), GemmPath::Lt);
  p.dtype = DType::Float16, p.M = 4096;
  EXPECT_EQ(choose_gemm_path(p, ""), GemmPath::Mp);
  // SEEK_CUDA_GEMM overrides the table, with the same fallbacks.
  EXPECT_EQ(choose_gemm_path(p, "lt"), GemmPath::Lt);
  EXPECT_EQ(choose_gemm_path(p, "hopper"), GemmPath::Hopper);
  EXPECT_EQ(choose_gemm_path(p, "own"), GemmPath::Own);
  p.hopper_ok = false;
  EXPECT_EQ(choose_gemm_path(p, "hopper"), GemmPath::Lt);
  EXPECT_THROW(choose_gemm_path(p, "fast"), ValueError);
  EXPECT_THROW(t.set(DType::Float32, GemmShapeClass::Large, GemmPath::Lt), DTypeError);
}

#if defined(SEEK_CUDA_SIM)
// On the simulated device matmul and Linear (fused bias epilogue) under autocast run the path
// the table names; exact on integer-valued data either way.
TEST(GemmDispatch, MatmulAndLinearRunTheTablesPath) {
  TableScope scope;
  const Tensor a = randint(-1, 2, {2, 40, 64}, kFloat32);
  const Tensor b = randint(-1, 2, {64, 24}, kFloat32);
  const Tensor want = matmul(a.to(kFloat64), b.to(kFloat64));
  nn::Linear lin(64, 24);
  {
    NoGradGuard ng;
    lin.param("weight").copy_(randint(-2, 3, {24, 64}, kFloat32));
    lin.param("bias").copy_(randint(-2, 3, {24}, kFloat32));
  }
  const Tensor x = randint(-2, 3, {40, 64}, kFloat32);
  const Tensor want_lin = lin.forward(x);
  lin.to(kCUDA);
  for (GemmPath path : {GemmPath::Hopper, GemmPath::Mp}) {
    SCOPED_TRACE(gemm_path_name(path));
    GemmDispatchTable t;
    for (DType dt : {DType::BFloat16, DType::Float16}) t.set(dt, GemmShapeClass::Small, path);
    set_gemm_dispatch_table(t);
    const int64_t before = gemm_path_count(path);
    const Tensor got = matmul(a.to(kCUDA, kBFloat16), b.to(kCUDA, kBFloat16));
    EXPECT_TRUE(equal(got.to(kCPU).to(kFloat64), want));
    EXPECT_EQ(gemm_path_count(path), before + 1);
    amp::AutocastGuard guard(DeviceType::CUDA, kBFloat16);
    const Tensor y = lin.forward(x.to(kCUDA));
    EXPECT_EQ(y.dtype(), kBFloat16);
    EXPECT_TRUE(equal(y.to(kCPU).to(kFloat32), want_lin));
    EXPECT_EQ(gemm_path_count(path), before + 2);
  }
}
#endif

}  // namespace
