"""An employer's labour-contract templates: list, create, revise (a new version), retire, preview.

A template is versioned rows of `LabourContractTemplate` (employer, key, version); a contract
records the row it was drafted from, so revising never changes a contract already made.  What an
employer may vary is the model's text (title, subtitle, preamble, each section's heading and
text, the closing articles), the clause defaults (`ALLOWED_DEFAULTS`: working-time system,
workplace, pay period and day, probation, the social-insurance and protection texts, …) and
supplementary clauses (其他约定, `defaults.other_terms`).  It may not drop or blank a mandatory
clause of 劳动合同法 art.17 (`workflows.contract_clauses.CLAUSES`): every clause keeps its section,
in the order of art.17, and the clause texts the model ships as defaults stay filled.  The
model's article on the electronic form (free viewing, download, printing and a paper copy:
design/law.md §8 items 5-7) is kept as the last closing article.  Defaults pass the very checks
drafting applies (`check_clauses`, on sample parties).

Two agents revising the same template at once cannot both write version N+1: the revision names
the version it was based on and the latest row is locked (PostgreSQL), a stale base is refused,
and the unique (employer, key, version) constraint backs this up — both as a ConflictError that
asks to reload.  Retiring a template retires all its versions: drafting refuses it for new
contracts (`ContractService._template`).

The preview is rendered by the same renderer as real contracts, with sample parties and the
template's defaults, titled and numbered 样本 so it cannot pass for a contract.
"""

from __future__ import annotations

import copy
import json
import re
import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from workflows.audit import Actor, append_chain_event
from workflows.contract_clauses import (
    CLAUSE_BY_KEY,
    CLAUSES,
    PAY_PERIODS,
    WORKING_TIME_SYSTEMS,
    apply_defaults,
    check_clauses,
)
from workflows.contracts import load_model_template
from workflows.db import Database
from workflows.errors import (
    ConflictError,
    FieldProblem,
    NotFoundError,
    PermissionDeniedError,
    ValidationError,
)
from workflows.models import LabourContractTemplate, Organisation, User
from workflows.ports import ContractRenderer
from workflows.roles import EMPLOYER_AGENT
from workflows.runtime import Clock, utcnow

MODEL_KEY = "model"
KEY_PATTERN = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")
MAX_TITLE = 50  # the renderer takes 60; "（样本）" is added to the preview's title
MAX_SUBTITLE = 60
MAX_HEADING = 60
MAX_PARAGRAPH = 2000
MAX_PARAGRAPHS = 30  # per list (preamble, a section's text, closing)
MAX_DEFAULT_TEXT = 1000
MAX_OTHER_TERMS = 30
MAX_CONTENT_BYTES = 64 * 1024
SAMPLE = "样本"
SAMPLE_NUMBER = "样本（仅供预览，不是劳动合同）"
SAMPLE_CODE = "SAMPLE0000"
SAMPLE_SUBTITLE = "样本：仅供预览模板效果，不是劳动合同，不能签署"

#: the clause fields a template may preset, and what kind of value each takes
ALLOWED_DEFAULTS: dict[str, dict[str, str]] = {
    "employer": {"address": "text", "legal_representative": "text"},
    "job": {"duties": "text", "place": "text", "region_code": "text"},
    "working_time": {
        "system": "choice",
        "hours_per_day": "number",
        "hours_per_week": "number",
        "approval": "text",
        "rest": "text",
    },
    "pay": {"pay_period": "choice", "payday": "integer", "other": "text"},
    "term": {"probation_months": "integer"},
    "social_insurance": {"description": "text"},
    "protection": {"labour_protection": "text", "working_conditions": "text", "occupational_hazards": "text"},
}
CHOICES = {("working_time", "system"): WORKING_TIME_SYSTEMS, ("pay", "pay_period"): PAY_PERIODS}
EDITABLE = ("title", "subtitle", "preamble", "sections", "closing", "defaults")

