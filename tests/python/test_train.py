"""seek.train.Trainer from Python: the C++ training loop with Python models, datasets, losses and
callbacks (GIL taken back only inside them), files, checkpoints and resume, early stopping, and
errors (bad options, exceptions raised in Python code the loop calls)."""
import faulthandler
import gc
import json
import math

import numpy as np
import pytest

import seek
import seek.nn as nn
import seek.nn.functional as F
from seek import data, optim
from seek.train import Callback, Trainer


def blobs(n=64, seed=0, classes=2):
    """n points in 4-D around one centre per class, int64 labels."""
    rng = np.random.default_rng(seed)
    y = rng.integers(0, classes, n)
    centres = rng.standard_normal((classes, 4)) * 2.0
    x = centres[y] + rng.standard_normal((n, 4)) * 0.5
    return seek.from_numpy(x.astype(np.float32)), seek.from_numpy(y.astype(np.int64))


def mlp(classes=2, dropout=0.0):
    layers = [nn.Linear(4, 16), nn.ReLU()]
    if dropout:
        layers.append(nn.Dropout(dropout))
    return nn.Sequential(*layers, nn.Linear(16, classes))


def loader_of(x, y, batch_size=16, shuffle=True, **kw):
    return data.DataLoader(data.TensorDataset(x, y), batch_size=batch_size, shuffle=shuffle, seed=3, **kw)


class Recorder(Callback):
    """Records every hook call (no super().__init__(): seek.train.Callback calls it itself)."""

    def __init__(self, stop_at=0):
        self.events = []
        self.trainers = set()
        self.stop_at = stop_at

    def on_train_begin(self, trainer):
        self.trainers.add(id(trainer))
        self.events.append(("train_begin",))

    def on_epoch_begin(self, trainer, epoch):
        self.events.append(("epoch_begin", epoch))

    def on_step_end(self, trainer, step, loss):
        assert trainer.global_step == step
        self.events.append(("step", step))
        if step == self.stop_at:
            trainer.request_stop("enough at step %d" % step)

    def on_evaluate(self, trainer, metrics):
        self.events.append(("evaluate", tuple(sorted(metrics))))

    def on_epoch_end(self, trainer, epoch, metrics):
        self.events.append(("epoch_end", epoch, metrics["train_loss"] > 0))

    def on_train_end(self, trainer):
        self.trainers.add(id(trainer))
        self.events.append(("train_end",))


def test_short_fit_lowers_the_loss():
    seek.manual_seed(0)
    x, y = blobs(96)
    model = mlp()
    opt = optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    trainer = Trainer(model, opt, loader_of(x, y), epochs=4, val_loader=loader_of(x, y, 96, False), progress=False)
    before = trainer.evaluate()["val_loss"]
    trainer.fit()
    after = trainer.evaluate()["val_loss"]
    assert trainer.epoch == 4 and trainer.global_step == 4 * 6
    assert len(trainer.step_losses) == 24
    assert after < 0.5 * before
    assert trainer.last_metrics["val_accuracy"] > 0.9
    assert model.training  # evaluate() restores the training mode


