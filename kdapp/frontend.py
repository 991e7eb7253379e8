"""The browser app: ``index.html`` of the Vite build for every app route, with a strict CSP.

The build (``frontend/dist``, made by ``make run`` / ``make test``) references its hashed
scripts and styles under ``/static/app/``, which whitenoise serves with a year-long cache;
this page itself is never cached, so a new build is picked up on the next load.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.views.decorators.csrf import ensure_csrf_cookie
from django.views.decorators.http import require_safe

# No inline script or style may run: everything comes from this origin's hashed files. Images
# include blob: for the viewer's object URLs.
CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data: blob:",
        "font-src 'self'",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)

NOT_BUILT = """<!doctype html><html lang="en"><head><meta charset="utf-8">
<title>KD Studio</title></head><body><h1>The web app is not built</h1>
<p>Run <code>make run</code>, or
<code>cd frontend &amp;&amp; npm ci &amp;&amp; npm run build</code>, then reload.
The API is at <a href="/api/docs/">/api/docs/</a>.</p></body></html>"""


def index_path() -> Path:
    return Path(settings.FRONTEND_DIST) / "index.html"


@cache
def _cached_index(path: Path, mtime_ns: int) -> str:
    return path.read_text(encoding="utf-8")


def _index() -> str | None:
    path = index_path()
    try:
        return _cached_index(path, path.stat().st_mtime_ns)
    except FileNotFoundError:
        return None


@require_safe
@ensure_csrf_cookie
def app_shell(request: HttpRequest, route: str = "") -> HttpResponse:
    html = _index()
    response = HttpResponse(
        html if html is not None else NOT_BUILT,
        status=200 if html is not None else 503,
        content_type="text/html; charset=utf-8",
    )
    response["Content-Security-Policy"] = CONTENT_SECURITY_POLICY
    response["Cache-Control"] = "no-cache"
    response["X-Content-Type-Options"] = "nosniff"
    response["Referrer-Policy"] = "same-origin"
    return response
