// save_checkpoint / load_checkpoint: exact resumption of a training run, round trips of
// every part, crash safety of the save journal, and rejection of damaged checkpoints
// with nothing changed.
#include <algorithm>
#include <bit>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <limits>
#include <memory>
#include <string>
#include <vector>

#include <sys/wait.h>
#include <unistd.h>

#include "seek/io/atomic_file.h"
#include "seek/io/json.h"
#include "seek/io/safetensors.h"
#include "seek/train/checkpoint.h"
#include "support/test_util.h"

namespace seek::train {
namespace {
namespace fs = std::filesystem;

using seek::testing::read_bytes;
using seek::testing::tensor_bytes;
using seek::testing::write_bytes;

uint64_t bits(double v) { return std::bit_cast<uint64_t>(v); }

// Everything a load could change, as comparable values.
struct Snapshot {
  std::vector<std::pair<std::string, std::string>> model, optimizer;
  std::vector<std::pair<std::string, uint64_t>> scheduler, plateau;
  std::vector<double> lrs;
  data::DataLoaderState loader;
  GeneratorState generator;
  bool operator==(const Snapshot&) const = default;
};

std::vector<std::pair<std::string, uint64_t>> pair_bits(const optim::SchedulerStateDict& d) {
  std::vector<std::pair<std::string, uint64_t>> out;
  for (const auto& [k, v] : d) out.emplace_back(k, bits(v));
  return out;
}

std::shared_ptr<data::TensorDataset> regression_data(int64_t n) {
  return std::make_shared<data::TensorDataset>(testing::uniform_tensor({n, 6}, -1, 1, kFloat32, 3),
                                               testing::uniform_tensor({n, 2}, -1, 1, kFloat32, 4));
}

// A small run: Linear - BatchNorm1d - ReLU - Dropout - Linear, SGD with momentum, a warmup-cosine
// schedule, ReduceLROnPlateau on a second optimizer, and a shuffled loader of 10 batches per epoch.
struct TrainingRun {
  std::shared_ptr<nn::Sequential> model;
  std::unique_ptr<optim::SGD> opt;
  std::unique_ptr<optim::WarmupCosineLR> sched;
  std::unique_ptr<optim::SGD> plateau_opt;
  std::unique_ptr<optim::ReduceLROnPlateau> plateau;
  std::unique_ptr<data::DataLoader> loader;

  explicit TrainingRun(uint64_t seed, int64_t hidden = 16, int64_t examples = 40) {
    manual_seed(seed);
    model = std::make_shared<nn::Sequential>();
    model->push_back(std::make_shared<nn::Linear>(6, hidden));
    model->push_back(std::make_shared<nn::BatchNorm1d>(hidden));
    model->push_back(std::make_shared<nn::ReLU>());
    model->push_back(std::make_shared<nn::Dropout>(0.3));
    model->push_back(std::make_shared<nn::Linear>(hidden, 2));
    opt = std::make_unique<optim::SGD>(model->parameters(), optim::SGDOptions(0.05).momentum_(0.9));
    sched = std::make_unique<optim::WarmupCosineLR>(*opt, 3, 20, 0.001);
    plateau_opt = std::make_unique<optim::SGD>(model->parameters(), optim::SGDOptions(0.1));
    plateau = std::make_unique<optim::ReduceLROnPlateau>(*plateau_opt, optim::ReduceLROnPlateauOptions{});
    data::DataLoaderOptions lo;
    lo.batch_size = 4;
    lo.shuffle = true;
    lo.seed = 5;
    loader = std::make_unique<data::DataLoader>(regression_data(examples), lo);
  }

  CheckpointParts parts() { return {model.get(), opt.get(), sched.get(), plateau.get(), loader.get(), true}; }

