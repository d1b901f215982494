"""seek.backends.mps: torch.backends.mps's queries. seek has no Metal backend."""


def is_available():
    """False: seek has no MPS (Apple Metal) backend."""
    return False


def is_built():
    """False: seek is not built with MPS."""
    return False
