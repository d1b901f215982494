// DistributedDataParallel and its Reducer (see ddp.h). Bucket buffers are flat tensors of the bucket's dtype;
// each parameter owns a contiguous slice. Buckets are launched strictly in bucket order, so every rank issues
// the same collectives in the same order even when gradients become ready in a different order.
#include "seek/dist/ddp.h"

#include <algorithm>
#include <mutex>
#include <sstream>
#include <unordered_map>
#include <unordered_set>

#include "seek/autograd/engine.h"
#include "seek/autograd/grad_mode.h"
#include "seek/autograd/node.h"
#include "seek/core/autograd_meta.h"
#include "seek/core/error.h"
#include "seek/core/shape_util.h"
#include "seek/ops/creation.h"

namespace seek::dist {

struct Reducer::State {
  struct Bucket {
    std::vector<size_t> params;   // indices into State::params
    std::vector<int64_t> offset;  // of each parameter in `flat`
    Tensor flat;
    size_t pending = 0;  // gradients still to arrive in this backward
    WorkPtr work;
  };
  std::vector<Tensor> params;
  std::vector<std::string> names;
  ProcessGroup* group = nullptr;
  ReducerOptions options;
  std::vector<Bucket> buckets;
  std::vector<std::vector<size_t>> bucket_indices;
  std::vector<size_t> bucket_of, slot_of;  // per parameter: its bucket and its place in the bucket
  std::vector<bool> ready;                 // per parameter, this backward
  std::vector<bool> locally_used;
  size_t next_to_launch = 0;
  bool armed = false;            // prepare_for_backward ran; the next backward synchronises
  bool callback_queued = false;  // the finalize callback of this backward is queued
  int64_t synced = 0;
  std::mutex mu;  // hooks may run on other threads (a leaf shared by threads)

  Tensor slot(size_t i) {
    const Bucket& b = buckets[bucket_of[i]];
    return b.flat.narrow(0, b.offset[slot_of[i]], params[i].numel()).view(params[i].sizes());
  }
  std::string name(size_t i) const { return i < names.size() && !names[i].empty() ? names[i] : str("#", i); }

  void launch_ready_buckets() {
    while (next_to_launch < buckets.size() && buckets[next_to_launch].pending == 0) {
      Bucket& b = buckets[next_to_launch++];
      b.work = group->all_reduce(b.flat, ReduceOp::Avg, /*async_op=*/true);
    }
  }

  void mark_ready(size_t i, const Tensor* incoming) {
    if (ready[i]) return;
    ready[i] = true;
    Tensor s = slot(i);
    Tensor current = params[i].grad();
    if (incoming) {
      // The slot gets what .grad will hold after accumulation: the old .grad (no_sync steps) + this gradient.
      s.copy_(*incoming);
      if (current.defined()) s.add_(current);
      locally_used[i] = true;
    } else if (current.defined()) {
      s.copy_(current);  // unused in this forward: what no_sync steps accumulated, else zero
    } else {
      s.zero_();
    }
    Bucket& b = buckets[bucket_of[i]];
    --b.pending;
    launch_ready_buckets();
  }

  // Runs first in each synchronised backward (from the first hook): the end-of-backward callback.
  void begin_backward() {
    callback_queued = true;
    autograd::queue_callback([weak = weak_self]() {
      if (auto s = weak.lock()) s->finalize();
    });
  }
  std::weak_ptr<State> weak_self;

