// Printing: a port of PyTorch's torch/_tensor_str.py with its default options
// (precision 4, threshold 1000, edgeitems 3, linewidth 80), so a tensor prints
// as it would in PyTorch, except that dtypes are named seek.<name>.
//
// One formatter per tensor, built from the elements that are displayed: floats
// print with 4 decimals, in scientific notation when the nonzero finite
// magnitudes span more than 1000x, exceed 1e8 or go below 1e-4, and as "3."
// when every value is an integer ("int mode"); every element is right-aligned
// to the widest one. Tensors over 1000 elements show the first and last 3
// entries of each dimension around "...".
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <sstream>
#include <string>
#include <vector>

#include "seek/autograd/grad_mode.h"
#include "seek/autograd/node.h"
#include "seek/core/convert.h"
#include "seek/core/tensor.h"

namespace seek {

namespace {

constexpr int64_t kThreshold = 1000;  // summarise above this many elements
constexpr int64_t kEdgeItems = 3;
constexpr int64_t kLineWidth = 80;
constexpr int kPrecision = 4;

// Python's formatting of a float with "%.{prec}f" / "%.{prec}e" (nan and inf unsigned-nan style).
std::string format_double(double v, char conv, int prec) {
  if (std::isnan(v)) return "nan";
  if (std::isinf(v)) return v > 0 ? "inf" : "-inf";
  char buf[400];  // %.0f of the largest double has 309 digits
  if (conv == 'e') {
    std::snprintf(buf, sizeof(buf), "%.*e", prec, v);
  } else {
    std::snprintf(buf, sizeof(buf), "%.*f", prec, v);
  }
  return buf;
}

// Read-only element access to a host tensor by element offset.
struct HostView {
  const char* base;
  DType dtype;
  const Shape& sizes;
  const std::vector<int64_t>& strides;

  double as_double(int64_t off) const {
    double v = 0;
    SEEK_DISPATCH_ALL(dtype, "print", [&] { v = convert<double>(reinterpret_cast<const scalar_t*>(base)[off]); });
    return v;
  }
  int64_t as_int(int64_t off) const {
    int64_t v = 0;
    SEEK_DISPATCH_ALL(dtype, "print", [&] { v = convert<int64_t>(reinterpret_cast<const scalar_t*>(base)[off]); });
    return v;
  }

  // The indices of dim d that are displayed.
  std::vector<int64_t> shown(int64_t d, bool summarize) const {
    int64_t n = sizes[d];
    std::vector<int64_t> idx;
    if (summarize && n > 2 * kEdgeItems) {
      for (int64_t i = 0; i < kEdgeItems; ++i) idx.push_back(i);
      for (int64_t i = n - kEdgeItems; i < n; ++i) idx.push_back(i);
    } else {
      for (int64_t i = 0; i < n; ++i) idx.push_back(i);
    }
    return idx;
  }

  // Element offsets of every displayed element (PyTorch's get_summarized_data).
  void collect(int64_t d, int64_t off, bool summarize, std::vector<int64_t>& out) const {
    if (d == static_cast<int64_t>(sizes.size())) {
      out.push_back(off);
      return;
    }
    for (int64_t i : shown(d, summarize)) collect(d + 1, off + i * strides[d], summarize, out);
  }
};

// PyTorch's _Formatter.
class Formatter {
 public:
  Formatter(const HostView& v, const std::vector<int64_t>& offsets) : view_(v) {
    floating_ = is_floating(v.dtype);
    if (!floating_) {
      for (int64_t off : offsets) width_ = std::max<size_t>(width_, plain(off).size());
      return;
    }
    std::vector<double> vals;
    for (int64_t off : offsets) {
      double x = v.as_double(off);
      if (std::isfinite(x) && x != 0) vals.push_back(x);
    }
    if (vals.empty()) return;
    double amin = std::fabs(vals[0]), amax = amin;
    for (double x : vals) {
      amin = std::min(amin, std::fabs(x));
      amax = std::max(amax, std::fabs(x));
      if (x != std::ceil(x)) int_mode_ = false;
    }
    if (int_mode_) {
      if (amax / amin > 1000.0 || amax > 1.0e8) {
        sci_ = true;
        for (double x : vals) width_ = std::max(width_, format_double(x, 'e', kPrecision).size());
      } else {
        for (double x : vals) width_ = std::max(width_, format_double(x, 'f', 0).size() + 1);
      }
    } else {
      if (amax / amin > 1000.0 || amax > 1.0e8 || amin < 1.0e-4) {
        sci_ = true;
        for (double x : vals) width_ = std::max(width_, format_double(x, 'e', kPrecision).size());
      } else {
        for (double x : vals) width_ = std::max(width_, format_double(x, 'f', kPrecision).size());
      }
    }
  }

  size_t width() const { return width_; }

  std::string format(int64_t off) const {
    std::string s;
    if (floating_) {
      double x = view_.as_double(off);
      if (sci_) {
        s = format_double(x, 'e', kPrecision);
      } else if (int_mode_) {
        s = format_double(x, 'f', 0);
        if (std::isfinite(x)) s += ".";
      } else {
        s = format_double(x, 'f', kPrecision);
      }
    } else {
      s = plain(off);
    }
    if (s.size() < width_) s.insert(0, width_ - s.size(), ' ');
    return s;
  }

 private:
  std::string plain(int64_t off) const {
    if (view_.dtype == kBool) return view_.as_int(off) ? "True" : "False";
    return std::to_string(view_.as_int(off));
  }

