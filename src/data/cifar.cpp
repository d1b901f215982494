// CIFAR-10 binary batch reader and the CIFAR10 dataset.
#include "seek/data/cifar.h"

#include <cctype>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>

#include "seek/core/error.h"
#include "seek/ops/shape.h"

namespace seek::data {
namespace {

namespace fs = std::filesystem;

constexpr int64_t kImageBytes = 3 * 32 * 32;
constexpr int64_t kRecordBytes = 1 + kImageBytes;
constexpr int64_t kNumClasses = 10;

const std::vector<std::string>& standard_classes() {
  static const std::vector<std::string> names = {"airplane", "automobile", "bird",  "cat",  "deer",
                                                 "dog",      "frog",       "horse", "ship", "truck"};
  return names;
}

std::vector<std::string> batch_names(bool train) {
  if (!train) return {"test_batch.bin"};
  std::vector<std::string> names;
  for (int i = 1; i <= 5; ++i) names.push_back("data_batch_" + std::to_string(i) + ".bin");
  return names;
}

// The folder holding the batches: root itself, or root/cifar-10-batches-bin.
std::string find_folder(const std::string& root, const std::string& first_batch) {
  std::error_code ec;
  const fs::path direct = fs::path(root) / first_batch;
  if (fs::exists(direct, ec)) return root;
  const fs::path nested = fs::path(root) / "cifar-10-batches-bin";
  if (fs::exists(nested / first_batch, ec)) return nested.string();
  SEEK_CHECK_T(IOError, false, "CIFAR10: neither '", direct.string(), "' nor '", (nested / first_batch).string(),
               "' exists");
  return {};
}

// Non-empty lines of batches.meta.txt (trailing whitespace removed); the
// standard names when the file is absent.
std::vector<std::string> read_class_names(const std::string& folder) {
  const fs::path path = fs::path(folder) / "batches.meta.txt";
  std::error_code ec;
  if (!fs::exists(path, ec)) return standard_classes();
  std::ifstream in(path);
  SEEK_CHECK_T(IOError, in.good(), "CIFAR10: cannot open '", path.string(), "': ", std::strerror(errno));
  std::vector<std::string> names;
  std::string line;
  while (std::getline(in, line)) {
    while (!line.empty() && std::isspace(static_cast<unsigned char>(line.back()))) line.pop_back();
    size_t start = 0;
    while (start < line.size() && std::isspace(static_cast<unsigned char>(line[start]))) ++start;
    if (start < line.size()) names.push_back(line.substr(start));
  }
  SEEK_CHECK_T(IOError, static_cast<int64_t>(names.size()) == kNumClasses, "CIFAR10: '", path.string(), "' lists ",
               names.size(), " class names, expected ", kNumClasses);
  return names;
}

}  // namespace

std::pair<Tensor, Tensor> read_cifar10_batch(const std::string& path) {
  std::ifstream in(path, std::ios::binary | std::ios::ate);
  SEEK_CHECK_T(IOError, in.is_open(), "read_cifar10_batch: cannot open '", path, "': ", std::strerror(errno));
  const auto bytes = static_cast<int64_t>(in.tellg());
  SEEK_CHECK_T(IOError, bytes >= 0 && bytes % kRecordBytes == 0, "read_cifar10_batch: '", path, "' has ", bytes,
               " bytes, not a multiple of the ", kRecordBytes, "-byte record (1 label byte + 3x32x32 pixels)");
  const int64_t n = bytes / kRecordBytes;
  in.seekg(0);
  std::vector<uint8_t> raw(static_cast<size_t>(bytes));
  if (bytes > 0) in.read(reinterpret_cast<char*>(raw.data()), bytes);
  SEEK_CHECK_T(IOError, bytes == 0 || in.gcount() == bytes, "read_cifar10_batch: '", path, "': read ", in.gcount(),
               " of ", bytes, " bytes");

  Tensor images = empty({n, 3, 32, 32}, TensorOptions(kUInt8));
  Tensor labels = empty({n}, TensorOptions(kInt64));
  auto* img = images.data_ptr<uint8_t>();
  auto* lbl = labels.data_ptr<int64_t>();
  for (int64_t i = 0; i < n; ++i) {
    const uint8_t* rec = raw.data() + i * kRecordBytes;
    SEEK_CHECK_T(IOError, rec[0] < kNumClasses, "read_cifar10_batch: '", path, "' record ", i, " has label ",
                 int{rec[0]}, ", expected 0..", kNumClasses - 1);
    lbl[i] = rec[0];
    std::memcpy(img + i * kImageBytes, rec + 1, kImageBytes);
  }
  return {images, labels};
}

CIFAR10::CIFAR10(const std::string& root, bool train) {
  const auto names = batch_names(train);
  folder_ = find_folder(root, names.front());
  std::vector<Tensor> images, labels;
  for (const auto& name : names) {
    const std::string path = (fs::path(folder_) / name).string();
    std::error_code ec;
    SEEK_CHECK_T(IOError, fs::exists(path, ec), "CIFAR10: batch file '", path, "' does not exist");
    auto [img, lbl] = read_cifar10_batch(path);
    images.push_back(img);
    labels.push_back(lbl);
  }
  images_ = images.size() == 1 ? images[0] : cat(images, 0);
  labels_ = labels.size() == 1 ? labels[0] : cat(labels, 0);
  classes_ = read_class_names(folder_);
}

size_t CIFAR10::size() const { return static_cast<size_t>(labels_.size(0)); }

Example CIFAR10::get(size_t index) const {
  SEEK_CHECK_INDEX(index < size(), "CIFAR10: index ", index, " out of range for a dataset of size ", size());
  auto i = static_cast<int64_t>(index);
  return {images_.select(0, i).to(kFloat32).div(255.0), labels_.select(0, i).clone()};
}

}  // namespace seek::data
