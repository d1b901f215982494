// einsum: parses the equation, then plans it onto ops that already have a backward.
//
// Labels become small integers: 'A'-'Z' are 0-25 and 'a'-'z' 26-51 (so sorting the ids
// sorts the letters as torch does for an implicit output), and the dims an ellipsis
// covers get 52 + position, counted so that ellipsis dims align at the right across
// operands (they broadcast).
//
// The plan, per operand: a label repeated inside one operand takes the diagonal of its
// two dims (diagonal() moves it last), so "ii" becomes a vector over i; a label that no
// other operand and not the output uses is summed away at once. Then the operands are
// contracted left to right, two at a time. For a pair (A, B), each label is
//   batch       in A and B and still needed (by a later operand or the output),
//   contracted  in A and B and not needed any more,
//   left/right  in one of them only,
// and A is permuted to [batch, left, contracted] and B to [batch, contracted, right],
// each reshaped to 3-D, for one bmm whose result [batch, left, right] is reshaped back.
// A pair without contracted labels (an outer or element-wise product) is a broadcast
// multiply instead. Size-1 dims broadcast against the other operand's size. Finally the
// labels not in the output are summed and the rest permuted into the output order.
#include <algorithm>
#include <functional>
#include <map>

#include "ops/op_utils.h"
#include "seek/ops/binary.h"
#include "seek/ops/linalg.h"
#include "seek/ops/linalg_extra.h"
#include "seek/ops/reduce.h"

