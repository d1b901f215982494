// The NCCL process group: collectives on CUDA tensors of a real GPU, queued on the caller's current seek stream.
//
// Bootstrap: an MPI group (process_group_mpi.cpp) gives rank and world size, broadcasts rank 0's ncclUniqueId and
// serves barrier() and the byte collectives; under torch's launch variables (RANK/WORLD_SIZE/MASTER_ADDR/
// MASTER_PORT, no MPI launcher) a TCPStore on MASTER_ADDR:MASTER_PORT does instead (store_collectives.h), and
// MPI is not used at all. Each process uses the GPU local_rank % device_count (local rank from
// OMPI_COMM_WORLD_LOCAL_RANK, MPI_LOCALRANKID, SLURM_LOCALID or LOCAL_RANK).
// Work: a seek::cuda::Event recorded after the NCCL call. wait() blocks the host until the event (polling, so that
// the timeout and NCCL's asynchronous errors are seen): past the timeout the communicator is aborted
// (ncclCommAbort) and the group refuses further collectives, as torch's NCCL watchdog does.
// Dtypes NCCL lacks (int16) go through int32; bool is reduced as uint8 with max (or) / min (and). Avg: ncclAvg for
// floating dtypes, sum then truncating division for integers.
#include <cuda_runtime.h>
#include <nccl.h>

#include <atomic>
#include <cstring>
#include <cstdlib>
#include <thread>

#include "dist/dist_internal.h"
#include "dist/store_collectives.h"
#include "seek/autograd/grad_mode.h"
#include "seek/core/error.h"
#include "seek/core/shape_util.h"
#include "seek/cuda.h"
#include "seek/ops/creation.h"

namespace seek::dist::detail {
namespace {

void nccl_check(ncclResult_t rc, const char* call, const char* file, int line) {
  if (rc != ncclSuccess && rc != ncclInProgress)
    throw Error(str("seek.distributed: ", call, " failed: ", ncclGetErrorString(rc), " (", file, ":", line, ")"));
}
#define SEEK_NCCL_CHECK(expr) nccl_check((expr), #expr, __FILE__, __LINE__)

int local_rank() {
  for (const char* name : {"OMPI_COMM_WORLD_LOCAL_RANK", "MPI_LOCALRANKID", "SLURM_LOCALID", "LOCAL_RANK"}) {
    if (const char* v = std::getenv(name)) return std::atoi(v);
  }
  return 0;
}

ncclDataType_t nccl_type(DType dt) {
  switch (dt) {
    case kFloat32: return ncclFloat32;
    case kFloat64: return ncclFloat64;
    case kFloat16: return ncclFloat16;
    case kBFloat16: return ncclBfloat16;
    case kInt64: return ncclInt64;
    case kInt32: return ncclInt32;
    case kInt8: return ncclInt8;
    case kUInt8:
    case kBool: return ncclUint8;
    default: throw DTypeError(str("nccl: no NCCL type for ", dtype_name(dt)));
  }
}

ncclRedOp_t nccl_op(DType dt, ReduceOp op) {
  if (dt == kBool) {
    SEEK_CHECK_DTYPE(op != ReduceOp::Avg, "nccl: ReduceOp.AVG is not defined for bool tensors");
    return op == ReduceOp::Min ? ncclMin : ncclMax;
  }
  switch (op) {
    case ReduceOp::Sum: return ncclSum;
    case ReduceOp::Avg: return is_floating(dt) ? ncclAvg : ncclSum;
    case ReduceOp::Max: return ncclMax;
    case ReduceOp::Min: return ncclMin;
  }
  return ncclSum;
}

class NcclWork final : public Work {
 public:
  NcclWork(std::string what, ncclComm_t comm, std::chrono::milliseconds timeout, std::atomic<bool>* broken,
           std::function<void()> after)
      : what_(std::move(what)), comm_(comm), timeout_(timeout), broken_(broken), after_(std::move(after)) {
    event_.record(cuda::current_stream());
    start_ = std::chrono::steady_clock::now();
  }
  void wait() override {
    if (waited_) return;
    const auto deadline = start_ + timeout_;
    while (!event_.query()) {
      ncclResult_t async_error = ncclSuccess;
      SEEK_NCCL_CHECK(ncclCommGetAsyncError(comm_, &async_error));
      if (async_error != ncclSuccess && async_error != ncclInProgress) {
        broken_->store(true);
        throw Error(str("seek.distributed: nccl ", what_, " failed: ", ncclGetErrorString(async_error)));
      }
      if (std::chrono::steady_clock::now() > deadline) {
        broken_->store(true);
        ncclCommAbort(comm_);
        throw Error(str("seek.distributed: nccl ", what_, " timed out after ", timeout_.count(),
                        " ms: not every rank joined this collective; the NCCL communicator was aborted"));
      }
      std::this_thread::yield();
    }
    waited_ = true;
    if (after_) after_();
  }
  bool is_completed() override { return event_.query(); }