#: sample parties and particulars the preview (and the check of defaults) fills in
_SAMPLE_WORKER_ID = "110101199001011237"
_SAMPLE_CLAUSES: dict[str, Any] = {
    "employer": {"address": "（样本）用人单位住所", "legal_representative": "（样本）法定代表人"},
    "worker": {"name": "样本劳动者", "address": "（样本）劳动者住址", "resident_id": _SAMPLE_WORKER_ID},
    "term": {"kind": "fixed", "start_date": "2027-01-01", "end_date": "2029-12-31", "probation_months": 2},
    "job": {"position": "（样本）工作岗位", "place": "（样本）工作地点"},
    "working_time": {"system": "standard", "rest": "（样本）每周休息两日，依法享受法定节假日和带薪年休假。"},
    "pay": {"monthly_amount": "10000", "probation_amount": "8000", "pay_period": "monthly", "payday": 10},
    "social_insurance": {"description": "（样本）社会保险约定"},
    "protection": {
        "labour_protection": "（样本）劳动保护",
        "working_conditions": "（样本）劳动条件",
        "occupational_hazards": "（样本）职业危害防护",
    },
}


def _aware(at: datetime | None) -> datetime | None:
    return at if at is None or at.tzinfo is not None else at.replace(tzinfo=UTC)


def _model() -> dict[str, Any]:
    return load_model_template()


def electronic_form_article() -> str:
    """The model's last closing article (electronic form, free access, paper copy): always kept."""
    closing: list[str] = _model()["closing"]
    return closing[-1]


def mandatory_default_fields() -> dict[str, tuple[str, ...]]:
    """Clause fields of art.17 whose text the model ships: a template may change, not blank them."""
    defaults: dict[str, dict[str, Any]] = _model().get("defaults") or {}
    return {clause: tuple(fields) for clause, fields in defaults.items() if clause in CLAUSE_BY_KEY}


@dataclass(frozen=True)
class TemplateVersion:
    """One version of a template as listed (no content)."""

    id: int
    template_key: str
    version: int
    title: str
    created_at: datetime
    created_by: str | None
    retired_at: datetime | None


@dataclass(frozen=True)
class TemplateSummary:
    """A template: its latest version and its history, newest first."""

    template_key: str
    latest: TemplateVersion
    versions: tuple[TemplateVersion, ...]

    @property
    def retired(self) -> bool:
        return self.latest.retired_at is not None


@dataclass(frozen=True)
class TemplateDetail:
    """One version with its content, and the template's history (newest first)."""

    version: TemplateVersion
    content: dict[str, Any]
    versions: tuple[TemplateVersion, ...]
    latest_version: int

    @property
    def is_latest(self) -> bool:
        return self.version.version == self.latest_version

    @property
    def retired(self) -> bool:
        return self.version.retired_at is not None


def _problem_list(problems: list[FieldProblem]) -> None:
    if problems:
        raise ValidationError("合同模板有误：" + problems[0].message, problems)


def _text(value: Any, pointer: str, label: str, limit: int, problems: list[FieldProblem]) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str):
        problems.append(FieldProblem(pointer, f"{label}须为文字"))
        return None
    value = value.strip()
    if len(value) > limit:
        problems.append(FieldProblem(pointer, f"{label}不能超过 {limit} 个字符"))
    return value


def _paragraphs(value: Any, pointer: str, label: str, problems: list[FieldProblem]) -> list[str]:
    """A list of paragraphs; blank ones are dropped."""
    if value is None:
        return []
    if isinstance(value, str) or not isinstance(value, Sequence):
        problems.append(FieldProblem(pointer, f"{label}须为段落列表"))
        return []
    if len(value) > MAX_PARAGRAPHS:
        problems.append(FieldProblem(pointer, f"{label}不能超过 {MAX_PARAGRAPHS} 段"))
    out = []
    for i, item in enumerate(value):
        text = _text(item, f"{pointer}/{i}", f"{label}第 {i + 1} 段", MAX_PARAGRAPH, problems)
        if text:
            out.append(text)
    return out


def _number(value: Any) -> int | float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return value
    try:
        number = float(str(value).strip())
    except ValueError:
        return None
    return int(number) if number.is_integer() else number


