// The MPI process group: torch.distributed's collectives over MPI's non-blocking collectives (mpi_engine.h runs
// them on its progress thread, with the timeout).
//
// STAGING. A contiguous CPU tensor is given to MPI as it is (in place). Any other tensor (non-contiguous, or on
// the CUDA device: on the simulated device there is no NCCL, and MPI here is not CUDA-aware) is copied into a
// contiguous host buffer first; the result is copied back into CPU tensors by the progress thread when the
// collective completes, and into CUDA tensors by wait() on the waiting thread's current stream.
//
// DTYPES. Every dtype: integers and f32/f64 with MPI's own types and ops; f16 and bf16 travel as 16-bit words
// (half the bytes of reducing in f32) and are reduced by user MPI_Ops that add/compare in f32 and round back, as
// NCCL does; bool reduces with logical or (sum, max) and and (min). Avg is the sum divided by the world size
// afterwards (truncating for integers).
#include <climits>
#include <cstring>
#include <mutex>

#include "dist/dist_internal.h"
#include "dist/mpi_engine.h"
#include "dist/mpi_store_bootstrap.h"
#include "seek/autograd/grad_mode.h"
#include "seek/core/half.h"
#include "seek/core/shape_util.h"
#include "seek/ops/creation.h"

namespace seek::dist::detail {
namespace {

const char* op_name(ReduceOp op) {
  switch (op) {
    case ReduceOp::Sum: return "sum";
    case ReduceOp::Avg: return "avg";
    case ReduceOp::Max: return "max";
    case ReduceOp::Min: return "min";
  }
  return "?";
}

// f16/bf16 reductions: user ops over 16-bit words, computed in f32.
template <bool BF16>
float load16(uint16_t v) {
  return BF16 ? seek::detail::bf16_bits_to_float(v) : seek::detail::half_bits_to_float(v);
}
template <bool BF16>
uint16_t store16(float f) {
  return BF16 ? seek::detail::float_to_bf16_bits(f) : seek::detail::float_to_half_bits(f);
}
template <bool BF16, int Kind>  // Kind: 0 sum, 1 max, 2 min
void reduce16(void* in, void* inout, int* len, MPI_Datatype*) {
  const auto* a = static_cast<const uint16_t*>(in);
  auto* b = static_cast<uint16_t*>(inout);
  for (int i = 0; i < *len; ++i) {
    const float x = load16<BF16>(a[i]), y = load16<BF16>(b[i]);
    const float r = Kind == 0 ? x + y : Kind == 1 ? (x > y || x != x ? x : y) : (x < y || x != x ? x : y);
    b[i] = store16<BF16>(r);
  }
}
// Created once, on the progress thread (the only thread calling MPI); never freed (MPI_Finalize frees them).
MPI_Op half_op(bool bf16, ReduceOp op) {
  static MPI_Op ops[2][3];
  static std::once_flag once;
  std::call_once(once, [] {
    MPI_User_function* fns[2][3] = {{reduce16<false, 0>, reduce16<false, 1>, reduce16<false, 2>},
                                    {reduce16<true, 0>, reduce16<true, 1>, reduce16<true, 2>}};
    for (int b = 0; b < 2; ++b)
      for (int k = 0; k < 3; ++k) mpi_check(MPI_Op_create(fns[b][k], 1, &ops[b][k]), "MPI_Op_create");
  });
  const int k = op == ReduceOp::Max ? 1 : op == ReduceOp::Min ? 2 : 0;
  return ops[bf16 ? 1 : 0][k];
}

// The datatype for moving elements of `dtype` without arithmetic.
MPI_Datatype word_type(DType dtype) {
  switch (dtype_size(dtype)) {
    case 1: return MPI_BYTE;
    case 2: return MPI_UINT16_T;
    case 4: return MPI_UINT32_T;
    default: return MPI_UINT64_T;
  }
}

// Datatype and op for a reduction; `op` of the MPI_Op is resolved on the progress thread (user ops).
struct Reduction {
  MPI_Datatype type;
  MPI_Op mpi_op = MPI_OP_NULL;  // predefined ops
  int half = -1;                // 0: f16 user op, 1: bf16 user op
  ReduceOp op;
  MPI_Op resolve() const { return half < 0 ? mpi_op : half_op(half == 1, op); }
};
Reduction reduction(const char* name, DType dtype, ReduceOp op) {
  const MPI_Op arith = op == ReduceOp::Max ? MPI_MAX : op == ReduceOp::Min ? MPI_MIN : MPI_SUM;
  switch (dtype) {
    case kBool:
      SEEK_CHECK_DTYPE(op != ReduceOp::Avg, name, ": ReduceOp.AVG is not defined for bool tensors");
      return {MPI_UINT8_T, op == ReduceOp::Min ? MPI_LAND : MPI_LOR, -1, op};
    case kUInt8: return {MPI_UINT8_T, arith, -1, op};
    case kInt8: return {MPI_INT8_T, arith, -1, op};
    case kInt16: return {MPI_INT16_T, arith, -1, op};
    case kInt32: return {MPI_INT32_T, arith, -1, op};
    case kInt64: return {MPI_INT64_T, arith, -1, op};
    case kFloat32: return {MPI_FLOAT, arith, -1, op};
    case kFloat64: return {MPI_DOUBLE, arith, -1, op};
    case kFloat16: return {MPI_UINT16_T, MPI_OP_NULL, 0, op};
    case kBFloat16: return {MPI_UINT16_T, MPI_OP_NULL, 1, op};
  }
  throw DTypeError(str(name, ": unsupported dtype ", dtype_name(dtype)));
}

// Avg: the sum divided by the world size, in place on a contiguous host tensor.
template <typename T>
void divide_as(void* p, int64_t n, int size) {
  auto* v = static_cast<T*>(p);
  for (int64_t i = 0; i < n; ++i) v[i] = static_cast<T>(v[i] / static_cast<T>(size));
}
void divide_by(const Tensor& h, int size) {
  const int64_t n = h.numel();
  void* p = h.data_ptr();
  switch (h.dtype()) {
    case kUInt8: return divide_as<uint8_t>(p, n, size);
    case kInt8: return divide_as<int8_t>(p, n, size);
    case kInt16: return divide_as<int16_t>(p, n, size);
    case kInt32: return divide_as<int32_t>(p, n, size);
    case kInt64: return divide_as<int64_t>(p, n, size);
    case kFloat32: return divide_as<float>(p, n, size);
    case kFloat64: return divide_as<double>(p, n, size);
    case kFloat16:
    case kBFloat16: {
      const bool bf = h.dtype() == kBFloat16;
      auto* w = static_cast<uint16_t*>(p);
      for (int64_t i = 0; i < n; ++i)
        w[i] = bf ? store16<true>(load16<true>(w[i]) / static_cast<float>(size))
                  : store16<false>(load16<false>(w[i]) / static_cast<float>(size));
      return;
    }
    default: return;
  }
}

// A contiguous host tensor holding (when need_data) `t`'s values; `t` itself when it is a contiguous CPU tensor.
struct Staged {
  Tensor host;
  bool direct;
};
Staged stage(const Tensor& t, bool need_data) {
  if (t.is_cpu() && t.is_contiguous()) return {t, true};
  if (!need_data) return {empty(t.sizes(), TensorOptions(t.dtype())), false};
  NoGradGuard no_grad;
  Tensor h = t.detach().contiguous().cpu();
  if (!h.is_contiguous()) h = h.contiguous();
  return {h, false};
}

void* ptr(const Tensor& h) {
  static char dummy[8];  // MPI gets a valid address for 0 elements too
  return h.numel() == 0 ? dummy : h.data_ptr();
}

int count_of(const char* name, int64_t n) {
  SEEK_CHECK_VALUE(n <= INT_MAX, name, ": ", n, " elements per rank is more than one MPI call takes (", INT_MAX, ")");
  return static_cast<int>(n);
}

void check_dense(const char* name, const Tensor& t, const char* what) {
  SEEK_CHECK_VALUE(t.defined(), name, ": ", what, " is an undefined tensor");
}

// input and output of all_gather_into_tensor / reduce_scatter_tensor: big = world x small, concatenated along
// dim 0 or stacked along a new first dim (as torch accepts).
void check_world_shape(const char* name, const Tensor& big, const Tensor& small, int world, const char* big_name,
                       const char* small_name) {
  SEEK_CHECK_DTYPE(big.dtype() == small.dtype(), name, ": ", big_name, " dtype ", dtype_name(big.dtype()),
                   " differs from ", small_name, " dtype ", dtype_name(small.dtype()));
  Shape stacked = small.sizes();
  stacked.insert(stacked.begin(), world);
  Shape concat = small.sizes();
  if (!concat.empty()) concat[0] *= world;
  const bool ok = big.sizes() == stacked || (!small.sizes().empty() && big.sizes() == concat);
  SEEK_CHECK_SHAPE(ok, name, ": ", big_name, " has sizes ", shape_str(big.sizes()), "; with ", small_name, " sizes ",
                   shape_str(small.sizes()), " and world size ", world, " it must be ",
                   small.sizes().empty() ? "" : shape_str(concat) + " or ", shape_str(stacked));
}

class MpiProcessGroup final : public ProcessGroup {
 public:
  explicit MpiProcessGroup(const InitOptions& options, const std::function<MPI_Comm()>& world = {})
      : engine_(options.timeout, world) {}

