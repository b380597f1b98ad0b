"""The files folder: bytes stored content-addressed (ab/cd/abcd…), written atomically, once.

Several app servers may share the folder (a mount): a file's name is its SHA-256, so two
writers of the same bytes write the same file, and a reader can always tell whether what it
finds is what was stored. Nothing here knows about records; the database says what a file is.
"""
from __future__ import annotations

import hashlib
import os
import re
import tempfile
import threading
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path

from rules.vocabulary import FILE_PROBLEMS

from webapp.extensions import settings
from webapp.services import DomainError

SHA256_HEX = re.compile(r"[0-9a-f]{64}")
CHUNK = 1024 * 1024
OK, MISSING, CHANGED = "ok", "missing", "changed"


class StoredFileProblem(DomainError):
    """A stored file is missing or no longer has its recorded hash: it is never served."""

    status = 409

    def __init__(self, problem: str, what: str):
        super().__init__(f"{FILE_PROBLEMS[problem]}：{what}的存储文件{'不存在' if problem == MISSING else '与登记的 SHA-256 不一致'}，"
                         "系统不会提供该文件。请联系管理员从备份恢复（flask --app webapp verify 列出全部问题）。")
        self.problem = problem


@dataclass(frozen=True)
class Stored:
    sha256: str
    size: int


def sha256_of(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


class FileStore:
    """One files folder. `state()` remembers a verified file by its inode, size and times, so
    a page can show every file's state without hashing it again until the file is touched."""

    def __init__(self, root: str | os.PathLike):
        self.root = Path(root)
        self._verified: OrderedDict[tuple, str] = OrderedDict()
        self._lock = threading.Lock()

    def path(self, sha256: str) -> Path:
        if not SHA256_HEX.fullmatch(sha256 or ""):
            raise ValueError(f"not a SHA-256 hex digest: {sha256!r}")
        return self.root / sha256[:2] / sha256[2:4] / sha256

    def put(self, data: bytes) -> Stored:
        """Store `data` under its hash; the same bytes are written once (a damaged copy is replaced)."""
        digest = sha256_of(data)
        target = self.path(digest)
        if self.state(digest) != OK:
            write_atomically(target, data)
        return Stored(digest, len(data))

    def state(self, sha256: str) -> str:
        path = self.path(sha256)
        try:
            info = path.stat()
        except FileNotFoundError:
            return MISSING
        key = (str(path), info.st_ino, info.st_size, info.st_mtime_ns, info.st_ctime_ns)
        with self._lock:
            if key in self._verified:
                self._verified.move_to_end(key)
                return self._verified[key]
        result = OK if hash_file(path) == sha256 else CHANGED
        with self._lock:
            self._verified[key] = result
            while len(self._verified) > 4096:
                self._verified.popitem(last=False)
        return result

    def read(self, sha256: str, what: str = "文件") -> bytes:
        """The stored bytes, checked against their hash (StoredFileProblem if missing or changed)."""
        try:
            data = self.path(sha256).read_bytes()
        except FileNotFoundError:
            raise StoredFileProblem(MISSING, what) from None
        if sha256_of(data) != sha256:
            raise StoredFileProblem(CHANGED, what)
        return data

    def put_derived(self, name: str, data: bytes) -> Path:
        """A file derived from stored ones (thumbnails, archives): regenerable, not content-addressed."""
        target = self.root / name
        write_atomically(target, data)
        return target


def hash_file(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        while chunk := fh.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def write_atomically(target: Path, data: bytes) -> None:
    """Temp file in the same folder, fsync, rename, fsync the folder: readers never see half a file."""
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, temp = tempfile.mkstemp(dir=target.parent, prefix=".tmp-")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(temp, 0o644)
        os.replace(temp, target)
    except BaseException:
        if os.path.exists(temp):
            os.unlink(temp)
        raise
    directory = os.open(target.parent, os.O_RDONLY)
    try:
        os.fsync(directory)
    finally:
        os.close(directory)


_stores: dict[str, FileStore] = {}
_stores_lock = threading.Lock()


def file_store() -> FileStore:
    """The current app's files folder (FILES_FOLDER)."""
    root = str(settings["FILES_FOLDER"])
    with _stores_lock:
        store = _stores.get(root)
        if store is None:
            store = _stores[root] = FileStore(root)
        return store
