#pragma once
// Which GEMM implementation runs a 16-bit (f16/bf16 in, f32 accumulate) product on CUDA: the
// Hopper kernel (kernels/linalg_hopper_gemm.cu), the mma.sync kernel (kernels/linalg_mp_gemm.cu)
// or cuBLASLt (kernels/linalg_lt.cu). Plain C++ (no kernels), so the choice is tested anywhere.
//
// Trick: a small table per (dtype, shape class) that the GPU check writes after timing the
// three paths on the machine (benchmarks/gpu/bench_gpu --write-gemm-table), loaded from the file
// SEEK_CUDA_GEMM_TABLE names; until a table is loaded every entry is cuBLASLt. SEEK_CUDA_GEMM=
// lt|mp|hopper forces one path (own: seek's generic tiled kernel, as before). A path that cannot
// run the product falls back: Hopper needs an sm_90 device and TMA-aligned operands (else Lt on a
// GPU), and the simulated device, which has no cuBLASLt, runs Mp where the table says Lt.
//
// Table file: one entry per line, `<dtype> <class> <path>` (dtype bf16|f16, class
// small|medium|large, path lt|mp|hopper); '#' starts a comment; entries not listed stay lt.
#include <array>
#include <cstdint>
#include <string>

#include "seek/core/dtype.h"

namespace seek::cuda {

enum class GemmPath { Lt, Mp, Hopper, Own };
enum class GemmShapeClass { Small, Medium, Large };
constexpr int kGemmShapeClasses = 3;

// By the work of the whole product, batch * M * N * K: small up to 2^27 (512^3), medium up to
// 2^33 (2048^3), large beyond.
GemmShapeClass gemm_shape_class(int64_t batch, int64_t M, int64_t N, int64_t K);

const char* gemm_path_name(GemmPath p);
const char* gemm_shape_class_name(GemmShapeClass c);

class GemmDispatchTable {
 public:
  GemmDispatchTable();  // every entry Lt
  GemmPath get(DType dtype, GemmShapeClass c) const;
  void set(DType dtype, GemmShapeClass c, GemmPath p);  // dtype f16 or bf16, p not Own
  // Parses the file format above; throws seek::Error naming the line and the bad word. `origin`
  // names the text in messages (a path).
  static GemmDispatchTable parse(const std::string& text, const std::string& origin);
  static GemmDispatchTable load(const std::string& path);  // parse(file contents)
  std::string str() const;                                 // the file format, every entry
  bool operator==(const GemmDispatchTable&) const = default;

 private:
  std::array<GemmPath, 2 * kGemmShapeClasses> paths_;
};

// The table in use: set_gemm_dispatch_table's, else the file SEEK_CUDA_GEMM_TABLE names (read
// once; a bad file throws), else all Lt.
GemmDispatchTable gemm_dispatch_table();
void set_gemm_dispatch_table(const GemmDispatchTable& t);
// Parses a SEEK_CUDA_GEMM value: "" -> no override (returns false); lt|mp|hopper|own -> true with
// *out set; anything else throws seek::Error listing the choices.
bool parse_gemm_override(const std::string& value, GemmPath* out);

struct GemmProblem {
  DType dtype = DType::BFloat16;
  int64_t batch = 1, M = 0, N = 0, K = 0;
  bool hopper_ok = false;  // an sm_90 device and operands the Hopper kernel takes
  bool simulated = false;  // the simulated device (no cuBLASLt)
};

// The path for one product: the override (SEEK_CUDA_GEMM, read once; `override_value`
// replaces it when non-null), else the table's entry; then the fallbacks above.
GemmPath choose_gemm_path(const GemmProblem& p, const char* override_value = nullptr);

// How many 16-bit products each path was chosen for since the process started (gemm_forward
// counts its choices), for tests and benchmarks to see which path ran.
void count_gemm_path(GemmPath p);
int64_t gemm_path_count(GemmPath p);

}  // namespace seek::cuda
