"""One Jinja2 environment for every page, and `render()`.

Templates are found in every `carexport/<package>/templates/` folder, each namespaced by
its own subfolder (`accounts/login.html`, `applications/list.html`); the layout is
`base.html` (in web/templates). A feature adds templates by creating its folder: nothing
to register.

What every template can use (besides `request` and `url_for`):
    t(zh, en)          the text in the page's language (zh by default, en on ?lang=en)
    msg | pick         a service message "中文 / English" cut to the page's language
    csrf_field()       the hidden input every state-changing form carries
    actor              the logged-in Actor or None; lang ("zh" | "en"); flash (str | None)
    today()            the workflow's date (Asia/Shanghai or CAREXPORT_TODAY)
    status_label(s)    a status or decision in the page's language (draft → 草稿 / Draft)
    verb_label(v)      an audit verb or a status change's action (submit → 提交 / Submitted)
    rectification_label(r)  a credit event's rectification (accepted → 已验收 / accepted)
    t | when           a stored instant as Beijing time "YYYY-MM-DD HH:MM" in <time>;
                       tz_label() names the zone (北京时间 / Beijing time) for headings
    code | country     a destination "哈萨克斯坦 (KZ)" / "Kazakhstan (KZ)"
    static_url(p)      /static/<p>; lang_href(l) this page in language l (both relative)
"""

from __future__ import annotations

import re
from collections.abc import Callable
from contextvars import ContextVar
from datetime import UTC, datetime
from functools import lru_cache
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, pass_context, select_autoescape
from jinja2.runtime import Context
from markupsafe import Markup, escape
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.templating import Jinja2Templates

from carexport import clock
from carexport.domain.country import country_name
from carexport.pages import labels

PACKAGE_DIR = Path(__file__).resolve().parent.parent
LANGS = ("zh", "en")
LANG_COOKIE = "lang"
CSRF_FIELD = "csrf_token"  # the hidden input's name
CSRF_HEADER = "X-CSRF-Token"  # what HTMX sends (hx-headers on <body> in base.html)

# Labels of the statuses, decisions and roles (kept under this name for the features
# that read it); every other table of words is in carexport.pages.labels.
LABELS = labels.STATUSES


def template_dirs() -> list[str]:
    """web/templates first (the layout), then every other package's templates folder."""
    found = sorted(p for p in PACKAGE_DIR.glob("*/templates") if p.is_dir())
    found.sort(key=lambda p: p.parent.name != "web")
    return [str(p) for p in found]


def lang_of(request: Request) -> str:
    """?lang= wins (and is remembered in a cookie by render), then the cookie, then zh."""
    asked = request.query_params.get("lang")
    if asked in LANGS:
        return asked
    kept = request.cookies.get(LANG_COOKIE)
    return kept if kept in LANGS else "zh"


# The page being rendered (lang, csrf_token), for macros imported without context:
# `{% import "macros.html" as ui %}` gives them no page variables, yet their texts and
# messages must follow the page's language. render() sets it around the rendering.
_rendering: ContextVar[dict[str, Any] | None] = ContextVar("carexport_page", default=None)


def _page_value(context: Context, name: str) -> Any:
    value = context.get(name)
    if value is not None:
        return value
    page = _rendering.get()
    return None if page is None else page.get(name)


def _lang(context: Context) -> str:
    lang = _page_value(context, "lang")
    return lang if lang in LANGS else "zh"


@pass_context
def t(context: Context, zh: str, en: str) -> str:
    return en if _lang(context) == "en" else zh


_HALVES = re.compile(r"\s*/\s+")


def pick_text(message: object, lang: str) -> str:
    """ "中文 / English" → the half in `lang`; a message without " / " is kept whole."""
    text = "" if message is None else str(message)
    # The services write "中文 / English", sometimes "…（校验位不符）/ English" (no space
    # after full-width punctuation); a slash inside a word (GB/T) is not a separator.
    halves = _HALVES.split(text, maxsplit=1)
    if len(halves) != 2:
        return text
    zh, en = halves
    return en if lang == "en" else zh


@pass_context
def pick(context: Context, message: object) -> str:
    return pick_text(message, _lang(context))


@pass_context
def status_label(context: Context, value: object) -> str:
    return labels.label(labels.STATUSES, value, _lang(context))


@pass_context
def verb_label(context: Context, value: object) -> str:
    """An audit verb (application.approved) or a status change's action (approve)."""
    return labels.label(labels.VERBS, value, _lang(context))


@pass_context
def rectification_label(context: Context, value: object) -> str:
    """A credit event's rectification (none / submitted / accepted); "—" when unset."""
    if value is None or value == "":
        return "—"
    return labels.label(labels.RECTIFICATION, getattr(value, "value", value), _lang(context))


@lru_cache(maxsize=1)
def _zh_countries() -> Callable[[str], str]:
    import gettext

    import pycountry

    return gettext.translation(
        "iso3166-1", pycountry.LOCALES_DIR, languages=["zh_CN"], fallback=True
    ).gettext


