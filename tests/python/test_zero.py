"""seek.distributed.optim.ZeroRedundancyOptimizer (torch.distributed.optim's ZeRO stage 1). The runs that join a
process group happen in subprocesses (tests/python/zero_worker.py: alone, and under mpirun -np 2), so that this
pytest process never initialises MPI."""
import pathlib

import pytest

import seek
from mpi_launch import needs_mpi, needs_mpirun, run_python
from seek.distributed.optim import ZeroRedundancyOptimizer

WORKER = pathlib.Path(__file__).with_name("zero_worker.py")


@needs_mpi
def test_zero_in_a_single_process():
    p = run_python([WORKER])
    assert p.returncode == 0, p.stdout + p.stderr
    assert "rank 0: ok" in p.stdout


@needs_mpi
@needs_mpirun
def test_zero_under_mpirun_with_two_ranks():
    p = run_python([WORKER], ranks=2)
    assert p.returncode == 0, p.stdout + p.stderr
    assert "rank 0: ok" in p.stdout and "rank 1: ok" in p.stdout, p.stdout + p.stderr


def test_zero_rejects_what_it_cannot_do():
    params = seek.nn.Linear(2, 2).parameters()
    with pytest.raises(TypeError, match="optimizer_class must be a seek.optim optimizer class"):
        ZeroRedundancyOptimizer(params, optimizer_class=object)
    with pytest.raises(ValueError, match="overlap_with_ddp"):
        ZeroRedundancyOptimizer(params, optimizer_class=seek.optim.AdamW, overlap_with_ddp=True)
    with pytest.raises(TypeError, match="unexpected keyword argument 'momentum'"):
        ZeroRedundancyOptimizer(seek.nn.Linear(2, 2).parameters(), optimizer_class=seek.optim.AdamW, momentum=0.9)
