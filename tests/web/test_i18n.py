"""Every UI string has its English translation, and the compiled catalogue matches the source."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from babel.messages.extract import extract_from_dir
from babel.messages.mofile import read_mo
from flask import Flask, render_template_string

from web.translations.en_messages import EN
from workflows.claim_types import CLAIM_TYPES
from workflows.roles import ROLE_LABELS

WEB = Path(__file__).resolve().parents[2] / "web"


def ui_message_ids() -> set[str]:
    method_map = [("**/templates/**.html", "jinja2"), ("**.py", "python")]
    return {msgid for _, _, msgid, _, _ in extract_from_dir(str(WEB), method_map) if isinstance(msgid, str)}


def test_every_ui_string_and_role_label_is_translated_to_english() -> None:
    # role and claim-type labels come from workflows and are translated where shown: _(label)
    missing = (ui_message_ids() | set(ROLE_LABELS.values()) | set(CLAIM_TYPES.values())) - set(EN)
    assert not missing, f"add to web/translations/en_messages.py: {sorted(missing)}"


def test_compiled_catalogue_is_up_to_date() -> None:
    with open(WEB / "translations" / "en" / "LC_MESSAGES" / "messages.mo", "rb") as f:
        catalog = read_mo(f)
    compiled = {m.id: m.string for m in catalog if m.id}
    assert compiled == EN, "run: python web/translations/en_messages.py"


def test_pages_show_times_in_the_commissions_time_zone(app: Flask) -> None:
    # stored in UTC; 16:30 UTC on 1 March is 00:30 on 2 March in Beijing, the day that counts
    at = datetime(2026, 3, 1, 16, 30, tzinfo=UTC)
    with app.test_request_context("/"):
        assert (
            render_template_string("{{ at|datetimeformat('yyyy-MM-dd HH:mm') }}", at=at) == "2026-03-02 00:30"
        )
