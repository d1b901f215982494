"""seek.distributed.optim: torch.distributed.optim's ZeroRedundancyOptimizer (ZeRO stage 1).

    opt = ZeroRedundancyOptimizer(model.parameters(), optimizer_class=seek.optim.AdamW, lr=1e-3)

The parameters are partitioned over the ranks of the default process group (largest first, each to the rank with
the fewest elements so far, as torch does); each rank keeps the optimizer state (Adam's moments) of its shard
only, updates its shard in step() and broadcasts it to the others. The gradients must be the same on every rank
(DistributedDataParallel's), and the result equals optimizer_class on all parameters. state_dict() is collective
(call it on every rank) and has optimizer_class's own layout, so a checkpoint loads into a plain optimizer or into
a ZeroRedundancyOptimizer on any number of ranks. The update runs in C++ (seek/dist/zero_optimizer.h).
"""
from .. import _C
from ..optim.optimizer import _CppOptimizer

__all__ = ["ZeroRedundancyOptimizer"]


class ZeroRedundancyOptimizer(_CppOptimizer):
    """ZeRO-1 over the default process group; optimizer_class is one of seek.optim's SGD, Adam, AdamW, RMSprop,
    Adagrad or Adamax, and the keyword arguments are its options (torch's names)."""

    def __init__(self, params, optimizer_class, process_group=None, parameters_as_bucket_view=False,
                 overlap_with_ddp=False, **defaults):
        if process_group is not None:
            raise ValueError("ZeroRedundancyOptimizer: only the default process group (process_group=None) is "
                             "supported")
        if overlap_with_ddp:
            raise ValueError("ZeroRedundancyOptimizer: overlap_with_ddp is not supported; step() runs after "
                             "the backward pass")
        impl = getattr(optimizer_class, "_impl_class", None)
        if not (isinstance(optimizer_class, type) and issubclass(optimizer_class, _CppOptimizer) and impl):
            raise TypeError("ZeroRedundancyOptimizer: optimizer_class must be a seek.optim optimizer class "
                            f"(seek.optim.AdamW, ...), got {optimizer_class!r}")
        name = impl.__name__
        self.optimizer_class = optimizer_class
        self.parameters_as_bucket_view = parameters_as_bucket_view  # accepted; seek's shards are per tensor
        self._hidden_step = optimizer_class._hidden_step
        self._drop_state = optimizer_class._drop_state
        # The C++ class takes the inner optimizer's name; _CppOptimizer.__init__ builds it with the groups.
        self._impl_class = lambda groups, **options: _C.optim.ZeroRedundancyOptimizer(groups, name, **options)
        super().__init__(params, **defaults)

    def local_state_bytes(self):
        """Bytes of optimizer state (all tensors) this rank holds: about 1/world_size of optimizer_class's."""
        return self._impl.local_state_bytes()

    def owner(self, group, index):
        """The rank that keeps the state of parameter `index` of param group `group`."""
        return self._impl.owner(group, index)

    def consolidate_state_dict(self, to=0):
        """torch's call before state_dict() on rank `to`; seek's state_dict() already gathers every shard."""