def country_label(code: object, lang: str) -> str:
    """A destination as "哈萨克斯坦 (KZ)" / "Kazakhstan (KZ)"; an unknown code as it is."""
    text = "" if code is None else str(code)
    if not text:
        return "—"
    name = country_name(text)
    if name == text:
        return text
    if lang != "en":
        name = _zh_countries()(name)
    return f"{name} ({text})"


@pass_context
def country(context: Context, code: object) -> str:
    return country_label(code, _lang(context))


def local_time(value: object) -> datetime | None:
    """A stored instant (aware, naive = UTC, or an ISO string) in the offices' zone."""
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value)
        except ValueError:
            return None
    if not isinstance(value, datetime):
        return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(clock.OFFICE_ZONE)


@pass_context
def when(context: Context, value: object, zone: bool = False) -> Markup:
    """Every time a page shows, one rule: Beijing time (the offices' and the footer's
    date), "YYYY-MM-DD HH:MM", in a <time> holding the UTC instant. The zone is named by
    the column's heading (tz_label()) or, with zone=True, after the time."""
    shown = local_time(value)
    if shown is None:
        return Markup("—") if value in (None, "") else Markup(escape(str(value)))
    text = shown.strftime("%Y-%m-%d %H:%M")
    if zone:
        text = f"{text} {tz_label(context)}"
    return Markup('<time datetime="{}">{}</time>').format(
        shown.astimezone(UTC).isoformat(timespec="seconds"), text
    )


@pass_context
def tz_label(context: Context) -> str:
    return "Beijing time" if _lang(context) == "en" else "北京时间"


@pass_context
def lang_href(context: Context, lang: str) -> str:
    """This page's path and query with ?lang= set: a relative link (no scheme or host,
    which behind a proxy could be the wrong ones)."""
    request: Request = context["request"]
    url = request.url.include_query_params(lang=lang)
    return f"{url.path}?{url.query}"


@pass_context
def static_url(context: Context, path: str) -> str:
    """/static/<path> as a relative link (url_for would give an absolute one)."""
    request: Request = context["request"]
    return str(request.app.url_path_for("static", path=path))


@pass_context
def csrf_field(context: Context) -> Markup:
    token = _page_value(context, "csrf_token") or ""
    return Markup('<input type="hidden" name="{}" value="{}">').format(CSRF_FIELD, escape(token))


def _page_context(request: Request) -> dict[str, Any]:
    state = request.state
    return {
        "actor": getattr(state, "actor", None),
        "csrf_token": getattr(state, "csrf_token", None),
        "flash": getattr(state, "flash", None),
        "lang": lang_of(request),
        "csrf_header": CSRF_HEADER,
    }


def _environment() -> Environment:
    env = Environment(
        loader=FileSystemLoader(template_dirs()),
        autoescape=select_autoescape(["html", "xml"], default_for_string=True),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.globals.update(
        t=t,
        csrf_field=csrf_field,
        today=clock.today,
        status_label=status_label,
        verb_label=verb_label,
        rectification_label=rectification_label,
        tz_label=tz_label,
        lang_href=lang_href,
        static_url=static_url,
    )
    env.filters["pick"] = pick
    env.filters["when"] = when
    env.filters["country"] = country
    return env


templates = Jinja2Templates(env=_environment(), context_processors=[_page_context])


def render(
    request: Request,
    name: str,
    context: dict[str, Any] | None = None,
    *,
    status_code: int = 200,
    headers: dict[str, str] | None = None,
) -> Response:
    """The page `name` with `context`; remembers a ?lang= choice in the `lang` cookie."""
    page = {"lang": lang_of(request), "csrf_token": getattr(request.state, "csrf_token", None)}
    rendering = _rendering.set(page)
    try:  # TemplateResponse renders the template here, in its constructor
        response = templates.TemplateResponse(
            request, name, context or {}, status_code=status_code, headers=headers
        )
    finally:
        _rendering.reset(rendering)
    asked = request.query_params.get("lang")
    if asked in LANGS:
        response.set_cookie(LANG_COOKIE, asked, max_age=365 * 24 * 3600, samesite="lax")
    return response


def safe_next(target: str | None, default: str = "/") -> str:
    """A local path to go to after login: never another site (//evil, /\\evil, http:)."""
    if not target or not target.startswith("/") or target.startswith(("//", "/\\")):
        return default
    if any(ord(c) < 0x20 for c in target):
        return default
    return target


def see_other(url: str, request: Request | None = None) -> Response:
    """The redirect after a form (POST → 303 → GET). For an HTMX request, a whole-page
    navigation (HX-Redirect) rather than the next page swapped into a fragment."""
    if request is not None and is_htmx(request):
        return Response(status_code=204, headers={"HX-Redirect": url})
    return RedirectResponse(url, status_code=303)


def is_htmx(request: Request) -> bool:
    return request.headers.get("HX-Request") == "true"
