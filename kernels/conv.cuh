#pragma once
// A knob of kernels/conv.cu for tests: the im2col path works on chunks of images whose patch
// matrix stays under a limit (elements); a small limit makes even small convs take several
// chunks, so the chunk loop is tested without large tensors.
#include <cstdint>

namespace seek::cuda {

// Sets the patch-matrix limit in elements (0 restores the default, 2^24) and returns the old one.
int64_t set_conv_patch_limit(int64_t elems);

}  // namespace seek::cuda
