#pragma once
// Sequential, ModuleList and ModuleDict, like torch.nn's: children are named
// "0", "1", ... (or by key), so state_dict keys read "0.weight", "2.bias", ...
#include <initializer_list>
#include <memory>
#include <string>
#include <vector>

#include "seek/nn/module.h"

namespace seek::nn {

using ModulePtr = std::shared_ptr<Module>;

// Runs its children in order, each on the previous one's output.
class Sequential : public Module {
 public:
  Sequential() : Module("Sequential") {}
  Sequential(std::initializer_list<ModulePtr> modules);
  void push_back(ModulePtr module);
  ModulePtr operator[](int64_t index) const;  // negative counts from the end; IndexError outside
  size_t size() const { return modules_.size(); }
  Tensor forward(const Tensor& input) override;

 private:
  std::vector<ModulePtr> modules_;
};

// Holds submodules in a list; it has no forward of its own.
class ModuleList : public Module {
 public:
  ModuleList() : Module("ModuleList") {}
  ModuleList(std::initializer_list<ModulePtr> modules);
  void push_back(ModulePtr module);
  ModulePtr operator[](int64_t index) const;
  size_t size() const { return modules_.size(); }
  std::vector<ModulePtr>::const_iterator begin() const { return modules_.begin(); }
  std::vector<ModulePtr>::const_iterator end() const { return modules_.end(); }

 private:
  std::vector<ModulePtr> modules_;
};

// Submodules by key in insertion order; it has no forward of its own.
class ModuleDict : public Module {
 public:
  ModuleDict() : Module("ModuleDict") {}
  void insert(const std::string& key, ModulePtr module);  // ValueError for a repeated key
  ModulePtr operator[](const std::string& key) const;      // ValueError naming the key when absent
  bool contains(const std::string& key) const;
  size_t size() const { return keys_.size(); }
  const std::vector<std::string>& keys() const { return keys_; }

 private:
  std::vector<std::string> keys_;
};

}  // namespace seek::nn
