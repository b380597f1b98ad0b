"""gunicorn settings for 行政指导管理系统: `gunicorn --config gunicorn.conf.py` (make serve, deploy/).

Every value can be overridden by the environment (GUNICORN_BIND, GUNICORN_WORKERS, …) so the
systemd unit and the tests need no copy of this file.
"""
import json
import multiprocessing
import os

from gunicorn.glogging import Logger

wsgi_app = "webapp.wsgi:app"
bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")  # nginx in front; never exposed directly

# Documents render in-process (CPU-bound, 0.1–5 s): a few processes per core, with two threads each
# so a slow PDF does not hold a worker that a quick page could use.
workers = int(os.environ.get("GUNICORN_WORKERS", min(2 * multiprocessing.cpu_count() + 1, 12)))
threads = int(os.environ.get("GUNICORN_THREADS", 2))
timeout = int(os.environ.get("GUNICORN_TIMEOUT", 60))  # the largest register PDF takes ~5 s; 60 s is a hung worker
graceful_timeout = 30
keepalive = 5
max_requests = 2000  # recycle workers now and then: bounded memory over months
max_requests_jitter = 200
# Limits on what one request may send (the body limit is MAX_CONTENT_LENGTH and nginx's client_max_body_size).
limit_request_line = 8190  # the request line with its query string (the register's filters fit well within)
limit_request_fields = 100
limit_request_field_size = 8190  # one header; bearer tokens and session cookies are far below

# X-Forwarded-* are handled by the app (ProxyFix, TRUSTED_PROXIES) — not by gunicorn a second time.
forwarded_allow_ips = os.environ.get("GUNICORN_FORWARDED_ALLOW_IPS", "127.0.0.1")
proxy_allow_ips = "127.0.0.1"

accesslog = os.environ.get("GUNICORN_ACCESS_LOG", "-")  # stdout → journald
errorlog = "-"
loglevel = os.environ.get("GUNICORN_LOG_LEVEL", "info")
# The access log below already has one line per request, with user and route: the app need not log it too.
raw_env = ["FLASK_REQUEST_LOG=false"]


class JsonAccessLogger(Logger):
    """Access log as one JSON object per line: user, route, status, duration — no query strings."""

    def access(self, resp, req, environ, request_time):
        if not getattr(self, "access_log_enabled", bool(self.cfg.accesslog)):
            return
        from webapp.logs import gunicorn_access_entry

        status = resp.status.split(None, 1)[0] if isinstance(resp.status, str) else resp.status
        try:
            line = gunicorn_access_entry(environ, int(status), request_time.total_seconds(),
                                         getattr(resp, "sent", None), environ.get("REMOTE_ADDR"))
        except Exception as exc:  # a log line must never break a response
            line = json.dumps({"event": "request", "log_error": repr(exc)})
        self.access_log.info(line)


logger_class = JsonAccessLogger