def _integer(value: Any) -> int | None:
    number = _number(value)
    return number if isinstance(number, int) else None


def _check_defaults(raw: Any, problems: list[FieldProblem]) -> dict[str, Any]:
    """The clause defaults, typed and bounded; each problem points at /content/defaults/<clause>/<field>."""
    base = "/content/defaults"
    if raw is None:
        raw = {}
    if not isinstance(raw, Mapping):
        problems.append(FieldProblem(base, "条款默认值须为对象"))
        return {}
    out: dict[str, Any] = {}
    for clause, fields in raw.items():
        if clause == "other_terms":
            terms = []
            if isinstance(fields, str) or not isinstance(fields, Sequence):
                problems.append(FieldProblem(f"{base}/other_terms", "其他约定须为条目列表"))
                continue
            if len(fields) > MAX_OTHER_TERMS:
                problems.append(FieldProblem(f"{base}/other_terms", f"其他约定不能超过 {MAX_OTHER_TERMS} 条"))
            for i, item in enumerate(fields):
                text = _text(
                    item, f"{base}/other_terms/{i}", f"其他约定第 {i + 1} 条", MAX_DEFAULT_TEXT, problems
                )
                if text:
                    terms.append(text)
            if terms:
                out["other_terms"] = terms
            continue
        allowed = ALLOWED_DEFAULTS.get(str(clause))
        if allowed is None:
            problems.append(FieldProblem(f"{base}/{clause}", "模板不能预设该条款"))
            continue
        if not isinstance(fields, Mapping):
            problems.append(FieldProblem(f"{base}/{clause}", "条款默认值须为对象"))
            continue
        section: dict[str, Any] = {}
        for name, value in fields.items():
            pointer = f"{base}/{clause}/{name}"
            kind = allowed.get(str(name))
            if kind is None:
                problems.append(FieldProblem(pointer, "模板不能预设该项"))
                continue
            if value is None or (isinstance(value, str) and not value.strip()):
                continue  # left empty: the contract gives it
            if kind == "text":
                text = _text(value, pointer, "默认值", MAX_DEFAULT_TEXT, problems)
                if text:
                    section[str(name)] = text
            elif kind == "choice":
                choices = CHOICES[(str(clause), str(name))]
                if value not in choices:
                    problems.append(FieldProblem(pointer, "须为以下之一：" + "、".join(choices.values())))
                else:
                    section[str(name)] = value
            elif kind == "integer":
                number = _integer(value)
                if number is None:
                    problems.append(FieldProblem(pointer, "须为整数"))
                elif (clause, name) == ("pay", "payday") and not 1 <= number <= 31:
                    problems.append(FieldProblem(pointer, "发薪日须为每月 1–31 日"))
                elif number < 0:
                    problems.append(FieldProblem(pointer, "不能为负数"))
                else:
                    section[str(name)] = number
            else:
                amount = _number(value)
                if amount is None:
                    problems.append(FieldProblem(pointer, "须为数字"))
                else:
                    section[str(name)] = amount
        if section:
            out[str(clause)] = section
    for clause, names in mandatory_default_fields().items():
        for name in names:
            if not (out.get(clause) or {}).get(name):
                citation = CLAUSE_BY_KEY[clause].citation
                problems.append(
                    FieldProblem(f"{base}/{clause}/{name}", f"不能删除或留空必备条款的约定：{citation}")
                )
    return out


def _drafting_checks(defaults: dict[str, Any], problems: list[FieldProblem]) -> None:
    """The checks drafting applies (art.17-20 and the working-time rules), on sample parties."""
    # values refused above are not in `defaults`: the sample's stand in, so each problem is told once
    clauses = apply_defaults({k: v for k, v in defaults.items() if k != "other_terms"}, _SAMPLE_CLAUSES)
    try:
        check_clauses(clauses)
    except ValidationError as exc:
        for p in exc.problems:
            parts = [x for x in p.pointer.split("/") if x][1:]  # drop "clauses"
            if len(parts) >= 2 and parts[1] in (defaults.get(parts[0]) or {}):
                problems.append(FieldProblem(f"/content/defaults/{parts[0]}/{parts[1]}", p.message))
            elif parts and parts[0] in defaults:
                where = "/".join(parts)
                problems.append(FieldProblem(f"/content/defaults/{where}", p.message))


