"""A refused htmx fragment request answers a small message aimed at the page's alert region."""
from __future__ import annotations


def test_refusals_fragment_request_gets_a_message_for_the_alert_region(client, auth):
    auth.login("reviewer")
    response = client.get("/archive/jobs/999999", headers={"HX-Request": "true"})
    body = response.get_data(as_text=True)
    assert response.status_code == 404
    assert "<html" not in body and "data-refusal" in body
    assert response.headers["HX-Retarget"] == "#action-error" and response.headers["HX-Reswap"] == "innerHTML"


def test_refusals_boosted_and_plain_requests_get_the_full_page(client, auth):
    auth.login("reviewer")
    for headers in ({}, {"HX-Request": "true", "HX-Boosted": "true"}):
        response = client.get("/archive/jobs/999999", headers=headers)
        assert response.status_code == 404 and "<html" in response.get_data(as_text=True)
        assert "HX-Retarget" not in response.headers


def test_refusals_every_page_has_the_empty_alert_region(client, auth):
    auth.login("staff")
    body = client.get("/records/mine").get_data(as_text=True)
    assert '<div id="action-error" class="action-error" role="alert" tabindex="-1"></div>' in body
