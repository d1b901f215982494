// seek's C++ exceptions as Python exceptions, keeping the C++ message:
// shape and value errors -> ValueError, dtype errors -> TypeError,
// index errors -> IndexError, everything else -> RuntimeError; arguments that do not
// convert (pybind11 cast errors) -> TypeError; out of memory (seek's or std::bad_alloc) ->
// seek.OutOfMemoryError, a RuntimeError subclass like torch.cuda.OutOfMemoryError.
#include "common.h"

#include "seek/core/error.h"

namespace seek::python {

void init_errors(py::module_& m) {
  static py::exception<seek::OutOfMemoryError> oom(m, "OutOfMemoryError", PyExc_RuntimeError);
  oom.doc() = "An allocation the device could not satisfy (a RuntimeError, like torch.cuda.OutOfMemoryError).";
  py::register_exception_translator([](std::exception_ptr p) {
    try {
      if (p) std::rethrow_exception(p);
    } catch (const seek::OutOfMemoryError& e) {
      PyErr_SetString(oom.ptr(), e.what());
    } catch (const std::bad_alloc& e) {
      PyErr_SetString(oom.ptr(), (std::string("out of memory: ") + e.what()).c_str());
    } catch (const seek::ShapeError& e) {
      PyErr_SetString(PyExc_ValueError, e.what());
    } catch (const seek::ValueError& e) {
      PyErr_SetString(PyExc_ValueError, e.what());
    } catch (const seek::DTypeError& e) {
      PyErr_SetString(PyExc_TypeError, e.what());
    } catch (const seek::IndexError& e) {
      PyErr_SetString(PyExc_IndexError, e.what());
    } catch (const seek::Error& e) {
      PyErr_SetString(PyExc_RuntimeError, e.what());
    } catch (const py::cast_error& e) {  // an argument of the wrong Python type
      PyErr_SetString(PyExc_TypeError, e.what());
    }
  });
}

}  // namespace seek::python
