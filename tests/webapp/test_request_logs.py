"""Structured request logs: one JSON line per request with user, route, status, duration; no ID numbers."""
import json
import logging

from webapp.logs import JSONFormatter, gunicorn_access_entry, scrub

ID_NUMBER = "370306199001011234"


def _lines(caplog):
    formatter = JSONFormatter()
    return [json.loads(formatter.format(r)) for r in caplog.records if r.name == "webapp.request"]


def test_request_log_has_user_route_status_and_duration(app, client, auth, caplog):
    caplog.set_level(logging.INFO, logger="webapp.request")
    auth.login("staff")
    caplog.clear()
    client.get("/records/999999")
    (line,) = _lines(caplog)
    assert line["user"] == "staff" and line["route"] == "/records/<id:record_id>"
    assert line["status"] == 404 and line["method"] == "GET" and line["path"] == "/records/999999"
    assert isinstance(line["duration_ms"], float) and line["request_id"]


def test_request_log_anonymous_and_without_query_strings(app, client, caplog):
    caplog.set_level(logging.INFO, logger="webapp.request")
    response = client.get(f"/catalog?q={ID_NUMBER}", headers={"X-Request-ID": "req-42"})
    (line,) = _lines(caplog)
    assert line["user"] is None and line["route"] == "/catalog" and line["status"] == 200
    assert line["request_id"] == "req-42" and response.headers["X-Request-ID"] == "req-42"
    assert ID_NUMBER not in caplog.text and ID_NUMBER not in json.dumps(line)


def test_request_log_can_be_turned_off(app, client, caplog):
    app.config["REQUEST_LOG"] = False
    caplog.set_level(logging.INFO, logger="webapp.request")
    client.get("/login")
    assert _lines(caplog) == []


def test_logs_mask_id_numbers_in_any_message():
    record = logging.LogRecord("webapp", logging.ERROR, __file__, 1, "bad value %s in %s", (ID_NUMBER, "x"), None)
    line = JSONFormatter().format(record)
    assert ID_NUMBER not in line and "370306********1234" in line
    assert scrub("电话 13905330000，代码 91370303MA3C5X1234") == "电话 13905330000，代码 91370303MA3C5X1234"


def test_logs_gunicorn_access_line_is_json_with_the_apps_user_and_route():
    environ = {"REQUEST_METHOD": "GET", "PATH_INFO": f"/x/{ID_NUMBER}", "QUERY_STRING": f"q={ID_NUMBER}",
               "webapp.user": "reviewer", "webapp.route": "/x/<v>", "webapp.request_id": "abc",
               "HTTP_USER_AGENT": 'Mozilla "quoted"'}
    line = json.loads(gunicorn_access_entry(environ, 200, 0.0125, 512, "10.0.0.1"))
    assert line["user"] == "reviewer" and line["route"] == "/x/<v>" and line["status"] == 200
    assert line["duration_ms"] == 12.5 and line["bytes"] == 512 and line["remote"] == "10.0.0.1"
    assert ID_NUMBER not in json.dumps(line) and "q=" not in json.dumps(line)
