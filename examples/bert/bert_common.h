#pragma once
// Shared parts of the BERT example (examples/bert): the BBC News split that pre-training and fine-tuning
// agree on, tokenised datasets, AdamW with Hugging Face's weight-decay exclusions, and the schedule.
#include <omp.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <iomanip>
#include <iostream>
#include <memory>
#include <numbers>
#include <string>
#include <vector>

#include "seek/data/dataset.h"
#include "seek/models/bert.h"
#include "seek/ops/creation.h"
#include "seek/optim/adam.h"
#include "seek/optim/lr_scheduler.h"
#include "seek/text/bert_tokenizer.h"
#include "seek/text/mlm.h"
#include "seek/text/text_data.h"

namespace bert_example {

namespace fs = std::filesystem;
using namespace seek;

// The stratified train / validation / test split (80 / 10 / 10) of a text folder with a fixed seed:
// pre-training reads only the training documents, fine-tuning all three parts.
struct Split {
  std::vector<size_t> train, val, test;
};

inline Split split_documents(const text::TextFolder& folder, uint64_t seed) {
  const int64_t n = static_cast<int64_t>(folder.size());
  auto labels = tensor(folder.labels(), Shape{n});
  auto ds = std::make_shared<data::TensorDataset>(arange(n).to(kInt64), labels);
  auto parts = data::stratified_split(ds, {0.8, 0.1, 0.1}, seed);
  return {parts[0]->indices(), parts[1]->indices(), parts[2]->indices()};
}

// Documents as padded ids [N, max_length] (truncated) with their labels, and the TensorDataset over them;
// the attention mask is ids != [PAD].
struct TokenisedSet {
  Tensor ids, labels;
  std::shared_ptr<data::TensorDataset> dataset;
  size_t size() const { return static_cast<size_t>(ids.size(0)); }
};

inline TokenisedSet tokenised(const text::BertTokenizer& tok, const text::TextFolder& folder,
                              const std::vector<size_t>& which, int64_t max_length) {
  std::vector<std::string> texts;
  std::vector<int64_t> labels;
  for (size_t i : which) {
    texts.push_back(folder.text(i));
    labels.push_back(folder.label(i));
  }
  text::EncodeOptions eo;
  eo.max_length = max_length;
  eo.padding = text::Padding::MaxLength;
  TokenisedSet set;
  set.ids = tok.encode_batch(texts, eo).input_ids();
  set.labels = tensor(labels, Shape{static_cast<int64_t>(labels.size())});
  set.dataset = std::make_shared<data::TensorDataset>(set.ids, set.labels);
  return set;
}

// AdamW with Hugging Face's exclusions: no weight decay on biases and LayerNorm weights.
inline std::unique_ptr<optim::AdamW> make_adamw(const nn::Module& model, double lr, double weight_decay) {
  std::vector<Tensor> decay, no_decay;
  for (const auto& [name, p] : model.named_parameters()) {
    const bool exclude = name.size() >= 4 && (name.ends_with("bias") || name.find("LayerNorm") != std::string::npos);
    (exclude ? no_decay : decay).push_back(p);
  }
  optim::AdamWOptions o(lr);
  o.weight_decay_(weight_decay);
  std::vector<optim::ParamGroup> groups;
  groups.emplace_back(decay);
  optim::AdamWOptions nd = o;
  nd.weight_decay_(0.0);
  groups.emplace_back(no_decay, nd);
  return std::make_unique<optim::AdamW>(std::move(groups), o);
}

// Linear warmup then linear decay to 0 or cosine (the two schedules HF's Trainer offers most).
inline std::unique_ptr<optim::LRScheduler> make_schedule(optim::Optimizer& opt, const std::string& kind,
                                                         int64_t warmup, int64_t total) {
  if (kind == "cosine") return std::make_unique<optim::WarmupCosineLR>(opt, warmup, total);
  return std::make_unique<optim::LinearWarmupDecayLR>(opt, warmup, total);
}

// Warmup from 0, then linear decay to 0 or cosine to 0 at total_steps (the formulas of LinearWarmupDecayLR and
// WarmupCosineLR), with an end that can move: a budgeted pre-training run (--max-minutes) times its first steps
// and sets total_steps to the steps that fit in the budget, so the rate has decayed when the time is up instead
// of being cut near its peak.
class WarmupDecaySchedule : public optim::LRScheduler {
 public:
  WarmupDecaySchedule(optim::Optimizer& opt, const std::string& kind, int64_t warmup, int64_t total)
      : LRScheduler(opt, "WarmupDecaySchedule"), cosine_(kind == "cosine"), warmup_(warmup), total_(total) {
    initial_step();
  }
  int64_t total_steps() const { return total_; }
  int64_t warmup_steps() const { return warmup_; }
  void set_steps(int64_t warmup, int64_t total) {
    warmup_ = std::max<int64_t>(warmup, 0);
    total_ = std::max<int64_t>(total, warmup_ + 1);
  }

 protected:
  std::vector<double> compute_lr() const override {
    const int64_t s = last_epoch();
    std::vector<double> lrs;
    for (double base : base_lrs()) {
      if (s < warmup_)
        lrs.push_back(base * static_cast<double>(s) / static_cast<double>(warmup_));
      else if (s >= total_)
        lrs.push_back(0.0);
      else if (cosine_)
        lrs.push_back(base * 0.5 *
                      (1.0 + std::cos(std::numbers::pi * static_cast<double>(s - warmup_) /
                                      static_cast<double>(total_ - warmup_))));
      else
        lrs.push_back(base * static_cast<double>(total_ - s) / static_cast<double>(total_ - warmup_));
    }
    return lrs;
  }