namespace seek {

using namespace ops_detail;

namespace {

constexpr int kEllipsis = -1;
constexpr int kFirstEllipsisId = 52;

// One operand during planning: the tensor and the label of each of its dims.
struct Term {
  Tensor t;
  std::vector<int> labels;
};

int label_id(char c, const std::string& eq) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  throw ValueError(str("einsum(): invalid subscript '", c, "' in the equation \"", eq,
                       "\" (subscripts must be letters in [a-zA-Z])"));
}

// The labels of one term; an ellipsis is kEllipsis.
std::vector<int> parse_term(const std::string& term, const std::string& eq) {
  std::vector<int> out;
  bool seen_ellipsis = false;
  for (size_t i = 0; i < term.size(); ++i) {
    if (term[i] == '.') {
      SEEK_CHECK_VALUE(term.compare(i, 3, "...") == 0,
                       "einsum(): found '.' for operand that is not part of any ellipsis in \"", eq, "\"");
      SEEK_CHECK_VALUE(!seen_ellipsis, "einsum(): found more than one ellipsis ('...') in a term of \"", eq, "\"");
      seen_ellipsis = true;
      out.push_back(kEllipsis);
      i += 2;
      continue;
    }
    out.push_back(label_id(term[i], eq));
  }
  return out;
}

std::vector<std::string> split_commas(const std::string& s) {
  std::vector<std::string> out(1);
  for (char c : s) {
    if (c == ',')
      out.emplace_back();
    else
      out.back() += c;
  }
  return out;
}

bool contains(const std::vector<int>& v, int x) { return std::find(v.begin(), v.end(), x) != v.end(); }

// Sums the dims of `term` whose labels fail `keep`.
void sum_unneeded(Term& term, const std::function<bool(int)>& keep) {
  std::vector<int64_t> dims;
  std::vector<int> labels;
  for (size_t d = 0; d < term.labels.size(); ++d) {
    if (keep(term.labels[d]))
      labels.push_back(term.labels[d]);
    else
      dims.push_back(static_cast<int64_t>(d));
  }
  if (dims.empty()) return;
  term.t = term.t.sum(dims);
  term.labels = labels;
}

// Takes the diagonal of every label repeated within the term.
void take_diagonals(Term& term, const std::string& eq) {
  for (;;) {
    bool found = false;
    for (size_t p = 0; p < term.labels.size() && !found; ++p) {
      for (size_t q = p + 1; q < term.labels.size() && !found; ++q) {
        if (term.labels[p] != term.labels[q]) continue;
        SEEK_CHECK_SHAPE(term.t.size(static_cast<int64_t>(p)) == term.t.size(static_cast<int64_t>(q)),
                         "einsum(): subscript repeated in one operand of \"", eq,
                         "\" must index dims of the same size, got ", term.t.size(static_cast<int64_t>(p)), " and ",
                         term.t.size(static_cast<int64_t>(q)));
        const int label = term.labels[p];
        term.t = term.t.diagonal(0, static_cast<int64_t>(p), static_cast<int64_t>(q));
        term.labels.erase(term.labels.begin() + static_cast<std::ptrdiff_t>(q));
        term.labels.erase(term.labels.begin() + static_cast<std::ptrdiff_t>(p));
        term.labels.push_back(label);
        found = true;
      }
    }
    if (!found) return;
  }
}

int64_t dim_of(const Term& term, int label) {
  return std::find(term.labels.begin(), term.labels.end(), label) - term.labels.begin();
}

// Contracts two terms; `needed` says which labels must survive.
Term contract(Term a, Term b, const std::function<bool(int)>& needed, const std::map<int, int64_t>& size) {
  // Labels in one term only that nothing needs (possible after earlier contractions).
  auto in_a = [&](int l) { return contains(a.labels, l); };
  auto in_b = [&](int l) { return contains(b.labels, l); };
  sum_unneeded(a, [&](int l) { return needed(l) || in_b(l); });
  sum_unneeded(b, [&](int l) { return needed(l) || in_a(l); });
  std::vector<int> batch, left, contracted, right;
  for (int l : a.labels) {
    if (!in_b(l))
      left.push_back(l);
    else if (needed(l))
      batch.push_back(l);
    else
      contracted.push_back(l);
  }
  for (int l : b.labels)
    if (!in_a(l)) right.push_back(l);

  // Each term permuted to `order` (its labels), broadcast to the full sizes and reshaped to `groups`.
  auto arrange = [&](const Term& term, const std::vector<std::vector<int>>& groups) {
    std::vector<int64_t> perm;
    Shape full, merged;
    for (const auto& g : groups) {
      int64_t n = 1;
      for (int l : g) {
        perm.push_back(dim_of(term, l));
        full.push_back(size.at(l));
        n *= size.at(l);
      }
      merged.push_back(n);
    }
    Tensor t = term.t.permute(perm);
    if (t.sizes() != full) t = t.expand(full);
    return t.reshape(merged);
  };

  Term out;
  out.labels = batch;
  out.labels.insert(out.labels.end(), left.begin(), left.end());
  out.labels.insert(out.labels.end(), right.begin(), right.end());
  Shape out_shape;
  for (int l : out.labels) out_shape.push_back(size.at(l));
  if (contracted.empty()) {
    // An element-wise or outer product: [batch, left, 1] * [batch, 1, right].
    Tensor x = arrange(a, {batch, left}), y = arrange(b, {batch, right});
    out.t = (x.unsqueeze(2) * y.unsqueeze(1)).reshape(out_shape);
    return out;
  }
  Tensor x = arrange(a, {batch, left, contracted}), y = arrange(b, {batch, contracted, right});
  out.t = bmm(x, y).reshape(out_shape);
  return out;
}

}  // namespace

