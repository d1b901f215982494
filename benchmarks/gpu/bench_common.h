#pragma once
// What the GPU benchmark programs (bench_gpu, bench_conv_bn, bench_lsh) share: choosing the device and
// writing their JSON results.
#include <cstdio>
#include <optional>
#include <string>

#include "seek/cuda.h"

namespace seek_bench {

// "cpu", or the name of CUDA device 0 (made current); nullopt (after a message naming `program`) when CUDA
// is asked for but no GPU is visible: the program then exits with 2, which the GPU check reads as "no GPU".
inline std::optional<std::string> select_device(const char* program, bool cuda) {
  if (!cuda) return std::string("cpu");
  if (!seek::cuda::is_available()) {
    std::fprintf(stderr, "%s: no CUDA GPU visible (%s); --device cpu runs on the CPU\n", program,
                 seek::cuda::build_info().c_str());
    return std::nullopt;
  }
  seek::cuda::set_device(0);
  return seek::cuda::get_device_properties(0).name;
}

// Writes `json` to `path` (stdout when empty); returns the program's exit status (1 when it cannot write).
inline int write_json(const char* program, const std::string& json, const std::string& path) {
  if (path.empty()) {
    std::fputs(json.c_str(), stdout);
    return 0;
  }
  FILE* f = std::fopen(path.c_str(), "w");
  if (!f || std::fputs(json.c_str(), f) < 0 || std::fclose(f) != 0) {
    std::fprintf(stderr, "%s: cannot write %s\n", program, path.c_str());
    return 1;
  }
  return 0;
}

}  // namespace seek_bench
