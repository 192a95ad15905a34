"""What makes the landing folder realistic beyond the events: schema drift (fields the
contract does not name), personal data in comments, duplicates (the same line again) and bad
lines (one per contract reason code, made from a valid line by a SQL edit)."""

from __future__ import annotations

from typing import Any

import numpy as np

from floop.contract import load_contract
from floop.simulate.plan import LATE, Plan
from floop.simulate.world import FEEDBACK_P, HOUR_MS

PII_KINDS = ["email", "phone", "card", "ipv4", "ipv6"]
PII_TEMPLATES = {
    "email": "please mail me at {}",
    "phone": "call me back on {}",
    "card": "you charged my card {} twice",
    "ipv4": "login blocked from {}",
    "ipv6": "our gateway {} cannot reach the api",
}
PII_PER_DAY = 4

# Bad lines per reason code: SQL edits of a valid line L of the type (its event id already
# prefixed with "bad-"), each breaking exactly one rule of the contract, the one named.
_TS = r'"timestamp":"([0-9]{4})-([0-9]{2})-([0-9]{2})T([0-9:]{5})(:[0-9]{2})[^"]*"'
_NUM = "[-0-9.e+]+"
BAD_EDITS: dict[str, dict[str, str]] = {
    "interaction": {
        "invalid_json": "left(L, (length(L) * 2) // 3)",
        "not_an_object": "'[' || L || ']'",
        "unsupported_schema_version": """regexp_replace(L, '"schema_version":"[^"]*"',
            '"schema_version":"2"')""",
        "unknown_event_type": """replace(L, '"event_type":"interaction"',
            '"event_type":"impression"')""",
        "missing_required": """regexp_replace(L, ',"output_tokens":[0-9]+', '')""",
        "wrong_type": """regexp_replace(L, '"output_tokens":[0-9]+', '"output_tokens":"many"')""",
        "bad_enum": r"""regexp_replace(L, '"consent_scope":\[[^\]]*\]',
            '"consent_scope":["analytics","marketing"]')""",
        "out_of_range": f"""regexp_replace(L, '"server_latency_ms":{_NUM}',
            '"server_latency_ms":-40.5')""",
        "bad_timestamp": f"""regexp_replace(L, '{_TS}', '"timestamp":"\\1-\\2-\\3 \\4\\5"')""",
        "future_timestamp": f"""regexp_replace(L, '{_TS}',
            '"timestamp":"2099-\\2-15T\\4\\5Z"')""",
    },
    "feedback": {
        "invalid_json": "left(L, (length(L) * 2) // 3)",
        "not_an_object": "'[' || L || ']'",
        "unsupported_schema_version": """regexp_replace(L, '"schema_version":"[^"]*"',
            '"schema_version":"3.1"')""",
        "unknown_event_type": """replace(L, '"event_type":"feedback"',
            '"event_type":"reaction"')""",
        "missing_required": """regexp_replace(L, ',"actor_role":"[a-z_]+"', '')""",
        "wrong_type": f"""regexp_replace(L, '"feedback_value":{_NUM}',
            '"feedback_value":"positive"')""",
        "bad_enum": """regexp_replace(L, '"actor_role":"[a-z_]+"', '"actor_role":"robot"')""",
        "out_of_range": f"""regexp_replace(regexp_replace(L, '"feedback_type":"[a-z_]+"',
            '"feedback_type":"rating"'), '"feedback_value":{_NUM}', '"feedback_value":9')""",
        "bad_timestamp": f"""regexp_replace(L, '{_TS}', '"timestamp":"\\3/\\2/\\1 \\4"')""",
        "future_timestamp": f"""regexp_replace(L, '{_TS}',
            '"timestamp":"2099-\\2-15T\\4\\5Z"')""",
    },
}
# Schema drift: fields the contract does not name, from a day on (see Plan.drift_day).
DRIFT_FIELDS = {"interaction": "client_platform", "feedback": "app_version"}
DRIFT_VALUES = {"interaction": ["web", "ios", "android"], "feedback": ["5.2.0", "5.2.1"]}


def check_bad_edits() -> None:
    """Fail early when the bad-line kinds no longer match the contract's reason codes."""
    reasons = set(load_contract().reason_codes)
    if any(set(edits) != reasons for edits in BAD_EDITS.values()):
        raise RuntimeError(
            "simulator out of date with the contract: "
            "bad-line kinds do not cover the contract's reason codes"
        )


