// BertTokenizer behaviour beyond parity: bad input, save/load, batch tensors, and WordPiece training.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>

#include "seek/ops/creation.h"
#include "seek/text/bert_tokenizer.h"

using namespace seek::text;

namespace {

std::vector<std::string> small_vocab() {
  return {"[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "the", "cat", "sat", "on",
          "mat",   "##s",   "un",    "##aff", "##able", ".",   ",",   "a"};
}

std::filesystem::path temp_dir() {
  auto d = std::filesystem::temp_directory_path() /
           ("seek_text_" + std::to_string(::testing::UnitTest::GetInstance()->random_seed()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
  std::filesystem::create_directories(d);
  return d;
}

}  // namespace

TEST(BertTokenizer, GreedyLongestMatchFirst) {
  BertTokenizer tok(small_vocab());
  EXPECT_EQ(tok.tokenize("The cats sat on unaffable mats."),
            (std::vector<std::string>{"the", "cat", "##s", "sat", "on", "un", "##aff", "##able", "mat", "##s", "."}));
  // A word without a full split is one [UNK], not a partial split.
  EXPECT_EQ(tok.tokenize("catz"), (std::vector<std::string>{"[UNK]"}));
}

TEST(BertTokenizer, BadVocabulariesAreRejectedWithTheirProblem) {
  auto v = small_vocab();
  v.push_back("cat");
  try {
    BertTokenizer tok(v);
    FAIL() << "a duplicate token must be rejected";
  } catch (const seek::ValueError& e) {
    EXPECT_NE(std::string(e.what()).find("'cat' twice"), std::string::npos) << e.what();
  }
  auto no_cls = small_vocab();
  no_cls.erase(no_cls.begin() + 2);
  try {
    BertTokenizer tok(no_cls);
    FAIL() << "a vocabulary without [CLS] must be rejected";
  } catch (const seek::ValueError& e) {
    EXPECT_NE(std::string(e.what()).find("cls_token '[CLS]'"), std::string::npos) << e.what();
  }
  const auto dir = temp_dir();
  {
    std::ofstream f(dir / "dup.txt");
    f << "[PAD]\n[UNK]\n[CLS]\n[SEP]\n[MASK]\nhello\nworld\nhello\n";
  }
  try {
    BertTokenizer::from_vocab_file((dir / "dup.txt").string());
    FAIL() << "a vocab.txt with a duplicate must be rejected";
  } catch (const seek::ValueError& e) {
    EXPECT_NE(std::string(e.what()).find("line 8 repeats the token 'hello' of line 6"), std::string::npos) << e.what();
  }
  EXPECT_THROW(BertTokenizer::from_vocab_file((dir / "missing.txt").string()), seek::IOError);
  std::filesystem::remove_all(dir);
}

TEST(BertTokenizer, OverLongSequencesNeedTruncation) {
  BertTokenizer::Options o;
  o.model_max_length = 8;
  BertTokenizer tok(small_vocab(), o);
  const std::string text = "the cat sat on the mat . the cat sat";
  try {
    tok.encode(text);
    FAIL() << "an over-long sequence without truncation must raise";
  } catch (const seek::ValueError& e) {
    EXPECT_NE(std::string(e.what()).find("12 tokens, more than the model's maximum of 8"), std::string::npos)
        << e.what();
  }
  EncodeOptions eo;
  eo.max_length = 8;
  const Encoding e = tok.encode(text, eo);
  EXPECT_EQ(e.size(), 8u);
  EXPECT_EQ(e.tokens.front(), "[CLS]");
  EXPECT_EQ(e.tokens.back(), "[SEP]");
  eo.max_length = 1;
  EXPECT_THROW(tok.encode(text, eo), seek::ValueError);  // cannot even hold [CLS] and [SEP]
  eo.max_length = 6;
  eo.truncation = TruncationStrategy::OnlySecond;
  EXPECT_THROW(tok.encode(text, eo), seek::ValueError);       // only_second without a second sequence
  EXPECT_THROW(tok.encode(text, "a", eo), seek::ValueError);  // the second is too short to absorb the cut
}

TEST(BertTokenizer, InvalidUtf8IsAValueError) {
  BertTokenizer tok(small_vocab());
  EXPECT_THROW(tok.encode(std::string("the \xff cat")), seek::ValueError);
  EXPECT_THROW(tok.id_to_token(99), seek::IndexError);
}

TEST(BertTokenizer, BatchTensorsNeedOneLength) {
  BertTokenizer tok(small_vocab());
  EncodeOptions eo;
  eo.padding = Padding::Longest;
  const BatchEncoding b = tok.encode_batch({"the cat", "the cat sat on the mat"}, eo);
  const seek::Tensor ids = b.input_ids();
  EXPECT_EQ(ids.shape(), (seek::Shape{2, 8}));
  EXPECT_EQ(ids.dtype(), seek::kInt64);
  EXPECT_EQ(seek::to_vector<int64_t>(b.attention_mask()),
            (std::vector<int64_t>{1, 1, 1, 1, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1}));
  EXPECT_THROW(tok.encode_batch({"the cat", "the cat sat"}).input_ids(), seek::ValueError);
}

TEST(BertTokenizer, SaveAndLoadBothFormats) {
  BertTokenizer::Options o;
  o.normalizer.lowercase = false;
  BertTokenizer tok(small_vocab(), o);
  const auto dir = temp_dir();
  tok.save_vocab((dir / "vocab.txt").string());
  tok.save_tokenizer_json((dir / "tokenizer.json").string());
  const BertTokenizer a = BertTokenizer::from_vocab_file((dir / "vocab.txt").string(), o);
  const BertTokenizer b = BertTokenizer::from_tokenizer_json((dir / "tokenizer.json").string());
  EXPECT_EQ(a.vocab(), tok.vocab());
  EXPECT_EQ(b.vocab(), tok.vocab());
  EXPECT_FALSE(b.options().normalizer.lowercase);  // the normalizer settings travel in tokenizer.json
  EXPECT_EQ(b.encode("the Cat sat").tokens, tok.encode("the Cat sat").tokens);
  std::filesystem::remove_all(dir);
}

TEST(WordPieceTrainer, LearnsFrequentWordsAndPieces) {
  std::vector<std::string> corpus;
  for (int i = 0; i < 50; ++i) {
    corpus.push_back("the licensee shall license the licensed software under this license");
    corpus.push_back("licensing terms: the licensor grants a license to each licensee");
  }
  WordPieceTrainerOptions o;
  o.vocab_size = 75;
  const std::vector<std::string> vocab = train_wordpiece(corpus, o);
  ASSERT_EQ(vocab.size(), 75u);
  EXPECT_EQ(std::vector<std::string>(vocab.begin(), vocab.begin() + 5), o.special_tokens);
  BertTokenizer tok(vocab);
  // Every training word tokenises without [UNK], in fewer pieces than characters.
  for (const std::string& text : corpus) {
    const Encoding e = tok.encode(text, EncodeOptions{.add_special_tokens = false});
    for (const auto& t : e.tokens) EXPECT_NE(t, "[UNK]");
    EXPECT_LT(e.size(), text.size() / 3);
  }
  // Deterministic: the same corpus gives the same vocabulary.
  EXPECT_EQ(train_wordpiece(corpus, o), vocab);
  // A character outside the alphabet is [UNK].
  const auto pieces = tok.tokenize("license zebra");
  ASSERT_GE(pieces.size(), 2u);
  EXPECT_EQ(pieces.back(), "[UNK]");
  EXPECT_EQ(std::count(pieces.begin(), pieces.end(), "[UNK]"), 1);
  // The likelihood criterion merges other pairs first, and also covers the corpus.
  WordPieceTrainerOptions lk = o;
  lk.likelihood = true;
  const std::vector<std::string> lk_vocab = train_wordpiece(corpus, lk);
  ASSERT_EQ(lk_vocab.size(), 75u);
  EXPECT_NE(lk_vocab, vocab);
  BertTokenizer lk_tok(lk_vocab);
  EXPECT_EQ(lk_tok.tokenize(corpus[1]).size() > 0, true);
  for (const auto& t : lk_tok.tokenize(corpus[1])) EXPECT_NE(t, "[UNK]");
  o.vocab_size = 3;
  EXPECT_THROW(train_wordpiece(corpus, o), seek::ValueError);
}
