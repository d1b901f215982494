#pragma once
// Training checkpoints: everything needed to resume a run exactly, in one directory.
//
//   <dir>/model.safetensors      the model's state_dict()
//   <dir>/optimizer.safetensors  the optimizer's state_dict() (when given)
//   <dir>/trainer.json           epoch, step, scheduler / plateau / grad scaler state,
//                                generator states, data-loader position, user values,
//                                and a checksum and byte size of every file above
//
// Every file is written atomically (temp file, fsync, rename) and trainer.json last,
// so a crash mid-save leaves the previous checkpoint loadable: the data files are first
// written as <name>.next, trainer.json (the commit) records their sizes and CRC-32s, and
// only then are they renamed over the old ones. A load after a crash between the commit
// and the renames takes the *.next file that matches the record; the next save finishes
// the renames and removes *.next files no commit refers to.
//
// load_checkpoint checks everything before changing anything (trainer.json's own CRC-32
// and fields, each data file's size and CRC-32 and safetensors header, that every
// requested part was saved, the model's keys and shapes, the loader position): a missing,
// truncated, corrupted or mismatched checkpoint throws IOError naming the file and the
// problem, and leaves the model, optimizer, schedulers, loader and generators untouched
// (should the optimizer or a scheduler reject its saved state, the parts loaded before it
// are restored). Doubles (scheduler state, values) are stored as the shortest decimal text
// that reads back to the same bits, so they round-trip exactly, inf and nan included.
#include <cstdint>
#include <filesystem>
#include <map>
#include <string>

#include "seek/amp/grad_scaler.h"
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
  // The default generator of the CPU and of every visible CUDA device. On load, saved
  // states of CUDA devices this process does not see are skipped.
  bool generators = true;
  // The loss scaler of float16 training: its state_dict() under "grad_scaler" in trainer.json
  // (PyTorch's keys). On load, an enabled scaler needs that entry.
  amp::GradScaler* grad_scaler = nullptr;
};

// Where the run stands, plus any numbers the caller wants back (best metric, patience counter...).
struct TrainingProgress {
  int64_t epoch = 0;  // completed epochs
  int64_t step = 0;   // completed optimizer steps
  std::map<std::string, double> values;
};

void save_checkpoint(const std::filesystem::path& dir, const CheckpointParts& parts, const TrainingProgress& progress);

// Restores every part given (each must have been saved) and returns the progress.
TrainingProgress load_checkpoint(const std::filesystem::path& dir, const CheckpointParts& parts);

// Whether `dir` holds a trainer.json (does not validate it).
bool checkpoint_exists(const std::filesystem::path& dir);

}  // namespace seek::train
