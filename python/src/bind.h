#pragma once
// Shared declarations of the pybind11 module seek._C: one init function per area,
// each in its own file, all called from module.cpp in this order (Tensor first, since
// the others take and return tensors).
#include <pybind11/pybind11.h>

namespace seek::python {

namespace py = pybind11;

void init_tensor(py::module_& m);    // Tensor, dtypes, devices, factories, ops, numpy / DLPack (tensor_*.cpp)
void init_autograd(py::module_& m);  // grad mode, autograd.grad, custom Functions (autograd.cpp)
void init_nn(py::module_& m);        // _C.nn: Module and layers, functional, losses, init (nn_*.cpp)
void init_optim(py::module_& m);     // _C.optim: optimizers, schedulers, clipping (optim.cpp)
void init_data(py::module_& m);      // _C.data: datasets, DataLoader, transforms (data.cpp)
void init_models(py::module_& m);    // _C.models (models.cpp)
void init_amp(py::module_& m);       // _C.amp: autocast scopes, GradScaler (amp.cpp)
void init_io(py::module_& m);        // _C.io: safetensors files (io.cpp)
void init_train(py::module_& m);     // _C.train: Trainer, callbacks (train.cpp)

// _C.io: PyTorch .pth files, safetensors bytes, storages (io_checkpoint.cpp)
void init_io_checkpoint(py::module_& m);

}  // namespace seek::python
