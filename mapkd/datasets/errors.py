"""Errors raised by the data pipeline; each names the file, token or value at fault."""
from __future__ import annotations


class DatasetError(Exception):
    """Bad or inconsistent input data (wrong version string, unknown token, bad map file...)."""


class MissingDataFileError(DatasetError, FileNotFoundError):
    """A file the dataset needs (image, sweep, map expansion, table, shapefile) does not exist."""


class MapExpansionError(DatasetError):
    """The nuScenes map expansion is missing or older than v1.3."""


class UnreadableFileError(DatasetError):
    """A file exists but cannot be decoded (truncated JPEG, bad point cloud...)."""


class CacheError(DatasetError):
    """A cache file is corrupt, outdated or was written for other parameters."""
