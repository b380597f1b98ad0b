"""Two app servers, one database, one files folder: the honest proof of "runs on more than one machine".

Two gunicorn instances (the repository's gunicorn.conf.py, different loopback ports) share the test
database and the instance folder; 2 × 100 records are filed alternating between them, several at a
time. The numbers must be gapless, and every file of every record must be served by both servers
with the same bytes. The files are discovered per record (`served_files`), so attachments and
stored document versions are checked too (an attachment is uploaded through the other server).
"""
from __future__ import annotations

import http.cookiejar
import io
import json
import multiprocessing
import os
import re
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack, contextmanager
from pathlib import Path

import pytest

from tests.webapp.records_data import valid_record

ROOT = Path(__file__).resolve().parents[2]
RECORDS_PER_SERVER = 100


def _needs_a_shared_database():
    if not os.environ.get("TEST_DATABASE_URL") and os.environ.get("CI") != "true":
        pytest.skip("runs in make test's PostgreSQL pass (TEST_DATABASE_URL) and always under CI")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Client:
    """A tiny HTTP client (standard library only) with its own cookie jar."""

    def __init__(self, token: str | None = None, jar=None):
        self.token = token
        self.jar = jar if jar is not None else http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar),
                                                  _NoRedirect())

    def request(self, method, url, body=None, form=None, headers=None, files=None):
        headers = dict(headers or {})
        data = None
        if files is not None:  # multipart/form-data: {field: (filename, bytes)}
            boundary = "----two-servers-boundary"
            parts = []
            for field, (filename, content) in files.items():
                parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{field}"; '
                             f'filename="{filename}"\r\nContent-Type: application/octet-stream\r\n\r\n'
                             .encode() + content + b"\r\n")
            data = b"".join(parts) + f"--{boundary}--\r\n".encode()
            headers["Content-Type"] = f"multipart/form-data; boundary={boundary}"
        elif body is not None:
            data, headers["Content-Type"] = json.dumps(body).encode(), "application/json"
        elif form is not None:
            data = urllib.parse.urlencode(form).encode()
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        req = urllib.request.Request(url, data=data, method=method, headers=headers)
        try:
            with self.opener.open(req, timeout=120) as response:
                return response.status, response.headers, response.read()
        except urllib.error.HTTPError as exc:
            return exc.code, exc.headers, exc.read()


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


@contextmanager
def gunicorn(port: int, database_url: str, instance: Path, log: Path):
    env = {**os.environ, "DATABASE_URL": database_url, "GUIDANCE_INSTANCE_PATH": str(instance),
           "GUNICORN_BIND": f"127.0.0.1:{port}", "GUNICORN_WORKERS": "2", "GUNICORN_THREADS": "2",
           "FLASK_MFA_REQUIRED_ROLES": "[]", "FLASK_BACKUP_MAX_AGE_HOURS": "0", "PYTHONPATH": str(ROOT)}
    with open(log, "wb") as out:
        proc = subprocess.Popen([sys.executable, "-m", "gunicorn", "--config", str(ROOT / "gunicorn.conf.py")],
                                cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 90
        while True:
            if proc.poll() is not None:
                pytest.fail(f"gunicorn on {port} exited {proc.returncode}:\n{log.read_text()[-3000:]}")
            try:
                status, _, body = Client().request("GET", f"{base}/healthz")
                if status == 200:
                    break
            except OSError:
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"gunicorn on {port} never became healthy:\n{log.read_text()[-3000:]}")
            time.sleep(0.3)
        yield base
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=40)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def served_files(client: Client, base: str, record_id: int) -> list[str]:
    """Every file a record has: its documents, its attachments and its stored document versions."""
    status, _, body = client.request("GET", f"{base}/api/v1/records/{record_id}")
    assert status == 200
    detail = json.loads(body)
    paths = [f"/records/{record_id}/document.pdf"]
    if detail["record"]["method"] in ("advice", "admonition"):
        paths.append(f"/records/{record_id}/opinion.pdf")
    for key in ("attachments", "documents"):
        paths += [item["url"] for item in detail.get(key, []) if item.get("url")]
    return list(dict.fromkeys(paths))


