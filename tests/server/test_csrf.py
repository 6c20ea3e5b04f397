import re

import pytest

from tests.conftest import PASSWORD


@pytest.fixture
def test_config(test_config):
    return {**test_config, "WTF_CSRF_ENABLED": True}


def test_cookie_writes_need_the_csrf_token(client, users):
    refused = client.post("/login", data={"username": "teacher1", "password": PASSWORD})
    assert refused.status_code == 400
    page = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    accepted = client.post("/login", data={"username": "teacher1", "password": PASSWORD, "csrf_token": token})
    assert accepted.status_code == 302
    api_without = client.post("/api/v1/items", json={})
    assert api_without.status_code == 400 and api_without.get_json()["error"] == "bad_request"
    api_with = client.post("/api/v1/items", json={}, headers={"X-CSRFToken": token})
    assert api_with.status_code == 422  # past CSRF; the empty item is what is refused now


def test_bearer_requests_need_no_csrf_token(client, token_for):
    response = client.post("/api/v1/items", json={}, headers=token_for("teacher1"))
    assert response.status_code == 422


def test_login_redirect_stays_on_this_site(client, users):
    page = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    response = client.post("/login?next=//evil.example/x",
                           data={"username": "teacher1", "password": PASSWORD, "csrf_token": token})
    assert response.headers["Location"] == "/"
