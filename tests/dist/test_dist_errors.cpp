// Bad input to the collectives (the error type and words), the launcher environment parsing, and the timeout:
// a rank that skips a collective makes the others fail with an error naming the op, the rank, the world size and
// the tensor sizes, after which the group works again once the late rank has joined.
#include <gtest/gtest.h>
#include <stdlib.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <thread>

#include "dist/dist_internal.h"
#include "seek/dist/process_group.h"
#include "seek/ops/creation.h"

using namespace seek;
namespace dist = seek::dist;

namespace {

int rank() { return dist::get_rank(); }
int world() { return dist::get_world_size(); }

template <typename E, typename F>
void expect_error(F&& f, const std::vector<std::string>& words) {
  try {
    f();
    ADD_FAILURE() << "no error";
  } catch (const E& e) {
    const std::string m = e.what();
    for (const auto& w : words) EXPECT_NE(m.find(w), std::string::npos) << "'" << w << "' not in: " << m;
  }
}

// Sets variables for one scope and restores what was there (mpirun's own variables included).
class ScopedEnv {
 public:
  ScopedEnv(std::initializer_list<std::pair<const char*, const char*>> vars) {
    for (const char* name : {"OMPI_COMM_WORLD_RANK", "OMPI_COMM_WORLD_SIZE", "PMI_RANK", "PMI_SIZE", "SLURM_PROCID",
                             "SLURM_NTASKS", "RANK", "WORLD_SIZE"}) {
      const char* v = getenv(name);
      saved_.push_back({name, v ? std::optional<std::string>(v) : std::nullopt});
      unsetenv(name);
    }
    for (const auto& [k, v] : vars) setenv(k, v, 1);
  }
  ~ScopedEnv() {
    for (const auto& [k, v] : saved_) v ? setenv(k.c_str(), v->c_str(), 1) : unsetenv(k.c_str());
  }

 private:
  std::vector<std::pair<std::string, std::optional<std::string>>> saved_;
};

}  // namespace

TEST(DistErrors, BadArgumentsNameWhatIsWrong) {
  Tensor t = zeros({2, 3});
  Tensor wrong = zeros({5, 3});
  expect_error<ShapeError>([&] { dist::all_gather_into_tensor(wrong, t); },
                           {"all_gather_into_tensor", "[5, 3]", "[2, 3]", "world size"});
  expect_error<ShapeError>([&] { dist::reduce_scatter_tensor(t, wrong); }, {"reduce_scatter_tensor", "input"});
  Tensor ints = zeros({2 * world(), 3}, TensorOptions(kInt64));
  expect_error<DTypeError>([&] { dist::all_gather_into_tensor(ints, t); }, {"dtype", "int64", "float32"});
  std::vector<Tensor> too_many(static_cast<size_t>(world() + 1), zeros({2, 3}));
  expect_error<ValueError>([&] { dist::all_gather(too_many, t); }, {"all_gather", "one per rank"});
  std::vector<Tensor> bad_shape(static_cast<size_t>(world()), zeros({3, 2}));
  expect_error<ShapeError>([&] { dist::all_gather(bad_shape, t); }, {"output[0]", "[3, 2]"});
  expect_error<IndexError>([&] { dist::broadcast(t, world()); }, {"broadcast", "src rank"});
  expect_error<IndexError>([&] { dist::broadcast(t, -1); }, {"broadcast", "src rank -1"});
  Tensor flags = zeros({3}, TensorOptions(kBool));
  expect_error<DTypeError>([&] { dist::all_reduce(flags, dist::ReduceOp::Avg); }, {"AVG", "bool"});
  Tensor undefined;
  expect_error<ValueError>([&] { dist::all_reduce(undefined); }, {"all_reduce", "undefined"});
  expect_error<Error>([] { dist::init_process_group("mpi"); }, {"already initialised"});
  // The group still works after the rejected calls (none of them reached MPI).
  Tensor one = ones({1});
  dist::all_reduce(one);
  EXPECT_EQ(one.item<float>(), static_cast<float>(world()));
}

