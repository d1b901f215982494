// safetensors reader and writer (format: seek/io/safetensors.h). CPU-only I/O: tensors
// are copied to contiguous CPU memory before their bytes are written, and loaded
// tensors are filled by memcpy from the file.
#include "seek/io/safetensors.h"

#include <algorithm>
#include <charconv>
#include <optional>
#include <unordered_set>
#include <bit>
#include <cstring>
#include <fstream>
#include <functional>
#include <set>

#include "seek/autograd/grad_mode.h"
#include "seek/core/error.h"
#include "seek/io/json.h"
#include "seek/ops/creation.h"

namespace seek::io {

static_assert(std::endian::native == std::endian::little,
              "safetensors stores little-endian data; seek copies tensor bytes as they are in memory");

namespace {

constexpr const char* kMetadataKey = "__metadata__";
// The reference implementation's limit on the JSON header (a hostile length cannot make a
// reader allocate more).
constexpr uint64_t kMaxHeaderSize = 100'000'000;
// More dimensions than any real tensor has (PyTorch allows 64 too).
constexpr size_t kMaxRank = 64;

struct DTypeCode {
  const char* code;
  DType dtype;
};
constexpr DTypeCode kDTypeCodes[] = {
    {"F64", kFloat64}, {"F32", kFloat32}, {"F16", kFloat16}, {"BF16", kBFloat16}, {"I64", kInt64},
    {"I32", kInt32},   {"I8", kInt8},     {"I16", kInt16},   {"U8", kUInt8},      {"BOOL", kBool},
};

bool dtype_from_code(const std::string& code, DType* out) {
  for (const auto& c : kDTypeCodes) {
    if (code == c.code) {
      *out = c.dtype;
      return true;
    }
  }
  return false;
}

// One validated header entry.
struct Entry {
  std::string name;
  DType dtype;
  Shape shape;
  uint64_t begin, end;  // within the data area
};

// Reads bytes [offset, offset + n) of the file into dst; the range is known to be in the file.
using ReadFn = std::function<void(uint64_t offset, void* dst, size_t n)>;

class HeaderChecker {
 public:
  HeaderChecker(std::string source, uint64_t file_size) : source_(std::move(source)), file_size_(file_size) {}

  [[noreturn]] void fail(const std::string& problem) const {
    throw IOError(str("load_safetensors: '", source_, "': ", problem));
  }

  // Validates the header; fills entries (sorted by offset) and metadata.
  void check(const ReadFn& read, std::vector<Entry>* entries, std::map<std::string, std::string>* metadata) {
    if (file_size_ < 8) fail(str("the file has ", file_size_, " bytes, fewer than the 8-byte header length"));
    unsigned char len_bytes[8];
    read(0, len_bytes, 8);
    uint64_t header_len = 0;
    for (int i = 7; i >= 0; --i) header_len = (header_len << 8) | len_bytes[i];
    if (header_len > file_size_ - 8)
      fail(str("header length ", header_len, " exceeds the ", file_size_ - 8, " bytes after the length field"));
    if (header_len == 0) fail("empty JSON header");
    if (header_len > kMaxHeaderSize)
      fail(str("header length ", header_len, " exceeds the format's limit of ", kMaxHeaderSize, " bytes"));
    data_size_ = file_size_ - 8 - header_len;
    // Only the header's bytes are read here; the JSON is walked with a pull parser that keeps
    // just the entries (no document tree, whose nodes would cost ~50x the text).
    std::string text(static_cast<size_t>(header_len), '\0');
    read(8, text.data(), text.size());
    try {
      json::Reader r(text);
      if (r.peek() != json::Value::Type::Object)
        fail(str("the JSON header is ", json::type_noun(r.peek()), ", not an object"));
      r.begin_object();
      std::unordered_set<std::string> names;
      std::string name;
      while (r.next_member(&name)) {
        if (!names.insert(name).second) fail(str("duplicate key \"", name, "\" in the JSON header"));
        if (name == kMetadataKey) {
          read_metadata(r, metadata);
        } else {
          entries->push_back(read_entry(r, name));
        }
      }
      r.end();
    } catch (const ValueError& e) {
      fail(str("invalid JSON header (", e.what(), ")"));
    }
    // The byte ranges must tile [0, data_size) in offset order.
    std::sort(entries->begin(), entries->end(),
              [](const Entry& a, const Entry& b) { return a.begin != b.begin ? a.begin < b.begin : a.end < b.end; });
    uint64_t pos = 0;
    const Entry* prev = nullptr;
    for (const Entry& e : *entries) {
      if (e.begin < pos)
        fail(str("data_offsets of tensor '", e.name, "' [", e.begin, ", ", e.end, ") overlap those of '", prev->name,
                 "' [", prev->begin, ", ", prev->end, ")"));
      if (e.begin > pos) fail(str("gap in the data before tensor '", e.name, "' (bytes ", pos, " to ", e.begin, ")"));
      pos = e.end;
      prev = &e;
    }
    if (pos != data_size_)
      fail(str("the tensors cover ", pos, " bytes of data but the file has ", data_size_, " after the header"));
  }

