"""PyTorch's side of ./build.sh bench vit: the small CIFAR ViT's training step and its dropout, in float32 and under
CPU autocast (bfloat16), with the same shapes, batch, step counts and threads as VitBenchmark.cs; prints one JSON object.
Needs PyTorch and torchvision (Debian: apt install python3-torch python3-torchvision).
Usage: vit_pytorch.py THREADS STEPS BATCH
"""
import json
import sys
import time

import torch
import torch.nn as nn
from torchvision.models.vision_transformer import VisionTransformer

threads, steps, batch = (int(a) for a in sys.argv[1:4])
torch.set_num_threads(threads)
# Zoo.vit_cifar(): 32 px images in 4x4 patches, 6 layers, width 128, 4 heads, MLP 256.
TOKENS, HIDDEN, MLP, LAYERS = 65, 128, 256, 6
DROPPED = [(batch, TOKENS, HIDDEN)] * (1 + 2 * LAYERS) + [(batch, TOKENS, MLP)] * LAYERS


def step_rate(dropout, bf16):
    torch.manual_seed(0)
    model = VisionTransformer(32, 4, LAYERS, 4, HIDDEN, MLP, dropout=dropout, num_classes=10).train()
    optimizer = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    images = torch.randn(batch, 3, 32, 32)
    labels = torch.randint(0, 10, (batch,))

    def step():
        optimizer.zero_grad()
        with torch.autocast("cpu", dtype=torch.bfloat16, enabled=bf16):
            logits = model(images)
        nn.functional.cross_entropy(logits.float(), labels).backward()
        optimizer.step()

    for _ in range(2):
        step()
    start = time.perf_counter()
    for _ in range(steps):
        step()
    return batch * steps / (time.perf_counter() - start)


def dropout_ms(dtype):
    """nn.functional.dropout over every activation one training step drops, forward and backward."""
    tensors = [torch.randn(shape).to(dtype).requires_grad_(True) for shape in DROPPED]

    def once():
        for t in tensors:
            nn.functional.dropout(t, 0.1, True).sum().backward()

    once()
    start = time.perf_counter()
    for _ in range(steps):
        once()
    return (time.perf_counter() - start) / steps * 1000


result = {"torch": torch.__version__, "threads": torch.get_num_threads(), "steps": {}, "dropout_ms": {}}
for name, dropout, bf16 in (("float32", 0.1, False), ("float32_no_dropout", 0.0, False), ("bfloat16", 0.1, True), ("bfloat16_no_dropout", 0.0, True)):
    try:
        result["steps"][name] = step_rate(dropout, bf16)
    except Exception as error:  # one failing configuration must not hide the others
        result["steps"][name + "_error"] = str(error).splitlines()[0]
for name, dtype in (("float32", torch.float32), ("bfloat16", torch.bfloat16)):
    result["dropout_ms"][name] = dropout_ms(dtype)
print(json.dumps(result))
