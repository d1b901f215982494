"""seek.nn.parallel.DistributedDataParallel and seek.nn.SyncBatchNorm. The training runs in subprocesses
(tests/python/ddp_worker.py: alone, and under mpirun -np 2), so that this pytest process never initialises MPI."""
import os
import pathlib
import shutil
import subprocess
import sys

import pytest

import seek
import seek.distributed as dist

WORKER = pathlib.Path(__file__).with_name("ddp_worker.py")
LAUNCH_VARS = ("OMPI_COMM_WORLD_RANK", "OMPI_COMM_WORLD_SIZE", "PMI_RANK", "PMI_SIZE", "SLURM_PROCID",
               "SLURM_NTASKS", "RANK", "WORLD_SIZE")
needs_mpi = pytest.mark.skipif(not dist.is_mpi_available(), reason="seek built without MPI (SEEK_DIST=OFF)")


def _env():
    env = {k: v for k, v in os.environ.items() if k not in LAUNCH_VARS}
    env.update(OMPI_ALLOW_RUN_AS_ROOT="1", OMPI_ALLOW_RUN_AS_ROOT_CONFIRM="1")
    return env


@needs_mpi
def test_ddp_in_a_single_process():
    p = subprocess.run([sys.executable, str(WORKER)], env=_env(), capture_output=True, text=True, timeout=300)
    assert p.returncode == 0, p.stdout + p.stderr
    assert "rank 0: ok" in p.stdout


@needs_mpi
@pytest.mark.skipif(shutil.which("mpirun") is None, reason="no mpirun")
def test_ddp_under_mpirun_with_two_ranks():
    cmd = ["mpirun", "--oversubscribe", "-np", "2", sys.executable, str(WORKER)]
    p = subprocess.run(cmd, env=_env(), capture_output=True, text=True, timeout=300)
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
