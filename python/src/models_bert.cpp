// seek._C.models' BERT: BertConfig (Hugging Face's field names as attributes and keyword arguments), the
// three models with HF's forward keywords, and their outputs as objects with HF's field names. The models'
// load_state_dict adapts Hugging Face state dicts (tied weights, buffers, prefixes) before loading.
#include <set>

#include "nn_common.h"
#include "seek/models/bert.h"

namespace seek::python {

namespace {

using models::BertConfig;

Tensor opt(const py::object& o) { return o.is_none() ? Tensor() : o.cast<Tensor>(); }

// Module.load_state_dict's return value ((missing_keys, unexpected_keys) as a namedtuple), after the adaptation.
template <typename M>
py::object load_state_dict(M& m, const py::handle& state, bool strict) {
  nn::StateDict sd = state_dict_from_python(state);
  std::vector<std::string> own;
  for (auto& [k, v] : m.state_dict()) own.push_back(k);
  nn::StateDict adapted = models::adapt_hf_state_dict(sd, own);
  {
    py::gil_scoped_release nogil;
    m.nn::Module::load_state_dict(adapted, strict);
  }
  std::set<std::string> given, own_set(own.begin(), own.end());
  for (auto& [k, v] : adapted) given.insert(k);
  py::list missing, unexpected;
  for (auto& k : own)
    if (!given.count(k)) missing.append(k);
  for (auto& [k, v] : adapted)
    if (!own_set.count(k)) unexpected.append(k);
  py::object keys = py::module_::import("collections")
                        .attr("namedtuple")("IncompatibleKeys", py::make_tuple("missing_keys", "unexpected_keys"));
  return keys(missing, unexpected);
}

template <typename M, typename C>
void def_loading(C& cls) {
  cls.def("load_state_dict", &load_state_dict<M>, py::arg("state_dict"), py::arg("strict") = true,
          "Copies a (Hugging Face) state dict in: HF's position_ids buffer is ignored, tied decoder weights may be "
          "present or absent, a BertModel checkpoint fits a task model and back. Returns (missing_keys, "
          "unexpected_keys).")
      .def(
          "load_safetensors",
          [](M& m, const std::string& path, bool strict) {
            py::gil_scoped_release nogil;
            m.load_safetensors(path, strict);
          },
          py::arg("path"), py::arg("strict") = true, "Loads a Hugging Face model.safetensors.")
      .def_property_readonly("config", [](const M& m) { return m.config(); });
}

void def_config(py::module_& mm) {
  py::class_<BertConfig> c(mm, "BertConfig",
                           "Hugging Face BertConfig's fields (BERT-base defaults) plus seek's attention_type "
                           "('standard' or 'lsh') with lsh_n_buckets, lsh_n_hashes, lsh_chunk_size, lsh_seed.");
  c.def(py::init([](const py::kwargs& kwargs) {
          BertConfig config;
          py::object self = py::cast(&config, py::return_value_policy::reference);
          for (auto& [key, value] : kwargs) {
            std::string k = py::str(key);
            if (!py::hasattr(self, k.c_str()) || k.rfind("_", 0) == 0 || k == "validate" || k == "to_json")
              throw py::type_error("BertConfig: unknown field '" + k + "'");
            self.attr(k.c_str()) = value;
          }
          config.validate();
          return config;
        }),
        "BertConfig(**fields): the defaults, with the given fields replaced; validated.");
#define SEEK_FIELD(name) c.def_readwrite(#name, &BertConfig::name)
  SEEK_FIELD(vocab_size);
  SEEK_FIELD(hidden_size);
  SEEK_FIELD(num_hidden_layers);
  SEEK_FIELD(num_attention_heads);
  SEEK_FIELD(intermediate_size);
  SEEK_FIELD(hidden_act);
  SEEK_FIELD(hidden_dropout_prob);
  SEEK_FIELD(attention_probs_dropout_prob);
  SEEK_FIELD(max_position_embeddings);
  SEEK_FIELD(type_vocab_size);
  SEEK_FIELD(initializer_range);
  SEEK_FIELD(layer_norm_eps);
  SEEK_FIELD(pad_token_id);
  SEEK_FIELD(position_embedding_type);
  SEEK_FIELD(num_labels);
  SEEK_FIELD(classifier_dropout);
  SEEK_FIELD(problem_type);
  SEEK_FIELD(attention_type);
  SEEK_FIELD(lsh_n_buckets);
  SEEK_FIELD(lsh_n_hashes);
  SEEK_FIELD(lsh_chunk_size);
  SEEK_FIELD(lsh_seed);
#undef SEEK_FIELD
  c.def("validate", &BertConfig::validate, "ValueError naming the field when a value is out of range.")
      .def("to_json", &BertConfig::to_json, "config.json text (readable by transformers).")
      .def_static("from_json", &BertConfig::from_json, py::arg("text"), "From config.json text.")
      .def_static(
          "from_json_file", [](const std::string& path) { return BertConfig::from_json_file(path); }, py::arg("path"),
          "From a config.json file.")
      .def_static("bert_tiny", &BertConfig::bert_tiny, "2 layers, hidden 128, 2 heads.")
      .def_static("bert_mini", &BertConfig::bert_mini, "4 layers, hidden 256, 4 heads, intermediate 1024.")
      .def_static("bert_small", &BertConfig::bert_small, "4 layers, hidden 512, 8 heads.")
      .def_static("bert_medium", &BertConfig::bert_medium, "8 layers, hidden 512, 8 heads.")
      .def_static("bert_base", &BertConfig::bert_base, "12 layers, hidden 768, 12 heads.")
      .def_static("bert_large", &BertConfig::bert_large, "24 layers, hidden 1024, 16 heads.")
      .def("__repr__", [](const BertConfig& x) { return "BertConfig(" + x.to_json() + ")"; })
      .def(py::pickle([](const BertConfig& x) { return x.to_json(); },
                      [](const std::string& s) { return BertConfig::from_json(s); }));
}

}  // namespace

void init_models_bert(py::module_& mm) {
  def_config(mm);
  py::class_<models::BertModelOutput>(mm, "BertModelOutput", "last_hidden_state [B, L, H], pooler_output [B, H].")
      .def_readonly("last_hidden_state", &models::BertModelOutput::last_hidden_state)
      .def_property_readonly("pooler_output", [](const models::BertModelOutput& o) -> py::object {
        return o.pooler_output.defined() ? py::cast(o.pooler_output) : py::none();
      });
  py::class_<models::MaskedLMOutput>(mm, "MaskedLMOutput", "loss (None without labels), logits [B, L, vocab].")
      .def_property_readonly("loss",
                             [](const models::MaskedLMOutput& o) -> py::object {
                               return o.loss.defined() ? py::cast(o.loss) : py::none();
                             })
      .def_readonly("logits", &models::MaskedLMOutput::logits);
  py::class_<models::SequenceClassifierOutput>(mm, "SequenceClassifierOutput",
                                               "loss (None without labels), logits [B, num_labels].")
      .def_property_readonly("loss",
                             [](const models::SequenceClassifierOutput& o) -> py::object {
                               return o.loss.defined() ? py::cast(o.loss) : py::none();
                             })
      .def_readonly("logits", &models::SequenceClassifierOutput::logits);

  py::class_<models::BertModel, nn::Module, std::shared_ptr<models::BertModel>> base(
      mm, "BertModel", "BERT encoder with Hugging Face's names (embeddings, encoder.layer.N, pooler).");
  base.def(py::init<BertConfig, bool>(), py::arg("config"), py::arg("add_pooling_layer") = true)
      .def(
          "forward",
          [](models::BertModel& m, const Tensor& ids, const py::object& mask, const py::object& types,
             const py::object& pos) {
            Tensor a = opt(mask), t = opt(types), p = opt(pos);
            py::gil_scoped_release nogil;
            return m.forward(ids, a, t, p);
          },
          py::arg("input_ids"), py::arg("attention_mask") = py::none(), py::arg("token_type_ids") = py::none(),
          py::arg("position_ids") = py::none())
      .def_static(
          "from_pretrained",
          [](const std::string& dir, bool pool) { return models::BertModel::from_pretrained(dir, pool); },
          py::arg("path"), py::arg("add_pooling_layer") = true,
          "From a Hugging Face folder (config.json + model.safetensors).");
  def_loading<models::BertModel>(base);

  py::class_<models::BertForMaskedLM, nn::Module, std::shared_ptr<models::BertForMaskedLM>> mlm(
      mm, "BertForMaskedLM", "bert + cls.predictions; the decoder weight is the word-embedding tensor.");
  mlm.def(py::init<BertConfig>(), py::arg("config"))
      .def(
          "forward",
          [](models::BertForMaskedLM& m, const Tensor& ids, const py::object& mask, const py::object& types,
             const py::object& labels, const py::object& pos) {
            Tensor a = opt(mask), t = opt(types), l = opt(labels), p = opt(pos);
            py::gil_scoped_release nogil;
            return m.forward(ids, a, t, l, p);
          },
          py::arg("input_ids"), py::arg("attention_mask") = py::none(), py::arg("token_type_ids") = py::none(),
          py::arg("labels") = py::none(), py::arg("position_ids") = py::none())
      .def(
          "forward_masked",
          [](models::BertForMaskedLM& m, const Tensor& ids, const py::object& mask, const py::object& labels,
             const py::object& types, const py::object& pos) {
            Tensor a = opt(mask), l = opt(labels), t = opt(types), p = opt(pos);
            py::gil_scoped_release nogil;
            return m.forward_masked(ids, a, l, t, p);
          },
          py::arg("input_ids"), py::arg("attention_mask") = py::none(), py::arg("labels") = py::none(),
          py::arg("token_type_ids") = py::none(), py::arg("position_ids") = py::none(),
          "Sparse prediction: the head only on the positions whose label is not -100; logits "
          "[n_labelled, vocab_size], the loss equal to forward's.")
      .def_static(
          "from_pretrained", [](const std::string& dir) { return models::BertForMaskedLM::from_pretrained(dir); },
          py::arg("path"));
  def_loading<models::BertForMaskedLM>(mlm);

  py::class_<models::BertForSequenceClassification, nn::Module, std::shared_ptr<models::BertForSequenceClassification>>
      cls(mm, "BertForSequenceClassification", "bert + dropout + classifier.");
  cls.def(py::init<BertConfig>(), py::arg("config"))
      .def(
          "forward",
          [](models::BertForSequenceClassification& m, const Tensor& ids, const py::object& mask,
             const py::object& types, const py::object& labels, const py::object& pos) {
            Tensor a = opt(mask), t = opt(types), l = opt(labels), p = opt(pos);
            py::gil_scoped_release nogil;
            return m.forward(ids, a, t, l, p);
          },
          py::arg("input_ids"), py::arg("attention_mask") = py::none(), py::arg("token_type_ids") = py::none(),
          py::arg("labels") = py::none(), py::arg("position_ids") = py::none())
      .def_static(
          "from_pretrained",
          [](const std::string& dir) { return models::BertForSequenceClassification::from_pretrained(dir); },
          py::arg("path"));
  def_loading<models::BertForSequenceClassification>(cls);
}

}  // namespace seek::python