TEST(DistErrors, LaunchEnvironment) {
  {
    ScopedEnv env({});
    const auto e = dist::detail::read_launch_env();
    EXPECT_EQ(e.rank, 0);
    EXPECT_EQ(e.world_size, 1);
  }
  {
    ScopedEnv env({{"OMPI_COMM_WORLD_RANK", "3"}, {"OMPI_COMM_WORLD_SIZE", "4"}, {"RANK", "0"}, {"WORLD_SIZE", "1"}});
    const auto e = dist::detail::read_launch_env();
    EXPECT_EQ(e.rank, 3);
    EXPECT_EQ(e.world_size, 4);
    EXPECT_EQ(e.source, "OMPI_COMM_WORLD_RANK/OMPI_COMM_WORLD_SIZE");
  }
  {
    ScopedEnv env({{"SLURM_PROCID", "1"}, {"SLURM_NTASKS", "2"}});
    EXPECT_EQ(dist::detail::read_launch_env().rank, 1);
  }
  {
    ScopedEnv env({{"PMI_RANK", "2"}, {"PMI_SIZE", "5"}});
    EXPECT_EQ(dist::detail::read_launch_env().world_size, 5);
  }
  {
    ScopedEnv env({{"RANK", "1"}, {"WORLD_SIZE", "2"}, {"MASTER_ADDR", "localhost"}});
    EXPECT_EQ(dist::detail::read_launch_env().source, "RANK/WORLD_SIZE");
  }
  {
    ScopedEnv env({{"RANK", "abc"}, {"WORLD_SIZE", "2"}});
    expect_error<ValueError>([] { dist::detail::read_launch_env(); }, {"RANK=abc", "not a non-negative integer"});
  }
  {
    ScopedEnv env({{"RANK", "2"}, {"WORLD_SIZE", "2"}});
    expect_error<ValueError>([] { dist::detail::read_launch_env(); }, {"RANK=2", "WORLD_SIZE=2"});
  }
  {
    ScopedEnv env({{"WORLD_SIZE", "2"}});
    expect_error<ValueError>([] { dist::detail::read_launch_env(); }, {"WORLD_SIZE is set but RANK is not"});
  }
}

// Run by its own ctest entry with a short timeout (SEEK_TEST_DIST_TIMEOUT_MS) under mpirun -np 2.
TEST(DistTimeout, ARankThatSkipsACollectiveMakesTheOthersFail) {
  const char* ms = getenv("SEEK_TEST_DIST_TIMEOUT_MS");
  if (world() < 2 || ms == nullptr) GTEST_SKIP() << "needs 2+ ranks and SEEK_TEST_DIST_TIMEOUT_MS";
  const long timeout_ms = atol(ms);
  // Rank 0 tells the others through a file when it has seen the timeout (no timing guesses).
  std::string dir;
  if (rank() == 0) {
    char tmpl[] = "/tmp/seek_dist_timeout_XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir = tmpl;
  }
  dir = dist::default_group().broadcast_bytes(dir, 0);
  const std::string marker = dir + "/rank0_timed_out";
  Tensor t = full({3, 2}, static_cast<double>(rank() + 1));
  if (rank() == 0) {
    const auto t0 = std::chrono::steady_clock::now();
    expect_error<Error>([&] { dist::all_reduce(t); },
                        {"all_reduce", "(sum)", "float32", "[3, 2]", str("timed out after ", timeout_ms, " ms"),
                         "on rank 0", str("world size ", world())});
    const auto waited = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - t0);
    EXPECT_GE(waited.count(), timeout_ms);  // not before the deadline
    std::ofstream(marker) << "done\n";
  } else {
    // Skip the collective until rank 0 has given up on it (at most 2 minutes), then join late.
    for (int i = 0; i < 12000 && access(marker.c_str(), F_OK) != 0; ++i)
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    ASSERT_EQ(access(marker.c_str(), F_OK), 0) << "rank 0 never reported its timeout";
    // Rank 0's all_reduce is still posted (MPI cannot cancel it), so this one completes with rank 0's data.
    dist::all_reduce(t);
    double want = 0;
    for (int r = 0; r < world(); ++r) want += r + 1;
    EXPECT_EQ(to_vector<float>(t)[0], want);
  }
  dist::barrier();  // every rank in step again
  Tensor after = ones({2});
  dist::all_reduce(after);
  EXPECT_EQ(to_vector<float>(after)[1], static_cast<float>(world()));
  if (rank() == 0) {
    unlink(marker.c_str());
    rmdir(dir.c_str());
  }
}
