// ModelEMA (include/seek/train/ema.h): the averaged copy is a second module updated in place with
// mul_/add_ under NoGradGuard, so an update costs two elementwise ops per tensor and no allocation.
#include "seek/train/ema.h"

#include <cmath>
#include <map>
#include <optional>

#include "seek/autograd/grad_mode.h"
#include "seek/core/error.h"
#include "seek/core/shape_util.h"
#include "seek/ops/creation.h"

namespace seek::train {

namespace {

constexpr const char* kUpdatesKey = "ema.updates";

// Every parameter, then every buffer of `m` in registration order (the tensors themselves, not copies).
std::vector<std::pair<std::string, Tensor>> tensors_of(const nn::Module& m) {
  auto out = m.named_parameters();
  for (auto& named : m.named_buffers()) out.push_back(std::move(named));
  return out;
}

std::map<std::string, Tensor> by_name(const nn::Module& m) {
  std::map<std::string, Tensor> out;
  for (auto& [name, t] : tensors_of(m)) out.emplace(name, t);
  return out;
}

}  // namespace

ModelEMA::ModelEMA(std::shared_ptr<nn::Module> ema_model, const nn::Module& model, ModelEMAOptions options)
    : ema_(std::move(ema_model)), options_(options), updates_(options.updates) {
  SEEK_CHECK_VALUE(ema_ != nullptr, "ModelEMA: ema_model is null");
  SEEK_CHECK_VALUE(options_.decay >= 0 && options_.decay < 1, "ModelEMA: decay must be in [0, 1), got ",
                   options_.decay);
  SEEK_CHECK_VALUE(options_.tau > 0, "ModelEMA: tau must be > 0, got ", options_.tau);
  SEEK_CHECK_VALUE(options_.updates >= 0, "ModelEMA: updates must be >= 0, got ", options_.updates);
  const auto ema_tensors = by_name(*ema_);
  const auto model_tensors = tensors_of(model);
  const auto model_names = by_name(model);
  for (const auto& [name, t] : model_tensors) {
    auto it = ema_tensors.find(name);
    SEEK_CHECK_VALUE(it != ema_tensors.end(), "ModelEMA: the EMA model has no tensor '", name, "'");
    SEEK_CHECK_VALUE(it->second.sizes() == t.sizes(), "ModelEMA: '", name, "' has shape ", shape_str(t.sizes()),
                     " in the model but ", shape_str(it->second.sizes()), " in the EMA model");
    SEEK_CHECK_VALUE(it->second.dtype() == t.dtype(), "ModelEMA: '", name, "' is ", dtype_name(t.dtype()),
                     " in the model but ", dtype_name(it->second.dtype()), " in the EMA model");
  }
  for (const auto& [name, t] : ema_tensors)
    SEEK_CHECK_VALUE(model_names.count(name), "ModelEMA: the model has no tensor '", name, "' (the EMA model does)");
  NoGradGuard no_grad;
  for (const auto& [name, t] : model_tensors) ema_tensors.at(name).detach().copy_(t.detach());
  for (auto& p : ema_->parameters()) p.requires_grad_(false);
  ema_->eval();
}

double ModelEMA::decay_at(int64_t updates) const {
  return options_.decay * (1.0 - std::exp(-static_cast<double>(updates) / options_.tau));
}

std::vector<std::pair<Tensor, Tensor>> ModelEMA::pairs_with(const nn::Module& model) const {
  const auto ema_tensors = by_name(*ema_);
  std::vector<std::pair<Tensor, Tensor>> pairs;
  for (const auto& [name, t] : tensors_of(model)) {
    auto it = ema_tensors.find(name);
    SEEK_CHECK_VALUE(it != ema_tensors.end() && it->second.sizes() == t.sizes() && it->second.dtype() == t.dtype(),
                     "ModelEMA::update: the model's '", name, "' does not match the EMA model");
    pairs.emplace_back(t, it->second);
  }
  return pairs;
}

void ModelEMA::update(const nn::Module& model) {
  const auto pairs = pairs_with(model);
  NoGradGuard no_grad;
  ++updates_;
  const double d = decay_at(updates_);
  for (const auto& [src, dst] : pairs) {
    Tensor target = dst.detach();
    if (src.is_floating_point()) {
      target.mul_(d);
      target.add_(src.detach(), 1.0 - d);
    } else {
      target.copy_(src.detach());
    }
  }
}

void ModelEMA::set_updates(int64_t updates) {
  SEEK_CHECK_VALUE(updates >= 0, "ModelEMA::set_updates: updates must be >= 0, got ", updates);
  updates_ = updates;
}

nn::StateDict ModelEMA::state_dict() const {
  nn::StateDict state = ema_->state_dict();
  state.emplace_back(kUpdatesKey, scalar_tensor(updates_, kInt64));
  return state;
}

void ModelEMA::load_state_dict(const nn::StateDict& state) {
  nn::StateDict weights;
  std::optional<int64_t> updates;
  for (const auto& [name, t] : state) {
    if (name == kUpdatesKey) {
      SEEK_CHECK_VALUE(t.numel() == 1, "ModelEMA::load_state_dict: '", kUpdatesKey, "' must hold one number");
      updates = t.item<int64_t>();
    } else {
      weights.emplace_back(name, t);
    }
  }
  SEEK_CHECK_VALUE(updates.has_value(), "ModelEMA::load_state_dict: no '", kUpdatesKey, "' entry");
  SEEK_CHECK_VALUE(*updates >= 0, "ModelEMA::load_state_dict: '", kUpdatesKey, "' is negative: ", *updates);
  ema_->load_state_dict(weights);
  updates_ = *updates;
}

}  // namespace seek::train
