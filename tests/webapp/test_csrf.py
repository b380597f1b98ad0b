"""Every state change needs the CSRF token; htmx sends it in a header."""


def test_csrf_post_without_token_is_rejected(client):
    response = client.post("/login", data={"username": "staff", "password": "x"})
    assert response.status_code == 400
    assert "CSRF" in response.get_data(as_text=True)


def test_csrf_logout_without_token_is_rejected(client, auth):
    auth.login()
    response = client.post("/logout")
    assert response.status_code == 400
    assert client.get("/").status_code == 200  # still logged in


def test_csrf_token_accepted_from_htmx_header(client, auth):
    from tests.conftest import TEST_PASSWORD

    token = auth.csrf_token()
    response = client.post("/login", data={"username": "staff", "password": TEST_PASSWORD},
                           headers={"X-CSRFToken": token, "HX-Request": "true"})
    assert response.status_code == 302


def test_csrf_htmx_script_sends_header_from_meta(client):
    response = client.get("/static/js/app.js")
    script = response.get_data(as_text=True)
    response.close()
    assert 'meta[name="csrf-token"]' in script and "X-CSRFToken" in script
