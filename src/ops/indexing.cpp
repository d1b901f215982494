// Python-style indexing: Tensor::index and Tensor::index_put_.
//
// Basic entries (integers, slices, None, Ellipsis) become views (select, slice,
// unsqueeze); when only those appear the result is a view of self. Index
// tensors, bool masks and bools are "advanced" entries, applied afterwards to
// that view as in NumPy / PyTorch:
//  - a bool mask over m dims becomes the flat (row-major) positions of its true
//    elements within those dims, read on the host since they decide the result
//    size (PyTorch synchronises too); a bool b adds a size-1 dim indexed by [0]
//    (true) or by nothing (false), as in libtorch;
//  - the index tensors broadcast to one shape B; when the indexed dims are
//    adjacent the B dims replace them, otherwise they go first;
//  - the indexed dims are moved together (they already are when adjacent) and
//    flattened into one, and a single linear index L = sum_j i_j * (product of the
//    later indexed sizes) selects along it: index_select to read (its backward,
//    index_add, accumulates duplicates), scatter to write (scatter-add with
//    accumulate=True: the kernel walks the flattened dim serially, so duplicates sum).
// Each user index is bounds-checked against its own dim before it joins L, by a
// lookup in a table t[v] = v * multiplier through the index_select kernel, which
// also wraps negative values. A read with one index tensor needs no table: the
// index_select kernel checks and wraps it directly.
// Integers act as select() before the advanced entries, as in PyTorch (NumPy
// would count them as advanced indices when they are mixed with index tensors).
#include <algorithm>

#include "ops/op_utils.h"
#include "seek/autograd/function.h"
#include "seek/ops/creation.h"
#include "seek/ops/index.h"

