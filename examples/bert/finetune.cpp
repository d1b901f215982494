// BERT fine-tuning for text classification (train_bert finetune): the pre-trained encoder (or a fresh one
// with --pretrained none) plus a classifier on the BBC News split shared with pre-training (80/10/10,
// stratified, fixed seed); AdamW with HF's exclusions, linear warmup/decay, early stopping on the
// validation accuracy (the best epoch's weights are kept); test accuracy and macro-F1.
#include <algorithm>
#include <fstream>
#include <random>
#include <iomanip>
#include <iostream>

#include "bert/bert_common.h"
#include "seek/core/autocast.h"
#include "seek/autograd/grad_mode.h"
#include "seek/data/dataloader.h"
#include "seek/io/safetensors.h"
#include "seek/ops/reduce.h"
#include "seek/optim/clip_grad.h"
#include "seek/train/progress.h"

namespace bert_example {

namespace {

Scores evaluate(models::BertForSequenceClassification& model, const TokenisedSet& ds, int64_t classes,
                int64_t pad_id, int64_t batch_size, const std::string& amp_mode) {
  NoGradGuard no_grad;
  model.eval();
  const Tensor& ids = ds.ids;
  const auto targets = to_vector<int64_t>(ds.labels);
  const int64_t n = ids.size(0);
  std::vector<int64_t> predicted;
  for (int64_t b = 0; b < n; b += batch_size) {
    const Tensor x = ids.slice(0, b, std::min(n, b + batch_size));
    std::optional<amp::AutocastGuard> amp;
    if (amp_mode == "bf16") amp.emplace(DeviceType::CPU, kBFloat16);
    const auto pred = to_vector<int64_t>(argmax(model.forward(x, attention_mask_of(x, pad_id)).logits.to(kF32), -1));
    predicted.insert(predicted.end(), pred.begin(), pred.end());
  }
  model.train();
  return classification_scores(targets, predicted, classes);
}

}  // namespace

int finetune(const FinetuneOptions& o) {
  set_num_threads_if(o.threads);
  fs::create_directories(o.out);
  text::TextFolderOptions fo;
  fo.replace_invalid_utf8 = true;
  const text::TextFolder folder(o.data, fo);
  const Split split = split_documents(folder, o.seed);
  const bool fresh = o.pretrained == "none";
  const fs::path pre(o.pretrained);
  models::BertConfig config;
  std::unique_ptr<text::BertTokenizer> tok;
  if (fresh) {
    // No pre-training: a vocabulary from the training articles and a randomly initialised BERT-mini.
    std::vector<std::string> texts;
    for (size_t i : split.train) texts.push_back(folder.text(i));
    text::WordPieceTrainerOptions wo;
    wo.vocab_size = 8000;
    tok = std::make_unique<text::BertTokenizer>(text::train_wordpiece(texts, wo));
    config = models::BertConfig::bert_mini();
    config.vocab_size = tok->vocab_size();
  } else {
    tok = std::make_unique<text::BertTokenizer>(text::BertTokenizer::from_vocab_file((pre / "vocab.txt").string()));
    config = models::BertConfig::from_json_file(pre / "config.json");
  }
  config.num_labels = static_cast<int64_t>(folder.classes().size());
  // The attention is a choice of computation, not of weights: a model pre-trained with either runs with the other.
  if (!o.attention.empty()) config.attention_type = o.attention;
  if (o.lsh_buckets > 0) config.lsh_n_buckets = o.lsh_buckets;
  if (o.lsh_hashes > 0) config.lsh_n_hashes = o.lsh_hashes;
  if (o.lsh_chunk > 0) config.lsh_chunk_size = o.lsh_chunk;
  config.validate();
  config.max_position_embeddings = std::max(config.max_position_embeddings, o.max_length);
  manual_seed(o.seed);
  auto model = std::make_shared<models::BertForSequenceClassification>(config);
  if (!fresh) {
    nn::StateDict state = io::load_safetensors(pre / "model.safetensors").tensors;
    const nn::StateDict initial = model->state_dict();
    // Fine-tuning on longer sequences than the pre-training saw: the pre-trained position embeddings fill the
    // first rows of the larger table, the rows after them keep their initialisation (BERT's own 128 -> 512 step).
    for (auto& [key, t] : state) {
      if (key != "bert.embeddings.position_embeddings.weight" || t.size(0) >= config.max_position_embeddings)
        continue;
      Tensor grown;
      for (const auto& [k, v] : initial)
        if (k == key) grown = v.detach().clone();
      grown.narrow(0, 0, t.size(0)).copy_(t);
      std::cerr << "position embeddings: the " << t.size(0) << " pre-trained rows extended to "
                << config.max_position_embeddings << " for --max-length " << o.max_length << "\n";
      t = grown;
    }
    model->load_state_dict(state, /*strict=*/false);
  }
  model->train();

  std::vector<size_t> train_idx = split.train;
  if (o.limit_train > 0 && static_cast<int64_t>(train_idx.size()) > o.limit_train) {
    // A seeded random subset: the split's indices are sorted, so a prefix would hold only the first classes.
    std::mt19937_64 rng(o.seed);
    std::shuffle(train_idx.begin(), train_idx.end(), rng);
    train_idx.resize(static_cast<size_t>(o.limit_train));
  }
  auto train_ds = tokenised(*tok, folder, train_idx, o.max_length);
  auto val_ds = tokenised(*tok, folder, split.val, o.max_length);
  auto test_ds = tokenised(*tok, folder, split.test, o.max_length);
  data::DataLoaderOptions lo;
  lo.batch_size = static_cast<size_t>(o.batch_size);
  lo.shuffle = true;
  lo.seed = o.seed;
  data::DataLoader loader(train_ds.dataset, lo);
  const int64_t steps = static_cast<int64_t>(loader.len());
  const int64_t total = std::max<int64_t>(1, steps * o.epochs);
  auto opt = make_adamw(*model, o.lr, o.weight_decay);
  auto sched = make_schedule(*opt, "linear", static_cast<int64_t>(o.warmup * total), total);
  std::cerr << "fine-tuning " << (fresh ? "a fresh" : "the pre-trained") << " BERT (" << config.num_hidden_layers
            << " x " << config.hidden_size << ", " << config.attention_type << " attention"
            << (config.attention_type == "lsh" ? " " + std::to_string(config.lsh_n_buckets) + " buckets x " +
                                                     std::to_string(config.lsh_n_hashes) + " hashes, chunk " +
                                                     std::to_string(config.lsh_chunk_size)
                                               : std::string())
            << ", length " << o.max_length << ") on " << train_ds.size() << " articles, validating on "
            << val_ds.size() << ", testing on " << test_ds.size() << " (" << config.num_labels << " classes)\n";

  const int64_t classes = config.num_labels, pad = tok->pad_token_id();
  double best_val = -1;
  int64_t best_epoch = 0, waited = 0;
  nn::StateDict best;
  std::ofstream log(fs::path(o.out) / "finetune_log.csv");
  log << "epoch,train_loss,val_accuracy,val_macro_f1\n";
  for (int64_t epoch = 0; epoch < o.epochs; ++epoch) {
    loader.set_epoch(static_cast<uint64_t>(epoch));
    train::ProgressOptions po;
    po.unit = "doc";
    train::ProgressBar bar(steps, po);
    bar.start("epoch " + std::to_string(epoch + 1) + "/" + std::to_string(o.epochs));
    int64_t step = 0;
    double loss_sum = 0;
    for (const auto& batch : loader) {
      Tensor loss;
      {
        std::optional<amp::AutocastGuard> amp;
        if (o.amp == "bf16") amp.emplace(DeviceType::CPU, kBFloat16);
        loss = model->forward(batch.data, attention_mask_of(batch.data, pad), Tensor(), batch.target).loss;
      }
      loss.backward();
      if (o.clip_grad > 0) optim::clip_grad_norm_(model->parameters(), o.clip_grad);
      opt->step();
      opt->zero_grad();
      sched->step();
      const double l = loss.item<double>();
      loss_sum += l;
      bar.update(++step, l, batch.data.size(0));
    }
    bar.finish();
    const Scores v = evaluate(*model, val_ds, classes, pad, o.batch_size, o.amp);
    log << epoch + 1 << ',' << loss_sum / std::max<int64_t>(1, step) << ',' << v.accuracy << ',' << v.macro_f1 << '\n';
    std::cerr << "epoch " << epoch + 1 << ": validation accuracy " << std::fixed << std::setprecision(2)
              << 100 * v.accuracy << "%, macro-F1 " << std::setprecision(4) << v.macro_f1 << "\n";
    if (v.accuracy > best_val) {
      best_val = v.accuracy;
      best_epoch = epoch + 1;
      waited = 0;
      best.clear();
      for (auto& [k, t] : model->state_dict()) best.emplace_back(k, t.clone());
    } else if (++waited >= o.patience) {
      std::cerr << "early stop: no better validation accuracy for " << o.patience << " epochs\n";
      break;
    }
  }
  model->nn::Module::load_state_dict(best);
  const Scores t = evaluate(*model, test_ds, classes, pad, o.batch_size, o.amp);
  print_test_scores(t, folder.classes(), "best validation epoch " + std::to_string(best_epoch));
  return 0;
}

}  // namespace bert_example