  int rank() const override { return engine_.rank(); }
  int size() const override { return engine_.size(); }
  std::string backend_name() const override { return "mpi"; }

  WorkPtr all_reduce(Tensor& tensor, ReduceOp op, bool async_op) override {
    check_dense("all_reduce", tensor, "tensor");
    const Reduction red = reduction("all_reduce", tensor.dtype(), op);
    Staged s = stage(tensor, true);
    auto o = new_op("all_reduce", str("(", op_name(op), ") of ", describe(tensor)));
    const Tensor h = s.host;
    o->start = [h, red](MPI_Comm comm, std::vector<MPI_Request>& reqs) {
      // Large tensors go in chunks: MPI counts are ints.
      constexpr int64_t kChunk = int64_t{1} << 30;
      const int64_t n = h.numel();
      char* base = static_cast<char*>(ptr(h));
      const MPI_Op mop = red.resolve();
      for (int64_t off = 0; off == 0 || off < n; off += kChunk) {
        reqs.emplace_back(MPI_REQUEST_NULL);
        mpi_check(MPI_Iallreduce(MPI_IN_PLACE, base + off * static_cast<int64_t>(h.element_size()),
                                 static_cast<int>(std::min(kChunk, n - off)), red.type, mop, comm, &reqs.back()),
                  "MPI_Iallreduce");
      }
    };
    std::function<void()> post;
    if (op == ReduceOp::Avg) post = [h, n = size()] { divide_by(h, n); };
    finish(*o, std::move(post), s.direct ? Pairs{} : Pairs{{tensor, h}}, s.direct ? tensor : Tensor());
    return launch(o, async_op);
  }