namespace seek {

using namespace ops_detail;
using autograd::variable_list;

namespace {

// An advanced entry after parsing.
struct Entry {
  Tensor t;              // the user's int64/int32 index, or int64 flat positions of a mask
  int64_t dim = 0;       // first dim of the basic view it indexes
  int64_t ndims = 1;     // dims it covers (a mask covers mask.dim())
  bool trusted = false;  // values known to be in range (from a mask or a bool)
};

struct Parsed {
  Tensor view;  // self after the basic entries
  std::vector<Entry> adv;
};

Tensor host_int64(const std::vector<int64_t>& v, Device device) {
  return tensor<int64_t>(v, Shape{static_cast<int64_t>(v.size())}, TensorOptions(kInt64).device(device));
}

// Flat row-major positions of the true elements of a bool/uint8 mask.
Tensor mask_positions(const Tensor& mask, Device device) {
  Tensor h = mask.to(kCPU, kBool).contiguous();
  const bool* p = h.data_ptr<bool>();
  std::vector<int64_t> pos;
  for (int64_t i = 0; i < h.numel(); ++i)
    if (p[i]) pos.push_back(i);
  return host_int64(pos, device);
}

bool is_mask(const Tensor& t) { return t.dtype() == kBool || t.dtype() == kUInt8; }

Parsed parse(const Tensor& self, const std::vector<TensorIndex>& indices, const char* op) {
  using K = TensorIndex::Kind;
  int64_t consumed = 0, ellipses = 0;
  for (const TensorIndex& ix : indices) {
    if (ix.kind == K::Integer || ix.kind == K::Slice) ++consumed;
    if (ix.kind == K::Ellipsis) ++ellipses;
    if (ix.kind == K::Tensor) {
      check_defined(ix.tensor, op, "index");
      consumed += is_mask(ix.tensor) ? ix.tensor.dim() : 1;
    }
  }
  SEEK_CHECK_INDEX(ellipses <= 1, op, ": an index can only have a single ellipsis");
  SEEK_CHECK_INDEX(consumed <= self.dim(), op, ": too many indices for tensor of dimension ", self.dim(), " (got ",
                   consumed, ")");
  Parsed p;
  Tensor r = self;
  int64_t d = 0;
  for (const TensorIndex& ix : indices) {
    switch (ix.kind) {
      case K::Integer: {
        const int64_t n = r.size(d), i = ix.integer;
        SEEK_CHECK_INDEX(i >= -n && i < n, op, ": index ", i, " is out of bounds for dimension ", d, " with size ", n);
        r = r.select(d, i);
        break;
      }
      case K::Slice:
        SEEK_CHECK_VALUE(ix.slice.step > 0, op, ": slice step must be greater than zero, got ", ix.slice.step);
        r = r.slice(d, ix.slice.start, ix.slice.stop, ix.slice.step);
        ++d;
        break;
      case K::None:
        r = r.unsqueeze(d);
        ++d;
        break;
      case K::Ellipsis: d += self.dim() - consumed; break;
      case K::Boolean:
        r = r.unsqueeze(d);
        p.adv.push_back(
            {host_int64(ix.boolean ? std::vector<int64_t>{0} : std::vector<int64_t>{}, self.device()), d, 1, true});
        ++d;
        break;
      case K::Tensor: {
        const Tensor& t = ix.tensor;
        check_same_device(op, {self, t});
        if (is_mask(t)) {
          Tensor m = t;
          if (m.dim() == 0) {  // a 0-dim mask acts like a bool
            r = r.unsqueeze(d);
            m = m.reshape({1});
          }
          for (int64_t j = 0; j < m.dim(); ++j) {
            SEEK_CHECK_INDEX(m.size(j) == r.size(d + j), op, ": the shape of the mask ", shape_str(m.sizes()),
                             " at index ", j, " does not match the shape of the indexed tensor ", shape_str(r.sizes()),
                             " at index ", d + j);
          }
          p.adv.push_back({mask_positions(m, self.device()), d, m.dim(), true});
          d += m.dim();
        } else {
          SEEK_CHECK_DTYPE(t.dtype() == kInt64 || t.dtype() == kInt32, op,
                           ": tensors used as indices must be int64, int32, bool or uint8, got ", t.dtype());
          p.adv.push_back({t, d, 1, false});
          ++d;
        }
        break;
      }
    }
  }
  p.view = r;
  return p;
}

// How the advanced entries apply to the basic view.
struct Plan {
  std::vector<int64_t> perm;  // brings the indexed dims to q..q+k-1 (empty: already there)
  int64_t q = 0, k = 0;
  int64_t count = 0;  // numel of the broadcast index shape
  Tensor linear;      // L, 1-D of `count` values
  Shape result;       // shape of the indexed result
};

// table[v] = v * mult looked up at idx: bounds-checks idx against dim (wrapping negatives).
Tensor lookup(const Tensor& idx, int64_t dim, int64_t size, int64_t mult, const char* op) {
  std::vector<int64_t> table(static_cast<size_t>(size));
  for (int64_t v = 0; v < size; ++v) table[v] = v * mult;
  Shape shape(dim + 1, 1);
  shape[dim] = size;
  Tensor t = tensor<int64_t>(table, shape, TensorOptions(kInt64).device(idx.device()));
  return detail::index_select_named(t, dim, idx.reshape({-1}), op).reshape(idx.sizes());
}

// `direct`: a single user index may stay as it is (the reader's index_select checks it).
Plan make_plan(const Tensor& r, const std::vector<Entry>& adv, bool direct, const char* op) {
  Plan pl;
  std::vector<int64_t> dims;
  for (const Entry& e : adv)
    for (int64_t j = 0; j < e.ndims; ++j) dims.push_back(e.dim + j);
  pl.k = static_cast<int64_t>(dims.size());
  const bool adjacent = dims.back() - dims.front() + 1 == pl.k;

  Shape bshape = adv[0].t.sizes();
  for (size_t i = 1; i < adv.size(); ++i) {
    try {
      bshape = broadcast_shapes(bshape, adv[i].t.sizes(), op);
    } catch (const ShapeError&) {
      std::string shapes;
      for (const Entry& e : adv) shapes += (shapes.empty() ? "" : ", ") + shape_str(e.t.sizes());
      throw IndexError(
          str(op, ": shape mismatch: indexing tensors could not be broadcast together with shapes ", shapes));
    }
  }
  pl.count = shape_numel(bshape);

  std::vector<int64_t> rest;
  for (int64_t i = 0; i < r.dim(); ++i)
    if (std::find(dims.begin(), dims.end(), i) == dims.end()) rest.push_back(i);
  if (adjacent) {
    pl.q = dims.front();
    pl.result.assign(r.sizes().begin(), r.sizes().begin() + pl.q);
    pl.result.insert(pl.result.end(), bshape.begin(), bshape.end());
    pl.result.insert(pl.result.end(), r.sizes().begin() + pl.q + pl.k, r.sizes().end());
  } else {
    pl.q = 0;
    pl.perm = dims;
    pl.perm.insert(pl.perm.end(), rest.begin(), rest.end());
    pl.result = bshape;
    for (int64_t i : rest) pl.result.push_back(r.size(i));
  }

  // mult[j]: the product of the indexed sizes after dims[j].
  std::vector<int64_t> mult(dims.size(), 1);
  for (int64_t j = pl.k - 2; j >= 0; --j) mult[j] = mult[j + 1] * r.size(dims[j + 1]);
  if (direct && adv.size() == 1 && !adv[0].trusted) {
    pl.linear = adv[0].t.reshape({-1});
    return pl;
  }
  Tensor sum;
  size_t pos = 0;
  for (const Entry& e : adv) {
    pos += static_cast<size_t>(e.ndims);
    const int64_t m = mult[pos - 1];
    Tensor c = e.trusted ? (m == 1 ? e.t : e.t * m) : lookup(e.t, e.dim, r.size(e.dim), m, op);
    sum = sum.defined() ? sum + c : c;
  }
  pl.linear = (sum.sizes() == bshape ? sum : sum.expand(bshape)).reshape({-1});
  return pl;
}

Tensor apply_perm(const Tensor& r, const Plan& pl) { return pl.perm.empty() ? r : r.permute(pl.perm); }

// Whether dims [q, q + k) of t merge into one without a copy.
bool mergeable(const Tensor& t, int64_t q, int64_t k) {
  int64_t expected = -1;  // the stride the next outer dim must have
  for (int64_t i = q + k - 1; i >= q; --i) {
    if (t.size(i) == 1) continue;
    if (expected != -1 && t.stride(i) != expected) return false;
    expected = t.stride(i) * t.size(i);
  }
  return true;
}

void check_value_shape(const Tensor& v, const Shape& shape, const char* op) {
  bool ok = v.dim() <= static_cast<int64_t>(shape.size());
  for (int64_t i = 1; ok && i <= v.dim(); ++i) {
    const int64_t have = v.size(-i), want = shape[shape.size() - i];
    ok = have == want || have == 1;
  }
  SEEK_CHECK_SHAPE(ok, op, ": shape mismatch: value tensor of shape ", shape_str(v.sizes()),
                   " cannot be broadcast to indexing result of shape ", shape_str(shape));
}

// Writes value (already of target's dtype), or `scalar` when value is undefined,
// at target[indices] (accumulate: adds it there, duplicate positions summing up), in
// place and without history. Callers hold a NoGradGuard.
void put_into(const Tensor& target, const std::vector<TensorIndex>& indices, const Tensor& value, Scalar scalar,
              const char* op, bool accumulate = false) {
  Parsed p = parse(target, indices, op);
  Tensor v = value.defined() && value.storage() == target.storage() ? value.clone() : value;
  if (p.adv.empty()) {
    if (!v.defined()) {
      accumulate ? p.view.add_(scalar) : p.view.fill_(scalar);
      return;
    }
    check_value_shape(v, p.view.sizes(), op);
    accumulate ? p.view.add_(v) : p.view.copy_(v);
    return;
  }
  Plan pl = make_plan(p.view, p.adv, false, op);
  Tensor x = apply_perm(p.view, pl);
  Shape flat(x.sizes().begin(), x.sizes().begin() + pl.q);
  flat.push_back(1);
  for (int64_t i = pl.q; i < pl.q + pl.k; ++i) flat.back() *= x.size(i);
  flat.insert(flat.end(), x.sizes().begin() + pl.q + pl.k, x.sizes().end());
  // The flattened block must be a view of target to write through; otherwise write a copy back.
  const bool copied = pl.k > 1 && !mergeable(x, pl.q, pl.k);
  Tensor xf = copied ? x.contiguous().view(flat) : x.view(flat);
  Shape iter = flat;
  iter[pl.q] = pl.count;
  Tensor src;
  if (v.defined()) {
    check_value_shape(v, pl.result, op);
    src = v.expand(pl.result).reshape(iter);
  }
  if (pl.count > 0 && shape_numel(iter) > 0) {
    Shape ishape(iter.size(), 1);
    ishape[pl.q] = pl.count;
    Tensor idx = pl.linear.view(ishape).expand(iter);
    try {
      backend(target.device()).scatter(accumulate ? ScatterMode::Add : ScatterMode::Assign, xf, pl.q, idx, src, scalar);
    } catch (const IndexError& e) {
      throw IndexError(str(op, ": ", e.what()));
    }
  }
  if (copied) {
    x.copy_(xf.view(x.sizes()));
  } else {
    target.bump_version();
  }
}

void check_writable(const Tensor& t, const char* op) {
  for (int64_t d = 0; d < t.dim(); ++d) {
    SEEK_CHECK(t.stride(d) != 0 || t.size(d) <= 1, op, ": the written-to tensor of shape ", shape_str(t.sizes()),
               " has several elements at one memory location (an expanded view); clone() it first");
  }
}

// A copy of self with the write applied, recording IndexPutBackward.
Tensor index_put_op(const Tensor& self, const std::vector<TensorIndex>& indices, const Tensor& value, Scalar scalar,
                    bool accumulate) {
  const char* op = "index_put_";
  Tensor out;
  {
    NoGradGuard g;
    out = self.clone();
    put_into(out, indices, value.defined() ? value.to(self.dtype()) : value, scalar, op, accumulate);
  }
  if (!autograd::needs_grad({self, value})) return out;
  // Index tensors are saved too, so an in-place change to them before backward is caught.
  std::vector<autograd::SavedTensor> saved;
  for (const TensorIndex& ix : indices)
    if (ix.kind == TensorIndex::Kind::Tensor) saved.emplace_back(ix.tensor);
  Shape vshape = value.defined() ? value.sizes() : Shape{};
  DType vdtype = value.defined() ? value.dtype() : self.dtype();
  autograd::record("IndexPutBackward", {self, value}, {out},
                   [indices, saved, vshape, vdtype, accumulate](const variable_list& g, const std::vector<bool>& need) {
                     for (const auto& s : saved) s.get();
                     Tensor g_self, g_value;
                     if (need[0] && accumulate) {
                       g_self = g[0];
                     } else if (need[0]) {
                       g_self = g[0].clone();
                       put_into(g_self, indices, Tensor(), 0, "index_put_");
                     }
                     if (need.size() > 1 && need[1]) {
                       g_value = autograd::sum_to(g[0].index(indices), vshape).to(vdtype);
                     }
                     return variable_list{g_self, g_value};
                   });
  return out;
}

}  // namespace

Tensor Tensor::index(const std::vector<TensorIndex>& indices) const {
  check_defined(*this, "index");
  Parsed p = parse(*this, indices, "index");
  if (p.adv.empty()) return p.view;
  Plan pl = make_plan(p.view, p.adv, true, "index");
  Tensor x = apply_perm(p.view, pl);
  if (pl.k > 1) x = x.flatten(pl.q, pl.q + pl.k - 1);
  Tensor out = detail::index_select_named(x, pl.q, pl.linear, "index");
  return out.sizes() == pl.result ? out : out.view(pl.result);
}

Tensor& Tensor::index_put_(const std::vector<TensorIndex>& indices, const Tensor& value, bool accumulate) {
  check_defined(*this, "index_put_", "self");
  check_defined(value, "index_put_", "value");
  check_same_device("index_put_", {*this, value});
  SEEK_CHECK_DTYPE(can_cast(value.dtype(), dtype()), "index_put_: value of dtype ", value.dtype(),
                   " can't be cast to the destination dtype ", dtype());
  if (autograd::check_inplace(*this, {value}, "index_put_")) {
    autograd::commit_inplace(*this, index_put_op(clone(), indices, value, 0, accumulate));
    return *this;
  }
  check_writable(*this, "index_put_");
  NoGradGuard g;
  put_into(*this, indices, value.to(dtype()), 0, "index_put_", accumulate);
  return *this;
}

Tensor& Tensor::index_put_(const std::vector<TensorIndex>& indices, Scalar value, bool accumulate) {
  check_defined(*this, "index_put_", "self");
  if (autograd::check_inplace(*this, {}, "index_put_")) {
    autograd::commit_inplace(*this, index_put_op(clone(), indices, Tensor(), value, accumulate));
    return *this;
  }
  check_writable(*this, "index_put_");
  NoGradGuard g;
  put_into(*this, indices, Tensor(), value, "index_put_", accumulate);
  return *this;
}

}  // namespace seek
