"""Describes the TorchSharp.PyBridge test files beside this script with Python's own
pickle module and the standard library only (no torch, no numpy), as an independent reference for our reader.
Every tensor is summarized by shape and exact values; other values are kept as they are.
Run from the repository root: python3 tests/data/pybridge/describe.py > tests/data/pybridge/expected.json"""
import array, collections, glob, json, os, pickle, sys, zipfile

TYPECODES = {"FloatStorage": "f", "DoubleStorage": "d", "LongStorage": "q", "IntStorage": "i", "ByteStorage": "B"}

def describe(path):
    archive = zipfile.ZipFile(path)
    prefix = archive.namelist()[0].split("/")[0]

    class Reader(pickle.Unpickler):
        def find_class(self, module, name):
            if (module, name) == ("collections", "OrderedDict"):
                return collections.OrderedDict
            if (module, name) == ("torch._utils", "_rebuild_tensor_v2"):
                def rebuild(storage, offset, size, stride, *rest):
                    kind, key = storage
                    values = array.array(TYPECODES[kind])
                    values.frombytes(archive.read(f"{prefix}/data/{key}"))
                    flat = []
                    def walk(dim, base):
                        if dim == len(size):
                            flat.append(values[base])
                            return
                        for i in range(size[dim]):
                            walk(dim + 1, base + i * stride[dim])
                    walk(0, offset)
                    return {"__tensor__": True, "dtype": kind, "shape": list(size), "values": flat}
                return rebuild
            if module == "torch":
                return name
            raise pickle.UnpicklingError(f"unexpected global {module}.{name}")

        def persistent_load(self, pid):
            return (pid[1], pid[2])

    def plain(value):
        if isinstance(value, dict):
            return {str(k): plain(v) for k, v in value.items()}
        if isinstance(value, (list, tuple)):
            return [plain(v) for v in value]
        return value

    return plain(Reader(archive.open(f"{prefix}/data.pkl")).load())

root = os.path.dirname(os.path.abspath(__file__))
result = {}
for path in sorted(glob.glob(os.path.join(root, "*", "*"))):
    if zipfile.is_zipfile(path):
        result[os.path.relpath(path, root)] = describe(path)
json.dump(result, sys.stdout, indent=1, sort_keys=True)
