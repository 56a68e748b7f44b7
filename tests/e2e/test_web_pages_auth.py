"""The pages' foundation over HTTP: login, logout, sessions, CSRF, roles, errors, language,
static files and the admin's pages, on SQLite and PostgreSQL."""

from __future__ import annotations

from tests.e2e.pages_support import PASSWORD, World, csrf_token, login, login_csrf, make_client


def test_anonymous_root_goes_to_the_login_page(world: World) -> None:
    client = make_client()
    response = client.get("/")
    assert response.status_code == 303
    assert response.headers["location"] == "/login"
    page = client.get("/login")
    assert page.status_code == 200
    assert 'name="username"' in page.text
    assert 'name="password"' in page.text


def test_logs_in_and_lands_on_the_role_home(world: World) -> None:
    client = make_client()
    token = login_csrf(client)
    response = client.post(
        "/login", data={"username": world.admin, "password": PASSWORD, "csrf_token": token}
    )
    assert response.status_code == 303
    assert response.headers["location"] == "/admin/orgs"
    cookie = response.headers["set-cookie"]
    assert "carexport_session=" in cookie
    assert "HttpOnly" in cookie
    assert "SameSite=lax" in cookie
    page = client.get("/admin/orgs")
    assert page.status_code == 200
    assert world.admin in page.text


def test_refuses_a_post_without_the_csrf_token(world: World) -> None:
    client = login(make_client(), world.admin)
    response = client.post("/admin/orgs", data={"kind": "monitor", "name": "某部"})
    assert response.status_code == 403
    assert "CSRF" in response.text
    ok = client.post(
        "/admin/orgs",
        data={"kind": "monitor", "name": "某部", "csrf_token": csrf_token(client)},
    )
    assert ok.status_code == 303
    assert "某部" in client.get("/admin/orgs").text


def test_logout_ends_the_session(world: World) -> None:
    client = login(make_client(), world.applicant)
    response = client.post("/logout", data={"csrf_token": csrf_token(client)})
    assert response.status_code == 303
    assert response.headers["location"] == "/login"
    assert client.get("/me").status_code == 303
