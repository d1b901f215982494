// JSON document model, recursive-descent parser and writer (see seek/io/json.h).
#include "seek/io/json.h"

#include <charconv>
#include <cmath>
#include <system_error>
#include <unordered_set>

#include "seek/core/error.h"

namespace seek::io::json {
namespace {

constexpr int kMaxDepth = 256;

bool is_digit(char c) { return c >= '0' && c <= '9'; }

// Length of the JSON number at the start of s (0 when there is none).
size_t number_length(std::string_view s) {
  size_t i = 0;
  if (i < s.size() && s[i] == '-') ++i;
  if (i >= s.size() || !is_digit(s[i])) return 0;
  if (s[i] == '0') {
    ++i;
  } else {
    while (i < s.size() && is_digit(s[i])) ++i;
  }
  if (i < s.size() && s[i] == '.') {
    ++i;
    if (i >= s.size() || !is_digit(s[i])) return 0;
    while (i < s.size() && is_digit(s[i])) ++i;
  }
  if (i < s.size() && (s[i] == 'e' || s[i] == 'E')) {
    ++i;
    if (i < s.size() && (s[i] == '+' || s[i] == '-')) ++i;
    if (i >= s.size() || !is_digit(s[i])) return 0;
    while (i < s.size() && is_digit(s[i])) ++i;
  }
  return i;
}

void append_utf8(std::string& out, uint32_t cp) {
  if (cp < 0x80) {
    out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    out += static_cast<char>(0xC0 | (cp >> 6));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    out += static_cast<char>(0xE0 | (cp >> 12));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (cp >> 18));
    out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  }
}

// Length of the well-formed UTF-8 sequence starting at s[0] (a byte >= 0x80), 0 if malformed.
size_t utf8_sequence_length(std::string_view s) {
  const auto b = [&](size_t i) { return static_cast<unsigned char>(s[i]); };
  const unsigned char c = b(0);
  size_t n;
  uint32_t cp;
  if (c >= 0xC2 && c <= 0xDF) {
    n = 2, cp = c & 0x1F;
  } else if (c >= 0xE0 && c <= 0xEF) {
    n = 3, cp = c & 0x0F;
  } else if (c >= 0xF0 && c <= 0xF4) {
    n = 4, cp = c & 0x07;
  } else {
    return 0;
  }
  if (s.size() < n) return 0;
  for (size_t i = 1; i < n; ++i) {
    if ((b(i) & 0xC0) != 0x80) return 0;
    cp = (cp << 6) | (b(i) & 0x3F);
  }
  // Reject overlong forms, surrogates and code points past U+10FFFF.
  if ((n == 3 && cp < 0x800) || (n == 4 && (cp < 0x10000 || cp > 0x10FFFF)) || (cp >= 0xD800 && cp <= 0xDFFF)) return 0;
  return n;
}

}  // namespace

// ---- Reader: the one parser; parse() builds a tree with it ----

void Reader::fail(const std::string& what) const { throw ValueError(str("json::parse: ", what, " at byte ", pos_)); }

void Reader::skip_ws() {
  while (pos_ < s_.size() && (s_[pos_] == ' ' || s_[pos_] == '\t' || s_[pos_] == '\n' || s_[pos_] == '\r')) ++pos_;
}

void Reader::expect(char c, const char* what) {
  skip_ws();
  if (pos_ >= s_.size() || s_[pos_] != c) fail(what);
  ++pos_;
}

Value::Type Reader::peek() {
  skip_ws();
  if (pos_ >= s_.size()) fail("unexpected end of input");
  const char c = s_[pos_];
  switch (c) {
    case '{': return Value::Type::Object;
    case '[': return Value::Type::Array;
    case '"': return Value::Type::String;
    case 't':
    case 'f': return Value::Type::Bool;
    case 'n': return Value::Type::Null;
    default: break;
  }
  if (c == '-' || is_digit(c)) return Value::Type::Number;
  fail(str("unexpected character '", c, "'"));
}

void Reader::begin_object() {
  if (started_.size() >= static_cast<size_t>(kMaxDepth)) fail(str("nesting deeper than ", kMaxDepth, " levels"));
  expect('{', "expected '{'");
  started_.push_back(false);
}

bool Reader::next_member(std::string* key) {
  skip_ws();
  if (started_.empty()) fail("next_member outside an object");
  if (pos_ >= s_.size())
    fail(started_.back() ? "unexpected end of input in an object" : "expected a string key in an object");
  if (s_[pos_] == '}') {
    ++pos_;
    started_.pop_back();
    return false;
  }
  if (started_.back()) {
    if (s_[pos_] != ',') fail("expected ',' or '}' in an object");
    ++pos_;
    skip_ws();
  }
  started_.back() = true;
  if (pos_ >= s_.size() || s_[pos_] != '"') fail("expected a string key in an object");
  *key = read_string();
  expect(':', "expected ':' after an object key");
  return true;
}

