#include "seek/nn/container.h"

#include <algorithm>

#include "seek/core/error.h"

namespace seek::nn {

namespace {
ModulePtr at_index(const std::vector<ModulePtr>& v, int64_t index, const char* op) {
  const int64_t n = static_cast<int64_t>(v.size());
  SEEK_CHECK_INDEX(index >= -n && index < n, op, ": index ", index, " is out of range for ", n, " modules");
  return v[static_cast<size_t>(index < 0 ? index + n : index)];
}
}  // namespace

Sequential::Sequential(std::initializer_list<ModulePtr> modules) : Module("Sequential") {
  for (auto& m : modules) push_back(m);
}

void Sequential::push_back(ModulePtr module) {
  SEEK_CHECK_VALUE(module != nullptr, "Sequential.push_back: module is null");
  add_child(std::to_string(modules_.size()), module);
  modules_.push_back(std::move(module));
}

ModulePtr Sequential::operator[](int64_t index) const { return at_index(modules_, index, "Sequential"); }

Tensor Sequential::forward(const Tensor& input) {
  Tensor x = input;
  for (auto& m : modules_) x = m->forward(x);
  return x;
}

ModuleList::ModuleList(std::initializer_list<ModulePtr> modules) : Module("ModuleList") {
  for (auto& m : modules) push_back(m);
}

void ModuleList::push_back(ModulePtr module) {
  SEEK_CHECK_VALUE(module != nullptr, "ModuleList.push_back: module is null");
  add_child(std::to_string(modules_.size()), module);
  modules_.push_back(std::move(module));
}

ModulePtr ModuleList::operator[](int64_t index) const { return at_index(modules_, index, "ModuleList"); }

void ModuleDict::insert(const std::string& key, ModulePtr module) {
  SEEK_CHECK_VALUE(module != nullptr, "ModuleDict.insert: module for key '", key, "' is null");
  SEEK_CHECK_VALUE(!contains(key), "ModuleDict.insert: key '", key, "' already exists");
  add_child(key, module);
  keys_.push_back(key);
}

ModulePtr ModuleDict::operator[](const std::string& key) const {
  SEEK_CHECK_VALUE(contains(key), "ModuleDict: no module with key '", key, "'");
  return child(key);
}

bool ModuleDict::contains(const std::string& key) const {
  return std::find(keys_.begin(), keys_.end(), key) != keys_.end();
}

}  // namespace seek::nn
