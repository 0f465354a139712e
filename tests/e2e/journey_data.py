"""A small firm of our own for the journey tests (issue 11): 苏州 澄湖财税, three teams
(审计组, 外勤组, 税务二组), twelve staff, 30 clients and 45 handovers ended in October to
December 2025, with their logs, written in the import templates of DOMAIN.md §2 the way a
firm's own systems would write them (an XLSX of clients with Chinese headers, a UTF-8-BOM CSV
of handovers with 是/否 and ``2025/10/3`` dates, a GBK CSV of events with Chinese codes),
and Qualtrics survey exports in the layout of the real export kept in
``/work/shared/fixtures/real/qualtrics_numeric_de.csv`` (three header rows, numeric
``Status``/``Finished``, a label row in the respondent's language, an empty last column),
answered by this firm's clients.

Nothing here comes from the product's sample generator: names, teams, counts, dates and
formats differ on purpose. The firm is built so that the journeys know their answer from the
rows alone:

- 税务二组 works badly: every handover ends 12 days late, without supervisor, NDA or
  sign-off, and its sensitive items (bank accounts, tax UKey, e-tax login) are handed over
  but never verified (a critical flag: red). It is clearly the lowest-scoring team.
- two clients are wrong on purpose: one has a landline as its contact phone
  (``clients.contact_phone.valid``), one a USCC whose check character is wrong
  (``clients.uscc.valid``); ``corrected_clients`` is the same file with both put right.
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from pathlib import Path

AS_OF = date(2025, 12, 31)  # the journeys look at the firm as of the end of 2025

TEAMS = ("审计组", "外勤组", "税务二组")
WEAK_TEAM = "税务二组"
STAFF = {
    "审计组": ("郑晓岚", "魏子墨", "蒋一帆", "陶静怡"),
    "外勤组": ("韩雪松", "杨柳青", "曹文博", "冯可欣"),
    "税务二组": ("邱明远", "贺思琪", "龚建华", "尹梦洁"),
}
SUPERVISORS = {"审计组": "孔令仪", "外勤组": "严正平", "税务二组": None}

# the twelve checklist items (code, 中文) and the sensitive ones, as DOMAIN.md lists them
ITEMS = {
    "business_license": "营业执照",
    "bank_accounts": "银行账户及对账单",
    "tax_device": "税控设备(UKey)",
    "etax_credentials": "电子税务局账号",
    "vouchers": "会计凭证",
    "ledgers": "会计账簿",
    "financial_statements": "财务报表",
    "tax_returns": "纳税申报表",
    "contracts": "合同协议",
    "payroll_social_insurance": "工资及社保公积金",
    "invoices": "发票资料",
    "pending_matters": "未了事项说明",
}
SENSITIVE = ("etax_credentials", "bank_accounts", "tax_device")
EVENT_ZH = {
    "item_transferred": "资料移交",
    "item_verified": "核对通过",
    "discrepancy_found": "发现差异",
    "discrepancy_fixed": "差异已更正",
    "backup_done": "已备份",
    "training_done": "培训完成",
    "client_notified": "已通知客户",
    "access_revoked": "权限已收回",
    "followup_visit": "客户回访",
    "signed_off": "签字确认",
}
REASON_ZH = {"resignation": "离职", "rotation": "调岗", "leave": "休假", "reassignment": "重新分配"}

_NAMES = (
    "恒嘉",
    "瑞丰",
    "德润",
    "金阊",
    "凌云",
    "汇通",
    "锦绣",
    "枫桥",
    "澄湖",
    "沧浪",
    "虎丘",
    "平江",
    "胥江",
    "木渎",
    "甪直",
    "同里",
    "太湖",
    "阳澄",
    "石湖",
    "葑门",
    "娄江",
    "南浔",
    "望亭",
    "光福",
    "东山",
    "西山",
    "横塘",
    "盘门",
    "浒关",
    "黄埭",
)
_TRADES = (
    "贸易",
    "电子科技",
    "餐饮管理",
    "建材",
    "物流",
    "文化传媒",
    "软件",
    "机械制造",
    "服装",
    "企业咨询",
)

# --- USCC (GB 32100-2015, with the GB 11714 organisation code inside) -----------------
_USCC_CHARS = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_USCC_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
_ORG_WEIGHTS = (3, 7, 9, 10, 5, 8, 4, 2)


def uscc_for(number: int) -> str:
    """A well-formed USCC of a Suzhou company (registration 9, kind 1, region 320505)."""
    body8 = f"{(73_519_004 + number * 7_919) % 100_000_000:08d}"
    org = 11 - sum(int(c) * w for c, w in zip(body8, _ORG_WEIGHTS, strict=False)) % 11
    org_check = {10: "X", 11: "0"}.get(org, str(org))
    first17 = "91320505" + body8 + org_check
    total = sum(_USCC_CHARS.index(c) * w for c, w in zip(first17, _USCC_WEIGHTS, strict=False))
    return first17 + _USCC_CHARS[(31 - total % 31) % 31]


def uscc_is_valid(code: str) -> bool:
    if len(code) != 18 or any(c not in _USCC_CHARS for c in code):
        return False
    total = sum(_USCC_CHARS.index(c) * w for c, w in zip(code[:17], _USCC_WEIGHTS, strict=False))
    return code[17] == _USCC_CHARS[(31 - total % 31) % 31]


def _wrong_check(code: str) -> str:
    right = code[17]
    return code[:17] + ("7" if right != "7" else "8")


# --- the firm ----------------------------------------------------------------------------


@dataclass
class Client:
    client_id: str
    company_name: str
    uscc: str
    legal_rep: str
    contact_name: str
    contact_phone: str
    email: str
    team: str
    assigned_staff: str = ""
    service_start: date = date(2021, 3, 1)
    contract_end: date = date(2027, 6, 30)


@dataclass
class Event:
    occurred_at: datetime
    event_type: str
    item_code: str | None = None
    actor: str = ""
    note: str = ""


@dataclass
class Handover:
    handover_id: str
    client_id: str
    team: str
    from_staff: str
    to_staff: str
    supervisor: str | None
    reason: str
    planned_start: date
    planned_end: date
    actual_start: datetime
    actual_end: datetime | None
    nda_signed: bool
    signed_off_at: datetime | None
    events: list[Event] = field(default_factory=list)

    @property
    def completed(self) -> bool:
        return self.actual_end is not None

    def verified(self) -> set[str]:
        return {e.item_code for e in self.events if e.event_type == "item_verified"}


@dataclass
class Firm:
    clients: list[Client]
    handovers: list[Handover]
    bad_phone: str  # the client whose contact phone is a landline
    bad_uscc: str  # the client whose USCC has a wrong check character
    good_phone: str  # the bad phone's correction
    good_uscc: str

    def client(self, client_id: str) -> Client:
        return next(c for c in self.clients if c.client_id == client_id)

    def of_team(self, team: str) -> list[Handover]:
        return [h for h in self.handovers if h.team == team]

    def handovers_of(self, client_id: str) -> list[Handover]:
        return [h for h in self.handovers if h.client_id == client_id]


def build_firm() -> Firm:
    """30 clients, 45 handovers (15 per team, all ended between 10 October and 20 December
    2025), each with its log."""
    clients: list[Client] = []
    for n in range(30):
        team = TEAMS[n % 3]
        number = 1001 + n
        name = f"苏州{_NAMES[n]}{_TRADES[n % len(_TRADES)]}有限公司"
        given = "海燕志强丽娟建军晓东春梅"[2 * (n % 6) : 2 * (n % 6) + 2]
        contact = f"{'周吴郑王冯陈褚卫蒋沈'[n % 10]}{given}"
        clients.append(
            Client(
                client_id=f"SZC-{number}",
                company_name=name,
                uscc=uscc_for(n),
                legal_rep=f"{'钱孙李何吕施张孔曹严'[n % 10]}{'国庆玉兰卫东秀英'[2 * (n % 4) :][:2]}",
                contact_name=contact,
                contact_phone=f"1{(5, 3, 8, 7, 9)[n % 5]}{n % 10}"
                f"{(61_234_507 + n * 104_729) % 100_000_000:08d}",
                email=f"finance{number}@chenghu-{n}.cn",
                team=team,
            )
        )
    handovers: list[Handover] = []
    for index, client in enumerate(clients):
        rounds = 2 if index < 15 else 1
        staff = STAFF[client.team]
        owner = staff[index % 4]
        # a client handed over twice: the first starts 5 Oct .. 3 Nov, the second 30 days
        # later; once: 3 Oct .. 26 Nov. Every handover ends before 26 December 2025.
        first = (
            date(2025, 10, 5) + timedelta(days=(index * 7) % 30)
            if rounds == 2
            else date(2025, 10, 3) + timedelta(days=(index * 11) % 55)
        )
        for r in range(rounds):
            successor = staff[(index + r + 1) % 4]
            if successor == owner:
                successor = staff[(index + r + 2) % 4]
            start = first + timedelta(days=30 * r)
            handovers.append(_handover(len(handovers) + 1, client, owner, successor, start, r))
            owner = successor
        client.assigned_staff = owner  # the client master names the latest receiver
    bad_phone, bad_uscc = clients[3], clients[4]  # 审计组 and 外勤组
    good_phone, good_uscc = bad_phone.contact_phone, bad_uscc.uscc
    bad_phone.contact_phone = "0512-6532218"  # a landline, not a mobile
    bad_uscc.uscc = _wrong_check(bad_uscc.uscc)
    return Firm(clients, handovers, bad_phone.client_id, bad_uscc.client_id, good_phone, good_uscc)


def _handover(
    number: int, client: Client, owner: str, successor: str, start: date, round_: int
) -> Handover:
    team = client.team
    weak = team == WEAK_TEAM
    reason = ("resignation", "rotation", "reassignment", "leave")[number % 4]
    planned_end = start + timedelta(days=10)
    actual_start = datetime.combine(start, datetime.min.time()) + timedelta(hours=9, minutes=30)
    if weak:
        end_day = planned_end + timedelta(days=12)
    elif team == "外勤组" and number % 5 == 0:
        end_day = planned_end + timedelta(days=1)
    else:
        end_day = planned_end - timedelta(days=number % 3)
    actual_end = datetime.combine(end_day, datetime.min.time()) + timedelta(hours=16, minutes=45)
    supervisor = SUPERVISORS[team]
    h = Handover(
        handover_id=f"JJ25-{number:04d}",
        client_id=client.client_id,
        team=team,
        from_staff=owner,
        to_staff=successor,
        supervisor=supervisor,
        reason=reason,
        planned_start=start,
        planned_end=planned_end,
        actual_start=actual_start,
        actual_end=actual_end,
        nda_signed=not weak,
        signed_off_at=None if weak else actual_end - timedelta(minutes=30),
    )
    moment = actual_start
    for k, item in enumerate(ITEMS):
        moment = actual_start + timedelta(hours=2 * k)
        h.events.append(Event(moment, "item_transferred", item, owner))
        if weak and item in SENSITIVE:
            continue  # handed over, never checked
        h.events.append(Event(moment + timedelta(hours=1), "item_verified", item, successor))
    if weak:
        h.events.append(
            Event(
                actual_start + timedelta(hours=5),
                "discrepancy_found",
                "bank_accounts",
                successor,
                "对账单余额与账面不符",
            )
        )
    elif team == "外勤组" and number % 4 == 1:
        found = actual_start + timedelta(hours=7)
        h.events.append(
            Event(found, "discrepancy_found", "invoices", successor, "缺少一张进项发票")
        )
        h.events.append(
            Event(found + timedelta(days=1), "discrepancy_fixed", "invoices", owner, "已补齐")
        )
    h.events.append(Event(actual_end - timedelta(hours=3), "backup_done", None, owner))
    h.events.append(Event(actual_end - timedelta(hours=2), "client_notified", None, successor))
    if not weak:
        if reason == "resignation":
            h.events.append(
                Event(
                    actual_end - timedelta(hours=1),
                    "access_revoked",
                    None,
                    SUPERVISORS[team] or owner,
                )
            )
        h.events.append(
            Event(
                actual_end - timedelta(minutes=30),
                "signed_off",
                None,
                SUPERVISORS[team] or successor,
            )
        )
        h.events.append(
            Event(
                actual_end + timedelta(days=12),
                "followup_visit",
                None,
                successor,
                "客户对新会计满意",
            )
        )
    return h


# --- an independent reading of the score (DOMAIN.md §3, loosely) -------------------------


def expected_score(h: Handover) -> float:
    """A rough evaluation score of one completed handover: efficiency (late days), quality
    (required items verified), risk (flags raised); no feedback here."""
    late = max(0, (h.actual_end.date() - h.planned_end).days)
    efficiency = max(0.0, 100 - 10 * late)
    quality = 100 * len(h.verified() & set(ITEMS)) / len(ITEMS)
    flags = [
        h.supervisor is None,
        not h.nda_signed,
        h.signed_off_at is None,
        late > 0,
        not set(SENSITIVE) <= h.verified(),
    ]
    risk = max(0.0, 100 - 20 * sum(flags))
    return (25 * efficiency + 35 * quality + 15 * risk) / 75


def expected_red(h: Handover) -> bool:
    """Red: a critical flag (a sensitive item never verified) or a low score."""
    return not set(SENSITIVE) <= h.verified() or expected_score(h) < 50


def team_scores(firm: Firm) -> dict[str, float]:
    return {
        team: sum(expected_score(h) for h in firm.of_team(team)) / len(firm.of_team(team))
        for team in TEAMS
    }


def expected_lowest_team(firm: Firm) -> str:
    scores = team_scores(firm)
    return min(scores, key=scores.get)


# --- the import files ----------------------------------------------------------------------


def _csv(path: Path, rows: list[list[object]], encoding: str) -> Path:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\r\n").writerows(rows)
    path.write_bytes(buffer.getvalue().encode(encoding))
    return path


def _cn_date(day: date | None) -> str:
    return f"{day.year}/{day.month}/{day.day}" if day else ""


def _stamp(moment: datetime | None) -> str:
    return f"{moment:%Y-%m-%d %H:%M}" if moment else ""


CLIENT_HEADER = [
    "客户编号",
    "企业名称",
    "统一社会信用代码",
    "法定代表人",
    "联系人",
    "联系电话",
    "邮箱",
    "地址",
    "纳税人类型",
    "行业",
    "服务开始日期",
    "合同编号",
    "合同到期日",
    "负责会计",
    "服务状态",
    "终止服务日期",
]


def _client_rows(clients: list[Client]) -> list[list[object]]:
    rows: list[list[object]] = [CLIENT_HEADER]
    for n, c in enumerate(clients):
        rows.append(
            [
                c.client_id,
                c.company_name,
                c.uscc,
                c.legal_rep,
                c.contact_name,
                c.contact_phone,
                c.email,
                f"苏州市姑苏区人民路{200 + n * 3}号",
                "一般纳税人" if n % 4 == 0 else "小规模纳税人",
                _TRADES[n % len(_TRADES)],
                c.service_start.isoformat(),
                f"CH-HT-2021-{n + 1:03d}",
                c.contract_end.isoformat(),
                c.assigned_staff,
                "服务中",
                None,
            ]
        )
    return rows


def _xlsx(path: Path, rows: list[list[object]]) -> Path:
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.title = "客户资料"
    sheet.append(["澄湖财税 客户资料台账（2025年12月导出）"])  # a title row above the header
    for row in rows:
        sheet.append(row)
    book.save(path)
    return path


def write_clients(firm: Firm, path: Path) -> Path:
    """The client master as an XLSX with Chinese headers under a title row."""
    return _xlsx(path, _client_rows(firm.clients))


def corrected_clients(firm: Firm) -> list[Client]:
    fixed = {
        firm.bad_phone: {"contact_phone": firm.good_phone},
        firm.bad_uscc: {"uscc": firm.good_uscc},
    }
    return [replace(c, **fixed.get(c.client_id, {})) for c in firm.clients]


def write_corrected_clients(firm: Firm, path: Path) -> Path:
    """The same client master with the landline and the wrong USCC put right (a CSV this
    time, UTF-8 with BOM, as Excel saves one)."""
    return _csv(path, _client_rows(corrected_clients(firm)), "utf-8-sig")


def write_handovers(firm: Firm, path: Path) -> Path:
    rows: list[list[object]] = [
        [
            "交接单号",
            "客户编号",
            "移交人",
            "接收人",
            "监交人",
            "部门",
            "交接原因",
            "计划开始日期",
            "计划完成日期",
            "实际开始时间",
            "实际完成时间",
            "已签保密协议",
            "签字确认时间",
        ]
    ]
    for h in firm.handovers:
        rows.append(
            [
                h.handover_id,
                h.client_id,
                h.from_staff,
                h.to_staff,
                h.supervisor or "",
                h.team,
                REASON_ZH[h.reason],
                _cn_date(h.planned_start),
                _cn_date(h.planned_end),
                _stamp(h.actual_start),
                _stamp(h.actual_end),
                "是" if h.nda_signed else "否",
                _stamp(h.signed_off_at),
            ]
        )
    return _csv(path, rows, "utf-8-sig")


def write_events(firm: Firm, path: Path) -> Path:
    rows: list[list[object]] = [["交接单号", "发生时间", "事件类型", "清单项目", "操作人", "备注"]]
    for h in firm.handovers:
        for e in sorted(h.events, key=lambda e: e.occurred_at):
            rows.append(
                [
                    h.handover_id,
                    _stamp(e.occurred_at),
                    EVENT_ZH[e.event_type],
                    ITEMS.get(e.item_code, "") if e.item_code else "",
                    e.actor,
                    e.note,
                ]
            )
    return _csv(path, rows, "gbk")


# --- client feedback: Qualtrics exports ----------------------------------------------------


@dataclass
class Response:
    response_id: str
    external_reference: str  # the client id the survey link carried
    recorded: datetime
    satisfaction: int
    recommend: int
    comment: str = ""
    status: int = 0  # Qualtrics' numeric status: 0 IP address, 1 survey preview
    finished: int = 1


QUALTRICS_META = [
    "StartDate",
    "EndDate",
    "Status",
    "IPAddress",
    "Progress",
    "Duration (in seconds)",
    "Finished",
    "RecordedDate",
    "ResponseId",
    "RecipientLastName",
    "RecipientFirstName",
    "RecipientEmail",
    "ExternalReference",
    "LocationLatitude",
    "LocationLongitude",
    "DistributionChannel",
    "UserLanguage",
]
QUALTRICS_LABELS_ZH = [
    "开始日期",
    "结束日期",
    "响应类型",
    "IP 地址",
    "进度",
    "持续时间（秒）",
    "已完成",
    "记录日期",
    "响应 ID",
    "收件人姓氏",
    "收件人名字",
    "收件人电子邮件",
    "外部数据参考",
    "位置纬度",
    "位置经度",
    "分发渠道",
    "用户语言",
]
QUALTRICS_IMPORT_IDS = [
    "startDate",
    "endDate",
    "status",
    "ipAddress",
    "progress",
    "duration",
    "finished",
    "recordedDate",
    "_recordId",
    "recipientLastName",
    "recipientFirstName",
    "recipientEmail",
    "externalDataReference",
    "locationLatitude",
    "locationLongitude",
    "distributionChannel",
    "userLanguage",
]
QUESTIONS = {
    "Q1": ("您对本次会计人员交接的总体满意度（1-5分）", "QID1"),
    "Q2": ("您有多大可能向朋友推荐澄湖财税？(0-10)", "QID2"),
    "Q3": ("您对交接工作还有什么建议？", "QID3_TEXT"),
    # Qualtrics' text-analysis column, empty unless Text iQ runs (as in the real file)
    "Q3 - Topics": ("Q3 - Topics", "QID3_TEXT_4f0e9c2b7a1d4e8f9b3c6a5d2e1f0a9bTopics"),
}


def write_qualtrics(responses: list[Response], path: Path) -> Path:
    """A Qualtrics CSV export ("Use numeric values"), laid out like the real
    qualtrics_numeric_de.csv: variable names, labels in the respondent's language (Chinese
    here), ImportId JSON, then one row per response ending in the empty Topics field."""
    names = QUALTRICS_META + list(QUESTIONS)
    labels = QUALTRICS_LABELS_ZH + [text for text, _ in QUESTIONS.values()]
    ids = [json.dumps({"ImportId": i}) for i in QUALTRICS_IMPORT_IDS] + [
        json.dumps({"ImportId": qid}) for _, qid in QUESTIONS.values()
    ]
    rows: list[list[object]] = [names, labels, ids]
    for r in responses:
        start = r.recorded - timedelta(seconds=143)
        rows.append(
            [
                f"{start:%Y-%m-%d %H:%M:%S}",
                f"{r.recorded:%Y-%m-%d %H:%M:%S}",
                r.status,
                "58.210.37.14",
                100 if r.finished else 45,
                143,
                r.finished,
                f"{r.recorded:%Y-%m-%d %H:%M:%S}",
                r.response_id,
                "",
                "",
                "",
                r.external_reference,
                "31.2989",
                "120.5853",
                "preview" if r.status == 1 else "anonymous",
                "ZH-S",
                r.satisfaction,
                r.recommend,
                r.comment,
                "",
            ]
        )
    return _csv(path, rows, "utf-8-sig")


UNKNOWN_CLIENTS = ("SZC-2001", "SZC-2002", "SZC-0999")  # links forwarded outside the firm


def survey_waves(firm: Firm) -> tuple[list[Response], list[Response]]:
    """Two downloads of the same Qualtrics survey: the first (8 answers, loaded from the
    command line before the journey) and a later re-download that holds those 8 again, 12
    new answers from clients, 3 from client ids the firm does not have, one preview and one
    unfinished response."""
    completed = sorted((h for h in firm.handovers if h.completed), key=lambda h: h.handover_id)
    answers = []
    for n, h in enumerate(completed[:20]):
        weak = h.team == WEAK_TEAM
        answers.append(
            Response(
                response_id=f"R_3h{n:02d}Kc{h.handover_id[-4:]}QzTx",
                external_reference=h.client_id,
                recorded=h.actual_end + timedelta(days=4, hours=2),
                satisfaction=2 if weak else 5 - n % 2,
                recommend=4 if weak else 9 - n % 3,
                comment="交接拖了很久，发票找不到" if weak else "",
            )
        )
    first = answers[:8]
    strangers = [
        Response(f"R_9x{n}StrangerQ{n}", ref, datetime(2025, 12, 20, 10 + n, 5), 4, 8)
        for n, ref in enumerate(UNKNOWN_CLIENTS)
    ]
    preview = Response(
        "R_PreviewA1b2C3", firm.clients[0].client_id, datetime(2025, 12, 21, 9, 0), 5, 10, status=1
    )
    unfinished = Response(
        "R_UnfinishedD4e5",
        firm.clients[1].client_id,
        datetime(2025, 12, 22, 9, 0),
        3,
        6,
        finished=0,
    )
    return first, [*answers, *strangers, preview, unfinished]


# --- loading -------------------------------------------------------------------------------


@dataclass
class Files:
    clients: Path
    handovers: Path
    events: Path


def write_firm(firm: Firm, folder: Path) -> Files:
    folder.mkdir(parents=True, exist_ok=True)
    return Files(
        write_clients(firm, folder / "澄湖财税_客户资料.xlsx"),
        write_handovers(firm, folder / "澄湖财税_交接单_2025Q4.csv"),
        write_events(firm, folder / "澄湖财税_交接日志_2025Q4.csv"),
    )


def load_firm(server, firm: Firm, folder: Path) -> Files:
    """Write the firm's files and load them with `handover ingest` into the server's
    database; the checks run after the last import."""
    files = write_firm(firm, folder)
    for kind, path, checks in (
        ("clients", files.clients, "--no-checks"),
        ("handovers", files.handovers, "--no-checks"),
        ("events", files.events, "--checks"),
    ):  # once, at the end
        done = server.handover("ingest", kind, str(path), checks, timeout=300)
        assert done.returncode == 0, f"ingest {kind}: {done.stdout}\n{done.stderr}"
    return files


# --- the browser side: a server on the firm's data, the grid, counted clicks ---------------


def zh(key: str, **values: object) -> str:
    """The catalogue's Chinese text of ``key`` with ``values`` put in as they show on the page
    (``t`` escapes them for Markdown, which the rendered page does not show)."""
    from dashboard.i18n import catalogue

    return catalogue()[key]["zh"].format(**values)


def start_firm_server(workdir: Path, firm: Firm, accounts: dict[str, str]):
    """`handover serve` on a fresh, empty database (no sample), the firm's files loaded with
    `handover ingest`, then the accounts (name -> role) created: from then on everybody
    signs in."""
    from tests.e2e.app_utils import add_account, start_server, stop_server

    server = start_server(workdir, demo=False)
    try:
        load_firm(server, firm, workdir / "files")
        for name, role in accounts.items():
            add_account(server, name, role)
    except BaseException:
        stop_server(server)
        raise
    return server


_GRID_JS = """grid => {
    const table = grid.querySelector("table");
    if (!table) return {header: {}, rows: {}};
    const at = (cell, i) => cell.getAttribute("aria-colindex") || String(i + 1);
    const header = {};
    table.querySelectorAll("thead th").forEach((c, i) => {
        header[at(c, i)] = (c.textContent || "").trim(); });
    const rows = {};
    table.querySelectorAll("tbody tr").forEach((r, n) => {
        const cells = {};
        r.querySelectorAll("td").forEach((c, i) => { cells[at(c, i)] = (c.textContent || "").trim(); });
        rows[r.getAttribute("aria-rowindex") || String(n + 2)] = cells;
    });
    return {header, rows};
}"""

_SCROLL_JS = """(grid, left) => {
    const scroller = grid.querySelector(".dvn-scroller");
    if (!scroller) return -1;
    scroller.scrollLeft = left;
    return scroller.scrollWidth - scroller.clientWidth;
}"""


def _read(locator) -> tuple[dict, dict]:
    found = locator.evaluate(_GRID_JS)
    return found["header"], found["rows"]


def grid(locator, timeout: float = 30.0) -> tuple[list[str], list[list[str]]]:
    """The header and the rows of a st.dataframe, once it has drawn some rows (an empty
    header and rows when none come within ``timeout`` s). Glide's grid keeps a table of the
    cells it draws for screen readers beside its canvas; it draws the columns in view only,
    so the grid is scrolled across and the pieces put together."""
    import time

    deadline = time.monotonic() + timeout
    # the element itself: a locator filtered by its text would lose it once scrolled
    locator = locator.element_handle(timeout=timeout * 1000)
    header, rows = _read(locator)
    while not rows and time.monotonic() < deadline:
        time.sleep(0.3)
        header, rows = _read(locator)
    if not rows:
        return [], []
    widest = locator.evaluate(_SCROLL_JS, 0)
    left = 0
    while 0 < widest and left < widest:
        left = min(widest, left + 300)
        locator.evaluate(_SCROLL_JS, left)
        time.sleep(0.3)  # the grid redraws on the next frame
        more_header, more_rows = _read(locator)
        header.update(more_header)
        for key, cells in more_rows.items():
            rows.setdefault(key, {}).update(cells)
    if widest > 0:
        locator.evaluate(_SCROLL_JS, 0)
    columns = sorted(header, key=int)
    return (
        [header[c] for c in columns],
        [[rows[r].get(c, "") for c in columns] for r in sorted(rows, key=int)],
    )


def grid_column(locator, title: str) -> list[str]:
    header, rows = grid(locator)
    at = header.index(title)
    return [row[at] if at < len(row) else "" for row in rows]


def grid_column_becomes(
    locator, title: str, expected: list[str], timeout: float = 30.0
) -> list[str]:
    """The column ``title`` once it reads ``expected``, or as last read after ``timeout``
    s: after a rerun the grid keeps drawing its previous rows for a moment, so a single
    read may see the table of the choice before."""
    import time

    deadline = time.monotonic() + timeout
    found = grid_column(locator, title)
    while found != expected and time.monotonic() < deadline:
        time.sleep(0.5)
        found = grid_column(locator, title)
    return found


ROW_HEIGHT = 35  # px, Streamlit's dataframe rows and header


class Clicks:
    """The user's clicks of a journey, counted (each waits for the rerun it starts)."""

    def __init__(self, page) -> None:
        self.page, self.count = page, 0

    def on(self, locator, timeout: float = 60_000) -> None:
        from tests.e2e.app_utils import click

        self.count += 1
        click(self.page, locator, timeout=timeout)

    def grid_row(self, locator, index: int, timeout: float = 60_000) -> None:
        """Select row ``index`` (0 = first data row) of a selectable st.dataframe: a click
        in its selection column."""
        from tests.e2e.app_utils import act

        locator.scroll_into_view_if_needed()
        box = locator.bounding_box()
        assert box is not None, "the table is not on screen"
        self.count += 1
        act(
            self.page,
            lambda: self.page.mouse.click(
                box["x"] + 16, box["y"] + ROW_HEIGHT * (index + 1) + ROW_HEIGHT / 2
            ),
            timeout=timeout,
        )
