// BertConfig <-> config.json. Reading walks a table of the known fields (name, pointer to member, kind), so
// every field is read, written and type-checked by the same three lines.
#include <variant>
#include <vector>

#include "seek/core/error.h"
#include "seek/io/atomic_file.h"
#include "seek/io/json.h"
#include "seek/models/bert.h"

namespace seek::models {

namespace {

namespace json = io::json;

using Field = std::variant<int64_t BertConfig::*, double BertConfig::*, std::string BertConfig::*>;

const std::vector<std::pair<const char*, Field>>& fields() {
  static const std::vector<std::pair<const char*, Field>> f = {
      {"vocab_size", &BertConfig::vocab_size},
      {"hidden_size", &BertConfig::hidden_size},
      {"num_hidden_layers", &BertConfig::num_hidden_layers},
      {"num_attention_heads", &BertConfig::num_attention_heads},
      {"intermediate_size", &BertConfig::intermediate_size},
      {"hidden_act", &BertConfig::hidden_act},
      {"hidden_dropout_prob", &BertConfig::hidden_dropout_prob},
      {"attention_probs_dropout_prob", &BertConfig::attention_probs_dropout_prob},
      {"max_position_embeddings", &BertConfig::max_position_embeddings},
      {"type_vocab_size", &BertConfig::type_vocab_size},
      {"initializer_range", &BertConfig::initializer_range},
      {"layer_norm_eps", &BertConfig::layer_norm_eps},
      {"pad_token_id", &BertConfig::pad_token_id},
      {"position_embedding_type", &BertConfig::position_embedding_type},
      {"num_labels", &BertConfig::num_labels},
      {"attention_type", &BertConfig::attention_type},
      {"lsh_n_buckets", &BertConfig::lsh_n_buckets},
      {"lsh_n_hashes", &BertConfig::lsh_n_hashes},
      {"lsh_chunk_size", &BertConfig::lsh_chunk_size},
  };
  return f;
}

void expect(bool ok, const char* key, const char* what, const json::Value& v) {
  SEEK_CHECK_VALUE(ok, "BertConfig.from_json: \"", key, "\" must be ", what, ", got ", json::type_noun(v.type()),
                   v.is_number() || v.is_string() ? " " + (v.is_number() ? v.number_text() : v.as_string()) : "");
}

void read_field(BertConfig& c, const char* key, const Field& field, const json::Value& v) {
  try {
    if (auto p = std::get_if<int64_t BertConfig::*>(&field)) {
      expect(v.is_number(), key, "an integer", v);
      c.*(*p) = v.as_int64();
    } else if (auto p = std::get_if<double BertConfig::*>(&field)) {
      expect(v.is_number(), key, "a number", v);
      c.*(*p) = v.as_double();
    } else {
      expect(v.is_string(), key, "a string", v);
      c.*std::get<std::string BertConfig::*>(field) = v.as_string();
    }
  } catch (const ValueError& e) {
    if (std::string(e.what()).rfind("BertConfig", 0) == 0) throw;
    throw ValueError(str("BertConfig.from_json: \"", key, "\": ", e.what()));
  }
}

}  // namespace

void BertConfig::validate() const {
  const char* fn = "BertConfig";
  auto positive = [&](int64_t v, const char* name) {
    SEEK_CHECK_VALUE(v > 0, fn, ": ", name, " must be > 0, got ", v);
  };
  positive(vocab_size, "vocab_size");
  positive(hidden_size, "hidden_size");
  positive(num_attention_heads, "num_attention_heads");
  positive(intermediate_size, "intermediate_size");
  positive(max_position_embeddings, "max_position_embeddings");
  positive(type_vocab_size, "type_vocab_size");
  positive(num_labels, "num_labels");
  SEEK_CHECK_VALUE(num_hidden_layers >= 0, fn, ": num_hidden_layers must be >= 0, got ", num_hidden_layers);
  SEEK_CHECK_VALUE(hidden_size % num_attention_heads == 0, fn, ": the hidden size (", hidden_size,
                   ") is not a multiple of the number of attention heads (", num_attention_heads, ")");
  SEEK_CHECK_VALUE(
      hidden_act == "gelu" || hidden_act == "gelu_new" || hidden_act == "gelu_pytorch_tanh" || hidden_act == "relu", fn,
      ": hidden_act must be \"gelu\", \"gelu_new\", \"gelu_pytorch_tanh\" or \"relu\", got \"", hidden_act, "\"");
  auto prob = [&](double p, const char* name) {
    SEEK_CHECK_VALUE(p >= 0.0 && p <= 1.0, fn, ": ", name, " must be in [0, 1], got ", p);
  };
  prob(hidden_dropout_prob, "hidden_dropout_prob");
  prob(attention_probs_dropout_prob, "attention_probs_dropout_prob");
  if (classifier_dropout) prob(*classifier_dropout, "classifier_dropout");
  SEEK_CHECK_VALUE(layer_norm_eps > 0.0, fn, ": layer_norm_eps must be > 0, got ", layer_norm_eps);
  SEEK_CHECK_VALUE(initializer_range >= 0.0, fn, ": initializer_range must be >= 0, got ", initializer_range);
  SEEK_CHECK_VALUE(pad_token_id >= 0 && pad_token_id < vocab_size, fn, ": pad_token_id ", pad_token_id,
                   " is outside the vocabulary [0, ", vocab_size, ")");
  SEEK_CHECK_VALUE(position_embedding_type == "absolute", fn,
                   ": only position_embedding_type \"absolute\" is implemented, got \"", position_embedding_type, "\"");
  SEEK_CHECK_VALUE(problem_type.empty() || problem_type == "regression" ||
                       problem_type == "single_label_classification" || problem_type == "multi_label_classification",
                   fn, ": unknown problem_type \"", problem_type, "\"");
  SEEK_CHECK_VALUE(attention_type == "standard" || attention_type == "lsh", fn,
                   ": attention_type must be \"standard\" or \"lsh\", got \"", attention_type, "\"");
  if (attention_type == "lsh") {
    SEEK_CHECK_VALUE(lsh_n_buckets == 1 || (lsh_n_buckets >= 2 && lsh_n_buckets % 2 == 0), fn,
                     ": lsh_n_buckets must be 1 or an even number >= 2, got ", lsh_n_buckets);
    positive(lsh_n_hashes, "lsh_n_hashes");
    positive(lsh_chunk_size, "lsh_chunk_size");
  }
}

BertConfig BertConfig::from_json(const std::string& text) {
  json::Value doc = json::parse(text);
  SEEK_CHECK_VALUE(doc.is_object(), "BertConfig.from_json: config.json must hold an object, got ",
                   json::type_noun(doc.type()));
  BertConfig c;
  bool has_num_labels = false;
  for (const auto& [key, field] : fields()) {
    const json::Value* v = doc.find(key);
    if (v == nullptr || v->is_null()) continue;
    read_field(c, key, field, *v);
    has_num_labels |= std::string(key) == "num_labels";
  }
  if (const json::Value* v = doc.find("id2label"); v != nullptr && v->is_object() && !has_num_labels)
    c.num_labels = static_cast<int64_t>(v->size());
  if (const json::Value* v = doc.find("classifier_dropout"); v != nullptr && !v->is_null()) {
    expect(v->is_number(), "classifier_dropout", "a number or null", *v);
    c.classifier_dropout = v->as_double();
  }
  if (const json::Value* v = doc.find("problem_type"); v != nullptr && !v->is_null()) {
    expect(v->is_string(), "problem_type", "a string or null", *v);
    c.problem_type = v->as_string();
  }
  if (const json::Value* v = doc.find("lsh_seed"); v != nullptr && !v->is_null()) {
    expect(v->is_number(), "lsh_seed", "an unsigned integer or null", *v);
    c.lsh_seed = v->as_uint64();
  }
  c.validate();
  return c;
}

BertConfig BertConfig::from_json_file(const std::filesystem::path& path) {
  return from_json(io::read_file(path, "BertConfig.from_json_file"));
}

std::string BertConfig::to_json() const {
  json::Value doc = json::Value::object();
  doc.set("architectures", json::Value::array());
  doc.as_object().back().second.push_back("BertModel");
  doc.set("model_type", "bert");
  for (const auto& [key, field] : fields()) {
    if (auto p = std::get_if<int64_t BertConfig::*>(&field)) {
      doc.set(key, json::Value(this->*(*p)));
    } else if (auto p = std::get_if<double BertConfig::*>(&field)) {
      doc.set(key, json::Value(this->*(*p)));
    } else {
      doc.set(key, json::Value(this->*std::get<std::string BertConfig::*>(field)));
    }
  }
  json::Value id2label = json::Value::object();
  for (int64_t i = 0; i < num_labels; ++i) id2label.set(std::to_string(i), "LABEL_" + std::to_string(i));
  doc.set("id2label", id2label);
  doc.set("classifier_dropout", classifier_dropout ? json::Value(*classifier_dropout) : json::Value());
  doc.set("problem_type", problem_type.empty() ? json::Value() : json::Value(problem_type));
  doc.set("lsh_seed", lsh_seed ? json::Value(*lsh_seed) : json::Value());
  return json::dump(doc, 2) + "\n";
}

namespace {
BertConfig sized(int64_t layers, int64_t hidden, int64_t heads) {
  BertConfig c;
  c.num_hidden_layers = layers;
  c.hidden_size = hidden;
  c.num_attention_heads = heads;
  c.intermediate_size = 4 * hidden;
  return c;
}
}  // namespace

BertConfig BertConfig::bert_tiny() { return sized(2, 128, 2); }
BertConfig BertConfig::bert_mini() { return sized(4, 256, 4); }
BertConfig BertConfig::bert_small() { return sized(4, 512, 8); }
BertConfig BertConfig::bert_medium() { return sized(8, 512, 8); }
BertConfig BertConfig::bert_base() { return sized(12, 768, 12); }
BertConfig BertConfig::bert_large() { return sized(24, 1024, 16); }

}  // namespace seek::models
