// train_bert: BERT masked-language-model pre-training and text-classification fine-tuning on BBC News
// (scripts/train_bert.sh runs both; docs/bert.md).
//
//   train_bert pretrain [--data DIR] [--corpus PATH]... [--out DIR] [--model mini|tiny]
//                       [--attention standard|lsh] [--vocab-size N] [--max-length N] [--batch-size N]
//                       [--accumulation N] [--epochs N] [--lr X] [--weight-decay X] [--warmup FRACTION]
//                       [--schedule linear|cosine] [--clip-grad X] [--amp off|bf16] [--max-minutes X]
//                       [--eval-every N] [--checkpoint-every N] [--resume DIR] [--limit-docs N] [--max-steps N]
//                       [--seed N] [--threads N]
//   train_bert finetune [--data DIR] [--pretrained DIR|none] [--out DIR] [--max-length N] [--batch-size N]
//                       [--epochs N] [--lr X] [--weight-decay X] [--warmup FRACTION] [--patience N]
//                       [--clip-grad X] [--amp off|bf16] [--limit-train N] [--seed N] [--threads N]
//                       [--attention standard|lsh] [--lsh-buckets N] [--lsh-hashes N] [--lsh-chunk N]
//   train_bert baseline [--data DIR] [--out DIR] [--min-df N] [--sublinear-tf 0|1] [--C X] [--max-iter N]
//                       [--tol X] [--seed N] [--threads N]      (TF-IDF + logistic regression, same split)
#include <filesystem>
#include <iostream>

#include "bert/bert_common.h"
#include "common/cli.h"
#include "seek/core/error.h"

using seek::examples::one_of;
using seek::examples::to_double;
using seek::examples::to_int;
using seek::examples::UsageError;

