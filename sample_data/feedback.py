"""Demo client feedback: survey answers after the sample's handovers, written as the exports
of several survey tools and loaded through the same readers users use.

Answers follow the handovers that were loaded: most completed handovers get a response some
days after they end; late handovers, complaints and discrepancies lower the ratings. A few
responses name a company that is not a client (a typo), a few come before any handover of
their client, and the Qualtrics export carries previews and unfinished responses, so that
every branch of matching, attribution and exclusion shows up in the demo.
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta
from pathlib import Path

from pipelines.store import Store
from sample_data.surveys import (
    Answer,
    write_google,
    write_qualtrics,
    write_surveymonkey,
    write_tencent,
    write_wjx,
)

COMMENTS_GOOD = [
    "交接很顺利，新会计很专业",
    "沟通及时，资料清楚",
    "没有影响报税，满意",
    "新会计很快熟悉了我们的情况",
    "感谢，一切正常",
]
COMMENTS_BAD = [
    "交接期间有一次申报差点逾期",
    "新会计对我们的情况不熟悉，需要反复解释",
    "UKey交接花了好几天",
    "希望提前通知更换会计",
    "对账单少了两个月，后来补上了",
]

MAX_SURVEYED = 30_000  # handovers whose clients are asked at most

# (tool, file name, share of the responses) in the order they are written and loaded.
EXPORTS = (
    ("wjx", "问卷星_交接满意度回访.csv", 0.35),
    ("tencent", "腾讯问卷_客户满意度.xlsx", 0.25),
    ("qualtrics", "Qualtrics_Handover_Survey.csv", 0.2),
    ("surveymonkey", "SurveyMonkey_Client_Feedback.csv", 0.1),
    ("google", "Google_Forms_Feedback.csv", 0.1),
)


def write_feedback_files(
    store: Store, out_dir: Path, as_of: datetime, seed: int = 42
) -> list[Path]:
    """Write the demo survey exports for the handovers in ``store``; returns their paths."""
    rng = random.Random(seed)
    answers = _answers(store, rng, as_of)
    rng.shuffle(answers)
    paths, start = [], 0
    for tool, name, share in EXPORTS:
        count = round(len(answers) * share) if tool != EXPORTS[-1][0] else len(answers) - start
        part = sorted(answers[start : start + count], key=lambda a: a.submitted_at)
        start += count
        path = Path(out_dir) / name
        if tool == "wjx":
            write_wjx(path, part, identify_by="company_name")
        elif tool == "tencent":
            write_tencent(path, part)
        elif tool == "qualtrics":
            extra = [_variant(a, rng, "preview") for a in part[:2]]
            extra += [_variant(a, rng, "unfinished") for a in part[2:5]]
            write_qualtrics(path, sorted(part + extra, key=lambda a: a.submitted_at))
        elif tool == "surveymonkey":
            write_surveymonkey(path, part)
        else:
            write_google(path, part)
        paths.append(path)
    return paths


def _variant(answer: Answer, rng: random.Random, status: str) -> Answer:
    return Answer(
        answer.submitted_at - timedelta(hours=rng.randint(1, 48)),
        client_id=answer.client_id,
        company_name=answer.company_name,
        satisfaction=rng.randint(1, 5),
        status=status,
    )


def _answers(store: Store, rng: random.Random, as_of: datetime) -> list[Answer]:
    rows = store.query(
        """
        select
            h.handover_id, h.client_id, h.actual_end, h.planned_end,
            c.company_name, c.uscc, c.contact_phone,
            count(e.record_key) filter (where e.event_type = 'complaint') as complaints,
            count(e.record_key) filter (where e.event_type = 'discrepancy_found') as issues
        from stg_handovers as h
        join stg_clients as c on c.client_id = h.client_id
        left join stg_events as e on e.handover_id = h.handover_id
        where h.actual_end is not null
        group by all
        order by h.handover_id
        """
    ).dicts()
    if len(rows) > MAX_SURVEYED:  # the large sample: a survey of a part of the firm
        rows = sorted(rng.sample(rows, MAX_SURVEYED), key=lambda r: r["handover_id"])
    answers = []
    for row in rows:
        if rng.random() > 0.6:
            continue
        submitted = row["actual_end"] + timedelta(
            days=rng.randint(1, 40), minutes=rng.randint(0, 600)
        )
        if rng.random() < 0.04:  # answered before the handover ended: not attributable to it
            submitted = row["actual_end"] - timedelta(days=rng.randint(3, 20))
        if submitted > as_of:
            continue
        late = row["planned_end"] is not None and row["actual_end"].date() > row["planned_end"]
        mood = 4.3 - 0.8 * late - 1.2 * bool(row["complaints"]) - 0.3 * min(row["issues"], 2)
        satisfaction = max(1, min(5, round(rng.gauss(mood, 0.8))))
        recommend = max(0, min(10, round(rng.gauss(satisfaction * 2 - 0.5, 1.3))))
        company = row["company_name"]
        if rng.random() < 0.03:  # a typo: matches no client
            company = company.replace("有限公司", "有限责任公司")
            client_id = None
        else:
            client_id = row["client_id"]
        pool = COMMENTS_GOOD if satisfaction >= 4 else COMMENTS_BAD
        answers.append(
            Answer(
                submitted_at=submitted.replace(microsecond=0),
                client_id=client_id,
                company_name=company,
                uscc=row["uscc"],
                contact_phone=row["contact_phone"],
                satisfaction=satisfaction,
                recommend=recommend if rng.random() > 0.05 else None,
                comment=rng.choice(pool) if rng.random() < 0.5 else None,
                communication=max(1, min(5, satisfaction + rng.choice((-1, 0, 0, 1)))),
                confidentiality=max(1, min(5, satisfaction + rng.choice((0, 0, 1)))),
            )
        )
    return answers
