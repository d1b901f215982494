#pragma once
// PyTorch's .pt / .pth files (torch.save's zip format, PyTorch >= 1.6) read without PyTorch
// and without running any pickle code.
//
// The archive holds <prefix>/data.pkl (a pickle of the saved object) and <prefix>/data/<key>
// (the raw little-endian bytes of each storage). data.pkl is read by a restricted unpickler
// that knows only the opcodes and globals torch writes for tensors and containers: dicts,
// collections.OrderedDict, lists, tuples, sets, numbers, strings, bytes, None and tensors
// (torch._utils._rebuild_tensor_v2 / _rebuild_parameter over torch.<Type>Storage persistent
// ids). Any other global (os.system, a class of the user's) throws IOError naming it, before
// anything is called. Tensors that shared a storage in PyTorch share one here too (views of
// one base, with the saved strides and offsets). The legacy formats (a raw pickle stream or a
// tar file, torch < 1.6 or _use_new_zipfile_serialization=False) throw IOError saying so.
#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "seek/core/tensor.h"

namespace seek::io::pth {

// One unpickled value. Containers point at other Objects of the same PthFile (the graph may
// share nodes, as the pickle's memo does, and even hold cycles through lists and dicts).
struct Object {
  enum class Kind {
    None,
    Bool,
    Int,
    Float,
    String,
    Bytes,
    List,
    Tuple,
    Dict,
    OrderedDict,
    Set,
    FrozenSet,
    Tensor,
    // only while unpickling, never in a returned PthFile:
    Global,
    Storage
  };
  Kind kind = Kind::None;
  bool boolean = false;
  int64_t integer = 0;
  double number = 0;
  std::string text;                                              // String (UTF-8) or Bytes
  std::vector<const Object*> items;                              // List, Tuple, Set, FrozenSet
  std::vector<std::pair<const Object*, const Object*>> members;  // Dict, OrderedDict (in order)
  Tensor tensor;                                                 // Tensor (a CPU tensor); Storage: its bytes, 1-D
  bool requires_grad = false;                                    // Tensor
  bool is_parameter = false;                                     // Tensor saved as an nn.Parameter
  int global = -1;                                               // Global: which allowed global (text: its name)
  DType storage_dtype = kFloat32;                                // Global of a torch.<T>Storage class
};

struct PthFile {
  const Object* root = nullptr;
  std::vector<std::unique_ptr<Object>> objects;  // owns every Object
};

// Reads a file / the bytes of one; `source` names it in errors (IOError).
PthFile load_pth(const std::filesystem::path& path);
PthFile parse_pth(std::string_view bytes, const std::string& source);

// What a file's first bytes say it is: "zip", "legacy-pickle", "legacy-tar" or "" (unknown).
std::string sniff_torch_format(std::string_view first_bytes);

}  // namespace seek::io::pth
