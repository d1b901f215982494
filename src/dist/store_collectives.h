// StoreCollectives: barrier and the byte collectives (all_gather_bytes, broadcast_bytes) of a process group,
// through a TCPStore, for engines that bootstrap without MPI (NCCL under torch's launch variables).
//
// Each call takes the next sequence number (every rank calls the same collectives in the same order, as for any
// collective), so its keys ("<prefix>/<seq>/...") never collide with an earlier call's. The last rank to finish
// reading a call's keys deletes them, so the store does not grow. Every wait has the group's timeout and its
// error names the op, the rank and the ranks that did not arrive.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "dist/dist_internal.h"
#include "seek/dist/store.h"

namespace seek::dist::detail {

// torch's launchers set RANK/WORLD_SIZE with more than one rank and no MPI launcher variables: the engines
// bootstrap through a TCPStore instead of MPI's launcher.
bool needs_store_bootstrap(const LaunchEnv& env);

// The store of a torch-style launch on MASTER_ADDR:MASTER_PORT (MASTER_PORT + 1 under torchrun's agent store,
// TORCHELASTIC_USE_AGENT_STORE=True, which holds MASTER_PORT itself with torch's own protocol); rank 0 is the
// master. Errors name the missing variables.
std::shared_ptr<TCPStore> launch_store(const LaunchEnv& env, std::chrono::milliseconds timeout);

class StoreCollectives {
 public:
  StoreCollectives(std::shared_ptr<TCPStore> store, int rank, int size, std::string prefix,
                   std::chrono::milliseconds timeout);
  int rank() const { return rank_; }
  int size() const { return size_; }
  TCPStore& store() { return *store_; }

  void barrier();
  std::vector<std::string> all_gather_bytes(const std::string& mine);
  std::string broadcast_bytes(const std::string& bytes, int src);
  // When the group is destroyed, on every rank: rank 0 (whose process serves the store) returns once every other
  // rank has called it (at most the timeout; a rank that is gone does not hold it longer), so that the store
  // outlives their last requests. Never throws.
  void close() noexcept;

 private:
  std::string next_prefix();
  // Waits for the keys; a timeout raises seek::Error naming `op` and the ranks whose keys are missing.
  void wait_ranks(const std::string& op, const std::string& base, const std::vector<int>& ranks);
  // Counts this rank out of the call; the last one deletes `keys`.
  void finish(const std::string& base, const std::vector<std::string>& keys);

  std::shared_ptr<TCPStore> store_;
  int rank_, size_;
  std::string prefix_;
  std::chrono::milliseconds timeout_;
  uint64_t seq_ = 0;
};

}  // namespace seek::dist::detail
