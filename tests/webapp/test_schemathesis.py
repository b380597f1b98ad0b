"""The API description is the contract: schemathesis, every check and every phase, must find nothing.

Run in-process (WSGI transport) as a staff user and as a reviewer, each with a bearer token:
examples, coverage, fuzzing (positive and negative data) and the stateful phase, whose links
(POST /records → 201 id) make the ids of the later calls come from records it created.
A 422 with findings is the rules speaking about a valid request: accepted; anything else fails
(the one other exception: a well-formed pagination cursor the server never issued is a 400).
"""
from __future__ import annotations

import json
import os

import pytest
import schemathesis
from schemathesis.config import SchemathesisConfig
from schemathesis.engine import Status, from_schema
from schemathesis.engine import events as ev

from tests.webapp.test_api_support import make_record

# Per phase and operation; SCHEMATHESIS_EXAMPLES raises it for a longer local hunt.
EXAMPLES = int(os.environ.get("SCHEMATHESIS_EXAMPLES", "12"))


def contract_config(token: str) -> SchemathesisConfig:
    return SchemathesisConfig.from_dict({
        "headers": {"Authorization": f"Bearer {token}"},
        "seed": 20261130,
        "checks": {
            "enabled": True,
            # A valid request may still be refused by the rules (422), the workflow state (409),
            # the caller's role (403) or an id that is not there (404): none of those is a fault.
            "positive_data_acceptance": {"expected-statuses": ["2xx", "403", "404", "409", "422"]},
        },
        # NUL and lone surrogates are refused everywhere (400, see info.description and
        # tests/webapp/test_bounded_input.py); JSON Schema's "string" cannot say so without a pattern on each.
        "generation": {"mode": "all", "max-examples": EXAMPLES, "deterministic": True, "database": "none",
                       "allow-x00": False},
        "phases": {"examples": {"enabled": True}, "coverage": {"enabled": True},
                   "fuzzing": {"enabled": True}, "stateful": {"enabled": True, "max-steps": 12}},
    })


def run_contract(app, token: str) -> tuple[list[str], set[str]]:
    """Every failure schemathesis reports (one line each), and the phases that ran."""
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app, config=contract_config(token))
    failures: list[str] = []
    phases: set[str] = set()
    for event in from_schema(schema).execute():
        if isinstance(event, ev.PhaseFinished) and event.status != Status.SKIP:
            phases.add(event.phase.name.value)
        if isinstance(event, ev.ScenarioFinished):
            recorder = event.recorder
            for case_id, checks in recorder.checks.items():
                for check in checks:
                    if check.status != Status.FAILURE or check.failure_info is None:
                        continue
                    interaction = recorder.interactions.get(case_id)
                    response = interaction.response if interaction is not None else None
                    if _issued_cursor_only(check.name, response):
                        continue
                    case = recorder.cases[case_id].value if case_id in recorder.cases else None
                    where = (f"{case.method} {case.formatted_path} query={case.query} body={str(case.body)[:1200]}"
                             if case is not None else case_id)
                    answer = (f"{response.status_code} {(response.content or b'')[:160]!r}"
                              if response is not None else "")
                    failures.append(f"[{event.phase.value}] {check.name}: {check.failure_info.failure.title}"
                                    f" — {where} → {answer}")
        elif isinstance(event, ev.NonFatalError):
            failures.append(f"error [{event.label}]: {event.info.title}: {event.info.message}"[:600])
        elif isinstance(event, ev.FatalError):
            raise event.exception
    return failures, phases


def _issued_cursor_only(check: str, response) -> bool:
    """The one schema-valid request the server may refuse: a well-formed `after` it never issued."""
    if check != "positive_data_acceptance" or response is None or response.status_code != 400:
        return False
    try:
        return "分页游标" in json.loads(response.content or b"{}").get("error", "")
    except ValueError:
        return False


@pytest.fixture
def records_in_every_state(app):
    """Records the examples and fuzzing phases can meet (the stateful phase makes its own)."""
    return [make_record(app, state, subject=f"契约测试{state}") for state in ("draft", "pending", "filed", "closed")]


@pytest.fixture
def wsgi_transport_fix(monkeypatch):
    """schemathesis 4.32's WSGI transport passes requests-only options (max_redirects…) to werkzeug."""
    from schemathesis.transport.wsgi import WSGITransport

    send = WSGITransport.send

    def send_in_process(self, case, *, session=None, **kwargs):
        for name in ("max_redirects", "verify", "cert", "proxies"):
            kwargs.pop(name, None)
        return send(self, case, session=session, **kwargs)

    monkeypatch.setattr(WSGITransport, "send", send_in_process)


@pytest.mark.slow
@pytest.mark.filterwarnings("ignore:Generating overly large repr")  # hypothesis, about 64 KB bodies
@pytest.mark.parametrize("role", ["staff", "reviewer"])
def test_schemathesis_finds_nothing(app, records_in_every_state, wsgi_transport_fix, role):
    from webapp.services.accounts import issue_api_token

    with app.app_context():
        token = issue_api_token(role)
    failures, phases = run_contract(app, token)
    assert not failures, f"{len(failures)} failures:\n" + "\n".join(sorted(set(failures))[:60])
    assert {"examples", "coverage", "fuzzing", "stateful"} <= phases, phases
