"""Writes the PyTorch-made test data under tests/data/ with real PyTorch and torchvision.

Needs Debian's python3-torch and python3-torchvision (sudo apt-get install --no-install-recommends python3-torch
python3-torchvision: the recommended libtorch-dev breaks TorchSharp in notebook kernels, see README.md); the tests
never need them. Run from anywhere:  python3 tests/data/generate.py
Every file is rewritten; tests/data/README.md says what each one is for and which versions made the committed copies.

  pytorch/            LeNet checkpoints in each torch.save format, dtype and layout corner cases, a whole pickled
                      module, and expected.json describing them (shapes, dtypes, sums, exact values, PyTorch's logits)
  torchvision-parity/ per model: torchvision's state_dict layout after a closed-form fill, and the logits that
                      torchvision computes for a fixed input; plus one small model written as a real .pth
  untrusted/          files a weights reader must refuse without running anything and without crashing: a pickled
                      os.system call, a pickle nested 100,000 deep, one whose shared references make a tree walk
                      exponential, and tensors whose offsets, strides, sizes or storages point outside the file
"""
import collections, io, json, math, os, pickle, sys, threading, zipfile
import numpy as np
import torch, torch.nn as nn, torchvision

HERE = os.path.dirname(os.path.abspath(__file__))


def write_json(path, doc, indent=None):
    with open(path, "w") as f:
        json.dump(doc, f, indent=indent)
        f.write("\n")


# ---------------------------------------------------------------------------------------------------------- pytorch/
class LeNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.features = nn.Sequential(nn.Conv2d(1, 6, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2), nn.Conv2d(6, 16, 5),
                                      nn.BatchNorm2d(16), nn.ReLU(), nn.MaxPool2d(2))
        self.classifier = nn.Sequential(nn.Flatten(), nn.Linear(400, 120), nn.ReLU(), nn.Linear(120, 84), nn.ReLU(),
                                        nn.Linear(84, 10))

    def forward(self, x):
        return self.classifier(self.features(x))


def checkpoints(out):
    torch.manual_seed(0)
    m = LeNet()
    opt = torch.optim.SGD(m.parameters(), lr=0.1, momentum=0.9)
    m.train(); m(torch.randn(4, 1, 28, 28)).sum().backward(); opt.step(); m.eval()  # non-trivial BN stats and momentum
    sd = m.state_dict()
    x = torch.randn(3, 1, 28, 28)
    with torch.no_grad():
        y = m(x)
    describe = lambda d: {k: {"shape": list(v.shape), "dtype": str(v.dtype).replace("torch.", ""), "sum": float(v.double().sum())} for k, v in d.items()}
    expected = {"torch": torch.__version__, "state_dict": describe(sd), "input": x.flatten().tolist(), "input_shape": list(x.shape), "logits": y.tolist()}
    torch.save(sd, f"{out}/lenet_state_dict.pth")  # zip format (the default since PyTorch 1.6)
    torch.save(sd, f"{out}/lenet_state_dict_legacy.pth", _use_new_zipfile_serialization=False)
    torch.save({"epoch": 3, "model_state_dict": sd, "optimizer_state_dict": opt.state_dict(), "loss": 0.25, "note": "checkpoint"}, f"{out}/lenet_checkpoint.pt")
    torch.save(m, f"{out}/lenet_whole_module.pt")  # a pickled nn.Module, not a state_dict
    w = torch.arange(12, dtype=torch.float32).reshape(3, 4)
    odd = {"f16": torch.linspace(-2, 2, 7).half(), "bf16": torch.linspace(-2, 2, 7).bfloat16(), "f64": torch.linspace(-2, 2, 7).double(),
           "i64": torch.arange(-3, 4), "i32": torch.arange(5, dtype=torch.int32), "u8": torch.arange(250, 256, dtype=torch.uint8),
           "bool": torch.tensor([True, False, True]), "scalar": torch.tensor(3.5), "transposed": w.t(), "view_row": w[1],
           "tied_a": w, "tied_b": w, "empty": torch.zeros(0, 5)}
    torch.save(odd, f"{out}/corner_cases.pth")
    expected["corner_cases"] = {k: {"shape": list(v.shape), "dtype": str(v.dtype).replace("torch.", ""), "values": v.double().flatten().tolist()} for k, v in odd.items()}
    expected["files"] = {
        "lenet_state_dict.pth": "zip-format state_dict",
        "lenet_state_dict_legacy.pth": "legacy (pre-1.6, non-zip) state_dict",
        "lenet_checkpoint.pt": "training checkpoint dict holding model_state_dict, optimizer_state_dict, epoch, loss",
        "lenet_whole_module.pt": "a whole pickled nn.Module (needs the Python class): a reader should refuse it with a clear message",
        "corner_cases.pth": "dtypes f16 bf16 f64 i64 i32 u8 bool, a 0-dim scalar, a transposed (non-contiguous) view, a row view, two names sharing one storage, an empty tensor"}
    write_json(f"{out}/expected.json", expected, indent=1)


