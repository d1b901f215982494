#include "seek/backend/backend.h"

#include <map>

namespace seek {

namespace {
// Built on first use, so a registration that runs during another file's static
// initialisation finds it ready.
std::map<DeviceType, Backend*>& registry() {
  static std::map<DeviceType, Backend*> r;
  return r;
}
}  // namespace

const char* backend_family_name(BackendFamily family) {
  switch (family) {
    case BackendFamily::Copy: return "copy";
    case BackendFamily::Unary: return "unary";
    case BackendFamily::Binary: return "binary";
    case BackendFamily::Ternary: return "ternary";
    case BackendFamily::Reduce: return "reduce";
    case BackendFamily::ArgReduce: return "arg_reduce";
    case BackendFamily::Cumsum: return "cumsum";
    case BackendFamily::Softmax: return "softmax";
    case BackendFamily::Gemm: return "gemm";
    case BackendFamily::Conv: return "conv";
    case BackendFamily::Pool: return "pool";
    case BackendFamily::Norm: return "norm";
    case BackendFamily::Index: return "index";
    case BackendFamily::Sort: return "sort";
    case BackendFamily::Random: return "random";
    case BackendFamily::Optim: return "optim";
    case BackendFamily::Attention: return "attention";
  }
  return "unknown";
}

bool Backend::supports(BackendFamily, DType) const { return false; }

void Backend::unsupported(const char* family) const {
  const char* device = type() == DeviceType::CUDA ? "cuda" : "cpu";
  throw DeviceError(str(family, ": the ", device, " backend has no kernel for this op; move the tensors to the CPU ",
                        "(.cpu()) to run it"));
}

void Backend::copy(const Tensor&, const Tensor&) { unsupported("copy"); }
void Backend::fill(const Tensor&, Scalar) { unsupported("fill"); }
void Backend::unary(UnaryOp op, const Tensor&, const Tensor&, const UnaryParams&) { unsupported(unary_op_name(op)); }
void Backend::binary(BinaryOp op, const Tensor&, const Tensor&, const Tensor&) { unsupported(binary_op_name(op)); }
void Backend::ternary(TernaryOp op, const Tensor&, const Tensor&, const Tensor&, const Tensor&, const TernaryParams&) {
  unsupported(ternary_op_name(op));
}
void Backend::reduce(ReduceOp op, const Tensor&, const std::vector<int64_t>&, const Tensor&, const ReduceParams&) {
  unsupported(reduce_op_name(op));
}
void Backend::arg_reduce(bool, const Tensor&, int64_t, const Tensor&, const Tensor&) { unsupported("arg_reduce"); }
void Backend::cumsum(const Tensor&, int64_t, const Tensor&) { unsupported("cumsum"); }
void Backend::softmax(const Tensor&, int64_t, bool, const Tensor&) { unsupported("softmax"); }
void Backend::softmax_backward(const Tensor&, const Tensor&, int64_t, bool, const Tensor&) {
  unsupported("softmax_backward");
}
void Backend::cross_entropy_forward(const Tensor&, const Tensor&, const Tensor&, int64_t, const CrossEntropyParams&,
                                    const Tensor&, const Tensor&, const Tensor&) {
  unsupported("cross_entropy_forward");
}
void Backend::cross_entropy_backward(const Tensor&, const Tensor&, const Tensor&, const Tensor&, const Tensor&, int64_t,
                                     const CrossEntropyParams&, const Tensor&) {
  unsupported("cross_entropy_backward");
}
void Backend::gemm(const Tensor&, const Tensor&, const Tensor&, double, double) { unsupported("gemm"); }
void Backend::conv2d_forward(const Tensor&, const Tensor&, const Tensor&, const Conv2dParams&, const Tensor&) {
  unsupported("conv2d");
}
void Backend::conv2d_backward(const Tensor&, const Tensor&, const Tensor&, const Conv2dParams&, const Tensor&,
                              const Tensor&, const Tensor&) {
  unsupported("conv2d_backward");
}
void Backend::max_pool2d_forward(const Tensor&, const PoolParams&, const Tensor&, const Tensor&) {
  unsupported("max_pool2d");
}
void Backend::max_pool2d_backward(const Tensor&, const Tensor&, const Tensor&) { unsupported("max_pool2d_backward"); }
void Backend::avg_pool2d_forward(const Tensor&, const PoolParams&, const Tensor&) { unsupported("avg_pool2d"); }
void Backend::avg_pool2d_backward(const Tensor&, const PoolParams&, const Tensor&) {
  unsupported("avg_pool2d_backward");
}
void Backend::adaptive_avg_pool2d_forward(const Tensor&, const Tensor&) { unsupported("adaptive_avg_pool2d"); }
void Backend::adaptive_avg_pool2d_backward(const Tensor&, const Tensor&) {
  unsupported("adaptive_avg_pool2d_backward");
}
void Backend::batch_norm_forward_train(const Tensor&, const Tensor&, const Tensor&, double, const Tensor&,
                                       const Tensor&, const Tensor&, const Tensor&) {
  unsupported("batch_norm");
}
void Backend::batch_norm_backward(const Tensor&, const Tensor&, const Tensor&, const Tensor&, const Tensor&,
                                  const Tensor&, const Tensor&, const Tensor&) {
  unsupported("batch_norm_backward");
}
void Backend::batch_norm_forward_eval(const Tensor&, const Tensor&, const Tensor&, const Tensor&, const Tensor&, double,
                                      const Tensor&) {
  unsupported("batch_norm");
}
void Backend::gather(const Tensor&, int64_t, const Tensor&, const Tensor&) { unsupported("gather"); }
void Backend::scatter(ScatterMode, const Tensor&, int64_t, const Tensor&, const Tensor&, Scalar) {
  unsupported("scatter");
}
void Backend::index_select(const Tensor&, int64_t, const Tensor&, const Tensor&) { unsupported("index_select"); }
void Backend::index_add(const Tensor&, int64_t, const Tensor&, const Tensor&, Scalar) { unsupported("index_add"); }
void Backend::sort(const Tensor&, int64_t, bool, bool, const Tensor&, const Tensor&) { unsupported("sort"); }
void Backend::topk(const Tensor&, int64_t, int64_t, bool, bool, const Tensor&, const Tensor&) { unsupported("topk"); }
void Backend::random(RandomOp, const Tensor&, uint64_t, uint64_t, double, double) { unsupported("random"); }
void Backend::optim(OptimOp op, const OptimArgs&) { unsupported(optim_op_name(op)); }
void Backend::lsh_attention_forward(const Tensor&, const Tensor&, const Tensor&, const Tensor&, const Tensor&,
                                    const Tensor&, const LshAttentionParams&, const Tensor&, const Tensor&) {
  unsupported("lsh_attention");
}
void Backend::lsh_attention_backward(const Tensor&, const Tensor&, const Tensor&, const Tensor&, const Tensor&,
                                     const Tensor&, const Tensor&, const Tensor&, const Tensor&,
                                     const LshAttentionParams&, const Tensor&, const Tensor&, const Tensor&) {
  unsupported("lsh_attention_backward");
}

Backend& backend(Device device) {
  const auto& r = registry();
  const auto it = r.find(device.type);
  Backend* b = it == r.end() ? nullptr : it->second;
  if (!b) {
    throw DeviceError(str("no backend for device ", device.str(),
                          device.is_cuda() ? ": this build of seek has no CUDA support or no GPU is visible" : ""));
  }
  return *b;
}

void register_backend(DeviceType type, Backend* b) {
  if (b)
    registry()[type] = b;
  else
    registry().erase(type);
}

bool has_backend(DeviceType type) { return registry().count(type) != 0; }

std::vector<DeviceType> registered_backends() {
  std::vector<DeviceType> types;
  for (const auto& [type, b] : registry()) types.push_back(type);
  return types;
}

}  // namespace seek