  WorkPtr broadcast(Tensor& tensor, int src, bool async_op) override {
    check_dense("broadcast", tensor, "tensor");
    check_rank("broadcast", src);
    const bool sender = rank() == src;
    Staged s = stage(tensor, sender);
    auto o = new_op("broadcast", str("(from rank ", src, ") of ", describe(tensor)));
    const Tensor h = s.host;
    o->start = [h, src](MPI_Comm comm, std::vector<MPI_Request>& reqs) {
      constexpr int64_t kChunk = int64_t{1} << 30;
      const int64_t n = h.numel();
      char* base = static_cast<char*>(ptr(h));
      for (int64_t off = 0; off == 0 || off < n; off += kChunk) {
        reqs.emplace_back(MPI_REQUEST_NULL);
        mpi_check(
            MPI_Ibcast(base + off * static_cast<int64_t>(h.element_size()), static_cast<int>(std::min(kChunk, n - off)),
                       word_type(h.dtype()), src, comm, &reqs.back()),
            "MPI_Ibcast");
      }
    };
    const bool copy_back = !s.direct && !sender;
    finish(*o, nullptr, copy_back ? Pairs{{tensor, h}} : Pairs{}, s.direct && !sender ? tensor : Tensor());
    return launch(o, async_op);
  }

  WorkPtr all_gather(std::vector<Tensor>& output, const Tensor& input, bool async_op) override {
    check_dense("all_gather", input, "input");
    SEEK_CHECK_VALUE(static_cast<int>(output.size()) == size(), "all_gather: output has ", output.size(),
                     " tensors; it needs one per rank (world size ", size(), ")");
    for (size_t i = 0; i < output.size(); ++i) {
      check_dense("all_gather", output[i], "an output tensor");
      SEEK_CHECK_DTYPE(output[i].dtype() == input.dtype(), "all_gather: output[", i, "] dtype ",
                       dtype_name(output[i].dtype()), " differs from the input's ", dtype_name(input.dtype()));
      SEEK_CHECK_SHAPE(output[i].sizes() == input.sizes(), "all_gather: output[", i, "] has sizes ",
                       shape_str(output[i].sizes()), ", the input ", shape_str(input.sizes()));
    }
    const int n = count_of("all_gather", input.numel());
    Staged in = stage(input, true);
    Shape gathered_shape = input.sizes();
    gathered_shape.insert(gathered_shape.begin(), size());
    const Tensor out = empty(gathered_shape, TensorOptions(input.dtype()));
    auto o = new_op("all_gather", str("of ", describe(input)));
    const Tensor h = in.host;
    o->start = [h, out, n](MPI_Comm comm, std::vector<MPI_Request>& reqs) {
      reqs.emplace_back(MPI_REQUEST_NULL);
      const MPI_Datatype t = word_type(h.dtype());
      mpi_check(MPI_Iallgather(ptr(h), n, t, ptr(out), n, t, comm, &reqs.back()), "MPI_Iallgather");
    };
    Pairs pairs;
    for (int r = 0; r < size(); ++r) pairs.push_back({output[r], out.select(0, r)});
    finish(*o, nullptr, std::move(pairs), Tensor());
    return launch(o, async_op);
  }

