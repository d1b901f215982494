"""seek.distributed and seek.utils.data.DistributedSampler. The collectives run in subprocesses
(tests/python/dist_worker.py: alone, and under mpirun -np 2), so that this pytest process never initialises MPI;
the sampler and the argument checks run here."""
import pathlib
import sys

import pytest

import seek
import seek.distributed as dist
from seek.utils.data import DataLoader, DistributedSampler, TensorDataset
from mpi_launch import needs_mpi, needs_mpirun, run_python

WORKER = pathlib.Path(__file__).with_name("dist_worker.py")


@needs_mpi
def test_collectives_in_a_single_process():
    p = run_python([WORKER])
    assert p.returncode == 0, p.stdout + p.stderr
    assert "rank 0: ok" in p.stdout


@needs_mpi
@needs_mpirun
def test_collectives_under_mpirun_with_two_ranks():
    p = run_python([WORKER], ranks=2)
    assert p.returncode == 0, p.stdout + p.stderr
    assert "rank 0: ok" in p.stdout and "rank 1: ok" in p.stdout, p.stdout + p.stderr


def test_api_before_init():
    for name in ("init_process_group", "all_reduce", "broadcast", "all_gather", "all_gather_into_tensor",
                 "reduce_scatter_tensor", "barrier", "all_gather_object", "gather_object", "broadcast_object_list",
                 "destroy_process_group", "get_rank", "get_world_size", "is_initialized", "ReduceOp"):
        assert hasattr(dist, name), name
    assert [dist.ReduceOp.SUM, dist.ReduceOp.AVG, dist.ReduceOp.MAX, dist.ReduceOp.MIN]
    assert not dist.is_initialized()
    assert dist.get_rank() == 0 and dist.get_world_size() == 1
    with pytest.raises(RuntimeError, match="not initialised"):
        dist.barrier()
    with pytest.raises(RuntimeError, match="not initialised"):
        dist.all_reduce(seek.ones(2))
    with pytest.raises(ValueError, match="unknown backend 'smoke'"):
        dist.init_process_group(backend="smoke")
    with pytest.raises(ValueError, match="init_method"):
        dist.init_process_group(init_method="tcp://10.0.0.1:23456")
    with pytest.raises(TypeError, match="timedelta"):
        dist.init_process_group(timeout=30)
    with pytest.raises(ValueError, match="default group"):
        dist.get_rank(group="subgroup")
    assert not dist.is_initialized()


def test_sampler_partition_and_epochs():
    ds = TensorDataset(seek.arange(10))
    shares = [list(DistributedSampler(ds, num_replicas=4, rank=k, shuffle=False)) for k in range(4)]
    assert shares == [[0, 4, 8], [1, 5, 9], [2, 6, 0], [3, 7, 1]]  # padded from the start, strided
    cut = [list(DistributedSampler(ds, num_replicas=4, rank=k, shuffle=False, drop_last=True)) for k in range(4)]
    assert sorted(sum(cut, [])) == list(range(8)) and all(len(c) == 2 for c in cut)
    s = DistributedSampler(ds, num_replicas=3, rank=1, seed=9)
    assert len(s) == 4 and s.total_size == 12
    first = list(s)
    assert first == list(s)  # same epoch, same order
    s.set_epoch(1)
    assert list(s) != first
    together = [x for k in range(3) for x in DistributedSampler(ds, num_replicas=3, rank=k, seed=9)]
    assert set(together) == set(range(10)) and len(together) == 12
    assert list(DistributedSampler(ds)) == list(range(10)) or len(list(DistributedSampler(ds))) == 10


def test_sampler_in_a_dataloader_and_bad_arguments():
    ds = TensorDataset(seek.arange(7))
    s = DistributedSampler(ds, num_replicas=2, rank=0, seed=1)
    s.set_epoch(3)
    seen = [int(x) for (batch,) in DataLoader(ds, batch_size=2, sampler=s) for x in batch.tolist()]
    assert seen == list(s) and len(seen) == 4
    with pytest.raises(ValueError, match="mutually exclusive with shuffle"):
        DataLoader(ds, sampler=s, shuffle=True)
    with pytest.raises(ValueError, match=r"Invalid rank 2, rank should be in the interval \[0, 1\]"):
        DistributedSampler(ds, num_replicas=2, rank=2)
    with pytest.raises(ValueError, match="num_replicas"):
        DistributedSampler(ds, num_replicas=0, rank=0)
    assert seek.data.DistributedSampler is DistributedSampler


@needs_mpi
@needs_mpirun
def test_a_rank_that_exits_makes_the_others_fail_with_a_clear_error():
    script = ("import datetime, sys\n"
              "import seek.distributed as d\n"
              "d.init_process_group(timeout=datetime.timedelta(seconds=2))\n"
              "if d.get_rank() == 1:\n"
              "    sys.exit(3)\n"
              "d.barrier()\n")
    p = run_python(["-c", script], ranks=2)
    assert p.returncode != 0
    out = p.stdout + p.stderr
    assert "barrier timed out after 2000 ms on rank 0 (world size 2)" in out, out
    assert "Segmentation fault" not in out, out