void Reader::begin_array() {
  if (started_.size() >= static_cast<size_t>(kMaxDepth)) fail(str("nesting deeper than ", kMaxDepth, " levels"));
  expect('[', "expected '['");
  started_.push_back(false);
}

bool Reader::next_element() {
  skip_ws();
  if (pos_ >= s_.size()) fail("unexpected end of input in an array");
  if (started_.empty()) fail("next_element outside an array");
  if (s_[pos_] == ']') {
    ++pos_;
    started_.pop_back();
    return false;
  }
  if (started_.back()) {
    if (s_[pos_] != ',') fail("expected ',' or ']' in an array");
    ++pos_;
  }
  started_.back() = true;
  return true;
}

std::string_view Reader::read_number() {
  skip_ws();
  const size_t n = number_length(s_.substr(pos_));
  if (n == 0) fail(pos_ < s_.size() ? str("unexpected character '", s_[pos_], "'") : "unexpected end of input");
  const std::string_view text = s_.substr(pos_, n);
  pos_ += n;
  return text;
}

bool Reader::read_bool() {
  skip_ws();
  if (s_.substr(pos_, 4) == "true") {
    pos_ += 4;
    return true;
  }
  if (s_.substr(pos_, 5) == "false") {
    pos_ += 5;
    return false;
  }
  fail("invalid literal");
}

void Reader::read_null() {
  skip_ws();
  if (s_.substr(pos_, 4) != "null") fail("invalid literal");
  pos_ += 4;
}

Value Reader::read_value() { return read_value_at(0); }

Value Reader::read_value_at(int depth) {
  if (depth > kMaxDepth) fail(str("nesting deeper than ", kMaxDepth, " levels"));
  switch (peek()) {
    case Value::Type::Null: read_null(); return Value();
    case Value::Type::Bool: return Value(read_bool());
    case Value::Type::Number: return Value::number(read_number());
    case Value::Type::String: return Value(read_string());
    case Value::Type::Array: {
      Value arr = Value::array();
      begin_array();
      while (next_element()) arr.push_back(read_value_at(depth + 1));
      return arr;
    }
    case Value::Type::Object: {
      Value obj = Value::object();
      std::unordered_set<std::string> keys;  // duplicate check in O(1) per key
      begin_object();
      std::string key;
      while (true) {
        skip_ws();
        const size_t key_pos = pos_ < s_.size() && s_[pos_] == ',' ? pos_ + 1 : pos_;
        if (!next_member(&key)) break;
        if (!keys.insert(key).second) {
          pos_ = key_pos;
          skip_ws();
          fail(str("duplicate key \"", key, "\""));
        }
        obj.as_object().emplace_back(std::move(key), read_value_at(depth + 1));
      }
      return obj;
    }
  }
  fail("unreachable");
}

void Reader::skip_value() { skip_value_at(0); }

void Reader::skip_value_at(int depth) {
  if (depth > kMaxDepth) fail(str("nesting deeper than ", kMaxDepth, " levels"));
  switch (peek()) {
    case Value::Type::Null: read_null(); return;
    case Value::Type::Bool: read_bool(); return;
    case Value::Type::Number: read_number(); return;
    case Value::Type::String: read_string(); return;
    case Value::Type::Array:
      begin_array();
      while (next_element()) skip_value_at(depth + 1);
      return;
    case Value::Type::Object: {
      begin_object();
      std::string key;
      while (next_member(&key)) skip_value_at(depth + 1);
      return;
    }
  }
}

void Reader::end() {
  skip_ws();
  if (pos_ != s_.size()) fail("unexpected text after the JSON value");
}

uint32_t Reader::parse_hex4() {
  if (pos_ + 4 > s_.size()) fail("truncated \\u escape");
  uint32_t v = 0;
  for (int i = 0; i < 4; ++i) {
    const char c = s_[pos_++];
    v <<= 4;
    if (c >= '0' && c <= '9')
      v |= static_cast<uint32_t>(c - '0');
    else if (c >= 'a' && c <= 'f')
      v |= static_cast<uint32_t>(c - 'a' + 10);
    else if (c >= 'A' && c <= 'F')
      v |= static_cast<uint32_t>(c - 'A' + 10);
    else
      fail("invalid hex digit in a \\u escape");
  }
  return v;
}

