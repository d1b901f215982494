// seek._C.train: the C++ training loop (seek::train::Trainer) and its callbacks, wrapped by
// seek.train (python/seek/train.py adds the keyword signature and the Python-side references).
//
//   trainer = _C.train.Trainer(model, optimizer, train_loader, epochs=3, monitor="val_loss")
//   trainer.set_val_loader(val_loader); trainer.add_callback(cb); trainer.fit()
//
// GIL: fit(), evaluate(), save() and resume() run with the GIL released. Whatever calls back
// into Python from there takes it for just that call: a Python Callback's hooks (trampoline
// below), a Python loss_fn / forward_fn, a Python Module's forward (nn_module.cpp) and a
// Python Dataset's __getitem__ in the DataLoader's threads (data.cpp). A Python exception
// raised in one of them unwinds through the C++ loop and leaves fit() as the same exception.
//
// LIFETIME: the C++ Trainer holds references, so the objects given to it (model, optimizer,
// loaders, schedulers, callbacks) are kept alive by the Python Trainer (py::keep_alive).
// The optimizer and schedulers may be the seek.optim wrappers: their C++ object is `_impl`.
//
// SIGNALS: after every optimizer step fit() runs Python's pending signal handlers, so Ctrl-C
// raises KeyboardInterrupt out of fit() as it would out of a loop written in Python.
#include "data_common.h"  // gil_safe (includes nn_common.h)

#include <cmath>
#include <filesystem>
#include <type_traits>

#include "seek/core/error.h"
#include "seek/train/host_read.h"
#include "seek/train/trainer.h"

namespace seek::python {

namespace {

using train::Callback;
using train::MetricValues;
using train::Trainer;
using train::TrainerOptions;

std::string type_name(const py::handle& o) { return py::str(py::type::handle_of(o).attr("__name__")); }

// The C++ object behind a seek.optim wrapper (its `_impl`), or the object itself.
py::object impl_of(const py::handle& obj) {
  if (py::hasattr(obj, "_impl")) return obj.attr("_impl");
  return py::reinterpret_borrow<py::object>(obj);
}

py::dict to_dict(const MetricValues& values) {
  py::dict d;
  for (const auto& [k, v] : values) d[py::str(k)] = v;
  return d;
}

// A Python subclass of seek.train.Callback: each hook, when the subclass defines it, runs
// with the GIL taken and gets the Python Trainer object (the one fit() was called on).
class PyCallback : public Callback {
 public:
  void on_train_begin(Trainer& t) override { call("on_train_begin", t); }
  void on_train_end(Trainer& t) override { call("on_train_end", t); }
  void on_epoch_begin(Trainer& t, int64_t epoch) override { call("on_epoch_begin", t, epoch); }
  void on_epoch_end(Trainer& t, int64_t epoch, const MetricValues& metrics) override {
    call("on_epoch_end", t, epoch, metrics);
  }
  void on_step_end(Trainer& t, int64_t step, const train::StepLoss& loss) override {
    call("on_step_end", t, step, loss);
  }
  void on_evaluate(Trainer& t, const MetricValues& metrics) override { call("on_evaluate", t, metrics); }

