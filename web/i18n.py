"""UI languages: Simplified Chinese by default (message ids are Chinese), English from web/translations/en."""

from __future__ import annotations

from flask import request

DEFAULT = "zh_Hans_CN"
LANGUAGES = (DEFAULT, "en")


def select_locale() -> str:
    chosen = request.cookies.get("lang")
    if chosen in LANGUAGES:
        return chosen
    return "en" if request.accept_languages.best_match(["zh", "en"], default="zh") == "en" else DEFAULT
