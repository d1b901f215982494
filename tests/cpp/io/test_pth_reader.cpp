// seek::io::pth: PyTorch zip checkpoints read by the restricted unpickler. The files of
// tests/data/pth/ come from torch 1.13 (tests/python/ref/gen_pth.py); hostile archives and
// pickles are built here byte by byte.
#include <zlib.h>

#include <cstring>
#include <filesystem>
#include <string>
#include <vector>

#include "seek/io/pth_reader.h"
#include "seek/io/zip_reader.h"
#include "support/test_util.h"

namespace seek::io::pth {
namespace {
namespace fs = std::filesystem;
using Kind = Object::Kind;
using namespace std::string_literals;

fs::path data_dir() { return fs::path(SEEK_SOURCE_DIR) / "tests" / "data" / "pth"; }

const Object* member(const Object* dict, const std::string& key) {
  for (const auto& [k, v] : dict->members)
    if (k->kind == Kind::String && k->text == key) return v;
  return nullptr;
}

// A zip archive of stored entries, built by hand.
std::string zip_of(const std::vector<std::pair<std::string, std::string>>& entries) {
  const auto le = [](std::string& out, uint64_t v, int n) {
    for (int i = 0; i < n; ++i) out += static_cast<char>(v >> (8 * i));
  };
  std::string out, central;
  for (const auto& [name, data] : entries) {
    const uint32_t crc =
        static_cast<uint32_t>(::crc32(0, reinterpret_cast<const Bytef*>(data.data()), static_cast<uInt>(data.size())));
    const size_t offset = out.size();
    le(out, 0x04034b50, 4), le(out, 20, 2), le(out, 0, 2), le(out, 0, 2), le(out, 0, 4), le(out, crc, 4);
    le(out, data.size(), 4), le(out, data.size(), 4), le(out, name.size(), 2), le(out, 0, 2);
    out += name + data;
    le(central, 0x02014b50, 4), le(central, 20, 2), le(central, 20, 2), le(central, 0, 2), le(central, 0, 2);
    le(central, 0, 4), le(central, crc, 4), le(central, data.size(), 4), le(central, data.size(), 4);
    le(central, name.size(), 2), le(central, 0, 2), le(central, 0, 2), le(central, 0, 2), le(central, 0, 2);
    le(central, 0, 4), le(central, offset, 4);
    central += name;
  }
  const size_t cd_offset = out.size();
  out += central;
  le(out, 0x06054b50, 4), le(out, 0, 2), le(out, 0, 2), le(out, entries.size(), 2), le(out, entries.size(), 2);
  le(out, central.size(), 4), le(out, cd_offset, 4), le(out, 0, 2);
  return out;
}

bool same_bytes(const Tensor& a, const Tensor& b) {
  const Tensor ca = a.contiguous(), cb = b.contiguous();
  return ca.sizes() == cb.sizes() && ca.dtype() == cb.dtype() &&
         std::memcmp(ca.data_ptr(), cb.data_ptr(), ca.nbytes()) == 0;
}

std::string pkl(const std::string& body) { return std::string("\x80\x02", 2) + body + "."; }

TEST(PthReader, ReadsAStateDictWrittenByTorch) {
  const PthFile f = load_pth(data_dir() / "state_dict.pth");
  ASSERT_EQ(f.root->kind, Kind::OrderedDict);
  std::vector<std::string> names;
  for (const auto& [k, v] : f.root->members) {
    names.push_back(k->text);
    EXPECT_EQ(v->kind, Kind::Tensor);
  }
  EXPECT_EQ(names, (std::vector<std::string>{"0.weight", "0.bias", "1.weight", "1.bias", "1.running_mean",
                                             "1.running_var", "1.num_batches_tracked", "3.weight", "3.bias"}));
  EXPECT_EQ(member(f.root, "0.weight")->tensor.sizes(), (Shape{4, 3}));
  EXPECT_EQ(member(f.root, "1.num_batches_tracked")->tensor.dtype(), kInt64);
  EXPECT_EQ(member(f.root, "1.num_batches_tracked")->tensor.item<int64_t>(), 1);
  // The deflated copy of the same archive reads the same.
  const PthFile d = load_pth(data_dir() / "deflated.pth");
  for (size_t i = 0; i < f.root->members.size(); ++i)
    EXPECT_TRUE(same_bytes(d.root->members[i].second->tensor, f.root->members[i].second->tensor));
}

TEST(PthReader, ViewsShareTheirStorage) {
  const PthFile f = load_pth(data_dir() / "tensors.pth");
  const Tensor t = member(f.root, "transposed")->tensor, base = member(f.root, "base")->tensor;
  EXPECT_EQ(t.strides(), (std::vector<int64_t>{1, 4}));
  EXPECT_EQ(t.storage().get(), base.storage().get());
  EXPECT_EQ(member(f.root, "row")->tensor.storage_offset(), 4);
  EXPECT_EQ(member(f.root, "bf16")->tensor.dtype(), kBFloat16);
  EXPECT_EQ(member(f.root, "flags")->tensor.dtype(), kBool);
  EXPECT_TRUE(member(f.root, "param")->is_parameter);
  EXPECT_TRUE(member(f.root, "param")->requires_grad);
}

TEST(PthReader, RefusesMaliciousAndLegacyFiles) {
  EXPECT_SEEK_ERROR_ALL(load_pth(data_dir() / "malicious.pth"), IOError,
                        {"malicious.pth", "global 'posix.system'", "does not allow"});
  EXPECT_SEEK_ERROR_ALL(load_pth(data_dir() / "legacy.pth"), IOError, {"legacy raw-pickle format", "re-save"});
  EXPECT_SEEK_ERROR(parse_pth("hello", "x"), IOError, "not a PyTorch zip checkpoint");
}

TEST(PthReader, RejectsHostilePickles) {
  const std::pair<std::string, std::string> cases[] = {
      {pkl("cbuiltins\neval\n"), "global 'builtins.eval'"},
      {pkl("c__main__\nEvil\n)R"), "global '__main__.Evil'"},
      {pkl("ctorch\nShortStorage\n"), "torch.ShortStorage, whose dtype seek does not have"},
      {std::string("\x80\x02]q\x00h\x00"
                   "a.",
                   9),
       ""},  // a list holding itself is fine
      {pkl("0"), "pops a value the stack does not have"},
      {pkl("(0"), "pops a value"},
      {pkl("e"), "no MARK"},
      {pkl("h\x05"), "memo index 5 was never stored"},
      {pkl("K\x01K\x02"), "STOP with 2 values"},
      {std::string("\x80\x02K\x01", 4), "ends before its STOP"},
      {pkl("X\xff\xff\xff\x7f"), "ends inside a"},
      {pkl("i"), "opcode 'i' (0x69) is not allowed"},
      {pkl("\x81"), "opcode 0x81 is not allowed"},
      {pkl("K\x01K\x02R"), "REDUCE calls an int"},
      {pkl("ctorch\nFloatStorage\n"), "global 'torch.FloatStorage' is stored as a value"},
      {pkl("(Vx\n"), "opcode 'V'"},
      {pkl("]K\x01K\x02s"), "SETITEM on a list"},
      {pkl("}K\x01"
           "b"),
       "BUILD (setting an object's attributes) on a dict"},
      {pkl("(X\x07\x00\x00\x00storagectorch\nFloatStorage\nX\x01\x00\x00\x00"
           "0X\x03\x00\x00\x00"
           "cpuK\x04tQ"s),
       "lacks the storage"},
      {pkl(std::string("\x8a\x09", 2) + std::string(9, '\x01')), "does not fit in 64 bits"},
  };
  for (const auto& [pickle, words] : cases) {
    SCOPED_TRACE(words);
    const std::string zip = zip_of({{"a/data.pkl", pickle}});
    if (words.empty()) {
      EXPECT_NO_THROW(parse_pth(zip, "mem"));
      continue;
    }
    EXPECT_SEEK_ERROR_ALL(parse_pth(zip, "mem"), IOError, {"load: 'mem'", words});
  }
}

TEST(PthReader, ChecksStorageSizesAndViewExtents) {
  // ('storage', FloatStorage, '0', 'cpu', numel) -> _rebuild_tensor_v2(storage, offset, size, stride, False, {}).
  const auto file = [](int numel, int offset, int size, int stride, int data_bytes) {
    std::string p = "ctorch._utils\n_rebuild_tensor_v2\n((X";
    p += std::string("\x07\x00\x00\x00", 4) + "storagectorch\nFloatStorage\nX" + std::string("\x01\x00\x00\x00", 4) +
         "0X" + std::string("\x03\x00\x00\x00", 4) + "cpuK" + static_cast<char>(numel) + "tQK" +
         static_cast<char>(offset) + "K" + static_cast<char>(size) + "\x85K" + static_cast<char>(stride) +
         "\x85\x89}tR";
    return zip_of({{"a/data.pkl", pkl(p)}, {"a/data/0", std::string(static_cast<size_t>(data_bytes), '\0')}});
  };
  const PthFile ok = parse_pth(file(4, 1, 3, 1, 16), "mem");
  EXPECT_EQ(ok.root->tensor.sizes(), (Shape{3}));
  EXPECT_SEEK_ERROR(parse_pth(file(4, 2, 3, 1, 16), "mem"), IOError, "reaches beyond its storage of 4 elements");
  EXPECT_SEEK_ERROR(parse_pth(file(4, 0, 3, 2, 16), "mem"), IOError, "reaches beyond");
  EXPECT_SEEK_ERROR(parse_pth(file(4, 0, 3, 1, 12), "mem"), IOError, "should hold 4 elements of float32");
}

TEST(ZipReader, RejectsMalformedArchives) {
  const std::string good = zip_of({{"a/data.pkl", pkl("N")}});
  EXPECT_NO_THROW(parse_pth(good, "mem"));
  std::string bad_crc = good;
  bad_crc[30 + 10 + 2] ^= 1;  // a byte of the data
  EXPECT_SEEK_ERROR(parse_pth(bad_crc, "mem"), IOError, "fails its CRC-32 check");
  EXPECT_SEEK_ERROR(parse_pth(good.substr(0, good.size() - 3), "mem"), IOError, "no end-of-central-directory");
  std::string far = good;
  far[far.size() - 6] = '\x7f';  // central directory offset beyond the file
  EXPECT_SEEK_ERROR(parse_pth(far, "mem"), IOError, "outside the file");
  std::string many = good;
  many[many.size() - 12] = '\x7f';  // 127 entries in a one-entry directory
  EXPECT_SEEK_ERROR(parse_pth(many, "mem"), IOError, "cannot fit");
  EXPECT_SEEK_ERROR(parse_pth(zip_of({{"x.txt", "hi"}}), "mem"), IOError, "no <folder>/data.pkl");
  EXPECT_SEEK_ERROR(parse_pth(zip_of({{"a/data.pkl", pkl("N")}, {"a/byteorder", "big"}}), "mem"), IOError,
                    "big-endian");
}

}  // namespace
}  // namespace seek::io::pth
