#include "seek/train/trainer.h"

#include <algorithm>
#include <cstdio>
#include <limits>
#include <optional>
#include <utility>

#include "seek/autograd/grad_mode.h"
#include "seek/core/autocast.h"
#include "seek/core/error.h"
#include "seek/core/logging.h"
#include "seek/core/shape_util.h"
#include "seek/dist/ddp.h"
#include "seek/data/sampler.h"
#include "seek/dist/process_group.h"
#include "seek/nn/loss.h"
#include "seek/ops/shape.h"
#include "seek/optim/clip_grad.h"
#include "seek/train/host_read.h"

namespace seek::train {
namespace {

bool starts_with(const std::string& s, const std::string& prefix) { return s.compare(0, prefix.size(), prefix) == 0; }

// The position columns every metrics row carries (evaluation rows and epoch rows alike).
void stamp_row(MetricValues& row, int64_t epoch, int64_t step, double lr) {
  row["epoch"] = static_cast<double>(epoch);
  row["step"] = static_cast<double>(step);
  row["lr"] = lr;
}

std::string join(const std::vector<std::string>& names) {
  std::string out;
  for (size_t i = 0; i < names.size(); ++i) out += (i ? ", " : "") + names[i];
  return out;
}

// The autocast dtype of TrainerOptions::amp ("" is checked by the caller).
DType amp_dtype(const std::string& amp) { return amp == "fp16" ? kFloat16 : kBFloat16; }

std::string fixed(double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.4f", v);
  return buf;
}

// Where rank != 0 prints its (silent) progress bar: it keeps one so that its log points, where the ranks
// average metrics together, are the same steps as rank 0's.
std::ostream& null_stream() {
  static std::ostream s(nullptr);
  return s;
}

bool is_rank0(bool distributed) { return !distributed || dist::get_rank() == 0; }

// The metric over every rank: the ranks' states (sums and counts) are added, then computed.
double global_value(Metric& m, bool distributed) {
  if (!distributed || dist::get_world_size() == 1) return m.compute();
  const std::vector<double> local = m.state();
  const std::vector<double> total = dist::all_reduce_values(local, dist::ReduceOp::Sum);
  m.load_state(total);
  const double v = m.compute();
  m.load_state(local);
  return v;
}

}  // namespace

Trainer::Trainer(nn::Module& model, optim::Optimizer& optimizer, data::DataLoader& train_loader, TrainerOptions options)
    : model_(model),
      optimizer_(optimizer),
      train_loader_(train_loader),
      options_(std::move(options)),
      best_tracker_(options_.mode == "max" ? "max" : "min", std::numeric_limits<int64_t>::max()) {
  const TrainerOptions& o = options_;
  SEEK_CHECK_VALUE(o.epochs >= 1 || o.max_steps > 0, "Trainer: epochs must be >= 1, got ", o.epochs);
  SEEK_CHECK_VALUE(o.max_steps >= 0, "Trainer: max_steps must be >= 0 (0: use epochs), got ", o.max_steps);
  SEEK_CHECK_VALUE(o.accumulation_steps >= 1, "Trainer: accumulation_steps must be >= 1, got ", o.accumulation_steps);
  SEEK_CHECK_VALUE(o.clip_grad_norm >= 0, "Trainer: clip_grad_norm must be >= 0 (0: off), got ", o.clip_grad_norm);
  SEEK_CHECK_VALUE(o.clip_grad_value >= 0, "Trainer: clip_grad_value must be >= 0 (0: off), got ", o.clip_grad_value);
  SEEK_CHECK_VALUE(!(o.clip_grad_norm > 0 && o.clip_grad_value > 0),
                   "Trainer: set clip_grad_norm or clip_grad_value, not both (got ", o.clip_grad_norm, " and ",
                   o.clip_grad_value, ")");
  SEEK_CHECK_VALUE(o.clip_norm_type > 0, "Trainer: clip_norm_type must be > 0, got ", o.clip_norm_type);
  SEEK_CHECK_VALUE(o.scheduler_interval == "step" || o.scheduler_interval == "epoch",
                   "Trainer: scheduler_interval must be \"step\" or \"epoch\", got \"", o.scheduler_interval, "\"");
  SEEK_CHECK_VALUE(o.eval_every_steps >= 0, "Trainer: eval_every_steps must be >= 0, got ", o.eval_every_steps);
  SEEK_CHECK_VALUE(o.eval_every_epochs >= 0, "Trainer: eval_every_epochs must be >= 0, got ", o.eval_every_epochs);
  SEEK_CHECK_VALUE(o.mode == "min" || o.mode == "max", "Trainer: mode must be \"min\" or \"max\", got \"", o.mode,
                   "\"");
  SEEK_CHECK_VALUE(o.early_stopping_patience >= 0, "Trainer: early_stopping_patience must be >= 0 (0: off), got ",
                   o.early_stopping_patience);
  SEEK_CHECK_VALUE(o.early_stopping_patience == 0 || !o.monitor.empty(),
                   "Trainer: early_stopping_patience = ", o.early_stopping_patience, " needs options.monitor");
  SEEK_CHECK_VALUE(o.checkpoint_every_epochs >= 0 && o.checkpoint_every_steps >= 0,
                   "Trainer: checkpoint_every_epochs / _steps must be >= 0, got ", o.checkpoint_every_epochs, " / ",
                   o.checkpoint_every_steps);
  SEEK_CHECK_VALUE((o.checkpoint_every_epochs == 0 && o.checkpoint_every_steps == 0) || !o.output_dir.empty(),
                   "Trainer: checkpoint_every_epochs / _steps need options.output_dir");
  SEEK_CHECK_VALUE(o.log_every_steps >= 0, "Trainer: log_every_steps must be >= 0, got ", o.log_every_steps);
  SEEK_CHECK_VALUE(o.amp.empty() || o.amp == "bf16" || o.amp == "fp16",
                   "Trainer: amp must be \"\" (off), \"bf16\" or \"fp16\", got \"", o.amp, "\"");
  if (o.amp == "fp16") {
    try {
      grad_scaler_ = std::make_unique<amp::GradScaler>(o.grad_scaler);
    } catch (const ValueError& e) {
      SEEK_CHECK_VALUE(false, "Trainer: options.grad_scaler: ", e.what());
    }
  }
  for (const auto& name : o.metrics) {
    SEEK_CHECK_VALUE(name != "loss", "Trainer: options.metrics lists \"loss\", which is always computed");
    try {
      make_metric(name);
    } catch (const ValueError& e) {
      SEEK_CHECK_VALUE(false, "Trainer: options.metrics: ", e.what());
    }
  }
  if (!o.monitor.empty()) {
    const auto names = metric_names();
    SEEK_CHECK_VALUE(std::find(names.begin(), names.end(), o.monitor) != names.end(), "Trainer: unknown monitor '",
                     o.monitor, "' (expected one of: ", join(names), ")");
  }
  if (o.early_stopping_patience > 0)
    early_stopping_ = std::make_unique<EarlyStopping>(o.mode, o.early_stopping_patience, o.early_stopping_min_delta);
  if (o.progress) progress_bar_ = std::make_unique<ProgressBar>(1, o.progress_options);  // checks the options
  if (o.distributed) {
    SEEK_CHECK_VALUE(dist::is_initialized(),
                     "Trainer: distributed = true needs a process group: call dist::init_process_group() first");
    std::shared_ptr<nn::Module> owned;
    try {
      owned = model_.shared_from_this();
    } catch (const std::bad_weak_ptr&) {
      SEEK_CHECK_VALUE(false, "Trainer: distributed = true needs the model to be owned by a std::shared_ptr");
    }
    const auto* sampler = dynamic_cast<const data::DistributedSampler*>(train_loader_.options().sampler.get());
    SEEK_CHECK_VALUE(sampler != nullptr || dist::get_world_size() == 1,
                     "Trainer: distributed = true needs a training loader that reads this rank's share: set "
                     "DataLoaderOptions::sampler = std::make_shared<data::DistributedSampler>(dataset->size(), ",
                     dist::get_world_size(), ", ", dist::get_rank(), ", {.shuffle = true, .seed = ...})");
    SEEK_CHECK_VALUE(sampler == nullptr ||
                         (sampler->num_replicas() == dist::get_world_size() && sampler->rank() == dist::get_rank()),
                     "Trainer: the training loader's DistributedSampler is for rank ", sampler ? sampler->rank() : 0,
                     " of ", sampler ? sampler->num_replicas() : 0, ", but this process is rank ", dist::get_rank(),
                     " of ", dist::get_world_size());
    nn::DistributedDataParallelOptions d;
    d.bucket_cap_mb = o.ddp_bucket_cap_mb;
    d.find_unused_parameters = o.ddp_find_unused_parameters;
    ddp_ = std::make_shared<nn::DistributedDataParallel>(std::move(owned), d);
    if (progress_bar_ && dist::get_rank() != 0) {
      options_.progress_options.out = &null_stream();
      options_.progress_options.tty = false;
    }
  }
  set_loss_fn(nullptr);
  set_forward_fn(nullptr);
  train_metrics_ = make_metrics();
}

void Trainer::set_loss_fn(LossFn fn) {
  loss_fn_ =
      fn ? std::move(fn)
         : LossFn([](const Tensor& out, const Tensor& target) { return nn::functional::cross_entropy(out, target); });
}

void Trainer::set_forward_fn(ForwardFn fn) {
  forward_fn_ = fn ? std::move(fn) : ForwardFn([](nn::Module& m, const Tensor& x) { return m.forward(x); });
}

void Trainer::add_callback(std::shared_ptr<Callback> callback) {
  SEEK_CHECK_VALUE(callback != nullptr, "Trainer: add_callback() got a null callback");
  callbacks_.push_back(std::move(callback));
}

std::vector<std::string> Trainer::metric_names() const {
  std::vector<std::string> names;
  for (const char* prefix : {"train_", "val_"}) {
    names.push_back(std::string(prefix) + "loss");
    for (const auto& m : options_.metrics) names.push_back(prefix + m);
  }
  return names;
}

std::vector<std::unique_ptr<Metric>> Trainer::make_metrics() const {
  std::vector<std::unique_ptr<Metric>> metrics;
  metrics.push_back(std::make_unique<LossMetric>(loss_fn_));
  for (const auto& name : options_.metrics) metrics.push_back(make_metric(name));
  return metrics;
}

void Trainer::check_monitor() const {
  const std::string& m = options_.monitor;
  SEEK_CHECK_VALUE(plateau_ == nullptr || !m.empty(),
                   "Trainer: set_plateau() needs options.monitor (e.g. \"val_loss\")");
  if (starts_with(m, "val_")) {
    SEEK_CHECK_VALUE(val_loader_ != nullptr && (options_.eval_every_epochs > 0 || options_.eval_every_steps > 0),
                     "Trainer: monitor '", m,
                     "' needs a validation loader (set_val_loader) and eval_every_epochs or eval_every_steps > 0");
  }
}

void Trainer::request_stop(const std::string& reason) {
  stop_requested_ = true;
  stop_reason_ = reason;
}

double Trainer::current_lr() const {
  const auto& groups = optimizer_.param_groups();
  return groups.empty() ? NAN : groups.front().lr();
}

int64_t Trainer::total_steps() const {
  if (options_.max_steps > 0) return options_.max_steps;
  const auto k = static_cast<size_t>(options_.accumulation_steps);
  return options_.epochs * static_cast<int64_t>((train_loader_.len() + k - 1) / k);
}

Tensor Trainer::to_device(const Tensor& t) const {
  if (!options_.device || !t.defined() || t.device() == *options_.device) return t;
  return t.to(*options_.device);
}

void Trainer::fit() {
  check_monitor();
  SEEK_CHECK_VALUE(train_loader_.len() > 0, "Trainer: the training loader has no batches");
  if (!options_.output_dir.empty() && (options_.log_csv || options_.log_jsonl) && !metrics_log_ &&
      is_rank0(options_.distributed)) {
    std::vector<std::string> columns = {"epoch", "step", "lr"};
    for (const auto& n : metric_names()) columns.push_back(n);
    metrics_log_ = std::make_unique<MetricsLog>(options_.output_dir, columns,
                                                MetricsLogOptions{options_.log_csv, options_.log_jsonl});
  }
  stop_requested_ = false;
  stop_reason_.clear();
  if (progress_bar_)
    progress_bar_ = std::make_unique<ProgressBar>(std::max<int64_t>(1, total_steps()), options_.progress_options);
  auto finished = [&] {
    if (stop_requested_) return true;
    return options_.max_steps > 0 ? step_ >= options_.max_steps : epoch_ >= options_.epochs;
  };
  for (auto& cb : callbacks_) cb->on_train_begin(*this);
  model_.train();
  nn::Module& net = ddp_ ? static_cast<nn::Module&>(*ddp_) : model_;
  const size_t n = train_loader_.len();
  const auto k = static_cast<size_t>(options_.accumulation_steps);
  while (!finished()) {
    const int64_t e = epoch_;
    if (!resumed_mid_epoch_) {
      train_loader_.set_epoch(static_cast<uint64_t>(e));
      for (auto& m : train_metrics_) m->reset();
    }
    resumed_mid_epoch_ = false;
    for (auto& cb : callbacks_) cb->on_epoch_begin(*this, e);
    if (progress_bar_) {
      progress_bar_->start(options_.max_steps > 0
                               ? "epoch " + std::to_string(e + 1)
                               : "epoch " + std::to_string(e + 1) + "/" + std::to_string(options_.epochs));
    }
    size_t group = 0, in_group = 0;
    Tensor group_loss;  // float64 sum of the group's losses, on the device
    bool stopped_mid_epoch = false;
    for (const data::Batch& batch : train_loader_) {
      const size_t b = train_loader_.state().next_batch - 1;
      if (in_group == 0) {
        group = std::min(k, n - b);  // the last group of an epoch may be short; it still steps
        optimizer_.zero_grad();
        group_loss = Tensor();
        step_items_ = 0;
      }
      const Tensor x = to_device(batch.data), y = to_device(batch.target);
      Tensor out, loss;
      {
        // Forward and loss under autocast; backward outside it, as PyTorch recommends.
        std::optional<amp::AutocastGuard> autocast;
        if (!options_.amp.empty()) autocast.emplace(x.device().type, amp_dtype(options_.amp));
        // With DDP, every micro-batch but the step's last accumulates locally (no_sync).
        std::optional<nn::DistributedDataParallel::NoSyncGuard> no_sync;
        if (ddp_ && in_group + 1 < group) no_sync.emplace(*ddp_);
        out = forward_fn_(net, x);
        loss = loss_fn_(out, y);
      }
      SEEK_CHECK_SHAPE(loss.numel() == 1, "Trainer: the loss function must return a single value, got shape ",
                       shape_str(loss.sizes()));
      Tensor to_backward = group == 1 ? loss : loss.div(static_cast<double>(group));
      if (grad_scaler_) to_backward = grad_scaler_->scale(to_backward);
      to_backward.backward();
      {
        // Everything stays on the device: no read-back here (see host_read.h).
        NoGradGuard no_grad;
        const Tensor detached = out.detach();
        const Tensor loss64 = loss.detach().to(kFloat64).reshape(Shape{});
        static_cast<LossMetric&>(*train_metrics_[0]).add(loss64, static_cast<double>(x.dim() ? x.size(0) : 1));
        for (size_t i = 1; i < train_metrics_.size(); ++i) train_metrics_[i]->update(detached, y);
        group_loss = group_loss.defined() ? group_loss.add(loss64) : loss64;
      }
      step_items_ += x.dim() ? x.size(0) : 1;
      if (++in_group == group) {
        in_group = 0;
        Tensor step_loss;
        {
          NoGradGuard no_grad;
          step_loss = group == 1 ? group_loss.clone() : group_loss.div(static_cast<double>(group));
        }
        if (ddp_) dist::all_reduce(step_loss, dist::ReduceOp::Avg);  // the global batch's loss
        optimizer_step(step_loss, b + 1 == n);
        // The epoch's last batch goes on to end_epoch() even when the run stops here.
        if (finished() && b + 1 < n) {
          stopped_mid_epoch = true;
          break;
        }
      }
    }
    if (!stopped_mid_epoch) end_epoch();
  }
  if (progress_bar_) progress_bar_->finish();
  if (stop_requested_ && is_rank0(options_.distributed))
    logging::info("Trainer: stopped at step " + std::to_string(step_) + ": " + stop_reason_);
  for (auto& cb : callbacks_) cb->on_train_end(*this);
}

bool Trainer::is_log_point(int64_t step) const {
  return (options_.log_every_steps > 0 && step % options_.log_every_steps == 0) ||
         (progress_bar_ && progress_bar_->prints_at(step));
}

void Trainer::flush_step_losses() const {
  if (pending_step_losses_.empty() && step_loss_chunks_.empty()) return;
  NoGradGuard no_grad;
  std::vector<Tensor> parts = step_loss_chunks_;
  if (!pending_step_losses_.empty()) parts.push_back(stack(pending_step_losses_));
  const std::vector<double> values = detail::read_vector(cat(parts));  // one read for all
  step_losses_.insert(step_losses_.end(), values.begin(), values.end());
  step_loss_chunks_.clear();
  pending_step_losses_.clear();
}

const std::vector<double>& Trainer::step_losses() const {
  flush_step_losses();
  return step_losses_;
}

void Trainer::optimizer_step(const Tensor& loss_tensor, bool ends_epoch) {
  if (options_.clip_grad_norm > 0 || options_.clip_grad_value > 0) {
    if (grad_scaler_) grad_scaler_->unscale_(optimizer_);  // clip the true gradients
    std::vector<Tensor> params;
    for (const auto& g : optimizer_.param_groups()) params.insert(params.end(), g.params.begin(), g.params.end());
    if (options_.clip_grad_norm > 0)
      optim::clip_grad_norm_(params, options_.clip_grad_norm, options_.clip_norm_type);
    else
      optim::clip_grad_value_(params, options_.clip_grad_value);
  }
  if (grad_scaler_) {
    // A step skipped for inf/NaN gradients still counts (step counter, scheduler), as in PyTorch.
    const double scale = grad_scaler_->get_scale();
    if (!grad_scaler_->step(optimizer_))
      logging::debug(str("Trainer: step ", step_ + 1, " skipped: inf/NaN gradients at loss scale ", scale));
    grad_scaler_->update();
  } else {
    optimizer_.step();
  }
  ++step_;
  if (scheduler_ && options_.scheduler_interval == "step") scheduler_->step();
  pending_step_losses_.push_back(loss_tensor);
  if (pending_step_losses_.size() == kStepLossChunk) {
    NoGradGuard no_grad;
    step_loss_chunks_.push_back(stack(pending_step_losses_));  // on the device, no read
    pending_step_losses_.clear();
  }
  const StepLoss loss(loss_tensor);
  const int64_t items = options_.progress_counts_items ? step_items_ : 0;
  if (is_log_point(step_)) {
    // A log point: the running loss (and the step's, for the log line) come back to the host.
    const double running = global_value(*train_metrics_[0], options_.distributed);
    if (progress_bar_) progress_bar_->update(step_, running, items);
    if (options_.log_every_steps > 0 && step_ % options_.log_every_steps == 0)
      logging::info("step " + std::to_string(step_) + ": loss " + fixed(loss.item()) + " (epoch mean " +
                    fixed(running) + ")");
    flush_step_losses();
  } else if (progress_bar_) {
    progress_bar_->advance(step_, items);
  }
  for (auto& cb : callbacks_) cb->on_step_end(*this, step_, loss);
  if (options_.eval_every_steps > 0 && val_loader_ && step_ % options_.eval_every_steps == 0) {
    MetricValues row = run_evaluation();
    stamp_row(row, epoch_, step_, current_lr());
    on_monitored(row);
    log_row(row);
    last_metrics_ = row;
    last_eval_step_ = step_;
  }
  // A step that ends an epoch is saved by end_epoch(), so that the checkpoint includes the
  // epoch's end (its evaluation, row, scheduler and monitor updates) and a resume does not redo it.
  if (!ends_epoch && options_.checkpoint_every_steps > 0 && step_ % options_.checkpoint_every_steps == 0)
    save(options_.output_dir / "checkpoint");
}

void Trainer::end_epoch() {
  const int64_t e = epoch_;
  flush_step_losses();
  MetricValues row;
  for (const auto& m : train_metrics_) row["train_" + m->name()] = global_value(*m, options_.distributed);
  ++epoch_;
  if (scheduler_ && options_.scheduler_interval == "epoch") scheduler_->step();
  if (val_loader_ && options_.eval_every_epochs > 0 && epoch_ % options_.eval_every_epochs == 0) {
    // An evaluation at this very step (eval_every_steps) is not repeated.
    const bool evaluated_now = last_eval_step_ == step_ && last_metrics_.count("val_loss") > 0;
    const MetricValues val = evaluated_now ? last_metrics_ : run_evaluation();
    for (const auto& [name, value] : val)
      if (starts_with(name, "val_")) row[name] = value;
    last_eval_step_ = step_;
  }
  stamp_row(row, epoch_, step_, current_lr());
  on_monitored(row);
  log_row(row);
  last_metrics_ = row;
  std::string summary = "epoch " + std::to_string(epoch_);
  if (options_.max_steps == 0) summary += "/" + std::to_string(options_.epochs);
  summary += ":";
  for (const auto& [name, value] : row)
    if (starts_with(name, "train_") || starts_with(name, "val_")) summary += " " + name + " " + fixed(value);
  if (is_rank0(options_.distributed)) logging::info(summary);
  for (auto& cb : callbacks_) cb->on_epoch_end(*this, e, row);
  if ((options_.checkpoint_every_epochs > 0 && epoch_ % options_.checkpoint_every_epochs == 0) ||
      (options_.checkpoint_every_steps > 0 && step_ % options_.checkpoint_every_steps == 0))
    save(options_.output_dir / "checkpoint");
}

MetricValues Trainer::run_evaluation() {
  MetricValues values = evaluate(val_loader_);
  for (auto& cb : callbacks_) cb->on_evaluate(*this, values);
  return values;
}

MetricValues Trainer::evaluate(data::DataLoader* loader) {
  if (!loader) loader = val_loader_;
  SEEK_CHECK_VALUE(loader != nullptr, "Trainer::evaluate: no loader given and no validation loader set");
  SEEK_CHECK_VALUE(loader->len() > 0, "Trainer::evaluate: the validation loader has no batches");
  NoGradGuard no_grad;
  const bool was_training = model_.is_training();
  model_.eval();
  auto metrics = make_metrics();
  loader->set_epoch(0);
  for (const data::Batch& batch : *loader) {
    const Tensor x = to_device(batch.data), y = to_device(batch.target);
    std::optional<amp::AutocastGuard> autocast;  // the loss metric runs under it too
    if (!options_.amp.empty()) autocast.emplace(x.device().type, amp_dtype(options_.amp));
    const Tensor out = forward_fn_(model_, x);
    for (auto& m : metrics) m->update(out, y);
  }
  model_.train(was_training);
  MetricValues values;
  for (const auto& m : metrics) values["val_" + m->name()] = global_value(*m, options_.distributed);
  return values;
}

void Trainer::on_monitored(const MetricValues& values) {
  const auto it = options_.monitor.empty() ? values.end() : values.find(options_.monitor);
  if (it == values.end()) return;
  const double value = it->second;
  if (plateau_) plateau_->step(value);
  const bool improved = best_tracker_.is_improvement(value);
  best_tracker_.step(value);
  if (early_stopping_ && early_stopping_->step(value)) {
    request_stop("early stopping: " + options_.monitor + " did not improve for " +
                 std::to_string(early_stopping_->patience()) + " evaluations (best " + fixed(early_stopping_->best()) +
                 ")");
  }
  if (improved && options_.save_best && !options_.output_dir.empty()) save(options_.output_dir / "best");
}

void Trainer::log_row(const MetricValues& values) {
  if (metrics_log_) metrics_log_->append(values);
}

CheckpointParts Trainer::parts() {
  CheckpointParts p;
  p.model = &model_;
  p.optimizer = &optimizer_;
  p.scheduler = scheduler_;
  p.plateau = plateau_;
  p.loader = &train_loader_;
  p.grad_scaler = grad_scaler_.get();
  p.generators = true;
  return p;
}

TrainingProgress Trainer::progress_record() const {
  TrainingProgress p;
  p.epoch = epoch_;
  p.step = step_;
  auto& v = p.values;
  // Only finite numbers are stored (an unset best is a flag, not an infinity).
  v["best.has"] = best_tracker_.has_best() ? 1.0 : 0.0;
  v["best.value"] = best_tracker_.has_best() ? best_tracker_.best() : 0.0;
  if (early_stopping_) {
    v["early_stopping.has_best"] = early_stopping_->has_best() ? 1.0 : 0.0;
    v["early_stopping.best"] = early_stopping_->has_best() ? early_stopping_->best() : 0.0;
    v["early_stopping.bad_count"] = static_cast<double>(early_stopping_->bad_count());
  }
  v["last_eval_step"] = static_cast<double>(last_eval_step_);
  // The groups' lrs as they are now: a scheduler and a plateau restored one after the other
  // would each write their own last lr.
  const auto& groups = optimizer_.param_groups();
  for (size_t g = 0; g < groups.size(); ++g) v["lr." + std::to_string(g)] = groups[g].lr();
  for (size_t i = 0; i < train_metrics_.size(); ++i) {
    const auto state = train_metrics_[i]->state();
    for (size_t j = 0; j < state.size(); ++j)
      v["train_metric." + train_metrics_[i]->name() + "." + std::to_string(j)] = state[j];
  }
  return p;
}

void Trainer::save(const std::filesystem::path& dir) {
  if (!is_rank0(options_.distributed)) {
    // Only rank 0 writes; the others still take part in an optimizer state_dict that gathers shards
    // (ZeroRedundancyOptimizer's is a collective).
    (void)optimizer_.state_dict();
    return;
  }
  save_checkpoint(dir, parts(), progress_record());
}

void Trainer::resume(const std::filesystem::path& dir) {
  const TrainingProgress p = load_checkpoint(dir, parts());
  auto get = [&](const std::string& key, double fallback) {
    auto it = p.values.find(key);
    return it == p.values.end() ? fallback : it->second;
  };
  epoch_ = p.epoch;
  step_ = p.step;
  best_tracker_.restore(get("best.has", 0) != 0, get("best.value", 0), 0);
  if (early_stopping_) {
    early_stopping_->restore(get("early_stopping.has_best", 0) != 0, get("early_stopping.best", 0),
                             static_cast<int64_t>(get("early_stopping.bad_count", 0)));
  }
  last_eval_step_ = static_cast<int64_t>(get("last_eval_step", -1));
  auto& groups = optimizer_.param_groups();
  for (size_t g = 0; g < groups.size(); ++g) groups[g].set_lr(get("lr." + std::to_string(g), groups[g].lr()));
  for (auto& m : train_metrics_) {
    std::vector<double> state = m->state();
    for (size_t j = 0; j < state.size(); ++j)
      state[j] = get("train_metric." + m->name() + "." + std::to_string(j), 0.0);
    m->load_state(state);
  }
  // The logs may hold rows past the checkpoint (the run went on after saving it): drop them,
  // since the resumed run logs those steps again.
  if (!options_.output_dir.empty() && is_rank0(options_.distributed)) rollback_metrics(options_.output_dir, step_);
  const data::DataLoaderState ls = train_loader_.state();
  resumed_mid_epoch_ = static_cast<int64_t>(ls.epoch) == epoch_ && ls.next_batch > 0;
  if (is_rank0(options_.distributed))
    logging::info("Trainer: resumed from " + dir.string() + " at epoch " + std::to_string(epoch_) + ", step " +
                  std::to_string(step_));
}

}  // namespace seek::train
