#pragma once
// UTF-8 and the Unicode character classes BERT's tokenisation uses (Hugging Face tokenizers'
// BertNormalizer and BertPreTokenizer define them through Rust's char methods; utf8proc gives the
// same Unicode tables here).
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace seek::text::unicode {

// Code points of UTF-8 text; invalid bytes raise ValueError naming their offset.
std::vector<char32_t> decode_utf8(std::string_view s);
void append_utf8(std::string& out, char32_t c);
std::string encode_utf8(const std::vector<char32_t>& cps);
size_t count_code_points(std::string_view s);  // of valid UTF-8

bool is_whitespace(char32_t c);       // the White_Space property (Rust's char::is_whitespace)
bool is_control(char32_t c);          // categories Cc, Cf, Cs, Co, Cn, except \t \n \r
bool is_punctuation(char32_t c);      // ASCII punctuation or a Unicode P* category
bool is_chinese_char(char32_t c);     // the CJK ideograph blocks BERT pads with spaces
bool is_nonspacing_mark(char32_t c);  // category Mn
// The full lower-case mapping of one code point (one or more code points; U+0130 has two).
void append_lowercase(std::vector<char32_t>& out, char32_t c);
// Canonical decomposition (NFD) of one code point.
void append_nfd(std::vector<char32_t>& out, char32_t c);

}  // namespace seek::text::unicode
