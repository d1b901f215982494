// Op cases of the views and copies: clone, contiguous, dtype and device moves, permute,
// transpose, expand, narrow/select/slice, cat/stack/split, repeat, roll, flip, diag_embed,
// pad, fill_/zero_, the *_like creators and copy_. Each result is returned on its own (not
// summed), so that an op that needs only the Copy family (and whose backward needs only it,
// a leaf's first gradient being stored without an add) runs on a device that has only Copy.
#include "backend/op_case.h"

namespace seek::backend_test {

namespace {
const auto T = Layout::Transposed;
const auto S = Layout::Stepped;
}  // namespace

std::vector<OpCase> copy_cases() {
  std::vector<OpCase> cases;
  // One input, one result: no gradient is summed, so the backward adds nothing (Binary).
  auto one_path = [&](std::string name, InputSpec input, std::function<Tensor(const Tensor&)> f, bool backward = true) {
    OpCase c{std::move(name), {std::move(input)}, one([f = std::move(f)](const Tensors& x) { return f(x[0]); })};
    c.backward = backward;
    cases.push_back(std::move(c));
  };
  auto add = [&](OpCase c) { cases.push_back(std::move(c)); };
  one_path("clone", in({7, 13}, T), [](const Tensor& x) { return x.clone(); });
  one_path("contiguous", in({7, 13}, S), [](const Tensor& x) { return x.contiguous(); });
  one_path("to_float64", in({7, 13}, T), [](const Tensor& x) { return x.to(kFloat64); });
  one_path("to_float32_and_back", in({7, 13}, S), [](const Tensor& x) { return x.to(kFloat32).to(x.dtype()); });
  one_path(
      "to_int32", in({7, 13}, -50, 50, T), [](const Tensor& x) { return x.to(kInt32); }, false);
  one_path("to_copy_flag", in({5, 3}, T), [](const Tensor& x) { return x.to(x.dtype(), /*copy=*/true); });
  // The device's values through the host and back, and a move with a cast.
  one_path("to_device_round_trip", in({7, 13}, S), [](const Tensor& x) { return x.to(kCPU).to(x.device()); });
  one_path("cpu_to_device_dtype", in({7, 13}, T), [](const Tensor& x) { return x.cpu().to(x.device(), kFloat32); });
  one_path("permute_contiguous", in({3, 5, 7}, T), [](const Tensor& x) { return x.permute({2, 0, 1}).contiguous(); });
  one_path("movedim_clone", in({3, 5, 7}, S), [](const Tensor& x) { return x.movedim(0, 2).clone(); });
  one_path("transpose_contiguous", in({7, 13}, S), [](const Tensor& x) { return x.transpose(0, 1).contiguous(); });
  one_path("t_clone", in({7, 13}, T), [](const Tensor& x) { return x.t().clone(); });
  // View results: the comparison copies them to the host as they are (strided).
  one_path("transpose_view", in({3, 5, 7}, T), [](const Tensor& x) { return x.transpose(1, 2); });
  one_path("narrow_view", in({3, 5, 7}, S), [](const Tensor& x) { return x.narrow(2, 1, 4); });
  one_path("select_view", in({3, 5, 7}), [](const Tensor& x) { return x.select(1, 3); });
  one_path("diagonal_view", in({3, 5, 7}, T), [](const Tensor& x) { return x.diagonal(0, 1, 2); });
  one_path("unsqueeze_squeeze", in({3, 5, 7}, S), [](const Tensor& x) { return x.unsqueeze(1).squeeze(1); });
  one_path("reshape", in({3, 5, 7}, S), [](const Tensor& x) { return x.reshape({15, 7}); });
  one_path("flatten", in({3, 5, 7}, T), [](const Tensor& x) { return x.flatten(); });
  one_path("view", in({3, 5, 7}), [](const Tensor& x) { return x.view({5, 21}); });
  // The backward of expand sums over the expanded dims (Reduce): forward only, then with it.
  one_path(
      "expand_contiguous", in({3, 1, 5}, T),
      [](const Tensor& x) {
        return x.expand({3, 4, 5}).contiguous();
      },
      false);
  one_path(
      "broadcast_to_clone", in({3, 1, 5}, S),
      [](const Tensor& x) {
        return broadcast_to(x, {2, 3, 4, 5}).clone();
      },
      false);
  one_path("expand_backward", in({3, 1, 5}, T), [](const Tensor& x) { return x.expand({3, 4, 5}).contiguous(); });
  one_path("narrow_clone", in({7, 13}, T), [](const Tensor& x) { return x.narrow(1, 2, 9).clone(); });
  one_path("select_contiguous", in({7, 13}, S), [](const Tensor& x) { return x.select(0, 4).contiguous(); });
  one_path("slice_step_clone", in({7, 13}, T), [](const Tensor& x) { return x.slice(1, 1, 12, 3).clone(); });
  one_path("index_slices", in({7, 13}, S), [](const Tensor& x) {
    return x.index({Slice(1, None, 2), Slice(2, 11, 3)}).contiguous();
  });
  add({"cat", {in({3, 5}, T), in({4, 5}), in({2, 5}, S)}, one([](const Tensors& x) {
         return cat({x[0], x[1], x[2]}, 0);
       })});
  add({"cat_dim1", {in({3, 2}, S), in({3, 7}, T)}, one([](const Tensors& x) { return cat({x[0], x[1]}, 1); })});
  add({"stack", {in({3, 5}, S), in({3, 5}, T)}, one([](const Tensors& x) { return stack({x[0], x[1]}, 1); })});
  one_path("split_one_part", in({7, 5}, T), [](const Tensor& x) { return split(x, 3, 0)[1].contiguous(); });
  // Every part: their gradients meet in the input (summed).
  add({"split_chunk_unbind", {in({7, 5}, T)}, [](const Tensors& x) {
         Tensors parts = split(x[0], 3, 0);  // 3, 3, 1 rows
         for (Tensor& p : parts) p = p.contiguous();
         for (const Tensor& p : chunk(x[0], 2, 1)) parts.push_back(p.clone());
         for (const Tensor& p : unbind(x[0].narrow(0, 0, 2), 0)) parts.push_back(p.clone());
         return parts;
       }});
  // Forward only as well: their backward sums (Reduce, Binary) where their forward only copies.
  one_path(
      "repeat_forward", in({3, 5}, T),
      [](const Tensor& x) {
        return x.repeat({2, 1, 3});
      },
      false);
  one_path(
      "tile_forward", in({3, 5}, S),
      [](const Tensor& x) {
        return tile(x, {2, 2});
      },
      false);
  one_path(
      "roll_forward", in({7, 13}, S),
      [](const Tensor& x) {
        return x.roll({3, -5}, {0, 1});
      },
      false);
  add({"split_chunk_forward", {in({7, 5}, S)}, [](const Tensors& x) {
         Tensors parts = split(x[0], {2, 4, 1}, 0);
         for (const Tensor& p : chunk(x[0], 3, 1)) parts.push_back(p.contiguous());
         return parts;
       }});
  cases.back().backward = false;
  one_path("repeat", in({3, 5}, S), [](const Tensor& x) { return x.repeat({2, 1, 3}); });
  one_path("tile", in({3, 5}, T), [](const Tensor& x) { return tile(x, {2}); });
  one_path("roll", in({7, 13}, T), [](const Tensor& x) { return x.roll({3, -5}, {0, 1}); });
  one_path("roll_flat", in({7, 13}, S), [](const Tensor& x) { return x.roll({4}); });
  one_path("flip", in({3, 5, 7}, S), [](const Tensor& x) { return x.flip({0, 2}); });
  one_path("fliplr_flipud", in({3, 5, 7}, T), [](const Tensor& x) { return x.fliplr().flipud(); });
  one_path("rot90", in({3, 5, 7}, S), [](const Tensor& x) { return rot90(x, 1, {1, 2}); });
  one_path("diag_embed", in({3, 5}, T), [](const Tensor& x) { return x.diag_embed(); });
  one_path("diag_embed_offset", in({3, 5}, S), [](const Tensor& x) { return x.diag_embed(1, 0, 2); });
  one_path("diag", in({5}, S), [](const Tensor& x) { return diag(x, -1); });
  one_path("pad_constant", in({3, 5, 7}, S), [](const Tensor& x) { return pad(x, {1, 2, 0, 3}, "constant", 0.5); });
  one_path("fill_zero_inplace", in({7, 13}, T), [](const Tensor& x) {
    Tensor y = x.clone();
    y.narrow(1, 3, 4).fill_(2.5);
    y.select(0, 2).zero_();
    return y;
  });
  add({"copy_into_slice", {in({7, 13}, S), in({7, 4}, T)}, one([](const Tensors& x) {
         Tensor y = x[0].clone();
         y.narrow(1, 5, 4).copy_(x[1]);
         return y;
       })});
  add({"creation_like", {constant({7, 13}, T)}, [](const Tensors& x) {
         const TensorOptions same = TensorOptions(x[0].dtype()).device(x[0].device());
         return Tensors{zeros_like(x[0]),          ones_like(x[0]),     full_like(x[0], -1.5),
                        empty_like(x[0]).fill_(3), zeros({2, 3}, same), full({4}, 0.25, same)};
       }});
  cases.back().backward = false;
  one_path("unfold_view", in({3, 11}, S), [](const Tensor& x) { return x.unfold(1, 4, 3).contiguous(); });
  return cases;
}

}  // namespace seek::backend_test
