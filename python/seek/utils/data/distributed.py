"""DistributedSampler (torch.utils.data.distributed's): each of num_replicas processes reads its own, equally
long share of a map-style dataset. The order is seek::data::DistributedSampler's (the C++ DataLoader's sampler):
with shuffle, a permutation from seek's generator seeded by `seed` and advanced by the epoch (so call
set_epoch(epoch) before each epoch, as with torch), padded from its start to a multiple of num_replicas (or cut,
with drop_last); rank r takes every num_replicas-th index from r. The partition rule is torch's; the permutation
for a given seed is not torch's."""
from ... import _C
from .sampler import Sampler

__all__ = ["DistributedSampler"]


class DistributedSampler(Sampler):
    """num_replicas and rank default to seek.distributed's world size and rank."""

    def __init__(self, dataset, num_replicas=None, rank=None, shuffle=True, seed=0, drop_last=False):
        from ... import distributed as dist
        if num_replicas is None:
            num_replicas = dist.get_world_size()
        if rank is None:
            rank = dist.get_rank()
        if isinstance(num_replicas, bool) or not isinstance(num_replicas, int) or num_replicas <= 0:
            raise ValueError(f"DistributedSampler: num_replicas should be a positive integer, got {num_replicas!r}")
        if isinstance(rank, bool) or not isinstance(rank, int) or not 0 <= rank < num_replicas:
            raise ValueError(f"Invalid rank {rank!r}, rank should be in the interval [0, {num_replicas - 1}]")
        self.dataset = dataset
        self.num_replicas = num_replicas
        self.rank = rank
        self.shuffle = bool(shuffle)
        self.seed = int(seed)
        self.drop_last = bool(drop_last)
        self.epoch = 0
        n = len(dataset)
        self.num_samples = n // num_replicas if drop_last else -(-n // num_replicas)
        self.total_size = self.num_samples * num_replicas

    def __iter__(self):
        return iter(_C._distributed.sampler_indices(len(self.dataset), self.num_replicas, self.rank, self.shuffle,
                                                    self.seed, self.drop_last, self.epoch))

    def __len__(self):
        return self.num_samples

    def set_epoch(self, epoch):
        """The epoch whose order __iter__ gives (the same on every rank)."""
        self.epoch = int(epoch)