def _pdf(text: str) -> bytes:
    """A small real PDF (the server reads it to count its pages)."""
    from reportlab.pdfgen import canvas

    out = io.BytesIO()
    page = canvas.Canvas(out, invariant=1)
    page.drawString(72, 720, text)
    page.save()
    return out.getvalue()


def _file_one(args):
    client, base, i, other = args
    status, _, body = client.request("POST", f"{base}/api/v1/records", body=valid_record(subject=f"两台服务器第{i}件"))
    assert status == 201, body[:500]
    record_id = json.loads(body)["id"]
    # The attachment goes in through the other server: both write to the one files folder.
    content = _pdf(f"record {i}")
    status, _, body = client.request("POST", f"{other}/api/v1/records/{record_id}/attachments",
                                     files={"file": (f"送达回证{i}.pdf", content)})
    assert status == 201, body[:500]
    status, _, body = client.request("POST", f"{base}/api/v1/records/{record_id}/submit", body={})
    assert status == 200, body[:500]
    result = json.loads(body)
    assert result["status"] == "filed"
    return record_id, result["number"]


@pytest.mark.slow
def test_two_servers_file_gapless_and_serve_every_file(app, tmp_path):
    _needs_a_shared_database()
    from webapp.services.accounts import issue_api_token

    with app.app_context():
        token = issue_api_token("staff")
    instance = tmp_path / "shared-instance"  # one folder for both: secret key, files, backups
    instance.mkdir()
    with ExitStack() as stack:
        servers = [stack.enter_context(gunicorn(_free_port(), app.config["SQLALCHEMY_DATABASE_URI"], instance,
                                                tmp_path / f"gunicorn-{n}.log")) for n in (0, 1)]
        api = Client(token)
        jobs = [(api, servers[i % 2], i, servers[(i + 1) % 2]) for i in range(2 * RECORDS_PER_SERVER)]
        with ThreadPoolExecutor(max_workers=4) as pool:
            filed = list(pool.map(_file_one, jobs))

        numbers = [int(re.fullmatch(r"指导书〔\d{4}〕(\d+)号", number).group(1)) for _, number in filed]
        assert sorted(numbers) == list(range(1, 2 * RECORDS_PER_SERVER + 1))  # gapless, no duplicates

        def fetch_everywhere(record_id):
            paths = served_files(api, servers[0], record_id)
            assert any("/attachments/" in path for path in paths), paths
            assert any("/versions/" in path for path in paths), paths
            for path in paths:
                copies = []
                for base in servers:
                    status, headers, body = api.request("GET", base + path)
                    assert status == 200 and body, f"{base}{path} → {status}"
                    copies.append(body)
                assert copies[0] == copies[1], f"{path} differs between the servers"
            return True

        with ThreadPoolExecutor(max_workers=4) as pool:
            assert all(pool.map(fetch_everywhere, [record_id for record_id, _ in filed]))

        # A browser's session from one server is valid on the other (one secret key, one database).
        browser = Client()
        status, _, page = browser.request("GET", f"{servers[0]}/login")
        token_match = re.search(rb'name="csrf-token" content="([^"]+)"', page)
        status, headers, _ = browser.request("POST", f"{servers[0]}/login", form={
            "username": "staff", "password": "correct-horse-42", "csrf_token": token_match.group(1).decode()})
        assert status == 302 and headers["Location"] == "/"
        assert browser.request("GET", f"{servers[1]}/records/mine")[0] == 200
    logs = [json.loads(line) for n in (0, 1)
            for line in (tmp_path / f"gunicorn-{n}.log").read_text().splitlines() if line.startswith('{"time"')]
    assert any(entry.get("user") == "staff" and entry.get("route") == "/records/mine" for entry in logs)


def _key(instance):
    from webapp.config import load_or_create_secret_key

    return load_or_create_secret_key(instance)


def test_two_servers_secret_key_created_once_by_processes_starting_together(tmp_path):
    with multiprocessing.get_context("spawn").Pool(8) as pool:
        keys = pool.map(_key, [str(tmp_path)] * 16)
    assert len(set(keys)) == 1 and len(keys[0]) == 64
    assert [p.name for p in tmp_path.iterdir()] == ["secret_key"]  # no partial files left behind
