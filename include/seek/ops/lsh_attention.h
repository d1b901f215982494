#pragma once
// LSH attention (Reformer, Kitaev et al. 2020): attention restricted to the keys
// that hash near the query, in memory linear in the sequence length.
//
//   1. Hash: for each of n_hashes rounds, a random rotation R [D, n_buckets / 2]
//      (drawn from a seek Generator: the same seed gives the same rotations) maps
//      x to bucket argmax([xR, -xR]) (angular LSH; n_buckets 1 puts every
//      position in bucket 0). Shared-QK hashes the keys, which are the queries
//      scaled to unit length; separate Q/K hashes queries and keys with the same R.
//   2. Sort each round's positions by (bucket, position) (queries and keys apart
//      when they differ), cut the order into chunks of chunk_size.
//   3. A query attends to the keys of its chunk and of the previous chunk (cyclic,
//      when there are two chunks or more), with the causal and key-padding masks;
//      with shared-QK a position's score with itself is -1e5, so a token attends
//      to itself only when it has nothing else.
//   4. The rounds are combined by their log-sum-exp weights: the result is one
//      softmax over the keys of every round's window (a key seen in two rounds
//      counts twice), then unsorted to the original positions.
// The backward recomputes the window scores (no L x L matrix, forward or back).
#include <cstdint>
#include <optional>

#include "seek/core/tensor.h"

namespace seek {

struct LSHAttentionOptions {
  int64_t n_buckets = 8;  // 1, or an even number
  int64_t n_hashes = 1;   // hash rounds
  int64_t chunk_size = 64;
  bool causal = false;          // key j takes part for query i only when j <= i
  bool shared_qk = false;       // keys = queries / |queries| (the `key` argument must be undefined or the query)
  std::optional<double> scale;  // default 1 / sqrt(D)
  // Rotations come from Generator(seed) when a seed is given (the same hashes on every call), else from the
  // device's default generator (seek::manual_seed makes them reproducible).
  std::optional<uint64_t> seed;

  LSHAttentionOptions& buckets(int64_t n) { return n_buckets = n, *this; }
  LSHAttentionOptions& hashes(int64_t n) { return n_hashes = n, *this; }
  LSHAttentionOptions& chunk(int64_t n) { return chunk_size = n, *this; }
  LSHAttentionOptions& is_causal(bool b) { return causal = b, *this; }
  LSHAttentionOptions& shared(bool b) { return shared_qk = b, *this; }
  LSHAttentionOptions& with_seed(uint64_t s) { return seed = s, *this; }
};

// query [..., L, D], key [..., L, D] (undefined with shared_qk), value [..., L, Dv] with the same leading dims
// (batch and heads, e.g. [B, H, L, D]) -> [..., L, Dv]. key_padding_mask: bool, true = ignore the key; [B, L]
// for 4-D inputs [B, H, L, D] (as MultiheadAttention's), or any shape that broadcasts to query's [..., L].
// Floating dtypes; f16/bf16 compute in f32. A query with no key to attend (every key in its windows masked)
// gets zeros. Differentiable in query, key and value.
Tensor lsh_attention(const Tensor& query, const Tensor& key, const Tensor& value,
                     const LSHAttentionOptions& options = {}, const Tensor& key_padding_mask = Tensor());

// The bucket of every position in every round, [..., n_hashes, L] int64, as lsh_attention hashes `x`
// [..., L, D] (exposed for tests and analysis).
Tensor lsh_hash(const Tensor& x, int64_t n_buckets, int64_t n_hashes, std::optional<uint64_t> seed = std::nullopt);

}  // namespace seek
