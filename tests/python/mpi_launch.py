"""Running Python code in fresh processes, alone or under `mpirun -np N`, for the tests of seek.distributed and
DistributedDataParallel: the pytest process itself never initialises MPI."""
import os
import shutil
import subprocess
import sys

import pytest

import seek.distributed as dist

# What a launcher sets; a test process must not inherit them from an outer launcher.
LAUNCH_VARS = ("OMPI_COMM_WORLD_RANK", "OMPI_COMM_WORLD_SIZE", "PMI_RANK", "PMI_SIZE", "SLURM_PROCID",
               "SLURM_NTASKS", "RANK", "WORLD_SIZE")
needs_mpi = pytest.mark.skipif(not dist.is_mpi_available(), reason="seek built without MPI (SEEK_DIST=OFF)")
needs_mpirun = pytest.mark.skipif(shutil.which("mpirun") is None, reason="no mpirun")


def launch_env():
    env = {k: v for k, v in os.environ.items() if k not in LAUNCH_VARS}
    env.update(OMPI_ALLOW_RUN_AS_ROOT="1", OMPI_ALLOW_RUN_AS_ROOT_CONFIRM="1")
    return env


def run_python(args, ranks=None, timeout=300):
    """python3 ARGS alone (ranks None) or under mpirun -np RANKS; the finished process."""
    cmd = [sys.executable, *map(str, args)]
    if ranks is not None:
        cmd = ["mpirun", "--oversubscribe", "-np", str(ranks), *cmd]
    return subprocess.run(cmd, env=launch_env(), capture_output=True, text=True, timeout=timeout)
