// The 16-bit GEMM dispatch table (gemm_dispatch.h): parsing, the process-wide table, the choice.
#include "backend/cuda/gemm_dispatch.h"

#include <atomic>
#include <cstdlib>
#include <fstream>
#include <mutex>
#include <optional>
#include <sstream>

#include "seek/core/error.h"

namespace seek::cuda {

namespace {

int dtype_index(DType dt) {
  SEEK_CHECK_DTYPE(dt == DType::BFloat16 || dt == DType::Float16,
                   "gemm dispatch: the table has f16 and bf16 entries, got ", dt);
  return dt == DType::BFloat16 ? 0 : 1;
}

std::mutex g_mutex;
std::atomic<int64_t> g_counts[4];
std::optional<GemmDispatchTable> g_table;

}  // namespace

GemmShapeClass gemm_shape_class(int64_t batch, int64_t M, int64_t N, int64_t K) {
  // In double: the product of four int64 sizes can overflow.
  const double work =
      static_cast<double>(batch) * static_cast<double>(M) * static_cast<double>(N) * static_cast<double>(K);
  if (work <= 134217728.0) return GemmShapeClass::Small;    // 2^27
  if (work <= 8589934592.0) return GemmShapeClass::Medium;  // 2^33
  return GemmShapeClass::Large;
}

const char* gemm_path_name(GemmPath p) {
  switch (p) {
    case GemmPath::Lt: return "lt";
    case GemmPath::Mp: return "mp";
    case GemmPath::Hopper: return "hopper";
    default: return "own";
  }
}

const char* gemm_shape_class_name(GemmShapeClass c) {
  switch (c) {
    case GemmShapeClass::Small: return "small";
    case GemmShapeClass::Medium: return "medium";
    default: return "large";
  }
}

GemmDispatchTable::GemmDispatchTable() { paths_.fill(GemmPath::Lt); }

GemmPath GemmDispatchTable::get(DType dtype, GemmShapeClass c) const {
  return paths_[static_cast<size_t>(dtype_index(dtype) * kGemmShapeClasses + static_cast<int>(c))];
}

void GemmDispatchTable::set(DType dtype, GemmShapeClass c, GemmPath p) {
  SEEK_CHECK_VALUE(p != GemmPath::Own, "gemm dispatch: a table entry is lt, mp or hopper, not own");
  paths_[static_cast<size_t>(dtype_index(dtype) * kGemmShapeClasses + static_cast<int>(c))] = p;
}

GemmDispatchTable GemmDispatchTable::parse(const std::string& text, const std::string& origin) {
  GemmDispatchTable t;
  std::istringstream lines(text);
  std::string line;
  for (int no = 1; std::getline(lines, line); ++no) {
    if (const size_t hash = line.find('#'); hash != std::string::npos) line.resize(hash);
    std::istringstream words(line);
    std::string dt, cls, path, extra;
    if (!(words >> dt)) continue;  // blank or comment
    SEEK_CHECK_VALUE(words >> cls >> path && !(words >> extra), origin, ":", no,
                     ": expected `<dtype> <class> <path>`, got `", line, "`");
    SEEK_CHECK_VALUE(dt == "bf16" || dt == "f16", origin, ":", no, ": dtype `", dt, "` is not bf16 or f16");
    GemmShapeClass c;
    if (cls == "small") {
      c = GemmShapeClass::Small;
    } else if (cls == "medium") {
      c = GemmShapeClass::Medium;
    } else {
      SEEK_CHECK_VALUE(cls == "large", origin, ":", no, ": class `", cls, "` is not small, medium or large");
      c = GemmShapeClass::Large;
    }
    SEEK_CHECK_VALUE(path == "lt" || path == "mp" || path == "hopper", origin, ":", no, ": path `", path,
                     "` is not lt, mp or hopper");
    GemmPath p = GemmPath::Lt;
    parse_gemm_override(path, &p);
    t.set(dt == "bf16" ? DType::BFloat16 : DType::Float16, c, p);
  }
  return t;
}

GemmDispatchTable GemmDispatchTable::load(const std::string& path) {
  std::ifstream in(path);
  SEEK_CHECK_T(IOError, in.good(), "gemm dispatch: cannot read the table file ", path);
  std::stringstream ss;
  ss << in.rdbuf();
  return parse(ss.str(), path);
}

std::string GemmDispatchTable::str() const {
  std::string s = "# seek GEMM dispatch table: <dtype> <class> <path> (docs/kernels.md)\n";
  for (DType dt : {DType::BFloat16, DType::Float16})
    for (int c = 0; c < kGemmShapeClasses; ++c) {
      const auto cls = static_cast<GemmShapeClass>(c);
      s += seek::str(dt == DType::BFloat16 ? "bf16" : "f16", " ", gemm_shape_class_name(cls), " ",
                     gemm_path_name(get(dt, cls)), "\n");
    }
  return s;
}

GemmDispatchTable gemm_dispatch_table() {
  std::lock_guard<std::mutex> lock(g_mutex);
  if (!g_table) {
    const char* path = std::getenv("SEEK_CUDA_GEMM_TABLE");
    g_table = path && *path ? GemmDispatchTable::load(path) : GemmDispatchTable();
  }
  return *g_table;
}

void set_gemm_dispatch_table(const GemmDispatchTable& t) {
  std::lock_guard<std::mutex> lock(g_mutex);
  g_table = t;
}

bool parse_gemm_override(const std::string& v, GemmPath* out) {
  if (v.empty()) return false;
  if (v == "lt") {
    *out = GemmPath::Lt;
  } else if (v == "mp") {
    *out = GemmPath::Mp;
  } else if (v == "hopper") {
    *out = GemmPath::Hopper;
  } else {
    SEEK_CHECK_VALUE(v == "own", "SEEK_CUDA_GEMM: `", v, "` is not lt, mp, hopper or own");
    *out = GemmPath::Own;
  }
  return true;
}

GemmPath choose_gemm_path(const GemmProblem& p, const char* override_value) {
  static const std::string env = [] {
    const char* e = std::getenv("SEEK_CUDA_GEMM");
    return std::string(e ? e : "");
  }();
  GemmPath path;
  if (!parse_gemm_override(override_value ? override_value : env, &path))
    path = gemm_dispatch_table().get(p.dtype, gemm_shape_class(p.batch, p.M, p.N, p.K));
  if (path == GemmPath::Hopper && !p.hopper_ok) path = GemmPath::Lt;
  if (path == GemmPath::Lt && p.simulated) path = GemmPath::Mp;
  return path;
}

void count_gemm_path(GemmPath p) { g_counts[static_cast<int>(p)].fetch_add(1); }
int64_t gemm_path_count(GemmPath p) { return g_counts[static_cast<int>(p)].load(); }

}  // namespace seek::cuda
