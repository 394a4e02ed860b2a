"""Read and write the IDX format of MNIST and Fashion-MNIST, refusing damaged files.

Contract: :func:`read_idx` returns the array stored in an IDX file (gzip-compressed
or not) or raises :class:`DataFileError` with one sentence saying what is wrong and
what to do. A file is never half-read: the header's dimensions must account for every
byte of the payload, no more and no less.

The format: two zero bytes, a type code (0x08 = unsigned byte), the number of
dimensions, then each dimension as a big-endian 32-bit integer, then the data in C order.
"""
from __future__ import annotations

import gzip
import hashlib
import struct
import zlib
from pathlib import Path

import numpy as np

_DTYPES = {0x08: np.uint8, 0x09: np.int8, 0x0B: np.dtype(">i2"), 0x0C: np.dtype(">i4"),
           0x0D: np.dtype(">f4"), 0x0E: np.dtype(">f8")}
_CODES = {np.dtype(np.uint8): 0x08, np.dtype(np.int8): 0x09}


class DataFileError(ValueError):
    """A data file is missing, damaged or not the file we expect. The message says what to do."""


def sha256_of(path) -> str:
    """Hex SHA-256 digest of a file's bytes."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def parse_idx(raw: bytes, name: str = "the file") -> np.ndarray:
    """Decode the bytes of an (uncompressed) IDX file into an array."""
    if len(raw) < 4 or raw[0] != 0 or raw[1] != 0 or raw[2] not in _DTYPES:
        raise DataFileError(f"{name} is not an IDX file (its first bytes are wrong); delete it and fetch it again.")
    dtype, ndim = np.dtype(_DTYPES[raw[2]]), raw[3]
    header = 4 + 4 * ndim
    if len(raw) < header:
        raise DataFileError(f"{name} is cut off inside its header; delete it and fetch it again.")
    shape = struct.unpack(f">{ndim}I", raw[4:header])
    expected = int(np.prod(shape, dtype=np.int64)) * dtype.itemsize
    if len(raw) - header != expected:
        what = "is truncated" if len(raw) - header < expected else "has extra bytes at the end"
        raise DataFileError(f"{name} {what} ({len(raw) - header} data bytes, the header promises {expected}); "
                            f"delete it and fetch it again.")
    array = np.frombuffer(raw, dtype=dtype, offset=header).reshape(shape)
    return array.astype(dtype.newbyteorder("="), copy=True)


def read_idx(path) -> np.ndarray:
    """Read an IDX file, gzip-compressed (``.gz``) or plain.

    Raises
    ------
    DataFileError
        When the file is missing, its gzip stream is damaged or cut off, or its
        payload does not match its header.
    """
    path = Path(path)
    try:
        data = path.read_bytes()
    except OSError as error:
        raise DataFileError(f"{path.name} could not be read ({error.strerror}).") from None
    if data[:2] == b"\x1f\x8b":
        try:
            data = gzip.decompress(data)
        except (OSError, EOFError, zlib.error):
            raise DataFileError(f"{path.name} is a damaged or incomplete gzip file; delete it and fetch it "
                                f"again.") from None
    return parse_idx(data, path.name)


def write_idx(path, array, compress: bool | None = None) -> Path:
    """Write a uint8 or int8 array as an IDX file (gzip-compressed when the name ends in .gz)."""
    path = Path(path)
    array = np.ascontiguousarray(array)
    code = _CODES.get(array.dtype)
    if code is None:
        raise TypeError(f"write_idx stores uint8 or int8 arrays, not {array.dtype}")
    raw = bytes([0, 0, code, array.ndim]) + struct.pack(f">{array.ndim}I", *array.shape) + array.tobytes()
    if compress if compress is not None else path.suffix == ".gz":
        raw = gzip.compress(raw, mtime=0)
    path.write_bytes(raw)
    return path
