"""Training-step throughput in PyTorch for the models of benchmarks/bench_train.cpp.

    torch_train.py --model resnet20|mlp|cnn [--threads 2] [--batch 128] [--warmup 3] [--steps 10] [--windows 1]

Same models, optimizers, losses and random in-memory data as bench_train; prints one
JSON line per timed window: {"model", "threads", "images_per_s", "step_ms"}.
"""
import argparse
import json
import time

import torch
from torch import nn
import torch.nn.functional as F


class BasicBlock(nn.Module):
    """seek::models::BasicBlock: conv3x3-bn-relu-conv3x3-bn, + identity (or 1x1 conv-bn), relu."""

    def __init__(self, inplanes, planes, stride, downsample):
        super().__init__()
        self.conv1 = nn.Conv2d(inplanes, planes, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(planes)
        self.relu = nn.ReLU()
        self.conv2 = nn.Conv2d(planes, planes, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(planes)
        self.downsample = downsample

    def forward(self, x):
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        identity = self.downsample(x) if self.downsample is not None else x
        return self.relu(out + identity)


class ResNet20(nn.Module):
    """Mirror of seek::models::resnet20(num_classes, in_channels): small-input stem (3x3 conv,
    no max pool), stages of 3 basic blocks with widths 16, 32, 64, strides 1, 2, 2, global
    average pool, linear; He-normal (fan_out) convs, unit batch-norm scales."""

    def __init__(self, num_classes=10, in_channels=1):
        super().__init__()
        self.inplanes = 16
        self.conv1 = nn.Conv2d(in_channels, 16, 3, 1, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(16)
        self.relu = nn.ReLU()
        self.layer1 = self._make_layer(16, 3, 1)
        self.layer2 = self._make_layer(32, 3, 2)
        self.layer3 = self._make_layer(64, 3, 2)
        self.avgpool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(64, num_classes)
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")
            elif isinstance(m, nn.BatchNorm2d):
                nn.init.ones_(m.weight)
                nn.init.zeros_(m.bias)

    def _make_layer(self, planes, blocks, stride):
        down = None
        if stride != 1 or self.inplanes != planes:
            down = nn.Sequential(nn.Conv2d(self.inplanes, planes, 1, stride, 0, bias=False), nn.BatchNorm2d(planes))
        layers = [BasicBlock(self.inplanes, planes, stride, down)]
        self.inplanes = planes
        layers += [BasicBlock(planes, planes, 1, None) for _ in range(1, blocks)]
        return nn.Sequential(*layers)

    def forward(self, x):
        x = self.relu(self.bn1(self.conv1(x)))
        x = self.layer3(self.layer2(self.layer1(x)))
        return self.fc(torch.flatten(self.avgpool(x), 1))


def make(name, batch):
    torch.manual_seed(0)
    x = torch.randn(batch, 1, 28, 28)
    y = torch.randint(0, 10, (batch,))
    smoothing = 0.0
    if name == "resnet20":
        model = ResNet20(10, 1)
        opt = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9, nesterov=True, weight_decay=5e-4)
        smoothing = 0.05
    elif name == "mlp":
        model = nn.Sequential(nn.Flatten(), nn.Linear(784, 512), nn.ReLU(), nn.Linear(512, 512), nn.ReLU(),
                              nn.Linear(512, 10))
        opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    elif name == "cnn":
        model = nn.Sequential(nn.Conv2d(1, 32, 3, 1, 1), nn.ReLU(), nn.MaxPool2d(2), nn.Conv2d(32, 64, 3, 1, 1),
                              nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(), nn.Linear(64 * 7 * 7, 128), nn.ReLU(),
                              nn.Linear(128, 10))
        opt = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    else:
        raise SystemExit(f"torch_train.py: unknown --model {name!r} (resnet20, mlp or cnn)")
    model.train()
    return model, opt, x, y, smoothing


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--model", default="resnet20")
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--batch", type=int, default=128)
    p.add_argument("--warmup", type=int, default=3)
    p.add_argument("--steps", type=int, default=10)
    p.add_argument("--windows", type=int, default=1)
    a = p.parse_args()
    torch.set_num_threads(a.threads)
    model, opt, x, y, smoothing = make(a.model, a.batch)

    def step():
        opt.zero_grad(set_to_none=True)  # seek's Optimizer::zero_grad default (torch 1.13's is False)
        loss = F.cross_entropy(model(x), y, label_smoothing=smoothing)
        loss.backward()
        opt.step()

    for _ in range(a.warmup):
        step()
    for _ in range(a.windows):
        t0 = time.perf_counter()
        for _ in range(a.steps):
            step()
        s = time.perf_counter() - t0
        print(json.dumps({"model": a.model, "threads": torch.get_num_threads(),
                          "images_per_s": a.batch * a.steps / s, "step_ms": s / a.steps * 1e3}), flush=True)


if __name__ == "__main__":
    main()