def _check_sections(raw: Any, problems: list[FieldProblem]) -> list[dict[str, Any]]:
    """A section per mandatory clause, in the order of art.17, each with a heading."""
    pointer = "/content/sections"
    if isinstance(raw, Mapping):  # {clause: {heading, text}} is accepted too
        raw = [{"clause": k, **(v if isinstance(v, Mapping) else {})} for k, v in raw.items()]
    if raw is None or isinstance(raw, str) or not isinstance(raw, Sequence):
        problems.append(FieldProblem(pointer, "须为劳动合同法第十七条各项必备条款的章节列表"))
        return []
    given: dict[str, tuple[int, Mapping[str, Any]]] = {}
    for i, section in enumerate(raw):
        clause = section.get("clause") if isinstance(section, Mapping) else None
        if clause not in CLAUSE_BY_KEY:
            problems.append(FieldProblem(f"{pointer}/{i}/clause", "须为劳动合同法第十七条规定的必备条款之一"))
        elif clause in given:
            problems.append(FieldProblem(f"{pointer}/{i}/clause", "每项必备条款只能有一个章节"))
        else:
            assert isinstance(section, Mapping)
            given[clause] = (i, section)
    out = []
    for clause in CLAUSES:
        if clause.key not in given:
            problems.append(FieldProblem(f"{pointer}/{clause.key}", f"不能删除必备条款：{clause.citation}"))
            continue
        i, section = given[clause.key]
        heading = _text(section.get("heading"), f"{pointer}/{i}/heading", "标题", MAX_HEADING, problems)
        if not heading:
            problems.append(
                FieldProblem(f"{pointer}/{i}/heading", f"必备条款的标题不能为空：{clause.citation}")
            )
        text = _paragraphs(section.get("text"), f"{pointer}/{i}/text", "条款正文", problems)
        out.append({"clause": clause.key, "heading": heading or "", "text": text})
    order = [c for c in given]
    if not problems and order != [c.key for c in CLAUSES]:
        problems.append(FieldProblem(pointer, "各章节须按劳动合同法第十七条第一款的顺序排列"))
    return out


def check_template(title: Any, content: Mapping[str, Any]) -> tuple[str, dict[str, Any]]:
    """The template's title and content (the editable parts, shaped like model.json) made sound;
    ValidationError with pointers /title and /content/... otherwise."""
    problems: list[FieldProblem] = []
    if not isinstance(content, Mapping):
        raise ValidationError("合同模板有误", [FieldProblem("/content", "模板内容须为对象")])
    try:
        size = len(json.dumps(dict(content), ensure_ascii=False, default=str).encode("utf-8"))
    except (TypeError, ValueError):
        size = MAX_CONTENT_BYTES + 1
    if size > MAX_CONTENT_BYTES:
        raise ValidationError(
            "合同模板过大", [FieldProblem("/content", f"模板内容不能超过 {MAX_CONTENT_BYTES // 1024} KB")]
        )
    unknown = sorted(str(k) for k in content if k not in EDITABLE and k not in ("key", "_about", "title"))
    problems += [FieldProblem(f"/content/{k}", "模板不能包含此项") for k in unknown]
    clean_title = _text(title, "/title", "模板标题", MAX_TITLE, problems)
    if not clean_title:
        problems.append(FieldProblem("/title", "请填写模板标题（合同名称）"))
    subtitle = _text(content.get("subtitle"), "/content/subtitle", "副标题", MAX_SUBTITLE, problems)
    preamble = _paragraphs(content.get("preamble"), "/content/preamble", "序言", problems)
    sections = _check_sections(content.get("sections"), problems)
    article = electronic_form_article()
    closing = [p for p in _paragraphs(content.get("closing"), "/content/closing", "结尾条款", problems)]
    closing = [p for p in closing if p != article] + [article]
    defaults = _check_defaults(content.get("defaults"), problems)
    _drafting_checks(defaults, problems)
    _problem_list(problems)
    assert clean_title is not None
    return clean_title, {
        "title": clean_title,
        "subtitle": subtitle or None,
        "preamble": preamble,
        "sections": sections,
        "closing": closing,
        "defaults": defaults,
    }


