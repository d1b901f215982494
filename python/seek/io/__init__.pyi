# Type stubs for seek.io (seek.save / seek.load are these functions).
import os
from typing import IO, Any, Callable, Dict, Optional, Union

from .._C import Tensor, device
from . import safetensors as safetensors

_Path = Union[str, bytes, os.PathLike]
_MapLocation = Union[None, str, device, Dict[str, Union[str, device]], Callable[[Tensor, str], Tensor]]

def save(obj: Any, f: Union[_Path, IO[bytes]]) -> None: ...
def load(f: Union[_Path, IO[bytes]], map_location: _MapLocation = None, weights_only: Optional[bool] = None,
         **kwargs: Any) -> Any: ...
