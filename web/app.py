"""The Flask application: REST API, case UI and portal over the domain services."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from flask import Flask, Response, request
from flask_babel import Babel
from flask_wtf.csrf import CSRFProtect
from werkzeug.exceptions import RequestEntityTooLarge

from web.api import register_api
from web.i18n import DEFAULT, select_locale
from web.problems import problem, problem_from_error
from workflows.config import Settings
from workflows.errors import LaborcaseError
from workflows.system import System, build_system


def create_app(settings: Settings | None = None, system: System | None = None) -> Flask:
    """Build the app; `system` lets tests and the embedded runner share one set of services."""
    settings = settings or (system.settings if system else Settings())
    if system is None:
        from web.adapters import open_sms

        system = build_system(settings, sms=open_sms(settings))
    app = Flask(__name__)
    if settings.proxy_hops > 0:
        from werkzeug.middleware.proxy_fix import ProxyFix

        hops = settings.proxy_hops
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops)  # type: ignore[method-assign]
    app.config.update(
        SECRET_KEY=settings.secret_key,
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=settings.secure_cookies,
        PERMANENT_SESSION_LIFETIME=timedelta(hours=8),
        MAX_CONTENT_LENGTH=settings.max_request_bytes,  # several evidence files a request
        WTF_CSRF_TIME_LIMIT=None,
        BABEL_DEFAULT_LOCALE=DEFAULT,
        BABEL_DEFAULT_TIMEZONE=settings.timezone,  # dates and times on pages in local time
        BABEL_TRANSLATION_DIRECTORIES="translations",
        JSON_AS_ASCII=False,
    )
    app.json.ensure_ascii = False  # type: ignore[attr-defined]
    app.extensions["laborcase"] = system
    Babel(app, locale_selector=select_locale)
    register_api(app, CSRFProtect(app))

    from web.ui import bp as ui

    app.register_blueprint(ui)
    from web.portal import bp as portal

    app.register_blueprint(portal)
    from web.verification import bp as verification

    app.register_blueprint(verification)
    from web.hearings import bp as hearings

    app.register_blueprint(hearings)
    from web.oversight import bp as oversight

    app.register_blueprint(oversight)
    from web.contracts_employer import bp as contracts_employer
    from web.contracts_worker import bp as contracts_worker

    app.register_blueprint(contracts_employer)
    from web.contract_batches import bp as contract_batches

    app.register_blueprint(contract_batches)
    app.register_blueprint(contracts_worker)
    from web.contract_lifecycle import bp as contract_lifecycle  # amendments, terminations, renewals

    app.register_blueprint(contract_lifecycle)
    from web.contract_templates import bp as contract_templates

    app.register_blueprint(contract_templates)
    from web.downloads import bp as storage_downloads

    app.register_blueprint(storage_downloads)

    @app.errorhandler(LaborcaseError)
    def domain_error(error: LaborcaseError) -> Any:
        if request.path.startswith("/api/"):
            return problem_from_error(error)
        from web.ui import render_error

        return render_error(error)

    @app.errorhandler(RequestEntityTooLarge)
    def too_large(error: RequestEntityTooLarge) -> Any:
        """A request over MAX_CONTENT_LENGTH is refused before anything in it is read."""
        limit = app.config["MAX_CONTENT_LENGTH"] or 0
        if request.path.startswith("/api/"):
            detail = f"请求过大：上限 {limit // (1024 * 1024)} MB（request larger than {limit} bytes）"
            return problem(413, detail, code="request_too_large", extra={"max_bytes": limit})
        from web.ui import render_too_large

        return render_too_large(limit)

    @app.after_request
    def security_headers(response: Response) -> Response:
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        if response.mimetype == "text/html":
            response.headers.setdefault(
                "Content-Security-Policy",
                "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'",
            )
        return response

    return app