def test_evaluate_metrics_match_a_direct_computation():
    seek.manual_seed(1)
    x, y = blobs(50, seed=4, classes=3)
    model = mlp(classes=3)
    opt = optim.SGD(model.parameters(), lr=0.05)
    val = loader_of(x, y, 16, False)  # batches 16, 16, 16, 2: the loss is a mean over examples
    trainer = Trainer(model, opt, loader_of(x, y), metrics=("accuracy", "top2_accuracy"), val_loader=val,
                      progress=False)
    assert trainer.metric_names() == ["train_loss", "train_accuracy", "train_top2_accuracy", "val_loss",
                                      "val_accuracy", "val_top2_accuracy"]
    values = trainer.evaluate()
    assert set(values) == {"val_loss", "val_accuracy", "val_top2_accuracy"}
    with seek.no_grad():
        logits = model.eval()(x)
        model.train()
    expected_loss = F.cross_entropy(logits, y).item()
    expected_acc = logits.argmax(1).eq(y).sum().item() / 50  # exact counts
    top2 = logits.topk(2, 1)[1]
    expected_top2 = top2.eq(y.unsqueeze(1)).any(1).sum().item() / 50
    assert values["val_loss"] == pytest.approx(expected_loss, rel=1e-5)
    assert values["val_accuracy"] == pytest.approx(expected_acc, abs=1e-12)
    assert values["val_top2_accuracy"] == pytest.approx(expected_top2, abs=1e-12)
    # An explicit loader; and the keys of an epoch row.
    assert trainer.evaluate(loader_of(x[:10], y[:10], 10, False))["val_loss"] != values["val_loss"]
    trainer.fit()
    assert set(trainer.last_metrics) == {"epoch", "step", "lr", "train_loss", "train_accuracy", "train_top2_accuracy",
                                         "val_loss", "val_accuracy", "val_top2_accuracy"}
    assert trainer.last_metrics["step"] == trainer.global_step == 4
    assert trainer.last_metrics["lr"] == pytest.approx(0.05)


def test_evaluate_without_a_loader_is_a_value_error():
    x, y = blobs(8)
    model = mlp()
    trainer = Trainer(model, optim.SGD(model.parameters(), lr=0.1), loader_of(x, y), progress=False)
    with pytest.raises(ValueError, match="no loader given and no validation loader"):
        trainer.evaluate()


def test_output_dir_writes_metrics_and_checkpoints(tmp_path):
    seek.manual_seed(2)
    x, y = blobs(32)
    model = mlp()
    opt = optim.Adam(model.parameters(), lr=0.01)
    trainer = Trainer(model, opt, loader_of(x, y), epochs=2, val_loader=loader_of(x, y, 32, False),
                      monitor="val_loss", output_dir=tmp_path, checkpoint_every_epochs=1, progress=False)
    trainer.fit()
    lines = (tmp_path / "metrics.csv").read_text().splitlines()
    assert lines[0].split(",") == ["epoch", "step", "lr", "train_loss", "train_accuracy", "val_loss", "val_accuracy"]
    assert len(lines) == 1 + 2  # a row per epoch
    assert lines[2].split(",")[:2] == ["2", "4"]
    rows = [json.loads(line) for line in (tmp_path / "metrics.jsonl").read_text().splitlines()]
    assert [r["epoch"] for r in rows] == [1, 2]
    assert rows[1]["val_loss"] == pytest.approx(trainer.last_metrics["val_loss"])
    for d in ("checkpoint", "best"):
        assert (tmp_path / d / "trainer.json").is_file()
        assert (tmp_path / d / "model.safetensors").is_file()
        assert (tmp_path / d / "optimizer.safetensors").is_file()
    assert trainer.options["output_dir"] == str(tmp_path)

    quiet = tmp_path / "quiet"
    Trainer(model, opt, loader_of(x, y), output_dir=str(quiet), log_csv=False, progress=False).fit()
    assert (quiet / "metrics.jsonl").is_file() and not (quiet / "metrics.csv").exists()


class StopAt(Callback):
    def __init__(self, step):
        self.step = step

    def on_step_end(self, trainer, step, loss):
        if step == self.step:
            trainer.request_stop("test interruption")


def make_session(init_seed, out=None, **options):
    """A fresh run: dropout (default generator), shuffling, AdamW, a per-step schedule, accumulation
    with a short last group (5 batches / 2), a plateau and early stopping on val_loss."""
    seek.manual_seed(init_seed)
    x, y = blobs(20, seed=5, classes=3)
    vx, vy = blobs(8, seed=6, classes=3)
    model = mlp(classes=3, dropout=0.3)
    opt = optim.AdamW(model.parameters(), lr=0.02)
    sched = optim.lr_scheduler.WarmupCosineLR(opt, warmup_steps=2, total_steps=9, min_lr=1e-3)
    plateau = optim.lr_scheduler.ReduceLROnPlateau(opt, patience=0)
    train = data.DataLoader(data.TensorDataset(x, y), batch_size=4, shuffle=True, seed=9)
    val = data.DataLoader(data.TensorDataset(vx, vy), batch_size=8)
    return Trainer(model, opt, train, epochs=3, accumulation_steps=2, monitor="val_loss", early_stopping_patience=50,
                   output_dir=out, save_best=False, progress=False, val_loader=val, scheduler=sched, plateau=plateau,
                   **options)


