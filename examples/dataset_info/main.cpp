// Prints a dataset's analysis: class distribution, image sizes, per-channel pixel
// statistics and the content hash (seek::data::analyze).
//   dataset_info --format mnist|cifar10|folder --data DIR [--split train|test]
//                [--channels 1|3] [--size HxW] [--no-pixel-stats]
// For --format folder, DIR is an ImageFolder root (one sub-folder per class);
// with --split, DIR/<split> is read instead. --channels and --size apply to
// folders only. Exit codes: 0 done, 2 bad arguments or unreadable data, 1 other errors.
#include <seek/seek.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <memory>
#include <stdexcept>
#include <string>

#include "common/cli.h"

namespace {

using namespace seek;
using examples::UsageError;

void usage(std::ostream& os) {
  os << "usage: dataset_info --format mnist|cifar10|folder --data DIR [--split train|test]\n"
        "                    [--channels 1|3] [--size HxW] [--no-pixel-stats]\n";
}

struct Args {
  std::string format, data, split;
  int64_t channels = 3;
  int64_t height = 0, width = 0;
  bool pixel_stats = true;
};

Args parse(int argc, char** argv) {
  Args a;
  for (int i = 1; i < argc; ++i) {
    const std::string flag = argv[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= argc) throw UsageError(flag + " needs a value");
      return argv[++i];
    };
    if (flag == "--format") {
      a.format = value();
    } else if (flag == "--data") {
      a.data = value();
    } else if (flag == "--split") {
      a.split = value();
    } else if (flag == "--channels") {
      const std::string v = value();
      if (v != "1" && v != "3") throw UsageError("--channels expects 1 or 3, got '" + v + "'");
      a.channels = std::stoll(v);
    } else if (flag == "--size") {
      const std::string v = value();
      long long h = 0, w = 0;
      char extra = 0;
      if (std::sscanf(v.c_str(), "%lldx%lld%c", &h, &w, &extra) != 2 || h <= 0 || w <= 0)
        throw UsageError("--size expects HxW with positive H and W, got '" + v + "'");
      a.height = h;
      a.width = w;
    } else if (flag == "--no-pixel-stats") {
      a.pixel_stats = false;
    } else if (flag == "--help" || flag == "-h") {
      usage(std::cout);
      std::exit(0);
    } else {
      throw UsageError("unknown argument '" + flag + "'");
    }
  }
  if (a.format != "mnist" && a.format != "cifar10" && a.format != "folder")
    throw UsageError("--format must be mnist, cifar10 or folder, got '" + a.format + "'");
  if (a.data.empty()) throw UsageError("--data DIR is required");
  if (!a.split.empty() && a.split != "train" && a.split != "test")
    throw UsageError("--split must be train or test, got '" + a.split + "'");
  return a;
}

int run(const Args& a) {
  std::unique_ptr<data::Dataset> ds;
  data::AnalysisOptions opts;
  opts.pixel_stats = a.pixel_stats;
  std::string where = a.data;
  const bool train = a.split != "test";
  if (a.format == "mnist") {
    ds = std::make_unique<data::MNIST>(a.data, train);
    opts.num_classes = 10;
  } else if (a.format == "cifar10") {
    auto c = std::make_unique<data::CIFAR10>(a.data, train);
    opts.class_names = c->classes();
    opts.num_classes = static_cast<int64_t>(c->classes().size());
    where = c->folder();
    ds = std::move(c);
  } else {
    if (!a.split.empty()) where = (std::filesystem::path(a.data) / a.split).string();
    data::ImageFolderOptions fo;
    fo.channels = a.channels;
    if (a.height > 0) fo.size = {{a.height, a.width}};
    fo.allow_empty = true;  // an empty class is worth reporting, not refusing
    auto f = std::make_unique<data::ImageFolder>(where, fo);
    opts.class_names = f->classes();
    opts.num_classes = static_cast<int64_t>(f->classes().size());
    ds = std::move(f);
  }
  std::cout << "dataset: " << a.format << " at " << where;
  if (a.format != "folder" || !a.split.empty()) std::cout << " (" << (train ? "train" : "test") << " split)";
  std::cout << "\n" << data::analyze(*ds, opts).report();
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  const auto args = examples::parse_or_usage("dataset_info", argc, argv, parse, usage);
  if (!args) return 2;
  try {
    return run(*args);
  } catch (const seek::IOError& e) {
    std::cerr << "dataset_info: cannot read the data: " << e.what() << "\n";
    return 2;
  } catch (const std::exception& e) {
    std::cerr << "dataset_info: " << e.what() << "\n";
    return 1;
  }
}