  // Trains until `stop_step` optimizer steps are done or epoch 2 ends; returns the losses.
  // `step` counts the steps done so far; a loader resumed mid-epoch continues where it was.
  std::vector<float> train(int64_t* step, int64_t stop_step) {
    std::vector<float> losses;
    bool resumed = loader->state().next_batch > 0;
    for (uint64_t epoch = loader->epoch(); epoch < 2; ++epoch) {
      if (!resumed) loader->set_epoch(epoch);
      resumed = false;
      for (const auto& batch : *loader) {
        model->train();
        Tensor loss = nn::functional::mse_loss((*model)(batch.data), batch.target);
        opt->zero_grad();
        loss.backward();
        opt->step();
        sched->step();
        losses.push_back(loss.item<float>());
        plateau->step(loss.item<double>());
        if (++*step == stop_step) return losses;
      }
    }
    return losses;
  }

  Snapshot snapshot() const {
    Snapshot s;
    for (const auto& [k, t] : model->state_dict()) s.model.emplace_back(k, tensor_bytes(t));
    for (const auto& [k, t] : opt->state_dict()) s.optimizer.emplace_back(k, tensor_bytes(t));
    s.scheduler = pair_bits(sched->state_dict());
    s.plateau = pair_bits(plateau->state_dict());
    for (const auto& g : opt->param_groups()) s.lrs.push_back(g.lr());
    s.loader = loader->state();
    s.generator = default_generator(kCPU).state();
    return s;
  }
};

class Checkpoint : public ::testing::Test {
 protected:
  std::vector<std::string> dir_entries() const { return tmp_.entries(); }
  // A checkpoint of a run that trained 7 steps (so momentum buffers and plateau state exist).
  TrainingProgress save_trained(TrainingRun& run) {
    int64_t step = 0;
    run.train(&step, 7);
    TrainingProgress p{0, step, {{"best", 0.25}}};
    save_checkpoint(dir_, run.parts(), p);
    return p;
  }
  // Rewrites trainer.json after `edit`, with a valid self-checksum, as a buggy writer might.
  template <typename F>
  void edit_manifest(F edit) {
    io::json::Value doc = io::json::parse(read_bytes(dir_ / "trainer.json"));
    edit(doc);
    io::json::Value rest = io::json::Value::object();
    for (const auto& [k, v] : doc.as_object())
      if (k != "crc32") rest.set(k, v);
    doc.set("crc32", static_cast<uint64_t>(io::crc32(io::json::dump(rest))));
    write_bytes(dir_ / "trainer.json", io::json::dump(doc, 2));
  }
  // Expects load_checkpoint into a fresh run to throw IOError with `words` and change nothing.
  void expect_rejected(const std::vector<std::string>& words, int64_t hidden = 16, int64_t examples = 40) {
    TrainingRun fresh(99, hidden, examples);
    int64_t step = 0;
    fresh.train(&step, 2);  // some optimizer state and a moved generator
    const Snapshot before = fresh.snapshot();
    try {
      load_checkpoint(dir_, fresh.parts());
      ADD_FAILURE() << "expected IOError";
    } catch (const IOError& e) {
      for (const auto& w : words) EXPECT_NE(std::string(e.what()).find(w), std::string::npos) << e.what();
    }
    EXPECT_TRUE(fresh.snapshot() == before) << "a rejected checkpoint changed the run";
  }
  seek::testing::TempDir tmp_{"seek_checkpoint_", /*create=*/false};
  const fs::path dir_ = tmp_.path();
};

TEST_F(Checkpoint, ResumedRunMatchesAnUninterruptedOneBitForBit) {
  // Two epochs straight.
  TrainingRun straight(1);
  int64_t step = 0;
  const std::vector<float> expected = straight.train(&step, -1);
  ASSERT_EQ(expected.size(), 20u);

  // 1.5 epochs, checkpoint, then fresh objects with other seeds resume.
  std::vector<float> losses;
  {
    TrainingRun first(1);
    int64_t s = 0;
    losses = first.train(&s, 15);
    ASSERT_EQ(first.loader->state(), (data::DataLoaderState{1, 5}));
    save_checkpoint(dir_, first.parts(), TrainingProgress{1, s, {{"last_loss", losses.back()}}});
  }
  TrainingRun second(12345);
  manual_seed(777);
  (void)rand({13});
  const TrainingProgress p = load_checkpoint(dir_, second.parts());
  EXPECT_EQ(p.epoch, 1);
  EXPECT_EQ(p.step, 15);
  EXPECT_EQ(p.values.at("last_loss"), static_cast<double>(losses.back()));
  int64_t s = p.step;
  const std::vector<float> rest = second.train(&s, -1);
  losses.insert(losses.end(), rest.begin(), rest.end());

  ASSERT_EQ(losses.size(), expected.size());
  for (size_t i = 0; i < losses.size(); ++i)
    EXPECT_EQ(std::bit_cast<uint32_t>(losses[i]), std::bit_cast<uint32_t>(expected[i])) << "step " << i;
  EXPECT_TRUE(second.snapshot() == straight.snapshot());
}

TEST_F(Checkpoint, RoundTripsEveryPartExactly) {
  TrainingRun run(1);
  const double tiny = std::numeric_limits<double>::denorm_min();
  TrainingProgress progress{3,
                            42,
                            {{"best", 0.1},
                             {"third", 1.0 / 3.0},
                             {"neg_zero", -0.0},
                             {"inf", std::numeric_limits<double>::infinity()},
                             {"nan", std::nan("")},
                             {"tiny", tiny},
                             {"big", 1.7976931348623157e308}}};
  int64_t step = 0;
  run.train(&step, 7);
  manual_seed(4242);
  (void)rand({5});
  save_checkpoint(dir_, run.parts(), progress);
  const Snapshot saved = run.snapshot();
  EXPECT_EQ(dir_entries(), (std::vector<std::string>{"model.safetensors", "optimizer.safetensors", "trainer.json"}));
  EXPECT_TRUE(checkpoint_exists(dir_));
  EXPECT_FALSE(checkpoint_exists(dir_ / "nothing"));

  TrainingRun fresh(8);
  manual_seed(1);
  const TrainingProgress back = load_checkpoint(dir_, fresh.parts());
  EXPECT_TRUE(fresh.snapshot() == saved);
  EXPECT_EQ(default_generator(kCPU).state(), (GeneratorState{4242, 5}));
  EXPECT_EQ(back.epoch, 3);
  EXPECT_EQ(back.step, 42);
  ASSERT_EQ(back.values.size(), progress.values.size());
  for (const auto& [k, v] : progress.values) {
    SCOPED_TRACE(k);
    if (std::isnan(v))
      EXPECT_TRUE(std::isnan(back.values.at(k)));
    else
      EXPECT_EQ(bits(back.values.at(k)), bits(v));
  }
  // The plateau's best starts at inf; the scheduler's lrs are not short decimals.
  EXPECT_EQ(fresh.plateau->best(), run.plateau->best());
  EXPECT_EQ(bits(fresh.sched->get_last_lr()[0]), bits(run.sched->get_last_lr()[0]));
}

TEST_F(Checkpoint, PartsCanBeLeftOut) {
  TrainingRun run(1);
  int64_t step = 0;
  run.train(&step, 3);
  save_checkpoint(dir_, CheckpointParts{run.model.get(), nullptr, nullptr, nullptr, nullptr, false}, {});
  EXPECT_EQ(dir_entries(), (std::vector<std::string>{"model.safetensors", "trainer.json"}));
  TrainingRun fresh(2);
  const GeneratorState gen = default_generator(kCPU).state();
  load_checkpoint(dir_, CheckpointParts{fresh.model.get(), nullptr, nullptr, nullptr, nullptr, false});
  EXPECT_EQ(fresh.snapshot().model, run.snapshot().model);
  EXPECT_EQ(default_generator(kCPU).state(), gen);
  // Asking for a part that was not saved is an error naming it.
  for (const auto& [parts, name] : std::vector<std::pair<CheckpointParts, std::string>>{
           {CheckpointParts{nullptr, fresh.opt.get(), nullptr, nullptr, nullptr, false}, "without the optimizer"},
           {CheckpointParts{nullptr, nullptr, fresh.sched.get(), nullptr, nullptr, false}, "without the scheduler"},
           {CheckpointParts{nullptr, nullptr, nullptr, fresh.plateau.get(), nullptr, false}, "ReduceLROnPlateau"},
           {CheckpointParts{nullptr, nullptr, nullptr, nullptr, fresh.loader.get(), false}, "data loader"},
           {CheckpointParts{nullptr, nullptr, nullptr, nullptr, nullptr, true}, "generator states"}}) {
    EXPECT_SEEK_ERROR_ALL(load_checkpoint(dir_, parts), IOError, {"load_checkpoint", "trainer.json", name});
  }
}

TEST_F(Checkpoint, MissingCheckpointOrFiles) {
  TrainingRun run(1);
  EXPECT_SEEK_ERROR_ALL(load_checkpoint(dir_, run.parts()), IOError, {"no checkpoint in", dir_.string()});
  save_trained(run);
  fs::remove(dir_ / "model.safetensors");
  expect_rejected({"model.safetensors", "the file is missing"});
  save_trained(run);
  fs::remove(dir_ / "optimizer.safetensors");
  expect_rejected({"optimizer.safetensors", "the file is missing"});
}

TEST_F(Checkpoint, TruncatedOrBitFlippedDataIsCaught) {
  TrainingRun run(1);
  save_trained(run);
  const std::string model = read_bytes(dir_ / "model.safetensors");
  const std::string optimizer = read_bytes(dir_ / "optimizer.safetensors");
  for (size_t cut : {size_t{0}, size_t{5}, size_t{100}, model.size() - 1}) {
    write_bytes(dir_ / "model.safetensors", model.substr(0, cut));
    expect_rejected({"model.safetensors", str("has ", cut, " bytes, the checkpoint recorded ", model.size())});
  }
  for (size_t pos : {size_t{3}, size_t{20}, model.size() - 3}) {  // length field, header, data
    std::string flipped = model;
    flipped[pos] = static_cast<char>(flipped[pos] ^ 0x10);
    write_bytes(dir_ / "model.safetensors", flipped);
    expect_rejected({"model.safetensors", "checksum mismatch"});
  }
  write_bytes(dir_ / "model.safetensors", model);
  std::string flipped = optimizer;
  flipped[optimizer.size() / 2] = static_cast<char>(flipped[optimizer.size() / 2] ^ 1);
  write_bytes(dir_ / "optimizer.safetensors", flipped);
  expect_rejected({"optimizer.safetensors", "checksum mismatch"});
  write_bytes(dir_ / "optimizer.safetensors", optimizer);
  // Intact again: loads.
  TrainingRun fresh(3);
  EXPECT_NO_THROW(load_checkpoint(dir_, fresh.parts()));
}

TEST_F(Checkpoint, DamagedManifestIsCaught) {
  TrainingRun run(1);
  save_trained(run);
  const std::string manifest = read_bytes(dir_ / "trainer.json");
  // A changed digit keeps the JSON valid but breaks its checksum.
  std::string edited = manifest;
  const size_t at = edited.find("\"step\": 7");
  ASSERT_NE(at, std::string::npos) << manifest;
  edited[at + 8] = '8';
  write_bytes(dir_ / "trainer.json", edited);
  expect_rejected({"trainer.json", "checksum mismatch"});
  write_bytes(dir_ / "trainer.json", manifest.substr(0, manifest.size() / 2));
  expect_rejected({"trainer.json", "invalid JSON"});
  write_bytes(dir_ / "trainer.json", "");
  expect_rejected({"trainer.json", "invalid JSON"});
  write_bytes(dir_ / "trainer.json", "[]");
  expect_rejected({"trainer.json", "not an object"});

  // Well-formed JSON with a valid checksum but the wrong shape.
  using io::json::Value;
  const std::vector<std::pair<std::function<void(Value&)>, std::string>> edits = {
      {[](Value& d) { d.set("epoch", "one"); }, "\"epoch\" is a string, expected a number"},
      {[](Value& d) { d.set("step", 1.5); }, "\"step\" is 1.5, not a 64-bit integer"},
      {[](Value& d) { d.set("epoch", -3); }, "\"epoch\" is -3, a negative number of epochs"},
      {[](Value& d) { d.set("step", -1); }, "\"step\" is -1, a negative number of steps"},
      {[](Value& d) {
         Value r = Value::object();
         r.set("size", 4);
         r.set("crc32", 0);
         d.find("files") ? (void)const_cast<Value*>(d.find("files"))->set("model.safetensors", r) : (void)0;
       },
       "\"files.model.safetensors.size\" is 4, smaller than any safetensors file"},
      {[](Value& d) { d.set("format", "other"); }, "not a seek checkpoint"},
      {[](Value& d) { d.set("version", 2); }, "format version 2"},
      {[](Value& d) { d.set("values", Value::array()); }, "\"values\" is an array, expected an object"},
      {[](Value& d) {
         Value v = Value::object();
         v.set("best", 0.5);
         d.set("values", v);
       },
       "\"values.best\" is not a number written as a string"},
      {[](Value& d) { d.set("files", Value::object()); }, "saved without the model"},
      {[](Value& d) { d.as_object().erase(d.as_object().begin() + 5); }, "missing \"files\""},
      {[](Value& d) {
         Value f = Value::object();
         f.set("weights.bin", Value::object());
         d.set("files", f);
       },
       "unknown file 'weights.bin'"},
      {[](Value& d) { d.set("scheduler", Value::array()); }, "\"scheduler\" is an array, expected an object"},
      {[](Value& d) {
         Value sched = Value::object();
         sched.set("last_epoch", "three");
         d.set("scheduler", sched);
       },
       "\"scheduler.last_epoch\" is not a number written as a string"},
      {[](Value& d) {
         Value l = Value::object();
         l.set("epoch", 1);
         l.set("next_batch", 11);
         d.set("loader", l);
       },
       "position is batch 11 but the loader has only 10 batches"},
      {[](Value& d) {
         Value g = Value::object();
         g.set("gpu7", Value::object());
         d.set("generators", g);
       },
       "'gpu7' is not a device"},
      {[](Value& d) {
         Value g = Value::object();
         Value s = Value::object();
         s.set("seed", -1);
         s.set("offset", 0);
         g.set("cpu", s);
         d.set("generators", g);
       },
       "\"generators.cpu.seed\" is -1, not a non-negative integer"},
  };
  for (const auto& [edit, words] : edits) {
    SCOPED_TRACE(words);
    write_bytes(dir_ / "trainer.json", manifest);
    edit_manifest(edit);
    expect_rejected({"trainer.json", words});
  }
}

TEST_F(Checkpoint, MismatchedModelOrOptimizerChangesNothing) {
  TrainingRun run(1);
  save_trained(run);
  expect_rejected({"model.safetensors", "has shape [16, 6] but the model's has shape [8, 6]"}, /*hidden=*/8);
  // A model with one more layer lacks nothing but the checkpoint lacks its keys.
  {
    TrainingRun bigger(5);
    bigger.model->push_back(std::make_shared<nn::Linear>(2, 2));
    const Snapshot before = bigger.snapshot();
    EXPECT_SEEK_ERROR_ALL(load_checkpoint(dir_, bigger.parts()), IOError, {"lacks the model's '5.weight'"});
    EXPECT_TRUE(bigger.snapshot() == before);
  }
  // A model with fewer layers: the checkpoint has keys the model does not.
  {
    TrainingRun smaller(5);
    auto model = std::make_shared<nn::Sequential>();
    model->push_back(std::make_shared<nn::Linear>(6, 16));
    CheckpointParts parts{model.get(), nullptr, nullptr, nullptr, nullptr, false};
    EXPECT_SEEK_ERROR_ALL(load_checkpoint(dir_, parts), IOError, {"has '1.weight', which the model does not have"});
  }
  // An optimizer over other parameters rejects its state after the model was loaded: the
  // model is put back as it was.
  {
    TrainingRun other(6);
    optim::SGD opt(std::vector<Tensor>{other.model->parameters()[0]}, optim::SGDOptions(0.1).momentum_(0.9));
    const Snapshot before = other.snapshot();
    const auto opt_before = opt.state_dict();
    CheckpointParts parts{other.model.get(), &opt, nullptr, nullptr, nullptr, false};
    EXPECT_SEEK_ERROR_ALL(load_checkpoint(dir_, parts), IOError, {"does not fit the optimizer", "parameters"});
    EXPECT_TRUE(other.snapshot() == before);
    EXPECT_EQ(opt.state_dict().size(), opt_before.size());
  }
  // A scheduler of two parameter groups rejects the one-group state after the model and the
  // optimizer were loaded: both are put back (the optimizer's lr included).
  {
    TrainingRun other(7);
    int64_t step = 0;
    other.train(&step, 2);
    const std::vector<Tensor> ps = other.model->parameters();
    std::vector<optim::ParamGroup> groups;
    groups.emplace_back(std::vector<Tensor>{ps[0], ps[1]});
    groups.emplace_back(std::vector<Tensor>(ps.begin() + 2, ps.end()));
    optim::SGD two_groups(std::move(groups), optim::SGDOptions(0.05));
    optim::WarmupCosineLR sched(two_groups, 3, 20);
    const Snapshot before = other.snapshot();
    CheckpointParts parts{other.model.get(), other.opt.get(), &sched, nullptr, nullptr, false};
    EXPECT_SEEK_ERROR_ALL(load_checkpoint(dir_, parts), IOError,
                          {"does not fit the scheduler", "missing key 'base_lr.1'"});
    EXPECT_TRUE(other.snapshot() == before);
    EXPECT_EQ(sched.last_epoch(), 0);
  }
}

TEST_F(Checkpoint, SaveLeavesNoTempFilesAndReplacesTheOldCheckpoint) {
  TrainingRun run(1);
  save_trained(run);
  int64_t step = 7;
  run.train(&step, 9);
  save_checkpoint(dir_, run.parts(), TrainingProgress{0, 9, {}});
  EXPECT_EQ(dir_entries(), (std::vector<std::string>{"model.safetensors", "optimizer.safetensors", "trainer.json"}));
  TrainingRun fresh(2);
  EXPECT_EQ(load_checkpoint(dir_, fresh.parts()).step, 9);
  EXPECT_TRUE(fresh.snapshot().model == run.snapshot().model);
  // A folder that cannot be created.
  write_bytes(dir_ / "file", "x");
  EXPECT_SEEK_ERROR_ALL(save_checkpoint(dir_ / "file" / "ckpt", run.parts(), {}), IOError,
                        {"save_checkpoint", "cannot create the folder"});
}

TEST_F(Checkpoint, TempFilesOfKilledSavesAreCleared) {
  // A save killed mid-write leaves ".<name>.tmp-<pid>-<n>" files: the next load and the next
  // save remove those of processes that are gone, and keep those of running ones.
  TrainingRun run(1);
  save_trained(run);
  const pid_t child = ::fork();
  if (child == 0) ::_exit(0);
  ASSERT_GT(child, 0);
  ::waitpid(child, nullptr, 0);  // a pid that no longer runs
  const std::string dead = std::to_string(child), live = std::to_string(::getppid());
  const std::vector<std::string> stale = {".model.safetensors.next.tmp-" + dead + "-0",
                                          ".optimizer.safetensors.next.tmp-" + dead + "-3",
                                          ".trainer.json.tmp-" + dead + "-1"};
  for (const auto& n : stale) write_bytes(dir_ / n, std::string(1000, 'x'));
  write_bytes(dir_ / (".trainer.json.tmp-" + live + "-2"), "a save in progress elsewhere");
  write_bytes(dir_ / ".trainer.json.tmp-notapid", "not ours");
  TrainingRun fresh(2);
  load_checkpoint(dir_, fresh.parts());
  std::vector<std::string> expected = {".trainer.json.tmp-" + live + "-2", ".trainer.json.tmp-notapid",
                                       "model.safetensors", "optimizer.safetensors", "trainer.json"};
  std::sort(expected.begin(), expected.end());
  EXPECT_EQ(dir_entries(), expected);
  for (const auto& n : stale) write_bytes(dir_ / n, "x");
  save_checkpoint(dir_, run.parts(), TrainingProgress{0, 7, {}});
  EXPECT_EQ(dir_entries(), expected);
}

TEST_F(Checkpoint, CrashAfterCommitIsCompletedByLoadAndNextSave) {
  // Save A, then B; then put the files back as a crash between B's commit (trainer.json) and
  // its renames leaves them: B's data under *.next, A's under the final names.
  TrainingRun run(1);
  save_trained(run);
  const std::string model_a = read_bytes(dir_ / "model.safetensors");
  const std::string opt_a = read_bytes(dir_ / "optimizer.safetensors");
  int64_t step = 7;
  run.train(&step, 10);
  save_checkpoint(dir_, run.parts(), TrainingProgress{0, 10, {}});
  const Snapshot b = run.snapshot();
  fs::rename(dir_ / "model.safetensors", dir_ / "model.safetensors.next");
  fs::rename(dir_ / "optimizer.safetensors", dir_ / "optimizer.safetensors.next");
  write_bytes(dir_ / "model.safetensors", model_a);
  write_bytes(dir_ / "optimizer.safetensors", opt_a);

  TrainingRun fresh(2);
  EXPECT_EQ(load_checkpoint(dir_, fresh.parts()).step, 10);
  EXPECT_TRUE(fresh.snapshot() == b);

  // The next save first completes the renames, then replaces everything.
  save_checkpoint(dir_, run.parts(), TrainingProgress{0, 10, {}});
  EXPECT_EQ(dir_entries(), (std::vector<std::string>{"model.safetensors", "optimizer.safetensors", "trainer.json"}));
  TrainingRun again(3);
  EXPECT_EQ(load_checkpoint(dir_, again.parts()).step, 10);
  EXPECT_TRUE(again.snapshot().model == b.model);
}

TEST_F(Checkpoint, CrashDuringTheRenamesIsCompletedToo) {
  // B's model was already renamed, its optimizer state was not.
  TrainingRun run(1);
  save_trained(run);
  const std::string opt_a = read_bytes(dir_ / "optimizer.safetensors");
  int64_t step = 7;
  run.train(&step, 10);
  save_checkpoint(dir_, run.parts(), TrainingProgress{0, 10, {}});
  const Snapshot b = run.snapshot();
  fs::rename(dir_ / "optimizer.safetensors", dir_ / "optimizer.safetensors.next");
  write_bytes(dir_ / "optimizer.safetensors", opt_a);
  TrainingRun fresh(2);
  load_checkpoint(dir_, fresh.parts());
  EXPECT_TRUE(fresh.snapshot() == b);
  // Neither file matching the record is still an error.
  write_bytes(dir_ / "optimizer.safetensors.next", opt_a);
  expect_rejected({"optimizer.safetensors", "checksum mismatch"});
}

TEST_F(Checkpoint, CrashBeforeCommitKeepsThePreviousCheckpoint) {
  // A save that died before writing trainer.json leaves only *.next files behind.
  TrainingRun run(1);
  save_trained(run);
  const Snapshot a = run.snapshot();
  write_bytes(dir_ / "model.safetensors.next", "partial garbage");
  write_bytes(dir_ / "optimizer.safetensors.next", "");
  TrainingRun fresh(2);
  EXPECT_EQ(load_checkpoint(dir_, fresh.parts()).step, 7);
  EXPECT_TRUE(fresh.snapshot().model == a.model);
  EXPECT_TRUE(fresh.snapshot().optimizer == a.optimizer);
  save_checkpoint(dir_, run.parts(), TrainingProgress{0, 7, {}});
  EXPECT_EQ(dir_entries(), (std::vector<std::string>{"model.safetensors", "optimizer.safetensors", "trainer.json"}));
}

}  // namespace
}  // namespace seek::train
