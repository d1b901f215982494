#pragma once
// The safetensors file format (huggingface/safetensors), read and written by seek:
//   8 bytes   little-endian u64 N, the size of the header
//   N bytes   UTF-8 JSON: {"__metadata__": {str: str}, "<name>": {"dtype": "F32", "shape": [..],
//             "data_offsets": [begin, end]}, ...}, padded with spaces
//   the rest  the tensors' bytes, little-endian, row-major, at [8 + N + begin, 8 + N + end)
// Files written here are read by the safetensors Python package and PyTorch tooling, and back.
#include <filesystem>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "seek/core/tensor.h"

namespace seek::io {

using NamedTensors = std::vector<std::pair<std::string, Tensor>>;

struct SafetensorsContents {
  NamedTensors tensors;                         // in file order of their data
  std::map<std::string, std::string> metadata;  // the "__metadata__" object
};

// Writes `tensors` (any device: copied to the CPU; non-contiguous ones are made
// contiguous) atomically: a temp file in the same folder, fsync, then rename over `path`.
// Names must be unique and non-empty. Throws IOError naming the path when it cannot write.
void save_safetensors(const std::filesystem::path& path, const NamedTensors& tensors,
                      const std::map<std::string, std::string>& metadata = {});

// Reads a whole file into CPU tensors. A missing, truncated or malformed file (bad
// header size, invalid JSON, unknown dtype, offsets out of range or overlapping,
// shape not matching the byte count) throws IOError naming the path and the problem.
SafetensorsContents load_safetensors(const std::filesystem::path& path);

}  // namespace seek::io
