// Trains a ResNet on Fashion-MNIST (IDX files, gzipped or not) on the CPU and reports test accuracy.
//   train_resnet [--data DIR] [--model resnet20|resnet18] [--epochs N] [--batch-size N] [--lr X]
//                [--optimizer sgd|adamw] [--weight-decay X] [--warmup STEPS] [--label-smoothing X]
//                [--seed N] [--out DIR] [--limit-train N] [--threads N] [--workers N]
// Exit codes: 0 done, 2 bad arguments or unreadable data, 1 other errors.
#include <omp.h>
#include <seek/seek.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <memory>
#include <numeric>
#include <stdexcept>
#include <string>
#include <vector>

namespace {

using namespace seek;
namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

struct Args {
  std::string data = "/usr/share/datasets/fashion-mnist";
  std::string model = "resnet20";
  std::string optimizer = "sgd";
  // Default epochs fit the 10-minute budget of scripts/train_resnet.sh: resnet20 trains at ~380
  // images/s on the idle 2-core CPU, so 3 epochs of 60k take ~8 min (plus ~10 s per test pass).
  int64_t epochs = 3;
  int64_t batch_size = 128;
  double lr = 0.1;
  double weight_decay = 5e-4;
  int64_t warmup = 20;
  double label_smoothing = 0.05;
  uint64_t seed = 0;
  std::string out;
  int64_t limit_train = 0;  // 0: all 60k training images
  int64_t threads = 0;      // 0: OpenMP's default
  int64_t workers = 1;      // data-loading threads
};

struct UsageError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

void usage(std::ostream& os) {
  os << "usage: train_resnet [--data DIR] [--model resnet20|resnet18] [--epochs N] [--batch-size N] [--lr X]\n"
        "                    [--optimizer sgd|adamw] [--weight-decay X] [--warmup STEPS] [--label-smoothing X]\n"
        "                    [--seed N] [--out DIR] [--limit-train N] [--threads N] [--workers N]\n";
}

int64_t to_int(const std::string& flag, const std::string& v, int64_t min) {
  size_t used = 0;
  int64_t x = 0;
  try {
    x = std::stoll(v, &used);
  } catch (const std::exception&) {
    used = 0;
  }
  if (used != v.size() || v.empty()) throw UsageError(flag + " expects an integer, got '" + v + "'");
  if (x < min) throw UsageError(flag + " must be >= " + std::to_string(min) + ", got " + v);
  return x;
}

double to_double(const std::string& flag, const std::string& v, double min) {
  size_t used = 0;
  double x = 0;
  try {
    x = std::stod(v, &used);
  } catch (const std::exception&) {
    used = 0;
  }
  if (used != v.size() || v.empty()) throw UsageError(flag + " expects a number, got '" + v + "'");
  if (x < min) throw UsageError(flag + " must be >= " + std::to_string(min) + ", got " + v);
  return x;
}

Args parse(int argc, char** argv) {
  Args a;
  for (int i = 1; i < argc; ++i) {
    std::string flag = argv[i];
    if (flag == "--help" || flag == "-h") {
      usage(std::cout);
      std::exit(0);
    }
    if (i + 1 >= argc) throw UsageError("missing value for " + flag);
    std::string v = argv[++i];
    if (flag == "--data") a.data = v;
    else if (flag == "--model") a.model = v;
    else if (flag == "--optimizer") a.optimizer = v;
    else if (flag == "--epochs") a.epochs = to_int(flag, v, 1);
    else if (flag == "--batch-size") a.batch_size = to_int(flag, v, 1);
    else if (flag == "--lr") a.lr = to_double(flag, v, 0.0);
    else if (flag == "--weight-decay") a.weight_decay = to_double(flag, v, 0.0);
    else if (flag == "--warmup") a.warmup = to_int(flag, v, 0);
    else if (flag == "--label-smoothing") a.label_smoothing = to_double(flag, v, 0.0);
    else if (flag == "--seed") a.seed = static_cast<uint64_t>(to_int(flag, v, 0));
    else if (flag == "--out") a.out = v;
    else if (flag == "--limit-train") a.limit_train = to_int(flag, v, 0);
    else if (flag == "--threads") a.threads = to_int(flag, v, 0);
    else if (flag == "--workers") a.workers = to_int(flag, v, 0);
    else throw UsageError("unknown flag " + flag);
  }
  if (a.model != "resnet20" && a.model != "resnet18")
    throw UsageError("--model must be resnet20 or resnet18, got '" + a.model + "'");
  if (a.optimizer != "sgd" && a.optimizer != "adamw")
    throw UsageError("--optimizer must be sgd or adamw, got '" + a.optimizer + "'");
  if (a.label_smoothing > 1.0) throw UsageError("--label-smoothing must be in [0, 1]");
  return a;
}

std::string fmt(double v, int prec) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*f", prec, v);
  return buf;
}

