"""PyTorch's side of ./build.sh bench speedrun: images/s of one training epoch of notebook 14's speed run under CPU
autocast (bfloat16) in the channels-last layout, written for PyTorch as one would write it there.

Run by SpeedRunBenchmark.cs in a fresh process per round, with the same thread count, image count and batch size as
the C# side; prints one JSON object. Needs PyTorch (Debian: apt install --no-install-recommends python3-torch).
Usage: speedrun_pytorch.py THREADS IMAGES BATCH
"""
import json
import sys
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

MEAN = torch.tensor((0.4914, 0.4822, 0.4465)).view(1, 3, 1, 1)
STD = torch.tensor((0.2470, 0.2435, 0.2616)).view(1, 3, 1, 1)


def norm(channels):
    bn = nn.BatchNorm2d(channels, eps=1e-12, momentum=0.4)
    bn.weight.requires_grad = False
    return bn


def block(inputs, outputs):
    return nn.Sequential(nn.Conv2d(inputs, outputs, 3, padding=1, bias=False), nn.MaxPool2d(2), norm(outputs), nn.GELU(),
                         nn.Conv2d(outputs, outputs, 3, padding=1, bias=False), norm(outputs), nn.GELU())


class SpeedRunNet(nn.Module):
    def __init__(self, width=64):
        super().__init__()
        self.whitening = nn.Conv2d(3, 24, 2)
        self.whitening.weight.requires_grad = False
        self.blocks = nn.Sequential(block(24, width), block(width, 4 * width), block(4 * width, 4 * width))
        self.head = nn.Linear(4 * width, 10, bias=False)

    def forward(self, x):
        h = self.blocks(F.gelu(self.whitening(x)))
        return self.head(F.max_pool2d(h, 3).flatten(1)) / 9


def translate(batch, pixels, generator):
    """Each image shifted by up to `pixels` in each direction, the uncovered edge filled by reflection."""
    n, _, h, w = batch.shape
    padded = F.pad(batch, (pixels,) * 4, mode='reflect')
    shifts = torch.randint(0, 2 * pixels + 1, (n, 2), generator=generator)
    rows = (torch.arange(h).view(1, h) + shifts[:, :1]).view(n, 1, h, 1).expand(n, 3, h, w + 2 * pixels)
    cropped = padded.gather(2, rows)
    cols = (torch.arange(w).view(1, w) + shifts[:, 1:]).view(n, 1, 1, w).expand(n, 3, h, w)
    return cropped.gather(3, cols)


def main():
    threads, images, batch = (int(a) for a in sys.argv[1:4])
    torch.set_num_threads(threads)
    torch.manual_seed(0)
    data = torch.randint(0, 256, (images, 3, 32, 32), dtype=torch.uint8)
    labels = torch.randint(0, 10, (images,))
    model = SpeedRunNet().to(memory_format=torch.channels_last)
    named = [(n, p) for n, p in model.named_parameters() if p.requires_grad]
    rate, decay = 1.5, 0.002
    optimizer = torch.optim.SGD([
        dict(params=[p for n, p in named if 'blocks' in n and p.dim() == 1], lr=64 * rate, weight_decay=decay / (64 * rate)),
        dict(params=[p for n, p in named if not ('blocks' in n and p.dim() == 1)], lr=rate, weight_decay=decay / rate),
    ], momentum=0.85, nesterov=True)
    average = {k: v.clone() for k, v in model.state_dict().items()}
    generator = torch.Generator().manual_seed(1)
    flips = torch.rand(images, generator=generator) < 0.5

    def epoch(count, number):
        nonlocal average
        model.train()
        flipped = torch.where(flips[:count].view(-1, 1, 1, 1) ^ (number % 2 == 1), data[:count].flip(-1), data[:count])
        order = torch.randperm(count, generator=generator)
        step = 0
        for start in range(0, count - batch + 1, batch):
            index = order[start:start + batch]
            x = (flipped[index].float() / 255 - MEAN) / STD
            x = translate(x, 2, generator).contiguous(memory_format=torch.channels_last)
            with torch.autocast('cpu', dtype=torch.bfloat16):
                loss = F.cross_entropy(model(x).float(), labels[index], label_smoothing=0.2)
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            step += 1
            if step % 5 == 0:
                with torch.no_grad():
                    for (k, a), v in zip(average.items(), model.state_dict().values()):
                        if v.dtype.is_floating_point:
                            a.lerp_(v, 1 - 0.77)
                            v.copy_(a)

    epoch(2 * batch, 0)  # untimed: allocator and oneDNN's kernel choice
    started = time.perf_counter()
    epoch(images, 1)
    seconds = time.perf_counter() - started
    print(json.dumps({"torch": torch.__version__, "threads": torch.get_num_threads(),
                      "images_per_second": images // batch * batch / seconds}))


if __name__ == '__main__':
    main()
