"""gunicorn entry point: `gunicorn 'webapp.wsgi:app'`. Refuses to start with a clear line on problems."""
import sys

from webapp import create_app
from webapp.startup import preflight

app = create_app()
_problems = preflight(app)
if _problems:
    for line in _problems:
        print(f"启动失败 / startup error: {line}", file=sys.stderr)
    sys.exit(1)
