// seek._C.text: the WordPiece tokenizer, its trainer, the text datasets and the MLM data helpers
// (packing, padding, dynamic masking, the stratified split the trainers share) (seek/text/*.h), wrapped
// by python/seek/text with a Hugging Face-style __call__.
#include <pybind11/stl.h>

#include "bind.h"
#include "seek/core/error.h"
#include "seek/core/generator.h"
#include "seek/data/dataset.h"
#include "seek/ops/creation.h"
#include "seek/text/bert_tokenizer.h"
#include "seek/text/mlm.h"
#include "seek/text/text_data.h"

namespace seek::python {

namespace {

using namespace seek::text;

NormalizerOptions normalizer(bool lowercase, std::optional<bool> strip_accents, bool tokenize_chinese_chars,
                             bool clean_text) {
  NormalizerOptions n;
  n.lowercase = lowercase;
  n.strip_accents = strip_accents;
  n.handle_chinese_chars = tokenize_chinese_chars;
  n.clean_text = clean_text;
  return n;
}

EncodeOptions encode_options(bool add_special_tokens, std::optional<int64_t> max_length, const std::string& truncation,
                             const std::string& padding, std::optional<int64_t> pad_to) {
  EncodeOptions o;
  o.add_special_tokens = add_special_tokens;
  o.max_length = max_length;
  if (truncation == "longest_first") {
    o.truncation = TruncationStrategy::LongestFirst;
  } else if (truncation == "only_first") {
    o.truncation = TruncationStrategy::OnlyFirst;
  } else if (truncation == "only_second") {
    o.truncation = TruncationStrategy::OnlySecond;
  } else {
    throw seek::ValueError("truncation must be 'longest_first', 'only_first' or 'only_second', got '" + truncation +
                           "'");
  }
  if (padding == "do_not_pad") {
    o.padding = Padding::None;
  } else if (padding == "longest") {
    o.padding = Padding::Longest;
  } else if (padding == "max_length") {
    o.padding = Padding::MaxLength;
  } else {
    throw seek::ValueError("padding must be 'do_not_pad', 'longest' or 'max_length', got '" + padding + "'");
  }
  o.pad_to = pad_to;
  return o;
}

py::dict encoding_dict(const Encoding& e) {
  py::dict d;
  d["input_ids"] = e.ids;
  d["token_type_ids"] = e.type_ids;
  d["attention_mask"] = e.attention_mask;
  d["special_tokens_mask"] = e.special_tokens_mask;
  d["tokens"] = e.tokens;
  return d;
}

CorpusSplit corpus_split(const std::string& s) {
  if (s == "documents") return CorpusSplit::Documents;
  if (s == "paragraphs") return CorpusSplit::Paragraphs;
  if (s == "lines") return CorpusSplit::Lines;
  if (s == "fortunes") return CorpusSplit::Fortunes;
  throw seek::ValueError("split must be 'documents', 'paragraphs', 'lines' or 'fortunes', got '" + s + "'");
}

}  // namespace

void init_text(py::module_& m) {
  py::module_ t = m.def_submodule("text", "seek/text: WordPiece tokenizer, trainer, text datasets");
  py::class_<BertTokenizer>(t, "BertTokenizer")
      .def(py::init([](std::vector<std::string> vocab, bool lowercase, std::optional<bool> strip_accents,
                       bool tokenize_chinese_chars, bool clean_text, int64_t model_max_length) {
             BertTokenizer::Options o;
             o.normalizer = normalizer(lowercase, strip_accents, tokenize_chinese_chars, clean_text);
             o.model_max_length = model_max_length;
             return BertTokenizer(std::move(vocab), o);
           }),
           py::arg("vocab"), py::arg("lowercase") = true, py::arg("strip_accents") = py::none(),
           py::arg("tokenize_chinese_chars") = true, py::arg("clean_text") = true, py::arg("model_max_length") = 512)
      .def_static(
          "from_vocab_file",
          [](const std::string& path, bool lowercase, std::optional<bool> strip_accents, bool tokenize_chinese_chars,
             bool clean_text, int64_t model_max_length) {
            BertTokenizer::Options o;
            o.normalizer = normalizer(lowercase, strip_accents, tokenize_chinese_chars, clean_text);
            o.model_max_length = model_max_length;
            return BertTokenizer::from_vocab_file(path, o);
          },
          py::arg("path"), py::arg("lowercase") = true, py::arg("strip_accents") = py::none(),
          py::arg("tokenize_chinese_chars") = true, py::arg("clean_text") = true, py::arg("model_max_length") = 512)
      .def_static(
          "from_tokenizer_json",
          [](const std::string& path, int64_t model_max_length) {
            BertTokenizer::Options o;
            o.model_max_length = model_max_length;
            return BertTokenizer::from_tokenizer_json(path, o);
          },
          py::arg("path"), py::arg("model_max_length") = 512)
      .def("tokenize", &BertTokenizer::tokenize, py::arg("text"))
      .def(
          "_encode",
          [](const BertTokenizer& tok, const std::string& text, std::optional<std::string> pair,
             bool add_special_tokens, std::optional<int64_t> max_length, const std::string& truncation,
             const std::string& padding, std::optional<int64_t> pad_to) {
            const EncodeOptions o = encode_options(add_special_tokens, max_length, truncation, padding, pad_to);
            return encoding_dict(pair ? tok.encode(text, *pair, o) : tok.encode(text, o));
          },
          py::arg("text"), py::arg("pair"), py::arg("add_special_tokens"), py::arg("max_length"), py::arg("truncation"),
          py::arg("padding"), py::arg("pad_to"))
      .def(
          "_encode_batch",
          [](const BertTokenizer& tok, const std::vector<std::string>& texts,
             std::optional<std::vector<std::string>> pairs, bool add_special_tokens, std::optional<int64_t> max_length,
             const std::string& truncation, const std::string& padding, std::optional<int64_t> pad_to) {
            const EncodeOptions o = encode_options(add_special_tokens, max_length, truncation, padding, pad_to);
            BatchEncoding b;
            if (pairs) {
              SEEK_CHECK_VALUE(pairs->size() == texts.size(), "text_pair has ", pairs->size(), " entries for ",
                               texts.size(), " texts");
              std::vector<std::pair<std::string, std::string>> both;
              for (size_t i = 0; i < texts.size(); ++i) both.emplace_back(texts[i], (*pairs)[i]);
              b = tok.encode_pair_batch(both, o);
            } else {
              b = tok.encode_batch(texts, o);
            }
            py::list out;
            for (const Encoding& e : b.encodings) out.append(encoding_dict(e));
            return out;
          },
          py::arg("texts"), py::arg("pairs"), py::arg("add_special_tokens"), py::arg("max_length"),
          py::arg("truncation"), py::arg("padding"), py::arg("pad_to"))
      .def("decode", &BertTokenizer::decode, py::arg("ids"), py::arg("skip_special_tokens") = true)
      .def("token_to_id", &BertTokenizer::token_to_id, py::arg("token"))
      .def("id_to_token", &BertTokenizer::id_to_token, py::arg("id"))
      .def_property_readonly("vocab_size", &BertTokenizer::vocab_size)
      .def_property_readonly("vocab", &BertTokenizer::vocab)
      .def_property_readonly("model_max_length", [](const BertTokenizer& t) { return t.options().model_max_length; })
      .def_property_readonly("unk_token_id", &BertTokenizer::unk_token_id)
      .def_property_readonly("cls_token_id", &BertTokenizer::cls_token_id)
      .def_property_readonly("sep_token_id", &BertTokenizer::sep_token_id)
      .def_property_readonly("pad_token_id", &BertTokenizer::pad_token_id)
      .def_property_readonly("mask_token_id", &BertTokenizer::mask_token_id)
      .def("save_vocab", &BertTokenizer::save_vocab, py::arg("path"))
      .def("save_tokenizer_json", &BertTokenizer::save_tokenizer_json, py::arg("path"));

  t.def(
      "train_wordpiece",
      [](const std::vector<std::string>& texts, int64_t vocab_size, int64_t min_frequency, int64_t limit_alphabet,
         std::vector<std::string> special_tokens, bool lowercase, std::optional<bool> strip_accents, bool likelihood) {
        WordPieceTrainerOptions o;
        o.likelihood = likelihood;
        o.vocab_size = vocab_size;
        o.min_frequency = min_frequency;
        o.limit_alphabet = limit_alphabet;
        o.special_tokens = std::move(special_tokens);
        o.normalizer = normalizer(lowercase, strip_accents, true, true);
        py::gil_scoped_release release;
        return train_wordpiece(texts, o);
      },
      py::arg("texts"), py::arg("vocab_size") = 30000, py::arg("min_frequency") = 2, py::arg("limit_alphabet") = 1000,
      py::arg("special_tokens") = std::vector<std::string>{"[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"},
      py::arg("lowercase") = true, py::arg("strip_accents") = py::none(), py::arg("likelihood") = false);

  py::class_<TextFolder>(t, "TextFolder")
      .def(py::init([](const std::string& root, std::vector<std::string> extensions, bool allow_empty,
                       bool replace_invalid_utf8) {
             TextFolderOptions o;
             o.extensions = std::move(extensions);
             o.allow_empty = allow_empty;
             o.replace_invalid_utf8 = replace_invalid_utf8;
             return TextFolder(root, o);
           }),
           py::arg("root"), py::arg("extensions") = std::vector<std::string>{".txt"}, py::arg("allow_empty") = false,
           py::arg("replace_invalid_utf8") = false)
      .def("__len__", &TextFolder::size)
      .def("__getitem__",
           [](const TextFolder& f, int64_t i) {
             if (i < 0) i += static_cast<int64_t>(f.size());
             SEEK_CHECK_T(seek::IndexError, i >= 0 && i < static_cast<int64_t>(f.size()), "TextFolder index ", i,
                          " out of range for ", f.size(), " documents");
             return py::make_tuple(f.text(static_cast<size_t>(i)), f.label(static_cast<size_t>(i)));
           })
      .def_property_readonly("texts", &TextFolder::texts)
      .def_property_readonly("targets", &TextFolder::labels)
      .def_property_readonly("paths", &TextFolder::paths)
      .def_property_readonly("classes", &TextFolder::classes)
      .def_property_readonly("class_to_idx", &TextFolder::class_to_idx);

  t.def(
      "read_corpus",
      [](const std::vector<std::string>& paths, const std::string& split) {
        return read_corpus(paths, corpus_split(split));
      },
      py::arg("paths"), py::arg("split") = "paragraphs");

  t.def(
      "basic_tokenize",
      [](const std::string& text, bool lowercase, std::optional<bool> strip_accents) {
        return basic_tokenize(text, normalizer(lowercase, strip_accents, true, true));
      },
      py::arg("text"), py::arg("lowercase") = true, py::arg("strip_accents") = py::none(),
      "BERT's basic tokenizer: the normalised words and punctuation marks of text.");
  t.def(
      "pack_sequences",
      [](const BertTokenizer& tok, const std::vector<std::string>& texts, int64_t max_length, bool separate_documents,
         int64_t min_tokens) {
        py::gil_scoped_release release;
        return pack_sequences(tok, texts, max_length, separate_documents, min_tokens);
      },
      py::arg("tokenizer"), py::arg("texts"), py::arg("max_length"), py::arg("separate_documents") = true,
      py::arg("min_tokens") = 8);
  t.def("pad_sequences", &pad_sequences, py::arg("sequences"), py::arg("max_length"), py::arg("pad_id"));
  t.def(
      "mask_tokens",
      [](const Tensor& ids, const BertTokenizer& tok, double mlm_probability, double mask_replace_prob,
         double random_replace_prob, const std::optional<std::shared_ptr<Generator>>& generator) {
        MlmMaskingOptions o;
        o.mlm_probability = mlm_probability;
        o.mask_replace_prob = mask_replace_prob;
        o.random_replace_prob = random_replace_prob;
        MlmBatch b;
        {
          py::gil_scoped_release release;
          b = mask_tokens(ids, tok, o, generator ? generator->get() : nullptr);
        }
        return py::make_tuple(b.input_ids, b.labels, b.attention_mask);
      },
      py::arg("input_ids"), py::arg("tokenizer"), py::arg("mlm_probability") = 0.15, py::arg("mask_replace_prob") = 0.8,
      py::arg("random_replace_prob") = 0.1, py::arg("generator") = py::none());
  t.def(
      "stratified_split",
      [](const std::vector<int64_t>& labels, const std::vector<double>& fractions, uint64_t seed) {
        // The C++ split over a TensorDataset of the labels: the trainers' split, index for index.
        const auto n = static_cast<int64_t>(labels.size());
        auto ds = std::make_shared<data::TensorDataset>(arange(n).to(kInt64), tensor(labels, Shape{n}));
        std::vector<std::vector<size_t>> parts;
        for (const auto& p : data::stratified_split(ds, fractions, seed)) parts.push_back(p->indices());
        return parts;
      },
      py::arg("labels"), py::arg("fractions"), py::arg("seed") = 0);
}

}  // namespace seek::python
