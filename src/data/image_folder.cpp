// read_image (stb_image decoding) and the ImageFolder dataset.
#include "seek/data/image_folder.h"

#include <stb_image.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>

#include "seek/core/error.h"
#include "seek/nn/upsample.h"
#include "seek/ops/creation.h"

namespace seek::data {
namespace {

namespace fs = std::filesystem;

std::string lower(std::string s) {
  for (auto& ch : s) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
  return s;
}

}  // namespace

Tensor read_image(const std::string& path, int64_t channels) {
  SEEK_CHECK_VALUE(channels == 0 || channels == 1 || channels == 3,
                   "read_image: channels must be 0 (as stored), 1 or 3, got ", channels);
  {
    // stb_image only says "can't fopen"; report the system's reason instead.
    std::ifstream probe(path, std::ios::binary);
    SEEK_CHECK_T(IOError, probe.is_open(), "read_image: cannot open '", path, "': ", std::strerror(errno));
  }
  int width = 0, height = 0, stored = 0;
  unsigned char* pixels = stbi_load(path.c_str(), &width, &height, &stored, static_cast<int>(channels));
  if (pixels == nullptr) {
    const char* reason = stbi_failure_reason();
    SEEK_CHECK_T(IOError, false, "read_image: cannot decode '", path, "': ", reason ? reason : "unknown error");
  }
  const int64_t c = channels == 0 ? stored : channels;
  // The decoded buffer is [H, W, C] bytes; it is freed once the float copy exists.
  Tensor hwc =
      from_blob(pixels, {height, width, c}, {int64_t{width} * c, c, 1}, kUInt8, [](void* p) { stbi_image_free(p); });
  return hwc.permute({2, 0, 1}).to(kFloat32).div(255.0).contiguous();
}

ImageFolder::ImageFolder(const std::string& root, ImageFolderOptions options) : options_(std::move(options)) {
  SEEK_CHECK_VALUE(options_.channels == 1 || options_.channels == 3, "ImageFolder: channels must be 1 or 3, got ",
                   options_.channels);
  if (options_.size) {
    SEEK_CHECK_VALUE(options_.size->first > 0 && options_.size->second > 0,
                     "ImageFolder: size must be positive {height, width}, got {", options_.size->first, ", ",
                     options_.size->second, "}");
  }
  for (auto& e : options_.extensions) e = lower(e);

  std::error_code ec;
  SEEK_CHECK_T(IOError, fs::is_directory(root, ec), "ImageFolder: '", root, "' is not a folder");
  for (const auto& entry : fs::directory_iterator(root, ec)) {
    if (entry.is_directory(ec)) classes_.push_back(entry.path().filename().string());
  }
  SEEK_CHECK_T(IOError, !ec, "ImageFolder: cannot list '", root, "': ", ec.message());
  SEEK_CHECK_T(IOError, !classes_.empty(), "ImageFolder: found no class folder in '", root, "'");
  std::sort(classes_.begin(), classes_.end());

  std::vector<std::string> empty_classes;
  for (size_t k = 0; k < classes_.size(); ++k) {
    class_to_idx_[classes_[k]] = static_cast<int64_t>(k);
    const fs::path dir = fs::path(root) / classes_[k];
    std::vector<fs::path> files;
    for (auto it = fs::recursive_directory_iterator(dir, fs::directory_options::follow_directory_symlink, ec);
         !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
      if (!it->is_regular_file(ec)) continue;
      const std::string ext = lower(it->path().extension().string());
      if (std::find(options_.extensions.begin(), options_.extensions.end(), ext) != options_.extensions.end())
        files.push_back(it->path());
    }
    SEEK_CHECK_T(IOError, !ec, "ImageFolder: cannot list '", dir.string(), "': ", ec.message());
    // Sorted by folder, then by file name within a folder.
    std::sort(files.begin(), files.end(), [](const fs::path& a, const fs::path& b) {
      if (a.parent_path() != b.parent_path()) return a.parent_path().string() < b.parent_path().string();
      return a.filename().string() < b.filename().string();
    });
    if (files.empty()) empty_classes.push_back(classes_[k]);
    for (const auto& f : files) samples_.emplace_back(f.string(), static_cast<int64_t>(k));
  }
  if (!options_.allow_empty && !empty_classes.empty()) {
    std::string names, exts;
    for (const auto& n : empty_classes) names += (names.empty() ? "'" : ", '") + n + "'";
    for (const auto& e : options_.extensions) exts += (exts.empty() ? "" : " ") + e;
    SEEK_CHECK_T(IOError, false, "ImageFolder: no image file (extensions ", exts, ") for the classes ", names, " in '",
                 root, "' (set allow_empty to keep empty classes)");
  }
}

Example ImageFolder::get(size_t index) const {
  SEEK_CHECK_INDEX(index < size(), "ImageFolder: index ", index, " out of range for a dataset of size ", size());
  const auto& [path, target] = samples_[index];
  Tensor img = read_image(path, options_.channels);
  if (options_.size && (img.size(1) != options_.size->first || img.size(2) != options_.size->second)) {
    img =
        nn::functional::interpolate(img.unsqueeze(0), std::vector<int64_t>{options_.size->first, options_.size->second},
                                    std::nullopt, "bilinear", false)
            .squeeze(0);
  }
  return {img, scalar_tensor(target, TensorOptions(kInt64))};
}

std::vector<int64_t> ImageFolder::targets() const {
  std::vector<int64_t> t;
  t.reserve(samples_.size());
  for (const auto& s : samples_) t.push_back(s.second);
  return t;
}

}  // namespace seek::data