def editable_closing(content: Mapping[str, Any]) -> list[str]:
    """The closing articles an employer edits (the electronic-form article is kept by the system)."""
    article = electronic_form_article()
    return [p for p in content.get("closing") or [] if p != article]


class ContractTemplateService:
    """An employer agent's templates (see the module docstring)."""

    def __init__(
        self,
        db: Database,
        renderer: ContractRenderer,
        *,
        verify_base_url: str,
        clock: Clock = utcnow,
    ):
        self.db = db
        self.renderer = renderer
        self.verify_base_url = verify_base_url.rstrip("/")
        self.clock = clock

    # -- reading -----------------------------------------------------------------------------

    def list(self, actor: Actor, *, include_retired: bool = True) -> list[TemplateSummary]:
        """The employer's templates, by key: latest version first, with the history."""
        employer_id = _employer_of(actor)
        with self.db.transaction() as s:
            rows = list(
                s.execute(
                    select(LabourContractTemplate)
                    .where(LabourContractTemplate.employer_id == employer_id)
                    .order_by(LabourContractTemplate.template_key, LabourContractTemplate.version.desc())
                ).scalars()
            )
            names = _names(s, [r.created_by for r in rows])
            by_key: dict[str, list[TemplateVersion]] = {}
            for row in rows:
                by_key.setdefault(row.template_key, []).append(_version(row, names))
        out = [TemplateSummary(key, versions[0], tuple(versions)) for key, versions in by_key.items()]
        if not include_retired:
            out = [t for t in out if not t.retired]
        return sorted(out, key=lambda t: (t.retired, -t.latest.created_at.timestamp(), t.template_key))

    def get(self, actor: Actor, template_key: str, version: int | None = None) -> TemplateDetail:
        """One version of a template (the latest by default); another employer's is absent."""
        employer_id = _employer_of(actor)
        with self.db.transaction() as s:
            return self._detail(s, employer_id, template_key, version)

    def get_by_id(self, actor: Actor, template_id: int) -> TemplateDetail:
        employer_id = _employer_of(actor)
        with self.db.transaction() as s:
            row = s.get(LabourContractTemplate, template_id)
            if row is None or row.employer_id != employer_id:
                raise NotFoundError("labour contract template", template_id)
            return self._detail(s, employer_id, row.template_key, row.version)

    # -- writing -----------------------------------------------------------------------------

    def create(
        self,
        actor: Actor,
        *,
        title: str,
        copy_of: str | None = None,
        template_key: str | None = None,
    ) -> TemplateDetail:
        """A new template (version 1): a copy of the shipped model, or of the latest version of
        one of the employer's own templates (`copy_of`)."""
        employer_id = _employer_of(actor)
        problems: list[FieldProblem] = []
        key = (template_key or "").strip().lower() or f"tpl-{secrets.token_hex(4)}"
        if not KEY_PATTERN.match(key):
            problems.append(
                FieldProblem("/template_key", "模板代码须为小写字母、数字、连字符或下划线，至多 64 个字符")
            )
        with self.db.transaction() as s:
            if copy_of:
                source = self._latest(s, employer_id, copy_of)
                if source is None:
                    problems.append(FieldProblem("/copy_of", "没有这个模板"))
                    content: dict[str, Any] = {}
                else:
                    content = copy.deepcopy(source.content)
            else:
                content = _model()
            if not problems and self._latest(s, employer_id, key) is not None:
                problems.append(FieldProblem("/template_key", "已有使用该代码的模板"))
            _problem_list(problems)
            clean_title, checked = check_template(title, content)
            return self._insert(s, actor, employer_id, key, 1, clean_title, checked, "created", copy_of)

    def revise(
        self,
        actor: Actor,
        template_key: str,
        *,
        base_version: int,
        title: str,
        content: Mapping[str, Any],
    ) -> TemplateDetail:
        """Save an edit as a new version (contracts keep the version they were made from).

        `base_version` is the version the edit started from: if someone saved another version
        since, ConflictError (reload and edit again) — never two versions N+1."""
        employer_id = _employer_of(actor)
        clean_title, checked = check_template(title, content)
        with self.db.transaction() as s:
            latest = self._latest(s, employer_id, template_key, lock=True)
            if latest is None:
                raise NotFoundError("labour contract template", template_key)
            if base_version != latest.version:
                raise TemplateChangedError(template_key, base_version, latest.version)
            if latest.retired_at is not None:
                raise ConflictError("该合同模板已停用：请先恢复使用，再修改")
            return self._insert(
                s, actor, employer_id, template_key, latest.version + 1, clean_title, checked, "revised", None
            )

    def retire(self, actor: Actor, template_key: str) -> TemplateDetail:
        """No longer offered for new contracts (all versions); contracts made from it are unaffected."""
        return self._set_retired(actor, template_key, True)

    def unretire(self, actor: Actor, template_key: str) -> TemplateDetail:
        return self._set_retired(actor, template_key, False)

    # -- preview -----------------------------------------------------------------------------

    def preview(self, actor: Actor, template_key: str, version: int | None = None) -> bytes:
        """The template as the final PDF — same renderer as contracts — with sample parties and the
        defaults, titled and numbered 样本."""
        employer_id = _employer_of(actor)
        with self.db.transaction() as s:
            detail = self._detail(s, employer_id, template_key, version)
            org = s.get(Organisation, employer_id)
            employer_name = org.name if org is not None else SAMPLE
        return self.renderer.render_contract(
            sample_render_data(detail.content, employer_name, self.verify_base_url)
        )

    # -- helpers -----------------------------------------------------------------------------

    def _set_retired(self, actor: Actor, template_key: str, retired: bool) -> TemplateDetail:
        employer_id = _employer_of(actor)
        with self.db.transaction() as s:
            latest = self._latest(s, employer_id, template_key, lock=True)
            if latest is None:
                raise NotFoundError("labour contract template", template_key)
            was = latest.retired_at is not None
            if was != retired:
                now = self.clock()
                s.execute(
                    update(LabourContractTemplate)
                    .where(
                        LabourContractTemplate.employer_id == employer_id,
                        LabourContractTemplate.template_key == template_key,
                    )
                    .values(retired_at=now if retired else None)
                )
                self._audit(
                    s, actor, employer_id, template_key, "retired" if retired else "unretired", latest.version
                )
            s.expire_all()
            return self._detail(s, employer_id, template_key, None)

    def _insert(
        self,
        s: Session,
        actor: Actor,
        employer_id: int,
        key: str,
        version: int,
        title: str,
        content: dict[str, Any],
        action: str,
        copy_of: str | None,
    ) -> TemplateDetail:
        row = LabourContractTemplate(
            employer_id=employer_id,
            template_key=key,
            version=version,
            title=title,
            content={"key": key, **content},
            created_by=actor.user_id,
            created_at=self.clock(),
        )
        try:
            with s.begin_nested():
                s.add(row)
                s.flush()
        except IntegrityError as exc:
            raise ConflictError(f"合同模板「{key}」刚被他人保存了新版本：请重新载入后再修改") from exc
        self._audit(s, actor, employer_id, key, action, version, copy_of=copy_of)
        return self._detail(s, employer_id, key, version)

    def _audit(
        self, s: Session, actor: Actor, employer_id: int, key: str, action: str, version: int, **extra: Any
    ) -> None:
        chain = f"labour_contract_template:{employer_id}:{key}"
        after = {"version": version, **{k: v for k, v in extra.items() if v is not None}}
        append_chain_event(
            s, chain, actor, f"labour_contract_template.{action}", chain, after, at=self.clock()
        )

    @staticmethod
    def _latest(
        s: Session, employer_id: int, key: str, *, lock: bool = False
    ) -> LabourContractTemplate | None:
        query = (
            select(LabourContractTemplate)
            .where(
                LabourContractTemplate.employer_id == employer_id,
                LabourContractTemplate.template_key == key,
            )
            .order_by(LabourContractTemplate.version.desc())
            .limit(1)
        )
        if lock:
            query = query.with_for_update()
        found: LabourContractTemplate | None = s.execute(query).scalars().first()
        if found is not None and lock:
            # a version inserted while we waited for the lock is seen by a new statement
            newest = s.execute(
                select(func.max(LabourContractTemplate.version)).where(
                    LabourContractTemplate.employer_id == employer_id,
                    LabourContractTemplate.template_key == key,
                )
            ).scalar()
            if newest is not None and newest != found.version:
                again: LabourContractTemplate | None = s.execute(query).scalars().first()
                return again
        return found

    def _detail(self, s: Session, employer_id: int, key: str, version: int | None) -> TemplateDetail:
        rows = list(
            s.execute(
                select(LabourContractTemplate)
                .where(
                    LabourContractTemplate.employer_id == employer_id,
                    LabourContractTemplate.template_key == key,
                )
                .order_by(LabourContractTemplate.version.desc())
            ).scalars()
        )
        if not rows:
            raise NotFoundError("labour contract template", key)
        chosen = rows[0] if version is None else next((r for r in rows if r.version == version), None)
        if chosen is None:
            raise NotFoundError("labour contract template version", f"{key}@{version}")
        names = _names(s, [r.created_by for r in rows])
        return TemplateDetail(
            _version(chosen, names),
            copy.deepcopy(chosen.content),
            tuple(_version(r, names) for r in rows),
            rows[0].version,
        )


