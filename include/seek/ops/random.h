#pragma once
// Random factories and in-place random fills, like torch.rand / randn / randint /
// bernoulli / randperm / normal and Tensor.uniform_ / normal_ / bernoulli_.
//
// Every function takes an optional Generator*; nullptr uses
// default_generator(device of the result). A draw of n elements takes n blocks
// of the generator's Philox stream (seek/core/generator.h defines the stream
// and the per-element transforms), so the same seed gives the same values on
// every run and device, and consecutive draws continue the stream: rand({n})
// twice equals rand({2n}) once. f16/bf16 results are drawn in f32 and rounded.
// Random results record no autograd history.
#include <cstdint>

#include "seek/core/generator.h"
#include "seek/core/tensor.h"

namespace seek {

// Uniform on [0, 1); floating dtypes only.
Tensor rand(const Shape& shape, TensorOptions options = {}, Generator* generator = nullptr);
Tensor rand(const Shape& shape, Generator* generator);
// Standard normal; floating dtypes only.
Tensor randn(const Shape& shape, TensorOptions options = {}, Generator* generator = nullptr);
Tensor randn(const Shape& shape, Generator* generator);
// Integers uniform on [low, high) (int64 by default; any numeric dtype that holds
// the range). Needs low < high and |low|, |high| <= 2^53.
Tensor randint(int64_t low, int64_t high, const Shape& shape, TensorOptions options = TensorOptions(kInt64),
               Generator* generator = nullptr);
Tensor randint(int64_t high, const Shape& shape, TensorOptions options = TensorOptions(kInt64),
               Generator* generator = nullptr);
// 1 with probability probs[i], else 0; same shape, dtype and device as probs
// (floating, values in [0, 1]). Uses the f64 uniform of each element, so
// bernoulli(full(shape, p)) equals bernoulli(shape, p) for the same stream position.
Tensor bernoulli(const Tensor& probs, Generator* generator = nullptr);
// 1 with probability p (0 <= p <= 1); any dtype.
Tensor bernoulli(const Shape& shape, double p, TensorOptions options = {}, Generator* generator = nullptr);
// Normal with the given mean and standard deviation (std >= 0).
Tensor normal(double mean, double std, const Shape& shape, TensorOptions options = {}, Generator* generator = nullptr);

// *_like: the shape of t, and its dtype and device unless options say otherwise.
Tensor rand_like(const Tensor& t, Generator* generator = nullptr);
Tensor rand_like(const Tensor& t, TensorOptions options, Generator* generator = nullptr);
Tensor randn_like(const Tensor& t, Generator* generator = nullptr);
Tensor randn_like(const Tensor& t, TensorOptions options, Generator* generator = nullptr);
Tensor randint_like(const Tensor& t, int64_t high, Generator* generator = nullptr);
Tensor randint_like(const Tensor& t, int64_t low, int64_t high, Generator* generator = nullptr);

// A random permutation of 0 .. n-1 (int64 by default). Fisher-Yates on the host:
// for k = 0 .. n-2, step k swaps position i = n-1-k with
// j = randint(block(offset + k), 0, i + 1); the draw takes n blocks. The result
// is then copied to options' device.
Tensor randperm(int64_t n, TensorOptions options = TensorOptions(kInt64), Generator* generator = nullptr);

// Indices drawn from each row of non-negative weights (1-D [C] -> [num_samples], 2-D [R, C] ->
// [R, num_samples], int64), with or without replacement, as torch.multinomial (random_sampling.cpp).
Tensor multinomial(const Tensor& input, int64_t num_samples, bool replacement = false, Generator* generator = nullptr);

// In place, with an explicit generator (the Tensor methods use the default one).
Tensor& uniform_(Tensor& t, double from = 0.0, double to = 1.0, Generator* generator = nullptr);
Tensor& normal_(Tensor& t, double mean = 0.0, double std = 1.0, Generator* generator = nullptr);
Tensor& bernoulli_(Tensor& t, double p, Generator* generator = nullptr);

}  // namespace seek
