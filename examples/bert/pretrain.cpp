// BERT masked-language-model pre-training (train_bert pretrain): a WordPiece vocabulary trained on the
// corpus, sequences packed to --max-length, dynamic masking (15%; 80/10/10) drawn anew for every batch,
// AdamW without decay on biases and LayerNorm, warmup + linear/cosine decay, gradient accumulation and
// clipping, bf16 autocast, a time budget, checkpoints and resume, held-out MLM loss and accuracy.
#include <chrono>
#include <fstream>
#include <iomanip>
#include <iostream>

#include "bert/bert_common.h"
#include "seek/core/autocast.h"
#include "seek/autograd/grad_mode.h"
#include "seek/data/dataloader.h"
#include "seek/io/safetensors.h"
#include "seek/ops/reduce.h"
#include "seek/optim/clip_grad.h"
#include "seek/train/checkpoint.h"
#include "seek/train/progress.h"

namespace bert_example {

namespace {

// Held-out MLM loss and accuracy with a fixed mask (the same positions at every evaluation).
std::pair<double, double> evaluate_mlm(models::BertForMaskedLM& model, const text::BertTokenizer& tok,
                                       const Tensor& held_out, int64_t batch_size, const PretrainOptions& o) {
  NoGradGuard no_grad;
  model.eval();
  Generator gen(12345);
  double loss_sum = 0, correct = 0, predicted = 0;
  const int64_t n = held_out.size(0);
  for (int64_t s = 0; s < n; s += batch_size) {
    const Tensor ids = held_out.slice(0, s, std::min(n, s + batch_size));
    const text::MlmBatch m = text::mask_tokens(ids, tok, {}, &gen);
    std::optional<amp::AutocastGuard> amp;
    if (o.amp == "bf16") amp.emplace(DeviceType::CPU, kBFloat16);
    // The head on the masked positions only (logits [n_masked, vocab], labels in the same order).
    const auto out = model.forward_masked(m.input_ids, m.attention_mask, m.labels);
    const Tensor labels = m.labels.reshape({-1});
    const Tensor due = labels.index_select(0, (labels != -100).nonzero().reshape({-1}));
    const double count = static_cast<double>(due.numel());
    if (count == 0) continue;
    loss_sum += out.loss.item<double>() * count;
    correct += (argmax(out.logits.to(kF32), -1) == due).sum().item<double>();
    predicted += count;
  }
  model.train();
  return {predicted > 0 ? loss_sum / predicted : NAN, predicted > 0 ? correct / predicted : NAN};
}

}  // namespace

int pretrain(const PretrainOptions& o) {
  set_num_threads_if(o.threads);
  const auto t_start = std::chrono::steady_clock::now();
  fs::create_directories(o.out);
  text::TextFolderOptions fo;
  fo.replace_invalid_utf8 = true;  // one BBC article is Latin-1 ("£")
  const text::TextFolder folder(o.data, fo);
  const Split split = split_documents(folder, o.seed);
  std::vector<std::string> corpus;
  for (size_t i : split.train) corpus.push_back(folder.text(i));
  const size_t bbc_docs = corpus.size();
  for (const auto& extra : o.corpus)
    for (auto& t : text::read_corpus({extra}, text::CorpusSplit::Fortunes)) corpus.push_back(std::move(t));
  std::cerr << "corpus: " << bbc_docs << " BBC training articles + " << corpus.size() - bbc_docs << " other texts";
  if (o.limit_docs > 0 && static_cast<int64_t>(corpus.size()) > o.limit_docs) {
    corpus.resize(static_cast<size_t>(o.limit_docs));
    std::cerr << ", the first " << o.limit_docs << " used";
  }
  std::cerr << "\n";

  text::WordPieceTrainerOptions wo;
  wo.vocab_size = o.vocab_size;
  const text::BertTokenizer tok(text::train_wordpiece(corpus, wo));
  tok.save_vocab((fs::path(o.out) / "vocab.txt").string());
  auto seqs = text::pack_sequences(tok, corpus, o.max_length);
  // Every 20th sequence is held out for evaluation.
  std::vector<std::vector<int64_t>> train_seqs, eval_seqs;
  for (size_t i = 0; i < seqs.size(); ++i) (i % 20 == 19 ? eval_seqs : train_seqs).push_back(std::move(seqs[i]));
  const Tensor train_ids = text::pad_sequences(train_seqs, o.max_length, tok.pad_token_id());
  const Tensor eval_ids = text::pad_sequences(eval_seqs, o.max_length, tok.pad_token_id());
  std::cerr << "vocabulary " << tok.vocab_size() << ", " << train_seqs.size() << " training and " << eval_seqs.size()
            << " held-out sequences of " << o.max_length << " tokens\n";

  models::BertConfig config = o.model == "tiny" ? models::BertConfig::bert_tiny() : models::BertConfig::bert_mini();
  config.vocab_size = tok.vocab_size();
  config.max_position_embeddings = std::max<int64_t>(o.max_length, 512);  // BERT's 512: fine-tuning may use longer inputs
  config.attention_type = o.attention;
  config.pad_token_id = tok.pad_token_id();
  manual_seed(o.seed);
  auto model = std::make_shared<models::BertForMaskedLM>(config);
  model->train();

  const int64_t n_train = train_ids.size(0);
  auto ds = std::make_shared<data::TensorDataset>(train_ids, zeros({n_train}, TensorOptions(kInt64)));
  data::DataLoaderOptions lo;
  lo.batch_size = static_cast<size_t>(o.batch_size);
  lo.shuffle = true;
  lo.seed = o.seed;
  lo.drop_last = true;
  data::DataLoader loader(ds, lo);
  const int64_t steps_per_epoch = static_cast<int64_t>(loader.len()) / o.accumulation;
  const int64_t max_total = std::max<int64_t>(1, steps_per_epoch * o.epochs);
  const int64_t first_plan = max_total;  // --max-steps stops a run early without moving the schedule's end
  auto warmup_of = [&](int64_t total) { return static_cast<int64_t>(o.warmup * static_cast<double>(total)); };
  auto opt = make_adamw(*model, o.lr, o.weight_decay);
  auto sched = std::make_unique<WarmupDecaySchedule>(*opt, o.schedule, warmup_of(first_plan), first_plan);
  Generator mask_gen(o.seed + 1);
  train::CheckpointParts parts{model.get(), opt.get(), sched.get(), nullptr, &loader};
  train::TrainingProgress progress;
  if (!o.resume.empty()) {
    progress = train::load_checkpoint(o.resume, parts);
    if (progress.values.contains("planned_steps"))  // the schedule's end as the interrupted run had planned it
      sched->set_steps(static_cast<int64_t>(progress.values.at("warmup_steps")),
                       static_cast<int64_t>(progress.values.at("planned_steps")));
    std::cerr << "resumed at step " << progress.step << " (epoch " << progress.epoch << ")\n";
  }
  std::cerr << "BERT-" << o.model << " (" << config.num_hidden_layers << " layers, " << config.hidden_size
            << " hidden, " << config.attention_type << " attention), " << sched->total_steps()
            << " steps planned, batch " << o.batch_size << " x " << o.accumulation << ", amp " << o.amp << "\n";

  const auto budget = std::chrono::duration<double>(o.max_minutes * 60.0);
  const auto t_train = std::chrono::steady_clock::now();
  const int64_t first_step = progress.step;
  bool out_of_time = false;
  // THE BUDGET: after kPlanSteps steps of a fresh run (timed from step kPlanFrom: the first ones allocate), and
  // again after every evaluation, the steps that fit in the rest of the budget (an evaluation counted at its
  // measured cost, or a third of a training step per held-out batch before the first one) become the end of the
  // schedule, and the warmup its --warmup fraction of them.
  constexpr int64_t kPlanFrom = 3, kPlanSteps = 15;
  auto t_plan_from = t_train;
  double eval_seconds = -1;  // the last evaluation's cost
  const int64_t eval_batches = (eval_ids.size(0) + o.batch_size - 1) / o.batch_size;
  auto replan = [&](double per_step, const char* when) {
    if (budget.count() <= 0) return;
    const double left = budget.count() - std::chrono::duration<double>(std::chrono::steady_clock::now() - t_train).count();
    const double per_eval = eval_seconds >= 0 ? eval_seconds : per_step / 3 * static_cast<double>(eval_batches);
    const double cost = per_step + per_eval / static_cast<double>(o.eval_every);
    int64_t plan = progress.step + static_cast<int64_t>(std::floor(std::max(0.0, left) / cost));
    plan = std::clamp<int64_t>(plan, std::max<int64_t>(progress.step, 1), first_plan);
    if (plan == sched->total_steps()) return;
    // The warmup moves with the plan only while it is still running.
    const int64_t warmup = progress.step < sched->warmup_steps() ? warmup_of(plan) : sched->warmup_steps();
    sched->set_steps(warmup, plan);
    std::cerr << "\nthe budget fits " << plan << " steps (" << std::fixed << std::setprecision(2) << per_step
              << " s each, " << when << "): the schedule ends there, warmup " << warmup << " steps\n"
              << std::defaultfloat;
  };
  auto save_plan = [&] {
    progress.values["planned_steps"] = static_cast<double>(sched->total_steps());
    progress.values["warmup_steps"] = static_cast<double>(sched->warmup_steps());
  };
  std::ofstream log(fs::path(o.out) / "pretrain_log.csv", progress.step > 0 ? std::ios::app : std::ios::trunc);
  if (progress.step == 0) log << "step,lr,train_loss,eval_loss,eval_accuracy,seconds\n";
  for (int64_t epoch = progress.epoch; epoch < o.epochs && !out_of_time; ++epoch) {
    loader.set_epoch(static_cast<uint64_t>(epoch));
    int64_t first_batch = 0;  // > 0 when resuming inside this epoch
    if (progress.step > epoch * steps_per_epoch) {
      first_batch = (progress.step - epoch * steps_per_epoch) * o.accumulation;
      loader.load_state({static_cast<uint64_t>(epoch), static_cast<size_t>(first_batch)});
    }
    train::ProgressOptions po;
    po.unit = "tok";
    train::ProgressBar bar(steps_per_epoch, po);
    bar.start("epoch " + std::to_string(epoch + 1) + "/" + std::to_string(o.epochs));
    int64_t micro = 0;
    double loss_acc = 0;
    for (const auto& batch : loader) {
      // Micro-batches short of a whole step at the end of the epoch are left out: their gradients would
      // leak into the next epoch's first step.
      if (first_batch + micro >= steps_per_epoch * o.accumulation) break;
      // The mask of each micro-batch depends only on the seed and its position, so a resumed run draws
      // the masks the uninterrupted run would have.
      mask_gen.manual_seed(o.seed + 1 + static_cast<uint64_t>(progress.step * o.accumulation + micro % o.accumulation));
      const text::MlmBatch m = text::mask_tokens(batch.data, tok, {}, &mask_gen);
      Tensor loss;
      {
        std::optional<amp::AutocastGuard> amp;
        if (o.amp == "bf16") amp.emplace(DeviceType::CPU, kBFloat16);
        loss = model->forward_masked(m.input_ids, m.attention_mask, m.labels).loss;  // sparse prediction
      }
      (loss / static_cast<double>(o.accumulation)).backward();
      loss_acc += loss.item<double>() / o.accumulation;
      if (++micro % o.accumulation != 0) continue;
      if (o.clip_grad > 0) optim::clip_grad_norm_(model->parameters(), o.clip_grad);
      opt->step();
      opt->zero_grad();
      sched->step();
      ++progress.step;
      const int64_t in_epoch = progress.step - epoch * steps_per_epoch;
      bar.update(in_epoch, loss_acc, o.batch_size * o.accumulation * o.max_length);
      if (progress.step == kPlanFrom) t_plan_from = std::chrono::steady_clock::now();
      if (progress.step == kPlanSteps && o.resume.empty())
        replan(std::chrono::duration<double>(std::chrono::steady_clock::now() - t_plan_from).count() /
                   (kPlanSteps - kPlanFrom),
               "measured over the first steps");
      const bool last = in_epoch == steps_per_epoch;
      out_of_time = (budget.count() > 0 && std::chrono::steady_clock::now() - t_train > budget) ||
                    progress.step >= sched->total_steps() || (o.max_steps > 0 && progress.step >= o.max_steps);
      if (progress.step % o.eval_every == 0 || last || out_of_time) {
        const auto t_eval = std::chrono::steady_clock::now();
        const auto [el, ea] = evaluate_mlm(*model, tok, eval_ids, o.batch_size, o);
        eval_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t_eval).count();
        const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t_train).count();
        log << progress.step << ',' << opt->param_groups()[0].lr() << ',' << loss_acc << ',' << el << ',' << ea << ','
            << secs << '\n'
            << std::flush;
        std::cerr << "\nstep " << progress.step << ": held-out MLM loss " << std::fixed << std::setprecision(4) << el
                  << ", accuracy " << std::setprecision(2) << 100 * ea << "%\n";
      }
      loss_acc = 0;
      if (progress.step % o.eval_every == 0 && !out_of_time && progress.step > kPlanSteps) {
        const double trained = std::chrono::duration<double>(std::chrono::steady_clock::now() - t_train).count();
        const int64_t evals = progress.step / o.eval_every - first_step / o.eval_every;
        replan((trained - eval_seconds * static_cast<double>(evals)) /
                   static_cast<double>(std::max<int64_t>(progress.step - first_step, 1)),
               "the mean so far");
      }
      save_plan();
      if (o.checkpoint_every > 0 && progress.step % o.checkpoint_every == 0)
        train::save_checkpoint(fs::path(o.out) / "checkpoint", parts, progress);
      if (out_of_time) break;
    }
    bar.finish();
    if (!out_of_time) progress.epoch = epoch + 1;
  }
  if (out_of_time)
    std::cerr << "stopped at step " << progress.step << " (the planned end, the time budget or --max-steps)\n";
  save_plan();
  train::save_checkpoint(fs::path(o.out) / "checkpoint", parts, progress);
  const auto [el, ea] = evaluate_mlm(*model, tok, eval_ids, o.batch_size, o);
  io::save_safetensors(fs::path(o.out) / "model.safetensors", model->state_dict());
  std::ofstream(fs::path(o.out) / "config.json") << config.to_json();
  const double minutes = std::chrono::duration<double>(std::chrono::steady_clock::now() - t_start).count() / 60;
  std::cout << "pretrained " << progress.step << " steps in " << std::fixed << std::setprecision(1) << minutes
            << " min; held-out MLM loss " << std::setprecision(4) << el << ", accuracy " << std::setprecision(2)
            << 100 * ea << "%; model in " << o.out << "\n";
  return 0;
}

}  // namespace bert_example
