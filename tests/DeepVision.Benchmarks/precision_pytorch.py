"""PyTorch's side of ./build.sh bench precision: training-step images/s in float32 and under CPU autocast (bfloat16),
in the plain layout and in channels-last (model and input converted with memory_format=torch.channels_last).

Run by PrecisionBenchmark.cs with the same models, batch sizes, step counts and thread count as the C# side; prints one
JSON object. Needs PyTorch and torchvision (Debian: apt install python3-torch python3-torchvision).
Usage: precision_pytorch.py THREADS STEPS MATRIX_SIZE
"""
import json
import sys
import time

import torch
import torch.nn as nn
import torchvision


def cifar_net(width=48, classes=10):
    """The helpers' Zoo.cifar_net: three stages of two conv-BN-ReLU and a max pooling, dropout, one linear layer."""
    layers, channels = [], 3
    for stage in (width, 2 * width, 4 * width):
        for _ in range(2):
            layers += [nn.Conv2d(channels, stage, 3, padding=1, bias=False), nn.BatchNorm2d(stage), nn.ReLU(inplace=True)]
            channels = stage
        layers.append(nn.MaxPool2d(2))
    return nn.Sequential(*layers, nn.Flatten(), nn.Dropout(0.2), nn.Linear(channels * 16, classes))


class Shortcut(nn.Module):
    """Option A of the ResNet paper, as the helpers' CifarResNet: subsample and pad with zero channels."""

    def __init__(self, stride, extra):
        super().__init__()
        self.stride, self.extra = stride, extra

    def forward(self, x):
        half = self.extra // 2
        return nn.functional.pad(x[:, :, ::self.stride, ::self.stride], (0, 0, 0, 0, half, self.extra - half))


class Block(nn.Module):
    def __init__(self, inplanes, planes, stride):
        super().__init__()
        self.conv1 = nn.Conv2d(inplanes, planes, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(planes)
        self.conv2 = nn.Conv2d(planes, planes, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(planes)
        self.shortcut = Shortcut(stride, planes - inplanes) if stride != 1 or inplanes != planes else None

    def forward(self, x):
        out = torch.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        return torch.relu(out + (x if self.shortcut is None else self.shortcut(x)))


def resnet20(classes=10):
    layers, inplanes = [nn.Conv2d(3, 16, 3, padding=1, bias=False), nn.BatchNorm2d(16), nn.ReLU(inplace=True)], 16
    for planes, stride in ((16, 1), (32, 2), (64, 2)):
        for i in range(3):
            layers.append(Block(inplanes, planes, stride if i == 0 else 1))
            inplanes = planes
    return nn.Sequential(*layers, nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(64, classes))


MODELS = {
    "cifar_net": (lambda: cifar_net(), 128, 32, 10),
    "resnet20": (lambda: resnet20(), 128, 32, 10),
    "mobilenet_v2": (lambda: torchvision.models.mobilenet_v2(), 16, 224, 1000),
    "resnet18": (lambda: torchvision.models.resnet18(), 16, 224, 1000),
}


def step_rate(name, bf16, steps, channels_last):
    make, batch, size, classes = MODELS[name]
    torch.manual_seed(0)
    model = make().train()
    if channels_last:
        model = model.to(memory_format=torch.channels_last)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    images = torch.randint(0, 256, (batch, 3, size, size), dtype=torch.uint8)
    labels = torch.randint(0, classes, (batch,))

    def step():
        optimizer.zero_grad()
        x = images.float() / 255
        if channels_last:
            x = x.contiguous(memory_format=torch.channels_last)
        with torch.autocast("cpu", dtype=torch.bfloat16, enabled=bf16):
            loss = nn.functional.cross_entropy(model(x), labels)
        loss.backward()
        optimizer.step()

    step()
    step()
    start = time.perf_counter()
    for _ in range(steps):
        step()
    return batch * steps / (time.perf_counter() - start)


def matmul_rate(n, dtype):
    a, b = torch.randn(n, n).to(dtype), torch.randn(n, n).to(dtype)
    a @ b
    best = min(timed(lambda: a @ b) for _ in range(3))
    return 2 * n ** 3 / best / 1e9


def timed(f):
    start = time.perf_counter()
    f()
    return time.perf_counter() - start


def main():
    threads, steps, n = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
    torch.set_num_threads(threads)
    result = {"torch": torch.__version__, "threads": torch.get_num_threads(),
              "peak_float32": matmul_rate(n, torch.float32), "peak_bfloat16": matmul_rate(n, torch.bfloat16), "models": {}}
    for name in MODELS:
        figures = {}
        for layout, channels_last in (("", False), ("_channels_last", True)):
            for precision, bf16 in (("float32", False), ("bfloat16", True)):
                try:
                    figures[precision + layout] = step_rate(name, bf16, steps, channels_last)
                except RuntimeError as error:  # e.g. PyTorch 1.13 has no bfloat16 backward for mobilenet_v2's ReLU6
                    figures[precision + layout + "_error"] = str(error).splitlines()[0]
        result["models"][name] = figures
    print(json.dumps(result))


if __name__ == "__main__":
    main()
