"""Clients (客户资料): a compact book used while simulating, then the rows of the client file.

Client rows are written after the handovers are simulated, since assigned_staff and
terminated_at depend on them; only a few numbers per client are kept in between, so the large
sample never holds rows in memory.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from itertools import accumulate

from sample_data import names
from sample_data.defects import DefectLog
from sample_data.roster import Roster
from sample_data.uscc import make_uscc, with_wrong_check_char, with_wrong_org_check
from sample_data.workdays import SAMPLE_AS_OF, WINDOW_START

FIRST_SERVICE_DAY = date(2015, 1, 1)
TERMINATED_SHARE = 0.12  # ended for reasons unrelated to a handover

# Shares of deliberately defective client rows (each share of all clients).
SHARE_USCC_WRONG_CHECK = 0.03
SHARE_USCC_ORG_CHECK = 0.01
SHARE_USCC_EMPTY = 0.01
SHARE_USCC_DUPLICATE_PAIRS = 0.01  # each pair is two clients
SHARE_PHONE_MISSING = 0.03
SHARE_PHONE_INVALID = 0.02
SHARE_EMAIL_INVALID = 0.03
SHARE_CONTRACT_EXPIRED = 0.03  # of active clients in their second contract or later
SHARE_OWNER_STALE = 0.03  # of active clients with a completed handover


@dataclass
class ClientBook:
    """What the simulation needs to know about each client, by index (client_id KH{i+1})."""

    n: int
    start: list[date] = field(default_factory=list)
    end: list[date | None] = field(default_factory=list)  # termination (may lie after as_of)
    owner: list[int] = field(default_factory=list)  # current owner during the simulation
    assigned: list[int] = field(default_factory=list)  # the owner the client file shows
    last_end: list[datetime | None] = field(default_factory=list)  # latest completed handover
    last_hid: list[str | None] = field(default_factory=list)
    last_from: list[int] = field(default_factory=list)
    last_to: list[int] = field(default_factory=list)

    @staticmethod
    def client_id(i: int) -> str:
        return f"KH{i + 1:06d}"


def plan_clients(
    rng: random.Random, n: int, roster: Roster, as_of: date = SAMPLE_AS_OF
) -> ClientBook:
    """Service dates and first owner of n clients; fills the roster's portfolios."""
    book = ClientBook(n)
    staff = roster.staff
    cum = tuple(accumulate(0.4 if s.is_lead else 1.0 for s in staff))
    indices = range(len(staff))
    span = (as_of - FIRST_SERVICE_DAY).days
    for i in range(n):
        start = as_of - timedelta(days=3 + int(rng.random() ** 1.6 * span))
        if rng.random() < 0.6:  # agency contracts mostly start on the first of a month
            start = start.replace(day=1)
        end = None
        room = (as_of - start).days
        if room > 200 and rng.random() < TERMINATED_SHARE:
            end = start + timedelta(days=rng.randint(180, room - 1))
        owner = rng.choices(indices, cum_weights=cum)[0]
        book.start.append(start)
        book.end.append(end)
        book.owner.append(owner)
        book.assigned.append(owner)
        book.last_end.append(None)
        book.last_hid.append(None)
        book.last_from.append(-1)
        book.last_to.append(-1)
        if end is None or end >= WINDOW_START:
            roster.portfolio[owner].add(i)
    return book


