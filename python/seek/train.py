"""seek.train: the C++ training loop (seek::train::Trainer) from Python.

    trainer = seek.train.Trainer(model, optimizer, train_loader, epochs=10, val_loader=val_loader,
                                 scheduler=scheduler, monitor="val_loss", output_dir="runs/a")
    trainer.fit()

One optimizer step is zero_grad, forward + loss + backward of each of accumulation_steps
micro-batches (the loss divided by their number), gradient clipping, optimizer.step() and
the scheduler's step(); evaluations, metrics.csv / metrics.jsonl rows, checkpoints, early
stopping and the progress bar are the C++ Trainer's (docs/training.md). The loop runs in C++
with the GIL released; Python code it calls (a Python Module's forward, a Python Dataset,
loss_fn, forward_fn, Callback hooks) takes the GIL for its own call, and an exception it
raises propagates out of fit() as it is. Ctrl-C raises KeyboardInterrupt after the current optimizer step.
"""
from . import _C
from ._base_init import initialises_cpp_base

__all__ = ["Trainer", "Callback"]

_t = _C.train


@initialises_cpp_base(_t.Callback)
class Callback(_t.Callback):
    """Base of training callbacks: override any of the hooks (each gets the Trainer first).

    Order: on_train_begin; per epoch: on_epoch_begin, per optimizer step on_step_end(trainer,
    step, loss) [and on_evaluate(trainer, metrics)], [on_evaluate], on_epoch_end(trainer, epoch,
    metrics); on_train_end (also after a stop request). A hook may read trainer.epoch,
    trainer.global_step, trainer.last_metrics or call trainer.request_stop(reason).
    on_step_end's loss is a float read back from the device for it: a subclass that does not
    define on_step_end leaves the training steps without a host synchronisation.

    As in torch.utils.data.Dataset, a subclass need not call super().__init__().
    """


class Trainer(_t.Trainer):
    """Trains `model` with `optimizer` on the batches of `train_loader` (a seek.data.DataLoader).

    Every keyword up to grad_scaler is a field of the C++ TrainerOptions, with its default:
    epochs / max_steps (> 0: that many optimizer steps instead), accumulation_steps,
    clip_grad_norm (with clip_norm_type) or clip_grad_value, scheduler_interval ("step" or
    "epoch"), eval_every_steps / eval_every_epochs, metrics (besides "loss": "accuracy",
    "top<k>_accuracy"), monitor ("val_loss", "train_accuracy", ...) and mode ("min"/"max") for
    early_stopping_patience / min_delta, the best/ checkpoint and the plateau; output_dir (None:
    no files) with log_csv, log_jsonl, checkpoint_every_epochs / _steps and save_best; device
    (batches are moved there); progress, progress_counts_items (rate in batch rows per second,
    progress_unit names them), log_every_steps; amp ("", "bf16", "fp16") and grad_scaler (a dict
    of GradScaler options: init_scale, growth_factor, backoff_factor, growth_interval, enabled).
    progress_unit and progress_print_every (a line every this many steps when stderr is not a
    terminal) are the ProgressOptions fields the C++ options hold as progress_options.

    val_loader: the loader of the evaluations; scheduler: a C++ lr scheduler of seek.optim.lr_scheduler;
    plateau: a ReduceLROnPlateau fed with the monitored metric; loss_fn(output, target) -> scalar
    (default cross_entropy); forward_fn(model, input) -> output (default model(input)); callbacks:
    seek.train.Callback instances. A bad option is a ValueError naming it.

    distributed (issue 16): data-parallel training over the default process group (seek.distributed): the model
    is wrapped in DistributedDataParallel (ddp_bucket_cap_mb, ddp_find_unused_parameters), the train loader must
    use a DistributedSampler, metrics are averaged over the ranks and only rank 0 prints and writes files.
    """

    def __init__(self, model, optimizer, train_loader, *, epochs=1, max_steps=0, accumulation_steps=1,
                 clip_grad_norm=0.0, clip_norm_type=2.0, clip_grad_value=0.0, scheduler_interval="step",
                 eval_every_steps=0, eval_every_epochs=1, metrics=("accuracy",), monitor="", mode="min",
                 early_stopping_patience=0, early_stopping_min_delta=0.0, output_dir=None, log_csv=True,
                 log_jsonl=True, checkpoint_every_epochs=0, checkpoint_every_steps=0, save_best=True, device=None,
                 progress=True, progress_counts_items=False, progress_unit="it", progress_print_every=50,
                 log_every_steps=0, amp="", grad_scaler=None, val_loader=None, scheduler=None, plateau=None,
                 loss_fn=None, forward_fn=None, callbacks=(), distributed=False, ddp_bucket_cap_mb=25.0,
                 ddp_find_unused_parameters=False):
        super().__init__(
            model, optimizer, train_loader, epochs=epochs, max_steps=max_steps,
            accumulation_steps=accumulation_steps, clip_grad_norm=clip_grad_norm, clip_norm_type=clip_norm_type,
            clip_grad_value=clip_grad_value, scheduler_interval=scheduler_interval,
            eval_every_steps=eval_every_steps, eval_every_epochs=eval_every_epochs, metrics=metrics,
            monitor=monitor, mode=mode, early_stopping_patience=early_stopping_patience,
            early_stopping_min_delta=early_stopping_min_delta, output_dir=output_dir, log_csv=log_csv,
            log_jsonl=log_jsonl, checkpoint_every_epochs=checkpoint_every_epochs,
            checkpoint_every_steps=checkpoint_every_steps, save_best=save_best, device=device, progress=progress,
            progress_counts_items=progress_counts_items, progress_unit=progress_unit,
            progress_print_every=progress_print_every, log_every_steps=log_every_steps, amp=amp,
            grad_scaler=grad_scaler, distributed=distributed, ddp_bucket_cap_mb=ddp_bucket_cap_mb,
            ddp_find_unused_parameters=ddp_find_unused_parameters)
        # The objects as given (the seek.optim wrappers, not just their C++ part).
        self.model = model
        self.optimizer = optimizer
        self.train_loader = train_loader
        self.val_loader = None
        self.scheduler = None
        self.plateau = None
        self.callbacks = []
        self.set_val_loader(val_loader)
        self.set_scheduler(scheduler)
        self.set_plateau(plateau)
        self.set_loss_fn(loss_fn)
        self.set_forward_fn(forward_fn)
        for cb in callbacks:
            self.add_callback(cb)

    def set_val_loader(self, loader):
        """The loader of evaluate() and of the periodic evaluations (None: no evaluation)."""
        super().set_val_loader(loader)
        self.val_loader = loader

    def set_scheduler(self, scheduler):
        """A C++ lr scheduler (StepLR, WarmupCosineLR, ...), stepped per step or per epoch."""
        super().set_scheduler(scheduler)
        self.scheduler = scheduler

    def set_plateau(self, plateau):
        """A ReduceLROnPlateau, stepped with the monitored metric (needs monitor=...)."""
        super().set_plateau(plateau)
        self.plateau = plateau

    def add_callback(self, callback):
        """Adds a seek.train.Callback; hooks run in the order the callbacks were added."""
        super().add_callback(callback)
        self.callbacks.append(callback)

    def __repr__(self):
        return (f"Trainer(model={type(self.model).__name__}, optimizer={type(self.optimizer).__name__}, "
                f"epoch={self.epoch}, global_step={self.global_step})")
