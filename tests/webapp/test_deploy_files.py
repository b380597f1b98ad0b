"""deploy/ and gunicorn.conf.py: the files an operator installs say what the README says, and pass
the tools' own checks (systemd-analyze verify, nginx -t) where those tools are installed."""
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from webapp.config import DEFAULTS

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"


def unit(name: str) -> dict[str, list[str]]:
    """key → values of a systemd unit file (keys may repeat)."""
    values: dict[str, list[str]] = {}
    for line in (DEPLOY / name).read_text(encoding="utf-8").splitlines():
        if "=" in line and not line.lstrip().startswith(("#", "[")):
            key, value = line.split("=", 1)
            values.setdefault(key.strip(), []).append(value.strip())
    return values


def test_deploy_service_runs_hardened_as_its_own_user():
    service = unit("guidance.service")
    assert service["User"] == ["guidance"] and service["Group"] == ["guidance"]
    assert service["Restart"] == ["on-failure"]
    assert service["ProtectSystem"] == ["strict"] and service["NoNewPrivileges"] == ["yes"]
    instance = re.search(r"GUIDANCE_INSTANCE_PATH=(\S+)", " ".join(service["Environment"])).group(1)
    assert service["ReadWritePaths"] == [instance]  # the instance folder, and nothing else, is writable
    assert service["ExecStart"] == ["/opt/guidance/.venv/bin/gunicorn --config /opt/guidance/gunicorn.conf.py"]


def test_deploy_backup_timer_runs_daily_with_retention():
    timer = unit("guidance-backup.timer")
    assert timer["OnCalendar"] == ["*-*-* 02:30:00"] and timer["Persistent"] == ["true"]
    backup = unit("guidance-backup.service")
    env = " ".join(backup["Environment"])
    assert "BACKUP_KEEP_DAYS=30" in env and "BACKUP_KEEP_MIN=7" in env
    assert backup["ReadWritePaths"] == ["/var/lib/guidance /var/backups/guidance"]


def test_deploy_nginx_body_limit_matches_the_app():
    site = (DEPLOY / "nginx-guidance.conf").read_text(encoding="utf-8")
    size = re.search(r"client_max_body_size (\d+)m;", site).group(1)
    assert int(size) * 1024 * 1024 == DEFAULTS["MAX_CONTENT_LENGTH"]
    assert "listen 443 ssl" in site and "return 301 https://" in site
    assert "alias /opt/guidance/static/;" in site
    for header in ("X-Forwarded-For $remote_addr", "X-Forwarded-Proto $scheme", "X-Forwarded-Host $host"):
        assert f"proxy_set_header {header};" in site
    assert "FLASK_TRUSTED_PROXIES=1" in (DEPLOY / "guidance.env").read_text(encoding="utf-8")


def test_deploy_gunicorn_config_workers_from_cpu_count_and_json_access_log(monkeypatch):
    monkeypatch.delenv("GUNICORN_WORKERS", raising=False)
    settings: dict = {}
    exec(compile((ROOT / "gunicorn.conf.py").read_text(encoding="utf-8"), "gunicorn.conf.py", "exec"), settings)
    assert settings["workers"] == min(2 * os.cpu_count() + 1, 12)
    assert settings["wsgi_app"] == "webapp.wsgi:app" and settings["timeout"] == 60
    assert settings["logger_class"].__name__ == "JsonAccessLogger" and settings["accesslog"] == "-"


@pytest.mark.skipif(not shutil.which("systemd-analyze") and os.environ.get("CI") != "true",
                    reason="systemd-analyze not installed (make test installs it; under CI it must run)")
def test_deploy_units_pass_systemd_analyze_verify(tmp_path):
    """Verified as installed, with /opt/guidance pointing at a stand-in tree (verify checks ExecStart exists)."""
    opt = tmp_path / "opt"
    for exe in (".venv/bin/gunicorn", "deploy/backup.sh"):
        (opt / exe).parent.mkdir(parents=True, exist_ok=True)
        (opt / exe).write_text("#!/bin/sh\n")
        (opt / exe).chmod(0o755)
    names = ["guidance.service", "guidance-backup.service", "guidance-backup.timer"]
    for name in names:
        (tmp_path / name).write_text((DEPLOY / name).read_text(encoding="utf-8").replace("/opt/guidance", str(opt)))
    result = subprocess.run(["systemd-analyze", "verify", *names], cwd=tmp_path, capture_output=True, text=True)
    assert result.returncode == 0 and not result.stderr.strip(), result.stderr


@pytest.mark.skipif(not (shutil.which("nginx") and shutil.which("openssl")) and os.environ.get("CI") != "true",
                    reason="nginx or openssl not installed (make test installs them; under CI it must run)")
def test_deploy_nginx_site_passes_nginx_t(tmp_path):
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj",
                    "/CN=guidance.example.internal", "-keyout", tmp_path / "g.key", "-out", tmp_path / "g.crt"],
                   check=True, capture_output=True)
    site = (DEPLOY / "nginx-guidance.conf").read_text(encoding="utf-8")
    site = site.replace("/etc/ssl/guidance/guidance.crt", str(tmp_path / "g.crt"))
    (tmp_path / "site.conf").write_text(site.replace("/etc/ssl/guidance/guidance.key", str(tmp_path / "g.key")))
    mime = "include /etc/nginx/mime.types;" if Path("/etc/nginx/mime.types").exists() else ""
    (tmp_path / "nginx.conf").write_text(
        f"pid {tmp_path}/nginx.pid;\nerror_log stderr;\nevents {{}}\n"
        f"http {{ {mime} access_log off; include {tmp_path}/site.conf; }}\n")
    result = subprocess.run(["nginx", "-t", "-p", str(tmp_path), "-c", str(tmp_path / "nginx.conf")],
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert "test is successful" in result.stderr


def test_deploy_backup_script_backs_up_and_keeps_the_newest(app, tmp_path):
    """backup.sh as the timer runs it: a new copy, old ones past retention removed, /healthz told."""
    from webapp.health import last_backup

    backups = tmp_path / "backups"
    backups.mkdir()
    old = time.time() - 40 * 86400
    for day in range(10):  # ten copies from 40+ days ago
        path = backups / f"guidance-202601{day + 10:02d}-023000.sqlite"
        path.write_bytes(b"old")
        os.utime(path, (old - day * 86400, old - day * 86400))
        path.with_name(path.name + ".json").write_text("{}")
    url = app.config["SQLALCHEMY_DATABASE_URI"]
    env = {**os.environ, "BACKUP_DIR": str(backups), "BACKUP_KEEP_DAYS": "30", "BACKUP_KEEP_MIN": "7",
           "GUIDANCE_INSTANCE_PATH": app.instance_path, "DATABASE_URL": url, "GUIDANCE_HOME": str(ROOT),
           "FLASK": f"{sys.executable} -m flask", "PYTHONPATH": str(ROOT)}
    result = subprocess.run([str(DEPLOY / "backup.sh")], env=env, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    kept = sorted(p.name for p in backups.iterdir() if p.suffix != ".json")
    assert len(kept) == 7  # the new copy and the six newest old ones
    new = [name for name in kept if not name.startswith("guidance-202601")]
    assert len(new) == 1 and new[0].endswith(".dump" if url.startswith("postgresql") else ".sqlite")
    assert sorted(p.name for p in backups.glob("*.json")) == [name + ".json" for name in kept]  # sidecars go with their copy
    assert (backups / new[0]).stat().st_size > 1000
    assert "guidance-20260110-023000.sqlite" in kept and "guidance-20260119-023000.sqlite" not in kept
    assert last_backup(app.instance_path)["file"] == new[0]
