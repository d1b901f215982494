"""seek.backends.cudnn: torch.backends.cudnn's flags. seek uses no cuDNN, so they change nothing;
they are kept so `torch.backends.cudnn.benchmark = True` and friends run unchanged."""

enabled = True
benchmark = False
deterministic = False
allow_tf32 = True
benchmark_limit = 10


def is_available():
    """False: seek has no cuDNN backend."""
    return False


def version():
    """None: no cuDNN library is loaded."""
    return None
