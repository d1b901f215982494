// save_safetensors / load_safetensors: round trips, the exact bytes of the format, atomic
// writes, and rejection of every kind of malformed file.
#include <algorithm>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "seek/io/safetensors.h"
#include "support/test_util.h"

namespace seek::io {
namespace {
namespace fs = std::filesystem;
using seek::testing::read_bytes;
using seek::testing::tensor_bytes;
using seek::testing::write_bytes;

// The reference file of tests/cpp/io/gen_safetensors_ref.py: tensors a (F32 [2] = 1, -2.5),
// b (I64 [] = 7), c (BOOL [3] = 1 0 1), e (BF16 [0]) and metadata {"format": "pt"}.
const unsigned char kReferenceFile[] = {
    // 283 bytes, from tests/cpp/io/gen_safetensors_ref.py
    0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x7b, 0x22, 0x5f, 0x5f, 0x6d, 0x65, 0x74, 0x61, 0x64, 0x61, 0x74,
    0x61, 0x5f, 0x5f, 0x22, 0x3a, 0x7b, 0x22, 0x66, 0x6f, 0x72, 0x6d, 0x61, 0x74, 0x22, 0x3a, 0x22, 0x70, 0x74, 0x22,
    0x7d, 0x2c, 0x22, 0x61, 0x22, 0x3a, 0x7b, 0x22, 0x64, 0x74, 0x79, 0x70, 0x65, 0x22, 0x3a, 0x22, 0x46, 0x33, 0x32,
    0x22, 0x2c, 0x22, 0x73, 0x68, 0x61, 0x70, 0x65, 0x22, 0x3a, 0x5b, 0x32, 0x5d, 0x2c, 0x22, 0x64, 0x61, 0x74, 0x61,
    0x5f, 0x6f, 0x66, 0x66, 0x73, 0x65, 0x74, 0x73, 0x22, 0x3a, 0x5b, 0x30, 0x2c, 0x38, 0x5d, 0x7d, 0x2c, 0x22, 0x62,
    0x22, 0x3a, 0x7b, 0x22, 0x64, 0x74, 0x79, 0x70, 0x65, 0x22, 0x3a, 0x22, 0x49, 0x36, 0x34, 0x22, 0x2c, 0x22, 0x73,
    0x68, 0x61, 0x70, 0x65, 0x22, 0x3a, 0x5b, 0x5d, 0x2c, 0x22, 0x64, 0x61, 0x74, 0x61, 0x5f, 0x6f, 0x66, 0x66, 0x73,
    0x65, 0x74, 0x73, 0x22, 0x3a, 0x5b, 0x38, 0x2c, 0x31, 0x36, 0x5d, 0x7d, 0x2c, 0x22, 0x63, 0x22, 0x3a, 0x7b, 0x22,
    0x64, 0x74, 0x79, 0x70, 0x65, 0x22, 0x3a, 0x22, 0x42, 0x4f, 0x4f, 0x4c, 0x22, 0x2c, 0x22, 0x73, 0x68, 0x61, 0x70,
    0x65, 0x22, 0x3a, 0x5b, 0x33, 0x5d, 0x2c, 0x22, 0x64, 0x61, 0x74, 0x61, 0x5f, 0x6f, 0x66, 0x66, 0x73, 0x65, 0x74,
    0x73, 0x22, 0x3a, 0x5b, 0x31, 0x36, 0x2c, 0x31, 0x39, 0x5d, 0x7d, 0x2c, 0x22, 0x65, 0x22, 0x3a, 0x7b, 0x22, 0x64,
    0x74, 0x79, 0x70, 0x65, 0x22, 0x3a, 0x22, 0x42, 0x46, 0x31, 0x36, 0x22, 0x2c, 0x22, 0x73, 0x68, 0x61, 0x70, 0x65,
    0x22, 0x3a, 0x5b, 0x30, 0x5d, 0x2c, 0x22, 0x64, 0x61, 0x74, 0x61, 0x5f, 0x6f, 0x66, 0x66, 0x73, 0x65, 0x74, 0x73,
    0x22, 0x3a, 0x5b, 0x31, 0x39, 0x2c, 0x31, 0x39, 0x5d, 0x7d, 0x7d, 0x20, 0x20, 0x20, 0x20, 0x20, 0x20, 0x00, 0x00,
    0x80, 0x3f, 0x00, 0x00, 0x20, 0xc0, 0x07, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00, 0x01,
};

std::string reference_bytes() {
  return std::string(reinterpret_cast<const char*>(kReferenceFile), sizeof(kReferenceFile));
}

// A file with the given JSON header text (padded to 8 bytes) and data bytes.
std::string make_file(std::string header, const std::string& data) {
  header.append((8 - header.size() % 8) % 8, ' ');
  std::string out(8, '\0');
  for (int i = 0; i < 8; ++i)
    out[static_cast<size_t>(i)] = static_cast<char>(static_cast<uint64_t>(header.size()) >> (8 * i));
  return out + header + data;
}

class Safetensors : public ::testing::Test {
 protected:
  std::vector<std::string> dir_entries() const { return tmp_.entries(); }
  // Writes `bytes` and expects load_safetensors to throw IOError naming the file and `words`.
  void expect_rejected(const std::string& bytes, const std::string& words) {
    const fs::path p = dir_ / "bad.safetensors";
    write_bytes(p, bytes);
    EXPECT_SEEK_ERROR_ALL(load_safetensors(p), IOError, {"load_safetensors", p.string(), words});
    EXPECT_SEEK_ERROR_ALL(parse_safetensors(bytes, "in-memory"), IOError, {"in-memory", words});
  }
  seek::testing::TempDir tmp_{"seek_safetensors_"};
  const fs::path dir_ = tmp_.path();
};

TEST_F(Safetensors, RoundTripsEveryDTypeShapeAndLayout) {
  NamedTensors tensors;
  const DType all[] = {kFloat64, kFloat32, kFloat16, kBFloat16, kInt64, kInt32, kInt16, kInt8, kUInt8, kBool};
  for (DType d : all) {
    Tensor base = testing::uniform_tensor({3, 4}, -50, 50, kFloat64, 11 + static_cast<uint64_t>(d));
    if (d == kUInt8) base = base.abs();
    Tensor t = d == kBool ? base.gt(0) : (is_floating(d) ? base.to(d) : base.round().to(d));
    tensors.emplace_back(str(dtype_name(d), ".matrix"), t);
    tensors.emplace_back(str(dtype_name(d), ".transposed"), t.t());                    // non-contiguous
    tensors.emplace_back(str(dtype_name(d), ".column"), t.select(1, 2));               // strided view with offset
    tensors.emplace_back(str(dtype_name(d), ".scalar"), t.select(0, 1).select(0, 3));  // 0-dim
    tensors.emplace_back(str(dtype_name(d), ".empty"), t.narrow(0, 0, 0));             // [0, 4]
  }
  const std::map<std::string, std::string> metadata{{"format", "pt"}, {"note", "caf\xc3\xa9 \"quoted\"\n"}};
  const fs::path p = dir_ / "all.safetensors";
  save_safetensors(p, tensors, metadata);

  const SafetensorsContents back = load_safetensors(p);
  EXPECT_EQ(back.metadata, metadata);
  ASSERT_EQ(back.tensors.size(), tensors.size());
  for (size_t i = 0; i < tensors.size(); ++i) {  // written in the given order, read in file order
    const auto& [name, t] = tensors[i];
    SCOPED_TRACE(name);
    EXPECT_EQ(back.tensors[i].first, name);
    const Tensor& r = back.tensors[i].second;
    EXPECT_EQ(r.dtype(), t.dtype());
    EXPECT_EQ(r.sizes(), t.sizes());
    EXPECT_TRUE(r.is_contiguous());
    EXPECT_EQ(tensor_bytes(r), tensor_bytes(t));
  }
  EXPECT_EQ(back.tensors[3].second.dim(), 0);
  // The same bytes parse the same from memory.
  const SafetensorsContents mem = parse_safetensors(read_bytes(p), p.string());
  ASSERT_EQ(mem.tensors.size(), back.tensors.size());
  for (size_t i = 0; i < mem.tensors.size(); ++i)
    EXPECT_EQ(tensor_bytes(mem.tensors[i].second), tensor_bytes(back.tensors[i].second));
}

TEST_F(Safetensors, SavesTensorsThatRequireGradAndEmptyFiles) {
  Tensor w = testing::uniform_tensor({2, 2}, -1, 1, kFloat32).requires_grad_();
  const fs::path p = dir_ / "w.safetensors";
  save_safetensors(p, {{"w", w.mul(2.0)}});
  EXPECT_EQ(tensor_bytes(load_safetensors(p).tensors[0].second), tensor_bytes(w.detach().mul(2.0)));
  // No tensors and no metadata: the header is "{}" padded to 8 bytes.
  save_safetensors(p, {});
  EXPECT_EQ(read_bytes(p), make_file("{}", ""));
  EXPECT_TRUE(load_safetensors(p).tensors.empty());
}

TEST_F(Safetensors, BytesMatchTheFormatDerivedByHand) {
  // {"x":{"dtype":"U8","shape":[2],"data_offsets":[0,2]}} is 53 bytes; padded to 56 = 0x38.
  const fs::path p = dir_ / "x.safetensors";
  save_safetensors(p, {{"x", tensor<uint8_t>({5, 6})}});
  const std::string expected = std::string("\x38\0\0\0\0\0\0\0", 8) +
                               R"({"x":{"dtype":"U8","shape":[2],"data_offsets":[0,2]}})" + "   " + "\x05\x06";
  EXPECT_EQ(read_bytes(p), expected);
}

TEST_F(Safetensors, BytesMatchTheReferenceEncoder) {
  const fs::path p = dir_ / "ref.safetensors";
  save_safetensors(p,
                   {{"a", tensor<float>({1.0f, -2.5f})},
                    {"b", scalar_tensor(7, kInt64)},
                    {"c", tensor<double>({1, 0, 1}).to(kBool)},
                    {"e", zeros({0}, kBFloat16)}},
                   {{"format", "pt"}});
  EXPECT_EQ(read_bytes(p), reference_bytes());

  const SafetensorsContents back = parse_safetensors(reference_bytes(), "reference");
  ASSERT_EQ(back.tensors.size(), 4u);
  EXPECT_EQ(back.metadata.at("format"), "pt");
  EXPECT_EQ(back.tensors[0].second.data_ptr<float>()[1], -2.5f);
  EXPECT_EQ(back.tensors[1].second.dim(), 0);
  EXPECT_EQ(back.tensors[1].second.item<int64_t>(), 7);
  EXPECT_EQ(back.tensors[2].second.dtype(), kBool);
  EXPECT_EQ(back.tensors[2].second.sizes(), (Shape{3}));
  EXPECT_EQ(back.tensors[3].second.dtype(), kBFloat16);
  EXPECT_EQ(back.tensors[3].second.numel(), 0);
}

TEST_F(Safetensors, TensorsComeBackInDataOrder) {
  // Header order differs from data order: the result follows the data.
  const std::string file = make_file(
      R"({"late":{"dtype":"U8","shape":[1],"data_offsets":[1,2]},"early":{"dtype":"U8","shape":[1],"data_offsets":[0,1]}})",
      "\x0a\x0b");
  const SafetensorsContents c = parse_safetensors(file, "f");
  ASSERT_EQ(c.tensors.size(), 2u);
  EXPECT_EQ(c.tensors[0].first, "early");
  EXPECT_EQ(c.tensors[0].second.item<int64_t>(), 10);
  EXPECT_EQ(c.tensors[1].first, "late");
  EXPECT_EQ(c.tensors[1].second.item<int64_t>(), 11);
}

TEST_F(Safetensors, WritesAtomicallyAndLeavesNoTempFiles) {
  const fs::path p = dir_ / "m.safetensors";
  save_safetensors(p, {{"a", tensor<float>({1.0f})}});
  save_safetensors(p, {{"a", tensor<float>({2.0f})}});  // replaces
  EXPECT_EQ(dir_entries(), std::vector<std::string>{"m.safetensors"});
  EXPECT_EQ(load_safetensors(p).tensors[0].second.item<float>(), 2.0f);
  // A save that fails midway (bad names are found while writing) keeps the old file.
  EXPECT_SEEK_ERROR(save_safetensors(p, {{"a", tensor<float>({3.0f})}, {"a", tensor<float>({4.0f})}}), ValueError,
                    "tensor name 'a' appears twice");
  EXPECT_SEEK_ERROR(save_safetensors(p, {{"", tensor<float>({3.0f})}}), ValueError, "must not be empty");
  EXPECT_SEEK_ERROR(save_safetensors(p, {{"__metadata__", tensor<float>({3.0f})}}), ValueError, "reserved");
  EXPECT_SEEK_ERROR(save_safetensors(p, {{"u", Tensor()}}), ValueError, "tensor 'u' is undefined");
  EXPECT_EQ(dir_entries(), std::vector<std::string>{"m.safetensors"});
  EXPECT_EQ(load_safetensors(p).tensors[0].second.item<float>(), 2.0f);
  // A folder that does not exist.
  const fs::path missing = dir_ / "no" / "such" / "x.safetensors";
  EXPECT_SEEK_ERROR_ALL(save_safetensors(missing, {{"a", tensor<float>({1.0f})}}), IOError,
                        {"save_safetensors", missing.string(), "cannot create"});
}

TEST_F(Safetensors, RejectsMissingFiles) {
  const fs::path p = dir_ / "nothing.safetensors";
  EXPECT_SEEK_ERROR_ALL(load_safetensors(p), IOError, {"load_safetensors", p.string(), "does not exist"});
  EXPECT_SEEK_ERROR_ALL(load_safetensors(dir_), IOError, {"not a regular file"});
}

TEST_F(Safetensors, RejectsTruncatedFiles) {
  const std::string good = reference_bytes();
  for (size_t cut : {size_t{0}, size_t{3}, size_t{7}})
    expect_rejected(good.substr(0, cut), "fewer than the 8-byte header length");
  for (size_t cut : {size_t{8}, size_t{100}, size_t{263}})
    expect_rejected(good.substr(0, cut), "header length 256 exceeds");
  for (size_t cut : {size_t{264}, size_t{270}, good.size() - 1})
    expect_rejected(good.substr(0, cut), "out of range of the");
}

TEST_F(Safetensors, RejectsBadHeaderLengths) {
  std::string huge = reference_bytes();
  huge[7] = '\x7f';  // about 9e18 bytes
  expect_rejected(huge, "exceeds the 275 bytes after the length field");
  expect_rejected(std::string(8, '\0') + "{}", "empty JSON header");
  // A length that ends inside the JSON text.
  std::string shorter = reference_bytes();
  shorter[1] = 0;
  shorter[0] = 100;
  expect_rejected(shorter, "invalid JSON header");
}

TEST_F(Safetensors, RejectsMalformedHeaders) {
  const std::string d8(8, '\x01');
  const std::pair<std::string, std::string> cases[] = {
      {"{\"a\":", "invalid JSON header"},
      {"x", "invalid JSON header"},
      {"[1,2]", "the JSON header is an array, not an object"},
      {R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}})",
       "duplicate key"},
      {R"({"a":{"dtype":"F33","shape":[2],"data_offsets":[0,8]}})", "unknown or unsupported dtype 'F33'"},
      {R"({"a":{"dtype":"F8_E4M3","shape":[8],"data_offsets":[0,8]}})", "unknown or unsupported dtype"},
      {R"({"a":{"dtype":32,"shape":[2],"data_offsets":[0,8]}})", "\"dtype\" is not a string"},
      {R"({"a":{"shape":[2],"data_offsets":[0,8]}})", "lacks one of"},
      {R"({"a":[1]})", "tensor 'a' is described by an array"},
      {R"({"":{"dtype":"U8","shape":[8],"data_offsets":[0,8]}})", "empty name"},
      {R"({"a":{"dtype":"F32","shape":2,"data_offsets":[0,8]}})", "\"shape\" is not an array"},
      {R"({"a":{"dtype":"F32","shape":[-2],"data_offsets":[0,8]}})", "shape entry -2 is not a non-negative integer"},
      {R"({"a":{"dtype":"F32","shape":[1.5],"data_offsets":[0,8]}})", "shape entry 1.5"},
      {R"({"a":{"dtype":"F32","shape":["2"],"data_offsets":[0,8]}})", "shape entry string"},
      {R"({"a":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}})", "hold 8 bytes but dtype F32 and shape [3] need 12"},
      {R"({"a":{"dtype":"F32","shape":[4611686018427387904,16],"data_offsets":[0,8]}})", "overflows"},
      {R"({"a":{"dtype":"F32","shape":[1099511627776,1024],"data_offsets":[0,8]}})", "need 4503599627370496"},
      {R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0]}})", "not an array of two integers"},
      {R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,-8]}})", "entry 1 is not a non-negative integer"},
      {R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[8,0]}})", "out of range"},
      {R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[8,16]}})",
       "data_offsets [8, 16) out of range of the 8 data bytes"},
      {R"({"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"b":{"dtype":"F32","shape":[1],"data_offsets":[2,6]}})",
       "overlap"},
      {R"({"a":{"dtype":"U8","shape":[2],"data_offsets":[0,2]},"b":{"dtype":"U8","shape":[2],"data_offsets":[4,6]}})",
       "gap in the data before tensor 'b'"},
      {R"({"a":{"dtype":"U8","shape":[2],"data_offsets":[0,2]}})",
       "the tensors cover 2 bytes of data but the file has 8"},
      {R"({"__metadata__":{"k":1},"a":{"dtype":"U8","shape":[8],"data_offsets":[0,8]}})", "value of 'k' is a number"},
      {R"({"__metadata__":[],"a":{"dtype":"U8","shape":[8],"data_offsets":[0,8]}})", "\"__metadata__\" is an array"},
      {R"({"a":{"dtype":"BOOL","shape":[8],"data_offsets":[0,8]}})", ""},  // valid: bytes are 1
  };
  for (const auto& [header, words] : cases) {
    SCOPED_TRACE(header);
    if (words.empty()) {
      EXPECT_NO_THROW(parse_safetensors(make_file(header, d8), "ok"));
      continue;
    }
    expect_rejected(make_file(header, d8), words);
  }
  // BOOL bytes other than 0 and 1 are not booleans.
  expect_rejected(make_file(R"({"a":{"dtype":"BOOL","shape":[2],"data_offsets":[0,2]}})", "\x01\x02"),
                  "BOOL byte 1 is 2, not 0 or 1");
}

