// seek::dist — process groups and collectives for data-parallel training (torch.distributed's API).
//
// Two engines behind one interface: MPI (Debian's OpenMPI) for CPU tensors, and NCCL for CUDA tensors on a real
// GPU. On the simulated CUDA device there is no NCCL: the MPI group stages CUDA tensors through host memory.
// Every collective has a timeout (InitOptions::timeout); one that does not complete in time raises seek::Error
// naming the op, the rank and the tensor sizes instead of hanging.
#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "seek/core/tensor.h"

namespace seek::dist {

// torch.distributed.ReduceOp. Avg divides the sum by the world size (integer tensors: truncating).
enum class ReduceOp { Sum, Avg, Max, Min };

// The handle of a collective (torch's Work). Collectives called with async_op=false have already completed when
// they return; wait() on them returns at once.
class Work {
 public:
  virtual ~Work() = default;
  // Blocks until the collective has completed and its result is in the output tensors; rethrows its error
  // (a timeout included).
  virtual void wait() = 0;
  virtual bool is_completed() = 0;
};
using WorkPtr = std::shared_ptr<Work>;

class ProcessGroup {
 public:
  virtual ~ProcessGroup() = default;
  virtual int rank() const = 0;
  virtual int size() const = 0;
  virtual std::string backend_name() const = 0;  // "mpi" or "nccl"

  // In place on `tensor` (dense, contiguous or not; any dtype; CPU or CUDA).
  virtual WorkPtr all_reduce(Tensor& tensor, ReduceOp op = ReduceOp::Sum, bool async_op = false) = 0;
  virtual WorkPtr broadcast(Tensor& tensor, int src = 0, bool async_op = false) = 0;
  // output: world_size tensors shaped like input.
  virtual WorkPtr all_gather(std::vector<Tensor>& output, const Tensor& input, bool async_op = false) = 0;
  // output: world_size * input.size(0) rows (torch's all_gather_into_tensor).
  virtual WorkPtr all_gather_into_tensor(Tensor& output, const Tensor& input, bool async_op = false) = 0;
  // input: world_size * output.size(0) rows; rank r gets the reduction of row block r (reduce_scatter_tensor).
  virtual WorkPtr reduce_scatter_tensor(Tensor& output, const Tensor& input, ReduceOp op = ReduceOp::Sum,
                                        bool async_op = false) = 0;
  virtual void barrier() = 0;
  // Bytes: what the object collectives (gather_object, broadcast_object...) exchange; Python pickles into these.
  virtual std::vector<std::string> all_gather_bytes(const std::string& mine) = 0;
  virtual std::string broadcast_bytes(const std::string& bytes, int src = 0) = 0;
};

struct InitOptions {
  // "mpi" (CPU tensors, and CUDA tensors staged through the host), "nccl" (CUDA tensors on a real GPU), or
  // "auto" (nccl where a real GPU and NCCL are there, mpi otherwise).
  std::string backend = "auto";
  // A collective (barrier included) that takes longer raises seek::Error. PyTorch's default is 30 minutes.
  std::chrono::milliseconds timeout{std::chrono::minutes(30)};
};

// Reads rank and world size from the environment mpirun or srun set (OMPI_COMM_WORLD_RANK/SIZE,
// PMI_RANK/PMI_SIZE, SLURM_PROCID/SLURM_NTASKS) or torch's launchers (RANK/WORLD_SIZE/MASTER_ADDR/MASTER_PORT);
// a process started alone is rank 0 of 1.
void init_process_group(const InitOptions& options = {});
void init_process_group(const std::string& backend);
bool is_initialized();
void destroy_process_group();
ProcessGroup& default_group();  // throws seek::Error before init_process_group
int get_rank();                 // 0 when not initialised, as torch's launch scripts assume
int get_world_size();           // 1 when not initialised
void barrier();

WorkPtr all_reduce(Tensor& tensor, ReduceOp op = ReduceOp::Sum, bool async_op = false);
WorkPtr broadcast(Tensor& tensor, int src = 0, bool async_op = false);
WorkPtr all_gather(std::vector<Tensor>& output, const Tensor& input, bool async_op = false);
WorkPtr all_gather_into_tensor(Tensor& output, const Tensor& input, bool async_op = false);
WorkPtr reduce_scatter_tensor(Tensor& output, const Tensor& input, ReduceOp op = ReduceOp::Sum, bool async_op = false);

// Plain values through the default group, for metrics (loss sums, sample counts): the reduction over ranks,
// computed in float64; without an initialised group, the values themselves (a world of one).
double all_reduce_value(double value, ReduceOp op = ReduceOp::Sum);
std::vector<double> all_reduce_values(const std::vector<double>& values, ReduceOp op = ReduceOp::Sum);
// Bytes (serialised objects) of every rank, and rank src's bytes on every rank; world of one when not initialised.
std::vector<std::string> all_gather_bytes(const std::string& mine);
std::string broadcast_bytes(const std::string& bytes, int src = 0);

// torch.distributed.is_mpi_available / is_nccl_available: seek was built with that engine (NCCL: and a real GPU
// is visible).
bool is_mpi_available();
bool is_nccl_available();

}  // namespace seek::dist
