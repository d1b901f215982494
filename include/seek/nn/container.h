#pragma once
// Sequential, ModuleList and ModuleDict, like torch.nn's: children are named
// "0", "1", ... (or by key), so state_dict keys read "0.weight", "2.bias", ...
// The parent's registry is their only storage, so replace_module / set() (Python's
// seq[1] = m, setattr(seq, "1", m)) changes what forward and indexing see.
#include <cstddef>
#include <initializer_list>
#include <iterator>
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
  // Replaces the module at index (negative counts from the end; IndexError outside, ValueError when null).
  void set(int64_t index, ModulePtr module);
  size_t size() const { return num_children(); }
  Tensor forward(const Tensor& input) override;
};

// Holds submodules in a list; it has no forward of its own.
class ModuleList : public Module {
 public:
  // Walks the children in order, yielding each as a const ModulePtr&.
  class const_iterator {
   public:
    using iterator_category = std::forward_iterator_tag;
    using value_type = ModulePtr;
    using difference_type = std::ptrdiff_t;
    using pointer = const ModulePtr*;
    using reference = const ModulePtr&;
    const_iterator() = default;
    reference operator*() const { return list_->child_at(index_); }
    pointer operator->() const { return &list_->child_at(index_); }
    const_iterator& operator++() {
      ++index_;
      return *this;
    }
    const_iterator operator++(int) {
      const_iterator old = *this;
      ++index_;
      return old;
    }
    bool operator==(const const_iterator& o) const { return list_ == o.list_ && index_ == o.index_; }
    bool operator!=(const const_iterator& o) const { return !(*this == o); }

   private:
    friend class ModuleList;
    const_iterator(const ModuleList* list, size_t index) : list_(list), index_(index) {}
    const ModuleList* list_ = nullptr;
    size_t index_ = 0;
  };

  ModuleList() : Module("ModuleList") {}
  ModuleList(std::initializer_list<ModulePtr> modules);
  void push_back(ModulePtr module);
  ModulePtr operator[](int64_t index) const;
  void set(int64_t index, ModulePtr module);  // as Sequential::set
  size_t size() const { return num_children(); }
  const_iterator begin() const { return const_iterator(this, 0); }
  const_iterator end() const { return const_iterator(this, size()); }
};

// Submodules by key in insertion order; it has no forward of its own.
class ModuleDict : public Module {
 public:
  ModuleDict() : Module("ModuleDict") {}
  void insert(const std::string& key, ModulePtr module);  // ValueError for a repeated key
  ModulePtr operator[](const std::string& key) const;     // ValueError naming the key when absent
  bool contains(const std::string& key) const;
  size_t size() const { return num_children(); }
  std::vector<std::string> keys() const;  // insertion order
};

}  // namespace seek::nn