@pytest.mark.parametrize("stop", [2, 3, 7])
def test_resume_gives_the_losses_of_the_uninterrupted_run(tmp_path, stop):
    reference = make_session(1, tmp_path / "reference")
    reference.fit()
    expected = reference.step_losses
    assert len(expected) == 9

    first = make_session(1, tmp_path / "run", checkpoint_every_steps=stop, callbacks=[StopAt(stop)])
    first.fit()
    assert first.global_step == stop and first.stop_reason == "test interruption"
    second = make_session(12345, tmp_path / "run")  # other weights and generator state: all come from the checkpoint
    second.resume(tmp_path / "run" / "checkpoint")
    assert second.global_step == stop and second.epoch == stop // 3
    second.fit()
    assert first.step_losses + second.step_losses == expected  # bit for bit
    assert (tmp_path / "run" / "metrics.csv").read_text() == (tmp_path / "reference" / "metrics.csv").read_text()
    for a, b in zip(second.model.parameters(), reference.model.parameters()):
        assert seek.equal(a, b)


def test_explicit_save_and_resume(tmp_path):
    reference = make_session(1)
    reference.fit()
    first = make_session(1, callbacks=[StopAt(4)])
    first.fit()
    first.save(str(tmp_path / "ckpt"))
    second = make_session(7)
    second.resume(tmp_path / "ckpt")
    second.fit()
    assert first.step_losses + second.step_losses == reference.step_losses
    with pytest.raises(RuntimeError, match="trainer.json"):
        second.resume(tmp_path / "missing")


def test_early_stopping_through_the_monitor():
    x, y = blobs(32)
    model = mlp()
    opt = optim.SGD(model.parameters(), lr=0.0)  # nothing changes: the monitor never improves after epoch 1
    trainer = Trainer(model, opt, loader_of(x, y), epochs=10, val_loader=loader_of(x, y, 32, False),
                      monitor="val_loss", early_stopping_patience=2, progress=False)
    trainer.fit()
    assert trainer.epoch == 3
    assert trainer.stop_requested
    assert trainer.stop_reason.startswith("early stopping: val_loss did not improve for 2 evaluations")
    assert trainer.early_stopping["bad_count"] == 2 and trainer.early_stopping["patience"] == 2
    assert trainer.early_stopping["best"] == pytest.approx(trainer.last_metrics["val_loss"])

    rising = optim.SGD(model.parameters(), lr=0.5)
    max_mode = Trainer(model, rising, loader_of(x, y), epochs=4, monitor="train_accuracy", mode="max",
                       early_stopping_patience=1, early_stopping_min_delta=2.0, progress=False)
    max_mode.fit()  # an accuracy never improves by 2.0
    assert max_mode.epoch == 2 and max_mode.stop_requested


