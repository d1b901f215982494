#pragma once
// What kernels/conv.cu shares: the choice between cuDNN and seek's own conv kernels, the cuDNN
// entries of kernels/conv_cudnn.cu (the nvcc build with cuDNN only), and a knob for tests: the
// im2col path works on chunks of images whose patch matrix stays under a limit (elements); a
// small limit makes even small convs take several chunks, so the chunk loop is tested without
// large tensors.
#include <cuda_runtime_api.h>

#include <cstdint>

#include "seek/backend/conv_params.h"
#include "seek/core/tensor.h"

namespace seek::cuda {

// Which conv2d uses: cuDNN (the nvcc build with cuDNN found) or seek's own im2col + GEMM.
// Starts as Own when the environment sets SEEK_CUDA_CONV=own, else Library; always Own where
// cuDNN is not built in (the simulator build among them). The GPU check compares the two.
enum class ConvImpl { Library, Own };
void set_conv_impl(ConvImpl impl);
ConvImpl conv_impl();

// Sets the patch-matrix limit in elements (0 restores the default, 2^24) and returns the old one.
int64_t set_conv_patch_limit(int64_t elems);

// Shared by both conv paths (kernels/conv.cu), on `stream`: y (dense [N, O, ...], any floating
// dtype; NCHW, or NHWC when y is a channels_last 4-D tensor) += b[o]; and gb[o] = the sum of
// gy[n, o, ...] over n and the rest (dense gy, either layout, summed in f64 in a fixed order).
void add_channel_bias(const Tensor& y, const Tensor& b, cudaStream_t stream);
void channel_bias_grad(const Tensor& gy, const Tensor& gb, cudaStream_t stream);

#if defined(SEEK_HAVE_CUDNN) && !defined(SEEK_CUDA_SIM)
// conv2d through cuDNN on dense tensors of one dtype (kernels/conv_cudnn.cu), all NCHW, or with nhwc
// all channels_last (CUDNN_TENSOR_NHWC descriptors; the filter OHWI). Return false, having queued
// nothing, for a conv cuDNN's descriptors cannot hold (2^31 elements or more).
bool cudnn_conv_forward(const Tensor& x, const Tensor& w, const Tensor& b, const Conv2dParams& p, const Tensor& y,
                        bool nhwc = false);
// x may be undefined when gw is; x_shape is the input's shape; undefined gradients are skipped.
bool cudnn_conv_backward(const Tensor& gy, const Tensor& x, const Tensor& w, const Conv2dParams& p,
                         const Shape& x_shape, const Tensor& gx, const Tensor& gw, const Tensor& gb, bool nhwc = false);
#endif

}  // namespace seek::cuda
