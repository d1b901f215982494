#pragma once
// The caching allocator's side of CUDA graphs (cuda_allocator.cpp, used by
// cuda_graph.cpp): while a stream of `device` captures with capture id
// `capture_id`, allocations made on it come from the private pool `pool`;
// blocks of a pool serve only that pool until every graph using it has released it.
#include <cstdint>

namespace seek::cuda {

void allocator_begin_capture(int device, uint64_t pool, unsigned long long capture_id);
void allocator_end_capture(int device, unsigned long long capture_id);
// A graph starts / stops using `pool`; when no graph uses it, its cached blocks return to the default pool.
void allocator_retain_pool(int device, uint64_t pool);
void allocator_release_pool(int device, uint64_t pool);

}  // namespace seek::cuda