TEST_F(Safetensors, HeaderLengthIsCappedAt100MB) {
  // A sparse file of 100,000,016 bytes whose length field claims a 100,000,008-byte header:
  // rejected from the length alone, before any of the header is read.
  const fs::path p = dir_ / "big.safetensors";
  const uint64_t header_len = 100'000'008;
  {
    std::ofstream f(p, std::ios::binary);
    for (int i = 0; i < 8; ++i) f.put(static_cast<char>(header_len >> (8 * i)));
  }
  fs::resize_file(p, 8 + header_len + 8);
  EXPECT_SEEK_ERROR_ALL(load_safetensors(p), IOError,
                        {p.string(), "header length 100000008 exceeds the format's limit of 100000000 bytes"});
}

TEST_F(Safetensors, ManyTensorsRoundTripAndDuplicatesAreFound) {
  // 20,000 tensors: saving and loading are linear (hash sets, no rescans); every name and
  // value comes back, and a repeated name is caught when saving and when loading.
  NamedTensors many;
  for (int i = 0; i < 20000; ++i) many.emplace_back("t" + std::to_string(i), full({1}, static_cast<double>(i)));
  const fs::path p = dir_ / "many.safetensors";
  save_safetensors(p, many);
  const SafetensorsContents c = load_safetensors(p);
  ASSERT_EQ(c.tensors.size(), many.size());
  EXPECT_EQ(c.tensors[12345].first, "t12345");
  EXPECT_EQ(c.tensors[12345].second.item<float>(), 12345.0f);
  NamedTensors dup = many;
  dup.emplace_back("t7", zeros({1}));
  EXPECT_SEEK_ERROR(save_safetensors(dir_ / "dup.safetensors", dup), ValueError, "tensor name 't7' appears twice");
  std::string header = "{";
  for (int i = 0; i < 20000; ++i)
    header += (i ? ",\"t" : "\"t") + std::to_string(i) + R"(":{"dtype":"U8","shape":[0],"data_offsets":[0,0]})";
  EXPECT_NO_THROW(parse_safetensors(make_file(header + "}", ""), "ok"));
  expect_rejected(make_file(header + R"(,"t19999":{"dtype":"U8","shape":[0],"data_offsets":[0,0]}})", ""),
                  "duplicate key \"t19999\"");
}