std::string Reader::read_string() {
  skip_ws();
  if (pos_ >= s_.size() || s_[pos_] != '"') fail("expected a string");
  ++pos_;  // opening quote
  std::string out;
  while (true) {
    if (pos_ >= s_.size()) fail("unterminated string");
    const char c = s_[pos_];
    const auto uc = static_cast<unsigned char>(c);
    if (c == '"') {
      ++pos_;
      return out;
    }
    if (uc < 0x20) fail("control character in a string");
    if (uc >= 0x80) {
      const size_t n = utf8_sequence_length(s_.substr(pos_));
      if (n == 0) fail("invalid UTF-8 in a string");
      out.append(s_.substr(pos_, n));
      pos_ += n;
      continue;
    }
    if (c != '\\') {
      // A run of plain characters at once.
      size_t e = pos_ + 1;
      while (e < s_.size() && s_[e] != '"' && s_[e] != '\\' && static_cast<unsigned char>(s_[e]) >= 0x20 &&
             static_cast<unsigned char>(s_[e]) < 0x80)
        ++e;
      out.append(s_.substr(pos_, e - pos_));
      pos_ = e;
      continue;
    }
    if (++pos_ >= s_.size()) fail("unterminated escape");
    const char e = s_[pos_++];
    switch (e) {
      case '"': out += '"'; break;
      case '\\': out += '\\'; break;
      case '/': out += '/'; break;
      case 'b': out += '\b'; break;
      case 'f': out += '\f'; break;
      case 'n': out += '\n'; break;
      case 'r': out += '\r'; break;
      case 't': out += '\t'; break;
      case 'u': {
        uint32_t cp = parse_hex4();
        if (cp >= 0xDC00 && cp <= 0xDFFF) fail("unpaired low surrogate in a \\u escape");
        if (cp >= 0xD800 && cp <= 0xDBFF) {
          if (s_.substr(pos_, 2) != "\\u") fail("high surrogate not followed by a low surrogate");
          pos_ += 2;
          const uint32_t lo = parse_hex4();
          if (lo < 0xDC00 || lo > 0xDFFF) fail("high surrogate not followed by a low surrogate");
          cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
        }
        append_utf8(out, cp);
        break;
      }
      default: --pos_; fail(str("invalid escape '\\", e, "'"));
    }
  }
}

namespace {

void dump_string(std::string& out, const std::string& s) {
  out += '"';
  for (const char c : s) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\b': out += "\\b"; break;
      case '\f': out += "\\f"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) {
          static const char* hex = "0123456789abcdef";
          out += "\\u00";
          out += hex[(c >> 4) & 0xF];
          out += hex[c & 0xF];
        } else {
          out += c;
        }
    }
  }
  out += '"';
}

void dump_into(std::string& out, const Value& v, int indent, int level) {
  const auto newline = [&](int lvl) {
    if (indent < 0) return;
    out += '\n';
    out.append(static_cast<size_t>(indent * lvl), ' ');
  };
  switch (v.type()) {
    case Value::Type::Null: out += "null"; break;
    case Value::Type::Bool: out += v.as_bool() ? "true" : "false"; break;
    case Value::Type::Number: out += v.number_text(); break;
    case Value::Type::String: dump_string(out, v.as_string()); break;
    case Value::Type::Array: {
      out += '[';
      const auto& a = v.as_array();
      for (size_t i = 0; i < a.size(); ++i) {
        if (i) out += ',';
        newline(level + 1);
        dump_into(out, a[i], indent, level + 1);
      }
      if (!a.empty()) newline(level);
      out += ']';
      break;
    }
    case Value::Type::Object: {
      out += '{';
      const auto& o = v.as_object();
      for (size_t i = 0; i < o.size(); ++i) {
        if (i) out += ',';
        newline(level + 1);
        dump_string(out, o[i].first);
        out += indent < 0 ? ":" : ": ";
        dump_into(out, o[i].second, indent, level + 1);
      }
      if (!o.empty()) newline(level);
      out += '}';
      break;
    }
  }
}

}  // namespace

const char* type_name(Value::Type t) {
  switch (t) {
    case Value::Type::Null: return "null";
    case Value::Type::Bool: return "bool";
    case Value::Type::Number: return "number";
    case Value::Type::String: return "string";
    case Value::Type::Array: return "array";
    case Value::Type::Object: return "object";
  }
  return "?";
}

const char* type_noun(Value::Type t) {
  switch (t) {
    case Value::Type::Null: return "null";
    case Value::Type::Bool: return "a bool";
    case Value::Type::Number: return "a number";
    case Value::Type::String: return "a string";
    case Value::Type::Array: return "an array";
    case Value::Type::Object: return "an object";
  }
  return "?";
}