def test_callback_sees_the_hooks_in_order_and_can_stop():
    x, y = blobs(32)
    model = mlp()
    rec = Recorder()
    trainer = Trainer(model, optim.SGD(model.parameters(), lr=0.1), loader_of(x, y), epochs=2,
                      val_loader=loader_of(x, y, 32, False), eval_every_steps=2, callbacks=[rec], progress=False)
    trainer.fit()
    evaluate = ("evaluate", ("val_accuracy", "val_loss"))
    assert rec.events == [("train_begin",),
                          ("epoch_begin", 0), ("step", 1), ("step", 2), evaluate, ("epoch_end", 0, True),
                          ("epoch_begin", 1), ("step", 3), ("step", 4), evaluate, ("epoch_end", 1, True),
                          ("train_end",)]
    assert rec.trainers == {id(trainer)}  # hooks get the Trainer object itself

    stopper = Recorder(stop_at=3)
    trainer = Trainer(model, optim.SGD(model.parameters(), lr=0.1), loader_of(x, y), epochs=2, callbacks=[rec],
                      progress=False)
    trainer.add_callback(stopper)
    trainer.fit()
    assert trainer.global_step == 3 and trainer.stop_requested and trainer.stop_reason == "enough at step 3"
    assert stopper.events[-3:] == [("epoch_begin", 1), ("step", 3), ("train_end",)]
    assert trainer.callbacks == [rec, stopper]


def test_python_loss_fn_and_forward_fn():
    seek.manual_seed(3)
    x, y = blobs(32)
    model = mlp()
    seen = {"losses": [], "models": set()}

    def loss_fn(output, target):
        loss = F.mse_loss(output.softmax(1), F.one_hot(target, 2).float())
        if seek.is_grad_enabled():
            seen["losses"].append(loss.item())
        return loss

    def forward_fn(m, inputs):
        seen["models"].add(id(m))
        return m(inputs) * 2.0

    trainer = Trainer(model, optim.SGD(model.parameters(), lr=0.5), loader_of(x, y), epochs=3, loss_fn=loss_fn,
                      forward_fn=forward_fn, val_loader=loader_of(x, y, 32, False), progress=False)
    trainer.fit()
    assert trainer.step_losses == seen["losses"]  # accumulation_steps 1: a step's loss is its batch's
    assert seen["models"] == {id(model)}
    with seek.no_grad():
        expected = loss_fn(model.eval()(x) * 2.0, y).item()
    assert trainer.evaluate()["val_loss"] == pytest.approx(expected, rel=1e-5)
    assert trainer.step_losses[-1] < trainer.step_losses[0]


class PyNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(4, 8)
        self.fc2 = nn.Linear(8, 2)
        self.calls = 0

    def forward(self, x):
        self.calls += 1
        return self.fc2(F.relu(self.fc1(x)))


class PyBlobs(data.Dataset):
    def __init__(self, x, y):
        self.x, self.y = x, y

    def __len__(self):
        return self.x.shape[0]

    def __getitem__(self, i):
        return self.x[i], self.y[i]


def test_python_module_dataset_workers_loss_and_callback_together():
    """Everything that takes the GIL back at once: the loader's two worker threads, the model's
    forward, the loss and the callback (a deadlock would hang; faulthandler ends it with a trace)."""
    faulthandler.dump_traceback_later(120, exit=True)
    try:
        seek.manual_seed(4)
        x, y = blobs(64)
        model = PyNet()
        loader = data.DataLoader(PyBlobs(x, y), batch_size=8, shuffle=True, num_workers=2, seed=1)
        val = data.DataLoader(PyBlobs(x, y), batch_size=16, num_workers=2)
        rec = Recorder()
        calls = []
        trainer = Trainer(model, optim.SGD(model.parameters(), lr=0.1), loader, epochs=3, val_loader=val,
                          loss_fn=lambda out, t: calls.append(1) or F.cross_entropy(out, t), callbacks=[rec],
                          progress=False)
        trainer.fit()
    finally:
        faulthandler.cancel_dump_traceback_later()
    assert trainer.global_step == 24 and len(calls) == 24 + 3 * 4  # training batches + evaluations
    assert model.calls == 24 + 3 * 4
    assert sum(1 for e in rec.events if e[0] == "step") == 24
    assert trainer.step_losses[-1] < trainer.step_losses[0]


