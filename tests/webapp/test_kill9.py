"""kill -9 of every server process in the middle of filing (issue 15): nothing acknowledged is lost,
numbers stay gapless, and `flask verify` is clean after the restart.

gunicorn (the repository's gunicorn.conf.py, 4 workers) on the suite's database; 8 API clients
file 25 records each (create, then submit). When about a third is filed, SIGKILL goes to the whole
process group (master and workers at once); the server is started again on the same port and the
clients carry on, retrying what got no answer. Runs on SQLite and, in make test's PostgreSQL
pass, on PostgreSQL.
"""
from __future__ import annotations

import http.client
import json
import os
import signal
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from pathlib import Path

import pytest
from sqlalchemy import select

from tests.conftest import make_app
from tests.webapp.records_data import org_target, valid_record
from tests.webapp.test_two_servers import Client, _free_port
from webapp.extensions import db
from webapp.models import DocumentVersion, GuidanceRecord
from webapp.models.record import SHANGHAI
from webapp.services.number_journal import read_journal

ROOT = Path(__file__).resolve().parents[2]
CLIENTS = 8
FILINGS_PER_CLIENT = 25
KILL_AFTER = 60  # acknowledged filings before the kill: "in the middle"
DEADLINE_S = 600


class Server:
    """gunicorn in its own process group, so one killpg reaches the master and every worker."""

    def __init__(self, database_url: str, instance: Path, log: Path):
        self.port = _free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.env = {**os.environ, "DATABASE_URL": database_url, "GUIDANCE_INSTANCE_PATH": str(instance),
                    "GUNICORN_BIND": f"127.0.0.1:{self.port}", "GUNICORN_WORKERS": "4", "GUNICORN_THREADS": "2",
                    "FLASK_MFA_REQUIRED_ROLES": "[]", "FLASK_BACKUP_MAX_AGE_HOURS": "0", "PYTHONPATH": str(ROOT)}
        self.log = log
        self.proc: subprocess.Popen | None = None

    def start(self) -> None:
        with open(self.log, "ab") as out:
            self.proc = subprocess.Popen([sys.executable, "-m", "gunicorn", "--config", str(ROOT / "gunicorn.conf.py")],
                                         cwd=ROOT, env=self.env, stdout=out, stderr=subprocess.STDOUT,
                                         start_new_session=True)
        deadline = time.monotonic() + 90
        while True:
            if self.proc.poll() is not None:
                pytest.fail(f"gunicorn exited {self.proc.returncode}:\n{self.log.read_text()[-3000:]}")
            try:
                if Client().request("GET", f"{self.base}/healthz")[0] == 200:
                    return
            except OSError:
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"gunicorn never became healthy:\n{self.log.read_text()[-3000:]}")
            time.sleep(0.3)

    def kill9(self) -> int:
        """SIGKILL to the master and every worker at once; returns how many processes there were."""
        pids = subprocess.run(["pgrep", "-g", str(self.proc.pid)], capture_output=True, text=True).stdout.split()
        os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc.wait()
        return len(pids)

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=40)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()


def _call(api: Client, server: Server, method: str, path: str, body=None):
    """One request, repeated while the server is down (no answer is not an answer)."""
    deadline = time.monotonic() + DEADLINE_S
    while True:
        try:
            return api.request(method, server.base + path, body=body)
        except (OSError, http.client.HTTPException):  # refused, reset, or the answer cut off by the kill
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)


@pytest.mark.slow
def test_kill9_mid_load_loses_no_acknowledged_filing(app, tmp_path):
    from webapp.services.accounts import issue_api_token

    with app.app_context():
        token = issue_api_token("staff")
    instance = tmp_path / "instance"
    server = Server(app.config["SQLALCHEMY_DATABASE_URI"], instance, tmp_path / "gunicorn.log")
    acknowledged: dict[int, str] = {}  # record id → number the server answered with
    recovered: dict[int, str] = {}  # filed, but the answer was lost in the kill
    lock = threading.Lock()
    half_way = threading.Event()

    def client(n: int) -> list[str]:
        api = Client(token)
        problems = []
        for i in range(FILINGS_PER_CLIENT):
            record = valid_record(subject=f"断电测试第{n}组第{i}件", target=org_target(f"淄博断电测试{n}-{i}号有限公司"))
            status, _, body = _call(api, server, "POST", "/api/v1/records", record)
            if status != 201:
                problems.append(f"create {n}/{i}: {status} {body[:200]!r}")
                continue
            record_id = json.loads(body)["id"]
            status, _, body = _call(api, server, "POST", f"/api/v1/records/{record_id}/submit", {})
            if status == 200 and json.loads(body)["status"] == "filed":
                with lock:
                    acknowledged[record_id] = json.loads(body)["number"]
                    if len(acknowledged) >= KILL_AFTER:
                        half_way.set()
            elif status == 409:  # the first submit took effect but its answer never arrived
                status, _, body = _call(api, server, "GET", f"/api/v1/records/{record_id}")
                with lock:
                    recovered[record_id] = json.loads(body)["number"]
            else:
                problems.append(f"submit {n}/{i}: {status} {body[:200]!r}")
        return problems

    server.start()
    try:
        with ThreadPoolExecutor(max_workers=CLIENTS) as pool:
            futures = [pool.submit(client, n) for n in range(CLIENTS)]
            assert half_way.wait(timeout=DEADLINE_S), "the clients never got half way"
            killed = server.kill9()
            before_kill = len(acknowledged)
            server.start()
            problems = [p for f in futures for p in f.result(timeout=DEADLINE_S)]
    finally:
        server.stop()
    assert killed >= 5  # the master and 4 workers
    assert problems == []
    assert KILL_AFTER <= before_kill < CLIENTS * FILINGS_PER_CLIENT  # the kill came mid-load
    assert len(acknowledged) + len(recovered) == CLIENTS * FILINGS_PER_CLIENT

    checker = make_app(app.config["SQLALCHEMY_DATABASE_URI"], instance)  # the server's files folder and journal
    verified = checker.test_cli_runner().invoke(args=["verify"])
    assert verified.exit_code == 0, verified.output
    with checker.app_context():
        filed = {r.id: r for r in db.session.scalars(select(GuidanceRecord).where(GuidanceRecord.status == "filed"))}
        documents = {v.record_id for v in db.session.scalars(
            select(DocumentVersion).where(DocumentVersion.kind == "guidance", DocumentVersion.state == "filed"))}
        year = datetime.now(SHANGHAI).year
        for record_id, number in {**acknowledged, **recovered}.items():
            assert record_id in filed and filed[record_id].number == number, record_id
            assert record_id in documents, f"filed record #{record_id} has no stored document"
        numbers = sorted(r.number_seq for r in filed.values())
        assert numbers == list(range(1, len(filed) + 1))  # gapless, none twice
        journal = {line.number for line in read_journal(Path(checker.config["NUMBER_JOURNAL"])) if line.year == year}
        assert set(numbers) <= journal  # every number that exists was journaled before its commit
        db.session.remove()
        db.engine.dispose()


def test_make_test_runs_the_slow_tests_on_both_engines():
    """This test and the other slow ones are part of `make test`: nothing deselects the marker."""
    import tomllib

    addopts = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["pytest"]["ini_options"]["addopts"]
    runs = [line for line in (ROOT / "Makefile").read_text().splitlines() if "pytest" in line]
    assert len(runs) >= 2 and any("TEST_DATABASE_URL" in line for line in runs)
    assert "slow" not in addopts and not any("slow" in line for line in runs)
