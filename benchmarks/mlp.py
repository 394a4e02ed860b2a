"""One training epoch of the course's network against its matrix-product floor and PyTorch.

    python benchmarks/mlp.py                  # 5 interleaved epochs of each (about a minute)
    python benchmarks/mlp.py --repeats 3 --synthetic --no-torch

The network is notebook 07's: 784 -> 256 -> 128 -> 10, ReLU hidden layers, a linear
output, one-hot targets, MSE (mean over all elements), plain minibatch SGD with batches
of 128 in a fresh random order each epoch, float32, on 60,000 x 784 inputs
(Fashion-MNIST's training set when /usr/share/datasets/fashion-mnist holds it, else
random inputs of the same size). Everything runs in this one process on ONE thread:
the BLAS thread variables are set before NumPy is imported, and threadpoolctl and
``torch.set_num_threads(1)`` make sure.

What is timed, one full epoch each, interleaved (repeat r runs every implementation
once, in an order rotated by r), median over the repeats:

- ``floor``: the eight matrix products of a training step (three forward, two per
  hidden layer and one for W1 backward) on consecutive slices, into preallocated
  buffers, and nothing else: no bias, ReLU, loss, update or shuffling. No training
  step can be faster with the same BLAS.
- ``fast``: :class:`course_utils.fast_mlp.FastMLP`, the course's fast variant.
- ``torch``: the same network as a PyTorch user writes it (nn.Sequential, DataLoader
  over a TensorDataset with shuffle=True, optim.SGD, F.mse_loss).
- ``torch, hand-batched``: the same without DataLoader (randperm and indexing), the
  fastest plain PyTorch we know for this; reported, not in the last line.
- ``readable``: notebook 07's own functions, taken from its solution notebook, when
  that notebook exists (``--no-readable`` skips it).

All start from the same weights and use the same learning rate. The last line reads
``ratio_floor=<fast/floor> ratio_torch=<fast/torch>`` from the wall-clock medians.
"""
from __future__ import annotations

import os

# One BLAS/OpenMP thread, decided before NumPy (or torch) loads its libraries.
for _name in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS", "BLIS_NUM_THREADS",
              "VECLIB_MAXIMUM_THREADS", "NUMEXPR_NUM_THREADS"):
    os.environ[_name] = "1"

import argparse  # noqa: E402
import gzip  # noqa: E402
import json  # noqa: E402
import platform  # noqa: E402
import statistics  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402
from threadpoolctl import threadpool_info, threadpool_limits  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from course_utils.fast_mlp import FastMLP  # noqa: E402
from machine import load_average  # benchmarks/machine.py (this folder is on sys.path when run as a script)

FASHION = Path("/usr/share/datasets/fashion-mnist")
SIZES = (784, 256, 128, 10)
BATCH = 128


# ---- data and starting point ---------------------------------------------------------

def read_idx_gz(path: Path) -> np.ndarray:
    """The array in a gzip-compressed IDX file (the MNIST format)."""
    raw = gzip.decompress(path.read_bytes())
    ndim = raw[3]
    shape = tuple(int.from_bytes(raw[4 + 4 * i:8 + 4 * i], "big") for i in range(ndim))
    return np.frombuffer(raw, np.uint8, offset=4 + 4 * ndim).reshape(shape)


def load_data(synthetic: bool, seed: int = 0):
    """(X, Y, X_test, y_test, source): float32 inputs in [0, 1] (N, 784), one-hot float32 Y (N, 10)."""
    files = [FASHION / f"{part}-idx{dims}-ubyte.gz" for part, dims in
             (("train-images", 3), ("train-labels", 1), ("t10k-images", 3), ("t10k-labels", 1))]
    if not synthetic and all(f.exists() for f in files):
        images, labels, test_images, test_labels = (read_idx_gz(f) for f in files)
        X = images.reshape(len(images), -1).astype(np.float32) / np.float32(255)
        X_test = test_images.reshape(len(test_images), -1).astype(np.float32) / np.float32(255)
        source = f"Fashion-MNIST training set from {FASHION}"
    else:
        rng = np.random.default_rng(seed)
        X, X_test = rng.random((60_000, 784), dtype=np.float32), rng.random((10_000, 784), dtype=np.float32)
        labels, test_labels = rng.integers(0, 10, 60_000), rng.integers(0, 10, 10_000)
        source = "synthetic uniform inputs and random labels (Fashion-MNIST not installed or --synthetic)"
    Y = np.eye(10, dtype=np.float32)[labels]
    return np.ascontiguousarray(X), Y, X_test, np.asarray(test_labels), source