  WorkPtr all_gather_into_tensor(Tensor& output, const Tensor& input, bool async_op) override {
    const char* name = "all_gather_into_tensor";
    check_dense(name, input, "input");
    check_dense(name, output, "output");
    check_world_shape(name, output, input, size(), "output", "input");
    const int n = count_of(name, input.numel());
    Staged out = stage(output, false);
    Staged in = stage(input, true);
    bool in_place = false;
    if (in.host.storage() == out.host.storage()) {
      // The ZeRO pattern: the input is this rank's slot of the output. MPI wants MPI_IN_PLACE for that.
      in_place = in.host.data_ptr() ==
                 static_cast<char*>(out.host.data_ptr()) + static_cast<int64_t>(rank()) * n * input.element_size();
      if (!in_place) in.host = in.host.clone();
    }
    auto o = new_op(name, str("of ", describe(input), " into ", describe(output)));
    const Tensor h = in.host, g = out.host;
    o->start = [h, g, n, in_place](MPI_Comm comm, std::vector<MPI_Request>& reqs) {
      reqs.emplace_back(MPI_REQUEST_NULL);
      const MPI_Datatype t = word_type(h.dtype());
      mpi_check(MPI_Iallgather(in_place ? MPI_IN_PLACE : ptr(h), n, t, ptr(g), n, t, comm, &reqs.back()),
                "MPI_Iallgather");
    };
    finish(*o, nullptr, out.direct ? Pairs{} : Pairs{{output, g}}, out.direct ? output : Tensor());
    return launch(o, async_op);
  }