 private:
  bool cosine_;
  int64_t warmup_, total_;
};

inline Tensor attention_mask_of(const Tensor& ids, int64_t pad_id) { return (ids != pad_id).to(kInt64); }

struct PretrainOptions {
  std::string data = "data/bbc_news";  // the text folder (scripts/get_bbc_news.sh)
  std::vector<std::string> corpus;      // more plain text (fortune files or folders of them)
  std::string out = "build/train_bert_out/pretrain";
  std::string resume;
  std::string model = "mini";           // mini (4 x 256) or tiny (2 x 128)
  std::string attention = "standard";   // or "lsh"
  std::string schedule = "linear";      // or "cosine"
  std::string amp = "off";              // or "bf16"
  // One epoch (546 steps of 32 x 128 tokens) is what 15 minutes of the 2-core machine train: the schedule
  // then ends with the budget.
  int64_t vocab_size = 8000, max_length = 128, batch_size = 32, accumulation = 1, epochs = 3;
  int64_t eval_every = 200, checkpoint_every = 0, limit_docs = 0, threads = 0, max_steps = 0;
  double lr = 5e-4, weight_decay = 0.01, warmup = 0.06, clip_grad = 1.0, max_minutes = 15;
  uint64_t seed = 0;
};

// The TF-IDF + logistic regression baseline (train_bert baseline): scikit-learn's TfidfVectorizer and
// LogisticRegression defaults (min_df 1, smooth idf, l2 rows; C = 1, multinomial, unpenalised intercept).
struct BaselineOptions {
  std::string data = "data/bbc_news";
  std::string out = "build/train_bert_out/baseline";  // baseline_docs.tsv: the split and the words
  int64_t min_df = 1, max_iter = 2000, threads = 0;
  bool sublinear_tf = false;
  double c = 1.0, lr = 0.05, tol = 1e-4;  // Adam's step; stop when every gradient entry is below tol
  uint64_t seed = 0;
};

struct FinetuneOptions {
  std::string data = "data/bbc_news";
  std::string pretrained = "build/train_bert_out/pretrain";  // vocab.txt, config.json, model.safetensors
  std::string out = "build/train_bert_out/finetune";
  std::string amp = "off";
  std::string attention;  // "standard" or "lsh" (empty: the pre-trained config's); the weights are the same
  int64_t lsh_buckets = 0, lsh_hashes = 0, lsh_chunk = 0;  // 0: the config's (BertConfig's lsh_* fields)
  // Chosen on the validation split after the 15-minute pre-training: 128 tokens, lr 3e-4, 8 epochs reached
  // 89.7% validation accuracy where 256 tokens, lr 1e-4, 4 epochs reached 77.6% (docs/bert.md).
  int64_t max_length = 256, batch_size = 16, epochs = 8, patience = 3, limit_train = 0, threads = 0;
  double lr = 3e-4, weight_decay = 0.01, warmup = 0.1, clip_grad = 1.0;
  uint64_t seed = 0;
};

int pretrain(const PretrainOptions& o);
int finetune(const FinetuneOptions& o);
int baseline(const BaselineOptions& o);

// Test-split figures: accuracy, macro-F1 (the unweighted mean of the classes' F1) and the confusion matrix.
struct Scores {
  double accuracy = 0, macro_f1 = 0;
  std::vector<std::vector<int64_t>> confusion;  // [true][predicted]
};

inline Scores classification_scores(const std::vector<int64_t>& targets, const std::vector<int64_t>& predicted,
                                    int64_t classes) {
  Scores s;
  s.confusion.assign(static_cast<size_t>(classes), std::vector<int64_t>(static_cast<size_t>(classes), 0));
  for (size_t i = 0; i < targets.size(); ++i)
    ++s.confusion[static_cast<size_t>(targets[i])][static_cast<size_t>(predicted[i])];
  int64_t correct = 0;
  double f1_sum = 0;
  for (size_t c = 0; c < s.confusion.size(); ++c) {
    int64_t tp = s.confusion[c][c], fp = 0, fn = 0;
    for (size_t k = 0; k < s.confusion.size(); ++k) {
      if (k == c) continue;
      fp += s.confusion[k][c];
      fn += s.confusion[c][k];
    }
    correct += tp;
    f1_sum += tp == 0 ? 0.0 : 2.0 * tp / (2.0 * tp + fp + fn);
  }
  s.accuracy = targets.empty() ? 0 : static_cast<double>(correct) / static_cast<double>(targets.size());
  s.macro_f1 = f1_sum / static_cast<double>(classes);
  return s;
}

// "test accuracy 97.31%, macro-F1 0.9712 (<note>)" and the confusion matrix, on stdout.
inline void print_test_scores(const Scores& t, const std::vector<std::string>& class_names, const std::string& note) {
  std::cout << "test accuracy " << std::fixed << std::setprecision(2) << 100 * t.accuracy << "%, macro-F1 "
            << std::setprecision(4) << t.macro_f1 << " (" << note << ")\n";
  std::cout << "confusion matrix (rows: true ";
  for (const auto& c : class_names) std::cout << c << ' ';
  std::cout << ")\n";
  for (const auto& row : t.confusion) {
    for (int64_t x : row) std::cout << std::setw(5) << x;
    std::cout << '\n';
  }
}

inline void set_num_threads_if(int64_t threads) {
  if (threads > 0) omp_set_num_threads(static_cast<int>(threads));
}

}  // namespace bert_example
