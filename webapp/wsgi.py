"""gunicorn entry point: `gunicorn 'webapp.wsgi:app'`. Refuses to start with a clear line on problems."""
import sys

from webapp import create_app
from webapp.instance_lock import InstanceBusy, hold_serving_lock
from webapp.startup import preflight

app = create_app()
try:
    hold_serving_lock(app.instance_path)  # `flask restore` refuses while any serving process holds it
    _problems = preflight(app)
except InstanceBusy as exc:
    _problems = [str(exc)]
if _problems:
    for line in _problems:
        print(f"启动失败 / startup error: {line}", file=sys.stderr)
    sys.exit(1)