def bad_line_sql(event_type: str, reason: str, line: str = "line") -> str:
    """SQL turning the valid JSON line `line` into a bad line of REASON, id prefixed `bad-`."""
    marked = f"""replace({line}, '"event_id":"', '"event_id":"bad-')"""
    return BAD_EDITS[event_type][reason].replace("L", f"({marked})")


def _luhn(body: str) -> str:
    total = 0
    for i, ch in enumerate(reversed(body)):
        x = int(ch)
        if i % 2 == 0:
            x *= 2
            if x > 9:
                x -= 9
        total += x
    return body + str((10 - total % 10) % 10)


def _pii_string(kind: str, rng: np.random.Generator, k: int) -> str:
    digits = rng.integers(0, 10, 20)
    ds = "".join(str(x) for x in digits)
    if kind == "email":
        names = ["jane.doe", "m.schmidt", "yuki.tanaka", "p.martin", "ana.souza"]
        domains = ["example.com", "mail.example.org", "example.net"]
        return f"{names[k % 5]}{k}@{domains[k % 3]}"
    if kind == "phone":
        forms = [
            f"+49 30 {ds[:7]}",
            f"+1 (415) 555-{ds[:4]}",
            f"+33 6 {ds[0:2]} {ds[2:4]} {ds[4:6]} {ds[6:8]}",
            f"+44 20 7946 {ds[:4]}",
            f"+81 3-{ds[:4]}-{ds[4:8]}",
            f"+55 11 9{ds[:4]}-{ds[4:8]}",
        ]
        return forms[k % len(forms)]
    if kind == "card":
        num = _luhn("4" + ds[:14])
        return " ".join(num[i : i + 4] for i in range(0, 16, 4)) if k % 2 else num
    if kind == "ipv4":
        return (
            f"{[198, 203, 192][k % 3]}.{[51, 0, 0][k % 3]}.{[100, 113, 2][k % 3]}."
            f"{int(ds[:3]) % 254 + 1}"
        )
    return f"2001:db8:{int(ds[:4]):x}::{int(ds[4:8]):x}:{k:x}"


def plant(
    plan: Plan,
    chunk: int,
    n_days: int,
    tables: dict[str, dict[str, np.ndarray]],
    rng: np.random.Generator,
    truth: dict[str, Any],
) -> None:
    """Drift fields, personal data, duplicates and bad-line templates of one chunk of days
    (`n_days` days from day `chunk`), as columns of TABLES; what was planted goes to TRUTH."""
    is_json = plan.is_json()
    for et, t in tables.items():
        n = len(t["_ts"])
        t["_json"] = is_json[t["_file"]] if n else np.zeros(0, bool)
        t["_dup"] = np.zeros(n, bool)
        t["_dupfile"] = t["_file"].copy()
        t["_dupord"] = t["_ord"].copy()
        t["_bad"] = np.full(n, -1, np.int8)
        t["_badord"] = t["_ord"].copy()
        t["_excl"] = ~t["_json"]  # not eligible as duplicate or bad template
        if et in DRIFT_FIELDS:
            _drift(plan, et, t, rng, truth)
    _personal_data(plan, chunk, n_days, tables["feedback"], truth)
    valid = sum(len(t["_ts"]) for t in tables.values())
    _duplicates(plan, chunk, tables, valid, rng, truth)
    _bad_lines(plan, chunk, n_days, tables, valid, rng, truth)


def _drift(
    plan: Plan, et: str, t: dict[str, np.ndarray], rng: np.random.Generator, truth: dict[str, Any]
) -> None:
    """The drift field of ET: from the drift day on, in part of the JSON lines."""
    field_ = DRIFT_FIELDS[et]
    n = len(t["_ts"])
    vals = np.full(n, None, dtype=object)
    if n:
        share = 0.35 if et == "interaction" else 0.5
        who = t["_json"] & (rng.random(n) < share) & (t["_d"] >= plan.drift_day)
        if et == "feedback":
            who &= t["_ten"] == 1  # one tenant's new app build sends it
        choices = np.array(DRIFT_VALUES[et], dtype=object)
        vals[who] = choices[rng.integers(0, len(choices), int(who.sum()))]
        t["_excl"] |= who
        uf = truth.setdefault("unknown_fields", {}).setdefault(field_, {})
        uf[et] = uf.get(et, 0) + int(who.sum())
    t[field_] = vals


