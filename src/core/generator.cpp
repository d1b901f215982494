// Generator state handling and the per-device default generators.
#include "seek/core/generator.h"

#include <map>
#include <memory>
#include <utility>

#include "seek/core/tensor.h"

namespace seek {

uint64_t Generator::seed() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return seed_;
}

uint64_t Generator::offset() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return offset_;
}

void Generator::manual_seed(uint64_t s) {
  std::lock_guard<std::mutex> lock(mutex_);
  seed_ = s;
  offset_ = 0;
}

void Generator::set_offset(uint64_t offset) {
  std::lock_guard<std::mutex> lock(mutex_);
  offset_ = offset;
}

GeneratorState Generator::state() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return {seed_, offset_};
}

void Generator::set_state(const GeneratorState& s) {
  std::lock_guard<std::mutex> lock(mutex_);
  seed_ = s.seed;
  offset_ = s.offset;
}

Tensor Generator::get_state() const {
  GeneratorState s = state();
  Tensor t = empty(Shape{2}, TensorOptions(kInt64));
  int64_t* p = t.data_ptr<int64_t>();
  p[0] = static_cast<int64_t>(s.seed);
  p[1] = static_cast<int64_t>(s.offset);
  return t;
}

void Generator::set_state(const Tensor& t) {
  SEEK_CHECK(t.defined(), "Generator::set_state: the state tensor is undefined");
  SEEK_CHECK_DTYPE(t.dtype() == kInt64,
                   "Generator::set_state: expected an int64 state tensor [seed, offset], got dtype ", t.dtype());
  SEEK_CHECK_SHAPE(t.dim() == 1 && t.size(0) == 2,
                   "Generator::set_state: expected a state tensor of shape [2] ([seed, offset]), got shape ",
                   shape_str(t.sizes()));
  const Tensor host = t.is_cpu() ? t.contiguous() : t.to(kCPU).contiguous();
  const int64_t* v = host.data_ptr<int64_t>();
  set_state(GeneratorState{static_cast<uint64_t>(v[0]), static_cast<uint64_t>(v[1])});
}

GeneratorState Generator::reserve(uint64_t blocks) {
  std::lock_guard<std::mutex> lock(mutex_);
  GeneratorState s{seed_, offset_};
  offset_ += blocks;
  return s;
}

namespace {
struct Registry {
  std::mutex mutex;
  uint64_t seed = Generator::kDefaultSeed;
  // unique_ptr keeps each Generator at a fixed address for the references handed out.
  std::map<std::pair<int, int>, std::unique_ptr<Generator>> generators;
};
Registry& registry() {
  static Registry* r = new Registry();  // never destroyed: generators may be used during static teardown
  return *r;
}
}  // namespace

Generator& default_generator(Device device) {
  Registry& r = registry();
  std::lock_guard<std::mutex> lock(r.mutex);
  SEEK_CHECK_VALUE(device.is_cpu() || device.index >= 0, "default_generator: invalid device index ", device.index);
  int index = device.is_cpu() ? 0 : device.index;
  auto key = std::make_pair(static_cast<int>(device.type), index);
  auto it = r.generators.find(key);
  if (it == r.generators.end()) {
    it = r.generators.emplace(key, std::make_unique<Generator>(r.seed, Device(device.type, index))).first;
  }
  return *it->second;
}

void manual_seed(uint64_t seed) {
  Registry& r = registry();
  std::lock_guard<std::mutex> lock(r.mutex);
  r.seed = seed;
  for (auto& [key, gen] : r.generators) gen->manual_seed(seed);
}

}  // namespace seek
