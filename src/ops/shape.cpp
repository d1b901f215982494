// Joining, splitting and padding ops and their backward.
//
// cat allocates the output once and copies every input into its narrow() of
// the output through the backend's copy (so it works on every device and the
// dtype promotion costs nothing extra; contiguous blocks become one memmove).
//
// split/chunk/unbind make their views with history off and record ONE node for
// all pieces, whose backward joins the pieces' gradients with cat/stack: O(n)
// instead of one zero-filled input-sized tensor per piece.
//
// pad writes the input into the centre of the output, then fills the border of
// one padded dim after another by copying slices of the output onto itself:
// along dim j the region covers the whole output in dims already padded and
// only the centre in dims still to pad, so every border cell is written from
// an already valid cell. The backward runs the same steps in reverse order,
// adding each border slice of the gradient onto the slice it was copied from.
#include "seek/ops/shape.h"

#include <algorithm>

#include "ops/op_utils.h"
#include "seek/autograd/function.h"
#include "seek/ops/creation.h"

namespace seek {

using namespace ops_detail;
using autograd::variable_list;

namespace {

// PyTorch skips legacy empty tensors of shape [0] in cat, whatever the other sizes.
bool cat_skipped(const Tensor& t) { return t.dim() == 1 && t.size(0) == 0; }

}  // namespace

Tensor cat(const std::vector<Tensor>& tensors, int64_t dim) {
  SEEK_CHECK_VALUE(!tensors.empty(), "cat: expected a non-empty list of tensors");
  int64_t ref = -1;
  DType dt = kBool;
  for (size_t i = 0; i < tensors.size(); ++i) {
    const Tensor& t = tensors[i];
    SEEK_CHECK(t.defined(), "cat: tensor number ", i, " in the list is undefined");
    SEEK_CHECK_SHAPE(t.dim() > 0, "cat: zero-dimensional tensor (at position ", i, ") cannot be concatenated");
    if (t.device() != tensors[0].device()) {
      throw DeviceError(str("cat: expected all tensors to be on the same device, but found tensors on ",
                            tensors[0].device().str(), " (tensor number 0) and ", t.device().str(), " (tensor number ",
                            i, ")"));
    }
    dt = i == 0 ? t.dtype() : promote_types(dt, t.dtype());
    if (ref < 0 && !cat_skipped(t)) ref = static_cast<int64_t>(i);
  }
  if (ref < 0) ref = 0;  // every input is an empty [0]: the result is one too
  const Tensor& r = tensors[ref];
  const int64_t d = wrap_dim(dim, r.dim(), "cat");
  Shape out_shape = r.sizes();
  out_shape[d] = 0;
  for (size_t i = 0; i < tensors.size(); ++i) {
    const Tensor& t = tensors[i];
    if (cat_skipped(t)) continue;
    SEEK_CHECK_SHAPE(t.dim() == r.dim(), "cat: tensors must have the same number of dimensions: got ", r.dim(),
                     " (tensor number ", ref, ", sizes ", shape_str(r.sizes()), ") and ", t.dim(), " (tensor number ",
                     i, ", sizes ", shape_str(t.sizes()), ")");
    for (int64_t k = 0; k < r.dim(); ++k) {
      SEEK_CHECK_SHAPE(k == d || t.size(k) == r.size(k), "cat: sizes of tensors must match except in dimension ", d,
                       ". Expected size ", r.size(k), " but got size ", t.size(k), " in dimension ", k,
                       " for tensor number ", i, " in the list (sizes ", shape_str(r.sizes()), " and ",
                       shape_str(t.sizes()), ")");
    }
    out_shape[d] = checked_add(out_shape[d], t.size(d), "cat");
  }

  Tensor out = alloc(out_shape, dt, r.device());
  std::vector<int64_t> offsets(tensors.size(), -1), lengths(tensors.size(), -1);
  {
    NoGradGuard no_grad;
    Backend& be = backend(out.device());
    int64_t off = 0;
    for (size_t i = 0; i < tensors.size(); ++i) {
      const Tensor& t = tensors[i];
      if (cat_skipped(t)) continue;
      const int64_t n = t.size(d);
      offsets[i] = off;
      lengths[i] = n;
      if (t.numel() > 0) be.copy(t, out.narrow(d, off, n));
      off += n;
    }
  }
  if (autograd::needs_grad(tensors)) {
    autograd::record("CatBackward", tensors, {out},
                     [d, offsets, lengths](const variable_list& g, const std::vector<bool>& need) {
                       variable_list res(lengths.size());
                       for (size_t i = 0; i < lengths.size(); ++i) {
                         if (!need[i]) continue;
                         res[i] = lengths[i] < 0 ? zeros({0}, TensorOptions(g[0].dtype()).device(g[0].device()))
                                                 : g[0].narrow(d, offsets[i], lengths[i]);
                       }
                       return res;
                     });
  }
  return out;
}

Tensor stack(const std::vector<Tensor>& tensors, int64_t dim) {
  SEEK_CHECK_VALUE(!tensors.empty(), "stack: expected a non-empty list of tensors");
  for (size_t i = 0; i < tensors.size(); ++i) {
    SEEK_CHECK(tensors[i].defined(), "stack: tensor number ", i, " in the list is undefined");
    SEEK_CHECK_SHAPE(tensors[i].sizes() == tensors[0].sizes(), "stack: expects each tensor to be equal size, but got ",
                     shape_str(tensors[0].sizes()), " at entry 0 and ", shape_str(tensors[i].sizes()), " at entry ", i);
  }
  const int64_t d = wrap_dim(dim, tensors[0].dim() + 1, "stack");
  std::vector<Tensor> parts;
  parts.reserve(tensors.size());
  for (const Tensor& t : tensors) parts.push_back(t.unsqueeze(d));
  return cat(parts, d);
}

// ---- splitting: views, one backward node for all pieces ----

namespace {

std::vector<Tensor> split_views(const Tensor& t, const std::vector<int64_t>& sizes, int64_t d) {
  std::vector<Tensor> outs;
  outs.reserve(sizes.size());
  {
    NoGradGuard no_grad;
    int64_t off = 0;
    for (int64_t s : sizes) {
      outs.push_back(t.narrow(d, off, s));
      off += s;
    }
  }
  if (autograd::needs_grad({t}) && !outs.empty()) {
    autograd::record("SplitBackward", {t}, outs,
                     [d](const variable_list& g, const std::vector<bool>&) { return variable_list{cat(g, d)}; });
  }
  return outs;
}

void check_splittable(const Tensor& t, const char* op) {
  check_defined(t, op);
  SEEK_CHECK_SHAPE(t.dim() > 0, op, ": expected a tensor with at least one dimension, got a 0-dim tensor");
}

}  // namespace

std::vector<Tensor> split(const Tensor& t, int64_t split_size, int64_t dim) {
  check_splittable(t, "split");
  const int64_t d = wrap_dim(dim, t.dim(), "split");
  const int64_t n = t.size(d);
  SEEK_CHECK_VALUE(split_size >= 0, "split: split_size must be non-negative, but got split_size=", split_size);
  SEEK_CHECK_VALUE(split_size > 0 || n == 0,
                   "split: split_size can only be 0 if the dimension size is 0, but got "
                   "dimension size ",
                   n, " (dim ", d, ")");
  const int64_t pieces = split_size == 0 ? 1 : std::max<int64_t>((n + split_size - 1) / split_size, 1);
  std::vector<int64_t> sizes(pieces, split_size);
  sizes.back() = n - split_size * (pieces - 1);
  return split_views(t, sizes, d);
}

std::vector<Tensor> split(const Tensor& t, const std::vector<int64_t>& sizes, int64_t dim) {
  check_splittable(t, "split");
  const int64_t d = wrap_dim(dim, t.dim(), "split");
  int64_t total = 0;
  for (int64_t s : sizes) {
    SEEK_CHECK_VALUE(s >= 0, "split: split_sizes must be non-negative, but got split_sizes=", shape_str(sizes));
    total += s;
  }
  SEEK_CHECK_SHAPE(total == t.size(d), "split: split_sizes must sum exactly to ", t.size(d),
                   " (the input's size at dimension ", d, "), but got split_sizes=", shape_str(sizes));
  return split_views(t, sizes, d);
}

std::vector<Tensor> chunk(const Tensor& t, int64_t chunks, int64_t dim) {
  check_splittable(t, "chunk");
  SEEK_CHECK_VALUE(chunks > 0, "chunk: expects `chunks` to be greater than 0, got: ", chunks);
  const int64_t d = wrap_dim(dim, t.dim(), "chunk");
  const int64_t n = t.size(d);
  if (n == 0) return split_views(t, std::vector<int64_t>(chunks, 0), d);  // `chunks` empty pieces, as torch
  return split(t, (n + chunks - 1) / chunks, d);
}

std::vector<Tensor> unbind(const Tensor& t, int64_t dim) {
  check_defined(t, "unbind");
  SEEK_CHECK_INDEX(t.dim() > 0, "unbind: dimension specified as ", dim, " but tensor has no dimensions");
  const int64_t d = wrap_dim(dim, t.dim(), "unbind");
  std::vector<Tensor> outs;
  outs.reserve(t.size(d));
  {
    NoGradGuard no_grad;
    for (int64_t i = 0; i < t.size(d); ++i) outs.push_back(t.select(d, i));
  }
  if (autograd::needs_grad({t}) && !outs.empty()) {
    autograd::record("UnbindBackward", {t}, outs,
                     [d](const variable_list& g, const std::vector<bool>&) { return variable_list{stack(g, d)}; });
  }
  return outs;
}

std::vector<Tensor> Tensor::split(int64_t split_size, int64_t dim) const { return seek::split(*this, split_size, dim); }
std::vector<Tensor> Tensor::split(const std::vector<int64_t>& sizes, int64_t dim) const {
  return seek::split(*this, sizes, dim);
}
std::vector<Tensor> Tensor::chunk(int64_t chunks, int64_t dim) const { return seek::chunk(*this, chunks, dim); }
std::vector<Tensor> Tensor::unbind(int64_t dim) const { return seek::unbind(*this, dim); }

// ---- pad ----

namespace {

enum class PadMode { Constant, Reflect, Replicate, Circular };

PadMode parse_pad_mode(const std::string& mode) {
  if (mode == "constant") return PadMode::Constant;
  if (mode == "reflect") return PadMode::Reflect;
  if (mode == "replicate") return PadMode::Replicate;
  if (mode == "circular") return PadMode::Circular;
  throw ValueError(
      str("pad: unsupported padding mode '", mode, "'; expected 'constant', 'reflect', 'replicate' or 'circular'"));
}

// One padded dim: `left`/`right` cells added (cropped when negative) around `size`.
struct PadDim {
  int64_t dim, left, right, size;
};

// Where input and output overlap along one constant-padded dim: `len` cells
// starting at in_start in the input and at out_start in the output.
struct PadOverlap {
  int64_t in_start, out_start, len;
};
PadOverlap pad_overlap(const PadDim& pd) {
  const int64_t lo = std::max<int64_t>(pd.left, 0);
  const int64_t hi = std::min<int64_t>(pd.left + pd.size, pd.left + pd.size + pd.right);
  const int64_t len = std::max<int64_t>(hi - lo, 0);
  return {len > 0 ? lo - pd.left : 0, len > 0 ? lo : 0, len};
}

// The input index a border cell of the output copies, for output position p.
int64_t pad_source(PadMode mode, int64_t p, const PadDim& pd) {
  const int64_t i = p - pd.left, n = pd.size;
  switch (mode) {
    case PadMode::Reflect: return i < 0 ? -i : 2 * (n - 1) - i;
    case PadMode::Replicate: return std::clamp<int64_t>(i, 0, n - 1);
    default: return ((i % n) + n) % n;  // circular
  }
}

// `t` (output-shaped) narrowed to the centre along padded dims first, first + 1, ...
Tensor pad_region(const Tensor& t, const std::vector<PadDim>& pds, size_t first) {
  Tensor r = t;
  for (size_t k = first; k < pds.size(); ++k) r = r.narrow(pds[k].dim, pds[k].left, pds[k].size);
  return r;
}

// Output positions of the border of one padded dim.
std::vector<int64_t> border_positions(const PadDim& pd) {
  std::vector<int64_t> ps;
  for (int64_t p = 0; p < pd.left; ++p) ps.push_back(p);
  for (int64_t p = pd.left + pd.size; p < pd.left + pd.size + pd.right; ++p) ps.push_back(p);
  return ps;
}

void check_pad_dim(PadMode mode, const std::string& name, const PadDim& pd, const Tensor& input) {
  const int64_t l = pd.left, r = pd.right, n = pd.size;
  if (mode == PadMode::Constant) {
    SEEK_CHECK_SHAPE(n + l + r >= 0, "pad: the input size ", n, " at dimension ", pd.dim, ", plus negative padding (",
                     l, ", ", r, ") resulted in a negative output size ", n + l + r);
    return;
  }
  SEEK_CHECK_VALUE(l >= 0 && r >= 0, "pad: negative padding (", l, ", ", r, ") at dimension ", pd.dim,
                   " is only supported in constant mode, not '", name, "'");
  switch (mode) {
    case PadMode::Reflect:
      SEEK_CHECK_VALUE(l < n && r < n, "pad: reflect padding (", l, ", ", r, ") at dimension ", pd.dim,
                       " must be less than the input size ", n, " (input shape ", shape_str(input.sizes()), ")");
      break;
    case PadMode::Replicate:
      SEEK_CHECK_VALUE(n > 0 || l + r == 0, "pad: replicate padding (", l, ", ", r, ") at dimension ", pd.dim,
                       " needs a non-empty input dimension (input shape ", shape_str(input.sizes()), ")");
      break;
    default:
      SEEK_CHECK_VALUE(l <= n && r <= n && (n > 0 || l + r == 0), "pad: circular padding (", l, ", ", r,
                       ") at dimension ", pd.dim, " must not exceed the input size ", n, " (input shape ",
                       shape_str(input.sizes()), ")");
  }
}

Tensor constant_pad(const Tensor& input, const std::vector<PadDim>& pds, const Shape& out_shape, Scalar value) {
  Tensor out = alloc(out_shape, input.dtype(), input.device());
  bool grows = false;
  for (const PadDim& pd : pds) grows = grows || pd.left > 0 || pd.right > 0;
  NoGradGuard no_grad;
  if (grows) backend(out.device()).fill(out, value);
  // Overlap of input and output, in each one's coordinates (input index i sits at output i + left).
  Tensor dst = out, src = input.detach();
  for (const PadDim& pd : pds) {
    const PadOverlap ov = pad_overlap(pd);
    if (ov.len == 0) return out;  // all of this dim is cropped away or padding
    dst = dst.narrow(pd.dim, ov.out_start, ov.len);
    src = src.narrow(pd.dim, ov.in_start, ov.len);
  }
  if (dst.numel() > 0) backend(out.device()).copy(src, dst);
  return out;
}

Tensor constant_pad_backward(const Tensor& g, const std::vector<PadDim>& pds, const Shape& in_shape) {
  bool crops = false;
  for (const PadDim& pd : pds) crops = crops || pad_overlap(pd).len != pd.size || pd.size == 0;
  Tensor gi = crops ? zeros(in_shape, TensorOptions(g.dtype()).device(g.device())) : Tensor();
  Tensor gsrc = g, gdst = gi;
  for (const PadDim& pd : pds) {
    const PadOverlap ov = pad_overlap(pd);
    if (ov.len == 0) return gi;  // no input cell reached the output
    gsrc = gsrc.narrow(pd.dim, ov.out_start, ov.len);
    if (crops) gdst = gdst.narrow(pd.dim, ov.in_start, ov.len);
  }
  if (!crops) return gsrc;  // a view of the gradient
  if (gdst.numel() > 0) gdst.copy_(gsrc);
  return gi;
}

Tensor border_pad(PadMode mode, const Tensor& input, const std::vector<PadDim>& pds, const Shape& out_shape) {
  Tensor out = alloc(out_shape, input.dtype(), input.device());
  NoGradGuard no_grad;
  Backend& be = backend(out.device());
  Tensor centre = pad_region(out, pds, 0);
  if (centre.numel() == 0) return out;  // an empty non-padded dim: nothing to write
  be.copy(input.detach(), centre);
  for (size_t j = 0; j < pds.size(); ++j) {
    const PadDim& pd = pds[j];
    Tensor region = pad_region(out, pds, j + 1);
    const int64_t d = pd.dim, l = pd.left, r = pd.right, n = pd.size;
    if (mode == PadMode::Replicate) {
      if (l > 0) be.copy(region.narrow(d, l, 1).expand(region.narrow(d, 0, l).sizes()), region.narrow(d, 0, l));
      if (r > 0)
        be.copy(region.narrow(d, l + n - 1, 1).expand(region.narrow(d, l + n, r).sizes()), region.narrow(d, l + n, r));
    } else if (mode == PadMode::Circular) {
      if (l > 0) be.copy(region.narrow(d, n, l), region.narrow(d, 0, l));
      if (r > 0) be.copy(region.narrow(d, l, r), region.narrow(d, l + n, r));
    } else {
      for (int64_t p : border_positions(pd))
        be.copy(region.narrow(d, l + pad_source(mode, p, pd), 1), region.narrow(d, p, 1));
    }
  }
  return out;
}

Tensor border_pad_backward(PadMode mode, const Tensor& g, const std::vector<PadDim>& pds) {
  Tensor acc = g.clone();  // border cells are added onto their sources in place
  for (size_t j = pds.size(); j-- > 0;) {
    const PadDim& pd = pds[j];
    Tensor region = pad_region(acc, pds, j + 1);
    for (int64_t p : border_positions(pd))
      region.narrow(pd.dim, pd.left + pad_source(mode, p, pd), 1).add_(region.narrow(pd.dim, p, 1));
  }
  return pad_region(acc, pds, 0);
}

}  // namespace

Tensor pad(const Tensor& input, const std::vector<int64_t>& pads, const std::string& mode, Scalar value) {
  check_defined(input, "pad");
  const PadMode m = parse_pad_mode(mode);
  SEEK_CHECK_VALUE(pads.size() % 2 == 0, "pad: padding length must be divisible by 2, got ", pads.size(), " values");
  SEEK_CHECK_VALUE(static_cast<int64_t>(pads.size()) <= 2 * input.dim(),
                   "pad: padding length should be less than or equal to two times the input dimension but got "
                   "padding length ",
                   pads.size(), " and input of dimension ", input.dim());
  std::vector<PadDim> pds;
  Shape out_shape = input.sizes();
  for (size_t j = 0; j < pads.size() / 2; ++j) {
    PadDim pd{input.dim() - 1 - static_cast<int64_t>(j), pads[2 * j], pads[2 * j + 1], 0};
    pd.size = input.size(pd.dim);
    check_pad_dim(m, mode, pd, input);
    out_shape[pd.dim] = pd.size + pd.left + pd.right;
    pds.push_back(pd);
  }
  Tensor out =
      m == PadMode::Constant ? constant_pad(input, pds, out_shape, value) : border_pad(m, input, pds, out_shape);
  if (autograd::needs_grad({input})) {
    static const char* names[] = {"ConstantPadNdBackward", "ReflectionPadBackward", "ReplicationPadBackward",
                                  "CircularPadBackward"};
    Shape in_shape = input.sizes();
    autograd::record(names[static_cast<int>(m)], {input}, {out},
                     [m, pds, in_shape](const variable_list& g, const std::vector<bool>&) {
                       if (m == PadMode::Constant) return variable_list{constant_pad_backward(g[0], pds, in_shape)};
                       return variable_list{border_pad_backward(m, g[0], pds)};
                     });
  }
  return out;
}

}  // namespace seek
