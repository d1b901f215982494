// The extension module seek._C. The pure-Python package python/seek wraps it.
#include <pybind11/numpy.h>

#include "bind.h"

namespace seek::python {
// issue 16: _C._distributed (distributed.cpp). Declared here rather than in bind.h, which every binding file
// includes, so that adding it recompiles one file.
void init_distributed(py::module_& m);
// issue 16: _C._ddp (DDP's Reducer) and _C.nn.SyncBatchNorm (dist_ddp.cpp), after init_nn.
void init_dist_ddp(py::module_& m);
// issue 18: _C.vision (vision.cpp), _C.models.yolo (models_yolo.cpp, after init_models) and _C.data's
// detection part (data_detection.cpp, after init_data).
void init_vision(py::module_& m);
void init_models_yolo(py::module_& m);
void init_data_detection(py::module_& m);
}  // namespace seek::python

PYBIND11_MODULE(_C, m) {
  m.doc() = "seek's C++ core (use the seek package, not this module directly)";
  // pybind11's numpy API table is a function-local static whose initializer imports numpy, which
  // releases the GIL: set it up now, so that DataLoader worker threads converting values for the
  // first time (seek.tensor in a Python Dataset) cannot deadlock on its initialization guard.
  pybind11::detail::npy_api::get();
  seek::python::init_tensor(m);
  seek::python::init_autograd(m);
  seek::python::init_nn(m);
  seek::python::init_optim(m);
  seek::python::init_data(m);
  seek::python::init_models(m);
  seek::python::init_amp(m);
  seek::python::init_io(m);
  seek::python::init_train(m);
  seek::python::init_nn_hooks(m);
  seek::python::init_nn_extra(m);
  seek::python::init_nn_rnn(m);
  seek::python::init_nn_transformer(m);
  seek::python::init_tensor_shape_extra(m);
  seek::python::init_io_checkpoint(m);
  seek::python::init_backends(m);
  seek::python::init_text(m);
  seek::python::init_distributed(m);
  seek::python::init_dist_ddp(m);
  seek::python::init_vision(m);
  seek::python::init_models_yolo(m);
  seek::python::init_data_detection(m);
}
