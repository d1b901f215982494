"""One rank of tests/python/test_zero.py: run alone (world of 1) or under `mpirun -np 2`.
seek.distributed.optim.ZeroRedundancyOptimizer over AdamW (and SGD with momentum) must give the parameters that the
plain optimizer gives in one process, with each rank holding only its shard's state; its state_dict() (collective)
loads into the plain optimizer, which then continues identically. Prints "rank R: ok" at the end."""
import seek
import seek.distributed as dist
from seek.distributed.optim import ZeroRedundancyOptimizer


def check(cond, what):
    if not cond:
        raise AssertionError(f"rank {dist.get_rank()}: {what}")


def make_model():
    seek.manual_seed(3)
    return seek.nn.Sequential(seek.nn.Linear(5, 16), seek.nn.Tanh(), seek.nn.Linear(16, 7), seek.nn.Tanh(),
                              seek.nn.Linear(7, 2)).to(seek.float64)


def set_grads(model, step):
    # The same gradients on every rank (as DDP leaves them), different at every step.
    g = seek.Generator().manual_seed(100 + step)
    for p in model.parameters():
        p.grad = seek.randn(*p.shape, generator=g, dtype=seek.float64)


def max_diff(a, b):
    return max(float((p - q).abs().max()) for p, q in zip(a.parameters(), b.parameters()))


def run(optimizer_class, **options):
    ref, model = make_model(), make_model()
    plain = optimizer_class(ref.parameters(), **options)
    zero = ZeroRedundancyOptimizer(model.parameters(), optimizer_class=optimizer_class, **options)
    for step in range(6):
        set_grads(ref, step)
        set_grads(model, step)
        plain.step()
        zero.step()
    name = optimizer_class.__name__
    check(max_diff(ref, model) < 1e-12, f"{name}: ZeRO differs from the plain optimizer by {max_diff(ref, model)}")
    world = dist.get_world_size()
    owners = {zero.owner(0, i) for i in range(len(list(model.parameters())))}
    check(owners == set(range(world)), f"{name}: shard owners {owners} for {world} ranks")
    full_state = sum(t.numel() * t.element_size() for s in plain.state.values() for t in s.values()
                     if isinstance(t, seek.Tensor))
    if world > 1:
        check(0 < zero.local_state_bytes() < full_state,
              f"{name}: rank holds {zero.local_state_bytes()} state bytes of {full_state}")
    # The collective state_dict has the plain optimizer's layout: it loads there and continues identically.
    sd = zero.state_dict()
    resumed = optimizer_class(model.parameters(), **options)
    resumed.load_state_dict(sd)
    set_grads(ref, 6)
    set_grads(model, 6)
    plain.step()
    resumed.step()
    check(max_diff(ref, model) < 1e-12, f"{name}: the plain optimizer resumed from ZeRO's state_dict differs")


def main():
    dist.init_process_group(backend="mpi")
    run(seek.optim.AdamW, lr=0.01, weight_decay=0.1)
    run(seek.optim.SGD, lr=0.05, momentum=0.9, nesterov=True)
    print(f"rank {dist.get_rank()}: ok", flush=True)
    dist.destroy_process_group()


if __name__ == "__main__":
    main()