 private:
  std::string what_;
  ncclComm_t comm_;
  std::chrono::milliseconds timeout_;
  std::atomic<bool>* broken_;
  std::function<void()> after_;  // copies out of staging tensors, integer Avg division (stream-ordered)
  cuda::Event event_;
  std::chrono::steady_clock::time_point start_;
  bool waited_ = false;
};

class NcclProcessGroup final : public ProcessGroup {
 public:
  NcclProcessGroup(const InitOptions& options, const LaunchEnv& env) : timeout_(options.timeout) {
    if (needs_store_bootstrap(env)) {
      store_ = std::make_unique<StoreCollectives>(launch_store(env, options.timeout), env.rank, env.world_size,
                                                  "seek/nccl", options.timeout);
      rank_ = env.rank;
      size_ = env.world_size;
    } else {
      bootstrap_ = make_mpi_group(options, env);
      rank_ = bootstrap_->rank();
      size_ = bootstrap_->size();
    }
    const int devices = cuda::device_count();
    SEEK_CHECK(devices > 0, "init_process_group: backend 'nccl' needs a visible GPU (", cuda::build_info(), ")");
    device_ = local_rank() % devices;
    cuda::set_device(device_);
    ncclUniqueId id;
    std::string bytes;
    if (rank_ == 0) {
      SEEK_NCCL_CHECK(ncclGetUniqueId(&id));
      bytes.assign(reinterpret_cast<const char*>(&id), sizeof(id));
    }
    bytes = broadcast_bytes(bytes, 0);
    SEEK_CHECK(bytes.size() == sizeof(id), "init_process_group: the NCCL unique id from rank 0 has ", bytes.size(),
               " bytes, expected ", sizeof(id));
    std::memcpy(&id, bytes.data(), sizeof(id));
    SEEK_NCCL_CHECK(ncclCommInitRank(&comm_, size_, id, rank_));
  }
  ~NcclProcessGroup() override {
    if (store_) store_->close();  // rank 0 serves the store: it waits for the others' last requests
    if (comm_ == nullptr) return;
    if (broken_) {
      ncclCommAbort(comm_);
    } else {
      ncclCommDestroy(comm_);
    }
  }

  int rank() const override { return rank_; }
  int size() const override { return size_; }
  std::string backend_name() const override { return "nccl"; }

  WorkPtr all_reduce(Tensor& tensor, ReduceOp op, bool async_op) override {
    Staging s = stage("all_reduce", tensor, true);
    const ncclRedOp_t rop = nccl_op(s.buf.dtype(), op);
    SEEK_NCCL_CHECK(ncclAllReduce(s.buf.data_ptr(), s.buf.data_ptr(), static_cast<size_t>(s.buf.numel()),
                                  nccl_type(s.buf.dtype()), rop, comm_, stream()));
    const bool int_avg = op == ReduceOp::Avg && !is_floating(s.buf.dtype());
    return finish(str("all_reduce of ", describe(tensor)), {{tensor, s}}, int_avg ? s.buf : Tensor(), async_op);
  }

  WorkPtr broadcast(Tensor& tensor, int src, bool async_op) override {
    SEEK_CHECK_INDEX(src >= 0 && src < size(), "broadcast: src rank ", src, " is not in [0, ", size(), ")");
    Staging s = stage("broadcast", tensor, rank() == src);
    SEEK_NCCL_CHECK(ncclBroadcast(s.buf.data_ptr(), s.buf.data_ptr(), static_cast<size_t>(s.buf.numel()),
                                  nccl_type(s.buf.dtype()), src, comm_, stream()));
    return finish(str("broadcast of ", describe(tensor)), {{tensor, s}}, Tensor(), async_op);
  }

  WorkPtr all_gather(std::vector<Tensor>& output, const Tensor& input, bool async_op) override {
    SEEK_CHECK_VALUE(static_cast<int>(output.size()) == size(), "all_gather: output has ", output.size(),
                     " tensors; it needs one per rank (world size ", size(), ")");
    Shape shape = input.sizes();
    shape.insert(shape.begin(), size());
    Tensor gathered = empty(shape, TensorOptions(input.dtype()).device(input.device()));
    all_gather_into_tensor(gathered, input, false);
    NoGradGuard no_grad;
    for (int r = 0; r < size(); ++r) output[r].copy_(gathered.select(0, r));
    return finish("all_gather", {}, Tensor(), async_op);
  }

