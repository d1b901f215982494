#pragma once
// seek::train::Trainer: a small training loop over a DataLoader.
//
//   train::Trainer trainer(model, optimizer, train_loader, {.epochs = 10, .accumulation_steps = 4});
//   trainer.set_val_loader(&val_loader);
//   trainer.set_scheduler(&scheduler);
//   trainer.fit();
//
// ONE OPTIMIZER STEP. zero_grad, then for each of the step's m micro-batches (m =
// accumulation_steps, or fewer for the last group of an epoch, which still steps):
// output = forward(model, data), loss = loss_fn(output, target), backward of loss / m (so
// that the gradients are those of the mean loss over the m micro-batches); then gradient
// clipping (clip_grad_norm_ or clip_grad_value_), optimizer.step(), and the scheduler's
// step() when scheduler_interval is "step". Targets may be class indices or soft targets.
//
// EVALUATION every eval_every_steps optimizer steps and/or every eval_every_epochs epochs
// (at the epoch's end), on the validation loader, in eval mode without gradients. Metric
// names: "loss" plus options.metrics ("accuracy", "top<k>_accuracy"), prefixed "train_"
// (over the epoch, from the training-mode outputs) and "val_".
//
// MONITOR. options.monitor names a metric ("val_loss", "train_accuracy", ...); each time it
// is produced (val_*: at every evaluation; train_*: at every epoch end) it feeds the
// ReduceLROnPlateau (when set), the early stopping (patience > 0) and the best checkpoint.
//
// FILES under output_dir (when set): metrics.csv / metrics.jsonl (a row per evaluation and
// per epoch), checkpoint/ (every checkpoint_every_epochs / _steps) and best/ (when the
// monitored metric improves, with save_best).
//
// HOST SYNCHRONISATION. A training step reads nothing back from the device: the step's loss and
// the running training metrics stay float64 tensors there (see host_read.h), and are read at
// log points only: the steps where the progress bar prints (ProgressOptions::print_every, the
// last step) or log_every_steps logs, evaluations, epoch ends and checkpoints. A callback's
// on_step_end gets the loss as a StepLoss, read back only if the callback reads it;
// step_losses() reads the losses not yet read.
//
// RESUME. resume(dir) restores the model, optimizer, scheduler, plateau, loader position,
// the generators and the trainer's counters (epoch, step, early-stopping state, the running
// training metrics of an unfinished epoch); fit() then continues where the saved run was,
// and on the CPU produces the same losses bit for bit as the uninterrupted run.
#include <cmath>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "seek/amp/grad_scaler.h"
#include "seek/core/device.h"
#include "seek/core/tensor.h"
#include "seek/data/dataloader.h"
#include "seek/nn/module.h"
#include "seek/optim/lr_scheduler.h"
#include "seek/optim/optimizer.h"
#include "seek/train/callbacks.h"
#include "seek/train/checkpoint.h"
#include "seek/train/early_stopping.h"
#include "seek/train/metrics.h"
#include "seek/train/metrics_log.h"
#include "seek/train/progress.h"

namespace seek::nn {
class DistributedDataParallel;
}

namespace seek::train {

// (model, input) -> output; the default calls model.forward(input).
using ForwardFn = std::function<Tensor(nn::Module& model, const Tensor& input)>;

struct TrainerOptions {
  int64_t epochs = 1;
  int64_t max_steps = 0;           // > 0: train this many optimizer steps (epochs is then ignored; may end mid-epoch)
  int64_t accumulation_steps = 1;  // micro-batches per optimizer step (>= 1)

  double clip_grad_norm = 0;  // > 0: clip_grad_norm_(params, clip_grad_norm, clip_norm_type)
  double clip_norm_type = 2.0;
  double clip_grad_value = 0;  // > 0: clip_grad_value_(params, clip_grad_value); not with clip_grad_norm

  std::string scheduler_interval = "step";  // "step" (per optimizer step) or "epoch"

  int64_t eval_every_steps = 0;   // > 0: evaluate every this many optimizer steps
  int64_t eval_every_epochs = 1;  // > 0: evaluate at the end of every this many epochs

  std::vector<std::string> metrics = {"accuracy"};  // besides "loss"
  std::string monitor;                              // empty: none; e.g. "val_loss", "val_accuracy", "train_loss"
  std::string mode = "min";                         // of the monitored metric: "min" or "max"
  int64_t early_stopping_patience = 0;              // > 0: stop after this many monitored values without improvement
  double early_stopping_min_delta = 0.0;

  std::filesystem::path output_dir;  // empty: no files
  bool log_csv = true;
  bool log_jsonl = true;
  int64_t checkpoint_every_epochs = 0;  // > 0: save <output_dir>/checkpoint every this many epochs
  int64_t checkpoint_every_steps = 0;   // > 0: ... every this many optimizer steps
  bool save_best = true;                // with a monitor: save <output_dir>/best on improvement

  std::optional<Device> device;  // when set, batches are moved there

  // Mixed precision: "" (off), "bf16" or "fp16". The forward and the loss run under an
  // amp::AutocastGuard for the batches' device type with that dtype; "fp16" also scales the loss
  // with an amp::GradScaler (options below; its state is part of checkpoints). bf16 needs no
  // scaling, as in PyTorch.
  std::string amp;
  amp::GradScalerOptions grad_scaler;

  bool progress = true;
  ProgressOptions progress_options;    // out (default std::cerr), tty, print_every, unit
  bool progress_counts_items = false;  // rate in items (batch rows) per second, e.g. unit "img"
  int64_t log_every_steps = 0;         // > 0: logging::info of the running loss every this many steps
                                       // (a log point: the loss is read back from the device there)