def generate_clients(
    rng: random.Random,
    book: ClientBook,
    roster: Roster,
    as_of: date = SAMPLE_AS_OF,
    defects: DefectLog | None = None,
) -> Iterator[dict]:
    """Client rows keyed by the template's column names, with typed values."""
    log = defects if defects is not None else DefectLog()
    n = book.n
    active = [end is None or end >= as_of for end in (book.end[i] for i in range(n))]

    def count(share: float, pool: int) -> int:
        return min(pool, max(1, round(pool * share)))

    k_check, k_org = count(SHARE_USCC_WRONG_CHECK, n), count(SHARE_USCC_ORG_CHECK, n)
    k_empty, k_dup = count(SHARE_USCC_EMPTY, n), count(SHARE_USCC_DUPLICATE_PAIRS, n)
    picked = rng.sample(range(n), k_check + k_org + k_empty + 2 * k_dup)
    wrong_check = set(picked[:k_check])
    wrong_org = set(picked[k_check : k_check + k_org])
    no_uscc = set(picked[k_check + k_org : k_check + k_org + k_empty])
    pairs = picked[k_check + k_org + k_empty :]
    dup_of = {max(a, b): min(a, b) for a, b in zip(pairs[::2], pairs[1::2], strict=True)}
    dup_sources = set(dup_of.values())
    phones = rng.sample(range(n), count(SHARE_PHONE_MISSING, n) + count(SHARE_PHONE_INVALID, n))
    no_phone = set(phones[: count(SHARE_PHONE_MISSING, n)])
    bad_phone = set(phones[count(SHARE_PHONE_MISSING, n) :])
    bad_email = set(rng.sample(range(n), count(SHARE_EMAIL_INVALID, n)))
    old = [i for i in range(n) if active[i] and book.start[i] < as_of - timedelta(days=1110)]
    expired = set(rng.sample(old, count(SHARE_CONTRACT_EXPIRED, len(old)))) if old else set()
    handed = [i for i in range(n) if active[i] and book.last_hid[i] is not None]
    stale = set(rng.sample(handed, count(SHARE_OWNER_STALE, len(handed)))) if handed else set()

    used_names: set[str] = set()
    used_codes: set[str] = set()
    codes: dict[int, str] = {}
    staff = roster.staff
    for i in range(n):
        cid = book.client_id(i)
        company, code, address, category, general = _company(rng, book.start[i], used_names)
        while code in used_codes:
            code = make_uscc(rng, code[2:8], code[:2], code[8:10] == "MA")
        used_codes.add(code)
        if i in dup_sources:
            codes[i] = code
        if i in wrong_check:
            code = with_wrong_check_char(rng, code)
            log.add("clients.uscc.valid", cid, "uscc_wrong_check_character")
        elif i in wrong_org:
            code = with_wrong_org_check(rng, code)
            log.add("clients.uscc.valid", cid, "uscc_wrong_org_code_check")
        elif i in no_uscc:
            code = None
            log.add("clients.uscc.present", cid, "uscc_missing")
        elif i in dup_of:
            code = codes[dup_of[i]]
            log.add("clients.uscc.unique", cid, "uscc_duplicated")
            log.add("clients.uscc.unique", book.client_id(dup_of[i]), "uscc_duplicated")

        legal_rep, rep_sur, rep_given = names.person(rng)
        if rng.random() < 0.35:
            contact, sur, given = legal_rep, rep_sur, rep_given
        else:
            contact, sur, given = names.person(rng)
        phone: str | None = _phone(rng)
        if i in no_phone:
            phone = None
            log.add("clients.contact_phone.present", cid, "phone_missing")
        elif i in bad_phone:
            phone = _short_phone(rng)
            log.add("clients.contact_phone.valid", cid, "phone_too_short")
        email = _email(rng, sur, given) if rng.random() < 0.85 or i in bad_email else None
        if i in bad_email:
            email = _broken_email(rng, sur, given)
            log.add("clients.email.valid", cid, "email_invalid")

        end = book.end[i]
        terminated = end if end is not None and end < as_of else None
        contract_start, contract_end, years = _contract(rng, book.start[i], terminated or as_of)
        if i in expired:
            contract_end = contract_start - timedelta(days=1)
            log.add("clients.contract_end.current", cid, "contract_expired")

        assigned = book.assigned[i]
        if i in stale:
            assigned = _stale_owner(rng, book, roster, i)
        last_hid = book.last_hid[i]
        if terminated is None and last_hid is not None and assigned != book.last_to[i]:
            log.add("handovers.owner.consistent", last_hid, "owner_not_updated")
        yield {
            "client_id": cid,
            "company_name": company,
            "uscc": code,
            "legal_rep": legal_rep,
            "contact_name": contact,
            "contact_phone": phone,
            "email": email,
            "address": address,
            "taxpayer_type": "general" if general else "small_scale",
            "industry": category,
            "service_start": book.start[i],
            "contract_no": f"HT{contract_start:%Y%m}{i + 1:06d}",
            "contract_end": contract_end,
            "assigned_staff": staff[assigned].name,
            "status": "terminated" if terminated else "active",
            "terminated_at": terminated,
        }


def _company(rng: random.Random, start: date, used: set[str]):
    """(name, uscc, address, industry category, is general taxpayer) of a made-up company."""
    district = names.district(rng)
    while True:
        brand, brand_py = names.brand(rng)
        form = rng.random()
        if form < 0.03:
            shop, category = rng.choice(names.SHOP_WORDS)
            name, kind, general = f"上海市{district.name}{brand}{shop}", "92", False
        else:
            industry = names.industry(rng)
            category, kind = industry.category, "91"
            general = rng.random() < industry.general_share
            if form < 0.85:
                name = f"上海{brand}{industry.word}有限公司"
            elif form < 0.95:
                name = f"{brand}（上海）{industry.word}有限公司"
            else:
                name = f"上海{brand}{industry.word}工作室"
        if name not in used:
            used.add(name)
            break
    region = "310000" if kind == "91" and rng.random() < 0.15 else district.code
    new_style = rng.random() < (0.9 if start.year >= 2017 else 0.4)
    code = make_uscc(rng, region, kind, new_style)
    return name, code, _address(rng, district), category, general