  const HostView& view_;
  bool floating_ = false;
  bool int_mode_ = true;
  bool sci_ = false;
  size_t width_ = 1;
};

std::string join(const std::vector<std::string>& parts, const std::string& sep) {
  std::string out;
  for (size_t i = 0; i < parts.size(); ++i) {
    if (i) out += sep;
    out += parts[i];
  }
  return out;
}

std::string bracket(const std::string& s) {
  std::string out;
  out.reserve(s.size() + 2);
  out += '[';
  out += s;
  out += ']';
  return out;
}

// PyTorch's _tensor_str_with_formatter / _vector_str for the sub-tensor at dim d.
std::string tensor_body(const HostView& v, const Formatter& f, int64_t d, int64_t off, int64_t indent, bool summarize) {
  int64_t ndim = static_cast<int64_t>(v.sizes.size());
  if (ndim == 0) return f.format(off);
  int64_t n = v.sizes[d];
  bool cut = summarize && n > 2 * kEdgeItems;
  std::vector<int64_t> idx = v.shown(d, summarize);
  std::vector<std::string> parts;
  if (d == ndim - 1) {
    int64_t element_length = static_cast<int64_t>(f.width()) + 2;
    int64_t per_line = std::max<int64_t>(1, (kLineWidth - indent) / element_length);
    for (size_t k = 0; k < idx.size(); ++k) {
      if (cut && k == static_cast<size_t>(kEdgeItems)) parts.push_back(" ...");
      parts.push_back(f.format(off + idx[k] * v.strides[d]));
    }
    std::vector<std::string> lines;
    for (size_t i = 0; i < parts.size(); i += static_cast<size_t>(per_line)) {
      std::vector<std::string> line(parts.begin() + static_cast<std::ptrdiff_t>(i),
                                    parts.begin() + static_cast<std::ptrdiff_t>(std::min(parts.size(), i + per_line)));
      lines.push_back(join(line, ", "));
    }
    std::string sep = ",\n";
    sep.append(static_cast<size_t>(indent + 1), ' ');
    return bracket(join(lines, sep));
  }
  for (size_t k = 0; k < idx.size(); ++k) {
    if (cut && k == static_cast<size_t>(kEdgeItems)) parts.push_back("...");
    parts.push_back(tensor_body(v, f, d + 1, off + idx[k] * v.strides[d], indent + 1, summarize));
  }
  std::string sep = ",";
  sep.append(static_cast<size_t>(ndim - d - 1), '\n');
  sep.append(static_cast<size_t>(indent + 1), ' ');
  return bracket(join(parts, sep));
}

std::string size_tuple(const Shape& s) {
  std::string out = "(";
  for (size_t i = 0; i < s.size(); ++i) out += (i ? ", " : "") + std::to_string(s[i]);
  return out + (s.size() == 1 ? ",)" : ")");
}

// PyTorch's _add_suffixes: ", suffix" on the last line, or a new line when it would pass the width.
std::string add_suffixes(const std::string& body, const std::vector<std::string>& suffixes, int64_t indent) {
  std::string out = body;
  size_t nl = body.rfind('\n');
  int64_t last_line_len =
      static_cast<int64_t>(body.size()) - (nl == std::string::npos ? -1 : static_cast<int64_t>(nl)) + 1;
  for (const std::string& s : suffixes) {
    int64_t len = static_cast<int64_t>(s.size());
    if (last_line_len + len + 2 > kLineWidth) {
      out += ",\n" + std::string(static_cast<size_t>(indent), ' ') + s;
      last_line_len = indent + len;
    } else {
      out += ", " + s;
      last_line_len += len + 2;
    }
  }
  return out + ")";
}

}  // namespace

std::string Tensor::to_string() const {
  if (!defined()) return "[ undefined Tensor ]";
  const std::string prefix = "tensor(";
  const int64_t indent = static_cast<int64_t>(prefix.size());
  std::vector<std::string> suffixes;
  if (!is_cpu()) suffixes.push_back("device='" + device().str() + "'");

  std::string body;
  if (numel() == 0) {
    if (dim() != 1) suffixes.push_back("size=" + size_tuple(sizes()));
    if (dtype() != kFloat32) suffixes.push_back(std::string("dtype=seek.") + dtype_name(dtype()));
    body = "[]";
  } else {
    if (dtype() != kFloat32 && dtype() != kInt64 && dtype() != kBool)
      suffixes.push_back(std::string("dtype=seek.") + dtype_name(dtype()));
    Tensor host;
    {
      NoGradGuard g;
      host = is_cpu() ? detach() : detach().to(kCPU);
    }
    HostView v{static_cast<const char*>(host.data_ptr()), host.dtype(), host.sizes(), host.strides()};
    bool summarize = host.numel() > kThreshold;
    std::vector<int64_t> offsets;
    v.collect(0, 0, summarize, offsets);
    Formatter f(v, offsets);
    body = tensor_body(v, f, 0, 0, indent, summarize);
  }

  if (auto fn = grad_fn()) {
    suffixes.push_back("grad_fn=<" + fn->name() + ">");
  } else if (requires_grad()) {
    suffixes.push_back("requires_grad=True");
  }
  return add_suffixes(prefix + body, suffixes, indent);
}

std::ostream& operator<<(std::ostream& os, const Tensor& t) { return os << t.to_string(); }

}  // namespace seek
