#pragma once
// A debug counter of the CUDA backend (kernels/copy.cu): device-to-device copies of 4-D (or larger)
// tensors between different strides, i.e. layout repacks such as NCHW <-> NHWC, since the process
// started. Tests use it to check that a channels_last model runs without repacking. Kept in its own
// header so that reading it does not rebuild every kernel file.
#include <cstdint>

namespace seek::cuda {

int64_t layout_copy_count();

}  // namespace seek::cuda
