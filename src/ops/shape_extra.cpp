// Rearranging ops built from views and the existing differentiable ops, so their
// backward comes from those: flip (index_select with a reversed arange), roll (two
// narrows joined by cat), repeat / tile (a strided expand then one reshape copy),
// repeat_interleave (expand + flatten, or index_select for per-slice counts),
// broadcast_to / broadcast_tensors / meshgrid (expand views), rot90 (flip +
// transpose), movedim and tensor_split (views).
#include <algorithm>
#include <numeric>

#include "ops/op_utils.h"
#include "seek/autograd/function.h"
#include "seek/ops/creation.h"
#include "seek/ops/index.h"
#include "seek/ops/shape.h"
#include "seek/ops/shape_extra.h"

namespace seek {

using namespace ops_detail;

namespace {

TensorOptions long_on(Device d) { return TensorOptions(kInt64).device(d); }

// int64 values of a host copy of t (a repeats tensor).
std::vector<int64_t> host_ints(const Tensor& t, const char* op) {
  SEEK_CHECK_DTYPE(t.dtype() == kInt64 || t.dtype() == kInt32, op, ": repeats must be an int64 or int32 tensor, got ",
                   t.dtype());
  return to_vector<int64_t>(t.to(kCPU, kInt64).contiguous().reshape({-1}));
}

}  // namespace

Tensor flip(const Tensor& t, const std::vector<int64_t>& dims) {
  check_defined(t, "flip");
  Tensor out = t;
  for (int64_t d : wrap_dims(dims, t.dim(), "flip")) {
    const int64_t n = t.size(d);
    if (n <= 1) continue;
    out = out.index_select(d, arange(n - 1, -1, -1, long_on(t.device())));
  }
  // flip always returns a new tensor, as in PyTorch.
  return out.is_same(t) ? t.clone() : out;
}

Tensor fliplr(const Tensor& t) {
  check_defined(t, "fliplr");
  SEEK_CHECK_SHAPE(t.dim() >= 2, "fliplr: input must be >= 2-d, got ", t.dim(), "-d");
  return flip(t, {1});
}

Tensor flipud(const Tensor& t) {
  check_defined(t, "flipud");
  SEEK_CHECK_SHAPE(t.dim() >= 1, "flipud: input must be >= 1-d, got ", t.dim(), "-d");
  return flip(t, {0});
}

Tensor roll(const Tensor& t, const std::vector<int64_t>& shifts, const std::vector<int64_t>& dims) {
  check_defined(t, "roll");
  SEEK_CHECK_VALUE(!shifts.empty(), "roll: `shifts` required");
  if (dims.empty()) {
    SEEK_CHECK_VALUE(shifts.size() == 1, "roll: with no dims, shifts must hold one value, got ", shifts.size());
    return roll(t.flatten(), shifts, {0}).view(t.sizes());
  }
  SEEK_CHECK_VALUE(shifts.size() == dims.size(), "roll: shifts and dimensions must align. shifts: ", shifts.size(),
                   ", dims: ", dims.size());
  Tensor out = t;
  for (size_t i = 0; i < dims.size(); ++i) {
    const int64_t d = wrap_dim(dims[i], t.dim(), "roll");
    const int64_t n = t.dim() == 0 ? 1 : t.size(d);
    if (n == 0 || t.dim() == 0) continue;
    const int64_t s = ((shifts[i] % n) + n) % n;
    if (s == 0) continue;
    out = cat({out.narrow(d, n - s, s), out.narrow(d, 0, n - s)}, d);
  }
  return out.is_same(t) ? t.clone() : out;
}

Tensor repeat(const Tensor& t, const Shape& repeats) {
  check_defined(t, "repeat");
  SEEK_CHECK_SHAPE(static_cast<int64_t>(repeats.size()) >= t.dim(), "repeat: number of dimensions of repeat dims (",
                   repeats.size(), ") can not be smaller than number of dimensions of tensor (", t.dim(), ")");
  for (int64_t r : repeats) SEEK_CHECK_VALUE(r >= 0, "repeat: repeats can not be negative, got ", shape_str(repeats));
  const size_t lead = repeats.size() - static_cast<size_t>(t.dim());
  Shape padded(lead, 1);
  padded.insert(padded.end(), t.sizes().begin(), t.sizes().end());
  // [1, s0, 1, s1, ...] expanded to [r0, s0, r1, s1, ...], then merged pairwise.
  Shape inter, expanded, out;
  for (size_t i = 0; i < repeats.size(); ++i) {
    inter.insert(inter.end(), {1, padded[i]});
    expanded.insert(expanded.end(), {repeats[i], padded[i]});
    out.push_back(repeats[i] * padded[i]);
  }
  return t.reshape(inter).expand(expanded).reshape(out);
}

Tensor tile(const Tensor& t, const Shape& dims) {
  check_defined(t, "tile");
  Shape r = dims;
  if (static_cast<int64_t>(r.size()) < t.dim()) r.insert(r.begin(), t.dim() - r.size(), 1);
  return repeat(t, r);
}

Tensor repeat_interleave(const Tensor& t, int64_t repeats, std::optional<int64_t> dim) {
  check_defined(t, "repeat_interleave");
  SEEK_CHECK_VALUE(repeats >= 0, "repeat_interleave: repeats can not be negative, got ", repeats);
  Tensor x = dim ? t : t.flatten();
  const int64_t d = dim ? wrap_dim(*dim, t.dim(), "repeat_interleave") : 0;
  if (x.dim() == 0) x = x.reshape({1});
  Shape shape = x.sizes();
  shape.insert(shape.begin() + d + 1, repeats);
  return x.unsqueeze(d + 1).expand(shape).flatten(d, d + 1);
}

Tensor repeat_interleave(const Tensor& t, const Tensor& repeats, std::optional<int64_t> dim) {
  check_defined(t, "repeat_interleave");
  check_defined(repeats, "repeat_interleave", "repeats");
  SEEK_CHECK_SHAPE(repeats.dim() <= 1, "repeat_interleave: repeats must be 0-dim or 1-dim, got shape ",
                   shape_str(repeats.sizes()));
  std::vector<int64_t> r = host_ints(repeats, "repeat_interleave");
  if (r.size() == 1) return repeat_interleave(t, r[0], dim);
  Tensor x = dim ? t : t.flatten();
  const int64_t d = dim ? wrap_dim(*dim, t.dim(), "repeat_interleave") : 0;
  const int64_t n = x.dim() == 0 ? 1 : x.size(d);
  SEEK_CHECK_SHAPE(static_cast<int64_t>(r.size()) == n, "repeat_interleave: repeats must have the same size as input ",
                   "along dim ", d, ": got ", r.size(), " repeats for size ", n);
  return x.index_select(d, repeat_interleave(repeats).to(x.device()));
}

Tensor repeat_interleave(const Tensor& repeats) {
  check_defined(repeats, "repeat_interleave", "repeats");
  SEEK_CHECK_SHAPE(repeats.dim() <= 1, "repeat_interleave: repeats must be 0-dim or 1-dim, got shape ",
                   shape_str(repeats.sizes()));
  std::vector<int64_t> r = host_ints(repeats, "repeat_interleave");
  std::vector<int64_t> idx;
  for (size_t i = 0; i < r.size(); ++i) {
    SEEK_CHECK_VALUE(r[i] >= 0, "repeat_interleave: repeats can not be negative, got ", r[i]);
    idx.insert(idx.end(), static_cast<size_t>(r[i]), static_cast<int64_t>(i));
  }
  return tensor<int64_t>(idx, {static_cast<int64_t>(idx.size())}, long_on(repeats.device()));
}

Tensor broadcast_to(const Tensor& t, const Shape& shape) {
  check_defined(t, "broadcast_to");
  return t.expand(shape);
}

std::vector<Tensor> broadcast_tensors(const std::vector<Tensor>& tensors) {
  Shape shape;
  for (size_t i = 0; i < tensors.size(); ++i) {
    check_defined(tensors[i], "broadcast_tensors");
    shape = i == 0 ? tensors[i].sizes() : broadcast_shapes(shape, tensors[i].sizes(), "broadcast_tensors");
  }
  std::vector<Tensor> out;
  for (const Tensor& t : tensors) out.push_back(t.expand(shape));
  return out;
}

std::vector<Tensor> meshgrid(const std::vector<Tensor>& tensors, const std::string& indexing) {
  SEEK_CHECK_VALUE(indexing == "ij" || indexing == "xy", "meshgrid: indexing must be \"ij\" or \"xy\", got \"",
                   indexing, "\"");
  SEEK_CHECK_VALUE(!tensors.empty(), "meshgrid: expects a non-empty list of tensors");
  for (size_t i = 0; i < tensors.size(); ++i) {
    check_defined(tensors[i], "meshgrid");
    SEEK_CHECK_SHAPE(tensors[i].dim() <= 1, "meshgrid: expects 0D or 1D tensors, got tensor ", i, " of shape ",
                     shape_str(tensors[i].sizes()));
    SEEK_CHECK_DTYPE(tensors[i].dtype() == tensors[0].dtype(), "meshgrid: expects all tensors to have the same dtype, ",
                     "got ", tensors[0].dtype(), " and ", tensors[i].dtype());
    SEEK_CHECK_T(DeviceError, tensors[i].device() == tensors[0].device(),
                 "meshgrid: expects all tensors to be on the same device");
  }
  std::vector<Tensor> in = tensors;
  const bool swap = indexing == "xy" && in.size() >= 2;
  if (swap) std::swap(in[0], in[1]);
  Shape shape;
  for (const Tensor& t : in) shape.push_back(t.numel());
  std::vector<Tensor> out;
  for (size_t i = 0; i < in.size(); ++i) {
    Shape view(in.size(), 1);
    view[i] = -1;
    out.push_back(in[i].reshape(view).expand(shape));
  }
  if (swap) std::swap(out[0], out[1]);
  return out;
}

Tensor rot90(const Tensor& t, int64_t k, const std::vector<int64_t>& dims) {
  check_defined(t, "rot90");
  SEEK_CHECK_VALUE(dims.size() == 2, "rot90: expected total rotation dims == 2, but got dims = ", dims.size());
  SEEK_CHECK_SHAPE(t.dim() >= 2, "rot90: expected total dims >= 2, but got total dims = ", t.dim());
  const int64_t a = wrap_dim(dims[0], t.dim(), "rot90"), b = wrap_dim(dims[1], t.dim(), "rot90");
  SEEK_CHECK_VALUE(a != b, "rot90: expected rotation dims to be different, but got dim0 = ", a, " and dim1 = ", b);
  switch (((k % 4) + 4) % 4) {
    case 1: return flip(t, {b}).transpose(a, b);
    case 2: return flip(t, {a, b});
    case 3: return flip(t, {a}).transpose(a, b);
    default: return t.clone();
  }
}

Tensor movedim(const Tensor& t, const std::vector<int64_t>& src, const std::vector<int64_t>& dst) {
  check_defined(t, "movedim");
  SEEK_CHECK_VALUE(src.size() == dst.size(), "movedim: Invalid source or destination dims: source (", shape_str(src),
                   " dims) should contain the same number of dims as destination (", shape_str(dst), " dims)");
  const int64_t n = t.dim();
  std::vector<int64_t> order(static_cast<size_t>(n), -1);
  std::vector<bool> used(static_cast<size_t>(n), false);
  for (size_t i = 0; i < src.size(); ++i) {
    const int64_t s = wrap_dim(src[i], n, "movedim"), d = wrap_dim(dst[i], n, "movedim");
    if (n == 0) continue;
    SEEK_CHECK_VALUE(!used[s], "movedim: repeated dim in `source` (", shape_str(src), ")");
    SEEK_CHECK_VALUE(order[d] == -1, "movedim: repeated dim in `destination` (", shape_str(dst), ")");
    used[s] = true;
    order[d] = s;
  }
  int64_t next = 0;
  for (int64_t& o : order) {
    if (o != -1) continue;
    while (used[next]) ++next;
    o = next++;
  }
  return n == 0 ? t : t.permute(order);
}

std::vector<Tensor> tensor_split(const Tensor& t, int64_t sections, int64_t dim) {
  check_defined(t, "tensor_split");
  SEEK_CHECK_SHAPE(t.dim() > 0, "tensor_split: expected at least a 1-dimensional tensor");
  SEEK_CHECK_VALUE(sections > 0, "tensor_split: number of sections must be larger than 0, got ", sections);
  const int64_t d = wrap_dim(dim, t.dim(), "tensor_split"), n = t.size(d);
  const int64_t base = n / sections, extra = n % sections;
  std::vector<int64_t> indices;
  int64_t at = 0;
  for (int64_t i = 0; i + 1 < sections; ++i) {
    at += base + (i < extra ? 1 : 0);
    indices.push_back(at);
  }
  return tensor_split(t, indices, d);
}

std::vector<Tensor> tensor_split(const Tensor& t, const std::vector<int64_t>& indices, int64_t dim) {
  check_defined(t, "tensor_split");
  SEEK_CHECK_SHAPE(t.dim() > 0, "tensor_split: expected at least a 1-dimensional tensor");
  const int64_t d = wrap_dim(dim, t.dim(), "tensor_split");
  std::vector<Tensor> out;
  std::optional<int64_t> start = 0;
  for (int64_t idx : indices) {
    out.push_back(t.slice(d, start, idx));
    start = idx;
  }
  out.push_back(t.slice(d, start, std::nullopt));
  return out;
}

// ---- methods ----
Tensor Tensor::flip(const std::vector<int64_t>& dims) const { return seek::flip(*this, dims); }
Tensor Tensor::fliplr() const { return seek::fliplr(*this); }
Tensor Tensor::flipud() const { return seek::flipud(*this); }
Tensor Tensor::roll(const std::vector<int64_t>& shifts, const std::vector<int64_t>& dims) const {
  return seek::roll(*this, shifts, dims);
}
Tensor Tensor::repeat(const Shape& repeats) const { return seek::repeat(*this, repeats); }
Tensor Tensor::tile(const Shape& dims) const { return seek::tile(*this, dims); }
Tensor Tensor::repeat_interleave(int64_t repeats, std::optional<int64_t> dim) const {
  return seek::repeat_interleave(*this, repeats, dim);
}
Tensor Tensor::repeat_interleave(const Tensor& repeats, std::optional<int64_t> dim) const {
  return seek::repeat_interleave(*this, repeats, dim);
}
Tensor Tensor::broadcast_to(const Shape& shape) const { return seek::broadcast_to(*this, shape); }
Tensor Tensor::rot90(int64_t k, const std::vector<int64_t>& dims) const { return seek::rot90(*this, k, dims); }
Tensor Tensor::movedim(const std::vector<int64_t>& src, const std::vector<int64_t>& dst) const {
  return seek::movedim(*this, src, dst);
}
std::vector<Tensor> Tensor::tensor_split(int64_t sections, int64_t dim) const {
  return seek::tensor_split(*this, sections, dim);
}
std::vector<Tensor> Tensor::tensor_split(const std::vector<int64_t>& indices, int64_t dim) const {
  return seek::tensor_split(*this, indices, dim);
}

}  // namespace seek