def initial_params(seed: int = 0) -> dict[str, np.ndarray]:
    """He initialisation as in notebook 07: W ~ N(0, 2 / fan_in), b = 0, float32."""
    rng = np.random.default_rng(seed)
    params = {}
    for k, (n_in, n_out) in enumerate(zip(SIZES, SIZES[1:]), start=1):
        params[f"W{k}"] = (rng.standard_normal((n_in, n_out)) * np.sqrt(2.0 / n_in)).astype(np.float32)
        params[f"b{k}"] = np.zeros(n_out, np.float32)
    return params


def scores_numpy(params, X: np.ndarray) -> np.ndarray:
    """Forward pass for evaluation (any readable version will do)."""
    L = len(SIZES) - 1
    A = X
    for k in range(1, L + 1):
        A = A @ params[f"W{k}"] + params[f"b{k}"]
        A = np.maximum(A, 0) if k < L else A
    return A


# ---- the implementations: each has epoch() and test_accuracy() -----------------------

class Floor:
    name = "floor: the 8 matrix products only"

    def __init__(self, params, X, Y, lr):
        self.X = X
        self.W = [params[f"W{k}"].copy() for k in (1, 2, 3)]
        self.out = [np.empty(shape, np.float32) for shape in
                    [(BATCH, 256), (BATCH, 128), (BATCH, 10),       # forward
                     (128, 10), (BATCH, 128), (256, 128), (BATCH, 256), (784, 256)]]  # backward

    def epoch(self, rows=None):
        X, (W1, W2, W3) = self.X, self.W
        h1, h2, s, dW3, dh2, dW2, dh1, dW1 = self.out
        for i in range(0, rows or len(X), BATCH):
            x = X[i:i + BATCH]
            n = x.shape[0]
            np.matmul(x, W1, out=h1[:n])
            np.matmul(h1[:n], W2, out=h2[:n])
            np.matmul(h2[:n], W3, out=s[:n])
            np.matmul(h2[:n].T, s[:n], out=dW3)
            np.matmul(s[:n], W3.T, out=dh2[:n])
            np.matmul(h1[:n].T, dh2[:n], out=dW2)
            np.matmul(dh2[:n], W2.T, out=dh1[:n])
            np.matmul(x.T, dh1[:n], out=dW1)

    def test_accuracy(self, X_test, y_test):
        return None


class Fast:
    name = "fast: course_utils.fast_mlp.FastMLP"

    def __init__(self, params, X, Y, lr, seed=1):
        self.net, self.X, self.Y, self.lr = FastMLP(params, max_batch=BATCH), X, Y, lr
        self.rng = np.random.default_rng(seed)
        self.losses = []

    def epoch(self, rows=None):
        X, Y = (self.X[:rows], self.Y[:rows]) if rows else (self.X, self.Y)
        self.losses.append(self.net.train_epoch(X, Y, self.lr, BATCH, self.rng))

    def test_accuracy(self, X_test, y_test):
        return float(np.mean(scores_numpy(self.net.params(), X_test).argmax(1) == y_test))


class Readable:
    """Notebook 07's own functions, executed from its solution notebook."""
    name = "readable: notebook 07's solution functions"
    NOTEBOOK = ROOT / "solutions" / "07_mnist" / "07_mnist.ipynb"
    NEEDED = ("mlp_forward", "mlp_backward", "sgd_update")

    @classmethod
    def available(cls) -> str | None:
        """None if usable, else why not."""
        if not cls.NOTEBOOK.exists():
            return f"{cls.NOTEBOOK.relative_to(ROOT)} does not exist yet"
        try:
            cls._functions()
        except Exception as error:  # noqa: BLE001 - any failure means: skip this row
            return f"could not take {', '.join(cls.NEEDED)} from it ({type(error).__name__}: {error})"
        return None

    @classmethod
    def _functions(cls) -> dict:
        import nbformat

        nb = nbformat.read(cls.NOTEBOOK, as_version=4)
        namespace: dict = {"np": np}  # the notebook's setup cell imports numpy as np
        # Only answer cells (nbgrader solution cells): they define the functions and
        # run nothing heavy.
        for cell in nb.cells:
            if cell.cell_type == "code" and cell.metadata.get("nbgrader", {}).get("solution"):
                exec(compile(cell.source, str(cls.NOTEBOOK), "exec"), namespace)  # noqa: S102
        missing = [f for f in cls.NEEDED if f not in namespace]
        if missing:
            raise KeyError(f"no {', '.join(missing)} in its answer cells")
        return namespace

    def __init__(self, params, X, Y, lr, seed=1):
        self.f = self._functions()
        self.params = {k: v.copy() for k, v in params.items()}
        self.X, self.Y, self.lr = X, Y, lr
        self.rng = np.random.default_rng(seed)

    def epoch(self, rows=None):
        f, X, Y = self.f, self.X, self.Y
        N = rows or len(X)
        order = self.rng.permutation(N)
        for i in range(0, N, BATCH):
            idx = order[i:i + BATCH]
            xb, yb = X[idx], Y[idx]
            scores, caches = f["mlp_forward"](xb, self.params)
            dscores = (2.0 / scores.size) * (scores - yb)  # the notebook's mse_loss gradient
            grads = f["mlp_backward"](dscores, caches)
            self.params = f["sgd_update"](self.params, grads, self.lr)

    def test_accuracy(self, X_test, y_test):
        return float(np.mean(scores_numpy(self.params, X_test).argmax(1) == y_test))


