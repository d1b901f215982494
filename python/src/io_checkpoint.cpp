// seek._C.io, checkpoint part: PyTorch .pt/.pth files (seek/io/pth_reader.h) turned into Python
// objects, safetensors files as bytes (for seek.save to a file object), and the storage a
// tensor views (seek.save writes a storage shared by several tensors once).
#include <filesystem>
#include <unordered_map>

#include "nn_common.h"
#include "seek/core/error.h"
#include "seek/io/pth_reader.h"
#include "seek/io/safetensors.h"

namespace seek::python {

namespace {

using io::pth::Object;

// Converts the unpickled graph; nodes shared in the pickle stay shared (one Python object).
class ToPython {
 public:
  py::object convert(const Object* o, int depth = 0) {
    auto found = done_.find(o);
    if (found != done_.end()) return found->second;
    if (depth > 1000) throw py::value_error("seek.load: containers nested deeper than 1000 levels");
    using K = Object::Kind;
    switch (o->kind) {
      case K::None: return py::none();
      case K::Bool: return py::bool_(o->boolean);
      case K::Int: return py::int_(o->integer);
      case K::Float: return py::float_(o->number);
      case K::String:
        return remember(o, py::reinterpret_steal<py::object>(PyUnicode_DecodeUTF8(
                               o->text.data(), static_cast<Py_ssize_t>(o->text.size()), "surrogatepass")));
      case K::Bytes: return remember(o, py::bytes(o->text));
      case K::List: {
        py::list l;
        remember(o, l);  // before the elements: a list may contain itself
        for (const Object* i : o->items) l.append(convert(i, depth + 1));
        return l;
      }
      case K::Tuple: {
        py::tuple t(o->items.size());
        for (size_t i = 0; i < o->items.size(); ++i) t[i] = convert(o->items[i], depth + 1);
        return remember(o, t);
      }
      case K::Set:
      case K::FrozenSet: {
        py::list l;
        for (const Object* i : o->items) l.append(convert(i, depth + 1));
        py::object s =
            o->kind == K::Set ? py::object(py::set(l)) : py::reinterpret_steal<py::object>(PyFrozenSet_New(l.ptr()));
        if (!s) throw py::error_already_set();
        return remember(o, s);
      }
      case K::Dict:
      case K::OrderedDict: {
        py::object d =
            o->kind == K::Dict ? py::object(py::dict()) : py::module_::import("collections").attr("OrderedDict")();
        remember(o, d);
        for (const auto& [k, v] : o->members) d[convert(k, depth + 1)] = convert(v, depth + 1);
        return d;
      }
      case K::Tensor: {
        Tensor t = o->tensor;
        if (o->requires_grad && is_floating(t.dtype())) t.requires_grad_(true);
        py::object p = py::cast(t);
        if (o->is_parameter) p.attr("_is_param") = true;
        return remember(o, p);
      }
      default: throw py::value_error("seek.load: the file holds an object seek cannot return");
    }
  }

 private:
  py::object remember(const Object* o, py::object p) {
    if (!p) throw py::error_already_set();
    done_.emplace(o, p);
    return p;
  }
  std::unordered_map<const Object*, py::object> done_;
};

}  // namespace

void init_io_checkpoint(py::module_& m) {
  py::module_ io_m = m.attr("io");
  io_m.def(
      "load_pth",
      [](const py::object& source, const std::string& name) {
        io::pth::PthFile f;
        if (py::isinstance<py::bytes>(source)) {
          std::string_view bytes = source.cast<std::string_view>();
          py::gil_scoped_release g;
          f = io::pth::parse_pth(bytes, name);
        } else {
          const std::string path = source.cast<std::string>();
          py::gil_scoped_release g;
          f = io::pth::load_pth(path);
        }
        return ToPython().convert(f.root);
      },
      py::arg("source"), py::arg("name") = "<bytes>",
      "The object of a PyTorch zip checkpoint (a path or its bytes), read by the restricted unpickler.");
  io_m.def(
      "sniff_torch_format", [](const py::bytes& head) { return io::pth::sniff_torch_format(std::string_view(head)); },
      py::arg("head"), "\"zip\", \"legacy-pickle\", \"legacy-tar\" or \"\" for a file's first bytes.");
  io_m.def(
      "safetensors_bytes",
      [](const std::vector<std::pair<std::string, Tensor>>& tensors, const std::map<std::string, std::string>& meta) {
        std::string out;
        {
          py::gil_scoped_release g;
          out = io::safetensors_to_string(tensors, meta);
        }
        return py::bytes(out);
      },
      py::arg("tensors"), py::arg("metadata"), "The bytes of a safetensors file holding the (name, tensor) pairs.");
  io_m.def(
      "storage_of",
      [](const Tensor& t) {
        const auto& s = t.storage();
        return py::make_tuple(reinterpret_cast<uintptr_t>(s.get()), static_cast<int64_t>(s ? s->nbytes() : 0));
      },
      py::arg("tensor"), "(an id of the storage a tensor views, the storage's size in bytes).");
}

}  // namespace seek::python
