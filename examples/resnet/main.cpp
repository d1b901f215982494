// Trains a ResNet on Fashion-MNIST (IDX files, gzipped or not) with seek::train::Trainer and reports
// test accuracy after every epoch.
//   train_resnet [--data DIR] [--model NAME] [--epochs N] [--batch-size N] [--lr X]
//                [--optimizer sgd|adamw] [--weight-decay X] [--warmup STEPS] [--label-smoothing X]
//                [--schedule cosine|step|onecycle|constant] [--accumulation N] [--clip-grad X]
//                [--mixup ALPHA] [--cutmix ALPHA]
//                [--seed N] [--out DIR] [--checkpoint-every N] [--resume DIR] [--limit-train N]
//                [--limit-test N] [--threads N] [--workers N] [--device cpu|cuda] [--amp bf16|fp16]
//                [--channels-last] [--distributed] [--zero]
// stdout: "epoch N test accuracy X%" per epoch and "final test accuracy X% (T s)"; stderr: progress.
// --out DIR gets metrics.csv / metrics.jsonl (a row per epoch) and, with --checkpoint-every N,
// DIR/checkpoint every N epochs, which --resume DIR/checkpoint continues from.
// --amp bf16|fp16 trains with mixed precision (autocast; fp16 also scales the loss), default off.
// --channels-last lays the model's 4-D weights out channels_last (NHWC), so every activation is too.
// --distributed: data-parallel training, one process per rank (mpirun -np 2 train_resnet --distributed ...):
// DistributedDataParallel, a DistributedSampler, --batch-size per rank; rank 0 prints and writes. --zero shards
// the optimizer state over the ranks (ZeroRedundancyOptimizer) and prints the state bytes per rank.
// Exit codes: 0 done, 2 bad arguments, unreadable data or no CUDA for --device cuda, 1 other errors.
#include <omp.h>
#include <seek/seek.h>
#include <seek/data/sampler.h>
#include <seek/dist/process_group.h>
#include <seek/dist/zero_optimizer.h>

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

#include "common/cli.h"