class Torch:
    name = "torch: nn.Sequential + DataLoader + optim.SGD"

    def __init__(self, params, X, Y, lr, seed=1):
        import torch
        from torch import nn
        from torch.utils.data import DataLoader, TensorDataset

        torch.manual_seed(seed)
        self.torch = torch
        self.model = nn.Sequential(nn.Linear(784, 256), nn.ReLU(), nn.Linear(256, 128), nn.ReLU(),
                                   nn.Linear(128, 10))
        with torch.no_grad():
            for k, layer in zip((1, 2, 3), self.model[::2]):
                layer.weight.copy_(torch.from_numpy(params[f"W{k}"].T.copy()))
                layer.bias.copy_(torch.from_numpy(params[f"b{k}"]))
        self.opt = torch.optim.SGD(self.model.parameters(), lr=lr)
        self.X, self.Y = torch.from_numpy(X), torch.from_numpy(Y)
        self.loader = DataLoader(TensorDataset(self.X, self.Y), batch_size=BATCH, shuffle=True)
        self.small = {}

    def loader_for(self, rows):
        if not rows:
            return self.loader
        from torch.utils.data import DataLoader, TensorDataset

        return self.small.setdefault(rows, DataLoader(TensorDataset(self.X[:rows], self.Y[:rows]),
                                                      batch_size=BATCH, shuffle=True))

    def epoch(self, rows=None):
        F = self.torch.nn.functional
        for xb, yb in self.loader_for(rows):
            self.opt.zero_grad()
            loss = F.mse_loss(self.model(xb), yb)
            loss.backward()
            self.opt.step()

    def test_accuracy(self, X_test, y_test):
        with self.torch.no_grad():
            scores = self.model(self.torch.from_numpy(np.ascontiguousarray(X_test))).numpy()
        return float(np.mean(scores.argmax(1) == y_test))


class TorchHandBatched(Torch):
    name = "torch, hand-batched: randperm + indexing"

    def epoch(self, rows=None):
        torch, F = self.torch, self.torch.nn.functional
        N = rows or len(self.X)
        order = torch.randperm(N)
        for i in range(0, N, BATCH):
            idx = order[i:i + BATCH]
            self.opt.zero_grad(set_to_none=True)
            loss = F.mse_loss(self.model(self.X[idx]), self.Y[idx])
            loss.backward()
            self.opt.step()


# ---- measuring -------------------------------------------------------------------------

