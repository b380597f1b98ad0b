"""The instance lock: serving processes hold it shared, `flask restore` needs it alone.

An fcntl lock (not a pid file) is released by the kernel when a process dies, even by kill -9,
so a crashed server never blocks a restore and a running one always does.
"""
from __future__ import annotations

import fcntl
import os
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

LOCK_NAME = "server.lock"
_held: list[int] = []  # the serving process's descriptor: open for its lifetime


class InstanceBusy(RuntimeError):
    """Another process holds the lock in the way this one needs it."""


def _open(instance_path: str) -> int:
    return os.open(Path(instance_path) / LOCK_NAME, os.O_RDWR | os.O_CREAT, 0o600)


def hold_serving_lock(instance_path: str) -> None:
    """Taken by a web server or worker process at start; raises InstanceBusy during a restore."""
    if _held:
        return
    fd = _open(instance_path)
    try:
        fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(fd)
        raise InstanceBusy(f"正在恢复数据库（{Path(instance_path) / LOCK_NAME} 被占用）：请等恢复完成后再启动") from None
    _held.append(fd)


def release_serving_lock() -> None:
    while _held:
        os.close(_held.pop())


@contextmanager
def exclusive_lock(instance_path: str) -> Iterator[None]:
    """For `flask restore`: refuses at once while any server or worker holds the lock."""
    fd = _open(instance_path)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise InstanceBusy("Web 服务或后台任务程序（flask worker）正在运行：请先停止它们（如 systemctl stop guidance），"
                               "再恢复备份") from None
        yield
    finally:
        os.close(fd)