namespace {

void usage(std::ostream& os) {
  os << "usage: train_bert pretrain|finetune|baseline [flags]   (flags: see examples/bert/main.cpp or docs/bert.md)\n";
}

// The flags both modes take (their option structs share these member names); false for any other flag.
template <typename Options>
bool common_flag(Options& o, const std::string& flag, const std::string& v) {
  if (flag == "--data") o.data = v;
  else if (flag == "--out") o.out = v;
  else if (flag == "--amp") o.amp = one_of(flag, v, {"off", "bf16"});
  else if (flag == "--max-length") o.max_length = to_int(flag, v, 8);
  else if (flag == "--batch-size") o.batch_size = to_int(flag, v, 1);
  else if (flag == "--epochs") o.epochs = to_int(flag, v, 1);
  else if (flag == "--threads") o.threads = to_int(flag, v, 0);
  else if (flag == "--seed") o.seed = static_cast<uint64_t>(to_int(flag, v, 0));
  else if (flag == "--lr") o.lr = to_double(flag, v, 0);
  else if (flag == "--weight-decay") o.weight_decay = to_double(flag, v, 0);
  else if (flag == "--warmup") o.warmup = to_double(flag, v, 0);
  else if (flag == "--clip-grad") o.clip_grad = to_double(flag, v, 0);
  else return false;
  return true;
}

bert_example::PretrainOptions parse_pretrain(int argc, char** argv) {
  bert_example::PretrainOptions o;
  for (int i = 2; i < argc; ++i) {
    const std::string flag = argv[i];
    if (flag == "--help") throw UsageError("help");
    if (i + 1 >= argc) throw UsageError(flag + " needs a value");
    const std::string v = argv[++i];
    if (common_flag(o, flag, v)) continue;
    if (flag == "--corpus") o.corpus.push_back(v);
    else if (flag == "--resume") o.resume = v;
    else if (flag == "--model") o.model = one_of(flag, v, {"mini", "tiny"});
    else if (flag == "--attention") o.attention = one_of(flag, v, {"standard", "lsh"});
    else if (flag == "--schedule") o.schedule = one_of(flag, v, {"linear", "cosine"});
    else if (flag == "--vocab-size") o.vocab_size = to_int(flag, v, 16);
    else if (flag == "--accumulation") o.accumulation = to_int(flag, v, 1);
    else if (flag == "--eval-every") o.eval_every = to_int(flag, v, 1);
    else if (flag == "--checkpoint-every") o.checkpoint_every = to_int(flag, v, 0);
    else if (flag == "--limit-docs") o.limit_docs = to_int(flag, v, 0);
    else if (flag == "--max-steps") o.max_steps = to_int(flag, v, 0);
    else if (flag == "--max-minutes") o.max_minutes = to_double(flag, v, 0);
    else throw UsageError("unknown flag " + flag);
  }
  return o;
}

bert_example::FinetuneOptions parse_finetune(int argc, char** argv) {
  bert_example::FinetuneOptions o;
  for (int i = 2; i < argc; ++i) {
    const std::string flag = argv[i];
    if (flag == "--help") throw UsageError("help");
    if (i + 1 >= argc) throw UsageError(flag + " needs a value");
    const std::string v = argv[++i];
    if (common_flag(o, flag, v)) continue;
    if (flag == "--pretrained") o.pretrained = v;
    else if (flag == "--attention") o.attention = one_of(flag, v, {"standard", "lsh"});
    else if (flag == "--lsh-buckets") o.lsh_buckets = to_int(flag, v, 1);
    else if (flag == "--lsh-hashes") o.lsh_hashes = to_int(flag, v, 1);
    else if (flag == "--lsh-chunk") o.lsh_chunk = to_int(flag, v, 1);
    else if (flag == "--patience") o.patience = to_int(flag, v, 1);
    else if (flag == "--limit-train") o.limit_train = to_int(flag, v, 0);
    else throw UsageError("unknown flag " + flag);
  }
  return o;
}

bert_example::BaselineOptions parse_baseline(int argc, char** argv) {
  bert_example::BaselineOptions o;
  for (int i = 2; i < argc; ++i) {
    const std::string flag = argv[i];
    if (flag == "--help") throw UsageError("help");
    if (i + 1 >= argc) throw UsageError(flag + " needs a value");
    const std::string v = argv[++i];
    if (flag == "--data") o.data = v;
    else if (flag == "--out") o.out = v;
    else if (flag == "--min-df") o.min_df = to_int(flag, v, 1);
    else if (flag == "--sublinear-tf") o.sublinear_tf = one_of(flag, v, {"0", "1"}) == "1";
    else if (flag == "--C") o.c = to_double(flag, v, 1e-12);
    else if (flag == "--max-iter") o.max_iter = to_int(flag, v, 1);
    else if (flag == "--tol") o.tol = to_double(flag, v, 0);
    else if (flag == "--seed") o.seed = static_cast<uint64_t>(to_int(flag, v, 0));
    else if (flag == "--threads") o.threads = to_int(flag, v, 0);
    else throw UsageError("unknown flag " + flag);
  }
  return o;
}

}  // namespace

int main(int argc, char** argv) {
  const std::string mode = argc > 1 ? argv[1] : "";
  if (mode != "pretrain" && mode != "finetune" && mode != "baseline") {
    std::cerr << "train_bert: the first argument must be pretrain, finetune or baseline\n";
    usage(std::cerr);
    return 2;
  }
  // Parses the mode's flags, checks the data folder, trains.
  auto run = [&](auto parse, auto train) -> int {
    auto o = seek::examples::parse_or_usage("train_bert", argc, argv, parse, usage);
    if (!o) return 2;
    if (!std::filesystem::is_directory(o->data)) {
      std::cerr << "train_bert: no text folder at " << o->data << " (scripts/get_bbc_news.sh makes it)\n";
      return 2;
    }
    return train(*o);
  };
  try {
    if (mode == "baseline") return run(parse_baseline, bert_example::baseline);
    return mode == "pretrain" ? run(parse_pretrain, bert_example::pretrain) : run(parse_finetune, bert_example::finetune);
  } catch (const seek::Error& e) {
    std::cerr << "train_bert: " << e.what() << "\n";
    return 1;
  }
}