def blas_description() -> str:
    parts = []
    for pool in threadpool_info():
        what = f"{pool.get('internal_api')} {pool.get('version') or ''}".strip()
        arch = pool.get("architecture")
        parts.append(f"{Path(pool['filepath']).name}: {what}{f' ({arch} kernels)' if arch else ''}, "
                     f"{pool['num_threads']} thread(s)")
    return "; ".join(parts)


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown CPU"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeats", type=int, default=5, help="epochs of each implementation (at least 3)")
    parser.add_argument("--lr", type=float, default=0.2)
    parser.add_argument("--synthetic", action="store_true", help="random inputs even if Fashion-MNIST is installed")
    parser.add_argument("--no-torch", action="store_true", help="skip PyTorch (ratio_torch is then nan)")
    parser.add_argument("--no-readable", action="store_true", help="skip notebook 07's readable functions")
    parser.add_argument("--json", type=Path, help="also write the measurements to this file")
    args = parser.parse_args()
    if args.repeats < 3:
        parser.error("--repeats must be at least 3 (the result is a median)")

    with threadpool_limits(limits=1):
        X, Y, X_test, y_test, source = load_data(args.synthetic)
        params = initial_params()
        kinds = [Floor, Fast]
        notes = []
        if not args.no_torch:
            try:
                import torch

                torch.set_num_threads(1)
                torch.set_num_interop_threads(1)
                kinds += [Torch, TorchHandBatched]
            except ImportError:
                notes.append("PyTorch is not installed (pip install torch==2.13.0, or the `bench` extra): skipped")
        if not args.no_readable:
            why_not = Readable.available()
            if why_not is None:
                kinds.append(Readable)
            else:
                notes.append(f"readable row skipped: {why_not}")

        runs = {kind: kind(params, X, Y, args.lr) for kind in kinds}
        steps = -(-len(X) // BATCH)
        print(f"CPU: {cpu_model()}, {os.cpu_count()} logical cores; load average before: {load_average()}")
        print(f"Python {platform.python_version()}, NumPy {np.__version__}"
              + (f", PyTorch {sys.modules['torch'].__version__}" if "torch" in sys.modules else ""))
        print(f"BLAS: {blas_description()}")
        print(f"OPENBLAS_CORETYPE={os.environ.get('OPENBLAS_CORETYPE', '(unset)')} "
              f"OPENBLAS_L2_SIZE={os.environ.get('OPENBLAS_L2_SIZE', '(unset)')}")
        print(f"data: {source}: X {X.shape} {X.dtype}")
        print(f"one epoch: {steps} SGD steps of {BATCH} rows (the last one {len(X) - (steps - 1) * BATCH}), "
              f"lr {args.lr}, network {' -> '.join(map(str, SIZES))}; {args.repeats} epochs of each, interleaved")
        for note in notes:
            print(f"note: {note}")

        for run in runs.values():  # warm-up: first calls, page faults, lazy initialisation
            run.epoch(rows=20 * BATCH)
        wall = {kind: [] for kind in kinds}
        cpu = {kind: [] for kind in kinds}
        for r in range(args.repeats):
            order = kinds[r % len(kinds):] + kinds[:r % len(kinds)]
            for kind in order:
                c0, t0 = time.process_time(), time.perf_counter()
                runs[kind].epoch()
                t1, c1 = time.perf_counter(), time.process_time()
                wall[kind].append(t1 - t0)
                cpu[kind].append(c1 - c0)
        load_after = load_average()

        med = {kind: statistics.median(wall[kind]) for kind in kinds}
        cmed = {kind: statistics.median(cpu[kind]) for kind in kinds}
        print()
        print(f"{'implementation':<48} {'wall s':>7} {'min':>7} {'max':>7} {'cpu s':>7} "
              f"{'/floor':>7} {'fast/it':>8} {'test acc':>9}")
        for kind in kinds:
            acc = runs[kind].test_accuracy(X_test, y_test)
            vs_floor = med[kind] / med[Floor]
            fast_vs = med[Fast] / med[kind]
            print(f"{kind.name:<48} {med[kind]:7.3f} {min(wall[kind]):7.3f} {max(wall[kind]):7.3f} "
                  f"{cmed[kind]:7.3f} {vs_floor:7.3f} {fast_vs:8.3f} "
                  f"{'' if acc is None else f'{acc:9.1%}'}")
        print(f"(wall s: median wall-clock seconds of one epoch; cpu s: median CPU seconds of this process; "
              f"/floor: wall median over the floor's; fast/it: fast's wall median over this row's; "
              f"test acc: on the 10,000 test images after the warm-up and the {args.repeats} timed epochs)")
        print("per-epoch wall seconds, in the order run:")
        for kind in kinds:
            print(f"  {kind.name:<46} " + " ".join(f"{t:.3f}" for t in wall[kind]))
        print(f"fast: mean training loss per epoch: " + " ".join(f"{x:.4f}" for x in runs[Fast].losses[1:]))
        print(f"load average after: {load_after}")
        cpu_floor = cmed[Fast] / cmed[Floor]
        line = f"cpu-time ratios: fast/floor {cpu_floor:.3f}"
        if Torch in med:
            line += (f", fast/torch {cmed[Fast] / cmed[Torch]:.3f}, "
                     f"fast/torch hand-batched {cmed[Fast] / cmed[TorchHandBatched]:.3f}")
        print(line)

        ratio_floor = med[Fast] / med[Floor]
        ratio_torch = med[Fast] / med[Torch] if Torch in med else float("nan")
        if args.json:
            args.json.write_text(json.dumps({
                "source": source, "repeats": args.repeats, "load_before_after": [None, load_after],
                "wall": {k.name: v for k, v in wall.items()}, "cpu": {k.name: v for k, v in cpu.items()},
                "ratio_floor": ratio_floor, "ratio_torch": ratio_torch}, indent=1))
        print(f"ratio_floor={ratio_floor:.3f} ratio_torch={ratio_torch:.3f}")


if __name__ == "__main__":
    main()
