"""Finding the client, the time and the answers in a survey's columns.

``detect_fields`` reads question titles (Chinese or English) and checks the answers under them;
it returns a ``FieldMapping`` and, where it is unsure, the candidates for each field. The CLI
turns an unsure mapping into a message with the ``--map FIELD=COLUMN`` line that settles it;
the dashboard's upload page offers the same candidates in a form. Both call this module.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from pipelines.errors import HandoverError
from pipelines.feedback.layout import Survey, SurveyColumn
from pipelines.feedback.scales import is_skipped, looks_like_recommend, looks_like_satisfaction
from pipelines.normalise import header_key, text
from pipelines.readers import cell_text

IDENTIFIERS = ("client_id", "uscc", "company_name", "contact_phone")
ANSWERS = ("overall_satisfaction", "recommend_score", "comment")
DIMENSIONS = ("dim_communication", "dim_professionalism", "dim_continuity", "dim_confidentiality")
FIELDS = (*IDENTIFIERS, "submitted_at", *ANSWERS, *DIMENSIONS)
MAPPABLE = (*IDENTIFIERS, "submitted_at", *ANSWERS)  # the --map fields of DOMAIN.md §5

FIELD_LABELS = {
    "client_id": "客户编号 client id",
    "uscc": "统一社会信用代码 USCC",
    "company_name": "企业名称 company name",
    "contact_phone": "联系电话 phone",
    "submitted_at": "提交时间 submission time",
    "overall_satisfaction": "总体满意度 overall satisfaction (1-5)",
    "recommend_score": "推荐意愿 likelihood to recommend (0-10)",
    "comment": "意见建议 comment",
    "dim_communication": "沟通 communication",
    "dim_professionalism": "专业 professionalism",
    "dim_continuity": "服务连续性 continuity",
    "dim_confidentiality": "保密 confidentiality",
}

_PATTERNS = {
    "client_id": r"客户编号|客户代码|客户号|客户id|client\s*(?:id|code|number|no)|customer\s*(?:id|"
    r"code|number)|custom\s*data\s*1|external\s*(?:data\s*)?reference",
    "uscc": r"统一社会信用代码|社会信用代码|信用代码|纳税人识别号|税号|uscc|credit\s*code",
    "company_name": r"企业名称|公司名称|单位名称|企业全称|公司全称|贵公司|贵企业|company|"
    r"organi[sz]ation\s*name|business\s*name|firm\s*name",
    "contact_phone": r"手机号|手机号码|电话|联系方式|phone|mobile\s*(?:number|no)|tel\b",
    "recommend_score": r"推荐|recommend|\bnps\b|how\s+likely",
    "comment": r"建议|意见|评价|留言|想说|补充|其他|comment|suggest|feedback|anything\s*else|"
    r"improve|better|remarks|改进|改善",
    "dim_communication": r"沟通|communicat|responsive",
    "dim_professionalism": r"专业|profession|expertise|competen",
    "dim_continuity": r"连续|衔接|延续|continuit|seamless",
    "dim_confidentiality": r"保密|隐私|信息安全|资料安全|confidential|privacy|data\s*secur",
    "overall_satisfaction": r"满意|satisf|overall\s*(?:rating|experience)|总体评价|整体评价|评分|"
    r"打分|\brat(?:e|ing)\b|how\s+(?:was|would\s+you\s+rate)",
}
_OVERALL_HINT = re.compile(r"总体|整体|综合|overall|in\s*general|总的来说", re.IGNORECASE)


@dataclass
class FieldMapping:
    """Which survey column feeds which field; candidates where detection is unsure."""

    columns: dict[str, SurveyColumn] = field(default_factory=dict)
    candidates: dict[str, list[SurveyColumn]] = field(default_factory=dict)
    missing: list[str] = field(default_factory=list)  # required and not found

    @property
    def is_sure(self) -> bool:
        return not self.missing and not self.candidates

    def describe(self) -> dict[str, str]:
        """field -> column as shown to the user, in the order of FIELDS."""
        return {name: self.columns[name].shown for name in FIELDS if name in self.columns}


class MappingUnsureError(HandoverError):
    """Detection could not settle which columns hold the client or the answers."""

    def __init__(self, survey: Survey, mapping: FieldMapping):
        self.survey = survey
        self.mapping = mapping
        problems = []
        if "identifier" in mapping.missing:
            problems.append(
                "no column identifies the client (客户编号, 统一社会信用代码, 企业名称 or 联系电话)"
            )
        if "answer" in mapping.missing:
            problems.append(
                "no column holds the overall satisfaction (1-5) or the "
                "likelihood to recommend (0-10)"
            )
        for name, cols in mapping.candidates.items():
            problems.append(
                f"{len(cols)} columns could be {name}: " + "; ".join(repr(c.shown) for c in cols)
            )
        details = [f"columns of the file ({survey.tool.label}):"]
        for col in survey.questions:
            details.append(f"  {col.shown!r} e.g. {sample_answers(survey, col)}")
        details.append("settle it with --map, for example:")
        details.append("  " + suggest_map_line(survey, mapping))
        super().__init__(
            f"{survey.file}: recognised as a {survey.tool.label} export, but "
            + "; ".join(problems)
            + ". Nothing was loaded.",
            title="Which columns?",
            details=details,
            code="survey_mapping_unsure",
            params={
                "file": survey.file,
                "tool": survey.tool.name,
                "fields": [*mapping.missing, *mapping.candidates],
            },
        )


def sample_answers(survey: Survey, col: SurveyColumn, n: int = 3) -> str:
    values = [cell_text(v).strip() for v in survey.rows[col.position].head(50)]
    seen = []
    for value in values:
        if value and value not in seen:
            seen.append(value[:20])
        if len(seen) == n:
            break
    return ", ".join(seen) or "(empty)"


def suggest_map_line(survey: Survey, mapping: FieldMapping) -> str:
    parts = []
    wanted = [*mapping.candidates]
    if "identifier" in mapping.missing:
        wanted.append("client_id")
    if "answer" in mapping.missing:
        wanted.append("overall_satisfaction")
    for name in dict.fromkeys(wanted):
        options = mapping.candidates.get(name) or survey.questions
        example = options[0].name if options else "COLUMN"
        parts.append(f'--map {name}="{example}"')
    return f"handover ingest feedback {survey.file} " + " ".join(parts)


def _title_key(col: SurveyColumn) -> str:
    return f"{header_key(col.name)} {header_key(col.title)}".replace("_", " ")


def _matches(name: str, col: SurveyColumn) -> bool:
    return re.search(_PATTERNS[name], _title_key(col), re.IGNORECASE) is not None


def _values(survey: Survey, col: SurveyColumn) -> list[object]:
    return list(survey.rows[col.position]) if col.position in survey.rows.columns else []


def detect_fields(survey: Survey, overrides: dict[str, str] | None = None) -> FieldMapping:
    """Map fields to columns from titles and answers; ``overrides`` (--map) win."""
    mapping = FieldMapping()
    taken: set[int] = set()
    for name, reference in (overrides or {}).items():
        if name not in MAPPABLE and name not in DIMENSIONS:
            raise HandoverError(
                f"--map {name}=…: unknown field; the fields are {', '.join(MAPPABLE)}.",
                code="survey_map_unknown_field",
                params={"field": name},
            )
        found = [c for c in survey.columns if c.answers_to(reference)]
        if not found:
            raise HandoverError(
                f"--map {name}={reference!r}: {survey.file} has no such column. Its columns: "
                + "; ".join(repr(c.shown) for c in survey.columns),
                code="survey_map_no_column",
                params={"file": survey.file, "field": name, "column": reference},
            )
        mapping.columns[name] = found[0]
        taken.add(found[0].position)

    for col in survey.questions:  # a header that is a field's own name (the plain template)
        name = header_key(col.name).replace(" ", "_")
        if name in FIELDS and name not in mapping.columns and col.position not in taken:
            mapping.columns[name] = col
            taken.add(col.position)

    tool = survey.tool
    metadata_sources = {"submitted_at": tool.submitted_at, "client_id": tool.client_columns}
    for name, names in metadata_sources.items():
        meta = survey.column(names) if names else None  # that metadata's column
        if name not in mapping.columns and meta is not None and _has_answers(survey, meta):
            mapping.columns[name] = meta
            taken.add(meta.position)

    order = (
        "dim_communication",
        "dim_professionalism",
        "dim_continuity",
        "dim_confidentiality",
        "recommend_score",
        "client_id",
        "uscc",
        "company_name",
        "contact_phone",
        "overall_satisfaction",
        "comment",
    )
    for name in order:
        if name in mapping.columns:
            continue
        found = [c for c in survey.questions if c.position not in taken and _matches(name, c)]
        if name.startswith("dim_"):  # "总体满意度" is the overall rating, not a dimension
            found = [c for c in found if not _OVERALL_HINT.search(_title_key(c))]
        found = _confirm_by_answers(survey, name, found)
        if name == "overall_satisfaction" and len(found) > 1:
            hinted = [c for c in found if _OVERALL_HINT.search(_title_key(c))]
            found = hinted or found
        if len(found) == 1:
            mapping.columns[name] = found[0]
            taken.add(found[0].position)
        elif len(found) > 1 and name in (*IDENTIFIERS, "overall_satisfaction", "recommend_score"):
            mapping.candidates[name] = found
        elif len(found) > 1:  # a comment or a dimension: the first is a fair choice
            mapping.columns[name] = found[0]
            taken.add(found[0].position)

    if not any(n in mapping.columns for n in IDENTIFIERS) and not any(
        n in mapping.candidates for n in IDENTIFIERS
    ):
        mapping.missing.append("identifier")
    if not any(
        n in mapping.columns for n in ("overall_satisfaction", "recommend_score")
    ) and not any(n in mapping.candidates for n in ("overall_satisfaction", "recommend_score")):
        mapping.missing.append("answer")
    return mapping


def _has_answers(survey: Survey, col: SurveyColumn) -> bool:
    return any(text(v) for v in _values(survey, col))


def _confirm_by_answers(survey: Survey, name: str, found: list[SurveyColumn]) -> list[SurveyColumn]:
    """Keep the columns whose answers fit the field (ratings must read as ratings)."""
    if name == "overall_satisfaction" or name.startswith("dim_"):
        return [c for c in found if looks_like_satisfaction(_values(survey, c)) >= 0.8]
    if name == "recommend_score":
        return [c for c in found if looks_like_recommend(_values(survey, c)) >= 0.8]
    if name == "contact_phone":
        return [
            c
            for c in found
            if _share(survey, c, lambda v: len(re.sub(r"[^0-9]", "", v)) >= 7) >= 0.5
        ]
    if name == "company_name":  # a question that merely mentions 贵公司 is not the name
        named = [c for c in found if re.search(r"名称|全称|name", _title_key(c), re.I)]
        found = named or found
        return [
            c
            for c in found
            if _share(survey, c, lambda v: True) > 0
            and looks_like_satisfaction(_values(survey, c)) < 0.5
        ]
    if name == "uscc":
        return [
            c for c in found if _share(survey, c, lambda v: len(v.replace(" ", "")) >= 15) >= 0.5
        ]
    return found


def _share(survey: Survey, col: SurveyColumn, test) -> float:
    answered = [t for t in (text(v) for v in _values(survey, col)) if t and not is_skipped(t)]
    return sum(1 for v in answered if test(v)) / len(answered) if answered else 0.0
