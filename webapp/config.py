"""Configuration layering: defaults here → instance/config.py → FLASK_* environment."""
from __future__ import annotations

import os
import secrets
from pathlib import Path


class StartupError(SystemExit):
    """A problem the operator must fix before the app can run; printed as one line, no traceback."""

    def __init__(self, message: str):
        super().__init__(f"启动失败 / startup error: {message}")
        self.message = message


DEFAULTS = {
    "BUREAU_NAME": "周村区自然资源局",
    "DOCUMENT_NUMBER_PREFIX": "指导书",
    # PDF_FONTS = {"title"|"heading"|"body": path to a TrueType face} (GB/T 9704 小标宋, 黑体, 仿宋):
    # not a default here, so FLASK_PDF_FONTS__body never edits a dict shared by every app; the
    # roles left out get webapp.pdf.fonts.DEFAULT_FONTS at start-up (webapp._check_font).
    # The 意见书's standard sentences, worded from the work plan's 自愿原则 and 公正公开原则 (救济权).
    "OPINION_VOLUNTARINESS_TEXT": (
        "本意见书属于行政指导，不具有强制力。是否采纳以上指导意见，由你（单位）自愿决定，"
        "我局不会采取强制或者变相强制的方式要求你（单位）接受。"
    ),
    "OPINION_OBJECTION_TEXT": (
        "你（单位）对本意见书有异议的，可以向我局提出，陈述理由和意见，我局将认真听取并予以答复；"
        "认为我局实施行政指导侵犯你（单位）合法权益的，可以依法寻求救济。"
    ),
    "SQLITE_BUSY_TIMEOUT_MS": 15000,
    # PostgreSQL: how long a statement waits for a row or table lock before the request answers 503.
    "PG_LOCK_TIMEOUT_MS": 15000,
    "SESSION_COOKIE_HTTPONLY": True,
    "SESSION_COOKIE_SAMESITE": "Lax",
    "SESSION_COOKIE_SECURE": False,
    "REMEMBER_COOKIE_HTTPONLY": True,
    "REMEMBER_COOKIE_SAMESITE": "Lax",
    "WTF_CSRF_TIME_LIMIT": None,
    "WTF_CSRF_HEADERS": ["X-CSRFToken"],
    # Throttling (per window): one address guessing one account is locked out after 5 failures;
    # an address guessing many accounts after 20; one account guessed from many addresses is
    # never locked, only slowed (1 s, 2 s, 4 s … between tries) after 10.
    "LOGIN_MAX_FAILURES_PER_ACCOUNT_AND_IP": 5,
    "LOGIN_MAX_FAILURES_PER_IP": 20,
    "LOGIN_ACCOUNT_DELAY_AFTER": 10,
    "LOGIN_ACCOUNT_MAX_DELAY_SECONDS": 60,
    "LOGIN_THROTTLE_WINDOW_SECONDS": 900,
    # Sessions end after this much inactivity, and this long after login whatever happens.
    "SESSION_IDLE_MINUTES": 30,
    "SESSION_MAX_HOURS": 12,
    # Roles that must use a second factor (TOTP); others may turn it on for themselves.
    "MFA_REQUIRED_ROLES": ("reviewer", "admin"),
    "MFA_ISSUER": "行政指导管理系统",
    # Reverse proxies in front of the app whose X-Forwarded-* headers are trusted (nginx: 1).
    "TRUSTED_PROXIES": 0,
    "HSTS_MAX_AGE": 31536000,
    # /healthz reports 503 when the last `flask backup` is older than this (0: not checked).
    "BACKUP_MAX_AGE_HOURS": 26,
    # One JSON line per request on stderr (gunicorn's JSON access log carries it instead).
    "REQUEST_LOG": True,
    "PAGE_SIZE": 50,
    "MAX_CONTENT_LENGTH": 2 * 1024 * 1024,  # upload routes raise it to ATTACHMENT_MAX_BYTES
    # 档案: stored documents and attachments, content-addressed; default <instance>/files.
    "FILES_FOLDER": None,
    "ATTACHMENT_MAX_BYTES": 20 * 1024 * 1024,
    "WORKER_POLL_SECONDS": 1.0,
    # Every issued number is appended here too (default <instance>/numbers.journal); with
    # PostgreSQL and several app machines, a path all of them share.
    "NUMBER_JOURNAL": None,
    "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": True},
    # Who reviews what (issue 12.3): "flagged" sends only records with warnings to 政策法规科 and
    # draws SPOT_CHECK_RATE of the others into the 抽查 queue; "all" sends every record to review.
    "REVIEW_POLICY": "flagged",
    "SPOT_CHECK_RATE": 0.10,
    # The draw's key (HMAC): None uses SECRET_KEY, so a draw can be replayed on this installation.
    "SPOT_CHECK_SEED": None,
}

REVIEW_POLICIES = ("flagged", "all")


def check_review_settings(config) -> None:
    """REVIEW_POLICY and SPOT_CHECK_RATE are read on every submit: refuse bad values at start-up."""
    if config.get("REVIEW_POLICY") not in REVIEW_POLICIES:
        raise StartupError(f"REVIEW_POLICY 应为 flagged 或 all，当前为 {config.get('REVIEW_POLICY')!r}")
    rate = config.get("SPOT_CHECK_RATE")
    if isinstance(rate, bool) or not isinstance(rate, (int, float)) or not 0 <= rate <= 1:
        raise StartupError(f"SPOT_CHECK_RATE 应为 0 至 1 之间的小数（如 0.1 表示 10%），当前为 {rate!r}")


def ensure_instance_folder(path: str) -> None:
    """Create the instance folder owner-only (it holds the database, the key and the journal)."""
    try:
        os.makedirs(path, mode=0o700, exist_ok=True)
    except OSError as exc:
        raise StartupError(
            f"无法创建实例目录 {path}（{exc.strerror}）：请创建该目录并授予写权限"
        ) from None
    if not os.access(path, os.W_OK):
        raise StartupError(f"实例目录 {path} 不可写：请授予运行用户写权限")


def load_or_create_secret_key(instance_path: str) -> str:
    """A per-installation key kept in instance/; never hard-coded.

    Several processes (gunicorn workers, a second server on the same instance folder) may start
    at once: the key is written to a private file and linked into place, so exactly one key wins
    and nobody reads a half-written file.
    """
    key_file = Path(instance_path) / "secret_key"
    if key_file.exists():
        return key_file.read_text().strip()
    partial = key_file.with_name(f".secret_key.{os.getpid()}.{secrets.token_hex(4)}")
    fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as fh:
        fh.write(secrets.token_hex(32))
    try:
        os.link(partial, key_file)
    except FileExistsError:
        pass  # another process was first: use its key
    finally:
        os.unlink(partial)
    return key_file.read_text().strip()


def normalise_database_url(url: str) -> str:
    """Accept the usual postgres:// spellings and use psycopg 3."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url
