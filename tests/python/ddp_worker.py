"""One rank of tests/python/test_ddp.py: run alone (world of 1) or under `mpirun -np 2`. A Python model wrapped
in seek.nn.parallel.DistributedDataParallel, with per-rank batches of B rows, must stay equal to the same model
trained in one process on the global batch: plain, with no_sync() accumulation, and with SyncBatchNorm.
Prints "rank R: ok" at the end."""
import seek
import seek.distributed as dist
import seek.nn.functional as F
from seek.nn.parallel import DistributedDataParallel as DDP

B = 3


def check(cond, what):
    if not cond:
        raise AssertionError(f"rank {dist.get_rank()}: {what}")


class Net(seek.nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1 = seek.nn.Linear(6, 10)
        self.bn = seek.nn.BatchNorm1d(10)
        self.fc2 = seek.nn.Linear(10, 2)

    def forward(self, x):
        return self.fc2(F.relu(self.bn(self.fc1(x))))


def make(seed, sync_bn=False):
    seek.manual_seed(seed)
    m = Net().to(seek.float64)
    if sync_bn:
        m = seek.nn.SyncBatchNorm.convert_sync_batchnorm(m)
    return m


def max_diff(a, b):
    return max(float((p - q).abs().max()) for p, q in zip(a.parameters(), b.parameters()))


def run(sync_bn, micro):
    W, r = dist.get_world_size(), dist.get_rank()
    seek.manual_seed(42)
    x = seek.randn(10 * micro, W * B, 6, dtype=seek.float64)
    y = seek.randn(10 * micro, W * B, 2, dtype=seek.float64)
    ref = make(1)
    model = make(1 + r, sync_bn)  # construction broadcasts rank 0's parameters
    ddp = DDP(model, bucket_cap_mb=0.0002)  # 200 bytes: several buckets
    check(len(ddp.reducer.bucket_indices) > 1, "small buckets split the parameters")
    check(list(ddp.state_dict().keys())[0].startswith("module."), "state_dict keys start with module.")
    opt_ref = seek.optim.SGD(ref.parameters(), lr=0.05, momentum=0.9)
    opt = seek.optim.SGD(ddp.parameters(), lr=0.05, momentum=0.9)
    for s in range(10):
        opt_ref.zero_grad()
        opt.zero_grad()
        for m in range(micro):
            i = s * micro + m
            if sync_bn:
                (F.mse_loss(ref(x[i]), y[i]) / micro).backward()
            else:  # local batch statistics: the reference runs each rank's rows on their own
                loss = sum(F.mse_loss(ref(x[i][k * B:(k + 1) * B]), y[i][k * B:(k + 1) * B]) for k in range(W))
                (loss / (W * micro)).backward()
            xs, ys = x[i][r * B:(r + 1) * B], y[i][r * B:(r + 1) * B]
            if m + 1 < micro:
                with ddp.no_sync():
                    (F.mse_loss(ddp(xs), ys) / micro).backward()
            else:
                (F.mse_loss(ddp(xs), ys) / micro).backward()
        opt_ref.step()
        opt.step()
        d = max_diff(model, ref)
        check(d < 1e-6, f"sync_bn={sync_bn} micro={micro} step {s}: parameters differ by {d}")
    check(ddp.reducer.num_synced_backwards == 10, "one synchronised backward per step")


def main():
    dist.init_process_group(backend="mpi")
    run(sync_bn=False, micro=1)
    run(sync_bn=False, micro=2)
    run(sync_bn=True, micro=1)
    print(f"rank {dist.get_rank()}: ok", flush=True)
    dist.destroy_process_group()


if __name__ == "__main__":
    main()
