#!/usr/bin/env python3
"""Trains a ResNet on Fashion-MNIST from Python and reports test accuracy.

The same run as the C++ trainer examples/resnet/main.cpp, with the same defaults and
flags: seed, augmentation (RandomCrop(28, padding=2) + RandomHorizontalFlip + Normalize,
seeded per example and epoch), shuffle order (DataLoader seed), SGD with Nesterov
momentum 0.9 and weight decay 5e-4 (or AdamW), per-step schedule (warmup + cosine by
default), gradient accumulation and clipping as seek::train::Trainer does them, and
label smoothing, so it reaches the same accuracy for the same settings. (The C++
trainer's --checkpoint-every / --resume are not offered here.)

    PYTHONPATH=<build>/python python3 examples/python/train_resnet.py --epochs 1 --limit-train 2000

Exit codes: 0 done, 2 bad arguments or unreadable data, 1 other errors.
"""
import argparse
import os
import sys
import time

KMEAN, KSTD = 0.2860, 0.3530  # Fashion-MNIST statistics of the training images (pixels in [0, 1])


def parse_args(argv):
    p = argparse.ArgumentParser(description="Train a ResNet on Fashion-MNIST with seek from Python.")
    p.add_argument("--data", default="/usr/share/datasets/fashion-mnist", help="directory of the IDX files")
    p.add_argument("--model", default="resnet20", choices=["resnet20", "resnet18"])
    p.add_argument("--epochs", type=int, default=3)
    p.add_argument("--batch-size", type=int, default=128)
    p.add_argument("--lr", type=float, default=0.1)
    p.add_argument("--optimizer", default="sgd", choices=["sgd", "adamw"])
    p.add_argument("--weight-decay", type=float, default=5e-4)
    p.add_argument("--warmup", type=int, default=20, help="warmup steps")
    p.add_argument("--schedule", default="cosine", choices=["cosine", "step", "onecycle", "constant"])
    p.add_argument("--accumulation", type=int, default=1, help="micro-batches per optimizer step")
    p.add_argument("--clip-grad", type=float, default=0.0, help="> 0: clip the gradients' total norm to this")
    p.add_argument("--device", default="cpu", choices=["cpu", "cuda"])
    p.add_argument("--amp", default="", choices=["", "bf16", "fp16"],
                   help="mixed precision: autocast in bfloat16 or float16 (fp16 adds loss scaling); default off")
    p.add_argument("--channels-last", action="store_true",
                   help="NHWC memory format for the weights and activations (model.to(memory_format=channels_last))")
    p.add_argument("--label-smoothing", type=float, default=0.05)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--out", default="", help="directory for metrics.csv")
    p.add_argument("--limit-train", type=int, default=0, help="use the first N training images (0: all)")
    p.add_argument("--limit-test", type=int, default=0, help="use the first N test images (0: all)")
    p.add_argument("--threads", type=int, default=0, help="OpenMP threads (0: OpenMP's default)")
    p.add_argument("--workers", type=int, default=1, help="data-loading threads")
    a = p.parse_args(argv)
    for name in ("epochs", "batch_size", "accumulation"):
        if getattr(a, name) < 1:
            p.error(f"--{name.replace('_', '-')} must be >= 1")
    for name in ("lr", "weight_decay", "clip_grad", "warmup", "limit_train", "limit_test", "threads", "workers", "seed"):
        if getattr(a, name) < 0:
            p.error(f"--{name.replace('_', '-')} must be >= 0")
    if not 0.0 <= a.label_smoothing <= 1.0:
        p.error("--label-smoothing must be in [0, 1]")
    return a


