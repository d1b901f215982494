// StoreCollectives (store_collectives.h): barrier and byte collectives through a TCPStore.
#include "dist/store_collectives.h"

#include <cstdlib>
#include <cstring>

#include "seek/core/error.h"

namespace seek::dist::detail {

bool needs_store_bootstrap(const LaunchEnv& env) { return env.torch_vars && env.world_size > 1; }

std::shared_ptr<TCPStore> launch_store(const LaunchEnv& env, std::chrono::milliseconds timeout) {
  const char* addr = std::getenv("MASTER_ADDR");
  const char* port_text = std::getenv("MASTER_PORT");
  SEEK_CHECK_VALUE(addr && *addr && port_text && *port_text, "init_process_group: RANK=", env.rank,
                   " WORLD_SIZE=", env.world_size, " are set but ", !addr || !*addr ? "MASTER_ADDR" : "MASTER_PORT",
                   " is not: torch-style launches need MASTER_ADDR and MASTER_PORT (rank 0's host and a free port), "
                   "or start the processes with mpirun / srun");
  char* end = nullptr;
  const long port = std::strtol(port_text, &end, 10);
  SEEK_CHECK_VALUE(end != port_text && *end == '\0' && port > 0 && port < 65535,
                   "init_process_group: MASTER_PORT=", port_text, " is not a port number");
  const char* agent = std::getenv("TORCHELASTIC_USE_AGENT_STORE");
  const bool torchrun_agent = agent && std::strcmp(agent, "True") == 0;
  TCPStoreOptions o;
  o.is_master = env.rank == 0;
  o.world_size = env.world_size;
  o.timeout = timeout;
  try {
    return std::make_shared<TCPStore>(addr, static_cast<int>(port) + (torchrun_agent ? 1 : 0), o);
  } catch (const Error& e) {
    throw Error(str("init_process_group: rank ", env.rank, " of ", env.world_size,
                    " (torch's launch variables, no MPI launcher): ", e.what()));
  }
}

StoreCollectives::StoreCollectives(std::shared_ptr<TCPStore> store, int rank, int size, std::string prefix,
                                   std::chrono::milliseconds timeout)
    : store_(std::move(store)), rank_(rank), size_(size), prefix_(std::move(prefix)), timeout_(timeout) {
  SEEK_CHECK_VALUE(store_ != nullptr, "StoreCollectives: no store");
  SEEK_CHECK_VALUE(size >= 1 && rank >= 0 && rank < size, "StoreCollectives: rank ", rank, " of ", size);
}

std::string StoreCollectives::next_prefix() { return str(prefix_, "/", seq_++); }

void StoreCollectives::wait_ranks(const std::string& op, const std::string& base, const std::vector<int>& ranks) {
  std::vector<std::string> keys;
  for (int r : ranks) keys.push_back(str(base, "/", r));
  try {
    store_->wait(keys, timeout_);
  } catch (const Error&) {
    std::string missing;
    for (size_t i = 0; i < keys.size(); ++i) {
      bool present = true;
      try {
        present = store_->check({keys[i]});
      } catch (const Error&) {}  // the store itself is gone: report every rank as missing
      if (!present) missing += (missing.empty() ? "" : ", ") + std::to_string(ranks[i]);
    }
    throw Error(str("seek.distributed: ", op, " timed out after ", timeout_.count(), " ms on rank ", rank_,
                    " (world size ", size_, "): rank(s) ", missing.empty() ? "?" : missing,
                    " did not join it (a rank skipped it, is stuck, or exited)"));
  }
}

void StoreCollectives::finish(const std::string& base, const std::vector<std::string>& keys) {
  if (store_->add(base + "/done", 1) < size_) return;
  for (const auto& k : keys) store_->delete_key(k);
  store_->delete_key(base + "/done");
}

void StoreCollectives::close() noexcept {
  try {
    const std::string base = prefix_ + "/close";
    if (rank_ != 0) {
      if (store_->add(base + "/count", 1) == size_ - 1) store_->set(base + "/all", "");
    } else if (size_ > 1) {
      store_->wait({base + "/all"}, timeout_);
    }
  } catch (const std::exception&) {  // the master is gone, or a rank never closed: nothing left to protect
  }
}

void StoreCollectives::barrier() {
  const std::string base = next_prefix() + "/barrier";
  store_->set(str(base, "/", rank_), "");
  std::vector<int> all(static_cast<size_t>(size_));
  std::vector<std::string> keys;
  for (int r = 0; r < size_; ++r) {
    all[static_cast<size_t>(r)] = r;
    keys.push_back(str(base, "/", r));
  }
  wait_ranks("barrier", base, all);
  finish(base, keys);
}

std::vector<std::string> StoreCollectives::all_gather_bytes(const std::string& mine) {
  const std::string base = next_prefix() + "/all_gather_bytes";
  store_->set(str(base, "/", rank_), mine);
  std::vector<int> all(static_cast<size_t>(size_));
  std::vector<std::string> keys, out;
  for (int r = 0; r < size_; ++r) {
    all[static_cast<size_t>(r)] = r;
    keys.push_back(str(base, "/", r));
  }
  wait_ranks(str("all_gather_bytes (", mine.size(), " bytes here)"), base, all);
  for (const auto& k : keys) out.push_back(store_->get(k));
  finish(base, keys);
  return out;
}

std::string StoreCollectives::broadcast_bytes(const std::string& bytes, int src) {
  SEEK_CHECK_INDEX(src >= 0 && src < size_, "broadcast_bytes: src rank ", src, " is not in [0, ", size_, ")");
  const std::string base = next_prefix() + "/broadcast_bytes";
  const std::string key = str(base, "/", src);
  if (rank_ == src) store_->set(key, bytes);
  wait_ranks(str("broadcast_bytes (from rank ", src, ")"), base, {src});
  std::string out = rank_ == src ? bytes : store_->get(key);
  finish(base, {key});
  return out;
}

}  // namespace seek::dist::detail
