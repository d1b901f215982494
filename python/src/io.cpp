// seek._C.io: safetensors files (seek/io/safetensors.h). The Python package wraps them as
// seek.save / seek.load (a state_dict in one file) and seek.io.safetensors (the API of the
// safetensors package: save_file, load_file, save, load). The file work runs with the
// GIL released; bad files raise the C++ IOError's message as RuntimeError (errors.cpp).
#include "nn_common.h"

#include <cstdio>
#include <filesystem>
#include <map>

#include "seek/core/error.h"
#include "seek/io/safetensors.h"

namespace seek::python {

namespace {

std::string type_name(const py::handle& o) { return py::str(py::type::handle_of(o).attr("__name__")); }

// A mapping (dict / OrderedDict) of str -> Tensor as named tensors, in the mapping's order.
io::NamedTensors named_tensors(const py::handle& mapping, const char* who) {
  if (!py::hasattr(mapping, "items"))
    throw py::type_error(std::string(who) +
                         ": expected a dict of str -> seek.Tensor (such as module.state_dict()), got " +
                         type_name(mapping));
  io::NamedTensors out;
  for (auto kv : mapping.attr("items")()) {
    auto pair = kv.cast<py::tuple>();
    if (!py::isinstance<py::str>(pair[0]))
      throw py::type_error(std::string(who) + ": keys must be str, got " + type_name(pair[0]) + " (" +
                           std::string(py::repr(pair[0])) + ")");
    if (!py::isinstance<Tensor>(pair[1]))
      throw py::type_error(std::string(who) + ": the value of '" + pair[0].cast<std::string>() +
                           "' must be a seek.Tensor, got " + type_name(pair[1]));
    out.emplace_back(pair[0].cast<std::string>(), pair[1].cast<Tensor>().detach());
  }
  return out;
}

std::map<std::string, std::string> metadata_of(const py::object& metadata, const char* who) {
  std::map<std::string, std::string> out;
  if (metadata.is_none()) return out;
  if (!py::isinstance<py::dict>(metadata))
    throw py::type_error(std::string(who) + ": metadata must be a dict of str -> str or None, got " +
                         type_name(metadata));
  for (auto [k, v] : metadata.cast<py::dict>()) {
    if (!py::isinstance<py::str>(k) || !py::isinstance<py::str>(v))
      throw py::type_error(std::string(who) + ": metadata must map str to str, got " + type_name(k) + " -> " +
                           type_name(v) + " for " + std::string(py::repr(k)));
    out[k.cast<std::string>()] = v.cast<std::string>();
  }
  return out;
}

py::tuple contents_to_python(const io::SafetensorsContents& c) {
  py::list tensors;
  for (const auto& [name, t] : c.tensors) tensors.append(py::make_tuple(name, t));
  py::dict metadata;
  for (const auto& [k, v] : c.metadata) metadata[py::str(k)] = v;
  return py::make_tuple(tensors, metadata);
}

}  // namespace

void init_io(py::module_& m) {
  py::module_ io_m = m.def_submodule("io", "safetensors files (wrapped by seek.save / seek.load / seek.io)");
  io_m.def(
      "save_safetensors",
      [](const std::string& path, const py::handle& tensors, const py::object& metadata, const char* who) {
        io::NamedTensors named = named_tensors(tensors, who);
        auto meta = metadata_of(metadata, who);
        py::gil_scoped_release g;
        io::save_safetensors(path, named, meta);
      },
      py::arg("path"), py::arg("tensors"), py::arg("metadata") = py::none(), py::arg("who") = "save_file",
      "Writes the tensors of a str -> Tensor mapping (in its order) and the metadata atomically.");
  io_m.def(
      "load_safetensors",
      [](const std::string& path) {
        io::SafetensorsContents c;
        {
          py::gil_scoped_release g;
          c = io::load_safetensors(path);
        }
        return contents_to_python(c);
      },
      py::arg("path"), "([(name, tensor), ...] in file order, metadata dict) of a safetensors file.");
  io_m.def(
      "parse_safetensors",
      [](const py::bytes& data, const std::string& source) {
        std::string_view bytes = data;
        io::SafetensorsContents c;
        {
          py::gil_scoped_release g;
          c = io::parse_safetensors(bytes, source);
        }
        return contents_to_python(c);
      },
      py::arg("data"), py::arg("source") = "<bytes>", "load_safetensors of a file already in memory.");
  io_m.def("safetensors_dtype_code", &io::safetensors_dtype_code, py::arg("dtype"));
}

}  // namespace seek::python