namespace {

using namespace seek;
using examples::to_double;
using examples::to_int;
using examples::UsageError;
namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

struct Args {
  std::string data = "/usr/share/datasets/fashion-mnist";
  std::string model = "resnet20";
  std::string optimizer = "sgd";
  // Default epochs fit the 10-minute budget of scripts/train_resnet.sh: resnet20 trains at ~490
  // images/s on the idle 2-core CPU, so 3 epochs of 60k take ~6.5 min (plus a few s per test pass).
  int64_t epochs = 3;
  int64_t batch_size = 128;
  double lr = 0.1;
  double weight_decay = 5e-4;
  int64_t warmup = 20;
  double label_smoothing = 0.05;
  uint64_t seed = 0;
  std::string out;
  int64_t limit_train = 0;  // 0: all 60k training images
  int64_t limit_test = 0;   // 0: all 10k test images
  int64_t threads = 0;      // 0: OpenMP's default
  int64_t workers = 1;      // data-loading threads
  std::string schedule = "cosine";
  int64_t accumulation = 1;      // micro-batches per optimizer step
  double clip_grad = 0;          // > 0: clip the gradients' total norm to this
  std::string resume;            // checkpoint directory to continue from
  int64_t checkpoint_every = 0;  // epochs; needs --out
  std::string device = "cpu";
  double mixup = 0;   // > 0: MixUp with Beta(alpha, alpha)
  double cutmix = 0;  // > 0: CutMix with Beta(alpha, alpha); with both, one of the two per batch
  std::string amp;    // "" (off), "bf16" or "fp16": TrainerOptions::amp
  bool channels_last = false;
  bool distributed = false;  // one process per rank (mpirun), DDP + DistributedSampler
  bool zero = false;         // ZeroRedundancyOptimizer (sharded optimizer state)
};

const std::vector<std::string> kModels = {"resnet20", "resnet56", "resnet18", "resnet18d", "mobilenet_v3_small",
                                          "mobilenet_v3_large"};

void usage(std::ostream& os) {
  os << "usage: train_resnet [--data DIR] [--model NAME] [--epochs N] [--batch-size N] [--lr X]\n"
        "                    [--optimizer sgd|adamw] [--weight-decay X] [--warmup STEPS] [--label-smoothing X]\n"
        "                    [--schedule cosine|step|onecycle|constant] [--accumulation N] [--clip-grad X]\n"
        "                    [--mixup ALPHA] [--cutmix ALPHA]\n"
        "                    [--seed N] [--out DIR] [--checkpoint-every N] [--resume DIR] [--limit-train N]\n"
        "                    [--limit-test N] [--threads N] [--workers N] [--device cpu|cuda]\n"
        "                    [--amp bf16|fp16] [--channels-last] [--distributed] [--zero]\n"
        "models: resnet20 (default), resnet56, resnet18, resnet18d, mobilenet_v3_small, mobilenet_v3_large\n"
        "        (the ImageNet models with their small-input stem)\n"
        "--amp: mixed precision (autocast in bfloat16 or float16; fp16 adds loss scaling); default off\n"
        "--channels-last: NHWC memory format for the weights and activations (model.to(channels_last))\n"
        "--distributed: one process per rank under mpirun (DDP; --batch-size is per rank); --zero: sharded\n"
        "               optimizer state (ZeRO stage 1)\n";
}

Args parse(int argc, char** argv) {
  Args a;
  for (int i = 1; i < argc; ++i) {
    std::string flag = argv[i];
    if (flag == "--help" || flag == "-h") {
      usage(std::cout);
      std::exit(0);
    }
    if (flag == "--distributed" || flag == "--zero") {
      (flag == "--distributed" ? a.distributed : a.zero) = true;
      continue;
    }
    if (flag == "--channels-last") {
      a.channels_last = true;
      continue;
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
    else if (flag == "--limit-test") a.limit_test = to_int(flag, v, 0);
    else if (flag == "--threads") a.threads = to_int(flag, v, 0);
    else if (flag == "--workers") a.workers = to_int(flag, v, 0);
    else if (flag == "--schedule") a.schedule = v;
    else if (flag == "--accumulation") a.accumulation = to_int(flag, v, 1);
    else if (flag == "--clip-grad") a.clip_grad = to_double(flag, v, 0.0);
    else if (flag == "--resume") a.resume = v;
    else if (flag == "--checkpoint-every") a.checkpoint_every = to_int(flag, v, 0);
    else if (flag == "--device") a.device = v;
    else if (flag == "--mixup") a.mixup = to_double(flag, v, 0.0);
    else if (flag == "--cutmix") a.cutmix = to_double(flag, v, 0.0);
    else if (flag == "--amp") a.amp = v;
    else throw UsageError("unknown flag " + flag);
  }
  if (std::find(kModels.begin(), kModels.end(), a.model) == kModels.end())
    throw UsageError("--model must be resnet20, resnet56, resnet18, resnet18d, mobilenet_v3_small or "
                     "mobilenet_v3_large, got '" + a.model + "'");
  if (a.optimizer != "sgd" && a.optimizer != "adamw")
    throw UsageError("--optimizer must be sgd or adamw, got '" + a.optimizer + "'");
  if (a.label_smoothing > 1.0) throw UsageError("--label-smoothing must be in [0, 1]");
  if (a.schedule != "cosine" && a.schedule != "step" && a.schedule != "onecycle" && a.schedule != "constant")
    throw UsageError("--schedule must be cosine, step, onecycle or constant, got '" + a.schedule + "'");
  if (a.device != "cpu" && a.device != "cuda") throw UsageError("--device must be cpu or cuda, got '" + a.device + "'");
  if (a.amp != "bf16" && a.amp != "fp16" && !a.amp.empty())
    throw UsageError("--amp must be bf16 or fp16, got '" + a.amp + "'");
  if (a.checkpoint_every > 0 && a.out.empty()) throw UsageError("--checkpoint-every needs --out DIR");
  if (a.zero && !a.distributed) throw UsageError("--zero needs --distributed");
  return a;
}

std::string fmt(double v, int prec) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*f", prec, v);
  return buf;
}

// Fashion-MNIST statistics of the training images (pixels in [0, 1]).
constexpr double kMean = 0.2860, kStd = 0.3530;

// Prints the per-epoch lines scripts and tests read, and remembers the last test accuracy.
class EpochReport : public train::Callback {
 public:
  double accuracy = -1;  // percent; < 0 until an evaluation
  bool quiet = false;    // ranks other than 0
  void on_epoch_end(train::Trainer&, int64_t epoch, const train::MetricValues& m) override {
    auto it = m.find("val_accuracy");
    if (it == m.end()) return;
    accuracy = 100.0 * it->second;
    if (!quiet) std::cout << "epoch " << epoch + 1 << " test accuracy " << fmt(accuracy, 2) << "%" << std::endl;
  }
};

std::unique_ptr<optim::LRScheduler> make_schedule(const Args& a, optim::Optimizer& opt, int64_t total_steps) {
  if (a.schedule == "cosine")  // warmup < total
    return std::make_unique<optim::WarmupCosineLR>(opt, std::min(a.warmup, total_steps - 1), total_steps);
  if (a.schedule == "step")  // lr / 10 after each third of the run
    return std::make_unique<optim::StepLR>(opt, std::max<int64_t>(1, total_steps / 3), 0.1);
  if (a.schedule == "onecycle")  // OneCycleLR counts its constructor's step: total_steps + 1 in all
    return std::make_unique<optim::OneCycleLR>(opt, a.lr, total_steps + 1);
  return nullptr;  // constant
}

int run(const Args& a) {
  if (a.threads > 0) omp_set_num_threads(static_cast<int>(a.threads));
  if (a.distributed) dist::init_process_group("mpi");
  const int rank = dist::get_rank(), world = dist::get_world_size();
  const bool rank0 = rank == 0;
  manual_seed(a.seed);
  if (a.device == "cuda" && !cuda::is_available()) {
    std::cerr << "train_resnet: --device cuda: CUDA is not available (seek was built without CUDA, or no GPU "
              << "is visible); use --device cpu\n";
    return 2;
  }
  const Device device = a.device == "cuda" ? kCUDA : kCPU;

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
  if (!a.resume.empty() && !train::checkpoint_exists(a.resume)) {
    std::cerr << "train_resnet: --resume: '" << a.resume << "' holds no checkpoint (no trainer.json)\n";
    return 2;
  }

  // The first `limit` examples (all for 0).
  auto first = [](const std::shared_ptr<data::MNIST>& raw, int64_t limit) -> data::DatasetPtr {
    if (limit <= 0 || static_cast<size_t>(limit) >= raw->size()) return raw;
    std::vector<size_t> idx(static_cast<size_t>(limit));
    std::iota(idx.begin(), idx.end(), size_t{0});
    return std::make_shared<data::Subset>(raw, std::move(idx));
  };
  const data::DatasetPtr train_base = first(train_raw, a.limit_train), test_base = first(test_raw, a.limit_test);
  // Seeded augmentation: example i of epoch e is a function of (seed, e, i) alone, so the batches
  // are the same for any --workers and after --resume.
  data::transforms::Normalize normalize({kMean}, {kStd});
  data::transforms::Compose augment({data::transforms::RandomCrop(28, 2), data::transforms::RandomHorizontalFlip(),
                                     normalize});
  auto train_set = std::make_shared<data::MapDataset>(train_base, augment, a.seed + 1);
  auto test_set = std::make_shared<data::MapDataset>(test_base, normalize);

  data::DataLoaderOptions train_opts;
  train_opts.batch_size = static_cast<size_t>(a.batch_size);
  train_opts.shuffle = true;
  train_opts.seed = a.seed;
  if (a.distributed) {  // this rank's share of every epoch, shuffled by the sampler (seed + epoch)
    train_opts.shuffle = false;
    train_opts.sampler = std::make_shared<data::DistributedSampler>(
        train_set->size(), world, rank, data::DistributedSamplerOptions{.shuffle = true, .seed = a.seed});
  }
  train_opts.num_workers = static_cast<size_t>(a.workers);
  // MixUp / CutMix turn each batch's targets into soft targets; seeded per (epoch, batch) too.
  std::unique_ptr<data::DataLoader> train_loader_ptr;
  if (a.mixup > 0 || a.cutmix > 0) {
    data::BatchTransform mix;
    if (a.mixup > 0 && a.cutmix > 0) mix = data::RandomMixUpCutMix(a.mixup, a.cutmix, 10);
    else if (a.mixup > 0) mix = data::MixUp(a.mixup, 10);
    else mix = data::CutMix(a.cutmix, 10);
    train_loader_ptr = std::make_unique<data::DataLoader>(train_set, train_opts,
                                                          data::collate_with_transform(mix, a.seed + 2));
  } else {
    train_loader_ptr = std::make_unique<data::DataLoader>(train_set, train_opts);
  }
  data::DataLoader& train_loader = *train_loader_ptr;
  data::DataLoaderOptions test_opts;
  test_opts.batch_size = 500;
  test_opts.num_workers = static_cast<size_t>(a.workers);
  data::DataLoader test_loader(test_set, test_opts);

  std::shared_ptr<nn::Module> model;
  if (a.model == "resnet20") model = models::resnet20(10, 1);
  else if (a.model == "resnet56") model = models::resnet56(10, 1);
  else if (a.model == "resnet18") model = models::resnet18(10, 1, /*small_input=*/true);
  else if (a.model == "resnet18d") model = models::resnet18d(10, 1, /*small_input=*/true);
  else {
    models::MobileNetV3Options mo;
    mo.num_classes = 10;
    mo.in_channels = 1;
    mo.small_input = true;
    model = a.model == "mobilenet_v3_small" ? std::shared_ptr<nn::Module>(models::mobilenet_v3_small(mo))
                                            : std::shared_ptr<nn::Module>(models::mobilenet_v3_large(mo));
  }
  model->to(device);
  if (a.channels_last) model->to(MemoryFormat::ChannelsLast);  // conv outputs follow the weights' layout
  model->train();

  std::unique_ptr<optim::Optimizer> opt;
  if (a.zero && a.distributed) {
    std::vector<optim::ParamGroup> groups;
    groups.emplace_back(model->parameters());
    if (a.optimizer == "sgd") {
      optim::SGDOptions so = optim::SGDOptions(a.lr).momentum_(0.9).nesterov_(true).weight_decay_(a.weight_decay);
      opt = std::make_unique<optim::ZeroRedundancyOptimizer>(std::move(groups), so,
                                                             optim::ZeroRedundancyOptimizer::make<optim::SGD>(so));
    } else {
      optim::AdamWOptions ao = optim::AdamWOptions(a.lr).weight_decay_(a.weight_decay);
      opt = std::make_unique<optim::ZeroRedundancyOptimizer>(std::move(groups), ao,
                                                             optim::ZeroRedundancyOptimizer::make<optim::AdamW>(ao));
    }
  } else if (a.optimizer == "sgd") {
    opt = std::make_unique<optim::SGD>(
        model->parameters(), optim::SGDOptions(a.lr).momentum_(0.9).nesterov_(true).weight_decay_(a.weight_decay));
  } else {
    opt = std::make_unique<optim::AdamW>(model->parameters(), optim::AdamWOptions(a.lr).weight_decay_(a.weight_decay));
  }
  const auto batches = static_cast<int64_t>(train_loader.len());
  const int64_t steps_per_epoch = (batches + a.accumulation - 1) / a.accumulation;
  const int64_t total_steps = steps_per_epoch * a.epochs;
  std::unique_ptr<optim::LRScheduler> sched = make_schedule(a, *opt, total_steps);

  train::TrainerOptions o;
  o.epochs = a.epochs;
  o.accumulation_steps = a.accumulation;
  o.clip_grad_norm = a.clip_grad;
  o.scheduler_interval = "step";
  o.eval_every_epochs = 1;
  o.metrics = {"accuracy"};
  o.output_dir = a.out;
  o.checkpoint_every_epochs = a.checkpoint_every;
  o.device = device;
  o.amp = a.amp;
  o.progress_counts_items = true;
  o.progress_options.unit = "img";
  o.progress_options.print_every = 50;
  o.distributed = a.distributed;
  train::Trainer trainer(*model, *opt, train_loader, o);
  trainer.set_val_loader(&test_loader);
  trainer.set_scheduler(sched.get());
  const double smoothing = a.label_smoothing;
  trainer.set_loss_fn([smoothing](const Tensor& out, const Tensor& target) {
    return nn::functional::cross_entropy(out, target, Tensor(), -100, "mean", smoothing);
  });
  auto report = std::make_shared<EpochReport>();
  report->quiet = !rank0;
  trainer.add_callback(report);
  if (!a.resume.empty()) {
    trainer.resume(a.resume);
    if (rank0)
      std::cerr << "train_resnet: resumed from '" << a.resume << "' after epoch " << trainer.epoch() << ", step "
              << trainer.global_step() << "\n";
  }

  if (rank0)
    std::cerr << "train_resnet: " << a.model << " (" << model->num_parameters() << " parameters) on " << a.device
            << ", " << train_set->size() << " training / " << test_set->size() << " test images, " << a.epochs
            << " epochs x " << steps_per_epoch << " steps, batch " << a.batch_size << " x " << a.accumulation
            << ", " << a.optimizer << " lr " << a.lr << " (" << a.schedule << "), "
            << (a.amp.empty() ? std::string() : "amp " + a.amp + ", ") << omp_get_max_threads() << " threads"
              << (a.distributed ? ", " + std::to_string(world) + " ranks" : std::string()) << "\n";

  const auto start = Clock::now();
  trainer.fit();
  const double train_seconds = std::chrono::duration<double>(Clock::now() - start).count();
  // A run resumed after its last epoch trains no more; it still reports the accuracy.
  const double accuracy = report->accuracy >= 0 ? report->accuracy : 100.0 * trainer.evaluate().at("val_accuracy");
  const double seconds = std::chrono::duration<double>(Clock::now() - start).count();
  if (a.zero && a.distributed) {
    // Optimizer state bytes held by each rank (ZeRO stage 1 shards it).
    const auto* z = dynamic_cast<const optim::ZeroRedundancyOptimizer*>(opt.get());
    const int64_t mine = z->local_state_bytes();
    const std::vector<std::string> all = dist::all_gather_bytes(std::to_string(mine));
    if (rank0) {
      std::cout << "optimizer state bytes per rank:";
      for (const std::string& b : all) std::cout << " " << b;
      std::cout << std::endl;
    }
  }
  if (rank0) {
    const double images = static_cast<double>(train_set->size()) * static_cast<double>(a.epochs);
    std::cout << "final test accuracy " << fmt(accuracy, 2) << "% (" << fmt(seconds, 1) << " s; fit "
              << fmt(train_seconds, 1) << " s, " << fmt(images / train_seconds, 1) << " train img/s incl. eval)"
              << std::endl;
  }
  if (a.distributed) dist::destroy_process_group();
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  const auto args = examples::parse_or_usage("train_resnet", argc, argv, parse, usage);
  if (!args) return 2;
  try {
    return run(*args);
  } catch (const std::exception& e) {
    std::cerr << "train_resnet: error: " << e.what() << "\n";
    return 1;
  }
}
