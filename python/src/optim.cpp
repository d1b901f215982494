// seek._C.optim: the C++ optimizers, learning-rate schedulers and gradient clipping.
// The Python package (seek.optim) wraps the optimizers so that param_groups reads as a
// list of dicts whose entries ('lr', 'momentum', 'betas', ...) write through to C++.
//
// Constructors take torch's `params`: an iterable of tensors, or of dicts with a
// 'params' entry and per-group option overrides ({'params': [...], 'lr': 0.01}); their keyword
// arguments and the group dicts' entries come from each options struct's field table.
#include "nn_common.h"

#include <cmath>

#include "seek/optim/adadelta.h"
#include "seek/dist/zero_optimizer.h"
#include "seek/optim/adagrad.h"
#include "seek/optim/adam.h"
#include "seek/optim/adamax.h"
#include "seek/optim/clip_grad.h"
#include "seek/optim/lr_scheduler.h"
#include "seek/optim/rmsprop.h"
#include "seek/optim/sgd.h"

namespace seek::python {

namespace {

using optim::Optimizer;
using optim::ParamGroup;

std::vector<Tensor> tensor_list(const py::handle& params) {
  if (py::isinstance<Tensor>(params)) return {params.cast<Tensor>()};
  std::vector<Tensor> out;
  for (auto p : params) out.push_back(p.cast<Tensor>());
  return out;
}

// Whether the options' field table has a field `name`.
bool has_field(const optim::OptimizerOptions& o, const std::string& name) {
  for (const auto& f : o.table().fields)
    if (name == f.name) return true;
  return false;
}

// One option (a number, a bool or torch's 'betas' pair) into `o`.
void set_option(optim::OptimizerOptions& o, const std::string& key, const py::handle& value) {
  if (key == "betas") {
    auto b = value.cast<std::pair<double, double>>();
    o.set("beta1", b.first);
    o.set("beta2", b.second);
  } else {
    o.set(key, value.cast<double>());
  }
}

// torch's `params` argument as parameter groups; dict entries other than 'params'
// override the defaults for that group.
std::vector<ParamGroup> param_groups(const py::handle& params, const optim::OptimizerOptions& defaults) {
  py::list items;
  if (py::isinstance<Tensor>(params))
    items.append(params);
  else
    for (auto p : params) items.append(p);
  std::vector<ParamGroup> groups;
  std::vector<Tensor> plain;
  for (auto item : items) {
    if (py::isinstance<py::dict>(item)) {
      auto d = item.cast<py::dict>();
      if (!d.contains("params")) throw py::value_error("optimizer: a parameter group dict needs a 'params' entry");
      std::shared_ptr<optim::OptimizerOptions> o(defaults.clone());
      for (auto [k, v] : d) {
        std::string key = k.cast<std::string>();
        if (key != "params") set_option(*o, key, v);
      }
      groups.emplace_back(tensor_list(d["params"]), std::move(o));
    } else {
      plain.push_back(item.cast<Tensor>());
    }
  }
  if (!plain.empty()) {
    if (!groups.empty())
      throw py::type_error("optimizer: params must be all tensors or all parameter-group dicts, not a mix");
    groups.emplace_back(std::move(plain));
  }
  if (groups.empty()) throw py::value_error("optimizer got an empty parameter list");
  return groups;
}

py::dict group_options(const ParamGroup& g) {
  py::dict d;
  auto pairs = g.options->to_pairs();
  double beta1 = 0, beta2 = 0;
  bool has_betas = false;
  const auto& fields = g.options->table().fields;
  for (size_t i = 0; i < pairs.size(); ++i) {
    const auto& [k, v] = pairs[i];
    if (k == "beta1") {
      beta1 = v;
      has_betas = true;
    } else if (k == "beta2")
      beta2 = v;
    else if (fields[i].is_bool)
      d[py::str(k)] = py::bool_(v != 0.0);
    else
      d[py::str(k)] = v;
  }
  if (has_betas) d["betas"] = py::make_tuple(beta1, beta2);
  return d;
}

// Options{} with the keyword arguments set (torch's names; 'betas' sets beta1 and beta2); an unknown keyword is
// the TypeError Python gives.
template <typename Options>
Options options_from_kwargs(const std::string& name, const py::kwargs& kwargs) {
  Options d;
  for (auto [k, v] : kwargs) {
    const std::string key = py::cast<std::string>(k);
    const bool known =
        (key == "betas" && has_field(d, "beta1")) || (key != "beta1" && key != "beta2" && has_field(d, key));
    if (!known) throw py::type_error(str(name, "() got an unexpected keyword argument '", key, "'"));
    set_option(d, key, v);
  }
  return d;
}

// ZeroRedundancyOptimizer over the optimizer named `inner` (a seek.optim class name) with its options.
template <typename Opt, typename Options>
std::unique_ptr<optim::ZeroRedundancyOptimizer> make_zero(const std::string& name, const py::object& params,
                                                          const py::kwargs& kwargs) {
  Options d = options_from_kwargs<Options>(name, kwargs);
  return std::make_unique<optim::ZeroRedundancyOptimizer>(param_groups(params, d), d,
                                                          optim::ZeroRedundancyOptimizer::make<Opt>(d));
}

// An optimizer class whose constructor takes `params` and, as keywords, the fields of its
// options' table (torch's names: beta1 and beta2 as the 'betas' pair); options not given keep
// the defaults of Options{}, which the Python wrappers (python/seek/optim) repeat in their signatures.
template <typename Opt, typename Options, typename Base>
void def_optimizer(py::module_& m, const char* name, const char* doc) {
  static std::string full_doc = [&] {
    std::string d = std::string(doc) + "\n\nKeyword arguments (default):";
    const Options defaults;
    const auto& fields = defaults.table().fields;
    for (size_t i = 0; i < fields.size(); ++i) {
      const auto& f = fields[i];
      const std::string key = f.name;
      if (key == "beta2") continue;
      if (key == "beta1")
        d += str(" betas (", f.get(defaults), ", ", defaults.to_pairs()[i + 1].second, ")");
      else if (f.is_bool)
        d += str(" ", key, " (", f.get(defaults) != 0.0 ? "True" : "False", ")");
      else
        d += str(" ", key, " (", f.get(defaults), ")");
    }
    return d;
  }();
  py::class_<Opt, Base>(m, name, full_doc.c_str())
      .def(py::init([name](const py::object& params, const py::kwargs& kwargs) {
             Options d = options_from_kwargs<Options>(name, kwargs);
             return std::make_unique<Opt>(param_groups(params, d), d);
           }),
           py::arg("params"));
}

void init_schedulers(py::module_& m) {
  using optim::LRScheduler;
  py::class_<LRScheduler>(m, "LRScheduler", "Base of the C++ learning-rate schedulers.")
      .def("step", &LRScheduler::step, "Advances one step and writes the new lrs into the optimizer.")
      .def("get_last_lr", &LRScheduler::get_last_lr)
      .def_property_readonly("last_epoch", &LRScheduler::last_epoch)
      .def_property_readonly("base_lrs", &LRScheduler::base_lrs)
      .def("state_dict",
           [](const LRScheduler& s) {
             py::dict d;
             for (const auto& [k, v] : s.state_dict()) d[py::str(k)] = v;
             return d;
           })
      .def(
          "load_state_dict",
          [](LRScheduler& s, const py::dict& d) {
            optim::SchedulerStateDict sd;
            for (auto [k, v] : d) sd.emplace_back(k.cast<std::string>(), v.cast<double>());
            s.load_state_dict(sd);
          },
          py::arg("state_dict"));
  py::class_<optim::StepLR, optim::LRScheduler> step(m, "StepLR", "lr = base * gamma^(epoch // step_size).");
  step.def(py::init<Optimizer&, int64_t, double>(), py::arg("optimizer"), py::arg("step_size"), py::arg("gamma") = 0.1,
           py::keep_alive<1, 2>());
  py::class_<optim::MultiStepLR, optim::LRScheduler> multi(m, "MultiStepLR", "lr = base * gamma^(milestones passed).");
  multi.def(py::init<Optimizer&, std::vector<int64_t>, double>(), py::arg("optimizer"), py::arg("milestones"),
            py::arg("gamma") = 0.1, py::keep_alive<1, 2>());
  py::class_<optim::ExponentialLR, optim::LRScheduler> expo(m, "ExponentialLR", "lr = base * gamma^epoch.");
  expo.def(py::init<Optimizer&, double>(), py::arg("optimizer"), py::arg("gamma"), py::keep_alive<1, 2>());
  py::class_<optim::WarmupCosineLR, optim::LRScheduler> wc(
      m, "WarmupCosineLR", "Linear warmup to the base lr, then cosine decay to min_lr at total_steps.");
  wc.def(py::init<Optimizer&, int64_t, int64_t, double>(), py::arg("optimizer"), py::arg("warmup_steps"),
         py::arg("total_steps"), py::arg("min_lr") = 0.0, py::keep_alive<1, 2>());
  py::class_<optim::LinearWarmupDecayLR, optim::LRScheduler> wl(
      m, "LinearWarmupDecayLR", "Linear warmup to the base lr, then linear decay to base * end_factor.");
  wl.def(py::init<Optimizer&, int64_t, int64_t, double>(), py::arg("optimizer"), py::arg("warmup_steps"),
         py::arg("total_steps"), py::arg("end_factor") = 0.0, py::keep_alive<1, 2>());
  py::class_<optim::OneCycleLR, optim::LRScheduler> oc(m, "OneCycleLR", "torch's OneCycleLR (cosine, two phases).");
  oc.def(py::init([](Optimizer& opt, const py::object& max_lr, int64_t total_steps, double pct_start, double div_factor,
                     double final_div_factor, bool cycle_momentum, double base_momentum, double max_momentum) {
           if (py::isinstance<py::float_>(max_lr) || py::isinstance<py::int_>(max_lr))
             return std::make_unique<optim::OneCycleLR>(opt, max_lr.cast<double>(), total_steps, pct_start, div_factor,
                                                        final_div_factor, cycle_momentum, base_momentum, max_momentum);
           return std::make_unique<optim::OneCycleLR>(opt, max_lr.cast<std::vector<double>>(), total_steps, pct_start,
                                                      div_factor, final_div_factor, cycle_momentum, base_momentum,
                                                      max_momentum);
         }),
         py::arg("optimizer"), py::arg("max_lr"), py::arg("total_steps"), py::arg("pct_start") = 0.3,
         py::arg("div_factor") = 25.0, py::arg("final_div_factor") = 1e4, py::arg("cycle_momentum") = true,
         py::arg("base_momentum") = 0.85, py::arg("max_momentum") = 0.95, py::keep_alive<1, 2>());

  py::class_<optim::ReduceLROnPlateau>(m, "ReduceLROnPlateau",
                                       "Reduces the lrs by factor when the metric stops improving.")
      .def(py::init([](Optimizer& opt, const std::string& mode, double factor, int64_t patience, double threshold,
                       const std::string& threshold_mode, int64_t cooldown, double min_lr, double eps) {
             optim::ReduceLROnPlateauOptions o;
             o.mode = mode;
             o.factor = factor;
             o.patience = patience;
             o.threshold = threshold;
             o.threshold_mode = threshold_mode;
             o.cooldown = cooldown;
             o.min_lr = min_lr;
             o.eps = eps;
             return std::make_unique<optim::ReduceLROnPlateau>(opt, o);
           }),
           py::arg("optimizer"), py::arg("mode") = "min", py::arg("factor") = 0.1, py::arg("patience") = 10,
           py::arg("threshold") = 1e-4, py::arg("threshold_mode") = "rel", py::arg("cooldown") = 0,
           py::arg("min_lr") = 0.0, py::arg("eps") = 1e-8, py::keep_alive<1, 2>())
      .def("step", &optim::ReduceLROnPlateau::step, py::arg("metrics"))
      .def("get_last_lr", &optim::ReduceLROnPlateau::get_last_lr)
      .def_property_readonly("last_epoch", &optim::ReduceLROnPlateau::last_epoch)
      .def_property_readonly("num_bad_epochs", &optim::ReduceLROnPlateau::num_bad_epochs)
      .def_property_readonly("best", &optim::ReduceLROnPlateau::best)
      .def("state_dict",
           [](const optim::ReduceLROnPlateau& s) {
             py::dict d;
             for (const auto& [k, v] : s.state_dict()) d[py::str(k)] = v;
             return d;
           })
      .def(
          "load_state_dict",
          [](optim::ReduceLROnPlateau& s, const py::dict& d) {
            optim::SchedulerStateDict sd;
            for (auto [k, v] : d) sd.emplace_back(k.cast<std::string>(), v.cast<double>());
            s.load_state_dict(sd);
          },
          py::arg("state_dict"));
}

double norm_type_of(const py::handle& v) {
  if (py::isinstance<py::str>(v)) {
    std::string s = v.cast<std::string>();
    if (s == "inf") return INFINITY;
    throw py::value_error("clip_grad_norm_: norm_type must be a number or 'inf', got '" + s + "'");
  }
  return v.cast<double>();
}

}  // namespace

void init_optim(py::module_& m) {
  py::module_ o = m.def_submodule("optim", "Optimizers, schedulers and gradient clipping (wrapped by seek.optim)");
  py::class_<Optimizer>(o, "Optimizer", "Base of the C++ optimizers.")
      .def("step", &Optimizer::step, py::call_guard<py::gil_scoped_release>(),
           "One update of every parameter that has a gradient.")
      .def("zero_grad", &Optimizer::zero_grad, py::arg("set_to_none") = true)
      .def_property_readonly("name", &Optimizer::name)
      .def("_num_groups", [](const Optimizer& opt) { return opt.param_groups().size(); })
      .def("_group_params", [](const Optimizer& opt, size_t g) { return opt.param_groups().at(g).params; })
      .def("_group_options", [](const Optimizer& opt, size_t g) { return group_options(opt.param_groups().at(g)); })
      .def("_set_group_option",
           [](Optimizer& opt, size_t g, const std::string& key, const py::handle& v) {
             // Checked on a copy first, so that a rejected value leaves the group as it was.
             auto& group = opt.param_groups().at(g);
             std::shared_ptr<optim::OptimizerOptions> changed(group.options->clone());
             set_option(*changed, key, v);
             changed->validate(opt.name());
             group.options = std::move(changed);
           })
      .def("_defaults",
           [](const Optimizer& opt) {
             ParamGroup g({}, std::shared_ptr<optim::OptimizerOptions>(opt.defaults().clone()));
             return group_options(g);
           })
      .def(
          "add_param_group",
          [](Optimizer& opt, const py::dict& group) {
            auto groups = param_groups(py::make_tuple(group), opt.defaults());
            opt.add_param_group(std::move(groups[0]));
          },
          py::arg("param_group"))
      .def(
          "state_dict",
          [](const Optimizer& opt) {
            py::object od = py::module_::import("collections").attr("OrderedDict")();
            for (const auto& [k, v] : opt.state_dict()) od[py::str(k)] = v;
            return od;
          },
          "Flat checkpoint form: 'param_groups.<g>.<option>' and 'state.<g>.<i>.<buffer>' -> tensor.")
      .def(
          "load_state_dict",
          [](Optimizer& opt, const py::handle& d) { opt.load_state_dict(state_dict_from_python(d)); },
          py::arg("state_dict"));

  def_optimizer<optim::SGD, optim::SGDOptions, Optimizer>(
      o, "SGD", "Stochastic gradient descent with momentum, like torch.optim.SGD.");
  def_optimizer<optim::Adam, optim::AdamOptions, Optimizer>(o, "Adam", "Adam, like torch.optim.Adam.");
  def_optimizer<optim::AdamW, optim::AdamWOptions, optim::Adam>(
      o, "AdamW", "Adam with decoupled weight decay, like torch.optim.AdamW.");
  def_optimizer<optim::RMSprop, optim::RMSpropOptions, Optimizer>(o, "RMSprop", "RMSprop, like torch.optim.RMSprop.");
  def_optimizer<optim::Adagrad, optim::AdagradOptions, Optimizer>(o, "Adagrad", "Adagrad, like torch.optim.Adagrad.");
  def_optimizer<optim::Adadelta, optim::AdadeltaOptions, Optimizer>(o, "Adadelta",
                                                                    "Adadelta, like torch.optim.Adadelta.");
  def_optimizer<optim::Adamax, optim::AdamaxOptions, Optimizer>(o, "Adamax", "Adamax, like torch.optim.Adamax.");
  def_optimizer<optim::NAdam, optim::NAdamOptions, Optimizer>(o, "NAdam", "NAdam, like torch.optim.NAdam.");
  def_optimizer<optim::RAdam, optim::RAdamOptions, Optimizer>(o, "RAdam", "RAdam, like torch.optim.RAdam.");

  py::class_<optim::ZeroRedundancyOptimizer, Optimizer>(
      o, "ZeroRedundancyOptimizer",
      "ZeRO stage 1 over the default process group (seek/dist/zero_optimizer.h): each rank keeps the state of "
      "its shard of the parameters; wrapped by seek.distributed.optim.ZeroRedundancyOptimizer.")
      .def(py::init([](const py::object& params, const std::string& optimizer, const py::kwargs& kwargs) {
             if (optimizer == "SGD") return make_zero<optim::SGD, optim::SGDOptions>(optimizer, params, kwargs);
             if (optimizer == "Adam") return make_zero<optim::Adam, optim::AdamOptions>(optimizer, params, kwargs);
             if (optimizer == "AdamW") return make_zero<optim::AdamW, optim::AdamWOptions>(optimizer, params, kwargs);
             if (optimizer == "RMSprop")
               return make_zero<optim::RMSprop, optim::RMSpropOptions>(optimizer, params, kwargs);
             if (optimizer == "Adagrad")
               return make_zero<optim::Adagrad, optim::AdagradOptions>(optimizer, params, kwargs);
             if (optimizer == "Adamax")
               return make_zero<optim::Adamax, optim::AdamaxOptions>(optimizer, params, kwargs);
             throw py::value_error(
                 "ZeroRedundancyOptimizer: optimizer_class must be one of seek.optim's SGD, Adam, "
                 "AdamW, RMSprop, Adagrad or Adamax, got '" +
                 optimizer + "'");
           }),
           py::arg("params"), py::arg("optimizer_class"))
      .def("local_state_bytes", &optim::ZeroRedundancyOptimizer::local_state_bytes,
           "Bytes of optimizer state (all tensors) this rank holds.")
      .def("owner", &optim::ZeroRedundancyOptimizer::owner, py::arg("group"), py::arg("index"),
           "The rank that holds the state of parameter `index` of group `group`.");

  py::module_ sched = o.def_submodule("lr_scheduler", "C++ learning-rate schedulers");
  init_schedulers(sched);

  o.def(
      "clip_grad_norm_",
      [](const py::handle& params, double max_norm, const py::handle& norm_type, bool error_if_nonfinite) {
        auto ps = tensor_list(params);
        double nt = norm_type_of(norm_type);
        py::gil_scoped_release g;
        return optim::clip_grad_norm_(ps, max_norm, nt, error_if_nonfinite);
      },
      py::arg("parameters"), py::arg("max_norm"), py::arg("norm_type") = 2.0, py::arg("error_if_nonfinite") = false,
      "Scales the gradients so that their total norm is at most max_norm; returns the norm before clipping.");
  o.def(
      "clip_grad_value_",
      [](const py::handle& params, double clip_value) {
        auto ps = tensor_list(params);
        py::gil_scoped_release g;
        optim::clip_grad_value_(ps, clip_value);
      },
      py::arg("parameters"), py::arg("clip_value"), "Clamps every gradient element into [-clip_value, clip_value].");
}

}  // namespace seek::python