  uint64_t data_start() const { return file_size_ - data_size_; }

 private:
  void read_metadata(json::Reader& r, std::map<std::string, std::string>* metadata) const {
    const json::Value::Type t = r.peek();
    if (t == json::Value::Type::Null) {  // some writers store "__metadata__": null for none
      r.read_null();
      return;
    }
    if (t != json::Value::Type::Object) fail(str("\"__metadata__\" is ", json::type_noun(t), ", not an object"));
    r.begin_object();
    std::string k;
    while (r.next_member(&k)) {
      const json::Value::Type vt = r.peek();
      if (vt != json::Value::Type::String)
        fail(str("\"__metadata__\" value of '", k, "' is ", json::type_noun(vt), ", not a string"));
      if (!metadata->emplace(k, r.read_string()).second) fail(str("duplicate key \"", k, "\" in \"__metadata__\""));
    }
  }

  // A non-negative integer (shape entry or offset), or nullopt.
  static std::optional<uint64_t> read_count(json::Reader& r) {
    if (r.peek() != json::Value::Type::Number) {
      r.skip_value();
      return std::nullopt;
    }
    return count_of(r.read_number());
  }
  static std::optional<uint64_t> count_of(std::string_view text) {
    uint64_t v = 0;
    auto res = std::from_chars(text.data(), text.data() + text.size(), v);
    if (res.ec != std::errc() || res.ptr != text.data() + text.size()) return std::nullopt;
    return v;
  }