Tensor einsum(const std::string& equation, const std::vector<Tensor>& operands) {
  std::string eq;
  for (char c : equation)
    if (c != ' ') eq += c;
  SEEK_CHECK_VALUE(!operands.empty(), "einsum(): must provide at least one operand");
  for (size_t i = 0; i < operands.size(); ++i) {
    check_defined(operands[i], "einsum", "operand");
    SEEK_CHECK_DTYPE(operands[i].dtype() == operands[0].dtype(), "einsum(): expected all operands to have the same ",
                     "dtype, got ", operands[0].dtype(), " (operand 0) and ", operands[i].dtype(), " (operand ", i,
                     ")");
    SEEK_CHECK_T(DeviceError, operands[i].device() == operands[0].device(),
                 "einsum(): expected all operands to be on the same device");
  }
  const size_t arrow = eq.find("->");
  const std::string lhs = eq.substr(0, arrow);
  const std::vector<std::string> terms = split_commas(lhs);
  SEEK_CHECK_VALUE(terms.size() == operands.size(), "einsum(): ", terms.size(), " operand subscripts in \"", equation,
                   "\" but ", operands.size(), " operands were given");

  // Labels of every operand, with each ellipsis expanded into right-aligned ids.
  std::vector<std::vector<int>> raw;
  int64_t max_ell = 0;
  std::vector<int64_t> ell_dims;
  for (size_t i = 0; i < terms.size(); ++i) {
    raw.push_back(parse_term(terms[i], equation));
    const bool has_ell = contains(raw[i], kEllipsis);
    const int64_t named = static_cast<int64_t>(raw[i].size()) - (has_ell ? 1 : 0);
    const int64_t nd = operands[i].dim();
    SEEK_CHECK_SHAPE(has_ell ? named <= nd : named == nd, "einsum(): the number of subscripts in the equation (", named,
                     ") ", has_ell ? "is more than" : "does not match", " the number of dimensions (", nd,
                     ") for operand ", i, has_ell ? "" : " and no ellipsis was given");
    ell_dims.push_back(has_ell ? nd - named : 0);
    max_ell = std::max(max_ell, ell_dims.back());
  }
  std::vector<Term> ops;
  std::map<int, int64_t> size;
  std::map<int, int> count;  // occurrences over all operands (for the implicit output)
  for (size_t i = 0; i < raw.size(); ++i) {
    Term term{operands[i], {}};
    for (int l : raw[i]) {
      if (l != kEllipsis) {
        term.labels.push_back(l);
        ++count[l];
        continue;
      }
      for (int64_t e = 0; e < ell_dims[i]; ++e)
        term.labels.push_back(kFirstEllipsisId + static_cast<int>(max_ell - ell_dims[i] + e));
    }
    for (size_t d = 0; d < term.labels.size(); ++d) {
      const int l = term.labels[d];
      const int64_t n = term.t.size(static_cast<int64_t>(d));
      auto it = size.find(l);
      if (it == size.end() || it->second == 1) {
        size[l] = n;
      } else {
        SEEK_CHECK_SHAPE(n == it->second || n == 1,
                         "einsum(): operands do not broadcast with remapped shapes: ", "subscript of size ", n,
                         " in operand ", i, " meets size ", it->second, " in \"", equation, "\"");
      }
    }
    ops.push_back(std::move(term));
  }

  std::vector<int> output;
  if (arrow == std::string::npos) {
    for (int64_t e = 0; e < max_ell; ++e) output.push_back(kFirstEllipsisId + static_cast<int>(e));
    for (const auto& [l, c] : count)
      if (c == 1) output.push_back(l);
  } else {
    for (int l : parse_term(eq.substr(arrow + 2), equation)) {
      if (l == kEllipsis) {
        for (int64_t e = 0; e < max_ell; ++e) output.push_back(kFirstEllipsisId + static_cast<int>(e));
        continue;
      }
      const char c = static_cast<char>(l < 26 ? 'A' + l : 'a' + l - 26);
      SEEK_CHECK_VALUE(!contains(output, l), "einsum(): output subscript '", c,
                       "' appears more than once in the output of \"", equation, "\"");
      SEEK_CHECK_VALUE(count.count(l) > 0, "einsum(): output subscript '", c,
                       "' does not appear in the equation for any input operand of \"", equation, "\"");
      output.push_back(l);
    }
  }

  // Per operand: diagonals of repeated labels, then sums of labels used nowhere else.
  for (size_t i = 0; i < ops.size(); ++i) {
    take_diagonals(ops[i], equation);
    sum_unneeded(ops[i], [&](int l) {
      if (contains(output, l)) return true;
      for (size_t j = 0; j < ops.size(); ++j)
        if (j != i && contains(ops[j].labels, l)) return true;
      return false;
    });
  }
  Term acc = ops[0];
  for (size_t i = 1; i < ops.size(); ++i) {
    auto needed = [&](int l) {
      if (contains(output, l)) return true;
      for (size_t j = i + 1; j < ops.size(); ++j)
        if (contains(ops[j].labels, l)) return true;
      return false;
    };
    acc = contract(acc, ops[i], needed, size);
  }
  sum_unneeded(acc, [&](int l) { return contains(output, l); });
  std::vector<int64_t> perm;
  for (int l : output) perm.push_back(dim_of(acc, l));
  return acc.t.permute(perm);
}

}  // namespace seek
