// main() of test_dist: initialises the default process group from the launcher's environment (ctest runs the
// binary under `mpirun -np 2` and alone), runs the tests on every rank, and destroys the group.
// SEEK_TEST_DIST_TIMEOUT_MS sets the collectives' timeout (default 60 s, so that a test whose ranks disagree fails
// instead of hanging); SEEK_TEST_DIST_BACKEND the backend (default mpi; nccl on a real GPU runs DistNccl.*).
#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>

#include "seek/dist/process_group.h"

int main(int argc, char** argv) {
  ::testing::InitGoogleTest(&argc, argv);
  seek::dist::InitOptions options;
  const char* backend = std::getenv("SEEK_TEST_DIST_BACKEND");
  options.backend = backend ? backend : "mpi";
  const char* ms = std::getenv("SEEK_TEST_DIST_TIMEOUT_MS");
  options.timeout = std::chrono::milliseconds(ms ? std::atol(ms) : 60000);
  try {
    seek::dist::init_process_group(options);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "test_dist: %s\n", e.what());
    return 1;
  }
  const int rc = RUN_ALL_TESTS();
  seek::dist::destroy_process_group();
  return rc;
}