  WorkPtr reduce_scatter_tensor(Tensor& output, const Tensor& input, ReduceOp op, bool async_op) override {
    const char* name = "reduce_scatter_tensor";
    check_dense(name, input, "input");
    check_dense(name, output, "output");
    check_world_shape(name, input, output, size(), "input", "output");
    const Reduction red = reduction(name, input.dtype(), op);
    const int n = count_of(name, output.numel());
    Staged out = stage(output, false);
    Staged in = stage(input, true);
    if (in.host.storage() == out.host.storage()) in.host = in.host.clone();
    auto o = new_op(name, str("(", op_name(op), ") of ", describe(input), " into ", describe(output)));
    const Tensor h = in.host, r = out.host;
    o->start = [h, r, n, red](MPI_Comm comm, std::vector<MPI_Request>& reqs) {
      reqs.emplace_back(MPI_REQUEST_NULL);
      mpi_check(MPI_Ireduce_scatter_block(ptr(h), ptr(r), n, red.type, red.resolve(), comm, &reqs.back()),
                "MPI_Ireduce_scatter_block");
    };
    std::function<void()> post;
    if (op == ReduceOp::Avg) post = [r, w = size()] { divide_by(r, w); };
    finish(*o, std::move(post), out.direct ? Pairs{} : Pairs{{output, r}}, out.direct ? output : Tensor());
    return launch(o, async_op);
  }

  void barrier() override {
    auto o = new_op("barrier", "");
    o->start = [](MPI_Comm comm, std::vector<MPI_Request>& reqs) {
      reqs.emplace_back(MPI_REQUEST_NULL);
      mpi_check(MPI_Ibarrier(comm, &reqs.back()), "MPI_Ibarrier");
    };
    engine_.run(o);
  }

  std::vector<std::string> all_gather_bytes(const std::string& mine) override {
    const int world = size();
    auto lens = std::make_shared<std::vector<int64_t>>(world);
    auto my_len = std::make_shared<int64_t>(static_cast<int64_t>(mine.size()));
    auto o = new_op("all_gather_bytes", str("(lengths; ", mine.size(), " bytes here)"));
    o->start = [lens, my_len](MPI_Comm comm, std::vector<MPI_Request>& reqs) {
      reqs.emplace_back(MPI_REQUEST_NULL);
      mpi_check(MPI_Iallgather(my_len.get(), 1, MPI_INT64_T, lens->data(), 1, MPI_INT64_T, comm, &reqs.back()),
                "MPI_Iallgather");
    };
    engine_.run(o);
    auto counts = std::make_shared<std::vector<int>>(world);
    auto displs = std::make_shared<std::vector<int>>(world);
    int64_t total = 0;
    for (int r = 0; r < world; ++r) {
      SEEK_CHECK_VALUE(total + (*lens)[r] <= INT_MAX, "all_gather_bytes: more than ", INT_MAX, " bytes in all");
      (*counts)[r] = static_cast<int>((*lens)[r]);
      (*displs)[r] = static_cast<int>(total);
      total += (*lens)[r];
    }
    auto buf = std::make_shared<std::string>(static_cast<size_t>(total), '\0');
    auto send = std::make_shared<std::string>(mine);
    auto o2 = new_op("all_gather_bytes", str("(", mine.size(), " bytes here, ", total, " in all)"));
    o2->start = [buf, send, counts, displs](MPI_Comm comm, std::vector<MPI_Request>& reqs) {
      static char dummy[8];
      reqs.emplace_back(MPI_REQUEST_NULL);
      mpi_check(MPI_Iallgatherv(send->empty() ? dummy : send->data(), static_cast<int>(send->size()), MPI_BYTE,
                                buf->empty() ? dummy : buf->data(), counts->data(), displs->data(), MPI_BYTE, comm,
                                &reqs.back()),
                "MPI_Iallgatherv");
    };
    engine_.run(o2);
    std::vector<std::string> result(world);
    for (int r = 0; r < world; ++r) result[r] = buf->substr((*displs)[r], (*counts)[r]);
    return result;
  }

