// View ops: new sizes/strides/offset over the same storage, and their backward.
#include <algorithm>
#include <numeric>

#include "ops/op_utils.h"
#include "seek/autograd/function.h"
#include "seek/ops/creation.h"

namespace seek {

using namespace ops_detail;
using autograd::variable_list;

Tensor ops_detail::make_view(const Tensor& base, Shape sizes, std::vector<int64_t> strides, int64_t offset) {
  shape_numel(sizes);  // throws when the element count of the view overflows int64 (expand to huge sizes)
  auto impl = std::make_shared<TensorImpl>();
  const TensorImpl& src = *base.impl();
  impl->storage = src.storage;
  impl->sizes = std::move(sizes);
  impl->strides = std::move(strides);
  impl->offset = offset;
  impl->dtype = src.dtype;
  impl->version = src.version;
  impl->view_base = src.view_base ? src.view_base : base.impl_ptr();
  return Tensor(std::move(impl));
}

namespace {

// Records a view's backward as a function of the incoming gradient.
void record_view(const char* name, const Tensor& input, const Tensor& out,
                 std::function<Tensor(const Tensor&)> backward) {
  if (!autograd::needs_grad({input})) return;
  autograd::record(name, {input}, {out},
                   [backward = std::move(backward)](const variable_list& g, const std::vector<bool>&) {
                     return variable_list{backward(g[0])};
                   });
}

// Fills one -1 in `shape` from numel; checks the element count.
Shape infer_size(const Shape& shape, int64_t numel, const char* op) {
  Shape out = shape;
  int infer = -1;
  Shape given;  // the sizes other than the -1
  for (size_t i = 0; i < out.size(); ++i) {
    if (out[i] == -1) {
      SEEK_CHECK_SHAPE(infer < 0, op, ": only one dimension can be inferred, got shape ", shape_str(shape));
      infer = static_cast<int>(i);
    } else {
      SEEK_CHECK_SHAPE(out[i] >= 0, op, ": invalid shape dimension ", out[i], " in ", shape_str(shape));
      given.push_back(out[i]);
    }
  }
  const int64_t known = shape_numel(given);  // checked: a product that overflows throws naming the sizes
  if (infer >= 0) {
    SEEK_CHECK_SHAPE(known != 0 && numel % known == 0, op, ": shape ", shape_str(shape),
                     " is invalid for input of size ", numel);
    out[infer] = numel / known;
  } else {
    SEEK_CHECK_SHAPE(known == numel, op, ": shape ", shape_str(shape), " is invalid for input of size ", numel);
  }
  return out;
}

// Strides for viewing (sizes, strides) as `shape` without copying, if possible
// (PyTorch's computeStride: each run of merged old dims must be contiguous).
std::optional<std::vector<int64_t>> view_strides(const Shape& old_sizes, const std::vector<int64_t>& old_strides,
                                                 const Shape& shape) {
  if (old_sizes.empty()) return std::vector<int64_t>(shape.size(), 1);
  int64_t numel = shape_numel(old_sizes);
  if (numel == 0) return contiguous_strides(shape);
  std::vector<int64_t> out(shape.size());
  int64_t view_d = static_cast<int64_t>(shape.size()) - 1;
  int64_t chunk_base_stride = old_strides.back();
  int64_t tensor_numel = 1, view_numel = 1;
  for (int64_t d = static_cast<int64_t>(old_sizes.size()) - 1; d >= 0; --d) {
    tensor_numel *= old_sizes[d];
    if (d == 0 || (old_sizes[d - 1] != 1 && old_strides[d - 1] != tensor_numel * chunk_base_stride)) {
      while (view_d >= 0 && (view_numel < tensor_numel || shape[view_d] == 1)) {
        out[view_d] = view_numel * chunk_base_stride;
        view_numel *= shape[view_d];
        --view_d;
      }
      if (view_numel != tensor_numel) return std::nullopt;
      if (d > 0) {
        chunk_base_stride = old_strides[d - 1];
        tensor_numel = 1;
        view_numel = 1;
      }
    }
  }
  if (view_d != -1) return std::nullopt;
  return out;
}

}  // namespace

Tensor Tensor::as_strided(const Shape& sizes, const std::vector<int64_t>& strides,
                          std::optional<int64_t> storage_offset) const {
  check_defined(*this, "as_strided");
  SEEK_CHECK_SHAPE(sizes.size() == strides.size(), "as_strided: got ", sizes.size(), " sizes but ", strides.size(),
                   " strides");
  SEEK_CHECK_T(AutogradError, !autograd::needs_grad({*this}),
               "as_strided: backward through as_strided is not supported; use view/permute/narrow");
  int64_t offset = storage_offset.value_or(this->storage_offset());
  int64_t last = offset;
  for (size_t i = 0; i < sizes.size(); ++i) {
    SEEK_CHECK_SHAPE(sizes[i] >= 0 && strides[i] >= 0, "as_strided: negative size or stride");
    if (sizes[i] == 0) last = -1;
  }
  for (size_t i = 0; i < sizes.size() && last >= 0; ++i)
    last = checked_add(last, checked_mul(sizes[i] - 1, strides[i], "as_strided"), "as_strided");
  int64_t capacity = static_cast<int64_t>(storage()->nbytes() / element_size());
  SEEK_CHECK_INDEX(offset >= 0 && last < capacity, "as_strided: view of sizes ", shape_str(sizes), " reaches element ",
                   last, " but the storage holds ", capacity);
  return make_view(*this, sizes, strides, offset);
}

Tensor Tensor::view(const Shape& shape) const {
  check_defined(*this, "view");
  Shape target = infer_size(shape, numel(), "view");
  auto strides = view_strides(sizes(), this->strides(), target);
  SEEK_CHECK_SHAPE(strides.has_value(), "view: size ", shape_str(target), " is not compatible with input of size ",
                   shape_str(sizes()), " and strides ", shape_str(this->strides()),
                   " (at least one dimension spans across two contiguous subspaces); use reshape() instead");
  Tensor out = make_view(*this, target, *strides, storage_offset());
  Shape in_shape = sizes();
  record_view("ViewBackward", *this, out, [in_shape](const Tensor& g) { return g.reshape(in_shape); });
  return out;
}

Tensor Tensor::reshape(const Shape& shape) const {
  check_defined(*this, "reshape");
  Shape target = infer_size(shape, numel(), "reshape");
  if (view_strides(sizes(), strides(), target)) return view(target);
  return contiguous().view(target);
}

Tensor Tensor::permute(const std::vector<int64_t>& dims) const {
  check_defined(*this, "permute");
  SEEK_CHECK_SHAPE(static_cast<int64_t>(dims.size()) == dim(), "permute: number of dims in permutation (", dims.size(),
                   ") does not match the tensor's ", dim(), " dims");
  std::vector<int64_t> wrapped(dims.size());
  std::vector<bool> seen(dims.size(), false);
  Shape s(dims.size());
  std::vector<int64_t> st(dims.size());
  for (size_t i = 0; i < dims.size(); ++i) {
    int64_t d = wrap_dim(dims[i], dim(), "permute");
    SEEK_CHECK_INDEX(!seen[d], "permute: repeated dim ", d, " in permutation");
    seen[d] = true;
    wrapped[i] = d;
    s[i] = sizes()[d];
    st[i] = strides()[d];
  }
  Tensor out = make_view(*this, s, st, storage_offset());
  std::vector<int64_t> inverse(dims.size());
  for (size_t i = 0; i < wrapped.size(); ++i) inverse[wrapped[i]] = static_cast<int64_t>(i);
  record_view("PermuteBackward", *this, out, [inverse](const Tensor& g) { return g.permute(inverse); });
  return out;
}

Tensor Tensor::transpose(int64_t d0, int64_t d1) const {
  check_defined(*this, "transpose");
  if (dim() == 0) return *this;
  int64_t a = wrap_dim(d0, dim(), "transpose"), b = wrap_dim(d1, dim(), "transpose");
  std::vector<int64_t> perm(dim());
  std::iota(perm.begin(), perm.end(), 0);
  std::swap(perm[a], perm[b]);
  return permute(perm);
}

Tensor Tensor::t() const {
  SEEK_CHECK_SHAPE(dim() <= 2, "t: expects a tensor with <= 2 dimensions, but self is ", dim(), "D");
  return dim() < 2 ? *this : transpose(0, 1);
}

Tensor Tensor::slice(int64_t d, std::optional<int64_t> start, std::optional<int64_t> end, int64_t step) const {
  check_defined(*this, "slice");
  SEEK_CHECK_SHAPE(dim() > 0, "slice: cannot slice a 0-dim tensor");
  SEEK_CHECK_VALUE(step > 0, "slice: step must be positive, got ", step);
  d = wrap_dim(d, dim(), "slice");
  int64_t n = sizes()[d];
  int64_t s = start.value_or(0), e = end.value_or(n);
  if (s < 0) s += n;
  if (e < 0) e += n;
  s = std::clamp<int64_t>(s, 0, n);
  e = std::clamp<int64_t>(e, s, n);
  Shape sz = sizes();
  std::vector<int64_t> st = strides();
  sz[d] = (e - s + step - 1) / step;
  st[d] *= step;
  Tensor out = make_view(*this, sz, st, storage_offset() + s * strides()[d]);
  Shape in_shape = sizes();
  DType dt = dtype();
  Device dev = device();
  record_view("SliceBackward", *this, out, [in_shape, dt, dev, d, s, e, step](const Tensor& g) {
    Tensor gi = zeros(in_shape, TensorOptions(dt).device(dev));
    gi.slice(d, s, e, step).copy_(g);
    return gi;
  });
  return out;
}

Tensor Tensor::narrow(int64_t d, int64_t start, int64_t length) const {
  check_defined(*this, "narrow");
  SEEK_CHECK_SHAPE(dim() > 0, "narrow: cannot narrow a 0-dim tensor");
  int64_t wd = wrap_dim(d, dim(), "narrow");
  int64_t n = sizes()[wd];
  if (start < 0) start += n;
  SEEK_CHECK_INDEX(start >= 0 && length >= 0 && start + length <= n, "narrow: start ", start, " + length ", length,
                   " exceeds dimension size ", n, " of dim ", wd);
  return slice(wd, start, start + length, 1);
}

Tensor Tensor::select(int64_t d, int64_t index) const {
  check_defined(*this, "select");
  SEEK_CHECK_INDEX(dim() > 0, "select: cannot select from a 0-dim tensor");
  d = wrap_dim(d, dim(), "select");
  int64_t n = sizes()[d];
  SEEK_CHECK_INDEX(index >= -n && index < n, "select: index ", index, " is out of bounds for dimension ", d,
                   " with size ", n);
  if (index < 0) index += n;
  Shape sz = sizes();
  std::vector<int64_t> st = strides();
  int64_t offset = storage_offset() + index * st[d];
  sz.erase(sz.begin() + d);
  st.erase(st.begin() + d);
  Tensor out = make_view(*this, sz, st, offset);
  Shape in_shape = sizes();
  DType dt = dtype();
  Device dev = device();
  record_view("SelectBackward", *this, out, [in_shape, dt, dev, d, index](const Tensor& g) {
    Tensor gi = zeros(in_shape, TensorOptions(dt).device(dev));
    gi.select(d, index).copy_(g);
    return gi;
  });
  return out;
}

Tensor Tensor::expand(const Shape& shape) const {
  check_defined(*this, "expand");
  SEEK_CHECK_SHAPE(shape.size() >= static_cast<size_t>(dim()), "expand: the number of sizes provided (", shape.size(),
                   ") must be greater or equal to the number of dimensions in the tensor (", dim(), ")");
  size_t lead = shape.size() - dim();
  Shape sz(shape.size());
  std::vector<int64_t> st(shape.size());
  for (size_t i = 0; i < shape.size(); ++i) {
    if (i < lead) {
      SEEK_CHECK_SHAPE(shape[i] >= 0, "expand: -1 is not allowed in a leading, non-existing dimension");
      sz[i] = shape[i];
      st[i] = 0;
      continue;
    }
    int64_t cur = sizes()[i - lead];
    int64_t want = shape[i] == -1 ? cur : shape[i];
    SEEK_CHECK_SHAPE(cur == want || cur == 1, "expand: the expanded size of the tensor (", want,
                     ") must match the existing size (", cur, ") at non-singleton dimension ", i,
                     ". Target sizes: ", shape_str(shape), ". Tensor sizes: ", shape_str(sizes()));
    sz[i] = want;
    st[i] = cur == want ? strides()[i - lead] : 0;
  }
  if (sz == sizes()) return *this;
  Tensor out = make_view(*this, sz, st, storage_offset());
  Shape in_shape = sizes();
  record_view("ExpandBackward", *this, out, [in_shape](const Tensor& g) { return autograd::sum_to(g, in_shape); });
  return out;
}

Tensor Tensor::squeeze() const {
  check_defined(*this, "squeeze");
  Shape s;
  for (int64_t v : sizes())
    if (v != 1) s.push_back(v);
  return s.size() == sizes().size() ? *this : reshape(s);
}

Tensor Tensor::squeeze(int64_t d) const {
  check_defined(*this, "squeeze");
  if (dim() == 0) return *this;
  d = wrap_dim(d, dim(), "squeeze");
  if (sizes()[d] != 1) return *this;
  Shape s = sizes();
  s.erase(s.begin() + d);
  return reshape(s);
}

Tensor Tensor::unsqueeze(int64_t d) const {
  check_defined(*this, "unsqueeze");
  d = wrap_dim(d, dim() + 1, "unsqueeze");
  Shape s = sizes();
  s.insert(s.begin() + d, 1);
  return reshape(s);
}

Tensor Tensor::flatten(int64_t start_dim, int64_t end_dim) const {
  check_defined(*this, "flatten");
  if (dim() == 0) return reshape({1});
  int64_t a = wrap_dim(start_dim, dim(), "flatten"), b = wrap_dim(end_dim, dim(), "flatten");
  SEEK_CHECK_INDEX(a <= b, "flatten: start_dim ", a, " cannot come after end_dim ", b);
  Shape s(sizes().begin(), sizes().begin() + a);
  s.push_back(shape_numel(Shape(sizes().begin() + a, sizes().begin() + b + 1)));
  s.insert(s.end(), sizes().begin() + b + 1, sizes().end());
  return reshape(s);
}

Tensor Tensor::unflatten(int64_t d, const Shape& parts) const {
  check_defined(*this, "unflatten");
  d = wrap_dim(d, dim(), "unflatten");
  Shape inner = infer_size(parts, sizes()[d], "unflatten");
  Shape s(sizes().begin(), sizes().begin() + d);
  s.insert(s.end(), inner.begin(), inner.end());
  s.insert(s.end(), sizes().begin() + d + 1, sizes().end());
  return reshape(s);
}

Tensor Tensor::movedim(int64_t src, int64_t dst) const {
  check_defined(*this, "movedim");
  src = wrap_dim(src, dim(), "movedim");
  dst = wrap_dim(dst, dim(), "movedim");
  std::vector<int64_t> order;
  for (int64_t i = 0; i < dim(); ++i)
    if (i != src) order.push_back(i);
  order.insert(order.begin() + dst, src);
  return permute(order);
}

}  // namespace seek
