// seek::io::json: parsing, writing, exact numbers and every kind of malformed input.
#include <cmath>
#include <cstring>
#include <limits>
#include <string>
#include <vector>

#include "seek/io/json.h"
#include "support/test_util.h"

namespace seek::io::json {
namespace {

TEST(Json, ParsesEveryValueType) {
  Value v = parse(R"( {"n": null, "t": true, "f": false, "i": -12, "d": 2.5e-3, "s": "hi",
                      "a": [1, [2], {}], "o": {"k": "v"}} )");
  ASSERT_TRUE(v.is_object());
  EXPECT_EQ(v.size(), 8u);
  EXPECT_TRUE(v.find("n")->is_null());
  EXPECT_TRUE(v.find("t")->as_bool());
  EXPECT_FALSE(v.find("f")->as_bool());
  EXPECT_EQ(v.find("i")->as_int64(), -12);
  EXPECT_EQ(v.find("d")->as_double(), 2.5e-3);
  EXPECT_EQ(v.find("s")->as_string(), "hi");
  const auto& a = v.find("a")->as_array();
  ASSERT_EQ(a.size(), 3u);
  EXPECT_EQ(a[0].as_int64(), 1);
  EXPECT_EQ(a[1].as_array()[0].as_int64(), 2);
  EXPECT_TRUE(a[2].is_object());
  EXPECT_EQ(a[2].size(), 0u);
  EXPECT_EQ(v.find("o")->find("k")->as_string(), "v");
  EXPECT_EQ(v.find("missing"), nullptr);
  // Members keep their order.
  EXPECT_EQ(v.as_object()[0].first, "n");
  EXPECT_EQ(v.as_object()[7].first, "o");
}

TEST(Json, StringEscapesAndUnicode) {
  Value v = parse(R"("q\" b\\ s\/ \b\f\n\r\t \u0041\u00e9\u20ac\ud83d\ude00")");
  EXPECT_EQ(v.as_string(), "q\" b\\ s/ \b\f\n\r\t A\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80");
  // Raw UTF-8 passes through unchanged.
  EXPECT_EQ(parse("\"\xc3\xa9\xf0\x9f\x98\x80\"").as_string(), "\xc3\xa9\xf0\x9f\x98\x80");
  // \u0000 is a valid character.
  EXPECT_EQ(parse(R"("a\u0000b")").as_string(), std::string("a\0b", 3));
}

TEST(Json, DumpRoundTripsAndEscapes) {
  Value o = Value::object();
  o.set("s", std::string("tab\t quote\" nl\n nul") + std::string(1, '\0') + " bell\x07 back\\");
  o.set("i", int64_t{-5});
  o.set("u", uint64_t{18446744073709551615ull});
  o.set("d", 0.1);
  o.set("b", false);
  o.set("z", Value());
  Value a = Value::array();
  a.push_back(1);
  a.push_back("x");
  o.set("a", a);
  const std::string compact = dump(o);
  EXPECT_EQ(compact,
            "{\"s\":\"tab\\t quote\\\" nl\\n nul\\u0000 bell\\u0007 back\\\\\",\"i\":-5,"
            "\"u\":18446744073709551615,\"d\":0.1,\"b\":false,\"z\":null,\"a\":[1,\"x\"]}");
  EXPECT_EQ(parse(compact), o);
  const std::string pretty = dump(o, 2);
  EXPECT_NE(pretty.find("\n  \"i\": -5,\n"), std::string::npos) << pretty;
  EXPECT_EQ(parse(pretty), o);
  EXPECT_EQ(dump(Value::object(), 2), "{}");
  EXPECT_EQ(dump(Value::array(), 2), "[]");
  // set() replaces an existing member in place.
  o.set("i", 9);
  EXPECT_EQ(o.as_object()[1].second.as_int64(), 9);
  EXPECT_EQ(o.size(), 7u);
}

TEST(Json, IntegersAreExact) {
  EXPECT_EQ(parse("9223372036854775807").as_int64(), std::numeric_limits<int64_t>::max());
  EXPECT_EQ(parse("-9223372036854775808").as_int64(), std::numeric_limits<int64_t>::min());
  EXPECT_EQ(parse("18446744073709551615").as_uint64(), std::numeric_limits<uint64_t>::max());
  EXPECT_EQ(parse("9007199254740993").as_int64(), 9007199254740993);  // 2^53 + 1: not a double
  EXPECT_SEEK_ERROR(parse("9223372036854775808").as_int64(), ValueError, "range of int64");
  EXPECT_SEEK_ERROR(parse("18446744073709551616").as_uint64(), ValueError, "range of uint64");
  EXPECT_SEEK_ERROR(parse("-1").as_uint64(), ValueError, "range of uint64");
  EXPECT_SEEK_ERROR(parse("1.5").as_int64(), ValueError, "not an integer");
  EXPECT_SEEK_ERROR(parse("1e3").as_int64(), ValueError, "not an integer");
  EXPECT_EQ(parse("1e3").as_double(), 1000.0);
  EXPECT_SEEK_ERROR(parse("1e999").as_double(), ValueError, "out of the range of double");
}

TEST(Json, DoublesRoundTripBitExactly) {
  const double cases[] = {
      0.1,           -0.0,           1.0 / 3.0,         5e-324, 2.2250738585072014e-308, 1.7976931348623157e308,
      123456789.125, -6.02214076e23, 3.0000000000000004};
  for (double d : cases) {
    const Value back = parse(dump(Value(d)));
    const double r = back.as_double();
    uint64_t a, b;
    std::memcpy(&a, &d, 8);
    std::memcpy(&b, &r, 8);
    EXPECT_EQ(a, b) << dump(Value(d));
  }
  uint64_t s = 12345;
  for (int i = 0; i < 2000; ++i) {  // random bit patterns of finite doubles
    s = s * 6364136223846793005ull + 1442695040888963407ull;
    double d;
    std::memcpy(&d, &s, 8);
    if (!std::isfinite(d)) continue;
    const double r = parse(dump(Value(d))).as_double();
    uint64_t b;
    std::memcpy(&b, &r, 8);
    ASSERT_EQ(b, s) << dump(Value(d));
  }
  EXPECT_SEEK_ERROR(Value(std::nan("")), ValueError, "finite");
  EXPECT_SEEK_ERROR((void)Value(-HUGE_VAL), ValueError, "finite");
}

TEST(Json, TypeMismatchesThrow) {
  Value v = parse(R"({"a": 1})");
  EXPECT_SEEK_ERROR(v.as_string(), ValueError, "expected a string, got object");
  EXPECT_SEEK_ERROR(v.find("a")->as_bool(), ValueError, "expected bool, got number");
  EXPECT_SEEK_ERROR(v.find("a")->as_array(), ValueError, "expected an array, got number");
  EXPECT_SEEK_ERROR(parse("[]").find("a"), ValueError, "expected an object, got array");
  EXPECT_SEEK_ERROR(parse("\"1\"").as_int64(), ValueError, "expected an integer, got string");
  EXPECT_SEEK_ERROR(Value::number("01"), ValueError, "not a JSON number");
}

TEST(Json, MalformedInputIsRejectedWithItsOffset) {
  const std::pair<const char*, const char*> cases[] = {
      {"", "unexpected end of input"},
      {"   ", "unexpected end of input"},
      {"{", "expected a string key"},
      {"{\"a\"", "expected ':'"},
      {"{\"a\":1", "unexpected end of input in an object"},
      {"{\"a\":1,}", "expected a string key"},
      {"{\"a\":1 \"b\":2}", "expected ',' or '}'"},
      {"[1,]", "unexpected character ']'"},
      {"[1 2]", "expected ',' or ']'"},
      {"[1", "unexpected end of input in an array"},
      {"{\"a\":1,\"a\":2}", "duplicate key \"a\""},
      {"01", "unexpected text after the JSON value"},
      {"1.", "unexpected character '1'"},
      {"-", "unexpected character '-'"},
      {"1e", "unexpected character '1'"},
      {"+1", "unexpected character '+'"},
      {"tru", "invalid literal"},
      {"nul", "invalid literal"},
      {"NaN", "unexpected character 'N'"},
      {"\"abc", "unterminated string"},
      {"\"a\nb\"", "control character"},
      {"\"\\x\"", "invalid escape '\\x'"},
      {"\"\\u12zz\"", "invalid hex digit"},
      {"\"\\u12", "truncated \\u escape"},
      {"\"\\udc00\"", "unpaired low surrogate"},
      {"\"\\ud800x\"", "high surrogate not followed"},
      {"\"\\ud800\\u0041\"", "high surrogate not followed"},
      {"\"\xff\"", "invalid UTF-8"},
      {"\"\xc3\"", "invalid UTF-8"},
      {"\"\xc0\xaf\"", "invalid UTF-8"},      // overlong '/'
      {"\"\xed\xa0\x80\"", "invalid UTF-8"},  // a surrogate in UTF-8
      {"{} {}", "unexpected text after the JSON value"},
  };
  for (const auto& [text, words] : cases) {
    SCOPED_TRACE(text);
    EXPECT_SEEK_ERROR_ALL(parse(text), ValueError, {"json::parse", words, "at byte"});
  }
  EXPECT_SEEK_ERROR(parse("[1, 2 x"), ValueError, "at byte 6");
}

TEST(Json, NestingDepthIsLimited) {
  EXPECT_NO_THROW(parse(std::string(200, '[') + std::string(200, ']')));
  EXPECT_SEEK_ERROR(parse(std::string(100000, '[')), ValueError, "nesting deeper than");
}

TEST(Json, DuplicateKeysAreFoundAmongManyKeys) {
  // 20,000 distinct keys parse (the check is a hash set, linear in the keys), and a repeat
  // of any one of them, first or last, is found.
  std::string text = "{";
  for (int i = 0; i < 20000; ++i) text += (i ? ",\"k" : "\"k") + std::to_string(i) + "\":" + std::to_string(i);
  const Value v = parse(text + "}");
  ASSERT_EQ(v.size(), 20000u);
  EXPECT_EQ(v.as_object()[19999].second.as_int64(), 19999);
  EXPECT_SEEK_ERROR(parse(text + ",\"k0\":1}"), ValueError, "duplicate key \"k0\"");
  EXPECT_SEEK_ERROR(parse(text + ",\"k19999\":1}"), ValueError, "duplicate key \"k19999\"");
  // Duplicates in nested objects are each object's own business.
  EXPECT_NO_THROW(parse(R"({"a":{"x":1},"b":{"x":2}})"));
  EXPECT_SEEK_ERROR(parse(R"({"a":{"x":1,"x":2}})"), ValueError, "duplicate key \"x\"");
}

TEST(Json, ReaderWalksADocumentWithoutATree) {
  Reader r(R"( {"name": "w", "shape": [2, 3], "skip": {"deep": [1, {"x": null}]}, "ok": true, "n": null} )");
  EXPECT_EQ(r.peek(), Value::Type::Object);
  r.begin_object();
  std::string key;
  std::vector<std::string> keys;
  std::vector<std::string> dims;
  while (r.next_member(&key)) {
    keys.push_back(key);
    if (key == "name") {
      EXPECT_EQ(r.read_string(), "w");
    } else if (key == "shape") {
      r.begin_array();
      while (r.next_element()) dims.emplace_back(r.read_number());
    } else if (key == "ok") {
      EXPECT_TRUE(r.read_bool());
    } else if (key == "n") {
      EXPECT_EQ(r.peek(), Value::Type::Null);
      r.read_null();
    } else {
      r.skip_value();
    }
  }
  r.end();
  EXPECT_EQ(keys, (std::vector<std::string>{"name", "shape", "skip", "ok", "n"}));
  EXPECT_EQ(dims, (std::vector<std::string>{"2", "3"}));

  // Errors carry the offset, as parse()'s do.
  Reader bad(R"({"a": [1 2]})");
  bad.begin_object();
  ASSERT_TRUE(bad.next_member(&key));
  bad.begin_array();
  ASSERT_TRUE(bad.next_element());
  (void)bad.read_number();
  EXPECT_SEEK_ERROR_ALL(bad.next_element(), ValueError, {"expected ',' or ']'", "at byte 9"});
  Reader wrong("[1]");
  EXPECT_SEEK_ERROR(wrong.begin_object(), ValueError, "expected '{'");
  Reader trailing("{} x");
  trailing.skip_value();
  EXPECT_SEEK_ERROR(trailing.end(), ValueError, "unexpected text after the JSON value");
  const std::string brackets(1000, '[');
  Reader deep(brackets);
  EXPECT_SEEK_ERROR(deep.skip_value(), ValueError, "nesting deeper than");
}

}  // namespace
}  // namespace seek::io::json
