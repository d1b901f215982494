#pragma once
// Shared declarations of the pybind11 module seek._C: one init function per area,
// each in its own file, all called from module.cpp in this order (Tensor first, since
// the others take and return tensors).
#include <pybind11/pybind11.h>

namespace seek::python {

namespace py = pybind11;

void init_tensor(py::module_& m);              // Tensor, dtypes, devices, factories, ops, numpy / DLPack (tensor_*.cpp)
void init_autograd(py::module_& m);            // grad mode, autograd.grad, custom Functions (autograd.cpp)
void init_nn(py::module_& m);                  // _C.nn: Module and layers, functional, losses, init (nn_*.cpp)
void init_optim(py::module_& m);               // _C.optim: optimizers, schedulers, clipping (optim.cpp)
void init_data(py::module_& m);                // _C.data: datasets, DataLoader, transforms (data.cpp)
void init_models(py::module_& m);              // _C.models (models.cpp)
void init_amp(py::module_& m);                 // _C.amp: autocast scopes, GradScaler (amp.cpp)
void init_io(py::module_& m);                  // _C.io: safetensors files (io.cpp)
void init_train(py::module_& m);               // _C.train: Trainer, callbacks (train.cpp)
void init_nn_hooks(py::module_& m);            // _C.nn.Module's hook state (nn_hooks.cpp), after init_nn
void init_nn_extra(py::module_& m);            // issue 12: more of _C.nn.functional (nn_extra.cpp), after init_nn
void init_nn_rnn(py::module_& m);              // _C.nn: RNN / LSTM / GRU, cells, packing (nn_rnn.cpp); after init_nn
void init_nn_transformer(py::module_& m);      // _C.nn: Transformer, TransformerDecoder(Layer) (nn_transformer.cpp)
void init_tensor_shape_extra(py::module_& m);  // flip, einsum, scatter_reduce, ... (tensor_shape_extra.cpp)

// _C.io: PyTorch .pth files, safetensors bytes, storages (io_checkpoint.cpp)
void init_io_checkpoint(py::module_& m);

// issue 14: _C._backends, torch.backends-style switches (backends.cpp)
void init_backends(py::module_& m);

}  // namespace seek::python
