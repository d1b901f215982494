"""seek.nn.parallel.DistributedDataParallel and seek.nn.SyncBatchNorm. The training runs in subprocesses
(tests/python/ddp_worker.py: alone, and under mpirun -np 2), so that this pytest process never initialises MPI."""
import pathlib

import pytest

import seek
from mpi_launch import needs_mpi, needs_mpirun, run_python

WORKER = pathlib.Path(__file__).with_name("ddp_worker.py")


@needs_mpi
def test_ddp_in_a_single_process():
    p = run_python([WORKER])
    assert p.returncode == 0, p.stdout + p.stderr
    assert "rank 0: ok" in p.stdout


@needs_mpi
@needs_mpirun
def test_ddp_under_mpirun_with_two_ranks():
    p = run_python([WORKER], ranks=2)
    assert p.returncode == 0, p.stdout + p.stderr
    assert "rank 0: ok" in p.stdout and "rank 1: ok" in p.stdout, p.stdout + p.stderr


def test_ddp_needs_a_process_group_and_a_module():
    with pytest.raises(TypeError, match="seek.nn.Module"):
        seek.nn.parallel.DistributedDataParallel(object())
    with pytest.raises(RuntimeError, match="not initialised"):
        seek.nn.parallel.DistributedDataParallel(seek.nn.Linear(2, 2))


def test_sync_batchnorm_without_a_group_is_batchnorm():
    seek.manual_seed(0)
    x = seek.randn(8, 3, 4)
    bn = seek.nn.BatchNorm1d(3, momentum=0.3)
    sync = seek.nn.SyncBatchNorm.convert_sync_batchnorm(bn)
    assert isinstance(sync, seek.nn.SyncBatchNorm)
    assert sync.momentum == pytest.approx(0.3) and sync.num_features == 3
    ref = seek.nn.BatchNorm1d(3, momentum=0.3)
    assert float((sync(x) - ref(x)).abs().max()) < 1e-6
    assert float((sync.running_mean - ref.running_mean).abs().max()) < 1e-6


def test_trainer_distributed_option():
    model = seek.nn.Linear(3, 2)
    opt = seek.optim.SGD(model.parameters(), lr=0.1)
    loader = seek.utils.data.DataLoader(seek.utils.data.TensorDataset(seek.randn(4, 3), seek.tensor([0, 1, 0, 1])),
                                        batch_size=2)
    with pytest.raises(ValueError, match="init_process_group"):
        seek.train.Trainer(model, opt, loader, distributed=True, progress=False)
    t = seek.train.Trainer(model, opt, loader, progress=False, ddp_bucket_cap_mb=5.0)
    assert t.options["distributed"] is False and t.options["ddp_bucket_cap_mb"] == 5.0