def _address(rng: random.Random, district: names.District) -> str:
    road = rng.choice(district.roads)
    number = rng.randint(1, 2999)
    shape = rng.random()
    if shape < 0.35:
        tail = f"{number}号{rng.randint(1, 12)}幢{rng.randint(1, 12)}{rng.randint(1, 30):02d}室"
    elif shape < 0.6:
        tail = f"{number}号{rng.randint(2, 28)}层{rng.randint(1, 20):02d}室"
    elif shape < 0.85:
        tail = f"{number}弄{rng.randint(1, 40)}号{rng.randint(1, 6)}{rng.randint(1, 4):02d}室"
    else:
        tail = f"{number}号{rng.choice('ABCDEF')}区{rng.randint(101, 899)}室"
    return f"上海市{district.name}{road}{tail}"


def _phone(rng: random.Random) -> str:
    digits = rng.choice(names.MOBILE_PREFIXES) + f"{rng.randint(0, 99_999_999):08d}"
    shape = rng.random()
    if shape < 0.72:
        return digits
    if shape < 0.80:
        return f"{digits[:3]} {digits[3:7]} {digits[7:]}"
    if shape < 0.88:
        return f"{digits[:3]}-{digits[3:7]}-{digits[7:]}"
    if shape < 0.95:
        return f"+86 {digits}"
    return f"+86-{digits[:3]}-{digits[3:7]}-{digits[7:]}"


def _short_phone(rng: random.Random) -> str:
    digits = rng.choice(names.MOBILE_PREFIXES) + f"{rng.randint(0, 99_999_999):08d}"
    return digits[: rng.choice((9, 10, 10))]


def _email(rng: random.Random, sur: str, given: str) -> str:
    shape = rng.random()
    if shape < 0.35:
        return f"{rng.randint(10_000, 3_999_999_999)}@qq.com"
    if shape < 0.75:
        local = rng.choice(
            (f"{sur}{given}", f"{given}.{sur}", f"{sur}_{given}", f"{sur[0]}{given}")
        )
        if rng.random() < 0.5:
            local += str(rng.choice((rng.randint(1, 99), rng.randint(1970, 2002))))
        return f"{local}@{rng.choice(names.MAIL_PROVIDERS)}"
    brand_py = names.brand(rng)[1]
    local = rng.choice(("finance", "caiwu", "admin", "hr", "info", f"{sur}{given}"))
    return f"{local}@{brand_py}{rng.choice(('.com.cn', '.cn', '.com'))}"


def _broken_email(rng: random.Random, sur: str, given: str) -> str:
    provider = rng.choice(names.MAIL_PROVIDERS)
    local = f"{sur}{given}"
    return rng.choice(
        (
            f"{local}@{provider.split('.')[0]}",  # no domain suffix
            f"{local}{provider}",  # @ forgotten
            f"{local}@@{provider}",  # @ typed twice (a full-width ＠ would be folded at import)
            f"{sur} {given}@{provider}",  # space inside
        )
    )


def _contract(rng: random.Random, start: date, ref: date) -> tuple[date, date, int]:
    """(start, end, years) of the contract period running on ref; renewed every 1-3 years."""
    years = rng.choices((1, 2, 3), weights=(70, 15, 15))[0]
    period = start
    while _add_years(period, years) <= ref:
        period = _add_years(period, years)
    return period, _add_years(period, years) - timedelta(days=1), years


def _add_years(d: date, years: int) -> date:
    try:
        return d.replace(year=d.year + years)
    except ValueError:  # 29 February
        return d.replace(year=d.year + years, day=28)


def _stale_owner(rng: random.Random, book: ClientBook, roster: Roster, i: int) -> int:
    """A wrong current owner: mostly the previous accountant, as if nobody updated the CRM."""
    last_to = book.last_to[i]
    if book.last_from[i] != last_to and rng.random() < 0.7:
        return book.last_from[i]
    team = roster.members[roster.staff[last_to].team]
    others = [s for s in team if s != last_to]
    if not others:
        others = [s for s in range(len(roster.staff)) if s != last_to]
    return rng.choice(others)
