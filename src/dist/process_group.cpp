// The process-group front end: where rank and world size come from (the launcher's environment), which engine
// serves a backend name, the default group and torch.distributed's free functions over it.
#include "seek/dist/process_group.h"

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <mutex>

#include "dist/dist_internal.h"
#include "seek/core/error.h"
#include "seek/core/logging.h"
#include "seek/core/shape_util.h"
#include "seek/cuda.h"
#include "seek/ops/creation.h"

namespace seek::dist {
namespace detail {
namespace {

bool read_int(const char* name, int& out) {
  const char* v = std::getenv(name);
  if (v == nullptr || *v == '\0') return false;
  char* end = nullptr;
  const long x = std::strtol(v, &end, 10);
  SEEK_CHECK_VALUE(end != v && *end == '\0' && x >= 0 && x < (1L << 30), "init_process_group: environment variable ",
                   name, "=", v, " is not a non-negative integer");
  out = static_cast<int>(x);
  return true;
}

}  // namespace

LaunchEnv read_launch_env() {
  // mpirun (Open MPI), MPICH/Intel MPI's hydra, Slurm's srun, then torch's launchers.
  static const char* const kPairs[][2] = {{"OMPI_COMM_WORLD_RANK", "OMPI_COMM_WORLD_SIZE"},
                                          {"PMI_RANK", "PMI_SIZE"},
                                          {"SLURM_PROCID", "SLURM_NTASKS"},
                                          {"RANK", "WORLD_SIZE"}};
  LaunchEnv env;
  for (const auto& pair : kPairs) {
    int rank = 0, size = 0;
    const bool has_rank = read_int(pair[0], rank), has_size = read_int(pair[1], size);
    if (!has_rank && !has_size) continue;
    SEEK_CHECK_VALUE(has_rank && has_size, "init_process_group: ", has_rank ? pair[0] : pair[1], " is set but ",
                     has_rank ? pair[1] : pair[0], " is not");
    SEEK_CHECK_VALUE(size >= 1 && rank < size, "init_process_group: ", pair[0], "=", rank, " is not a rank of ",
                     pair[1], "=", size);
    env.rank = rank;
    env.world_size = size;
    env.source = str(pair[0], "/", pair[1]);
    env.torch_vars = std::string(pair[0]) == "RANK";
    return env;
  }
  return env;
}

std::string describe(const Tensor& t) {
  return str("a ", dtype_name(t.dtype()), " tensor of sizes ", shape_str(t.sizes()), " on ", t.device().str(),
             t.is_contiguous() ? "" : " (non-contiguous)");
}

#ifndef SEEK_HAVE_MPI
bool mpi_available() { return false; }
std::unique_ptr<ProcessGroup> make_mpi_group(const InitOptions&, const LaunchEnv&) {
  throw Error(
      "init_process_group: seek was built without MPI (SEEK_DIST=OFF; install libopenmpi-dev and rebuild) and has "
      "no process-group engine for CPU tensors");
}
#endif
#ifndef SEEK_HAVE_NCCL
bool nccl_available() { return false; }
std::unique_ptr<ProcessGroup> make_nccl_group(const InitOptions&, const LaunchEnv&) {
  throw Error(
      str("init_process_group: backend 'nccl' needs seek built with CUDA and NCCL for a real GPU; this build "
          "has none (",
          cuda::build_info(), "); use backend 'mpi' (CUDA tensors are staged through host memory)"));
}
#endif

}  // namespace detail

namespace {

std::mutex g_mutex;
ProcessGroup* g_group = nullptr;  // a plain pointer: destroyed by destroy_process_group or at exit, never later
bool g_exit_hook = false;

void destroy_at_exit() {
  try {
    destroy_process_group();
  } catch (...) {}
}

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

}  // namespace

void init_process_group(const InitOptions& options) {
  std::lock_guard<std::mutex> lock(g_mutex);
  SEEK_CHECK(g_group == nullptr,
             "init_process_group: the default process group is already initialised (destroy_process_group first)");
  const detail::LaunchEnv env = detail::read_launch_env();
  std::string backend = lower(options.backend);
  if (backend == "gloo") backend = "mpi";  // torch's CPU backend name: MPI serves CPU tensors here
  if (backend == "auto") backend = detail::nccl_available() ? "nccl" : "mpi";
  std::unique_ptr<ProcessGroup> group;
  if (backend == "mpi") {
    group = detail::make_mpi_group(options, env);
  } else if (backend == "nccl") {
    group = detail::make_nccl_group(options, env);
  } else {
    throw ValueError(str("init_process_group: unknown backend '", options.backend,
                         "' (expected 'mpi', 'nccl', 'gloo' (= mpi) or 'auto')"));
  }
  g_group = group.release();
  if (!g_exit_hook) {
    // Registered after MPI's own exit handler, so it runs first: the group goes before MPI_Finalize.
    std::atexit(destroy_at_exit);
    g_exit_hook = true;
  }
  logging::debug(str("seek.distributed: rank ", g_group->rank(), " of ", g_group->size(), " (", env.source,
                     "), backend ", g_group->backend_name()));
}

void init_process_group(const std::string& backend) {
  InitOptions options;
  options.backend = backend;
  init_process_group(options);
}

bool is_initialized() {
  std::lock_guard<std::mutex> lock(g_mutex);
  return g_group != nullptr;
}

void destroy_process_group() {
  ProcessGroup* group;
  {
    std::lock_guard<std::mutex> lock(g_mutex);
    group = g_group;
    g_group = nullptr;
  }
  delete group;
}

ProcessGroup& default_group() {
  std::lock_guard<std::mutex> lock(g_mutex);
  SEEK_CHECK(g_group != nullptr,
             "seek.distributed: the default process group is not initialised (call init_process_group first)");
  return *g_group;
}

int get_rank() {
  std::lock_guard<std::mutex> lock(g_mutex);
  return g_group ? g_group->rank() : 0;
}

int get_world_size() {
  std::lock_guard<std::mutex> lock(g_mutex);
  return g_group ? g_group->size() : 1;
}

void barrier() { default_group().barrier(); }

WorkPtr all_reduce(Tensor& tensor, ReduceOp op, bool async_op) {
  return default_group().all_reduce(tensor, op, async_op);
}
WorkPtr broadcast(Tensor& tensor, int src, bool async_op) { return default_group().broadcast(tensor, src, async_op); }
WorkPtr all_gather(std::vector<Tensor>& output, const Tensor& input, bool async_op) {
  return default_group().all_gather(output, input, async_op);
}
WorkPtr all_gather_into_tensor(Tensor& output, const Tensor& input, bool async_op) {
  return default_group().all_gather_into_tensor(output, input, async_op);
}
WorkPtr reduce_scatter_tensor(Tensor& output, const Tensor& input, ReduceOp op, bool async_op) {
  return default_group().reduce_scatter_tensor(output, input, op, async_op);
}

bool is_mpi_available() { return detail::mpi_available(); }
bool is_nccl_available() { return detail::nccl_available(); }

std::vector<double> all_reduce_values(const std::vector<double>& values, ReduceOp op) {
  if (!is_initialized()) return values;
  Tensor t = tensor(values, Shape{static_cast<int64_t>(values.size())}, TensorOptions(kFloat64));
  default_group().all_reduce(t, op);
  return to_vector<double>(t);
}
double all_reduce_value(double value, ReduceOp op) { return all_reduce_values({value}, op)[0]; }

std::vector<std::string> all_gather_bytes(const std::string& mine) {
  if (!is_initialized()) return {mine};
  return default_group().all_gather_bytes(mine);
}
std::string broadcast_bytes(const std::string& bytes, int src) {
  if (!is_initialized()) {
    SEEK_CHECK_INDEX(src == 0, "broadcast_bytes: src rank ", src, " is not in [0, 1)");
    return bytes;
  }
  return default_group().broadcast_bytes(bytes, src);
}

}  // namespace seek::dist