  void finalize() {
    std::lock_guard<std::mutex> lock(mu);
    armed = false;
    callback_queued = false;
    std::vector<std::string> missing;
    for (size_t i = 0; i < params.size(); ++i)
      if (!ready[i]) missing.push_back(name(i));
    if (!missing.empty()) {
      // Leave the process group in step with the other ranks is impossible here; say what to do.
      for (auto& b : buckets)
        if (b.work) b.work->wait();
      std::ostringstream os;
      for (size_t k = 0; k < missing.size() && k < 10; ++k) os << (k ? ", " : "") << missing[k];
      if (missing.size() > 10) os << ", ... (" << missing.size() << " in all)";
      throw ValueError(
          str("DistributedDataParallel: expected every parameter to receive a gradient in this backward "
              "pass, but these did not: ",
              os.str(),
              ". Pass find_unused_parameters=true when some parameters are not used in the forward "
              "pass, and make sure every output of forward takes part in the loss"));
    }
    for (auto& b : buckets) {
      b.work->wait();
      b.work.reset();
    }
    std::vector<bool> globally_used(params.size(), true);
    if (options.find_unused_parameters) {
      Tensor used = zeros({static_cast<int64_t>(params.size())}, TensorOptions(kInt32));
      int32_t* u = used.data_ptr<int32_t>();
      for (size_t i = 0; i < params.size(); ++i) u[i] = locally_used[i] ? 1 : 0;
      group->all_reduce(used, ReduceOp::Sum);
      for (size_t i = 0; i < params.size(); ++i) globally_used[i] = used.data_ptr<int32_t>()[i] > 0;
    }
    NoGradGuard no_grad;
    for (size_t i = 0; i < params.size(); ++i) {
      Tensor g = params[i].grad();
      if (g.defined()) {
        g.copy_(slot(i));
      } else if (globally_used[i]) {
        // Used on another rank only: this rank gets the average too (as torch does).
        Tensor fresh = empty_like(params[i]);
        fresh.copy_(slot(i));
        params[i].set_grad(fresh);
      }
    }
    ++synced;
  }
};

Reducer::Reducer(std::vector<Tensor> params, std::vector<std::string> names, ProcessGroup& group,
                 ReducerOptions options)
    : state_(std::make_shared<State>()) {
  SEEK_CHECK_VALUE(options.bucket_cap_mb > 0, "DistributedDataParallel: bucket_cap_mb must be positive, got ",
                   options.bucket_cap_mb);
  State& st = *state_;
  st.weak_self = state_;
  st.group = &group;
  st.options = options;
  for (size_t i = 0; i < params.size(); ++i) {
    if (!params[i].requires_grad()) continue;
    SEEK_CHECK_VALUE(params[i].is_leaf(), "DistributedDataParallel: parameter ",
                     i < names.size() ? names[i] : str("#", i), " is not a leaf tensor");
    st.params.push_back(params[i]);
    st.names.push_back(i < names.size() ? names[i] : str("#", i));
  }
  const size_t n = st.params.size();
  // Buckets in reverse registration order; a new bucket when the cap is reached or dtype/device change.
  // As torch, the first bucket (the last layers' gradients, ready first) holds at most 1 MiB, so that
  // communication starts early in backward.
  const double full_cap = options.bucket_cap_mb * 1024.0 * 1024.0;
  const double first_cap = std::min(full_cap, 1024.0 * 1024.0);
  st.bucket_of.assign(n, 0);
  st.slot_of.assign(n, 0);
  State::Bucket cur;
  double cur_bytes = 0;
  auto close = [&]() {
    if (cur.params.empty()) return;
    int64_t total = 0;
    for (size_t k = 0; k < cur.params.size(); ++k) {
      cur.offset.push_back(total);
      total += st.params[cur.params[k]].numel();
    }
    const Tensor& p0 = st.params[cur.params[0]];
    cur.flat = zeros({total}, TensorOptions(p0.dtype()).device(p0.device()));
    st.bucket_indices.push_back(cur.params);
    for (size_t k = 0; k < cur.params.size(); ++k) {
      st.bucket_of[cur.params[k]] = st.buckets.size();
      st.slot_of[cur.params[k]] = k;
    }
    st.buckets.push_back(std::move(cur));
    cur = State::Bucket();
    cur_bytes = 0;
  };
  for (size_t r = n; r-- > 0;) {
    const Tensor& p = st.params[r];
    if (!cur.params.empty()) {
      const Tensor& q = st.params[cur.params[0]];
      const double cap = st.buckets.empty() ? first_cap : full_cap;
      if (q.dtype() != p.dtype() || q.device() != p.device() || cur_bytes + p.nbytes() > cap) close();
    }
    cur.params.push_back(r);
    cur_bytes += static_cast<double>(p.nbytes());
  }
  close();
  st.ready.assign(n, false);
  st.locally_used.assign(n, false);

  std::weak_ptr<State> weak = state_;
  for (size_t i = 0; i < n; ++i) {
    st.params[i].register_hook([weak, i](const Tensor& g) -> Tensor {
      std::shared_ptr<State> s = weak.lock();
      if (!s) return Tensor();
      std::lock_guard<std::mutex> lock(s->mu);
      if (!s->armed || !autograd::in_backward()) return Tensor();
      if (!s->callback_queued) s->begin_backward();
      s->mark_ready(i, &g);
      return Tensor();
    });
  }
}

Reducer::~Reducer() = default;

namespace {
// The parameters (by TensorImpl) whose AccumulateGrad nodes the graph from `outputs` reaches.
std::unordered_set<const TensorImpl*> reachable_leaves(const std::vector<Tensor>& outputs) {
  std::unordered_set<const TensorImpl*> leaves;
  std::unordered_set<const autograd::Node*> seen;
  std::vector<std::shared_ptr<autograd::Node>> stack;
  for (const Tensor& o : outputs) {
    autograd::Edge e = autograd::gradient_edge(o);
    if (e.valid() && seen.insert(e.fn.get()).second) stack.push_back(e.fn);
  }
  while (!stack.empty()) {
    auto n = stack.back();
    stack.pop_back();
    if (auto* acc = dynamic_cast<autograd::AccumulateGrad*>(n.get())) {
      if (auto impl = acc->leaf.lock()) leaves.insert(impl.get());
    }
    for (const autograd::Edge& e : n->next_edges)
      if (e.valid() && seen.insert(e.fn.get()).second) stack.push_back(e.fn);
  }
  return leaves;
}
}  // namespace

void Reducer::prepare_for_backward(const std::vector<Tensor>& outputs) {
  State& st = *state_;
  std::lock_guard<std::mutex> lock(st.mu);
  SEEK_CHECK_VALUE(!st.callback_queued,
                   "DistributedDataParallel: forward called while the previous backward is still reducing");
  for (auto& b : st.buckets) {
    SEEK_CHECK_VALUE(!b.work, "DistributedDataParallel: the previous iteration's reduction did not finish");
    b.pending = b.params.size();
  }
  st.ready.assign(st.params.size(), false);
  st.locally_used.assign(st.params.size(), false);
  st.next_to_launch = 0;
  st.armed = true;
  if (st.options.find_unused_parameters) {
    auto used = reachable_leaves(outputs);
    std::vector<size_t> unused;
    for (size_t i = 0; i < st.params.size(); ++i)
      if (!used.count(st.params[i].impl())) unused.push_back(i);
    // Marked ready at the first hook of the backward (their slots then hold zeros or the no_sync .grad);
    // if no parameter is used at all, finalize reports nothing is missing only after they are marked.
    for (size_t i : unused) st.mark_ready(i, nullptr);
  }
}

const std::vector<std::vector<size_t>>& Reducer::bucket_indices() const { return state_->bucket_indices; }
int64_t Reducer::num_synced_backwards() const { return state_->synced; }

void sync_module_states(const std::vector<std::pair<std::string, Tensor>>& named_tensors, ProcessGroup& group,
                        int src) {
  if (group.size() == 1) return;
  // Shapes first, so that a mismatch is an error on every rank instead of a hang or garbage.
  std::ostringstream sig;
  for (const auto& [name, t] : named_tensors) sig << name << ":" << shape_str(t.sizes()) << ":" << t.dtype() << ";";
  std::vector<std::string> all = group.all_gather_bytes(sig.str());
  for (size_t r = 0; r < all.size(); ++r) {
    if (all[r] == all[static_cast<size_t>(src)]) continue;
    throw ValueError(str("DistributedDataParallel: rank ", r, " has different parameters or buffers than rank ", src,
                         " (names, shapes or dtypes differ): rank ", src, ": ",
                         all[static_cast<size_t>(src)].substr(0, 300), " ... rank ", r, ": ", all[r].substr(0, 300)));
  }
  NoGradGuard no_grad;
  std::vector<WorkPtr> works;
  for (const auto& [name, t] : named_tensors) {
    Tensor x = t.detach();
    works.push_back(group.broadcast(x, src, /*async_op=*/true));
  }
  for (auto& w : works) w->wait();
}

}  // namespace seek::dist

