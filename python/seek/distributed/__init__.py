"""seek.distributed: torch.distributed's process groups and collectives over seek's engines (docs/distributed.md).

Launch with an MPI launcher (`mpirun -np 2 python train.py`, or Slurm's `srun`) or as torch's launchers do
(torchrun, or RANK/WORLD_SIZE/MASTER_ADDR/MASTER_PORT set per process: the processes then meet through a
TCPStore on MASTER_ADDR:MASTER_PORT); init_process_group() reads the rank and world size from that environment;
a process started alone is rank 0 of 1. Backends: "mpi" (CPU tensors,
and CUDA tensors staged through host memory; "gloo" is accepted as a name for it), "nccl" (CUDA tensors on real
GPUs) and "auto"/None (nccl where a real GPU and NCCL are there, else mpi).

Every collective takes the default group only (group=None); a collective that does not complete within the
timeout given to init_process_group raises RuntimeError naming the op, the rank, the world size and the tensor
sizes. With async_op=True a collective returns a Work whose wait() blocks until the result is in place;
otherwise it returns None after completing. The object collectives pickle through byte collectives.
Unlike torch, get_rank() and get_world_size() return 0 and 1 before init_process_group (seek's C++ API does).
"""
import datetime
import pickle

from .. import _C

_d = _C._distributed

__all__ = ["ReduceOp", "Work", "Backend", "is_available", "is_mpi_available", "is_nccl_available",
           "init_process_group", "is_initialized", "destroy_process_group", "get_rank", "get_world_size",
           "get_backend", "barrier", "all_reduce", "broadcast", "all_gather", "all_gather_into_tensor",
           "reduce_scatter_tensor", "all_gather_object", "gather_object", "broadcast_object_list",
           "default_pg_timeout", "TCPStore"]

ReduceOp = _d.ReduceOp
Work = _d.Work
TCPStore = _d.TCPStore  # torch.distributed.TCPStore: set/get/add/wait/check/delete_key/num_keys (store.h)
default_pg_timeout = datetime.timedelta(minutes=30)  # torch's default


class Backend:
    """Backend names (torch.distributed.Backend's constants)."""
    MPI = "mpi"
    NCCL = "nccl"
    GLOO = "gloo"  # served by the MPI engine


def is_available():
    """True: seek.distributed exists in every build (init_process_group raises where no engine was built)."""
    return True


is_mpi_available = _d.is_mpi_available
is_nccl_available = _d.is_nccl_available
is_initialized = _d.is_initialized


def _check_group(group, who):
    if group is not None:
        raise ValueError(f"seek.distributed.{who}: only the default group (group=None) is supported")


def init_process_group(backend=None, init_method=None, timeout=default_pg_timeout, world_size=-1, rank=-1,
                       store=None, group_name="", pg_options=None):
    """Joins the default process group. Rank and world size come from the launcher's environment
    (OMPI_COMM_WORLD_RANK/SIZE, PMI_RANK/SIZE, SLURM_PROCID/NTASKS, RANK/WORLD_SIZE); world_size and rank, when
    given, must agree with it. init_method may be None or "env://"; a store is not supported (under torch's
    variables seek makes its own TCPStore on MASTER_ADDR:MASTER_PORT)."""
    if init_method not in (None, "env://"):
        raise ValueError(f"init_process_group: init_method {init_method!r} is not supported; seek reads the "
                         "launcher's environment (init_method=None or 'env://')")
    if store is not None:
        raise ValueError("init_process_group: a store is not supported; seek reads the launcher's environment "
                         "(mpirun, srun, or torchrun's RANK/WORLD_SIZE/MASTER_ADDR/MASTER_PORT) and makes its own")
    if not isinstance(timeout, datetime.timedelta):
        raise TypeError(f"init_process_group: timeout must be a datetime.timedelta, got {type(timeout).__name__}")
    _d.init_process_group(backend or "auto", timeout)
    for name, want, got in (("world_size", world_size, _d.get_world_size()), ("rank", rank, _d.get_rank())):
        if want != -1 and want != got:
            _d.destroy_process_group()
            raise ValueError(f"init_process_group: {name}={want} but the launcher made this process {name} {got}")


def destroy_process_group(group=None):
    _check_group(group, "destroy_process_group")
    _d.destroy_process_group()


def get_rank(group=None):
    _check_group(group, "get_rank")
    return _d.get_rank()


def get_world_size(group=None):
    _check_group(group, "get_world_size")
    return _d.get_world_size()


def get_backend(group=None):
    _check_group(group, "get_backend")
    return _d.get_backend()


def _result(work, async_op):
    return work if async_op else None


def barrier(group=None, async_op=False, device_ids=None):
    _check_group(group, "barrier")
    _d.barrier()
    return None


def all_reduce(tensor, op=ReduceOp.SUM, group=None, async_op=False):
    _check_group(group, "all_reduce")
    return _result(_d.all_reduce(tensor, op, async_op), async_op)


def broadcast(tensor, src=0, group=None, async_op=False):
    _check_group(group, "broadcast")
    return _result(_d.broadcast(tensor, src, async_op), async_op)


def all_gather(tensor_list, tensor, group=None, async_op=False):
    _check_group(group, "all_gather")
    return _result(_d.all_gather(list(tensor_list), tensor, async_op), async_op)


def all_gather_into_tensor(output_tensor, input_tensor, group=None, async_op=False):
    _check_group(group, "all_gather_into_tensor")
    return _result(_d.all_gather_into_tensor(output_tensor, input_tensor, async_op), async_op)


def reduce_scatter_tensor(output, input, op=ReduceOp.SUM, group=None, async_op=False):
    _check_group(group, "reduce_scatter_tensor")
    return _result(_d.reduce_scatter_tensor(output, input, op, async_op), async_op)


def all_gather_object(object_list, obj, group=None):
    """Fills object_list (world_size entries) with every rank's obj, in rank order."""
    _check_group(group, "all_gather_object")
    if len(object_list) != get_world_size():
        raise ValueError(f"all_gather_object: object_list has {len(object_list)} entries; it needs one per rank "
                         f"(world size {get_world_size()})")
    for i, data in enumerate(_d.all_gather_bytes(pickle.dumps(obj))):
        object_list[i] = pickle.loads(data)


def gather_object(obj, object_gather_list=None, dst=0, group=None):
    """Rank dst gets every rank's obj in object_gather_list (world_size entries); the others pass None."""
    _check_group(group, "gather_object")
    world, me = get_world_size(), get_rank()
    if not 0 <= dst < world:
        raise ValueError(f"gather_object: dst rank {dst} is not in [0, {world})")
    if me == dst and (object_gather_list is None or len(object_gather_list) != world):
        raise ValueError(f"gather_object: on the destination rank object_gather_list must have {world} entries")
    if me != dst and object_gather_list is not None:
        raise ValueError("gather_object: object_gather_list must be None on ranks other than dst")
    everything = _d.all_gather_bytes(pickle.dumps(obj))  # everyone receives; only dst unpickles
    if me == dst:
        for i, data in enumerate(everything):
            object_gather_list[i] = pickle.loads(data)


def broadcast_object_list(object_list, src=0, group=None, device=None):
    """Replaces object_list's entries on every rank by rank src's (the lists have the same length)."""
    _check_group(group, "broadcast_object_list")
    data = _d.broadcast_bytes(pickle.dumps(list(object_list)) if get_rank() == src else b"", src)
    received = pickle.loads(data)
    if len(received) != len(object_list):
        raise ValueError(f"broadcast_object_list: rank {src} sent {len(received)} objects, this rank's list has "
                         f"{len(object_list)}")
    object_list[:] = received
