// IDX reader (raw or gzip through zlib) and the MNIST dataset.
#include "seek/data/idx.h"

#include <zlib.h>

#include <cstring>
#include <filesystem>
#include <memory>
#include <sstream>
#include <vector>

#include "seek/core/error.h"

namespace seek::data {
namespace {

struct GzCloser {
  void operator()(gzFile_s* f) const { gzclose(f); }
};
using GzPtr = std::unique_ptr<gzFile_s, GzCloser>;

class IdxReader {
 public:
  explicit IdxReader(const std::string& path) : path_(path), file_(gzopen(path.c_str(), "rb")) {
    SEEK_CHECK_T(IOError, file_ != nullptr, "read_idx: cannot open '", path, "': ", std::strerror(errno));
  }

  // Reads exactly n bytes; `what` names the part for the error message.
  void read(void* dst, size_t n, const char* what) {
    auto* out = static_cast<unsigned char*>(dst);
    size_t got = 0;
    while (got < n) {
      unsigned chunk = static_cast<unsigned>(std::min<size_t>(n - got, 1u << 30));
      int r = gzread(file_.get(), out + got, chunk);
      if (r < 0) {
        int code = 0;
        const char* msg = gzerror(file_.get(), &code);
        SEEK_CHECK_T(IOError, false, "read_idx: '", path_, "': read error in ", what, " (", msg, ")");
      }
      if (r == 0) break;
      got += static_cast<size_t>(r);
    }
    SEEK_CHECK_T(IOError, got == n, "read_idx: '", path_, "' is truncated: expected ", n, " bytes of ", what,
                 ", found ", got);
  }

  uint32_t read_u32(const char* what) {
    unsigned char b[4];
    read(b, 4, what);
    return (uint32_t{b[0]} << 24) | (uint32_t{b[1]} << 16) | (uint32_t{b[2]} << 8) | uint32_t{b[3]};
  }

  // Reads the magic and the dims; checks the magic equals `magic`.
  std::vector<int64_t> header(uint32_t magic, const char* kind) {
    uint32_t m = read_u32("the magic number");
    if (m != magic) {
      std::ostringstream os;
      os << "read_idx: '" << path_ << "' has bad magic number 0x" << std::hex << m << ", expected 0x" << magic << " ("
         << kind << ")";
      throw IOError(os.str());
    }
    std::vector<int64_t> dims(magic & 0xff);
    for (auto& d : dims) d = read_u32("the dimension sizes");
    return dims;
  }

  // Checks that nothing follows the data.
  void expect_end() {
    unsigned char extra;
    int r = gzread(file_.get(), &extra, 1);
    SEEK_CHECK_T(IOError, r == 0, "read_idx: '", path_, "' has trailing data after the ", "expected payload");
  }

 private:
  std::string path_;
  GzPtr file_;
};

}  // namespace

Tensor read_idx_images(const std::string& path) {
  IdxReader r(path);
  auto dims = r.header(0x00000803u, "uint8 images with 3 dimensions");
  // Guard against absurd headers before allocating.
  const double bytes = static_cast<double>(dims[0]) * static_cast<double>(dims[1]) * static_cast<double>(dims[2]);
  SEEK_CHECK_T(IOError, bytes <= static_cast<double>(uint64_t{1} << 36), "read_idx: '", path, "' declares ", dims[0],
               "x", dims[1], "x", dims[2], " images, more than the supported 2^36 bytes");
  const auto n = static_cast<size_t>(bytes);
  Tensor out = empty({dims[0], dims[1], dims[2]}, TensorOptions(kUInt8));
  if (n > 0) r.read(out.data_ptr(), n, "image data");
  r.expect_end();
  return out;
}

Tensor read_idx_labels(const std::string& path) {
  IdxReader r(path);
  auto dims = r.header(0x00000801u, "uint8 labels with 1 dimension");
  std::vector<uint8_t> raw(static_cast<size_t>(dims[0]));
  if (!raw.empty()) r.read(raw.data(), raw.size(), "label data");
  r.expect_end();
  Tensor out = empty({dims[0]}, TensorOptions(kInt64));
  auto* p = out.data_ptr<int64_t>();
  for (size_t i = 0; i < raw.size(); ++i) p[i] = raw[i];
  return out;
}

namespace {

std::string pick(const std::string& root, const std::string& name) {
  namespace fs = std::filesystem;
  fs::path raw = fs::path(root) / name;
  fs::path gz = fs::path(root) / (name + ".gz");
  std::error_code ec;
  if (fs::exists(raw, ec)) return raw.string();
  if (fs::exists(gz, ec)) return gz.string();
  SEEK_CHECK_T(IOError, false, "MNIST: neither '", raw.string(), "' nor '", gz.string(), "' exists");
  return {};
}

}  // namespace

MNIST::MNIST(const std::string& root, bool train) {
  const std::string prefix = train ? "train" : "t10k";
  const std::string img_path = pick(root, prefix + "-images-idx3-ubyte");
  const std::string lbl_path = pick(root, prefix + "-labels-idx1-ubyte");
  images_ = read_idx_images(img_path);
  labels_ = read_idx_labels(lbl_path);
  SEEK_CHECK_T(IOError, images_.size(0) == labels_.size(0), "MNIST: count mismatch: '", img_path, "' has ",
               images_.size(0), " images but '", lbl_path, "' has ", labels_.size(0), " labels");
}

size_t MNIST::size() const { return static_cast<size_t>(labels_.size(0)); }

Example MNIST::get(size_t index) const {
  SEEK_CHECK_INDEX(index < size(), "MNIST: index ", index, " out of range for a dataset of size ", size());
  auto i = static_cast<int64_t>(index);
  Tensor img = images_.select(0, i).to(kFloat32).div(255.0).unsqueeze(0);
  return {img, labels_.select(0, i).clone()};
}

}  // namespace seek::data
