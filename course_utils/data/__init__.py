"""Data for the course: real MNIST (offline first, verified) and an IDX reader.

- :mod:`course_utils.data.idx`       read/write IDX files, refusing damaged ones
- :mod:`course_utils.data.verified`  cache folder, pinned SHA-256, downloads from mirrors
- :mod:`course_utils.data.mnist`     :func:`load_mnist`, :func:`load_fashion_mnist`
"""
from course_utils.data.idx import DataFileError, read_idx, write_idx
from course_utils.data.mnist import Dataset, load_fashion_mnist, load_mnist

__all__ = ["DataFileError", "Dataset", "load_fashion_mnist", "load_mnist", "read_idx", "write_idx"]
