"""Object storage in a local folder (``file:///abs/path``), the embedded default.

Every write goes to a hidden temporary file in the key's own folder first (same file system,
so the final step is a rename or a hard link, both atomic), is flushed to disk, and only
then becomes visible:

- :meth:`FileStorage.put_if_absent` hard-links the temporary file to the key: ``link(2)``
  fails when the name exists, so of two racing writers exactly one creates it, and the
  other compares bytes;
- :meth:`FileStorage.put` renames over the key (``os.replace``): readers see the old file or
  the new one, never a partial one;
- :meth:`FileStorage.compare_and_put` holds an advisory lock (``flock``) on a hidden lock
  file beside the key while it compares and replaces; plain :meth:`put` takes the same lock,
  so a pointer moved by either is never lost to the other.

Keys may not start with a dot (see ``_base``), so the hidden files never show as keys.
``durable=False`` skips the ``fsync`` calls: still atomic, but a power cut may lose the last
writes (for benchmarks and throw-away stores).
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import secrets
from collections.abc import Iterator
from pathlib import Path

from sink.storage._base import (
    StorageConflict,
    StorageError,
    validate_key,
    validate_prefix,
)

_FILE_MODE = 0o644  # credentials are public documents: a static web server may serve them


class FileStorage:
    """Keys as files under ``root``; safe for threads and for processes on one host."""

    def __init__(self, root: Path, *, durable: bool = True) -> None:
        if not root.is_absolute():
            raise StorageError(f"file storage root {root} must be an absolute path")
        self._root = root
        self._durable = durable
        try:
            root.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise StorageError(f"cannot create the storage folder {root}: {exc.strerror}") from exc
        if not root.is_dir():
            raise StorageError(f"file storage root {root} is not a folder")

    @property
    def url(self) -> str:
        return self._root.as_uri()

    @property
    def root(self) -> Path:
        return self._root

    def put_if_absent(self, key: str, data: bytes, media_type: str) -> bool:
        path = self._path(key)
        _check_data(key, data)
        try:
            # Re-delivery is the common case for immutable keys: answer it from a read, with
            # no scratch file and no fsync. The hard link below still decides any race.
            existing = _read(path)
            if existing is not None:
                if existing == data:
                    return False
                raise StorageConflict(key)
            return self._link_new(key, path, data)
        except OSError as exc:
            raise _error("write", key, exc) from exc

    def put(self, key: str, data: bytes, media_type: str) -> None:
        path = self._path(key)
        _check_data(key, data)
        try:
            self._ensure_dir(path.parent)
            with self._locked(path):
                self._replace(path, data)
        except OSError as exc:
            raise _error("write", key, exc) from exc

    def compare_and_put(
        self, key: str, data: bytes, media_type: str, *, expected: bytes | None
    ) -> bool:
        path = self._path(key)
        _check_data(key, data)
        try:
            self._ensure_dir(path.parent)
            with self._locked(path):
                current = _read(path)
                if current != expected:
                    return False
                if expected is None:
                    # A put_if_absent does not take the lock, so creating must be exclusive.
                    return self._link_new(key, path, data, conflict_is_false=True)
                self._replace(path, data)
                return True
        except OSError as exc:
            raise _error("write", key, exc) from exc

    def get(self, key: str) -> bytes | None:
        path = self._path(key)
        try:
            return _read(path)
        except OSError as exc:
            raise _error("read", key, exc) from exc

    def list(self, prefix: str = "") -> list[str]:
        validate_prefix(prefix)
        # Walk the deepest folder the prefix names whole, then filter on the rest.
        folder = prefix if prefix.endswith("/") or not prefix else prefix.rpartition("/")[0]
        start = self._root.joinpath(*folder.split("/")) if folder else self._root
        keys: list[str] = []
        for dirpath, dirnames, filenames in os.walk(start):
            dirnames[:] = [d for d in dirnames if not d.startswith(".")]
            relative = Path(dirpath).relative_to(self._root).as_posix()
            for name in filenames:
                if name.startswith("."):
                    continue
                key = name if relative == "." else f"{relative}/{name}"
                if key.startswith(prefix):
                    keys.append(key)
        return sorted(keys)

    def close(self) -> None:
        """Nothing to release: every call opens and closes its own files."""

    def __repr__(self) -> str:
        return f"FileStorage({self.url!r}, durable={self._durable})"

    # -- internals -------------------------------------------------------------------------

    def _path(self, key: str) -> Path:
        return self._root.joinpath(*validate_key(key).split("/"))

    def _link_new(
        self, key: str, path: Path, data: bytes, *, conflict_is_false: bool = False
    ) -> bool:
        self._ensure_dir(path.parent)
        tmp = self._write_temp(path.parent, data)
        try:
            try:
                os.link(tmp, path)
            except FileExistsError:
                existing = _read(path)
                if existing is None:
                    raise StorageError(
                        f"cannot write {key}: a folder of other keys has that name"
                    ) from None
                if existing == data:
                    return False
                if conflict_is_false:
                    return False
                raise StorageConflict(key) from None
        finally:
            tmp.unlink()
        self._sync_dir(path.parent)
        return True

    def _replace(self, path: Path, data: bytes) -> None:
        tmp = self._write_temp(path.parent, data)
        try:
            os.replace(tmp, path)
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise
        self._sync_dir(path.parent)

    def _write_temp(self, folder: Path, data: bytes) -> Path:
        tmp = folder / f".tmp-{secrets.token_hex(8)}"
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, _FILE_MODE)
        try:
            view = memoryview(data)
            while view:
                view = view[os.write(fd, view) :]
            if self._durable:
                os.fsync(fd)
        except BaseException:
            os.close(fd)
            tmp.unlink(missing_ok=True)
            raise
        os.close(fd)
        return tmp

    def _ensure_dir(self, folder: Path) -> None:
        if folder.is_dir():
            return
        missing = []
        probe = folder
        while not probe.is_dir():
            missing.append(probe)
            probe = probe.parent
        for created in reversed(missing):
            try:
                created.mkdir()
            except FileExistsError:
                if not created.is_dir():
                    raise
            # The new folder's name lives in its parent: flush that too, or a crash loses it.
            self._sync_dir(created.parent)

    def _sync_dir(self, folder: Path) -> None:
        if not self._durable:
            return
        fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)

    @contextlib.contextmanager
    def _locked(self, path: Path) -> Iterator[None]:
        fd = os.open(path.with_name(f".lock-{path.name}"), os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            yield
        finally:
            os.close(fd)  # closing the descriptor releases the lock


def _read(path: Path) -> bytes | None:
    try:
        return path.read_bytes()
    except (FileNotFoundError, NotADirectoryError, IsADirectoryError):
        # No file there, or a key whose name is a folder of other keys: no such object.
        return None


def _check_data(key: str, data: bytes) -> None:
    if not isinstance(data, bytes | bytearray | memoryview):
        raise StorageError(f"cannot write {key}: data must be bytes, not {type(data).__name__}")


def _error(action: str, key: str, exc: OSError) -> StorageError:
    reason = exc.strerror or type(exc).__name__
    if isinstance(exc, NotADirectoryError | FileExistsError):
        reason = f"a parent of the key is an object, not a folder ({reason})"
    return StorageError(f"cannot {action} {key}: {reason}")