// Fashion-MNIST statistics of the training images (pixels in [0, 1]).
constexpr double kMean = 0.2860, kStd = 0.3530;

double evaluate(nn::Module& model, data::DataLoader& loader) {
  model.eval();
  NoGradGuard no_grad;
  int64_t correct = 0, total = 0;
  for (const auto& batch : loader) {
    Tensor pred = model.forward(batch.data).argmax(1);
    correct += pred.eq(batch.target).sum().item<int64_t>();
    total += batch.target.size(0);
  }
  model.train();
  return total ? 100.0 * static_cast<double>(correct) / static_cast<double>(total) : 0.0;
}

int run(const Args& a) {
  if (a.threads > 0) omp_set_num_threads(static_cast<int>(a.threads));
  manual_seed(a.seed);

  if (!fs::is_directory(a.data)) {
    std::cerr << "train_resnet: data directory '" << a.data << "' does not exist (expected the Fashion-MNIST "
              << "IDX files train-images-idx3-ubyte[.gz] etc.; pass --data DIR)\n";
    return 2;
  }
  std::shared_ptr<data::MNIST> train_raw, test_raw;
  try {
    train_raw = std::make_shared<data::MNIST>(a.data, true);
    test_raw = std::make_shared<data::MNIST>(a.data, false);
  } catch (const Error& e) {
    std::cerr << "train_resnet: cannot read Fashion-MNIST from '" << a.data << "': " << e.what() << "\n";
    return 2;
  }

  data::DatasetPtr train_base = train_raw;
  if (a.limit_train > 0 && static_cast<size_t>(a.limit_train) < train_raw->size()) {
    std::vector<size_t> idx(static_cast<size_t>(a.limit_train));
    std::iota(idx.begin(), idx.end(), size_t{0});
    train_base = std::make_shared<data::Subset>(train_raw, std::move(idx));
  }
  Generator aug_gen(a.seed + 1);
  data::transforms::Normalize normalize({kMean}, {kStd});
  data::transforms::Compose augment({data::transforms::RandomCrop(28, 2), data::transforms::RandomHorizontalFlip(),
                                     normalize});
  auto train_set = std::make_shared<data::MapDataset>(train_base, augment, &aug_gen);
  auto test_set = std::make_shared<data::MapDataset>(test_raw, normalize);

  data::DataLoaderOptions train_opts;
  train_opts.batch_size = static_cast<size_t>(a.batch_size);
  train_opts.shuffle = true;
  train_opts.seed = a.seed;
  train_opts.num_workers = static_cast<size_t>(a.workers);
  data::DataLoader train_loader(train_set, train_opts);
  data::DataLoaderOptions test_opts;
  test_opts.batch_size = 500;
  test_opts.num_workers = static_cast<size_t>(a.workers);
  data::DataLoader test_loader(test_set, test_opts);

  std::shared_ptr<nn::Module> model;
  if (a.model == "resnet20") model = models::resnet20(10, 1);
  else model = models::resnet18(10, 1, /*small_input=*/true);
  model->train();

  std::unique_ptr<optim::Optimizer> opt;
  if (a.optimizer == "sgd") {
    opt = std::make_unique<optim::SGD>(
        model->parameters(), optim::SGDOptions(a.lr).momentum_(0.9).nesterov_(true).weight_decay_(a.weight_decay));
  } else {
    opt = std::make_unique<optim::AdamW>(model->parameters(), optim::AdamWOptions(a.lr).weight_decay_(a.weight_decay));
  }
  const int64_t steps_per_epoch = static_cast<int64_t>(train_loader.len());
  const int64_t total_steps = steps_per_epoch * a.epochs;
  optim::WarmupCosineLR sched(*opt, std::min(a.warmup, total_steps - 1), total_steps);  // warmup < total

  std::cerr << "train_resnet: " << a.model << " (" << model->num_parameters() << " parameters), "
            << train_set->size() << " training / " << test_set->size() << " test images, " << a.epochs
            << " epochs x " << steps_per_epoch << " steps, batch " << a.batch_size << ", " << a.optimizer << " lr "
            << a.lr << ", " << omp_get_max_threads() << " threads\n";

  std::ofstream csv;
  if (!a.out.empty()) {
    std::error_code ec;
    fs::create_directories(a.out, ec);
    csv.open(fs::path(a.out) / "metrics.csv");
    if (!csv) {
      std::cerr << "train_resnet: cannot write '" << (fs::path(a.out) / "metrics.csv").string() << "'\n";
      return 2;
    }
    csv << "epoch,train_loss,test_accuracy,elapsed_s,images_per_s\n";
  }

  const auto start = Clock::now();
  auto seconds_since = [](Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); };
  int64_t step = 0;
  double accuracy = 0.0;
  for (int64_t epoch = 1; epoch <= a.epochs; ++epoch) {
    train_loader.set_epoch(static_cast<uint64_t>(epoch - 1));
    const auto epoch_start = Clock::now();
    double loss_sum = 0.0, window_loss = 0.0;
    int64_t images = 0, batches = 0, window = 0;
    for (const auto& batch : train_loader) {
      opt->zero_grad();
      Tensor loss = nn::functional::cross_entropy(model->forward(batch.data), batch.target, Tensor(), -100, "mean",
                                                  a.label_smoothing);
      loss.backward();
      opt->step();
      sched.step();
      const double l = loss.item<double>();
      loss_sum += l;
      window_loss += l;
      ++window;
      ++batches;
      ++step;
      images += batch.target.size(0);
      if (step % 50 == 0 || step == total_steps) {
        const double elapsed = seconds_since(start);
        const double ips = static_cast<double>(images) / seconds_since(epoch_start);
        const double eta = elapsed / static_cast<double>(step) * static_cast<double>(total_steps - step);
        std::cerr << "epoch " << epoch << " step " << step << "/" << total_steps << " loss "
                  << fmt(window_loss / static_cast<double>(window), 4) << " lr " << fmt(sched.get_last_lr()[0], 5)
                  << " " << fmt(ips, 1) << " img/s eta " << fmt(eta, 0) << "s\n";
        window_loss = 0.0;
        window = 0;
      }
    }
    const double epoch_time = seconds_since(epoch_start);
    accuracy = evaluate(*model, test_loader);
    std::cout << "epoch " << epoch << " test accuracy " << fmt(accuracy, 2) << "%" << std::endl;
    if (csv) {
      csv << epoch << "," << fmt(loss_sum / static_cast<double>(std::max<int64_t>(batches, 1)), 5) << ","
          << fmt(accuracy, 2) << "," << fmt(seconds_since(start), 1) << ","
          << fmt(static_cast<double>(images) / epoch_time, 1) << std::endl;
    }
  }
  std::cout << "final test accuracy " << fmt(accuracy, 2) << "% (" << fmt(seconds_since(start), 1) << " s)"
            << std::endl;
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  Args args;
  try {
    args = parse(argc, argv);
  } catch (const UsageError& e) {
    std::cerr << "train_resnet: " << e.what() << "\n";
    usage(std::cerr);
    return 2;
  }
  try {
    return run(args);
  } catch (const std::exception& e) {
    std::cerr << "train_resnet: error: " << e.what() << "\n";
    return 1;
  }
}
