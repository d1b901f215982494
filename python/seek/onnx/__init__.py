"""seek.onnx: the name torch.onnx has. seek has no ONNX exporter yet: export() raises a
NotImplementedError saying so (the exporter comes with the deployment issue)."""

__all__ = ["export"]


def export(model, args=None, f=None, *unused_args, **unused_kwargs):
    """Not available yet: raises NotImplementedError."""
    raise NotImplementedError(
        "seek.onnx.export: seek has no ONNX exporter yet (it comes with the deployment issue). To keep a trained "
        "model, save its weights with seek.save(model.state_dict(), path) (safetensors).")


def is_in_onnx_export():
    """False: no export is ever running."""
    return False