class ProgressBar:
    """A one-line progress bar on stderr: bar, step, loss, lr, images/s and ETA."""

    def __init__(self, total, width=30):
        self.total, self.width, self.start = total, width, time.monotonic()
        self.tty = sys.stderr.isatty()

    def update(self, step, epoch, loss, lr, ips):
        elapsed = time.monotonic() - self.start
        eta = elapsed / step * (self.total - step)
        filled = int(self.width * step / self.total)
        line = (f"epoch {epoch} [{'#' * filled}{'.' * (self.width - filled)}] {step}/{self.total} "
                f"loss {loss:.4f} lr {lr:.5f} {ips:.1f} img/s eta {eta:.0f}s")
        if self.tty:
            sys.stderr.write("\r" + line)
            if step == self.total:
                sys.stderr.write("\n")
        elif step % 50 == 0 or step == self.total:
            sys.stderr.write(line + "\n")
        sys.stderr.flush()

    def close(self):
        if self.tty:
            sys.stderr.write("\n")


def make_schedule(optim, a, opt, total_steps):
    """The C++ trainer's schedules, stepped once per optimizer step."""
    sched = optim.lr_scheduler
    if a.schedule == "cosine":  # warmup < total
        return sched.WarmupCosineLR(opt, warmup_steps=min(a.warmup, total_steps - 1), total_steps=total_steps)
    if a.schedule == "step":  # lr / 10 after each third of the run
        return sched.StepLR(opt, step_size=max(1, total_steps // 3), gamma=0.1)
    if a.schedule == "onecycle":  # OneCycleLR counts its constructor's step: total_steps + 1 in all
        return sched.OneCycleLR(opt, max_lr=a.lr, total_steps=total_steps + 1)
    return None  # constant


def evaluate(seek, model, loader, device, autocast):
    model.eval()
    correct = total = 0
    with seek.no_grad(), autocast():
        for x, y in loader:
            y = y.to(device)
            correct += model(x.to(device)).argmax(1).eq(y).sum().item()
            total += y.shape[0]
    model.train()
    return 100.0 * correct / total if total else 0.0


def run(a):
    if a.threads > 0:
        os.environ["OMP_NUM_THREADS"] = str(a.threads)  # read when seek's OpenMP runtime starts
    import seek
    import seek.nn.functional as F
    from seek import data, optim
    from seek.data import transforms as T

    seek.manual_seed(a.seed)
    if a.device == "cuda" and not seek.cuda.is_available():
        print("train_resnet: --device cuda: CUDA is not available (seek was built without CUDA, or no GPU is "
              "visible); use --device cpu", file=sys.stderr)
        return 2
    if not os.path.isdir(a.data):
        print(f"train_resnet: data directory '{a.data}' does not exist (expected the Fashion-MNIST IDX files "
              "train-images-idx3-ubyte[.gz] etc.; pass --data DIR)", file=sys.stderr)
        return 2
    try:
        train_raw = data.FashionMNIST(a.data, train=True)
        test_raw = data.FashionMNIST(a.data, train=False)
    except RuntimeError as e:
        print(f"train_resnet: cannot read Fashion-MNIST from '{a.data}': {e}", file=sys.stderr)
        return 2

    train_base = train_raw
    if 0 < a.limit_train < len(train_raw):
        train_base = data.Subset(train_raw, list(range(a.limit_train)))
    test_base = test_raw
    if 0 < a.limit_test < len(test_raw):
        test_base = data.Subset(test_raw, list(range(a.limit_test)))
    normalize = T.Normalize([KMEAN], [KSTD])
    augment = T.Compose([T.RandomCrop(28, padding=2), T.RandomHorizontalFlip(), normalize])
    # Seeded augmentation, as the C++ trainer: example i of epoch e depends on (seed + 1, e, i) only.
    train_set = data.MapDataset(train_base, augment, seed=a.seed + 1)
    test_set = data.MapDataset(test_base, normalize)
    train_loader = data.DataLoader(train_set, batch_size=a.batch_size, shuffle=True, seed=a.seed,
                                   num_workers=a.workers)
    test_loader = data.DataLoader(test_set, batch_size=500, num_workers=a.workers)

    if a.model == "resnet20":
        model = seek.models.resnet20(num_classes=10, in_channels=1)
    else:
        model = seek.models.resnet18(num_classes=10, in_channels=1, small_input=True)
    model.to(a.device)
    if a.channels_last:
        model.to(memory_format=seek.channels_last)
    model.train()
    if a.optimizer == "sgd":
        opt = optim.SGD(model.parameters(), lr=a.lr, momentum=0.9, nesterov=True, weight_decay=a.weight_decay)
    else:
        opt = optim.AdamW(model.parameters(), lr=a.lr, weight_decay=a.weight_decay)
    batches_per_epoch = len(train_loader)
    steps_per_epoch = (batches_per_epoch + a.accumulation - 1) // a.accumulation
    total_steps = steps_per_epoch * a.epochs
    sched = make_schedule(optim, a, opt, total_steps)
    print(f"train_resnet: {a.model} ({model.num_parameters()} parameters), {len(train_set)} training / "
          f"{len(test_set)} test images, {a.epochs} epochs x {steps_per_epoch} steps, batch {a.batch_size} x "
          f"{a.accumulation}, {a.optimizer} lr {a.lr} ({a.schedule}) on {a.device}"
          + (f", amp {a.amp}" if a.amp else ""), file=sys.stderr)

    # Mixed precision as the C++ Trainer does it: forward and loss under autocast; fp16 scales the loss.
    amp_dtype = {"bf16": seek.bfloat16, "fp16": seek.float16}.get(a.amp)

    def autocast():
        return seek.autocast(a.device, dtype=amp_dtype, enabled=amp_dtype is not None)

    scaler = seek.amp.GradScaler(a.device, enabled=a.amp == "fp16")

    csv = None
    if a.out:
        os.makedirs(a.out, exist_ok=True)
        csv = open(os.path.join(a.out, "metrics.csv"), "w")
        csv.write("epoch,train_loss,test_accuracy,elapsed_s,images_per_s\n")

    start = time.monotonic()
    bar = ProgressBar(total_steps)
    step, accuracy = 0, 0.0
    for epoch in range(1, a.epochs + 1):
        train_loader.set_epoch(epoch - 1)
        epoch_start = time.monotonic()
        loss_sum, images, batches = 0.0, 0, 0
        group = in_group = 0
        for b, (x, y) in enumerate(train_loader):
            if in_group == 0:  # as Trainer: the last group of an epoch may be short; it still steps
                group = min(a.accumulation, batches_per_epoch - b)
                opt.zero_grad()
                group_loss = 0.0
            x, y = x.to(a.device), y.to(a.device)
            with autocast():
                loss = F.cross_entropy(model(x), y, label_smoothing=a.label_smoothing)
            scaler.scale(loss if group == 1 else loss / group).backward()
            value = loss.item()
            loss_sum += value
            group_loss += value
            batches += 1
            images += y.shape[0]
            in_group += 1
            if in_group == group:
                in_group = 0
                if a.clip_grad > 0:
                    scaler.unscale_(opt)
                    seek.nn.utils.clip_grad_norm_(model.parameters(), a.clip_grad)
                scaler.step(opt)  # opt.step(), skipped by an enabled scaler when a gradient is inf/NaN
                scaler.update()
                if sched is not None:
                    sched.step()
                step += 1
                lr = opt.param_groups[0]["lr"]
                bar.update(step, epoch, group_loss / group, lr, images / (time.monotonic() - epoch_start))
        epoch_time = time.monotonic() - epoch_start
        accuracy = evaluate(seek, model, test_loader, a.device, autocast)
        print(f"epoch {epoch} test accuracy {accuracy:.2f}%", flush=True)
        if csv:
            csv.write(f"{epoch},{loss_sum / max(batches, 1):.5f},{accuracy:.2f},{time.monotonic() - start:.1f},"
                      f"{images / epoch_time:.1f}\n")
            csv.flush()
    if csv:
        csv.close()
    print(f"final test accuracy {accuracy:.2f}% ({time.monotonic() - start:.1f} s)", flush=True)
    return 0


def main(argv=None):
    args = parse_args(sys.argv[1:] if argv is None else argv)
    try:
        return run(args)
    except KeyboardInterrupt:
        return 1
    except Exception as e:  # noqa: BLE001  (report any failure with the exit code the C++ trainer uses)
        print(f"train_resnet: error: {e}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
