#pragma once
// Small models and data sets shared by the train-layer tests (header-only).
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "seek/seek.h"
#include "support/test_util.h"

namespace seek::testing {

// n examples of `features` values in [-1, 1) with class targets (i * 7 + 3) % classes.
inline std::shared_ptr<data::TensorDataset> toy_dataset(int64_t n, int64_t features = 4, int64_t classes = 3,
                                                        uint64_t seed = 11) {
  std::vector<int64_t> targets(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i) targets[static_cast<size_t>(i)] = (i * 7 + 3) % classes;
  return std::make_shared<data::TensorDataset>(uniform_tensor({n, features}, -1, 1, kFloat32, seed),
                                               tensor<int64_t>(targets, Shape{n}));
}

// Linear(features, hidden) - ReLU [- Dropout(p)] - Linear(hidden, classes), initialised from
// the default generator.
inline std::shared_ptr<nn::Sequential> toy_mlp(int64_t features = 4, int64_t hidden = 8, int64_t classes = 3,
                                               double dropout = 0.0) {
  auto model = std::make_shared<nn::Sequential>();
  model->push_back(std::make_shared<nn::Linear>(features, hidden));
  model->push_back(std::make_shared<nn::ReLU>());
  if (dropout > 0) model->push_back(std::make_shared<nn::Dropout>(dropout));
  model->push_back(std::make_shared<nn::Linear>(hidden, classes));
  return model;
}

// A fresh, empty directory under the system temp directory.
inline std::filesystem::path fresh_dir(const std::string& name) {
  auto dir = std::filesystem::temp_directory_path() / ("seek_train_test_" + name);
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  return dir;
}

inline std::string read_text(const std::filesystem::path& path) {
  std::ifstream f(path);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

// Requests a stop after optimizer step `step` (an interruption, for the resume tests).
class StopAtStep : public train::Callback {
 public:
  explicit StopAtStep(int64_t step) : step_(step) {}
  void on_step_end(train::Trainer& t, int64_t step, const train::StepLoss&) override {
    if (step == step_) t.request_stop("test interruption");
  }

 private:
  int64_t step_;
};

inline std::vector<std::string> split_lines(const std::string& text) {
  std::vector<std::string> lines;
  std::stringstream ss(text);
  for (std::string line; std::getline(ss, line);) lines.push_back(line);
  return lines;
}

}  // namespace seek::testing
