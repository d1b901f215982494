#pragma once
// Training checkpoints: everything needed to resume a run exactly, in one directory.
//
//   <dir>/model.safetensors      the model's state_dict()
//   <dir>/optimizer.safetensors  the optimizer's state_dict() (when given)
//   <dir>/trainer.json           epoch, step, scheduler / plateau state, generator
//                                states, data-loader position, user values, and a
//                                checksum and byte size of every file above
//
// Every file is written atomically (temp file, fsync, rename) and trainer.json last,
// so a crash mid-save leaves the previous checkpoint loadable. load_checkpoint checks
// the sizes and checksums before changing anything: a missing, truncated or corrupted
// checkpoint throws IOError naming the file and the problem, and leaves the model,
// optimizer and the rest untouched.
#include <cstdint>
#include <filesystem>
#include <map>
#include <string>

#include "seek/data/dataloader.h"
#include "seek/nn/module.h"
#include "seek/optim/lr_scheduler.h"
#include "seek/optim/optimizer.h"

namespace seek::train {

// The parts to save or restore; a null pointer is left out.
struct CheckpointParts {
  nn::Module* model = nullptr;
  optim::Optimizer* optimizer = nullptr;
  optim::LRScheduler* scheduler = nullptr;
  optim::ReduceLROnPlateau* plateau = nullptr;
  data::DataLoader* loader = nullptr;
  bool generators = true;  // the default generator of the CPU and of every CUDA device in use
};

// Where the run stands, plus any numbers the caller wants back (best metric, patience counter...).
struct TrainingProgress {
  int64_t epoch = 0;  // completed epochs
  int64_t step = 0;   // completed optimizer steps
  std::map<std::string, double> values;
};

void save_checkpoint(const std::filesystem::path& dir, const CheckpointParts& parts,
                     const TrainingProgress& progress);

// Restores every part given (each must have been saved) and returns the progress.
TrainingProgress load_checkpoint(const std::filesystem::path& dir, const CheckpointParts& parts);

// Whether `dir` holds a trainer.json (does not validate it).
bool checkpoint_exists(const std::filesystem::path& dir);

}  // namespace seek::train