FRESH_PROCESS_RUN = """
import seek
from seek import data, nn, optim
from seek.train import Callback, Trainer


class Numbers(data.Dataset):  # seek.tensor() converts Python values first in the worker threads
    def __len__(self):
        return 64

    def __getitem__(self, i):
        return seek.tensor([float(i % 7), 1.0]), seek.tensor(i % 2)


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(2, 2)

    def forward(self, x):
        return self.fc(x)


class Steps(Callback):
    def __init__(self):
        self.steps = 0

    def on_step_end(self, trainer, step, loss):
        self.steps += 1


model, steps = Net(), Steps()
loader = data.DataLoader(Numbers(), batch_size=4, num_workers=2, prefetch_factor=4)
trainer = Trainer(model, optim.SGD(model.parameters(), lr=0.01), loader, epochs=2, callbacks=[steps],
                  loss_fn=lambda out, y: nn.functional.cross_entropy(out, y), progress=False)
trainer.fit()
print(trainer.global_step, steps.steps)
"""


def test_fresh_process_with_python_dataset_in_workers_does_not_deadlock():
    """The first Python-to-tensor conversions of the process happen in two DataLoader threads at
    once while fit() runs (they once deadlocked on pybind11's lazily built numpy table)."""
    import os
    import subprocess
    import sys

    env = dict(os.environ, SEEK_LOG_LEVEL="warn")
    done = subprocess.run([sys.executable, "-c", FRESH_PROCESS_RUN], capture_output=True, text=True, timeout=120,
                          env=env)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["32", "32"]


def test_objects_given_to_the_trainer_stay_alive_while_it_does():
    import weakref

    x, y = blobs(16)
    model = PyNet()
    opt = optim.SGD(model.parameters(), lr=0.1)
    objects = [model, opt, loader_of(x, y), loader_of(x, y, 16, False), optim.lr_scheduler.StepLR(opt, 1),
               optim.lr_scheduler.ReduceLROnPlateau(opt), Recorder()]
    del model, opt
    refs = [weakref.ref(o) for o in objects]
    for make in (Trainer, seek._C.train.Trainer):  # the wrapper, and the C++ class on its own
        trainer = make(objects[0], objects[1], objects[2], monitor="val_loss", progress=False)
        trainer.set_val_loader(objects[3])
        trainer.set_scheduler(objects[4])
        trainer.set_plateau(objects[5])
        trainer.set_loss_fn(lambda o, t: F.cross_entropy(o, t))
        trainer.add_callback(objects[6])
        del objects[:]
        gc.collect()
        assert all(r() is not None for r in refs)
        calls = refs[0]().calls
        trainer.fit()
        assert refs[0]().calls == calls + 2 and refs[6]().events[-1] == ("train_end",)  # a step, an evaluation
        objects = [r() for r in refs]
        del trainer
        gc.collect()
    del objects[:]
    gc.collect()
    assert all(r() is None for r in refs)  # and no more than the trainer


@pytest.mark.parametrize("options, words", [
    ({"epochs": 0}, "epochs must be >= 1, got 0"),
    ({"accumulation_steps": 0}, "accumulation_steps must be >= 1"),
    ({"clip_grad_norm": 1.0, "clip_grad_value": 1.0}, "clip_grad_norm or clip_grad_value, not both"),
    ({"scheduler_interval": "batch"}, "scheduler_interval must be \"step\" or \"epoch\", got \"batch\""),
    ({"mode": "up"}, "mode must be \"min\" or \"max\""),
    ({"monitor": "val_f1"}, "unknown monitor 'val_f1'"),
    ({"metrics": ("f1",)}, "options.metrics"),
    ({"early_stopping_patience": 2}, "early_stopping_patience = 2 needs options.monitor"),
    ({"checkpoint_every_epochs": 1}, "checkpoint_every_epochs / _steps need options.output_dir"),
    ({"grad_scaler": {"init_scal": 1.0}}, "grad_scaler' has no entry 'init_scal'"),
    ({"amp": "fp8"}, "amp must be \"\" (off), \"bf16\" or \"fp16\", got \"fp8\""),
    ({"amp": "fp16", "grad_scaler": {"growth_factor": 0.5}}, "growth_factor must be a finite number > 1, got 0.5"),
])
def test_bad_option_is_a_value_error_naming_it(options, words):
    x, y = blobs(8)
    model = mlp()
    with pytest.raises(ValueError) as info:
        Trainer(model, optim.SGD(model.parameters(), lr=0.1), loader_of(x, y), **options)
    assert words in str(info.value)


