#pragma once
// Internals shared by the data binding files (data.cpp: datasets, DataLoader, image
// transforms; data_extra.cpp: CIFAR10, ImageFolder, batch mixing, analysis).
#include "nn_common.h"

#include <memory>
#include <string>

#include "seek/data/dataloader.h"
#include "seek/data/dataset.h"

namespace seek::python {

// A transform usable both from Python (t(x)) and inside C++ datasets without the GIL.
struct TransformObj {
  data::Transform fn;
  std::string repr;
};

// A DataLoader collate step that also gets the batch's {epoch, batch} (seek.data.collate_with_transform);
// DataLoader(collate_fn=...) takes it as it is, without the GIL.
struct IndexedCollateObj {
  data::IndexedCollateFn fn;
  std::string repr;
};

// A Python callable that may be copied and dropped by threads without the GIL.
std::shared_ptr<py::object> gil_safe(py::object f);
// A tensor from a Tensor or anything seek.tensor() takes.
Tensor as_tensor(const py::handle& o);
// (data, target) from what a Python __getitem__ or collate_fn returned; `who` names it in errors.
data::Example example_from(const py::handle& r, const char* who);
// The C++ dataset of a Python object (which a Python subclass stays alive for).
data::DatasetPtr dataset_ptr(const py::handle& obj);
// The C++ transform of a TransformObj or of a Python callable (which takes the GIL per call).
data::Transform transform_of(const py::handle& t);
// A collate_fn from Python (a callable taking a list of (data, target) pairs) for C++.
data::CollateFn collate_of(const py::object& collate_fn);

void init_data_extra(py::module_& d, py::module_& transforms);  // data_extra.cpp
// len(obj) checked: a non-int is a TypeError, a negative length a ValueError, both naming the type.
size_t checked_len(const py::handle& obj);
// A C++ dataset over any object with __getitem__ (returning (data, target)) and __len__.
data::DatasetPtr duck_dataset(const py::handle& obj);
void init_data_utils(py::module_& d);  // data_utils.cpp

}  // namespace seek::python