  Entry read_entry(json::Reader& r, const std::string& name) const {
    const std::string what = str("tensor '", name, "'");
    if (name.empty()) fail("a tensor has an empty name");
    const json::Value::Type t = r.peek();
    if (t != json::Value::Type::Object) fail(str(what, " is described by ", json::type_noun(t), ", not an object"));
    Entry e;
    e.name = name;
    bool have_dtype = false, have_shape = false, have_offsets = false;
    std::string dtype_code;
    uint64_t range[2] = {0, 0};
    r.begin_object();
    std::string key;
    while (r.next_member(&key)) {
      if (key == "dtype") {
        if (have_dtype) fail(str(what, ": \"dtype\" appears twice"));
        have_dtype = true;
        if (r.peek() != json::Value::Type::String) fail(str(what, ": \"dtype\" is not a string"));
        dtype_code = r.read_string();
        if (!dtype_from_code(dtype_code, &e.dtype))
          fail(str(what, ": unknown or unsupported dtype '", dtype_code,
                   "' (seek reads F64, F32, F16, BF16, I64, I32, I8, U8, BOOL)"));
      } else if (key == "shape") {
        if (have_shape) fail(str(what, ": \"shape\" appears twice"));
        have_shape = true;
        if (r.peek() != json::Value::Type::Array) fail(str(what, ": \"shape\" is not an array"));
        r.begin_array();
        while (r.next_element()) {
          const json::Value::Type dt = r.peek();
          std::string_view text = json::type_name(dt);
          std::optional<uint64_t> n;
          if (dt == json::Value::Type::Number) {
            text = r.read_number();
            n = count_of(text);
          }
          if (!n || *n > static_cast<uint64_t>(INT64_MAX))
            fail(str(what, ": shape entry ", text, " is not a non-negative integer"));
          if (e.shape.size() >= kMaxRank) fail(str(what, ": the shape has more than ", kMaxRank, " dimensions"));
          e.shape.push_back(static_cast<int64_t>(*n));
        }
      } else if (key == "data_offsets") {
        if (have_offsets) fail(str(what, ": \"data_offsets\" appears twice"));
        have_offsets = true;
        if (r.peek() != json::Value::Type::Array) fail(str(what, ": \"data_offsets\" is not an array of two integers"));
        r.begin_array();
        int i = 0;
        while (r.next_element()) {
          if (i >= 2) fail(str(what, ": \"data_offsets\" is not an array of two integers"));
          const std::optional<uint64_t> v = read_count(r);
          if (!v) fail(str(what, ": \"data_offsets\" entry ", i, " is not a non-negative integer"));
          range[i++] = *v;
        }
        if (i != 2) fail(str(what, ": \"data_offsets\" is not an array of two integers"));
      } else {
        r.skip_value();  // other members are ignored, as the reference reader does
      }
    }
    if (!have_dtype || !have_shape || !have_offsets)
      fail(str(what, " lacks one of \"dtype\", \"shape\", \"data_offsets\""));
    // numel * element size, with overflow checks (a zero dimension makes everything 0).
    const bool has_zero = std::find(e.shape.begin(), e.shape.end(), 0) != e.shape.end();
    uint64_t nbytes = dtype_size(e.dtype);
    if (has_zero) {
      nbytes = 0;
    } else {
      for (int64_t d : e.shape)
        if (__builtin_mul_overflow(nbytes, static_cast<uint64_t>(d), &nbytes))
          fail(str(what, ": shape ", shape_str(e.shape), " overflows 64-bit byte counts"));
    }
    e.begin = range[0];
    e.end = range[1];
    if (e.begin > e.end || e.end > data_size_)
      fail(str(what, ": data_offsets [", e.begin, ", ", e.end, ") out of range of the ", data_size_, " data bytes"));
    if (e.end - e.begin != nbytes)
      fail(str(what, ": data_offsets [", e.begin, ", ", e.end, ") hold ", e.end - e.begin, " bytes but dtype ",
               dtype_code, " and shape ", shape_str(e.shape), " need ", nbytes));
    return e;
  }

