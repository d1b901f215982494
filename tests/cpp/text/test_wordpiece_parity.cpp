// seek's BertTokenizer against Hugging Face tokenizers: the same vocabulary and texts must give the
// same tokens, ids, type ids, attention masks and decoded text. The expected values were computed by
// tests/data/text/make_wordpiece_reference.py (tokenizers from PyPI), which also trained the vocabulary.
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "seek/io/json.h"
#include "seek/text/bert_tokenizer.h"

namespace json = seek::io::json;
using seek::text::BertTokenizer;

namespace {

const std::string kDir = std::string(SEEK_SOURCE_DIR) + "/tests/data/text/";

json::Value load_expected() {
  std::ifstream f(kDir + "wordpiece_expected.json");
  std::stringstream ss;
  ss << f.rdbuf();
  return json::parse(ss.str());
}

template <typename T>
std::vector<T> list_of(const json::Value& v) {
  std::vector<T> out;
  for (const json::Value& e : v.as_array()) {
    if constexpr (std::is_same_v<T, std::string>) {
      out.push_back(e.as_string());
    } else {
      out.push_back(e.as_int64());
    }
  }
  return out;
}

BertTokenizer::Options options_for(const std::string& name) {
  BertTokenizer::Options o;
  if (name == "cased_single") {
    o.normalizer.lowercase = false;
    o.normalizer.strip_accents = false;
  } else if (name == "lowercase_keep_accents") {
    o.normalizer.strip_accents = false;
  } else if (name == "no_chinese_split") {
    o.normalizer.handle_chinese_chars = false;
  }
  return o;
}

}  // namespace

TEST(WordPieceParity, EveryCaseMatchesHuggingFaceTokenizers) {
  const json::Value doc = load_expected();
  int checked = 0;
  for (const json::Value& c : doc.find("cases")->as_array()) {
    const std::string name = c.find("name")->as_string();
    SCOPED_TRACE(name);
    const BertTokenizer tok = BertTokenizer::from_vocab_file(kDir + "wordpiece_vocab.txt", options_for(name));
    const json::Value& opts = *c.find("options");
    seek::text::EncodeOptions eo;
    if (const auto* v = opts.find("add_special_tokens")) eo.add_special_tokens = v->as_bool();
    if (const auto* v = opts.find("max_length")) eo.max_length = v->as_int64();
    if (const auto* v = opts.find("strategy")) {
      ASSERT_EQ(v->as_string(), "only_second");
      eo.truncation = seek::text::TruncationStrategy::OnlySecond;
    }
    if (const auto* v = opts.find("pad_to")) {
      eo.padding = seek::text::Padding::MaxLength;
      eo.pad_to = v->as_int64();
    }
    if (opts.find("pad_longest")) eo.padding = seek::text::Padding::Longest;
    const auto texts = list_of<std::string>(*c.find("texts"));
    seek::text::BatchEncoding batch;
    if (c.find("pairs")->is_null()) {
      batch = tok.encode_batch(texts, eo);
    } else {
      const auto seconds = list_of<std::string>(*c.find("pairs"));
      std::vector<std::pair<std::string, std::string>> pairs;
      for (size_t i = 0; i < texts.size(); ++i) pairs.emplace_back(texts[i], seconds[i]);
      batch = tok.encode_pair_batch(pairs, eo);
    }
    ASSERT_EQ(batch.encodings.size(), texts.size());
    for (size_t i = 0; i < texts.size(); ++i) {
      SCOPED_TRACE(texts[i]);
      const auto& e = batch.encodings[i];
      EXPECT_EQ(e.tokens, list_of<std::string>(c.find("tokens")->as_array()[i]));
      EXPECT_EQ(e.ids, list_of<int64_t>(c.find("ids")->as_array()[i]));
      EXPECT_EQ(e.type_ids, list_of<int64_t>(c.find("type_ids")->as_array()[i]));
      EXPECT_EQ(e.attention_mask, list_of<int64_t>(c.find("attention_mask")->as_array()[i]));
      EXPECT_EQ(tok.decode(e.ids), c.find("decoded")->as_array()[i].as_string());
      EXPECT_EQ(tok.decode(e.ids, false), c.find("decoded_keep_special")->as_array()[i].as_string());
      ++checked;
    }
  }
  EXPECT_GE(checked, 40);
}

TEST(WordPieceParity, TokenizerJsonGivesTheVocabFileTokenizer) {
  const BertTokenizer from_txt = BertTokenizer::from_vocab_file(kDir + "wordpiece_vocab.txt");
  const BertTokenizer from_json = BertTokenizer::from_tokenizer_json(kDir + "wordpiece_tokenizer.json");
  EXPECT_EQ(from_txt.vocab(), from_json.vocab());
  EXPECT_EQ(from_json.vocab_size(), 900);
  EXPECT_TRUE(from_json.options().normalizer.lowercase);
  EXPECT_FALSE(from_json.options().normalizer.strip_accents.has_value());
  const std::string text = "Café: the GNU General Public License, version 3!";
  EXPECT_EQ(from_txt.encode(text).ids, from_json.encode(text).ids);
}