namespace seek::nn {

DistributedDataParallel::DistributedDataParallel(std::shared_ptr<Module> module, DistributedDataParallelOptions options)
    : Module("DistributedDataParallel"), options_(options) {
  SEEK_CHECK_VALUE(module != nullptr, "DistributedDataParallel: module is null");
  group_ = options.process_group ? options.process_group : &dist::default_group();
  register_module("module", module);
  std::vector<std::pair<std::string, Tensor>> states = module->named_parameters();
  for (auto& b : module->named_buffers()) states.push_back(b);
  dist::sync_module_states(states, *group_);
  std::vector<Tensor> params;
  std::vector<std::string> names;
  for (auto& [n, p] : module->named_parameters()) {
    params.push_back(p);
    names.push_back(n);
  }
  reducer_ =
      std::make_unique<dist::Reducer>(std::move(params), std::move(names), *group_,
                                      dist::ReducerOptions{options.bucket_cap_mb, options.find_unused_parameters});
}

void DistributedDataParallel::pre_forward() {
  if (options_.broadcast_buffers && require_forward_param_sync_ && group_->size() > 1) {
    auto buffers = module()->named_buffers();
    if (!buffers.empty()) {
      NoGradGuard no_grad;
      std::vector<dist::WorkPtr> works;
      for (auto& [n, b] : buffers) {
        Tensor x = b.detach();
        works.push_back(group_->broadcast(x, 0, /*async_op=*/true));
      }
      for (auto& w : works) w->wait();
    }
  }
}

void DistributedDataParallel::post_forward(const std::vector<Tensor>& outputs) {
  const bool sync = GradMode::is_enabled() && require_backward_grad_sync_;
  if (sync) reducer_->prepare_for_backward(outputs);
  require_forward_param_sync_ = sync;
}

Tensor DistributedDataParallel::forward(const Tensor& input) {
  pre_forward();
  Tensor out = module()->call(input);
  post_forward({out});
  return out;
}

std::vector<Tensor> DistributedDataParallel::forward_with(const std::function<std::vector<Tensor>()>& fn) {
  pre_forward();
  std::vector<Tensor> outs = fn();
  post_forward(outs);
  return outs;
}

std::string DistributedDataParallel::extra_repr() const {
  return str("world_size=", group_->size(), ", buckets=", reducer_ ? reducer_->bucket_indices().size() : 0,
             ", bucket_cap_mb=", options_.bucket_cap_mb,
             ", find_unused_parameters=", options_.find_unused_parameters ? "True" : "False");
}

}  // namespace seek::nn
