// Index family: gather, scatter, scatter_add, index_select, index_add,
// masked_select, embedding, one_hot, with their backward formulas.
// The kernels check index values; this file checks dtypes and shapes, maps
// 0-dim tensors to 1-D ones for the kernels, and puts the op's name in front of
// a kernel's IndexError.
#include "seek/ops/index.h"

#include <algorithm>

#include "ops/index_common.h"
#include "ops/op_utils.h"
#include "seek/autograd/function.h"
#include "seek/ops/creation.h"

namespace seek {

using namespace ops_detail;
using autograd::SavedTensor;
using autograd::variable_list;

namespace {

// Runs a kernel call; an IndexError it throws gets "op: " in front.
template <typename F>
void named(const char* op, F&& f) {
  try {
    f();
  } catch (const IndexError& e) {
    throw IndexError(str(op, ": ", e.what()));
  }
}

TensorOptions like(const Tensor& t) { return TensorOptions(t.dtype()).device(t.device()); }

// The kernels want at least one dim; a 0-dim tensor becomes a one-element 1-D view.
Tensor as_1d(const Tensor& t) { return t.dim() == 0 ? t.detach().reshape({1}) : t; }

void check_index_dtype(const Tensor& index, const char* op, bool allow_int32) {
  bool ok = index.dtype() == kInt64 || (allow_int32 && index.dtype() == kInt32);
  SEEK_CHECK_DTYPE(ok, op, ": expected an ", allow_int32 ? "int64 or int32" : "int64", " index tensor, got ",
                   index.dtype());
}

// Writing through a tensor whose elements share memory (an expanded view) is ambiguous.
void check_no_internal_overlap(const Tensor& t, const char* op) {
  for (int64_t d = 0; d < t.dim(); ++d) {
    SEEK_CHECK(t.stride(d) != 0 || t.size(d) <= 1, op, ": the written-to tensor of shape ", shape_str(t.sizes()),
               " has several elements at one memory location (an expanded view); clone() it first");
  }
}

// A source that shares memory with the destination is copied first.
Tensor unaliased(const Tensor& src, const Tensor& dst) {
  return src.defined() && src.storage() == dst.storage() ? src.detach().clone() : src;
}

// zeros of `shape` with t copied into its leading corner (t.size(d) <= shape[d]).
Tensor pad_to(const Tensor& t, const Shape& shape) {
  if (t.sizes() == shape) return t;
  Tensor out = zeros(shape, like(t));
  Tensor corner = out;
  for (int64_t d = 0; d < t.dim(); ++d) corner = corner.narrow(d, 0, t.size(d));
  corner.copy_(t);
  return out;
}

// ---- gather / scatter ----

void check_gather_shapes(const char* op, const Tensor& self, int64_t dim, const Tensor& index, const Tensor& src) {
  SEEK_CHECK_SHAPE(index.dim() == self.dim(), op, ": index tensor must have the same number of dimensions as the ",
                   "input tensor, got index ", shape_str(index.sizes()), " and input ", shape_str(self.sizes()));
  for (int64_t d = 0; d < self.dim(); ++d) {
    SEEK_CHECK_SHAPE(d == dim || index.size(d) <= self.size(d), op, ": size of index ", shape_str(index.sizes()),
                     " exceeds the size of input ", shape_str(self.sizes()), " at dimension ", d, " (", index.size(d),
                     " > ", self.size(d), ")");
  }
  if (!src.defined()) return;
  SEEK_CHECK_SHAPE(src.dim() == index.dim(), op, ": index tensor must have the same number of dimensions as the ",
                   "src tensor, got index ", shape_str(index.sizes()), " and src ", shape_str(src.sizes()));
  for (int64_t d = 0; d < src.dim(); ++d) {
    SEEK_CHECK_SHAPE(index.size(d) <= src.size(d), op, ": size of index ", shape_str(index.sizes()),
                     " exceeds the size of src ", shape_str(src.sizes()), " at dimension ", d, " (", index.size(d),
                     " > ", src.size(d), ")");
  }
}

}  // namespace

// Checks the arguments of a gather (src undefined) or scatter; returns the wrapped dim.
int64_t ops_detail::check_scatter_args(const char* op, const Tensor& self, int64_t dim, const Tensor& index,
                                       const Tensor& src) {
  check_defined(self, op, "self");
  check_defined(index, op, "index");
  check_same_device(op, {self, index, src});
  check_index_dtype(index, op, false);
  if (src.defined()) {
    SEEK_CHECK_DTYPE(src.dtype() == self.dtype(), op, ": expected self and src to have the same dtype, got ",
                     self.dtype(), " and ", src.dtype());
  }
  dim = wrap_dim(dim, self.dim(), op);
  check_gather_shapes(op, self, dim, index, src);
  return dim;
}

// Scatters into `out` in place (no autograd); src undefined means `value`.
void ops_detail::scatter_into(ScatterMode mode, const Tensor& out, int64_t dim, const Tensor& index, const Tensor& src,
                              Scalar value, const char* op) {
  if (index.numel() == 0) return;
  Tensor s = unaliased(src, out);
  named(op, [&] {
    backend(out.device()).scatter(mode, as_1d(out), dim, as_1d(index), s.defined() ? as_1d(s) : Tensor(), value);
  });
}

namespace {

// A copy of self with src (or value) scattered in, with history.
Tensor scatter_op(ScatterMode mode, const Tensor& self, int64_t dim, const Tensor& index, const Tensor& src,
                  Scalar value, const char* op) {
  dim = check_scatter_args(op, self, dim, index, src);
  Tensor out;
  {
    NoGradGuard g;
    out = self.clone();
    scatter_into(mode, out, dim, index, src, value, op);
  }
  if (!autograd::needs_grad({self, src})) return out;
  Shape src_shape = src.defined() ? src.sizes() : Shape{};
  std::string name = mode == ScatterMode::Add ? "ScatterAddBackward" : "ScatterBackward";
  autograd::record(
      name, {self, src}, {out},
      [mode, dim, src_shape, si = SavedTensor(index)](const variable_list& g, const std::vector<bool>& need) {
        const Tensor& index = si.get();
        Tensor g_self, g_src;
        if (need[0]) g_self = mode == ScatterMode::Add ? g[0] : seek::scatter(g[0], dim, index, 0);
        if (need.size() > 1 && need[1]) g_src = pad_to(seek::gather(g[0], dim, index), src_shape);
        return variable_list{g_self, g_src};
      });
  return out;
}

Tensor& scatter_inplace(ScatterMode mode, Tensor& self, int64_t dim, const Tensor& index, const Tensor& src,
                        Scalar value, const char* op) {
  check_defined(self, op, "self");
  if (autograd::check_inplace(self, {src}, op)) {
    autograd::commit_inplace(self, scatter_op(mode, self.clone(), dim, index, src, value, op));
    return self;
  }
  dim = check_scatter_args(op, self, dim, index, src);
  check_no_internal_overlap(self, op);
  scatter_into(mode, self, dim, index, src, value, op);
  self.bump_version();
  return self;
}

// ---- index_select / index_add ----

void check_vector_index(const Tensor& index, const char* op) {
  check_index_dtype(index, op, true);
  SEEK_CHECK_INDEX(index.dim() <= 1, op, ": index must be a vector (0-D or 1-D), got shape ", shape_str(index.sizes()));
}

// Checks index_add's arguments; returns the wrapped dim.
int64_t check_index_add_args(const char* op, const Tensor& self, int64_t dim, const Tensor& index, const Tensor& source,
                             Scalar alpha) {
  check_defined(self, op, "self");
  check_defined(index, op, "index");
  check_defined(source, op, "source");
  check_same_device(op, {self, index, source});
  check_vector_index(index, op);
  SEEK_CHECK_DTYPE(source.dtype() == self.dtype(), op, ": expected self and source to have the same dtype, got ",
                   self.dtype(), " and ", source.dtype());
  SEEK_CHECK_DTYPE(is_floating(self.dtype()) || !alpha.is_floating(), op,
                   ": alpha must not be a floating point number for a tensor of dtype ", self.dtype());
  SEEK_CHECK_DTYPE(self.dtype() != kBool, op, ": not supported for dtype bool");
  dim = wrap_dim(dim, self.dim(), op);
  Tensor s1 = as_1d(self), src1 = as_1d(source);
  bool ok = s1.dim() == src1.dim() && src1.size(dim) == index.numel();
  for (int64_t d = 0; ok && d < s1.dim(); ++d) ok = d == dim || s1.size(d) == src1.size(d);
  SEEK_CHECK_SHAPE(ok, op, ": source of shape ", shape_str(source.sizes()), " does not match self of shape ",
                   shape_str(self.sizes()), " with ", index.numel(), " indices along dim ", dim,
                   " (expected the shape of self with size ", index.numel(), " at dim ", dim, ")");
  return dim;
}

void index_add_into(const Tensor& out, int64_t dim, const Tensor& index, const Tensor& source, Scalar alpha,
                    const char* op) {
  if (index.numel() == 0) return;
  Tensor s = unaliased(source, out);
  named(op, [&] { backend(out.device()).index_add(as_1d(out), dim, as_1d(index), as_1d(s), alpha); });
}

}  // namespace

namespace detail {

Tensor index_select_named(const Tensor& self, int64_t dim, const Tensor& index, const char* op) {
  check_defined(self, op, "self");
  check_defined(index, op, "index");
  check_same_device(op, {self, index});
  check_vector_index(index, op);
  dim = wrap_dim(dim, self.dim(), op);
  SEEK_CHECK_INDEX(self.dim() > 0 || index.numel() == 1, op, ": indexing a 0-dim tensor needs exactly one index, got ",
                   index.numel());
  Tensor out;
  {
    NoGradGuard g;
    Tensor s1 = as_1d(self);
    Shape shape = s1.sizes();
    shape[dim] = index.numel();
    out = alloc(shape, self.dtype(), self.device());
    if (index.numel() > 0) named(op, [&] { backend(self.device()).index_select(s1, dim, as_1d(index), out); });
    if (self.dim() == 0) out = out.reshape({});
  }
  if (autograd::needs_grad({self})) {
    Shape shape = self.sizes();
    autograd::record("IndexSelectBackward", {self}, {out},
                     [shape, dim, si = SavedTensor(index)](const variable_list& g, const std::vector<bool>&) {
                       Tensor zero = zeros(shape, like(g[0]));
                       return variable_list{seek::index_add(zero, dim, si.get(), g[0])};
                     });
  }
  return out;
}

}  // namespace detail

Tensor gather(const Tensor& self, int64_t dim, const Tensor& index) {
  dim = check_scatter_args("gather", self, dim, index, Tensor());
  Tensor out;
  {
    NoGradGuard g;
    out = alloc(index.sizes(), self.dtype(), self.device());
    if (out.numel() > 0) {
      named("gather", [&] { backend(self.device()).gather(as_1d(self), dim, as_1d(index), as_1d(out)); });
    }
  }
  if (autograd::needs_grad({self})) {
    Shape shape = self.sizes();
    autograd::record("GatherBackward", {self}, {out},
                     [shape, dim, si = SavedTensor(index)](const variable_list& g, const std::vector<bool>&) {
                       return variable_list{seek::scatter_add(zeros(shape, like(g[0])), dim, si.get(), g[0])};
                     });
  }
  return out;
}

Tensor scatter(const Tensor& self, int64_t dim, const Tensor& index, const Tensor& src) {
  check_defined(src, "scatter", "src");
  return scatter_op(ScatterMode::Assign, self, dim, index, src, 0, "scatter");
}
Tensor scatter(const Tensor& self, int64_t dim, const Tensor& index, Scalar value) {
  return scatter_op(ScatterMode::Assign, self, dim, index, Tensor(), value, "scatter");
}
Tensor scatter_add(const Tensor& self, int64_t dim, const Tensor& index, const Tensor& src) {
  check_defined(src, "scatter_add", "src");
  return scatter_op(ScatterMode::Add, self, dim, index, src, 0, "scatter_add");
}

Tensor index_select(const Tensor& self, int64_t dim, const Tensor& index) {
  return detail::index_select_named(self, dim, index, "index_select");
}

Tensor index_add(const Tensor& self, int64_t dim, const Tensor& index, const Tensor& source, Scalar alpha) {
  dim = check_index_add_args("index_add", self, dim, index, source, alpha);
  Tensor out;
  {
    NoGradGuard g;
    out = self.clone();
    index_add_into(out, dim, index, source, alpha, "index_add");
  }
  if (autograd::needs_grad({self, source})) {
    Shape src_shape = source.sizes();
    autograd::record(
        "IndexAddBackward", {self, source}, {out},
        [dim, alpha, src_shape, si = SavedTensor(index)](const variable_list& g, const std::vector<bool>& need) {
          Tensor g_src;
          if (need[1]) {
            g_src = seek::index_select(g[0], dim, si.get()).reshape(src_shape);
            if (alpha.to_double() != 1.0) g_src = g_src * alpha;
          }
          return variable_list{need[0] ? g[0] : Tensor(), g_src};
        });
  }
  return out;
}

Tensor masked_select(const Tensor& self, const Tensor& mask) {
  check_defined(self, "masked_select", "self");
  check_defined(mask, "masked_select", "mask");
  check_same_device("masked_select", {self, mask});
  SEEK_CHECK_DTYPE(mask.dtype() == kBool, "masked_select: expected a bool mask, got ", mask.dtype());
  Shape shape = broadcast_shapes(self.sizes(), mask.sizes(), "masked_select");
  Tensor x = self.sizes() == shape ? self : self.expand(shape);
  Tensor m = mask.sizes() == shape ? mask : mask.expand(shape);
  // A mask over every dim selects like t[mask]: a 1-D result in row-major order.
  return x.index({m});
}

Tensor embedding(const Tensor& weight, const Tensor& indices, int64_t padding_idx) {
  check_defined(weight, "embedding", "weight");
  check_defined(indices, "embedding", "indices");
  check_same_device("embedding", {weight, indices});
  SEEK_CHECK_SHAPE(weight.dim() == 2, "embedding: weight must be 2-D [num_embeddings, embedding_dim], got shape ",
                   shape_str(weight.sizes()));
  check_index_dtype(indices, "embedding", true);
  const int64_t num = weight.size(0), width = weight.size(1);
  SEEK_CHECK_VALUE(padding_idx == -1 || (padding_idx >= 0 && padding_idx < num),
                   "embedding: padding_idx must be -1 (none) or in [0, ", num, "), got ", padding_idx);
  Tensor flat, out;
  {
    NoGradGuard g;
    flat = indices.reshape({-1});
    const int64_t n = flat.numel();
    out = alloc({n, width}, weight.dtype(), weight.device());
    // gather with the index broadcast along each row (not index_select): negative
    // indices are errors here, as in PyTorch, and each row is one contiguous copy.
    Tensor rows = flat.view({n, 1}).expand({n, width});
    if (out.numel() > 0) named("embedding", [&] { backend(weight.device()).gather(weight, 0, rows, out); });
    Shape shape = indices.sizes();
    shape.push_back(width);
    out = out.view(shape);
  }
  if (autograd::needs_grad({weight})) {
    autograd::record(
        "EmbeddingBackward", {weight}, {out},
        [num, width, padding_idx, sf = SavedTensor(flat)](const variable_list& g, const std::vector<bool>&) {
          const Tensor& idx = sf.get();
          Tensor gw = zeros({num, width}, like(g[0]));
          gw.index_add_(0, idx, g[0].reshape({idx.numel(), width}));
          if (padding_idx >= 0) gw.select(0, padding_idx).zero_();
          return variable_list{gw};
        });
  }
  return out;
}

Tensor one_hot(const Tensor& indices, int64_t num_classes) {
  check_defined(indices, "one_hot", "indices");
  SEEK_CHECK_DTYPE(indices.dtype() == kInt64, "one_hot: expected an int64 index tensor, got ", indices.dtype());
  SEEK_CHECK_VALUE(num_classes >= -1, "one_hot: num_classes must be -1 (infer) or non-negative, got ", num_classes);
  // The class range decides the output shape, so the values are read on the host
  // (PyTorch synchronises the same way).
  Tensor host = indices.to(kCPU).contiguous();
  const int64_t* p = host.data_ptr<int64_t>();
  const int64_t n = host.numel();
  if (num_classes == -1) {
    SEEK_CHECK_VALUE(n > 0, "one_hot: cannot infer num_classes from an empty tensor; pass num_classes");
    num_classes = *std::max_element(p, p + n) + 1;
  }
  for (int64_t i = 0; i < n; ++i) {
    SEEK_CHECK_VALUE(p[i] >= 0, "one_hot: class values must be non-negative, got ", p[i]);
    SEEK_CHECK_VALUE(p[i] < num_classes, "one_hot: class values must be smaller than num_classes (", num_classes,
                     "), got ", p[i]);
  }
  Shape shape = indices.sizes();
  shape.push_back(num_classes);
  Tensor out = zeros(shape, TensorOptions(kInt64).device(indices.device()));
  NoGradGuard g;
  scatter_into(ScatterMode::Assign, out, out.dim() - 1, indices.unsqueeze(-1), Tensor(), 1, "one_hot");
  return out;
}

// ---- methods ----
Tensor Tensor::gather(int64_t dim, const Tensor& index) const { return seek::gather(*this, dim, index); }
Tensor Tensor::scatter(int64_t dim, const Tensor& index, const Tensor& src) const {
  return seek::scatter(*this, dim, index, src);
}
Tensor Tensor::scatter(int64_t dim, const Tensor& index, Scalar value) const {
  return seek::scatter(*this, dim, index, value);
}
Tensor Tensor::scatter_add(int64_t dim, const Tensor& index, const Tensor& src) const {
  return seek::scatter_add(*this, dim, index, src);
}
Tensor& Tensor::scatter_(int64_t dim, const Tensor& index, const Tensor& src) {
  check_defined(src, "scatter_", "src");
  return scatter_inplace(ScatterMode::Assign, *this, dim, index, src, 0, "scatter_");
}
Tensor& Tensor::scatter_(int64_t dim, const Tensor& index, Scalar value) {
  return scatter_inplace(ScatterMode::Assign, *this, dim, index, Tensor(), value, "scatter_");
}
Tensor& Tensor::scatter_add_(int64_t dim, const Tensor& index, const Tensor& src) {
  check_defined(src, "scatter_add_", "src");
  return scatter_inplace(ScatterMode::Add, *this, dim, index, src, 0, "scatter_add_");
}
Tensor Tensor::index_select(int64_t dim, const Tensor& index) const { return seek::index_select(*this, dim, index); }
Tensor Tensor::index_add(int64_t dim, const Tensor& index, const Tensor& source, Scalar alpha) const {
  return seek::index_add(*this, dim, index, source, alpha);
}
Tensor& Tensor::index_add_(int64_t dim, const Tensor& index, const Tensor& source, Scalar alpha) {
  check_defined(*this, "index_add_", "self");
  if (autograd::check_inplace(*this, {source}, "index_add_")) {
    autograd::commit_inplace(*this, seek::index_add(clone(), dim, index, source, alpha));
    return *this;
  }
  dim = check_index_add_args("index_add_", *this, dim, index, source, alpha);
  check_no_internal_overlap(*this, "index_add_");
  index_add_into(*this, dim, index, source, alpha, "index_add_");
  bump_version();
  return *this;
}
Tensor Tensor::masked_select(const Tensor& mask) const { return seek::masked_select(*this, mask); }

}  // namespace seek