  std::string broadcast_bytes(const std::string& bytes, int src) override {
    check_rank("broadcast_bytes", src);
    auto len = std::make_shared<int64_t>(static_cast<int64_t>(bytes.size()));
    auto o = new_op("broadcast_bytes", str("(length, from rank ", src, ")"));
    o->start = [len, src](MPI_Comm comm, std::vector<MPI_Request>& reqs) {
      reqs.emplace_back(MPI_REQUEST_NULL);
      mpi_check(MPI_Ibcast(len.get(), 1, MPI_INT64_T, src, comm, &reqs.back()), "MPI_Ibcast");
    };
    engine_.run(o);
    SEEK_CHECK_VALUE(*len <= INT_MAX, "broadcast_bytes: ", *len, " bytes is more than one MPI call takes");
    auto buf = std::make_shared<std::string>(rank() == src ? bytes : std::string(static_cast<size_t>(*len), '\0'));
    auto o2 = new_op("broadcast_bytes", str("(", *len, " bytes from rank ", src, ")"));
    o2->start = [buf, src](MPI_Comm comm, std::vector<MPI_Request>& reqs) {
      static char dummy[8];
      reqs.emplace_back(MPI_REQUEST_NULL);
      mpi_check(MPI_Ibcast(buf->empty() ? dummy : buf->data(), static_cast<int>(buf->size()), MPI_BYTE, src, comm,
                           &reqs.back()),
                "MPI_Ibcast");
    };
    engine_.run(o2);
    return *buf;
  }

 private:
  using Pairs = std::vector<std::pair<Tensor, Tensor>>;  // (user tensor, host result)

  std::shared_ptr<MpiOp> new_op(const char* name, std::string what) {
    auto o = std::make_shared<MpiOp>();
    o->name = name;
    o->what = std::move(what);
    return o;
  }

  void check_rank(const char* name, int src) const {
    SEEK_CHECK_INDEX(src >= 0 && src < size(), name, ": src rank ", src, " is not in [0, ", size(), ")");
  }

  // What happens when the MPI requests completed: `post` on the host results, then the copies into CPU tensors
  // (progress thread); the copies into CUDA tensors in wait(). `written_in_place`: a tensor MPI wrote directly,
  // whose version counter is bumped as an in-place op's.
  static void finish(MpiOp& o, std::function<void()> post, Pairs pairs, Tensor written_in_place) {
    Pairs cpu, device;
    for (auto& p : pairs) (p.first.is_cpu() ? cpu : device).push_back(std::move(p));
    o.on_complete = [post = std::move(post), cpu = std::move(cpu), written_in_place]() mutable {
      if (post) post();
      NoGradGuard no_grad;
      for (auto& [dst, src] : cpu) dst.copy_(src);
      if (written_in_place.defined()) written_in_place.bump_version();
    };
    if (!device.empty()) {
      o.on_wait = [device = std::move(device)]() mutable {
        NoGradGuard no_grad;
        for (auto& [dst, src] : device) dst.copy_(src);
      };
    }
  }

  WorkPtr launch(std::shared_ptr<MpiOp> o, bool async_op) {
    auto work = std::make_shared<MpiWork>(engine_.submit(std::move(o)));
    if (!async_op) work->wait();
    return work;
  }

  MpiEngine engine_;
};

}  // namespace

bool mpi_available() { return true; }

std::unique_ptr<ProcessGroup> make_mpi_group(const InitOptions& options, const LaunchEnv& env) {
  std::unique_ptr<MpiProcessGroup> group;
  if (needs_store_bootstrap(env)) {  // torchrun or one shell per rank: join the singletons (mpi_store_bootstrap.h)
    MpiStoreBootstrap bootstrap(env, options.timeout);
    group = std::make_unique<MpiProcessGroup>(options, [&] { return bootstrap.connect(); });
  } else {
    group = std::make_unique<MpiProcessGroup>(options);
  }
  SEEK_CHECK(group->rank() == env.rank && group->size() == env.world_size, "init_process_group: ", env.source,
             " say this process is rank ", env.rank, " of ", env.world_size, " but MPI made it rank ", group->rank(),
             " of ", group->size(),
             ": an MPI launcher's variables and another launcher's disagree (start the processes with one launcher: "
             "mpirun -np N, srun with MPI support, or torchrun-style RANK/WORLD_SIZE/MASTER_ADDR/MASTER_PORT alone)");
  return group;
}

}  // namespace seek::dist::detail