 private:
  template <typename... Args>
  void call(const char* name, Trainer& t, const Args&... args) {
    py::gil_scoped_acquire gil;
    py::function f = py::get_override(static_cast<const Callback*>(this), name);
    if (!f) return;  // the subclass keeps the base's no-op
    f(py::cast(&t, py::return_value_policy::reference), convert(args)...);
  }
  static py::object convert(int64_t v) { return py::int_(v); }
  static py::object convert(double v) { return py::float_(v); }
  static py::object convert(const MetricValues& v) { return to_dict(v); }
  // Read back from the device only here, when the subclass defines the hook.
  static py::object convert(const train::StepLoss& v) { return py::float_(v.item()); }
};

// Lets Ctrl-C (KeyboardInterrupt) and other Python signal handlers stop fit() after the current
// optimizer step, as they would a training loop written in Python (the loop itself runs without the GIL).
class SignalCheck : public Callback {
 public:
  void on_step_end(Trainer&, int64_t, const train::StepLoss&) override {
    py::gil_scoped_acquire gil;
    if (PyErr_CheckSignals() != 0) throw py::error_already_set();
  }
};

std::string path_of(const py::handle& p) { return py::module_::import("os").attr("fspath")(p).cast<std::string>(); }

// A typed option value; a value of the wrong type is a TypeError naming the option.
template <typename T>
T option_value(const std::string& key, const py::handle& v, const char* expected) {
  // Python's bool is an int: reject it where a number is expected, and numbers where a bool is.
  const bool is_bool = PyBool_Check(v.ptr());
  bool ok;
  if constexpr (std::is_same_v<T, bool>)
    ok = is_bool;
  else if constexpr (std::is_integral_v<T>)
    ok = !is_bool && PyIndex_Check(v.ptr());
  else if constexpr (std::is_floating_point_v<T>)
    ok = !is_bool && !py::isinstance<py::str>(v) && PyNumber_Check(v.ptr());  // also numpy floats
  else
    ok = py::isinstance<py::str>(v);
  if (!ok)
    throw py::type_error("Trainer: option '" + key + "' must be " + expected + ", got " + type_name(v) + " (" +
                         std::string(py::repr(v)) + ")");
  return v.cast<T>();
}

amp::GradScalerOptions grad_scaler_options(const py::handle& v) {
  amp::GradScalerOptions o;
  if (v.is_none()) return o;
  if (!py::isinstance<py::dict>(v))
    throw py::type_error("Trainer: option 'grad_scaler' must be a dict of GradScaler options or None, got " +
                         type_name(v));
  for (auto [k, value] : v.cast<py::dict>()) {
    const std::string key = py::str(k);
    const std::string name = "grad_scaler." + key;
    if (key == "init_scale")
      o.init_scale = option_value<double>(name, value, "a number");
    else if (key == "growth_factor")
      o.growth_factor = option_value<double>(name, value, "a number");
    else if (key == "backoff_factor")
      o.backoff_factor = option_value<double>(name, value, "a number");
    else if (key == "growth_interval")
      o.growth_interval = option_value<int64_t>(name, value, "an int");
    else if (key == "enabled")
      o.enabled = option_value<bool>(name, value, "a bool");
    else
      throw py::value_error("Trainer: option 'grad_scaler' has no entry '" + key +
                            "' (expected init_scale, growth_factor, backoff_factor, growth_interval, enabled)");
  }
  return o;
}

py::dict grad_scaler_dict(const amp::GradScalerOptions& o) {
  py::dict d;
  d["init_scale"] = o.init_scale;
  d["growth_factor"] = o.growth_factor;
  d["backoff_factor"] = o.backoff_factor;
  d["growth_interval"] = o.growth_interval;
  d["enabled"] = o.enabled;
  return d;
}

// TrainerOptions from keyword arguments named as its fields (plus progress_unit and
// progress_print_every for ProgressOptions); an unknown keyword is a TypeError, as in Python.
TrainerOptions options_from(const py::kwargs& kwargs) {
  TrainerOptions o;
  for (auto [k, v] : kwargs) {
    const std::string key = py::str(k);
    auto integer = [&] { return option_value<int64_t>(key, v, "an int"); };
    auto number = [&] { return option_value<double>(key, v, "a number"); };
    auto flag = [&] { return option_value<bool>(key, v, "a bool"); };
    auto text = [&] { return option_value<std::string>(key, v, "a str"); };
    if (key == "epochs")
      o.epochs = integer();
    else if (key == "max_steps")
      o.max_steps = integer();
    else if (key == "accumulation_steps")
      o.accumulation_steps = integer();
    else if (key == "clip_grad_norm")
      o.clip_grad_norm = number();
    else if (key == "clip_norm_type") {
      // as clip_grad_norm_: a number or "inf"
      if (py::isinstance<py::str>(v) && v.cast<std::string>() == "inf")
        o.clip_norm_type = INFINITY;
      else
        o.clip_norm_type = number();
    } else if (key == "clip_grad_value")
      o.clip_grad_value = number();
    else if (key == "scheduler_interval")
      o.scheduler_interval = text();
    else if (key == "eval_every_steps")
      o.eval_every_steps = integer();
    else if (key == "eval_every_epochs")
      o.eval_every_epochs = integer();
    else if (key == "metrics") {
      if (py::isinstance<py::str>(v))
        o.metrics = {v.cast<std::string>()};
      else {
        o.metrics.clear();
        for (auto m : v) o.metrics.push_back(option_value<std::string>("metrics", m, "a str or a sequence of str"));
      }
    } else if (key == "monitor")
      o.monitor = text();
    else if (key == "mode")
      o.mode = text();
    else if (key == "early_stopping_patience")
      o.early_stopping_patience = integer();
    else if (key == "early_stopping_min_delta")
      o.early_stopping_min_delta = number();
    else if (key == "output_dir")
      o.output_dir = v.is_none() ? std::string() : path_of(v);
    else if (key == "log_csv")
      o.log_csv = flag();
    else if (key == "log_jsonl")
      o.log_jsonl = flag();
    else if (key == "checkpoint_every_epochs")
      o.checkpoint_every_epochs = integer();
    else if (key == "checkpoint_every_steps")
      o.checkpoint_every_steps = integer();
    else if (key == "save_best")
      o.save_best = flag();
    else if (key == "device") {
      if (v.is_none())
        o.device.reset();
      else
        o.device = to_device(v);
    } else if (key == "amp")
      o.amp = text();
    else if (key == "grad_scaler")
      o.grad_scaler = grad_scaler_options(v);
    else if (key == "progress")
      o.progress = flag();
    else if (key == "progress_counts_items")
      o.progress_counts_items = flag();
    else if (key == "progress_unit")
      o.progress_options.unit = text();
    else if (key == "progress_print_every")
      o.progress_options.print_every = integer();
    else if (key == "log_every_steps")
      o.log_every_steps = integer();
    else if (key == "distributed")  // issue 16
      o.distributed = flag();
    else if (key == "ddp_bucket_cap_mb")
      o.ddp_bucket_cap_mb = py::cast<double>(v);
    else if (key == "ddp_find_unused_parameters")
      o.ddp_find_unused_parameters = flag();
    else
      throw py::type_error("Trainer() got an unexpected keyword argument '" + key + "'");
  }
  return o;
}

py::dict options_dict(const TrainerOptions& o) {
  py::dict d;
  d["epochs"] = o.epochs;
  d["max_steps"] = o.max_steps;
  d["accumulation_steps"] = o.accumulation_steps;
  d["clip_grad_norm"] = o.clip_grad_norm;
  d["clip_norm_type"] = o.clip_norm_type;
  d["clip_grad_value"] = o.clip_grad_value;
  d["scheduler_interval"] = o.scheduler_interval;
  d["eval_every_steps"] = o.eval_every_steps;
  d["eval_every_epochs"] = o.eval_every_epochs;
  d["metrics"] = py::tuple(py::cast(o.metrics));
  d["monitor"] = o.monitor;
  d["mode"] = o.mode;
  d["early_stopping_patience"] = o.early_stopping_patience;
  d["early_stopping_min_delta"] = o.early_stopping_min_delta;
  d["output_dir"] = o.output_dir.empty() ? py::object(py::none()) : py::object(py::str(o.output_dir.string()));
  d["log_csv"] = o.log_csv;
  d["log_jsonl"] = o.log_jsonl;
  d["checkpoint_every_epochs"] = o.checkpoint_every_epochs;
  d["checkpoint_every_steps"] = o.checkpoint_every_steps;
  d["save_best"] = o.save_best;
  d["device"] = o.device ? py::cast(*o.device) : py::object(py::none());
  d["amp"] = o.amp;
  d["grad_scaler"] = grad_scaler_dict(o.grad_scaler);
  d["progress"] = o.progress;
  d["progress_counts_items"] = o.progress_counts_items;
  d["progress_unit"] = o.progress_options.unit;
  d["progress_print_every"] = o.progress_options.print_every;
  d["log_every_steps"] = o.log_every_steps;
  d["distributed"] = o.distributed;
  d["ddp_bucket_cap_mb"] = o.ddp_bucket_cap_mb;
  d["ddp_find_unused_parameters"] = o.ddp_find_unused_parameters;
  return d;
}

Tensor returned_tensor(const py::handle& r, const char* who) {
  if (!py::isinstance<Tensor>(r))
    throw py::type_error(std::string("Trainer: ") + who + " must return a seek.Tensor, got " + type_name(r));
  return r.cast<Tensor>();
}

// seek.data.DataLoader (Python, torch's semantics) hands the Trainer its C++ form (_cpp_loader()), whose
// position {epoch, batch} the Trainer saves and resumes; the Python loader keeps that form alive.
data::DataLoader* loader_of(const py::handle& obj, const char* who) {
  if (obj.is_none()) return nullptr;
  if (!py::isinstance<data::DataLoader>(obj) && py::hasattr(obj, "_cpp_loader"))
    return loader_of(obj.attr("_cpp_loader")(), who);
  if (!py::isinstance<data::DataLoader>(obj))
    throw py::type_error(std::string("Trainer: ") + who + " must be a seek.data.DataLoader or None, got " +
                         type_name(obj));
  return &obj.cast<data::DataLoader&>();
}

void set_scheduler(Trainer& t, const py::object& obj) {
  if (obj.is_none()) {
    t.set_scheduler(nullptr);
    return;
  }
  py::object impl = impl_of(obj);
  if (py::isinstance<optim::ReduceLROnPlateau>(impl))
    throw py::type_error(
        "Trainer: ReduceLROnPlateau is stepped with the monitored metric: pass it as plateau=, "
        "not scheduler=");
  if (!py::isinstance<optim::LRScheduler>(impl))
    throw py::type_error(
        "Trainer: scheduler must be one of seek's C++ schedulers (StepLR, MultiStepLR, ExponentialLR, "
        "OneCycleLR, WarmupCosineLR, LinearWarmupDecayLR), got " +
        type_name(obj) + " (a scheduler written in Python can be stepped from a Callback's on_step_end)");
  t.set_scheduler(&impl.cast<optim::LRScheduler&>());
}

void set_plateau(Trainer& t, const py::object& obj) {
  if (obj.is_none()) {
    t.set_plateau(nullptr);
    return;
  }
  py::object impl = impl_of(obj);
  if (!py::isinstance<optim::ReduceLROnPlateau>(impl))
    throw py::type_error("Trainer: plateau must be a seek.optim.lr_scheduler.ReduceLROnPlateau or None, got " +
                         type_name(obj));
  t.set_plateau(&impl.cast<optim::ReduceLROnPlateau&>());
}

void set_loss_fn(Trainer& t, const py::object& fn) {
  if (fn.is_none()) {
    t.set_loss_fn(nullptr);
    return;
  }
  if (!PyCallable_Check(fn.ptr())) throw py::type_error("Trainer: loss_fn must be callable, got " + type_name(fn));
  auto f = gil_safe(fn);
  t.set_loss_fn([f](const Tensor& output, const Tensor& target) {
    py::gil_scoped_acquire g;
    return returned_tensor((*f)(output, target), "loss_fn");
  });
}

void set_forward_fn(Trainer& t, const py::object& fn) {
  if (fn.is_none()) {
    t.set_forward_fn(nullptr);
    return;
  }
  if (!PyCallable_Check(fn.ptr())) throw py::type_error("Trainer: forward_fn must be callable, got " + type_name(fn));
  auto f = gil_safe(fn);
  t.set_forward_fn([f](nn::Module& model, const Tensor& input) {
    py::gil_scoped_acquire g;
    // The model's Python object (for a Python subclass, the instance that was passed in).
    return returned_tensor((*f)(py::cast(&model, py::return_value_policy::reference), input), "forward_fn");
  });
}

void add_callback(Trainer& t, const py::object& cb) {
  if (!py::isinstance<Callback>(cb))
    throw py::type_error("Trainer: a callback must be a seek.train.Callback, got " + type_name(cb));
  auto ptr = cb.cast<std::shared_ptr<Callback>>();
  t.add_callback(holding_python_object(std::move(ptr), cb));
}

void init_callback(py::module_& m) {
  py::class_<Callback, PyCallback, std::shared_ptr<Callback>>(
      m, "Callback",
      "Hooks the Trainer calls (override the ones you need): on_train_begin(trainer), "
      "on_epoch_begin(trainer, epoch), on_step_end(trainer, step, loss), on_evaluate(trainer, metrics), "
      "on_epoch_end(trainer, epoch, metrics), on_train_end(trainer).")
      .def(py::init<>())
      .def("on_train_begin", &Callback::on_train_begin, py::arg("trainer"))
      .def("on_train_end", &Callback::on_train_end, py::arg("trainer"))
      .def("on_epoch_begin", &Callback::on_epoch_begin, py::arg("trainer"), py::arg("epoch"))
      .def("on_epoch_end", &Callback::on_epoch_end, py::arg("trainer"), py::arg("epoch"), py::arg("metrics"))
      // The base hook does nothing; Python gets the loss as a float (see PyCallback).
      .def(
          "on_step_end", [](Callback&, Trainer&, int64_t, double) {}, py::arg("trainer"), py::arg("step"),
          py::arg("loss"))
      .def("on_evaluate", &Callback::on_evaluate, py::arg("trainer"), py::arg("metrics"));
}

void init_trainer(py::module_& m) {
  py::class_<Trainer>(m, "Trainer",
                      "seek::train::Trainer: Trainer(model, optimizer, train_loader, **options); the options are "
                      "TrainerOptions' fields (use seek.train.Trainer for the documented signature).")
      .def(py::init([](const py::object& model, const py::object& optimizer, const py::object& train_loader,
                       const py::kwargs& kwargs) {
             if (!py::isinstance<nn::Module>(model))
               throw py::type_error("Trainer: model must be a seek.nn.Module, got " + type_name(model));
             py::object opt = impl_of(optimizer);
             if (!py::isinstance<optim::Optimizer>(opt))
               throw py::type_error("Trainer: optimizer must be a seek.optim optimizer, got " + type_name(optimizer));
             data::DataLoader* loader = loader_of(train_loader, "train_loader");
             if (loader == nullptr)
               throw py::type_error("Trainer: train_loader must be a seek.data.DataLoader, got None");
             auto trainer = std::make_unique<Trainer>(model.cast<nn::Module&>(), opt.cast<optim::Optimizer&>(), *loader,
                                                      options_from(kwargs));
             trainer->add_callback(std::make_shared<SignalCheck>());
             return trainer;
           }),
           py::arg("model"), py::arg("optimizer"), py::arg("train_loader"), py::keep_alive<1, 2>(),
           py::keep_alive<1, 3>(), py::keep_alive<1, 4>())
      .def(
          "set_val_loader", [](Trainer& t, const py::object& l) { t.set_val_loader(loader_of(l, "val_loader")); },
          py::arg("loader"), py::keep_alive<1, 2>(), "The loader evaluate() and the periodic evaluations use.")
      .def("set_scheduler", &set_scheduler, py::arg("scheduler"), py::keep_alive<1, 2>(),
           "A C++ lr scheduler, stepped per optimizer step or per epoch (scheduler_interval).")
      .def("set_plateau", &set_plateau, py::arg("plateau"), py::keep_alive<1, 2>(),
           "A ReduceLROnPlateau, stepped with the monitored metric.")
      .def("set_loss_fn", &set_loss_fn, py::arg("loss_fn"), py::keep_alive<1, 2>(),
           "loss_fn(output, target) -> scalar Tensor; None: cross_entropy.")
      .def("set_forward_fn", &set_forward_fn, py::arg("forward_fn"), py::keep_alive<1, 2>(),
           "forward_fn(model, input) -> output; None: model(input).")
      .def("add_callback", &add_callback, py::arg("callback"), "Adds a seek.train.Callback.")
      .def("fit", &Trainer::fit, py::call_guard<py::gil_scoped_release>(),
           "Trains until the epochs (or max_steps) are done, early stopping or request_stop().")
      .def(
          "evaluate",
          [](Trainer& t, const py::object& loader) {
            data::DataLoader* l = loader_of(loader, "evaluate: loader");
            MetricValues values;
            {
              py::gil_scoped_release g;
              values = t.evaluate(l);
            }
            return to_dict(values);
          },
          py::arg("loader") = py::none(),
          "Evaluates on loader (default: the validation loader) in eval mode without gradients: "
          "{'val_loss': ..., 'val_<metric>': ...}.")
      .def(
          "save",
          [](Trainer& t, const py::object& dir) {
            const std::filesystem::path p = path_of(dir);
            py::gil_scoped_release g;
            t.save(p);
          },
          py::arg("dir"), "Saves a checkpoint of the whole run into dir.")
      .def(
          "resume",
          [](Trainer& t, const py::object& dir) {
            const std::filesystem::path p = path_of(dir);
            py::gil_scoped_release g;
            t.resume(p);
          },
          py::arg("dir"), "Restores a checkpoint saved by save() (or checkpoint_every_*); fit() then continues it.")
      .def("request_stop", &Trainer::request_stop, py::arg("reason") = "",
           "Ends the run after the current optimizer step (from a callback).")
      .def_property_readonly("stop_requested", &Trainer::stop_requested)
      .def_property_readonly("stop_reason", &Trainer::stop_reason)
      .def_property_readonly("epoch", &Trainer::epoch, "Completed epochs.")
      .def_property_readonly("global_step", &Trainer::global_step, "Completed optimizer steps.")
      .def_property_readonly(
          "last_metrics", [](const Trainer& t) { return to_dict(t.last_metrics()); },
          "The latest epoch's or evaluation's metrics, as a dict.")
      .def_property_readonly(
          "step_losses", [](const Trainer& t) { return py::cast(t.step_losses()); },
          "The loss of every optimizer step of this trainer's fit() calls (a list).")
      .def_property_readonly(
          "early_stopping",
          [](const Trainer& t) -> py::object {
            const train::EarlyStopping* e = t.early_stopping();
            if (e == nullptr) return py::none();
            py::dict d;
            d["best"] = e->has_best() ? py::object(py::float_(e->best())) : py::object(py::none());
            d["bad_count"] = e->bad_count();
            d["patience"] = e->patience();
            return d;
          },
          "None, or {'best', 'bad_count', 'patience'} with early_stopping_patience > 0.")
      .def_property_readonly(
          "grad_scaler", [](Trainer& t) { return t.grad_scaler(); }, py::return_value_policy::reference_internal,
          "The loss scaler of amp='fp16' (a seek._C.amp.GradScaler), else None.")
      .def_property_readonly("options", [](const Trainer& t) { return options_dict(t.options()); })
      .def("metric_names", &Trainer::metric_names, "The metric names the trainer produces (train_*, val_*).");
}

}  // namespace

void init_train(py::module_& m) {
  py::module_ t = m.def_submodule("train", "The C++ training loop and its callbacks (wrapped by seek.train)");
  init_callback(t);
  init_trainer(t);
  t.def("_host_reads", &train::detail::host_reads,
        "The number of device-to-host read-backs the C++ train layer has made (for tests)");
}

}  // namespace seek::python