def _personal_data(
    plan: Plan, chunk: int, n_days: int, fb: dict[str, np.ndarray], truth: dict[str, Any]
) -> None:
    """A few comments a day carry personal data (a stream of their own: `[seed, chunk, 7]`)."""
    texts = np.full(len(fb["_ts"]), None, dtype=object)
    comments = np.flatnonzero(fb["ft"] == list(FEEDBACK_P).index("comment"))
    prng = np.random.default_rng([plan.seed, chunk, 7])
    n_pii = min(PII_PER_DAY * n_days, len(comments))
    chosen = np.sort(prng.choice(comments, n_pii, replace=False))
    pii = truth.setdefault("pii", [])
    for row in chosen:  # a handful per day, not per event
        kind = PII_KINDS[len(pii) % len(PII_KINDS)]
        value = _pii_string(kind, prng, len(pii))
        texts[row] = PII_TEMPLATES[kind].format(value)
        pii.append(
            {
                "kind": kind,
                "value": value,
                "event_id": f"ev-f-{fb['_d'][row]:03d}-{fb['_j'][row]}",
                "event_type": "feedback",
                "field": "feedback_text",
            }
        )
        fb["_excl"][row] = True
    fb["pii_text"] = texts


def _duplicates(
    plan: Plan,
    chunk: int,
    tables: dict[str, dict[str, np.ndarray]],
    valid: int,
    rng: np.random.Generator,
    truth: dict[str, Any],
) -> None:
    """The exact line again, later in the same file or in a later day's file."""
    types = list(tables)
    offsets = np.concatenate([[0], np.cumsum([len(tables[et]["_ts"]) for et in types])])
    excl = np.concatenate([tables[et]["_excl"] for et in types])
    n_dup = min(int(round(plan.duplicate_rate * valid)), int((~excl).sum()))
    dup_g = np.sort(rng.choice(np.flatnonzero(~excl), n_dup, replace=False))
    same = rng.random(n_dup) < 0.5
    landing_days = np.array([f.landing_day for f in plan.files])
    for i, et in enumerate(types):
        t = tables[et]
        sel = (dup_g >= offsets[i]) & (dup_g < offsets[i + 1])
        rows = dup_g[sel] - offsets[i]
        t["_dup"][rows] = True
        t["_excl"][rows] = True
        s = same[sel]
        t["_dupord"][rows] = t["_ord"][rows] + np.where(
            t["_ord"][rows] > 1e14,
            rng.random(len(rows)) * 1e14,
            rng.uniform(1, 2 * HOUR_MS, len(rows)),
        )
        landing = landing_days[t["_file"][rows]]
        move = ~s & (landing < plan.days - 1)
        new_ld = np.minimum(plan.days - 1, landing + 1 + rng.integers(0, 3, len(rows)))
        for ld in np.unique(new_ld[move]):  # a few later files, not a loop per event
            sel_ld = move & (new_ld == ld)
            t["_dupfile"][rows[sel_ld]] = plan.file_id(int(ld), chunk, LATE)
            t["_dupord"][rows[sel_ld]] = rng.random(int(sel_ld.sum())) * 1e15
        dt = truth.setdefault("duplicates_by_type", {})
        dt[et] = dt.get(et, 0) + int(len(rows))


def _bad_lines(
    plan: Plan,
    chunk: int,
    n_days: int,
    tables: dict[str, dict[str, np.ndarray]],
    valid: int,
    rng: np.random.Generator,
    truth: dict[str, Any],
) -> None:
    """One template event (interaction or feedback) per bad line, one reason code each."""
    reasons = load_contract().reason_codes
    n_bad = int(round(plan.bad_rate * valid)) if plan.bad_rate > 0 else 0
    if plan.bad_rate > 0 and chunk + n_days >= plan.days:
        # make sure every reason code appears at least once in the whole run
        n_bad = max(n_bad, len(reasons) - plan.bad_counter)
    for i, et in enumerate(("interaction", "feedback")):
        t = tables[et]
        want = n_bad // 2 + (n_bad % 2 if i == 0 else 0)
        cand = np.flatnonzero(~t["_excl"])
        if et == "interaction":
            cand = cand[t["shadow"][cand] != 1]
        rows = np.sort(rng.choice(cand, min(want, len(cand)), replace=False))
        kinds = (plan.bad_counter + np.arange(len(rows))) % len(reasons)
        plan.bad_counter += len(rows)
        t["_bad"][rows] = kinds
        t["_badord"][rows] = t["_ord"][rows] + rng.uniform(1, HOUR_MS, len(rows))
        br = truth.setdefault("bad_by_reason", {r: 0 for r in reasons})
        for ki, r in enumerate(reasons):
            br[r] += int((kinds == ki).sum())
