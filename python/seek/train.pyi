# Type stubs for seek.train (the loop is C++, seek._C.train).
import os
from typing import Any, Callable, Dict, Iterable, List, Optional, Sequence, Union

from ._C import Tensor, device
from .data import DataLoader
from .nn import Module
from .optim import Optimizer

_Path = Union[str, "os.PathLike[str]"]
_Metrics = Dict[str, float]

class Callback:
    def __init__(self) -> None: ...
    def on_train_begin(self, trainer: Trainer) -> None: ...
    def on_train_end(self, trainer: Trainer) -> None: ...
    def on_epoch_begin(self, trainer: Trainer, epoch: int) -> None: ...
    def on_epoch_end(self, trainer: Trainer, epoch: int, metrics: _Metrics) -> None: ...
    def on_step_end(self, trainer: Trainer, step: int, loss: float) -> None: ...
    def on_evaluate(self, trainer: Trainer, metrics: _Metrics) -> None: ...

class Trainer:
    model: Module
    optimizer: Optimizer
    train_loader: DataLoader
    val_loader: Optional[DataLoader]
    scheduler: Any
    plateau: Any
    callbacks: List[Callback]
    def __init__(
        self,
        model: Module,
        optimizer: Optimizer,
        train_loader: DataLoader,
        *,
        epochs: int = 1,
        max_steps: int = 0,
        accumulation_steps: int = 1,
        clip_grad_norm: float = 0.0,
        clip_norm_type: Union[float, str] = 2.0,
        clip_grad_value: float = 0.0,
        scheduler_interval: str = "step",
        eval_every_steps: int = 0,
        eval_every_epochs: int = 1,
        metrics: Union[str, Sequence[str]] = ("accuracy",),
        monitor: str = "",
        mode: str = "min",
        early_stopping_patience: int = 0,
        early_stopping_min_delta: float = 0.0,
        output_dir: Optional[_Path] = None,
        log_csv: bool = True,
        log_jsonl: bool = True,
        checkpoint_every_epochs: int = 0,
        checkpoint_every_steps: int = 0,
        save_best: bool = True,
        device: Optional[Union[str, device]] = None,
        progress: bool = True,
        progress_counts_items: bool = False,
        progress_unit: str = "it",
        progress_print_every: int = 50,
        log_every_steps: int = 0,
        amp: str = "",
        grad_scaler: Optional[Dict[str, Any]] = None,
        val_loader: Optional[DataLoader] = None,
        scheduler: Any = None,
        plateau: Any = None,
        loss_fn: Optional[Callable[[Tensor, Tensor], Tensor]] = None,
        forward_fn: Optional[Callable[[Module, Tensor], Tensor]] = None,
        callbacks: Iterable[Callback] = (),
        distributed: bool = False,
        ddp_bucket_cap_mb: float = 25.0,
        ddp_find_unused_parameters: bool = False,
    ) -> None: ...
    def set_val_loader(self, loader: Optional[DataLoader]) -> None: ...
    def set_scheduler(self, scheduler: Any) -> None: ...
    def set_plateau(self, plateau: Any) -> None: ...
    def set_loss_fn(self, loss_fn: Optional[Callable[[Tensor, Tensor], Tensor]]) -> None: ...
    def set_forward_fn(self, forward_fn: Optional[Callable[[Module, Tensor], Tensor]]) -> None: ...
    def add_callback(self, callback: Callback) -> None: ...
    def fit(self) -> None: ...
    def evaluate(self, loader: Optional[DataLoader] = None) -> _Metrics: ...
    def save(self, dir: _Path) -> None: ...
    def resume(self, dir: _Path) -> None: ...
    def request_stop(self, reason: str = "") -> None: ...
    def metric_names(self) -> List[str]: ...
    @property
    def stop_requested(self) -> bool: ...
    @property
    def stop_reason(self) -> str: ...
    @property
    def epoch(self) -> int: ...
    @property
    def global_step(self) -> int: ...
    @property
    def last_metrics(self) -> _Metrics: ...
    @property
    def step_losses(self) -> List[float]: ...
    @property
    def early_stopping(self) -> Optional[Dict[str, Any]]: ...
    @property
    def grad_scaler(self) -> Optional[Any]: ...
    @property
    def options(self) -> Dict[str, Any]: ...