  std::string source_;
  uint64_t file_size_;
  uint64_t data_size_ = 0;
};

SafetensorsContents load_from(const std::string& source, uint64_t file_size, const ReadFn& read) {
  HeaderChecker checker(source, file_size);
  std::vector<Entry> entries;
  SafetensorsContents out;
  checker.check(read, &entries, &out.metadata);
  const uint64_t base = checker.data_start();
  for (const Entry& e : entries) {
    Tensor t = zeros(e.shape, e.dtype);
    if (t.nbytes() > 0) read(base + e.begin, t.data_ptr(), t.nbytes());
    if (e.dtype == kBool) {
      const auto* b = static_cast<const unsigned char*>(t.data_ptr());
      for (size_t i = 0; i < t.nbytes(); ++i)
        if (b[i] > 1) checker.fail(str("tensor '", e.name, "': BOOL byte ", i, " is ", int(b[i]), ", not 0 or 1"));
    }
    out.tensors.emplace_back(e.name, std::move(t));
  }
  return out;
}

}  // namespace

const char* safetensors_dtype_code(DType dtype) {
  for (const auto& c : kDTypeCodes)
    if (c.dtype == dtype) return c.code;
  throw DTypeError(str("save_safetensors: dtype ", dtype_name(dtype), " has no safetensors code"));
}

namespace {
// The format into any byte sink: write(data, n) is called in file order.
template <typename Write>
void encode_safetensors(const NamedTensors& tensors, const std::map<std::string, std::string>& metadata,
                        Write&& write) {
  NoGradGuard no_grad;
  json::Value header = json::Value::object();
  if (!metadata.empty()) {
    json::Value meta = json::Value::object();
    for (const auto& [k, v] : metadata) meta.as_object().emplace_back(k, v);  // a map: keys are unique
    header.as_object().emplace_back(kMetadataKey, std::move(meta));
  }
  std::unordered_set<std::string> names;
  std::vector<Tensor> host;
  uint64_t offset = 0;
  for (const auto& [name, t] : tensors) {
    SEEK_CHECK_VALUE(!name.empty(), "save_safetensors: tensor names must not be empty");
    SEEK_CHECK_VALUE(name != kMetadataKey, "save_safetensors: '", kMetadataKey, "' is reserved, not a tensor name");
    SEEK_CHECK_VALUE(names.insert(name).second, "save_safetensors: tensor name '", name, "' appears twice");
    SEEK_CHECK_VALUE(t.defined(), "save_safetensors: tensor '", name, "' is undefined");
    Tensor c = t.detach().to(kCPU).contiguous();
    json::Value entry = json::Value::object();
    entry.set("dtype", safetensors_dtype_code(c.dtype()));
    json::Value shape = json::Value::array();
    for (int64_t d : c.sizes()) shape.push_back(d);
    entry.set("shape", std::move(shape));
    json::Value range = json::Value::array();
    range.push_back(offset);
    offset += c.nbytes();
    range.push_back(offset);
    entry.set("data_offsets", std::move(range));
    header.as_object().emplace_back(name, std::move(entry));  // unique: checked above
    host.push_back(std::move(c));
  }
  std::string text = json::dump(header);
  text.append((8 - text.size() % 8) % 8, ' ');
  unsigned char len_bytes[8];
  for (int i = 0; i < 8; ++i) len_bytes[i] = static_cast<unsigned char>(static_cast<uint64_t>(text.size()) >> (8 * i));
  write(len_bytes, 8);
  write(text.data(), text.size());
  for (const Tensor& c : host)
    if (c.nbytes() > 0) write(c.data_ptr(), c.nbytes());
}
}  // namespace

void write_safetensors(AtomicFileWriter& out, const NamedTensors& tensors,
                       const std::map<std::string, std::string>& metadata) {
  encode_safetensors(tensors, metadata, [&](const void* p, size_t n) { out.write(p, n); });
}

std::string safetensors_to_string(const NamedTensors& tensors, const std::map<std::string, std::string>& metadata) {
  std::string out;
  encode_safetensors(tensors, metadata, [&](const void* p, size_t n) { out.append(static_cast<const char*>(p), n); });
  return out;
}

void save_safetensors(const std::filesystem::path& path, const NamedTensors& tensors,
                      const std::map<std::string, std::string>& metadata) {
  AtomicFileWriter out(path, "save_safetensors");
  write_safetensors(out, tensors, metadata);
  out.commit();
}

SafetensorsContents parse_safetensors(std::string_view bytes, const std::string& source) {
  return load_from(source, bytes.size(),
                   [&](uint64_t offset, void* dst, size_t n) { std::memcpy(dst, bytes.data() + offset, n); });
}

SafetensorsContents load_safetensors(const std::filesystem::path& path) {
  std::error_code ec;
  SEEK_CHECK_T(IOError, std::filesystem::is_regular_file(path, ec), "load_safetensors: '", path.string(),
               "' does not exist or is not a regular file");
  const uint64_t size = std::filesystem::file_size(path, ec);
  SEEK_CHECK_T(IOError, !ec, "load_safetensors: cannot read the size of '", path.string(), "': ", ec.message());
  std::ifstream in(path, std::ios::binary);
  SEEK_CHECK_T(IOError, in.good(), "load_safetensors: cannot open '", path.string(), "'");
  return load_from(path.string(), size, [&](uint64_t offset, void* dst, size_t n) {
    in.seekg(static_cast<std::streamoff>(offset));
    in.read(static_cast<char*>(dst), static_cast<std::streamsize>(n));
    SEEK_CHECK_T(IOError, in.good() && static_cast<size_t>(in.gcount()) == n, "load_safetensors: '", path.string(),
                 "': read failed at byte ", offset, " (the file changed while being read?)");
  });
}

}  // namespace seek::io
