// main() of test_dist: initialises the default process group from the launcher's environment (ctest runs the
// binary under `mpirun -np 2` and alone), runs the tests on every rank, and destroys the group.
// SEEK_TEST_DIST_TIMEOUT_MS sets the collectives' timeout (default 60 s, so that a test whose ranks disagree fails
// instead of hanging).
#include <gtest/gtest.h>

#include <cstdlib>

#include "seek/dist/process_group.h"

int main(int argc, char** argv) {
  ::testing::InitGoogleTest(&argc, argv);
  seek::dist::InitOptions options;
  options.backend = "mpi";
  const char* ms = std::getenv("SEEK_TEST_DIST_TIMEOUT_MS");
  options.timeout = std::chrono::milliseconds(ms ? std::atol(ms) : 60000);
  seek::dist::init_process_group(options);
  const int rc = RUN_ALL_TESTS();
  seek::dist::destroy_process_group();
  return rc;
}
