// The conv algorithm cache (see conv_algo_cache.h): a hash map under a mutex, filled by
// choose_conv_algo from whatever ranking the caller's query returns.
#include "backend/cuda/conv_algo_cache.h"

#include "seek/backends.h"
#include "seek/core/error.h"

namespace seek::cuda {

namespace {
void mix(size_t& h, int64_t v) {  // boost::hash_combine's mixing step
  h ^= std::hash<int64_t>{}(v) + 0x9e3779b97f4a7c15ULL + (h << 6) + (h >> 2);
}
template <size_t N>
void mix_all(size_t& h, const std::array<int64_t, N>& a) {
  for (int64_t v : a) mix(h, v);
}
template <size_t N>
std::array<int64_t, N> to_array(const std::vector<int64_t>& v, const char* what) {
  SEEK_CHECK_SHAPE(v.size() == N, "conv algorithm key: expected a ", N, "-d ", what, ", got ", v.size(), " dims");
  std::array<int64_t, N> a{};
  for (size_t i = 0; i < N; ++i) a[i] = v[i];
  return a;
}
}  // namespace

size_t ConvAlgoKeyHash::operator()(const ConvAlgoKey& k) const {
  size_t h = 0;
  mix(h, k.device);
  mix(h, k.dtype);
  mix(h, k.layout);
  for (const auto* a : {&k.x_sizes, &k.x_strides, &k.w_sizes, &k.w_strides, &k.y_sizes, &k.y_strides}) mix_all(h, *a);
  mix_all(h, k.params);
  mix(h, (k.deterministic ? 1 : 0) | (k.allow_tf32 ? 2 : 0));
  return h;
}

ConvAlgoKey make_conv_algo_key(const Tensor& x, const Tensor& w, const Tensor& y, const Conv2dParams& p) {
  ConvAlgoKey k;
  k.device = x.device().index;
  k.dtype = static_cast<int>(x.dtype());
  k.x_sizes = to_array<4>(x.sizes(), "input");
  k.x_strides = to_array<4>(x.strides(), "input");
  k.w_sizes = to_array<4>(w.sizes(), "weight");
  k.w_strides = to_array<4>(w.strides(), "weight");
  k.y_sizes = to_array<4>(y.sizes(), "output");
  k.y_strides = to_array<4>(y.strides(), "output");
  k.layout = x.size(1) > 1 && x.stride(1) == 1 ? 1 : 0;
  k.params = {p.stride[0], p.stride[1], p.padding[0], p.padding[1], p.dilation[0], p.dilation[1], p.groups};
  k.deterministic = backends::cudnn::deterministic.load();
  k.allow_tf32 = backends::cudnn::allow_tf32.load();
  return k;
}

std::optional<ConvAlgoChoice> pick_conv_algo(const std::vector<ConvAlgoPerf>& ranked, bool deterministic,
                                             size_t max_workspace, bool benchmarked) {
  for (const ConvAlgoPerf& r : ranked)
    if (r.ok && r.algo >= 0 && (!deterministic || r.deterministic) && r.workspace <= max_workspace)
      return ConvAlgoChoice{r.algo, r.math_type, r.workspace, benchmarked};
  return std::nullopt;
}

std::optional<ConvAlgoChoice> ConvAlgoCache::find(const ConvAlgoKey& key, ConvPass pass, bool benchmark) const {
  std::lock_guard<std::mutex> lock(mutex_);
  const auto it = map_.find(key);
  if (it == map_.end()) return std::nullopt;
  const std::optional<ConvAlgoChoice>& c = it->second[static_cast<size_t>(pass)];
  if (!c || (benchmark && !c->benchmarked)) return std::nullopt;
  return c;
}

void ConvAlgoCache::store(const ConvAlgoKey& key, ConvPass pass, const ConvAlgoChoice& choice) {
  std::lock_guard<std::mutex> lock(mutex_);
  map_[key][static_cast<size_t>(pass)] = choice;
}

size_t ConvAlgoCache::size() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return map_.size();
}

void ConvAlgoCache::clear() {
  std::lock_guard<std::mutex> lock(mutex_);
  map_.clear();
}

ConvAlgoCache& conv_algo_cache() {
  static ConvAlgoCache* cache = new ConvAlgoCache;  // never destroyed: convs may run during exit
  return *cache;
}

ConvAlgoChoice choose_conv_algo(ConvAlgoCache& cache, const ConvAlgoKey& key, ConvPass pass,
                                const std::function<std::vector<ConvAlgoPerf>(bool benchmark)>& query,
                                size_t max_workspace) {
  const bool benchmark = backends::cudnn::benchmark.load();
  if (auto hit = cache.find(key, pass, benchmark)) return *hit;
  const std::vector<ConvAlgoPerf> ranked = query(benchmark);
  const std::optional<ConvAlgoChoice> c = pick_conv_algo(ranked, key.deterministic, max_workspace, benchmark);
  if (!c) {
    SEEK_CHECK(!key.deterministic || !pick_conv_algo(ranked, false, max_workspace, benchmark),
               "conv2d: cuDNN offers no deterministic algorithm for this convolution (",
               pass == ConvPass::Forward        ? "forward"
               : pass == ConvPass::BackwardData ? "backward data"
                                                : "backward filter",
               "); unset seek::backends::cudnn::deterministic to allow the others");
    throw Error(str("conv2d: cuDNN offers no usable algorithm for this convolution (", ranked.size(), " ranked)"));
  }
  cache.store(key, pass, *c);
  return *c;
}

}  // namespace seek::cuda
