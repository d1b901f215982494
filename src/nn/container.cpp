#include "seek/nn/container.h"

#include "seek/core/error.h"

namespace seek::nn {

namespace {
size_t wrap_index(int64_t index, size_t size, const char* op) {
  const int64_t n = static_cast<int64_t>(size);
  SEEK_CHECK_INDEX(index >= -n && index < n, op, ": index ", index, " is out of range for ", n, " modules");
  return static_cast<size_t>(index < 0 ? index + n : index);
}
}  // namespace

Sequential::Sequential(std::initializer_list<ModulePtr> modules) : Module("Sequential") {
  for (auto& m : modules) push_back(m);
}

void Sequential::push_back(ModulePtr module) {
  SEEK_CHECK_VALUE(module != nullptr, "Sequential.push_back: module is null");
  add_child(std::to_string(size()), std::move(module));
}

ModulePtr Sequential::operator[](int64_t index) const { return child_at(wrap_index(index, size(), "Sequential")); }

void Sequential::set(int64_t index, ModulePtr module) {
  const size_t i = wrap_index(index, size(), "Sequential.set");
  SEEK_CHECK_VALUE(module != nullptr, "Sequential.set: module for index ", index, " is null");
  set_child_at(i, std::move(module));
}

Tensor Sequential::forward(const Tensor& input) {
  Tensor x = input;
  for (size_t i = 0; i < num_children(); ++i) x = child_at(i)->call(x);
  return x;
}

ModuleList::ModuleList(std::initializer_list<ModulePtr> modules) : Module("ModuleList") {
  for (auto& m : modules) push_back(m);
}

void ModuleList::push_back(ModulePtr module) {
  SEEK_CHECK_VALUE(module != nullptr, "ModuleList.push_back: module is null");
  add_child(std::to_string(size()), std::move(module));
}

ModulePtr ModuleList::operator[](int64_t index) const { return child_at(wrap_index(index, size(), "ModuleList")); }

void ModuleList::set(int64_t index, ModulePtr module) {
  const size_t i = wrap_index(index, size(), "ModuleList.set");
  SEEK_CHECK_VALUE(module != nullptr, "ModuleList.set: module for index ", index, " is null");
  set_child_at(i, std::move(module));
}

void ModuleDict::insert(const std::string& key, ModulePtr module) {
  SEEK_CHECK_VALUE(module != nullptr, "ModuleDict.insert: module for key '", key, "' is null");
  SEEK_CHECK_VALUE(!contains(key), "ModuleDict.insert: key '", key, "' already exists");
  add_child(key, std::move(module));
}

ModulePtr ModuleDict::operator[](const std::string& key) const {
  SEEK_CHECK_VALUE(contains(key), "ModuleDict: no module with key '", key, "'");
  return child(key);
}

bool ModuleDict::contains(const std::string& key) const {
  for (size_t i = 0; i < num_children(); ++i)
    if (child_name_at(i) == key) return true;
  return false;
}

std::vector<std::string> ModuleDict::keys() const {
  std::vector<std::string> out;
  out.reserve(num_children());
  for (size_t i = 0; i < num_children(); ++i) out.push_back(child_name_at(i));
  return out;
}

}  // namespace seek::nn