class TemplateChangedError(ConflictError):
    """The template was saved by someone else since this edit began."""

    code = "template_changed"

    def __init__(self, template_key: str, base_version: int, latest_version: int):
        super().__init__(
            f"合同模板已被他人修改（您编辑的是第 {base_version} 版，最新为第 {latest_version} 版）："
            "请重新载入后再修改"
        )
        self.template_key, self.base_version, self.latest_version = template_key, base_version, latest_version


def sample_render_data(
    content: Mapping[str, Any], employer_name: str, verify_base_url: str
) -> dict[str, Any]:
    """What the renderer takes for a preview: sample parties under the template's defaults."""
    template = copy.deepcopy(dict(content))
    template["title"] = f"{template.get('title') or '劳动合同书'}（{SAMPLE}）"
    template["subtitle"] = SAMPLE_SUBTITLE
    defaults = template.get("defaults") or {}
    clauses = apply_defaults(defaults, _SAMPLE_CLAUSES)  # the template's defaults win over the sample's
    clauses["employer"]["name"] = employer_name
    if clauses["working_time"].get("system") != "standard":
        clauses["working_time"].setdefault("approval", "（样本）审批文号")
    checked = check_clauses(clauses)
    return {
        "contract_number": SAMPLE_NUMBER,
        "verification_url": f"{verify_base_url}?code={SAMPLE_CODE}",
        "verification_code": SAMPLE_CODE,
        "template": template,
        "clauses": checked.clauses,
    }


def _employer_of(actor: Actor) -> int:
    if EMPLOYER_AGENT not in actor.roles or actor.organisation_id is None:
        raise PermissionDeniedError("只有用人单位经办人可以管理劳动合同模板")
    return actor.organisation_id


def _names(s: Session, ids: Sequence[int | None]) -> dict[int, str]:
    wanted = {i for i in ids if i is not None}
    if not wanted:
        return {}
    return {
        uid: name for uid, name in s.execute(select(User.id, User.display_name).where(User.id.in_(wanted)))
    }


def _version(row: LabourContractTemplate, names: Mapping[int, str]) -> TemplateVersion:
    created = _aware(row.created_at)
    assert created is not None
    return TemplateVersion(
        id=row.id,
        template_key=row.template_key,
        version=row.version,
        title=row.title,
        created_at=created,
        created_by=names.get(row.created_by) if row.created_by is not None else None,
        retired_at=_aware(row.retired_at),
    )
