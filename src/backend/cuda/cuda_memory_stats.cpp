// Text forms of the caching allocator's figures: format_bytes for messages and
// memory_summary(), a table like torch.cuda.memory_summary(): one row per
// statistic and pool (all / small / large), columns current, peak, and the
// cumulative allocated and freed amounts.
#include <iomanip>
#include <sstream>

#include "backend/cuda/cuda_backend.h"
#include "seek/cuda.h"

namespace seek::cuda {

std::string format_bytes(size_t n) {
  const char* units[] = {"B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"};
  double v = static_cast<double>(n);
  int u = 0;
  while (v >= 1024.0 && u < 6) {
    v /= 1024.0;
    ++u;
  }
  std::ostringstream os;
  os.precision(u == 0 ? 0 : 2);
  os << std::fixed << v << " " << units[u];
  return os.str();
}

namespace {
std::string cell(int64_t v, bool bytes) {
  return bytes ? format_bytes(static_cast<size_t>(v < 0 ? 0 : v)) : std::to_string(v);
}

void rows(std::ostringstream& os, const char* name, const StatGroup& g, bool bytes) {
  const std::pair<const char*, const Stat*> pools[] = {
      {"all", &g.all}, {"small pool", &g.small_pool}, {"large pool", &g.large_pool}};
  for (const auto& [pool, s] : pools) {
    os << "| " << std::left << std::setw(20) << (pool == pools[0].first ? name : "") << std::setw(12) << pool
       << std::right << std::setw(12) << cell(s->current, bytes) << std::setw(12) << cell(s->peak, bytes)
       << std::setw(13) << cell(s->allocated, bytes) << std::setw(13) << cell(s->freed, bytes) << " |\n";
  }
}
}  // namespace

std::string memory_summary(int device) {
  const MemoryStats s = memory_stats(device);
  const int d = device >= 0 ? device : (is_available() ? current_device() : -1);
  const std::string rule(86, '=');
  std::ostringstream os;
  os << rule << "\n| seek CUDA memory summary, device " << (d < 0 ? std::string("(none visible)") : std::to_string(d))
     << "\n"
     << rule << "\n";
  os << "| " << std::left << std::setw(20) << "metric" << std::setw(12) << "pool" << std::right << std::setw(12)
     << "current" << std::setw(12) << "peak" << std::setw(13) << "allocated" << std::setw(13) << "freed"
     << " |\n";
  os << rule << "\n";
  rows(os, "Allocated memory", s.allocated_bytes, true);
  rows(os, "Active memory", s.active_bytes, true);
  rows(os, "Reserved memory", s.reserved_bytes, true);
  rows(os, "Allocations", s.allocation, false);
  rows(os, "Active blocks", s.active, false);
  rows(os, "cudaMalloc segments", s.segment, false);
  os << rule << "\n";
  os << "| cache hits: " << s.num_cache_hits << "   alloc retries: " << s.num_alloc_retries << "   OOMs: " << s.num_ooms
     << "   cross-stream frees: " << s.num_cross_stream_frees << "   syncs of all streams: " << s.num_sync_all_streams
     << "\n";
  os << rule << "\n";
  return os.str();
}

}  // namespace seek::cuda