  WorkPtr all_gather_into_tensor(Tensor& output, const Tensor& input, bool async_op) override {
    SEEK_CHECK_SHAPE(output.numel() == input.numel() * size() && output.dtype() == input.dtype(),
                     "all_gather_into_tensor: output ", describe(output), " must hold world size ", size(),
                     " times the input ", describe(input));
    Staging in = stage("all_gather_into_tensor", input, true);
    Staging out = stage("all_gather_into_tensor", output, false);
    SEEK_NCCL_CHECK(ncclAllGather(in.buf.data_ptr(), out.buf.data_ptr(), static_cast<size_t>(in.buf.numel()),
                                  nccl_type(in.buf.dtype()), comm_, stream()));
    return finish(str("all_gather_into_tensor of ", describe(input)), {{output, out}}, Tensor(), async_op);
  }

  WorkPtr reduce_scatter_tensor(Tensor& output, const Tensor& input, ReduceOp op, bool async_op) override {
    SEEK_CHECK_SHAPE(input.numel() == output.numel() * size() && output.dtype() == input.dtype(),
                     "reduce_scatter_tensor: input ", describe(input), " must hold world size ", size(),
                     " times the output ", describe(output));
    Staging in = stage("reduce_scatter_tensor", input, true);
    Staging out = stage("reduce_scatter_tensor", output, false);
    SEEK_NCCL_CHECK(ncclReduceScatter(in.buf.data_ptr(), out.buf.data_ptr(), static_cast<size_t>(out.buf.numel()),
                                      nccl_type(in.buf.dtype()), nccl_op(in.buf.dtype(), op), comm_, stream()));
    const bool int_avg = op == ReduceOp::Avg && !is_floating(out.buf.dtype());
    return finish(str("reduce_scatter_tensor of ", describe(input)), {{output, out}}, int_avg ? out.buf : Tensor(),
                  async_op);
  }

  void barrier() override {
    cuda::current_stream().synchronize();
    if (bootstrap_)
      bootstrap_->barrier();
    else
      store_->barrier();
  }
  std::vector<std::string> all_gather_bytes(const std::string& mine) override {
    return bootstrap_ ? bootstrap_->all_gather_bytes(mine) : store_->all_gather_bytes(mine);
  }
  std::string broadcast_bytes(const std::string& bytes, int src) override {
    return bootstrap_ ? bootstrap_->broadcast_bytes(bytes, src) : store_->broadcast_bytes(bytes, src);
  }

 private:
  struct Staging {
    Tensor buf;          // contiguous, on this group's GPU, of an NCCL dtype
    bool direct = true;  // buf is the user's tensor
  };

  cudaStream_t stream() const { return cuda::current_stream(device_); }

  Staging stage(const char* name, const Tensor& t, bool need_data) {
    SEEK_CHECK(!broken_, "seek.distributed: ", name, " on an NCCL group that timed out or failed before");
    SEEK_CHECK_VALUE(t.defined(), name, ": undefined tensor");
    SEEK_CHECK(t.is_cuda() && t.device().index == device_, name,
               ": the NCCL group takes CUDA tensors on cuda:", device_, ", got ", describe(t),
               " (use an 'mpi' group for CPU tensors)");
    const DType nd = t.dtype() == kInt16 ? kInt32 : t.dtype();
    if (t.is_contiguous() && nd == t.dtype()) return {t, true};
    NoGradGuard no_grad;
    Tensor buf = need_data ? t.to(nd).contiguous() : empty(t.sizes(), TensorOptions(nd).device(t.device()));
    if (buf.data_ptr() == t.data_ptr()) buf = buf.clone();
    return {buf, false};
  }

  WorkPtr finish(std::string what, std::vector<std::pair<Tensor, Staging>> outs, Tensor int_avg, bool async_op) {
    // Stream-ordered after the collective: the division and copies are queued on the same stream now; the
    // event recorded after them marks the whole op.
    {
      NoGradGuard no_grad;
      if (int_avg.defined())
        int_avg.copy_(int_avg.div(scalar_tensor(size(), TensorOptions(int_avg.dtype()).device(int_avg.device())),
                                  std::string("trunc")));
      for (auto& [dst, s] : outs)
        if (!s.direct)
          dst.copy_(s.buf);
        else
          dst.bump_version();
    }
    auto work = std::make_shared<NcclWork>(std::move(what), comm_, timeout_, &broken_, nullptr);
    if (!async_op) work->wait();
    return work;
  }

  std::unique_ptr<ProcessGroup> bootstrap_;  // MPI launchers: an MPI group
  std::unique_ptr<StoreCollectives> store_;  // torch's launch variables: a TCPStore
  int rank_ = 0, size_ = 1;
  std::chrono::milliseconds timeout_;
  int device_ = 0;
  ncclComm_t comm_ = nullptr;
  std::atomic<bool> broken_{false};
};

}  // namespace

bool nccl_available() {
  const auto config = cuda::build_config();
  return config.cuda && !config.simulated && cuda::device_count() > 0;
}

std::unique_ptr<ProcessGroup> make_nccl_group(const InitOptions& options, const LaunchEnv& env) {
  return std::make_unique<NcclProcessGroup>(options, env);
}

}  // namespace seek::dist::detail
