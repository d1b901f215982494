"""seek.nn.parallel: torch.nn.parallel's wrappers, for scripts that wrap a model on one device.

DataParallel on one device is a wrapper module whose forward calls the module (and whose
state_dict keys start with "module.", as in torch). DistributedDataParallel raises a
NotImplementedError: multi-process training comes with the distributed-training issue.
"""
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


class DistributedDataParallel(_nn.Module):
    """Not available yet: raises NotImplementedError (it comes with the distributed-training issue)."""

    def __init__(self, module=None, *args, **kwargs):
        raise NotImplementedError(
            "seek.nn.parallel.DistributedDataParallel: seek has no multi-process training yet (it comes with the "
            "distributed-training issue). Train on one device: use the module itself (or DataParallel).")
