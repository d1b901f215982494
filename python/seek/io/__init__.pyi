# Type stubs for seek.io (seek.save / seek.load are these functions).
import os
from typing import Mapping, Optional, OrderedDict, Union

from .._C import Tensor, device
from . import safetensors as safetensors

_Path = Union[str, bytes, os.PathLike]

def save(obj: Mapping[str, Tensor], f: _Path) -> None: ...
def load(f: _Path, map_location: Optional[Union[str, device]] = None) -> OrderedDict[str, Tensor]: ...
