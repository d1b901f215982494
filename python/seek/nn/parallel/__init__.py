"""seek.nn.parallel: torch.nn.parallel's wrappers, for scripts that wrap a model on one device.

DataParallel on one device is a wrapper module whose forward calls the module (and whose
state_dict keys start with "module.", as in torch). DistributedDataParallel trains one process per
rank of a seek.distributed process group (the gradient buckets are C++: seek/dist/ddp.h).
"""
import contextlib

from ..._C import nn as _nn

__all__ = ["DataParallel", "DistributedDataParallel"]


class DataParallel(_nn.Module):
    """DataParallel(module, device_ids=None, output_device=None, dim=0) on one device: forward
    calls module; .module is the module. More than one device id raises NotImplementedError."""

    def __init__(self, module, device_ids=None, output_device=None, dim=0):
        super().__init__()
        if not isinstance(module, _nn.Module):
            raise TypeError(f"DataParallel: module must be a seek.nn.Module, got {type(module).__name__}")
        if device_ids is not None and len(device_ids) > 1:
            raise NotImplementedError(
                f"DataParallel: seek runs a model on one device; got device_ids={list(device_ids)}. Multi-device "
                "training comes with the distributed-training issue.")
        self.module = module
        self.device_ids = list(device_ids) if device_ids is not None else []
        self.output_device = output_device
        self.dim = dim

    def forward(self, *inputs, **kwargs):
        return self.module(*inputs, **kwargs)


def _find_tensors(obj):
    """The tensors inside a forward's output (tensors, lists, tuples, dicts)."""
    from ..._C import Tensor
    if isinstance(obj, Tensor):
        return [obj]
    if isinstance(obj, (list, tuple)):
        return [t for o in obj for t in _find_tensors(o)]
    if isinstance(obj, dict):
        return [t for o in obj.values() for t in _find_tensors(o)]
    return []


class DistributedDataParallel(_nn.Module):
    """DistributedDataParallel(module, device_ids=None, output_device=None, dim=0, broadcast_buffers=True,
    process_group=None, bucket_cap_mb=25, find_unused_parameters=False, ...) as torch's.

    Construction checks that every rank has the same parameter shapes and broadcasts rank 0's parameters and
    buffers. Each forward broadcasts rank 0's buffers (broadcast_buffers) and arms the next backward: gradients
    are all-reduced (averaged) in buckets while backward runs, by the C++ Reducer (seek/dist/ddp.h).
    no_sync() is a context manager in which backward passes only accumulate locally. state_dict keys start
    with "module.". seek.distributed.init_process_group must have been called.
    """

    def __init__(self, module, device_ids=None, output_device=None, dim=0, broadcast_buffers=True,
                 process_group=None, bucket_cap_mb=25, find_unused_parameters=False, check_reduction=False,
                 gradient_as_bucket_view=False, static_graph=False):
        super().__init__()
        if not isinstance(module, _nn.Module):
            raise TypeError(f"DistributedDataParallel: module must be a seek.nn.Module, got {type(module).__name__}")
        if device_ids is not None and len(device_ids) > 1:
            raise ValueError("DistributedDataParallel: one device per process; got device_ids="
                             f"{list(device_ids)}")
        from ..._C import _ddp
        self.module = module
        self.device_ids = list(device_ids) if device_ids is not None else None
        self.output_device = output_device
        self.dim = dim
        self.broadcast_buffers = broadcast_buffers
        self.process_group = process_group
        self.bucket_cap_mb = bucket_cap_mb
        self.find_unused_parameters = find_unused_parameters
        self.require_backward_grad_sync = True
        self.require_forward_param_sync = True
        states = list(module.named_parameters()) + list(module.named_buffers())
        _ddp.sync_module_states(states, 0, process_group)
        named = [(n, p) for n, p in module.named_parameters() if p.requires_grad]
        self.reducer = _ddp.Reducer([p for _, p in named], [n for n, _ in named], float(bucket_cap_mb),
                                    find_unused_parameters, process_group)

    def forward(self, *inputs, **kwargs):
        from ... import is_grad_enabled
        from ..._C import _ddp
        if self.broadcast_buffers and self.require_forward_param_sync:
            buffers = list(self.module.buffers())
            if buffers:
                _ddp.broadcast_tensors(buffers, 0, self.process_group)
        output = self.module(*inputs, **kwargs)
        sync = is_grad_enabled() and self.require_backward_grad_sync
        if sync:
            self.reducer.prepare_for_backward(_find_tensors(output))
        self.require_forward_param_sync = sync
        return output

    @contextlib.contextmanager
    def no_sync(self):
        """Backward passes inside accumulate gradients locally; the first synchronised one reduces them all."""
        old = self.require_backward_grad_sync
        self.require_backward_grad_sync = False
        try:
            yield
        finally:
            self.require_backward_grad_sync = old