def test_wrong_types_are_type_errors():
    x, y = blobs(8)
    model = mlp()
    opt = optim.SGD(model.parameters(), lr=0.1)
    loader = loader_of(x, y)
    with pytest.raises(TypeError, match="option 'epochs' must be an int, got str"):
        Trainer(model, opt, loader, epochs="3")
    with pytest.raises(TypeError, match="option 'progress' must be a bool, got int"):
        Trainer(model, opt, loader, progress=1)
    with pytest.raises(TypeError, match="option 'clip_grad_norm' must be a number, got bool"):
        Trainer(model, opt, loader, clip_grad_norm=True)
    with pytest.raises(TypeError, match="unexpected keyword argument 'epoch'"):
        seek._C.train.Trainer(model, opt, loader, epoch=3)
    with pytest.raises(TypeError, match="model must be a seek.nn.Module"):
        Trainer(lambda t: t, opt, loader)
    with pytest.raises(TypeError, match="pass it as plateau="):
        Trainer(model, opt, loader, scheduler=optim.lr_scheduler.ReduceLROnPlateau(opt))
    with pytest.raises(TypeError, match="LambdaLR"):
        Trainer(model, opt, loader, scheduler=optim.lr_scheduler.LambdaLR(opt, lambda e: 1.0))
    with pytest.raises(TypeError, match="a callback must be a seek.train.Callback"):
        Trainer(model, opt, loader, callbacks=[lambda: None])
    trainer = Trainer(model, opt, loader, loss_fn=lambda o, t: 1.0, progress=False)
    with pytest.raises(TypeError, match="loss_fn must return a seek.Tensor, got float"):
        trainer.fit()
    trainer = Trainer(model, opt, loader, loss_fn=lambda o, t: F.cross_entropy(o, t, reduction="none"),
                      progress=False)
    with pytest.raises(ValueError, match="the loss function must return a single value"):
        trainer.fit()


def test_options_round_trip():
    x, y = blobs(8)
    model = mlp()
    trainer = Trainer(model, optim.SGD(model.parameters(), lr=0.1), loader_of(x, y), max_steps=5,
                      clip_grad_norm=1.0, clip_norm_type="inf", metrics="top1_accuracy", device="cpu", amp="bf16",
                      grad_scaler={"init_scale": 1024.0, "growth_interval": 10}, progress_counts_items=True,
                      progress_unit="img", early_stopping_min_delta=np.float32(0.25), eval_every_steps=np.int64(3))
    o = trainer.options
    assert o["early_stopping_min_delta"] == 0.25 and o["eval_every_steps"] == 3
    assert o["max_steps"] == 5 and o["clip_norm_type"] == math.inf and o["metrics"] == ("top1_accuracy",)
    assert o["device"] == seek.device("cpu") and o["amp"] == "bf16" and o["progress_unit"] == "img"
    assert o["grad_scaler"] == {"init_scale": 1024.0, "growth_factor": 2.0, "backoff_factor": 0.5,
                                "growth_interval": 10, "enabled": True}
    assert o["output_dir"] is None and o["progress"] is True