Value::Value(int64_t v) : type_(Type::Number), text_(std::to_string(v)) {}
Value::Value(uint64_t v) : type_(Type::Number), text_(std::to_string(v)) {}

Value::Value(double v) : type_(Type::Number) {
  SEEK_CHECK_VALUE(std::isfinite(v), "json::Value: JSON numbers must be finite, got ", v);
  char buf[64];
  auto r = std::to_chars(buf, buf + sizeof(buf), v);  // shortest text that reads back to v
  text_.assign(buf, r.ptr);
}

Value Value::number(std::string_view text) {
  SEEK_CHECK_VALUE(!text.empty() && number_length(text) == text.size(), "json::Value::number: '", text,
                   "' is not a JSON number");
  Value v;
  v.type_ = Type::Number;
  v.text_ = std::string(text);
  return v;
}

namespace {
[[noreturn]] void wrong_type(const char* wanted, Value::Type got) {
  throw ValueError(str("json::Value: expected ", wanted, ", got ", type_name(got)));
}
}  // namespace

bool Value::as_bool() const {
  if (type_ != Type::Bool) wrong_type("bool", type_);
  return bool_;
}

int64_t Value::as_int64() const {
  if (type_ != Type::Number) wrong_type("an integer", type_);
  int64_t v = 0;
  auto r = std::from_chars(text_.data(), text_.data() + text_.size(), v);
  SEEK_CHECK_VALUE(r.ec == std::errc() && r.ptr == text_.data() + text_.size(), "json::Value: ", text_,
                   " is not an integer in the range of int64");
  return v;
}

uint64_t Value::as_uint64() const {
  if (type_ != Type::Number) wrong_type("an integer", type_);
  uint64_t v = 0;
  auto r = std::from_chars(text_.data(), text_.data() + text_.size(), v);
  SEEK_CHECK_VALUE(r.ec == std::errc() && r.ptr == text_.data() + text_.size(), "json::Value: ", text_,
                   " is not an integer in the range of uint64");
  return v;
}

double Value::as_double() const {
  if (type_ != Type::Number) wrong_type("a number", type_);
  double v = 0;
  auto r = std::from_chars(text_.data(), text_.data() + text_.size(), v);
  SEEK_CHECK_VALUE(r.ec == std::errc() && r.ptr == text_.data() + text_.size(), "json::Value: ", text_,
                   " is out of the range of double");
  return v;
}

const std::string& Value::as_string() const {
  if (type_ != Type::String) wrong_type("a string", type_);
  return text_;
}

const std::string& Value::number_text() const {
  if (type_ != Type::Number) wrong_type("a number", type_);
  return text_;
}

const Value::Array& Value::as_array() const {
  if (type_ != Type::Array) wrong_type("an array", type_);
  return array_;
}
Value::Array& Value::as_array() {
  if (type_ != Type::Array) wrong_type("an array", type_);
  return array_;
}
const Value::Object& Value::as_object() const {
  if (type_ != Type::Object) wrong_type("an object", type_);
  return object_;
}
Value::Object& Value::as_object() {
  if (type_ != Type::Object) wrong_type("an object", type_);
  return object_;
}

const Value* Value::find(std::string_view key) const {
  for (const auto& [k, v] : as_object())
    if (k == key) return &v;
  return nullptr;
}

Value& Value::set(const std::string& key, Value v) {
  for (auto& [k, old] : as_object()) {
    if (k == key) {
      old = std::move(v);
      return old;
    }
  }
  object_.emplace_back(key, std::move(v));
  return object_.back().second;
}

void Value::push_back(Value v) { as_array().push_back(std::move(v)); }

size_t Value::size() const {
  if (type_ == Type::Array) return array_.size();
  if (type_ == Type::Object) return object_.size();
  return 0;
}

bool Value::operator==(const Value& o) const {
  if (type_ != o.type_) return false;
  switch (type_) {
    case Type::Null: return true;
    case Type::Bool: return bool_ == o.bool_;
    case Type::Number:
    case Type::String: return text_ == o.text_;
    case Type::Array: return array_ == o.array_;
    case Type::Object: return object_ == o.object_;
  }
  return false;
}

Value parse(std::string_view text) {
  Reader r(text);
  Value v = r.read_value();
  r.end();
  return v;
}

std::string dump(const Value& v, int indent) {
  std::string out;
  dump_into(out, v, indent, 0);
  return out;
}

}  // namespace seek::io::json
