// MpiStoreBootstrap: one MPI communicator out of processes started without an MPI launcher, under torch's launch
// variables (RANK, WORLD_SIZE, MASTER_ADDR, MASTER_PORT: torchrun, or one shell per rank).
//
// Each such process is an Open MPI singleton (MPI_Init without mpirun: a world of one). Singletons can join
// through MPI_Open_port / MPI_Comm_accept / MPI_Comm_connect only when their runtimes share a rendezvous server:
// rank 0 starts Open MPI's `ompi-server` and passes its URI through a TCPStore on MASTER_ADDR:MASTER_PORT; every
// rank sets OMPI_MCA_pmix_server_uri to it before MPI_Init. Then rank 0 opens a port (its name goes through the
// store) and the group grows one rank at a time: the ranks joined so far accept together, rank k connects, and
// the inter-communicator is merged with rank k on the high side, so MPI ranks equal the RANK variables. Before
// anybody enters a blocking accept/connect, rank k has announced itself through the store (and the others wait
// for the store's go-ahead, with the group's timeout), so a rank that never comes is a timeout error, not a hang.
// The ompi-server lives until rank 0 exits (a later init_process_group reuses it; it dies with rank 0).
#pragma once

#include <mpi.h>

#include <chrono>
#include <memory>

#include "dist/store_collectives.h"

namespace seek::dist::detail {

class MpiStoreBootstrap {
 public:
  // Before MPI_Init: creates the store, starts ompi-server on rank 0, sets OMPI_MCA_pmix_server_uri everywhere.
  MpiStoreBootstrap(const LaunchEnv& env, std::chrono::milliseconds timeout);
  // After MPI_Init: the communicator of all ranks in RANK order (the caller frees it).
  MPI_Comm connect();

 private:
  LaunchEnv env_;
  std::chrono::milliseconds timeout_;
  std::shared_ptr<TCPStore> store_;
};

}  // namespace seek::dist::detail