# ----------------------------------------------------------------------------------------------- torchvision-parity/
# Fill rule, computed in float64 and then cast to the tensor's dtype:
#   h(name) = sum(ord(c) * (i + 1) for i, c in enumerate(name)) % 1000003
#   u(k)    = ((k * 7919 + h * 31) % 2001 - 1000) / 1000          k = flat row-major index
#   *.running_var -> 1 + (u + 1) / 4;  *.num_batches_tracked -> 0;  1-D *weight -> 1 + u / 10;  other 1-D -> u / 100;
#   2 or more dims -> u * sqrt(6 / fan_in), fan_in = numel / shape[0]
# Input [2, 3, 224, 224]: x[n,c,h,w] = ((h*(c+1)*(n+A) + w*(3-c)*(n+1) + (h//16)*(w//16)*B*(n+1)) % M) / (M-1) * 4 - 2
def name_hash(name):
    return sum(ord(c) * (i + 1) for i, c in enumerate(name)) % 1000003


def fill(name, t):
    if name.endswith("num_batches_tracked"):
        return torch.zeros_like(t)
    k = np.arange(t.numel(), dtype=np.int64)
    u = ((k * 7919 + name_hash(name) * 31) % 2001 - 1000) / 1000.0
    if name.endswith("running_var"):
        v = 1.0 + (u + 1.0) / 4.0
    elif t.dim() == 1 and name.endswith("weight"):
        v = 1.0 + u / 10.0
    elif t.dim() == 1:
        v = u / 100.0
    else:
        v = u * math.sqrt(6.0 / (t.numel() // t.shape[0]))
    return torch.from_numpy(v.astype(np.float32)).reshape(t.shape).to(t.dtype)


def make_input(a, b, m):
    n, c, h, w = np.meshgrid(np.arange(2), np.arange(3), np.arange(224), np.arange(224), indexing="ij")
    x = ((h * (c + 1) * (n + a) + w * (3 - c) * (n + 1) + (h // 16) * (w // 16) * b * (n + 1)) % m) / float(m - 1) * 4.0 - 2.0
    return torch.from_numpy(x.astype(np.float32))


# (file name, constructor arguments). The small mobilenet_v2 is also written as a real .pth (2.9 MB): the full-size
# one is 14 MB, too large to carry in the repository.
PARITY = [("alexnet", {}), ("vgg16", {}), ("vgg16_bn", {}), ("resnet18", {}), ("resnet50", {}), ("mobilenet_v2", {}),
          ("vit_b_16", {}), ("mobilenet_v2_w050_c10", {"num_classes": 10, "width_mult": 0.5})]
PTH = {"mobilenet_v2_w050_c10"}


def parity(out, a=2, b=29, m=256):
    x = make_input(a, b, m)
    for file, kwargs in PARITY:
        arch = file.split("_w")[0] if file.startswith("mobilenet_v2_w") else file
        model = getattr(torchvision.models, arch)(**kwargs)
        filled = {n: fill(n, t) for n, t in model.state_dict().items()}
        model.load_state_dict(filled)
        model.eval()
        with torch.no_grad():
            y = model(x)
        entries = [{"name": n, "shape": list(t.shape), "dtype": str(t.dtype).replace("torch.", ""),
                    "sum": float(t.double().sum()), "first": [float(v) for v in t.flatten()[:3].double()]} for n, t in filled.items()]
        write_json(f"{out}/{file}.json", {
            "model": arch, "arguments": kwargs, "torch": torch.__version__, "torchvision": torchvision.__version__,
            "input": {"shape": [2, 3, 224, 224], "a": a, "b": b, "m": m},
            "state_dict": entries, "logits": [[float(v) for v in row] for row in y]})
        if file in PTH:
            torch.save(filled, f"{out}/{file}.pth")
        print(f"  {file}: {len(entries)} tensors, logits[0][:3] {y[0, :3].tolist()}", flush=True)


# -------------------------------------------------------------------------------------------------------- untrusted/
class RunsACommand:
    """Pickles as a call of os.system: what a booby-trapped checkpoint does when Python's pickle loads it."""

    def __reduce__(self):
        return (os.system, ("touch MARKER",))


def nested(depth):
    value = {"weight": torch.zeros(1)}
    for _ in range(depth):
        value = [value]
    return value


def shared_references(levels):
    value = [torch.zeros(1)]
    for _ in range(levels):
        value = [value, value]  # the pickle memoizes each level once: 2^levels paths, a few bytes per level
    return {"state": value}


class FakeStorage:
    """Pickles as a persistent id, as torch.save writes a storage: ('storage', <type>, key, location, numel)."""

    def __init__(self, type_name, key, numel):
        self.type_name, self.key, self.numel = type_name, key, numel


class FakeTensor:
    """Pickles as torch._utils._rebuild_tensor_v2(storage, offset, size, stride, ...), with whatever numbers it is given."""

    def __init__(self, storage, offset, size, stride):
        self.storage, self.offset, self.size, self.stride = storage, offset, size, stride

    def __reduce__(self):
        return (torch._utils._rebuild_tensor_v2, (self.storage, self.offset, tuple(self.size), tuple(self.stride), False, collections.OrderedDict()))


def crafted_archive(path, tensor, stored):
    """A torch.save zip archive around one crafted tensor; `stored` maps storage keys to the bytes the archive holds."""
    buffer = io.BytesIO()

    class Pickler(pickle.Pickler):
        def persistent_id(self, obj):
            if isinstance(obj, FakeStorage):
                return ("storage", getattr(torch, obj.type_name), obj.key, "cpu", obj.numel)
            return None

    Pickler(buffer, protocol=2).dump(collections.OrderedDict([("weight", tensor)]))
    with zipfile.ZipFile(path, "w", zipfile.ZIP_STORED) as archive:
        archive.writestr("archive/data.pkl", buffer.getvalue())
        archive.writestr("archive/version", "3\n")
        for key, data in stored.items():
            archive.writestr(f"archive/data/{key}", data)


def untrusted(out):
    torch.save({"weight": RunsACommand()}, f"{out}/runs_os_system.pth")
    torch.save({"weight": RunsACommand()}, f"{out}/runs_os_system_legacy.pth", _use_new_zipfile_serialization=False)

    # Python's pickler recurses once per level: give it room in a thread with a large stack.
    def deep():
        sys.setrecursionlimit(1_000_000)
        torch.save(nested(100_000), f"{out}/nested_100000_deep.pth")

    threading.stack_size(1 << 30)
    worker = threading.Thread(target=deep)
    worker.start()
    worker.join()
    torch.save(shared_references(64), f"{out}/shared_references_2_pow_64.pth")

    # Tensors whose numbers point outside what the file holds. Each names storage 0 of 4 floats (16 bytes).
    floats = np.arange(4, dtype=np.float32).tobytes()
    storage = FakeStorage("FloatStorage", "0", 4)
    crafted_archive(f"{out}/offset_out_of_bounds.pth", FakeTensor(storage, 3, [2], [1]), {"0": floats})
    crafted_archive(f"{out}/stride_out_of_bounds.pth", FakeTensor(storage, 0, [2, 2], [3, 1]), {"0": floats})
    crafted_archive(f"{out}/size_overflows.pth", FakeTensor(storage, 0, [2**40, 2**40], [2**40, 1]), {"0": floats})
    crafted_archive(f"{out}/negative_size.pth", FakeTensor(storage, 0, [-4], [1]), {"0": floats})
    crafted_archive(f"{out}/storage_record_missing.pth", FakeTensor(storage, 0, [4], [1]), {})
    crafted_archive(f"{out}/unsupported_storage_type.pth", FakeTensor(FakeStorage("ComplexDoubleStorage", "0", 4), 0, [4], [1]), {"0": floats * 4})


def main():
    torch.set_num_threads(2)
    for folder, make in [("pytorch", checkpoints), ("torchvision-parity", parity), ("untrusted", untrusted)]:
        out = os.path.join(HERE, folder)
        os.makedirs(out, exist_ok=True)
        print(f"{folder}/", flush=True)
        make(out)
    print(f"done with torch {torch.__version__}, torchvision {torchvision.__version__}")


if __name__ == "__main__":
    main()
