#pragma once
// A small JSON (RFC 8259) document model, parser and writer for the files seek reads
// and writes itself: safetensors headers and checkpoint manifests.
//
// Numbers keep the text they were parsed from (or were written as), so integers of
// any size and doubles convert exactly: as_int64() / as_uint64() fail rather than
// round, and a double made by Value(double) prints the shortest text that parses back
// to the same bits. Objects keep their members in insertion order and reject
// duplicate keys when parsed. parse() throws ValueError naming the problem and its
// byte offset; it limits nesting depth, so hostile input cannot exhaust the stack.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace seek::io::json {

class Value {
 public:
  enum class Type { Null, Bool, Number, String, Array, Object };
  using Array = std::vector<Value>;
  using Object = std::vector<std::pair<std::string, Value>>;

  Value() = default;  // null
  Value(std::nullptr_t) {}
  Value(bool b) : type_(Type::Bool), bool_(b) {}
  Value(int v) : Value(static_cast<int64_t>(v)) {}
  Value(int64_t v);
  Value(uint64_t v);
  Value(double v);  // finite only (ValueError otherwise): JSON has no inf or nan
  Value(std::string s) : type_(Type::String), text_(std::move(s)) {}
  Value(const char* s) : Value(std::string(s)) {}
  static Value array() {
    Value v;
    v.type_ = Type::Array;
    return v;
  }
  static Value object() {
    Value v;
    v.type_ = Type::Object;
    return v;
  }
  // A number from its JSON text; ValueError when `text` is not a JSON number.
  static Value number(std::string_view text);

  Type type() const { return type_; }
  bool is_null() const { return type_ == Type::Null; }
  bool is_bool() const { return type_ == Type::Bool; }
  bool is_number() const { return type_ == Type::Number; }
  bool is_string() const { return type_ == Type::String; }
  bool is_array() const { return type_ == Type::Array; }
  bool is_object() const { return type_ == Type::Object; }

  // Typed access; ValueError when the type (or the range, for integers) does not fit.
  bool as_bool() const;
  int64_t as_int64() const;    // the number must be an integer in int64's range (no fraction, no exponent)
  uint64_t as_uint64() const;  // likewise, 0 .. 2^64 - 1
  double as_double() const;    // the nearest double to the number's text
  const std::string& as_string() const;
  const std::string& number_text() const;
  const Array& as_array() const;
  Array& as_array();
  const Object& as_object() const;
  Object& as_object();

  // Object members: find() returns nullptr when absent; set() replaces or appends.
  const Value* find(std::string_view key) const;
  Value& set(const std::string& key, Value v);
  // Array elements.
  void push_back(Value v);
  size_t size() const;  // elements of an array or members of an object, else 0

  bool operator==(const Value& o) const;

 private:
  Type type_ = Type::Null;
  bool bool_ = false;
  std::string text_;  // string contents, or a number's text
  Array array_;
  Object object_;
};

const char* type_name(Value::Type t);  // "null", "bool", "number", "string", "array", "object"
const char* type_noun(Value::Type t);  // "null", "a bool", "a number", "a string", "an array", "an object"

// Parses exactly one JSON value (surrounding whitespace allowed). Linear in the text's size
// (duplicate keys are found with a hash set).
Value parse(std::string_view text);

// A pull parser over JSON text, for documents too large to hold as a Value tree (a Value
// costs about 100 bytes, so a tree of small numbers takes ~50x its text): the caller walks
// the structure and keeps only what it needs. Errors are ValueError naming the problem and
// its byte offset, as parse() gives. Example: for an object of arrays of numbers
//   Reader r(text); r.begin_object(); std::string key;
//   while (r.next_member(&key)) { r.begin_array(); while (r.next_element()) use(r.read_number()); }
//   r.end();
class Reader {
 public:
  explicit Reader(std::string_view text) : s_(text) {}  // `text` must outlive the reader

  // The type of the next value (after whitespace); ValueError at the end of the text or on
  // a character that starts no value.
  Value::Type peek();
  void begin_object();                 // consumes '{'
  bool next_member(std::string* key);  // the next key and its ':' (true), or the closing '}' (false)
  void begin_array();                  // consumes '['
  bool next_element();                 // true before each element, false at the closing ']'
  std::string read_string();
  std::string_view read_number();  // a number's text (Value::number(text) converts it)
  bool read_bool();
  void read_null();
  Value read_value();  // the next value as a tree (for small parts of a document)
  void skip_value();   // the next value, discarded (no tree is built)
  void end();          // only whitespace may follow
  size_t offset() const { return pos_; }
  [[noreturn]] void fail(const std::string& what) const;

 private:
  void skip_ws();
  void expect(char c, const char* what);
  uint32_t parse_hex4();
  Value read_value_at(int depth);
  void skip_value_at(int depth);
  std::string_view s_;
  size_t pos_ = 0;
  // Per open container: whether it has had a member / element yet (to expect ',' after one).
  std::vector<bool> started_;
};
// Writes `v` compactly (indent < 0) or with `indent` spaces per level.
std::string dump(const Value& v, int indent = -1);

}  // namespace seek::io::json
