// BERT WordPiece tokenisation with Hugging Face tokenizers' rules (see bert_tokenizer.h). The text is
// first split on special tokens written literally ("[MASK]"), each other piece is normalised and split
// into words, each word into the longest vocabulary pieces from the left ("##" for continuations; a
// word with no full split is one [UNK]), then the special tokens, truncation and padding are applied.
#include "seek/text/bert_tokenizer.h"

#include <algorithm>
#include <functional>

#include "seek/ops/creation.h"
#include "text/unicode_text.h"

namespace seek::text {

namespace u = unicode;

std::vector<std::string> basic_tokenize(std::string_view text, const NormalizerOptions& options) {
  const std::vector<char32_t> in = u::decode_utf8(text);
  std::vector<char32_t> cps;
  cps.reserve(in.size() + 8);
  const bool strip = options.strip_accents.value_or(options.lowercase);
  for (char32_t c : in) {
    if (options.clean_text) {
      if (c == 0 || c == 0xFFFD || u::is_control(c)) continue;
      if (u::is_whitespace(c)) c = ' ';
    }
    const bool cjk = options.handle_chinese_chars && u::is_chinese_char(c);
    if (cjk) cps.push_back(' ');
    std::vector<char32_t> piece{c};
    if (strip) {
      piece.clear();
      u::append_nfd(piece, c);
      piece.erase(std::remove_if(piece.begin(), piece.end(), u::is_nonspacing_mark), piece.end());
    }
    for (char32_t p : piece) {
      if (options.lowercase) {
        u::append_lowercase(cps, p);
      } else {
        cps.push_back(p);
      }
    }
    if (cjk) cps.push_back(' ');
  }
  // BertPreTokenizer: whitespace separates words, punctuation characters are words of their own.
  std::vector<std::string> words;
  std::string word;
  auto flush = [&] {
    if (!word.empty()) words.push_back(std::move(word));
    word.clear();
  };
  for (char32_t c : cps) {
    if (u::is_whitespace(c)) {
      flush();
    } else if (u::is_punctuation(c)) {
      flush();
      u::append_utf8(word, c);
      flush();
    } else {
      u::append_utf8(word, c);
    }
  }
  flush();
  return words;
}

BertTokenizer::BertTokenizer(std::vector<std::string> vocab, Options options)
    : vocab_(std::move(vocab)), options_(std::move(options)) {
  SEEK_CHECK_VALUE(!vocab_.empty(), "BertTokenizer: the vocabulary is empty");
  ids_.reserve(vocab_.size());
  for (size_t i = 0; i < vocab_.size(); ++i) {
    SEEK_CHECK_VALUE(!vocab_[i].empty(), "BertTokenizer: vocabulary entry ", i, " is an empty token");
    auto [it, fresh] = ids_.emplace(vocab_[i], static_cast<int64_t>(i));
    SEEK_CHECK_VALUE(fresh, "BertTokenizer: the vocabulary has the token '", vocab_[i], "' twice (ids ", it->second,
                     " and ", i, ")");
  }
  auto special = [&](const std::string& tok, const char* what) {
    const int64_t id = token_to_id(tok);
    SEEK_CHECK_VALUE(id >= 0, "BertTokenizer: the ", what, " '", tok, "' is not in the vocabulary (", vocab_.size(),
                     " tokens)");
    return id;
  };
  unk_id_ = special(options_.unk_token, "unk_token");
  cls_id_ = special(options_.cls_token, "cls_token");
  sep_id_ = special(options_.sep_token, "sep_token");
  pad_id_ = special(options_.pad_token, "pad_token");
  mask_id_ = special(options_.mask_token, "mask_token");
  SEEK_CHECK_VALUE(options_.max_input_chars_per_word > 0, "BertTokenizer: max_input_chars_per_word must be > 0");
  SEEK_CHECK_VALUE(options_.model_max_length > 0, "BertTokenizer: model_max_length must be > 0");
}

int64_t BertTokenizer::token_to_id(std::string_view token) const {
  auto it = ids_.find(std::string(token));
  return it == ids_.end() ? -1 : it->second;
}

const std::string& BertTokenizer::id_to_token(int64_t id) const {
  SEEK_CHECK_T(IndexError, id >= 0 && id < vocab_size(), "BertTokenizer: token id ", id,
               " is out of range for a vocabulary of ", vocab_size());
  return vocab_[static_cast<size_t>(id)];
}

bool BertTokenizer::is_special(int64_t id) const {
  return id == unk_id_ || id == cls_id_ || id == sep_id_ || id == pad_id_ || id == mask_id_;
}

std::vector<int64_t> BertTokenizer::wordpiece_ids(std::string_view text) const {
  // Special tokens written in the text are matched first, on the raw text (HF's added tokens).
  const int64_t special_ids[] = {unk_id_, cls_id_, sep_id_, pad_id_, mask_id_};
  std::vector<int64_t> out;
  std::string candidate;
  auto tokenize_piece = [&](std::string_view piece) {
    for (const std::string& word : basic_tokenize(piece, options_.normalizer)) {
      if (static_cast<int64_t>(u::count_code_points(word)) > options_.max_input_chars_per_word) {
        out.push_back(unk_id_);
        continue;
      }
      // Byte offsets of the code points: pieces end on character boundaries.
      std::vector<size_t> bounds;
      for (size_t i = 0; i < word.size(); ++i)
        if ((static_cast<unsigned char>(word[i]) & 0xC0) != 0x80) bounds.push_back(i);
      bounds.push_back(word.size());
      const size_t first = out.size();
      size_t start = 0;
      bool bad = false;
      while (start + 1 < bounds.size()) {
        int64_t found = -1;
        size_t end = bounds.size() - 1;
        for (; end > start; --end) {
          candidate.assign(start > 0 ? options_.continuing_subword_prefix : std::string());
          candidate.append(word, bounds[start], bounds[end] - bounds[start]);
          auto it = ids_.find(candidate);
          if (it != ids_.end()) {
            found = it->second;
            break;
          }
        }
        if (found < 0) {
          bad = true;
          break;
        }
        out.push_back(found);
        start = end;
      }
      if (bad) {
        out.resize(first);
        out.push_back(unk_id_);
      }
    }
  };
  size_t piece_start = 0, pos = 0;
  while (pos < text.size()) {
    int64_t matched = -1;
    size_t matched_len = 0;
    for (int64_t id : special_ids) {
      const std::string& tok = vocab_[static_cast<size_t>(id)];
      if (tok.size() > matched_len && text.compare(pos, tok.size(), tok) == 0) {
        matched = id;
        matched_len = tok.size();
      }
    }
    if (matched < 0) {
      ++pos;
      continue;
    }
    tokenize_piece(text.substr(piece_start, pos - piece_start));
    out.push_back(matched);
    pos += matched_len;
    piece_start = pos;
  }
  tokenize_piece(text.substr(piece_start));
  return out;
}

std::vector<std::string> BertTokenizer::tokenize(std::string_view text) const {
  std::vector<std::string> tokens;
  for (int64_t id : wordpiece_ids(text)) tokens.push_back(vocab_[static_cast<size_t>(id)]);
  return tokens;
}

Encoding BertTokenizer::assemble(std::vector<int64_t> a, const std::vector<int64_t>* b,
                                 const EncodeOptions& options) const {
  const int64_t added = options.add_special_tokens ? (b ? 3 : 2) : 0;
  auto na = static_cast<int64_t>(a.size());
  int64_t nb = b ? static_cast<int64_t>(b->size()) : 0;
  if (options.max_length) {
    const int64_t budget = *options.max_length - added;
    SEEK_CHECK_VALUE(budget >= 0, "encode: max_length ", *options.max_length, " is shorter than the ", added,
                     " special tokens it must hold");
    if (na + nb > budget) {
      const int64_t over = na + nb - budget;
      switch (options.truncation) {
        case TruncationStrategy::LongestFirst:
          if (!b) {
            na = budget;
          } else {
            // Hugging Face's rule: the shorter one keeps its length where the longer can absorb the cut,
            // else both get half of the budget (the second one the odd token).
            int64_t n1 = std::min(na, nb), n2 = std::max(na, nb);
            n2 = n1 > budget ? n1 : std::max(n1, budget - n1);
            if (n1 + n2 > budget) {
              n1 = budget / 2;
              n2 = n1 + budget % 2;
            }
            if (na > nb) std::swap(n1, n2);
            na = std::min(na, n1);
            nb = std::min(nb, n2);
          }
          break;
        case TruncationStrategy::OnlyFirst:
          SEEK_CHECK_VALUE(na > over, "encode: the first sequence (", na, " tokens) is too short to truncate ", over,
                           " tokens from it to fit max_length ", *options.max_length);
          na -= over;
          break;
        case TruncationStrategy::OnlySecond:
          SEEK_CHECK_VALUE(b != nullptr, "encode: truncation only_second needs a second sequence");
          SEEK_CHECK_VALUE(nb > over, "encode: the second sequence (", nb, " tokens) is too short to truncate ", over,
                           " tokens from it to fit max_length ", *options.max_length);
          nb -= over;
          break;
      }
    }
  } else {
    SEEK_CHECK_VALUE(na + nb + added <= options_.model_max_length, "encode: the sequence has ", na + nb + added,
                     " tokens, more than the model's maximum of ", options_.model_max_length,
                     "; pass max_length to truncate it");
  }
  Encoding e;
  auto push = [&](int64_t id, int64_t type, bool special) {
    e.ids.push_back(id);
    e.type_ids.push_back(type);
    e.attention_mask.push_back(1);
    e.special_tokens_mask.push_back(special ? 1 : 0);
    e.tokens.push_back(vocab_[static_cast<size_t>(id)]);
  };
  if (options.add_special_tokens) push(cls_id_, 0, true);
  for (int64_t i = 0; i < na; ++i) push(a[static_cast<size_t>(i)], 0, false);
  if (options.add_special_tokens) push(sep_id_, 0, true);
  if (b) {
    for (int64_t i = 0; i < nb; ++i) push((*b)[static_cast<size_t>(i)], 1, false);
    if (options.add_special_tokens) push(sep_id_, 1, true);
  }
  if (options.padding == Padding::MaxLength) {
    const std::optional<int64_t> length = options.max_length ? options.max_length : options.pad_to;
    SEEK_CHECK_VALUE(length.has_value(), "encode: padding to max_length needs max_length or pad_to");
    pad(e, *length);
  }
  return e;
}

void BertTokenizer::pad(Encoding& e, int64_t length) const {
  while (static_cast<int64_t>(e.ids.size()) < length) {
    e.ids.push_back(pad_id_);
    e.type_ids.push_back(0);
    e.attention_mask.push_back(0);
    e.special_tokens_mask.push_back(1);
    e.tokens.push_back(options_.pad_token);
  }
}

Encoding BertTokenizer::encode(std::string_view text, const EncodeOptions& options) const {
  return assemble(wordpiece_ids(text), nullptr, options);
}

Encoding BertTokenizer::encode(std::string_view text, std::string_view pair, const EncodeOptions& options) const {
  const std::vector<int64_t> b = wordpiece_ids(pair);
  return assemble(wordpiece_ids(text), &b, options);
}

static void pad_longest(BatchEncoding& batch, const EncodeOptions& options,
                        const std::function<void(Encoding&, int64_t)>& pad) {
  if (options.padding != Padding::Longest) return;
  size_t longest = 0;
  for (const Encoding& e : batch.encodings) longest = std::max(longest, e.size());
  for (Encoding& e : batch.encodings) pad(e, static_cast<int64_t>(longest));
}

BatchEncoding BertTokenizer::encode_batch(const std::vector<std::string>& texts, const EncodeOptions& options) const {
  BatchEncoding batch;
  for (const std::string& t : texts) batch.encodings.push_back(encode(t, options));
  pad_longest(batch, options, [this](Encoding& e, int64_t n) { pad(e, n); });
  return batch;
}

BatchEncoding BertTokenizer::encode_pair_batch(const std::vector<std::pair<std::string, std::string>>& pairs,
                                               const EncodeOptions& options) const {
  BatchEncoding batch;
  for (const auto& [a, b] : pairs) batch.encodings.push_back(encode(a, b, options));
  pad_longest(batch, options, [this](Encoding& e, int64_t n) { pad(e, n); });
  return batch;
}

std::string BertTokenizer::decode(const std::vector<int64_t>& ids, bool skip_special_tokens) const {
  std::string out;
  bool first = true;
  const std::string& prefix = options_.continuing_subword_prefix;
  for (int64_t id : ids) {
    if (skip_special_tokens && is_special(id)) continue;
    const std::string& tok = id_to_token(id);
    std::string piece;
    if (!first && tok.compare(0, prefix.size(), prefix) != 0) {
      piece = " " + tok;
    } else {
      piece = tok.compare(0, prefix.size(), prefix) == 0 ? tok.substr(prefix.size()) : tok;
    }
    // HF's cleanup, applied per token: a space before . ? ! , goes.
    if (piece == " ." || piece == " ?" || piece == " !" || piece == " ,") piece.erase(0, 1);
    out += piece;
    first = false;
  }
  return out;
}

static Tensor stack_field(const std::vector<Encoding>& encodings, std::vector<int64_t> Encoding::*field) {
  const size_t n = encodings.size();
  const size_t len = n ? (encodings[0].*field).size() : 0;
  std::vector<int64_t> flat;
  flat.reserve(n * len);
  for (size_t i = 0; i < n; ++i) {
    const auto& v = encodings[i].*field;
    SEEK_CHECK_VALUE(v.size() == len, "BatchEncoding: sequence ", i, " has ", v.size(), " tokens but sequence 0 has ",
                     len, "; encode with padding to make one tensor");
    flat.insert(flat.end(), v.begin(), v.end());
  }
  return tensor(flat, Shape{static_cast<int64_t>(n), static_cast<int64_t>(len)});
}

Tensor BatchEncoding::input_ids() const { return stack_field(encodings, &Encoding::ids); }
Tensor BatchEncoding::token_type_ids() const { return stack_field(encodings, &Encoding::type_ids); }
Tensor BatchEncoding::attention_mask() const { return stack_field(encodings, &Encoding::attention_mask); }

}  // namespace seek::text
