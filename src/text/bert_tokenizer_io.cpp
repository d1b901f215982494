// Reading and writing BERT vocabularies: vocab.txt (a token per line, the line number is its id) and
// Hugging Face tokenizers' tokenizer.json (its WordPiece model, BertNormalizer and WordPiece decoder).
#include <fstream>
#include <sstream>

#include "seek/io/atomic_file.h"
#include "seek/io/json.h"
#include "seek/text/bert_tokenizer.h"

namespace seek::text {

namespace json = io::json;

static std::string read_file(const std::string& path, const char* who) {
  std::ifstream f(path, std::ios::binary);
  SEEK_CHECK_T(IOError, f.good(), who, ": cannot open '", path, "'");
  std::ostringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

BertTokenizer BertTokenizer::from_vocab_file(const std::string& path, Options options) {
  const std::string text = read_file(path, "BertTokenizer::from_vocab_file");
  std::vector<std::string> vocab;
  std::unordered_map<std::string, size_t> seen;
  size_t start = 0;
  while (start < text.size()) {
    size_t end = text.find('\n', start);
    if (end == std::string::npos) end = text.size();
    std::string line = text.substr(start, end - start);
    while (!line.empty() && (line.back() == '\r' || line.back() == ' ' || line.back() == '\t')) line.pop_back();
    auto [it, fresh] = seen.emplace(line, vocab.size() + 1);
    SEEK_CHECK_VALUE(fresh, "BertTokenizer::from_vocab_file: '", path, "' line ", vocab.size() + 1,
                     " repeats the token '", line, "' of line ", it->second);
    SEEK_CHECK_VALUE(!line.empty(), "BertTokenizer::from_vocab_file: '", path, "' line ", vocab.size() + 1,
                     " is empty");
    vocab.push_back(std::move(line));
    start = end + 1;
  }
  return BertTokenizer(std::move(vocab), std::move(options));
}

BertTokenizer BertTokenizer::from_tokenizer_json(const std::string& path, Options options) {
  const json::Value doc = json::parse(read_file(path, "BertTokenizer::from_tokenizer_json"));
  const std::string who = "BertTokenizer::from_tokenizer_json('" + path + "')";
  const json::Value* model = doc.find("model");
  SEEK_CHECK_VALUE(model && model->is_object(), who, ": no \"model\" object");
  const json::Value* type = model->find("type");
  SEEK_CHECK_VALUE(type && type->is_string() && type->as_string() == "WordPiece", who,
                   ": the model is not WordPiece (type ", type && type->is_string() ? type->as_string() : "missing",
                   ")");
  const json::Value* vocab_obj = model->find("vocab");
  SEEK_CHECK_VALUE(vocab_obj && vocab_obj->is_object(), who, ": the WordPiece model has no vocab object");
  std::vector<std::string> vocab(vocab_obj->size());
  std::vector<bool> filled(vocab.size(), false);
  for (const auto& [token, id_value] : vocab_obj->as_object()) {
    const int64_t id = id_value.as_int64();
    SEEK_CHECK_VALUE(id >= 0 && id < static_cast<int64_t>(vocab.size()), who, ": the token '", token, "' has id ", id,
                     ", outside 0..", vocab.size() - 1);
    SEEK_CHECK_VALUE(!filled[static_cast<size_t>(id)], who, ": id ", id, " is given to both '",
                     vocab[static_cast<size_t>(id)], "' and '", token, "'");
    vocab[static_cast<size_t>(id)] = token;
    filled[static_cast<size_t>(id)] = true;
  }
  if (const json::Value* v = model->find("unk_token"); v && v->is_string()) options.unk_token = v->as_string();
  if (const json::Value* v = model->find("continuing_subword_prefix"); v && v->is_string())
    options.continuing_subword_prefix = v->as_string();
  if (const json::Value* v = model->find("max_input_chars_per_word"); v && v->is_number())
    options.max_input_chars_per_word = v->as_int64();
  if (const json::Value* norm = doc.find("normalizer"); norm && norm->is_object()) {
    const json::Value* ntype = norm->find("type");
    SEEK_CHECK_VALUE(ntype && ntype->is_string() && ntype->as_string() == "BertNormalizer", who,
                     ": only the BertNormalizer is supported");
    auto flag = [&](const char* key, bool& out) {
      if (const json::Value* v = norm->find(key); v && v->is_bool()) out = v->as_bool();
    };
    flag("clean_text", options.normalizer.clean_text);
    flag("handle_chinese_chars", options.normalizer.handle_chinese_chars);
    flag("lowercase", options.normalizer.lowercase);
    if (const json::Value* v = norm->find("strip_accents"); v && v->is_bool())
      options.normalizer.strip_accents = v->as_bool();
  }
  return BertTokenizer(std::move(vocab), std::move(options));
}

void BertTokenizer::save_vocab(const std::string& path) const {
  io::AtomicFileWriter out(path, "BertTokenizer::save_vocab");
  for (const std::string& tok : vocab_) {
    out.write(tok);
    out.write("\n");
  }
  out.commit();
}

void BertTokenizer::save_tokenizer_json(const std::string& path) const {
  json::Value doc = json::Value::object();
  doc.set("version", "1.0");
  doc.set("truncation", nullptr);
  doc.set("padding", nullptr);
  json::Value added = json::Value::array();
  for (int64_t id : {pad_id_, unk_id_, cls_id_, sep_id_, mask_id_}) {
    json::Value t = json::Value::object();
    t.set("id", id);
    t.set("content", vocab_[static_cast<size_t>(id)]);
    t.set("single_word", false);
    t.set("lstrip", false);
    t.set("rstrip", false);
    t.set("normalized", false);
    t.set("special", true);
    added.push_back(std::move(t));
  }
  doc.set("added_tokens", std::move(added));
  json::Value norm = json::Value::object();
  norm.set("type", "BertNormalizer");
  norm.set("clean_text", options_.normalizer.clean_text);
  norm.set("handle_chinese_chars", options_.normalizer.handle_chinese_chars);
  norm.set("strip_accents",
           options_.normalizer.strip_accents ? json::Value(*options_.normalizer.strip_accents) : json::Value(nullptr));
  norm.set("lowercase", options_.normalizer.lowercase);
  doc.set("normalizer", std::move(norm));
  json::Value pre = json::Value::object();
  pre.set("type", "BertPreTokenizer");
  doc.set("pre_tokenizer", std::move(pre));
  json::Value post = json::Value::object();
  post.set("type", "BertProcessing");
  json::Value sep = json::Value::array(), cls = json::Value::array();
  sep.push_back(options_.sep_token);
  sep.push_back(sep_id_);
  cls.push_back(options_.cls_token);
  cls.push_back(cls_id_);
  post.set("sep", std::move(sep));
  post.set("cls", std::move(cls));
  doc.set("post_processor", std::move(post));
  json::Value dec = json::Value::object();
  dec.set("type", "WordPiece");
  dec.set("prefix", options_.continuing_subword_prefix);
  dec.set("cleanup", true);
  doc.set("decoder", std::move(dec));
  json::Value model = json::Value::object();
  model.set("type", "WordPiece");
  model.set("unk_token", options_.unk_token);
  model.set("continuing_subword_prefix", options_.continuing_subword_prefix);
  model.set("max_input_chars_per_word", options_.max_input_chars_per_word);
  json::Value vocab = json::Value::object();
  // Appended directly: the tokens are distinct, and set() would search the members each time.
  for (size_t i = 0; i < vocab_.size(); ++i) vocab.as_object().emplace_back(vocab_[i], static_cast<int64_t>(i));
  model.set("vocab", std::move(vocab));
  doc.set("model", std::move(model));
  io::AtomicFileWriter out(path, "BertTokenizer::save_tokenizer_json");
  out.write(json::dump(doc, 2));
  out.commit();
}

}  // namespace seek::text