  // issue 16: data-parallel training over dist::default_group() (call dist::init_process_group first; the
  // model must be owned by a std::shared_ptr). The model is wrapped in nn::DistributedDataParallel (micro-
  // batches but the last of an optimizer step run under no_sync()); the training loader must shard the data
  // (data::DistributedSampler); step losses and metrics are averaged over the ranks (weighted by rows); only
  // rank 0 prints the progress bar and writes logs and checkpoints, which hold the unwrapped model, so a
  // checkpoint resumes on any number of ranks (keep the global batch, ranks x batch_size, the same).
  bool distributed = false;
  double ddp_bucket_cap_mb = 25.0;
  bool ddp_find_unused_parameters = false;
};

class Trainer {
 public:
  // Checks the options (ValueError naming the option and the value). The references must
  // outlive the Trainer.
  Trainer(nn::Module& model, optim::Optimizer& optimizer, data::DataLoader& train_loader, TrainerOptions options = {});

  void set_val_loader(data::DataLoader* loader) { val_loader_ = loader; }
  void set_scheduler(optim::LRScheduler* scheduler) { scheduler_ = scheduler; }
  void set_plateau(optim::ReduceLROnPlateau* plateau) { plateau_ = plateau; }
  void set_loss_fn(LossFn fn);        // nullptr: cross_entropy
  void set_forward_fn(ForwardFn fn);  // nullptr: model.forward
  void add_callback(std::shared_ptr<Callback> callback);

  // Trains until options.epochs epochs (or max_steps steps) are done, early stopping or a
  // stop request. Throws ValueError for an unknown monitor or one that needs a missing
  // validation loader, or a plateau without a monitor.
  void fit();
  // Evaluates on `loader` (or the validation loader) in eval mode without gradients and returns
  // {"val_loss", "val_<metric>"...}; the model's training mode is restored afterwards.
  MetricValues evaluate(data::DataLoader* loader = nullptr);

  // Saves / restores a checkpoint of the whole run (see checkpoint.h for the layout).
  void save(const std::filesystem::path& dir);
  void resume(const std::filesystem::path& dir);

  // Ends the run after the current optimizer step (callbacks use this).
  void request_stop(const std::string& reason = "");
  bool stop_requested() const { return stop_requested_; }
  const std::string& stop_reason() const { return stop_reason_; }

  int64_t epoch() const { return epoch_; }                            // completed epochs
  int64_t global_step() const { return step_; }                       // completed optimizer steps
  const MetricValues& last_metrics() const { return last_metrics_; }  // latest epoch / evaluation values
  // The loss of every optimizer step of this process's fit() calls, in order (reads back the
  // ones not yet read).
  const std::vector<double>& step_losses() const;
  const EarlyStopping* early_stopping() const { return early_stopping_.get(); }
  const TrainerOptions& options() const { return options_; }
  // The metric names this trainer produces ("train_loss", ..., "val_loss", ...).
  std::vector<std::string> metric_names() const;
  nn::Module& model() { return model_; }  // the unwrapped model (also with distributed)
  // With options.distributed: the DistributedDataParallel wrapper the forward runs through (else nullptr).
  nn::DistributedDataParallel* ddp() { return ddp_.get(); }
  optim::Optimizer& optimizer() { return optimizer_; }
  // The loss scaler of options.amp == "fp16" (nullptr otherwise).
  amp::GradScaler* grad_scaler() { return grad_scaler_.get(); }

 private:
  void check_monitor() const;
  std::vector<std::unique_ptr<Metric>> make_metrics() const;
  void optimizer_step(const Tensor& loss, bool ends_epoch);
  bool is_log_point(int64_t step) const;
  void flush_step_losses() const;
  void end_epoch();
  MetricValues run_evaluation();
  void on_monitored(const MetricValues& values);
  void log_row(const MetricValues& values);
  double current_lr() const;
  int64_t total_steps() const;
  CheckpointParts parts();
  TrainingProgress progress_record() const;
  Tensor to_device(const Tensor& t) const;

  nn::Module& model_;
  std::shared_ptr<nn::DistributedDataParallel> ddp_;  // with options.distributed
  optim::Optimizer& optimizer_;
  data::DataLoader& train_loader_;
  TrainerOptions options_;
  data::DataLoader* val_loader_ = nullptr;
  optim::LRScheduler* scheduler_ = nullptr;
  optim::ReduceLROnPlateau* plateau_ = nullptr;
  LossFn loss_fn_;
  ForwardFn forward_fn_;
  std::vector<std::shared_ptr<Callback>> callbacks_;
  std::unique_ptr<EarlyStopping> early_stopping_;       // with patience > 0
  EarlyStopping best_tracker_;                          // best value of the monitor (for best/)
  std::vector<std::unique_ptr<Metric>> train_metrics_;  // running over the current epoch
  std::unique_ptr<MetricsLog> metrics_log_;
  std::unique_ptr<ProgressBar> progress_bar_;
  std::unique_ptr<amp::GradScaler> grad_scaler_;  // with amp "fp16"

  int64_t epoch_ = 0, step_ = 0;
  int64_t last_eval_step_ = -1;  // the step of the latest evaluation
  bool resumed_mid_epoch_ = false;
  bool stop_requested_ = false;
  std::string stop_reason_;
  MetricValues last_metrics_;
  mutable std::vector<double> step_losses_;
  // Step losses not read yet, on the device, after step_losses_: chunks of kStepLossChunk
  // (stacked without a read, so a long run without log points keeps few tensors), then the last ones.
  static constexpr size_t kStepLossChunk = 256;
  mutable std::vector<Tensor> step_loss_chunks_;
  mutable std::vector<Tensor> pending_step_losses_;
  int64_t step_items_ = 0;
};

}  // namespace seek::train
