#pragma once
// The safetensors file format (huggingface/safetensors), read and written by seek:
//   8 bytes   little-endian u64 N, the size of the header
//   N bytes   UTF-8 JSON: {"__metadata__": {str: str}, "<name>": {"dtype": "F32", "shape": [..],
//             "data_offsets": [begin, end]}, ...}, padded with spaces
//   the rest  the tensors' bytes, little-endian, row-major, at [8 + N + begin, 8 + N + end)
// dtype codes: F64 F32 F16 BF16 I64 I32 I8 U8 BOOL (the ones seek has). Files written here
// are read by the safetensors Python package and PyTorch tooling, and back.
#include <filesystem>
#include <map>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "seek/core/tensor.h"
#include "seek/io/atomic_file.h"

namespace seek::io {

using NamedTensors = std::vector<std::pair<std::string, Tensor>>;

struct SafetensorsContents {
  NamedTensors tensors;                         // in file order of their data
  std::map<std::string, std::string> metadata;  // the "__metadata__" object
};

// Writes `tensors` (any device: copied to the CPU; non-contiguous ones are made
// contiguous) atomically: a temp file in the same folder, fsync, then rename over `path`.
// Names must be unique, non-empty and not "__metadata__" (ValueError otherwise; the file at
// `path` is then left as it was). Throws IOError naming the path when it cannot write.
void save_safetensors(const std::filesystem::path& path, const NamedTensors& tensors,
                      const std::map<std::string, std::string>& metadata = {});

// Reads a whole file into CPU tensors. A missing, truncated or malformed file (bad
// header size, invalid JSON, unknown dtype, offsets out of range or overlapping,
// shape not matching the byte count) throws IOError naming the path and the problem.
// The file is checked before any tensor is allocated: every size and offset must fit
// in the file, and the tensors' byte ranges must tile the data area exactly (no
// overlap, no gap, as the reference implementation requires). BOOL bytes must be 0 or 1.
SafetensorsContents load_safetensors(const std::filesystem::path& path);

// The same checks and result for a file already in memory; `source` names it in errors.
SafetensorsContents parse_safetensors(std::string_view bytes, const std::string& source);

// Writes the format into `out` (which is not committed): the header, compact JSON
// with "__metadata__" first (when not empty) and the tensors in the given order,
// padded with spaces to a multiple of 8 bytes, then the data. save_safetensors is
// this plus commit(); callers that need the byte count or CRC-32 take them from `out`.
void write_safetensors(AtomicFileWriter& out, const NamedTensors& tensors,
                       const std::map<std::string, std::string>& metadata = {});

// The bytes write_safetensors writes, as a string (for files held in memory).
std::string safetensors_to_string(const NamedTensors& tensors, const std::map<std::string, std::string>& metadata = {});

// The dtype codes of the format: "F32", "BF16", "BOOL", ...
const char* safetensors_dtype_code(DType dtype);

}  // namespace seek::io