TEST_F(Safetensors, HeaderMembersAreCheckedOneByOne) {
  const std::string d8(8, '\x01');
  const std::pair<std::string, std::string> cases[] = {
      {R"({"a":{"dtype":"U8","dtype":"U8","shape":[8],"data_offsets":[0,8]}})", "\"dtype\" appears twice"},
      {R"({"a":{"dtype":"U8","shape":[8],"shape":[8],"data_offsets":[0,8]}})", "\"shape\" appears twice"},
      {R"({"a":{"dtype":"U8","shape":[8],"data_offsets":[0,8],"data_offsets":[0,8]}})",
       "\"data_offsets\" appears twice"},
      {R"({"a":{"dtype":"U8","shape":[8],"data_offsets":[0,8,8]}})", "not an array of two integers"},
      {R"({"__metadata__":{"k":"1","k":"2"},"a":{"dtype":"U8","shape":[8],"data_offsets":[0,8]}})",
       "duplicate key \"k\""},
      {R"({"a":{"dtype":"U8","shape":[1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,8],"data_offsets":[0,8]}})",
       "more than 64 dimensions"},
      // Unknown members are skipped without being kept, whatever their size.
      {R"({"a":{"x":[1,[2,{"y":null}]],"dtype":"U8","shape":[8],"data_offsets":[0,8]}})", ""},
      {R"({"__metadata__":null,"a":{"dtype":"U8","shape":[8],"data_offsets":[0,8]}})", ""},
  };
  for (const auto& [header, words] : cases) {
    SCOPED_TRACE(header);
    if (words.empty()) {
      EXPECT_NO_THROW(parse_safetensors(make_file(header, d8), "ok"));
      continue;
    }
    expect_rejected(make_file(header, d8), words);
  }
}

}  // namespace
}  // namespace seek::io
