// StoreCollectives (src/dist/store_collectives.h): barrier, all_gather_bytes and broadcast_bytes through a
// TCPStore, as the NCCL engine uses them under torch's launch variables; ranks are threads with their own store
// clients here. And launch_store's errors for missing MASTER_ADDR/MASTER_PORT.
#include <gtest/gtest.h>

#include <atomic>
#include <cstdlib>
#include <thread>

#include "dist/store_collectives.h"
#include "seek/core/error.h"

using namespace seek::dist;
using namespace std::chrono_literals;

namespace {

// Runs body(rank, collectives) on `n` threads, each a rank with its own client of one master store.
template <typename F>
void on_ranks(int n, std::chrono::milliseconds timeout, F body) {
  TCPStoreOptions mo;
  mo.is_master = true;
  auto master = std::make_shared<TCPStore>("127.0.0.1", 0, mo);
  std::vector<std::thread> threads;
  for (int r = 0; r < n; ++r) {
    threads.emplace_back([&, r] {
      TCPStoreOptions o;
      o.timeout = 30s;
      detail::StoreCollectives c(std::make_shared<TCPStore>("127.0.0.1", master->port(), o), r, n, "test", timeout);
      body(r, c);
    });
  }
  for (auto& t : threads) t.join();
  // Every call's keys were deleted by its last rank.
  EXPECT_EQ(master->num_keys(), 0);
}

}  // namespace

TEST(StoreCollectives, GatherBroadcastAndBarrierOnThreeRanks) {
  constexpr int n = 3;
  std::atomic<int> before_barrier{0};
  std::atomic<bool> barrier_broken{false};
  on_ranks(n, 30s, [&](int r, detail::StoreCollectives& c) {
    for (int round = 0; round < 3; ++round) {  // sequence numbers keep the rounds apart
      const auto all = c.all_gather_bytes(std::string(static_cast<size_t>(r + round), static_cast<char>('a' + r)));
      ASSERT_EQ(all.size(), size_t{n});
      for (int q = 0; q < n; ++q)
        EXPECT_EQ(all[static_cast<size_t>(q)], std::string(static_cast<size_t>(q + round), static_cast<char>('a' + q)));
      const std::string b = c.broadcast_bytes(r == 1 ? std::string("from one\0!", 10) : "", 1);
      EXPECT_EQ(b, std::string("from one\0!", 10));
      before_barrier++;
      c.barrier();
      if (before_barrier.load() < n * (round + 1)) barrier_broken = true;  // someone left before all arrived
      c.barrier();
    }
  });
  EXPECT_FALSE(barrier_broken);
}

TEST(StoreCollectives, CloseOnRankZeroReturnsOnceEveryRankClosed) {
  std::atomic<int> closing{0};
  on_ranks(3, 30s, [&](int r, detail::StoreCollectives& c) {
    if (r != 0) {
      closing++;
      c.close();
    } else {
      c.close();
      EXPECT_EQ(closing.load(), 2);
      c.store().delete_key("test/close/count");
      c.store().delete_key("test/close/all");
    }
  });
}

TEST(StoreCollectives, ARankThatSkipsTimesOutNamingIt) {
  std::string error;
  on_ranks(2, 300ms, [&](int r, detail::StoreCollectives& c) {
    if (r == 1) return;  // rank 1 never joins
    try {
      c.barrier();
    } catch (const seek::Error& e) {
      error = e.what();
    }
    c.store().delete_key("test/0/barrier/0");  // leave the store empty for on_ranks' check
  });
  EXPECT_NE(error.find("barrier timed out after 300 ms on rank 0 (world size 2): rank(s) 1 did not join"),
            std::string::npos)
      << error;
  EXPECT_THROW(detail::StoreCollectives(nullptr, 0, 1, "x", 1s), seek::ValueError);
}

TEST(StoreCollectives, LaunchStoreNeedsMasterAddrAndPort) {
  const char* addr = std::getenv("MASTER_ADDR");
  const char* port = std::getenv("MASTER_PORT");
  const std::string saved_addr = addr ? addr : "", saved_port = port ? port : "";
  detail::LaunchEnv env;
  env.rank = 1;
  env.world_size = 2;
  env.torch_vars = true;
  EXPECT_TRUE(detail::needs_store_bootstrap(env));
  ::unsetenv("MASTER_ADDR");
  ::setenv("MASTER_PORT", "29500", 1);
  try {
    detail::launch_store(env, 1s);
    ADD_FAILURE() << "no error";
  } catch (const seek::ValueError& e) {
    EXPECT_NE(std::string(e.what()).find("MASTER_ADDR"), std::string::npos) << e.what();
  }
  ::setenv("MASTER_ADDR", "127.0.0.1", 1);
  ::setenv("MASTER_PORT", "port", 1);
  EXPECT_THROW(detail::launch_store(env, 1s), seek::ValueError);
  if (addr)
    ::setenv("MASTER_ADDR", saved_addr.c_str(), 1);
  else
    ::unsetenv("MASTER_ADDR");
  if (port)
    ::setenv("MASTER_PORT", saved_port.c_str(), 1);
  else
    ::unsetenv("MASTER_PORT");
  env.world_size = 1;
  EXPECT_FALSE(detail::needs_store_bootstrap(env));
}
