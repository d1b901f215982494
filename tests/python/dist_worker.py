"""One rank of tests/python/test_distributed.py: run alone (world of 1) or under `mpirun -np 2`. Checks every
collective of seek.distributed against values each rank computes itself, the object collectives, the
DistributedSampler in a DataLoader across ranks, and the timeout (after destroying the group and creating one
with a 1 s timeout: rank 0 waits alone on an all_reduce). Prints "rank R: ok" at the end."""
import datetime
import os
import sys
import tempfile
import time

import seek
import seek.distributed as dist
from seek.utils.data import DataLoader, DistributedSampler, TensorDataset


def check(cond, what):
    if not cond:
        raise AssertionError(f"rank {dist.get_rank()}: {what}")


def main():
    dist.init_process_group(backend="gloo", timeout=datetime.timedelta(seconds=60))
    check(dist.is_initialized() and dist.get_backend() == "mpi", "initialised with the mpi engine")
    W, r = dist.get_world_size(), dist.get_rank()
    check(r == int(os.environ.get("OMPI_COMM_WORLD_RANK", os.environ.get("RANK", "0"))), "rank from the launcher")
    ranks = sum(range(W))

    t = seek.tensor([1.0, 2.0, 3.0]) * (r + 1)
    check(dist.all_reduce(t) is None, "a synchronous collective returns None")
    check(t.tolist() == [x * W * (W + 1) / 2 for x in (1.0, 2.0, 3.0)], f"all_reduce sum: {t.tolist()}")
    i = seek.tensor([r, 10 + r], dtype=seek.int64)
    dist.all_reduce(i, op=dist.ReduceOp.MAX)
    check(i.tolist() == [W - 1, 10 + W - 1], "all_reduce max")
    h = seek.tensor([r * 2.0, 1.0], dtype=seek.float16)
    dist.all_reduce(h, op=dist.ReduceOp.AVG)
    check(h.dtype == seek.float16 and h.tolist() == [ranks * 2.0 / W, 1.0], f"all_reduce avg f16: {h.tolist()}")

    a = seek.ones(1000) * r
    work = dist.all_reduce(a, async_op=True)
    check(work.wait() is True and work.is_completed(), "async wait")
    check(a[999].item() == ranks, "async result")

    b = seek.tensor([[r, r], [r, r]], dtype=seek.int32).t()
    dist.broadcast(b, src=W - 1)
    check(b.tolist() == [[W - 1] * 2] * 2, "broadcast from the last rank")

    out = [seek.zeros(2) for _ in range(W)]
    dist.all_gather(out, seek.tensor([r, -r], dtype=seek.float32))
    check([o.tolist() for o in out] == [[k, -k] for k in range(W)], "all_gather")
    flat = seek.zeros(2 * W)
    dist.all_gather_into_tensor(flat, seek.tensor([r, r], dtype=seek.float32))
    check(flat.tolist() == [k for k in range(W) for _ in range(2)], "all_gather_into_tensor")
    rs = seek.zeros(2)
    dist.reduce_scatter_tensor(rs, seek.arange(2 * W, dtype=seek.float32))
    check(rs.tolist() == [W * (2 * r), W * (2 * r + 1)], "reduce_scatter_tensor")
    dist.barrier()

    objs = [None] * W
    dist.all_gather_object(objs, {"rank": r, "loss": 0.5 * r})
    check(objs == [{"rank": k, "loss": 0.5 * k} for k in range(W)], "all_gather_object")
    gathered = [None] * W if r == 0 else None
    dist.gather_object(("metric", r), gathered, dst=0)
    check(r != 0 or gathered == [("metric", k) for k in range(W)], "gather_object")
    lst = ["config", {"lr": 0.1}] if r == 0 else [None, None]
    dist.broadcast_object_list(lst, src=0)
    check(lst == ["config", {"lr": 0.1}], "broadcast_object_list")

    ds = TensorDataset(seek.arange(11))
    sampler = DistributedSampler(ds, shuffle=True, seed=4)
    check(sampler.num_replicas == W and sampler.rank == r, "sampler defaults from seek.distributed")
    for epoch in range(2):
        sampler.set_epoch(epoch)
        seen = [int(x) for (batch,) in DataLoader(ds, batch_size=3, sampler=sampler) for x in batch.tolist()]
        check(seen == list(sampler), "the loader reads the sampler's indices")
        shares = [None] * W
        dist.all_gather_object(shares, seen)
        check(all(len(s) == len(sampler) for s in shares), "equal shares")
        check(set().union(*map(set, shares)) == set(range(11)), "the shares cover the dataset")

    # The timeout, in a new group (the old one destroyed): rank 0 waits alone, the others join late.
    dist.destroy_process_group()
    check(not dist.is_initialized(), "destroyed")
    dist.init_process_group(timeout=datetime.timedelta(seconds=1))
    if W > 1:
        d = [tempfile.mkdtemp(prefix="seek_dist_py_") if r == 0 else None]
        dist.broadcast_object_list(d, src=0)
        marker = os.path.join(d[0], "timed_out")
        x = seek.ones(3)
        if r == 0:
            try:
                dist.all_reduce(x)
                check(False, "the all_reduce did not time out")
            except RuntimeError as e:
                msg = str(e)
                check("all_reduce" in msg and "timed out after 1000 ms" in msg and "[3]" in msg
                      and "rank 0" in msg, f"timeout message: {msg}")
            open(marker, "w").close()
        else:
            for _ in range(12000):
                if os.path.exists(marker):
                    break
                time.sleep(0.01)
            check(os.path.exists(marker), "rank 0 reported its timeout")
            dist.all_reduce(x)  # joins rank 0's abandoned all_reduce
        dist.barrier()
        if r == 0:
            os.remove(marker)
            os.rmdir(d[0])
    dist.destroy_process_group()
    print(f"rank {r}: ok", flush=True)


if __name__ == "__main__":
    try:
        main()
    except Exception as e:  # a failing rank must end the job, not leave the others waiting
        print(f"FAILED: {type(e).__name__}: {e}", file=sys.stderr, flush=True)
        sys.exit(1)