@pytest.mark.parametrize("amp, dtype", [("bf16", seek.bfloat16), ("fp16", seek.float16)])
def test_mixed_precision_fit(amp, dtype):
    seek.manual_seed(5)
    x, y = blobs(64)
    model = PyNet()
    dtypes = set()

    def forward_fn(m, inputs):  # runs in fit()'s thread, under its autocast scope
        out = m(inputs)
        dtypes.add(out.dtype)
        return out

    trainer = Trainer(model, optim.SGD(model.parameters(), lr=0.1), loader_of(x, y), epochs=2, amp=amp,
                      grad_scaler={"init_scale": 1024.0, "growth_interval": 2}, forward_fn=forward_fn,
                      progress=False)
    trainer.fit()
    assert dtypes == {dtype}
    assert model.fc1.weight.dtype == seek.float32  # autocast casts copies, the parameters stay float32
    assert all(math.isfinite(v) and v < 5 for v in trainer.step_losses)  # unscaled losses
    assert trainer.step_losses[-1] < trainer.step_losses[0]
    if amp == "fp16":  # 8 clean steps, the scale doubles every 2
        assert trainer.grad_scaler.get_scale() == 1024.0 * 2 ** 4
    else:
        assert trainer.grad_scaler is None


def test_ctrl_c_interrupts_fit():
    """A SIGINT arriving while the C++ loop runs (C++ model and dataset: no Python code in the loop)
    raises KeyboardInterrupt out of fit() after the current step."""
    import _thread
    import threading

    timer = threading.Timer(0.05, _thread.interrupt_main)

    class StartTimer(Callback):  # the last Python code before the C++ steps
        def on_train_begin(self, trainer):
            timer.start()

    x, y = blobs(16)
    model = mlp()
    trainer = Trainer(model, optim.SGD(model.parameters(), lr=0.01), loader_of(x, y, 4), max_steps=10**6,
                      callbacks=[StartTimer()], progress=False)
    try:
        with pytest.raises(KeyboardInterrupt):
            trainer.fit()
    finally:
        timer.cancel()
    assert 0 < trainer.global_step < 10**6


class Boom(Exception):
    pass


def test_exception_in_a_callback_propagates():
    class Exploding(Callback):
        def on_step_end(self, trainer, step, loss):
            if step == 2:
                raise Boom("callback failed at step %d" % step)

    x, y = blobs(32)
    model = mlp()
    trainer = Trainer(model, optim.SGD(model.parameters(), lr=0.1), loader_of(x, y), epochs=2,
                      callbacks=[Exploding()], progress=False)
    with pytest.raises(Boom, match="callback failed at step 2"):
        trainer.fit()
    assert trainer.global_step == 2

    def bad_loss(out, target):
        raise ZeroDivisionError("no loss today")

    trainer = Trainer(model, optim.SGD(model.parameters(), lr=0.1), loader_of(x, y), loss_fn=bad_loss,
                      progress=False)
    with pytest.raises(ZeroDivisionError, match="no loss today"):
        trainer.fit()

    class Failing(PyBlobs):
        def __getitem__(self, i):
            raise KeyError("no example %d" % i)

    trainer = Trainer(model, optim.SGD(model.parameters(), lr=0.1),
                      data.DataLoader(Failing(x, y), batch_size=8, num_workers=2), progress=False)
    with pytest.raises(KeyError, match="no example"):
        trainer.fit()


def test_steps_read_the_loss_back_only_for_a_callback_that_takes_it():
    reads = seek._C.train._host_reads

    class EpochReads(Callback):
        def on_epoch_begin(self, trainer, epoch):
            self.begin = reads()

        def on_epoch_end(self, trainer, epoch, metrics):
            self.during = reads() - self.begin

    class StepReads(EpochReads):
        def on_step_end(self, trainer, step, loss):
            assert isinstance(loss, float)
            self.losses.append(loss)

    x, y = blobs(96)
    for cls in (EpochReads, StepReads):
        seek.manual_seed(0)
        cb = cls()
        cb.losses = []
        model = mlp()
        trainer = Trainer(model, optim.SGD(model.parameters(), lr=0.1), loader_of(x, y), callbacks=[cb],
                          progress=False)
        trainer.fit()
        # 6 steps; the epoch's end reads the loss and accuracy sums and the step losses (3 reads).
        assert cb.during == 3 + len(cb.losses)
        assert cb.losses == ([] if cls is EpochReads else trainer.step_losses)
