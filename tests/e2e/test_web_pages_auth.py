"""The pages' foundation over HTTP: login, logout, sessions, CSRF, roles, errors, language,
static files and the admin's pages, on SQLite and PostgreSQL."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select

from carexport.audit.models import AuditEntry
from carexport.db import UnitOfWork
from carexport.pages.templating import pick_text
from tests.e2e.pages_support import (
    PASSWORD,
    World,
    csrf_token,
    login,
    login_csrf,
    make_client,
    page_routes,
)


def post_login(client: TestClient, username: str, password: str, **extra: str) -> str:
    data = {"username": username, "password": password, "csrf_token": login_csrf(client)}
    data.update(extra)
    response = client.post("/login", data=data)
    return f"{response.status_code} {response.headers.get('location', '')}\n{response.text}"


def field_error(html: str, field: str) -> str:
    """The error message shown beside `field` ('' when none)."""
    found = re.search(
        rf'<span class="field-error" id="{re.escape(field)}-error">([^<]*)</span>', html
    )
    return found.group(1) if found else ""


# --- login, logout, redirects ---


def test_anonymous_root_goes_to_the_login_page(world: World) -> None:
    client = make_client()
    response = client.get("/")
    assert response.status_code == 303
    assert response.headers["location"] == "/login"
    page = client.get("/login")
    assert page.status_code == 200
    assert '<label for="username">' in page.text
    assert '<label for="password">' in page.text


@pytest.mark.parametrize(
    ("role", "home"),
    [
        ("applicant", "/applications"),
        ("reviewer", "/review"),
        ("senior_reviewer", "/review"),
        ("monitor", "/monitor"),
        ("admin", "/admin/orgs"),
        ("issuer", "/confirmations"),
    ],
)
def test_logs_in_and_lands_on_the_role_home(world: World, role: str, home: str) -> None:
    username = {
        "applicant": world.applicant,
        "reviewer": world.reviewer,
        "senior_reviewer": world.senior_reviewer,
        "monitor": world.monitor,
        "admin": world.admin,
        "issuer": world.issuer,
    }[role]
    client = make_client()
    response = client.post(
        "/login",
        data={"username": username, "password": PASSWORD, "csrf_token": login_csrf(client)},
    )
    assert response.status_code == 303
    assert response.headers["location"] == home
    cookie = response.headers["set-cookie"]
    assert "carexport_session=" in cookie
    assert "HttpOnly" in cookie
    assert "samesite=lax" in cookie.lower()
    assert "Secure" not in cookie  # plain http here; see the https test
    assert client.get("/").headers["location"] == home
    me = client.get("/me")
    assert me.status_code == 200
    assert username in me.text


def test_marks_the_session_cookie_secure_over_https(world: World) -> None:
    client = TestClient(make_client().app, base_url="https://testserver", follow_redirects=False)
    response = client.post(
        "/login",
        data={"username": world.admin, "password": PASSWORD, "csrf_token": login_csrf(client)},
    )
    assert response.status_code == 303
    assert "Secure" in response.headers["set-cookie"]


def test_a_wrong_password_shows_the_error_and_no_session(world: World) -> None:
    client = make_client()
    answer = post_login(client, world.applicant, "not the password")
    assert answer.startswith("401")
    assert "用户名或密码错误" in answer
    assert 'value="applicant"' in answer  # the username stays in its field
    assert "carexport_session" not in client.cookies
    assert client.get("/me").status_code == 303


def test_empty_fields_get_their_errors_beside_them(world: World) -> None:
    client = make_client()
    response = client.post("/login", data={"csrf_token": login_csrf(client)})
    assert response.status_code == 422
    assert "请输入用户名" in field_error(response.text, "username")
    assert "请输入密码" in field_error(response.text, "password")


def test_refuses_a_login_form_not_from_this_site(world: World) -> None:
    client = make_client()
    response = client.post(
        "/login", data={"username": world.admin, "password": PASSWORD, "csrf_token": "forged"}
    )
    assert response.status_code == 403
    assert "carexport_session" not in client.cookies


def test_locks_the_username_after_ten_failures(world: World) -> None:
    client = make_client()
    for _ in range(10):
        assert post_login(client, world.reviewer, "wrong password!").startswith("401")
    answer = post_login(client, world.reviewer, PASSWORD)  # even the right one
    assert answer.startswith("429")
    assert "登录失败次数过多" in answer
    assert client.get("/me").status_code == 303
    # another username is not locked
    assert post_login(make_client(), world.applicant, PASSWORD).startswith("303")


def test_every_login_is_audited(world: World, pages_engine: Engine) -> None:
    post_login(make_client(), world.applicant, "wrong password!")
    post_login(make_client(), world.applicant, PASSWORD)
    with UnitOfWork(pages_engine) as uow:
        verbs = list(uow.session.scalars(select(AuditEntry.verb).order_by(AuditEntry.seq)))
    assert verbs[-2:] == ["login.failed", "login.succeeded"]


def test_anonymous_page_redirects_to_login_and_back_after_it(world: World) -> None:
    client = make_client()
    response = client.get("/admin/users?lang=en")
    assert response.status_code == 303
    assert response.headers["location"] == "/login?next=%2Fadmin%2Fusers%3Flang%3Den"
    page = client.get(response.headers["location"])
    assert 'name="next" value="/admin/users?lang=en"' in page.text
    answer = post_login(client, world.admin, PASSWORD, next="/admin/users?lang=en")
    assert answer.startswith("303 /admin/users?lang=en")


@pytest.mark.parametrize("target", ["//evil.example/x", "https://evil.example/", "/\\evil", "x"])
def test_never_sends_a_login_to_another_site(world: World, target: str) -> None:
    answer = post_login(make_client(), world.admin, PASSWORD, next=target)
    assert answer.startswith("303 /admin/orgs\n")


def test_an_anonymous_post_goes_to_the_login_page(world: World) -> None:
    response = make_client().post("/admin/orgs", data={"kind": "monitor", "name": "x"})
    assert response.status_code == 303
    assert response.headers["location"] == "/login"


def test_an_htmx_request_without_a_session_redirects_the_whole_page(world: World) -> None:
    response = make_client().get("/me", headers={"HX-Request": "true"})
    assert response.status_code == 401
    assert response.headers["HX-Redirect"] == "/login?next=%2Fme"


def test_logout_ends_the_session(world: World, pages_engine: Engine) -> None:
    client = login(make_client(), world.applicant)
    stolen = client.cookies["carexport_session"]
    response = client.post("/logout", data={"csrf_token": csrf_token(client)})
    assert response.status_code == 303
    assert response.headers["location"] == "/login"
    assert client.get("/me").status_code == 303
    # the old cookie is dead on the server, not only forgotten by the browser
    replay = make_client()
    replay.cookies.set("carexport_session", stolen)
    assert replay.get("/me").status_code == 303
    with UnitOfWork(pages_engine) as uow:
        last = uow.session.scalars(select(AuditEntry.verb).order_by(AuditEntry.seq.desc())).first()
    assert last == "logout"


def test_a_login_replaces_a_planted_session(world: World) -> None:
    """Session fixation: a cookie set before the login is not the one after it."""
    planted = login(make_client(), world.other_applicant).cookies["carexport_session"]
    victim = make_client()
    token = login_csrf(victim)
    victim.cookies.set("carexport_session", planted)
    response = victim.post(
        "/login", data={"username": world.applicant, "password": PASSWORD, "csrf_token": token}
    )
    assert response.status_code == 303
    assert f"carexport_session={planted}" not in response.headers["set-cookie"]
    attacker = make_client()
    attacker.cookies.set("carexport_session", planted)
    assert attacker.get("/me").status_code == 303


def test_a_forged_session_cookie_is_anonymous(world: World) -> None:
    client = make_client()
    client.cookies.set("carexport_session", "x" * 43)
    assert client.get("/me").status_code == 303
    client.cookies.set("carexport_session", "y" * 5000)
    assert client.get("/me").status_code == 303


# --- CSRF ---


def test_refuses_a_post_without_the_csrf_token(world: World) -> None:
    client = login(make_client(), world.admin)
    response = client.post("/admin/orgs", data={"kind": "monitor", "name": "某部"})
    assert response.status_code == 403
    assert "CSRF" in response.text
    assert "某部" not in client.get("/admin/orgs").text


def test_refuses_a_post_with_another_sessions_token(world: World) -> None:
    other = login(make_client(), world.admin)
    client = login(make_client(), world.admin)
    response = client.post(
        "/admin/orgs", data={"kind": "monitor", "name": "某部", "csrf_token": csrf_token(other)}
    )
    assert response.status_code == 403


def test_accepts_the_token_as_a_field_or_as_the_htmx_header(world: World) -> None:
    client = login(make_client(), world.admin)
    token = csrf_token(client)
    by_field = client.post(
        "/admin/orgs", data={"kind": "monitor", "name": "某部", "csrf_token": token}
    )
    assert by_field.status_code == 303
    by_header = client.post(
        "/admin/orgs", data={"kind": "monitor", "name": "另一部"}, headers={"X-CSRF-Token": token}
    )
    assert by_header.status_code == 303
    page = client.get("/admin/orgs")
    assert "某部" in page.text
    assert "另一部" in page.text
    assert "已创建机构" in page.text  # the flash after the redirect
    assert "已创建机构" not in client.get("/admin/orgs").text  # shown once


def test_every_page_post_route_checks_the_csrf_token(world: World) -> None:
    """Every state-changing page route of the app, whoever owns it: 403 without a token
    for a logged-in user (or 303 to the login page for a route that needs no session)."""
    client = login(make_client(), world.admin)
    checked = 0
    for method in ("POST", "PUT", "PATCH", "DELETE"):
        for route in page_routes(method):
            if route == "/login":
                continue
            path = re.sub(r"\{[^}]+\}", "1", route)
            response = client.request(method, path, data={"x": "1"})
            assert response.status_code == 403, (method, route, response.status_code)
            checked += 1
    assert checked >= 5  # logout and the admin's forms at least


def test_api_routes_keep_bearer_auth_and_need_no_csrf(world: World) -> None:
    client = make_client()
    token = client.post(
        "/api/v1/auth/token", json={"username": world.applicant, "password": PASSWORD}
    ).json()["access_token"]
    me = client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"})
    assert me.status_code == 200
    anonymous = client.get("/api/v1/me")
    assert anonymous.status_code == 401
    assert anonymous.headers["content-type"].startswith("application/json")


# --- roles and error pages ---


@pytest.mark.parametrize("path", ["/admin/orgs", "/admin/users"])
def test_admin_pages_are_refused_to_other_roles(world: World, path: str) -> None:
    for username in (world.applicant, world.reviewer, world.monitor):
        response = login(make_client(), username).get(path)
        assert response.status_code == 403
        assert response.headers["content-type"].startswith("text/html")
        assert "无权访问" in response.text
        assert username in response.text  # the layout still shows who is logged in


def test_unknown_pages_answer_an_html_404_and_the_api_json(world: World) -> None:
    client = login(make_client(), world.applicant)
    page = client.get("/no/such/page")
    assert page.status_code == 404
    assert page.headers["content-type"].startswith("text/html")
    assert "未找到" in page.text
    assert world.applicant in page.text
    api = client.get("/api/v1/no/such/route")
    assert api.status_code == 404
    assert api.headers["content-type"].startswith("application/json")


def test_a_malformed_path_parameter_is_a_422_page(world: World) -> None:
    client = login(make_client(), world.admin)
    response = client.post(
        "/admin/users/not-a-number/password",
        data={"password": "x" * 20, "csrf_token": csrf_token(client)},
    )
    assert response.status_code == 422
    assert response.headers["content-type"].startswith("text/html")


def test_no_page_answers_500(world: World) -> None:
    """Every GET page without parameters, for anonymous and every role, in both languages."""
    paths = [path for path in page_routes("GET") if "{" not in path]
    assert "/login" in paths
    users = [None, world.applicant, world.reviewer, world.senior_reviewer, world.monitor]
    users += [world.issuer, world.admin]
    for username in users:
        client = make_client() if username is None else login(make_client(), username)
        for path in [*paths, "/nothing", "/static/nothing.css"]:
            for lang in ("zh", "en"):
                response = client.get(path, params={"lang": lang})
                assert response.status_code < 500, (username, path, response.status_code)


# --- language ---


def test_switches_to_english_and_remembers_it(world: World) -> None:
    client = login(make_client(), world.admin)
    chinese = client.get("/admin/orgs")
    assert '<html lang="zh-CN">' in chinese.text
    assert "新建机构" in chinese.text
    english = client.get("/admin/orgs?lang=en")
    assert '<html lang="en">' in english.text
    assert "New organisation" in english.text
    assert "lang=en" in english.headers["set-cookie"]
    assert "New organisation" in client.get("/admin/orgs").text  # the cookie keeps it
    assert "新建机构" in client.get("/admin/orgs?lang=zh").text


def test_every_page_offers_the_language_switch(world: World) -> None:
    anonymous = make_client()
    for page in (anonymous.get("/login"), anonymous.get("/nothing")):
        assert 'lang="en">English</a>' in page.text
        assert 'lang="zh-CN"' in page.text


def test_service_messages_follow_the_language(world: World) -> None:
    client = make_client()
    client.get("/login?lang=en")
    answer = post_login(client, world.admin, "wrong password!")
    assert "wrong username or password" in answer
    assert "用户名或密码错误" not in answer


# --- static files ---


def test_serves_htmx_and_the_stylesheet_from_the_package(world: World) -> None:
    client = make_client()
    htmx = client.get("/static/htmx.min.js")
    assert htmx.status_code == 200
    assert "javascript" in htmx.headers["content-type"]
    assert "htmx" in htmx.text[:2000]
    css = client.get("/static/app.css")
    assert css.status_code == 200
    assert css.headers["content-type"].startswith("text/css")
    assert "Noto Sans CJK SC" in css.text
    login_page = client.get("/login").text
    assert "/static/app.css" in login_page
    assert "/static/htmx.min.js" in login_page
    assert "://cdn" not in login_page
    assert "unpkg" not in login_page


def test_the_layout_gives_htmx_the_csrf_header(world: World) -> None:
    client = login(make_client(), world.applicant)
    page = client.get("/me")
    token = csrf_token(client)
    assert f'hx-headers=\'{{"X-CSRF-Token": "{token}"}}\'' in page.text


# --- the admin's pages ---


def test_admin_creates_an_organisation_of_each_kind(world: World) -> None:
    client = login(make_client(), world.admin)
    token = csrf_token(client, "/admin/orgs")
    for data in [
        {"kind": "exporter", "name": "北京出口有限公司", "uscc": "91350100M000100Y43"},
        {"kind": "agency", "name": "广东省商务厅", "region": "44"},
        {"kind": "monitor", "name": "商务部对外贸易司"},
    ]:
        response = client.post("/admin/orgs", data={**data, "csrf_token": token})
        assert response.status_code == 303, response.text
    page = client.get("/admin/orgs").text
    assert "北京出口有限公司" in page
    assert "91350100M000100Y43" in page
    assert "广东省商务厅" in page
    # the region by its name, not the bare GB/T 2260 code
    assert '广东省 <span class="mono">(44)</span>' in page
    assert '天津市 <span class="mono">(12)</span>' in page


@pytest.mark.parametrize(
    ("data", "field", "text"),
    [
        ({"kind": "exporter", "name": "某公司"}, "uscc", "须有统一社会信用代码"),
        ({"kind": "exporter", "name": "某公司", "uscc": "91350100M000100Y44"}, "uscc", "校验位"),
        ({"kind": "agency", "name": "某局"}, "region", "须有地区代码"),
        ({"kind": "agency", "name": "某局", "region": "99"}, "region", "GB/T 2260"),
        ({"kind": "monitor", "name": "  "}, "name", "名称不能为空"),
        ({"kind": "spaceship", "name": "x"}, "kind", "unknown kind"),
        ({"kind": "agency", "name": "天津市商务局", "region": "12"}, "name", "已有"),
    ],
)
def test_org_form_errors_are_shown_beside_their_fields(
    world: World, data: dict[str, str], field: str, text: str
) -> None:
    client = login(make_client(), world.admin)
    response = client.post("/admin/orgs", data={**data, "csrf_token": csrf_token(client)})
    assert response.status_code in (409, 422)
    assert text in field_error(response.text, field), response.text
    assert f'value="{data["name"]}"' in response.text  # what was typed stays


def test_admin_creates_a_user_who_can_log_in(world: World) -> None:
    client = login(make_client(), world.admin)
    response = client.post(
        "/admin/users",
        data={
            "username": "new.reviewer",
            "password": "a long enough pass",
            "role": "reviewer",
            "org": str(world.agency_org),
            "csrf_token": csrf_token(client),
        },
    )
    assert response.status_code == 303, response.text
    assert "new.reviewer" in client.get("/admin/users").text
    assert post_login(make_client(), "new.reviewer", "a long enough pass").startswith("303 /review")


@pytest.mark.parametrize(
    ("data", "field", "text"),
    [
        ({"username": "u1", "password": "short", "role": "applicant"}, "password", "至少 12"),
        (
            {"username": "u1", "password": "long enough pw", "role": "reviewer"},
            "role",
            "不能有",
        ),
        (
            {"username": "u1", "password": "long enough pw", "role": "applicant", "org": ""},
            "org",
            "须指定机构",
        ),
        (
            {"username": "a b", "password": "long enough pw", "role": "admin", "org": ""},
            "username",
            "用户名须为",
        ),
        (
            {"username": "reviewer", "password": "long enough pw", "role": "admin", "org": ""},
            "username",
            "已存在",
        ),
    ],
)
def test_user_form_errors_are_shown_beside_their_fields(
    world: World, data: dict[str, str], field: str, text: str
) -> None:
    client = login(make_client(), world.admin)
    form = {"org": str(world.exporter_org), **data, "csrf_token": csrf_token(client)}
    response = client.post("/admin/users", data=form)
    assert response.status_code in (409, 422)
    assert text in field_error(response.text, field), response.text


def test_resetting_a_password_ends_the_users_sessions(world: World) -> None:
    user = login(make_client(), world.applicant)
    admin = login(make_client(), world.admin)
    users = admin.get("/admin/users").text
    user_id = re.search(r'<label for="password-(\d+)"[^>]*>[^<]*\(applicant\)', users)
    assert user_id, users
    path = f"/admin/users/{user_id.group(1)}/password"
    short = admin.post(path, data={"password": "short", "csrf_token": csrf_token(admin)})
    assert short.status_code == 422
    assert "至少 12" in field_error(short.text, f"password-{user_id.group(1)}")
    ok = admin.post(
        path, data={"password": "a brand new password", "csrf_token": csrf_token(admin)}
    )
    assert ok.status_code == 303
    assert user.get("/me").status_code == 303
    assert post_login(make_client(), world.applicant, PASSWORD).startswith("401")
    assert post_login(make_client(), world.applicant, "a brand new password").startswith("303")


def test_disabling_a_user_ends_their_session_and_login(world: World) -> None:
    user = login(make_client(), world.monitor)
    admin = login(make_client(), world.admin)
    users = admin.get("/admin/users").text
    ids = dict(
        (name, int(i))
        for i, name in re.findall(r'<td class="num">(\d+)</td>\s*<td>([^<]+)</td>', users)
    )
    path = f"/admin/users/{ids[world.monitor]}/active"
    response = admin.post(path, data={"active": "0", "csrf_token": csrf_token(admin)})
    assert response.status_code == 303
    assert user.get("/me").status_code == 303
    assert post_login(make_client(), world.monitor, PASSWORD).startswith("401")
    admin.post(path, data={"active": "1", "csrf_token": csrf_token(admin)})
    assert post_login(make_client(), world.monitor, PASSWORD).startswith("303")
    own = admin.post(
        f"/admin/users/{ids[world.admin]}/active",
        data={"active": "0", "csrf_token": csrf_token(admin)},
    )
    assert own.status_code == 409


def test_the_admin_sees_no_application_data(world: World) -> None:
    admin = login(make_client(), world.admin)
    page = admin.get("/admin/orgs").text
    for path in ("/applications", "/review", "/monitor", "/licenses"):
        assert f'href="{path}"' not in page
        assert admin.get(path).status_code in (403, 404)


@pytest.mark.parametrize(
    ("message", "zh", "en"),
    [
        (
            "用户名或密码错误 / wrong username or password",
            "用户名或密码错误",
            "wrong username or password",
        ),
        (
            "统一社会信用代码无效（校验位不符）/ not a valid USCC",
            "统一社会信用代码无效（校验位不符）",
            "not a valid USCC",
        ),
        ("不是 GB/T 2260 省级代码", "不是 GB/T 2260 省级代码", "不是 GB/T 2260 省级代码"),
    ],
)
def test_cuts_a_bilingual_message_to_the_page_language(message: str, zh: str, en: str) -> None:
    assert pick_text(message, "zh") == zh
    assert pick_text(message, "en") == en
