// The extension module seek._C. The pure-Python package python/seek wraps it.
#include "bind.h"

PYBIND11_MODULE(_C, m) {
  m.doc() = "seek's C++ core (use the seek package, not this module directly)";
  seek::python::init_tensor(m);
  seek::python::init_autograd(m);
  seek::python::init_nn(m);
  seek::python::init_optim(m);
  seek::python::init_data(m);
  seek::python::init_models(m);
}
