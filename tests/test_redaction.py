"""Redaction and keyed hashing of personal data: the dbt macros (macros/pii.sql), rendered by a
real dbt invocation, run by DuckDB over a table of tricky strings (one dbt call, ~6 s)."""

from __future__ import annotations

import difflib
import gzip
import hashlib
import ipaddress
import json
import re
from pathlib import Path

import duckdb
import pytest

from floop.dbt import run_dbt

HASH_KEY = "test-key-7f3a"

# (free text, expected after redaction)
MUST_REDACT: list[tuple[str, str]] = [
    ("mail me at jane@example.com", "mail me at [EMAIL]"),
    ("Jane.Doe+tag@sub.example.co.uk wrote", "[EMAIL] wrote"),
    ("call +49 30 1234567 today", "call [PHONE] today"),
    ("call +1 (415) 555-0134.", "call [PHONE]."),
    ("UK 0044 20 7946 0958 office", "UK [PHONE] office"),
    ("Berlin 030/1234567", "Berlin [PHONE]"),
    ("+44 20 7946 0958", "[PHONE]"),
    ("mobile +491701234567!", "mobile [PHONE]!"),
    ("(030) 1234567", "[PHONE]"),
    ("+49-30-1234567", "[PHONE]"),
    ("US (415) 555-0134", "US [PHONE]"),
    ("us 415-555-0134 ok", "us [PHONE] ok"),
    ("0170 1234567", "[PHONE]"),
    ("+33 1 23 45 67 89", "[PHONE]"),
    ("card 4111 1111 1111 1111 please", "card [CARD] please"),
    ("card 4111-1111-1111-1111", "card [CARD]"),
    ("card 4111111111111111", "card [CARD]"),
    ("amex 3782 822463 10005", "amex [CARD]"),
    ("amex 378282246310005.", "amex [CARD]."),
    ("not a card 4111 1111 1111 1112", "not a card 4111 1111 1111 1112"),
    ("digits 1234567890123", "digits 1234567890123"),
    ("server 192.168.1.20 down", "server [IPV4] down"),
    ("from 10.0.0.1, retry", "from [IPV4], retry"),
    ("v6 2001:db8::1 here", "v6 [IPV6] here"),
    ("full 2001:0db8:85a3:0000:0000:8a2e:0370:7334", "full [IPV6]"),
    ("link-local fe80::1ff:fe23:4567:890a", "link-local [IPV6]"),
    ("loopback ::1 ok", "loopback [IPV6] ok"),
    ("two: a@b.io, c.d@e-f.org", "two: [EMAIL], [EMAIL]"),
    ("<jane@example.com>", "<[EMAIL]>"),
    ("Tel. +49 (0)30 1234567", "Tel. [PHONE]"),
    ("+1 415 555 0134", "[PHONE]"),
    ("Tel. 089 12345678", "Tel. [PHONE]"),
    ("paid 50 4111 1111 1111 1111", "paid 50 [CARD]"),
    ("mc 5500 0000 0000 0004 visa 4222222222222", "mc [CARD] visa [CARD]"),
    ("IPs 1.1.1.1 and 8.8.8.8", "IPs [IPV4] and [IPV4]"),
    ("upper 2001:DB8:0:0:8:800:200C:417A", "upper [IPV6]"),
    ("route ::ffff:0:1 set", "route [IPV6] set"),
    ("diners 30569309025904 ok", "diners [CARD] ok"),
    ("visa 4000000000006", "visa [CARD]"),
    ("Tel:+4930123456", "Tel:[PHONE]"),
    ("+44 (0) 20 7946 0958", "[PHONE]"),
    ("Dublin +353-1-234-5678", "Dublin [PHONE]"),
    ("Tokyo +81 3-1234-5678", "Tokyo [PHONE]"),
    ("Moscow +7 495 123-45-67", "Moscow [PHONE]"),
    ("line one\nmail: x@y.de\tphone 030 1234567", "line one\nmail: [EMAIL]\tphone [PHONE]"),
    ("Grüße, jörg@exämple.de", "Grüße, [EMAIL]"),
    ("mapped ::ffff:192.0.2.1 ok", "mapped [IPV6] ok"),
    ("IBAN DE89 3704 0044 0532 0130 00 please", "IBAN [IBAN] please"),
    ("GB82WEST12345698765432", "[IBAN]"),
]

# Strings redaction must leave exactly as they are.
MUST_NOT_TOUCH: list[str] = [
    "prompt support-v7 on model 2026-10-01",
    "knowledge kb-2026-11-01 was stale",
    "at 09:14:03 on 2026-11-02",
    "at 2026-11-02T09:14:03.120Z",
    "input hash 9f2c",
    "sha1 da39a3ee5e6b4b0d3255bfef95601890afd80709",
    "sha256 e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
    "uuid 550e8400-e29b-41d4-a716-446655440000",
    "uuid 12345678-1234-1234-1234-123456789012",
    "took 1620 ms and 812 tokens",
    "order ORD-2026-000123 and #4711-2233",
    "order id 100234567 shipped",
    "ticket-991 reopened",
    "rating 4.5 of 5, +1 from me",
    "dates 01/10/2026 and 10.11.2026",
    "version 1.2.3 released",
    "range 2020-2026 and 2026-01-15",
    "std::vector and Foo::bar",
    "ratio 3:2 at 12:30",
    "",
    "not ip 256.1.1.1 or 1.2.3",
    "price 1,234,567 EUR",
    "model gpt-x 2026-10-01 v3.1",
    "at 2026-11-02 09:14:03 UTC",
    "git 3f9a2b1c0d",
    "invoice INV-0042-7781",
    "call 0 or 1 2 3",
    "epoch ms 1732700000000 (passes Luhn)",
    "ISBN 9783161484102 (passes Luhn)",
    "ISBN 978-3-16-148410-0",
    "build 20261101.3 at 10:30:00+01:00",
    "ORDER AB12CDEF3456GH (IBAN-shaped, fails mod 97)",
]


@pytest.fixture(scope="module")
def pii_sql(tmp_path_factory: pytest.TempPathFactory) -> str:
    """`select <redact_pii(text)>, <hash_pii(text)> from cases`, compiled by dbt."""
    wh = tmp_path_factory.mktemp("pii") / "pii.duckdb"
    mp = pytest.MonkeyPatch()
    mp.setenv("FLOOP_HASH_KEY", HASH_KEY)
    try:
        proc = run_dbt(
            [
                "compile",
                "--quiet",
                "--inline",
                "select i, {{ redact_pii('text') }} as redacted, {{ hash_pii('text') }} as hashed"
                " from cases",
            ],
            wh,
            capture=True,
        )
    finally:
        mp.undo()
    sql = proc.stdout.strip()
    assert sql.startswith("select i,"), sql[:500]
    return sql


def _run(sql: str, texts: list[str | None]) -> list[tuple[str | None, str | None]]:
    con = duckdb.connect()
    con.execute("create table cases (i integer, text varchar)")
    con.executemany("insert into cases values (?, ?)", list(enumerate(texts)))
    rows = con.execute(f"select redacted, hashed from ({sql}) order by i").fetchall()
    return [(r[0], r[1]) for r in rows]


def test_redacts_personal_data(pii_sql: str) -> None:
    got = [r for r, _ in _run(pii_sql, [t for t, _ in MUST_REDACT])]
    wrong = [
        f"{text!r}: got {g!r}, want {want!r}"
        for (text, want), g in zip(MUST_REDACT, got, strict=True)
        if g != want
    ]
    assert not wrong, "\n".join(wrong)


def test_leaves_ids_dates_hashes_and_numbers_alone(pii_sql: str) -> None:
    got = [r for r, _ in _run(pii_sql, MUST_NOT_TOUCH)]
    wrong = [f"{t!r} -> {g!r}" for t, g in zip(MUST_NOT_TOUCH, got, strict=True) if g != t]
    assert not wrong, "\n".join(wrong)


def test_null_stays_null(pii_sql: str) -> None:
    assert _run(pii_sql, [None]) == [(None, None)]


def test_hash_is_keyed_sha256(pii_sql: str) -> None:
    ids = ["u42", "actor-7", "jane@example.com"]
    hashed = [h for _, h in _run(pii_sql, ids)]
    expected = [hashlib.sha256(f"{HASH_KEY}|{v}".encode()).hexdigest() for v in ids]
    assert hashed == expected
    # the key matters: an unkeyed hash of the id (guessable) is not what is stored
    assert all(
        h != hashlib.sha256(v.encode()).hexdigest() for h, v in zip(hashed, ids, strict=True)
    )


def test_card_numbers_need_a_valid_luhn_checksum(pii_sql: str) -> None:
    # every 16-digit number with the same prefix: exactly the one in ten with a valid check
    # digit is redacted
    texts = [f"pay 4539 1488 0343 646{d}" for d in range(10)]
    redacted = [r == "pay [CARD]" for r, _ in _run(pii_sql, texts)]
    assert redacted.count(True) == 1
    assert redacted.index(True) == _luhn_check_digit("453914880343646")


def _luhn_check_digit(prefix: str) -> int:
    total = 0
    for i, ch in enumerate(reversed(prefix)):
        d = int(ch)
        if i % 2 == 0:  # doubled: positions 2, 4, ... from the right once the check digit is added
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return (10 - total % 10) % 10


REALDATA = Path(__file__).resolve().parent.parent.parent / "shared" / "realdata"
TOKENS = ("[EMAIL]", "[PHONE]", "[CARD]", "[IBAN]", "[IPV4]", "[IPV6]")


def _real_texts() -> list[str]:
    texts: list[str] = []
    oasst = REALDATA / "oasst" / "oa_repo_en_100_message.jsonl"
    with open(oasst, encoding="utf-8") as fh:
        texts += [json.loads(line).get("text") or "" for line in fh]
    for path in sorted(REALDATA.glob("alpaca_eval/results/*/model_outputs.json.gz")):
        with gzip.open(path, "rt", encoding="utf-8") as fh:
            for row in json.load(fh):
                texts += [row["instruction"], row["output"]]
    return texts


def _is_personal(token: str, span: str) -> bool:
    """An independent (Python) judgment of a replaced span."""
    digits = re.sub(r"\D", "", span)
    if token == "[EMAIL]":
        return re.fullmatch(r"[^@\s]+@[^@\s]+\.[A-Za-z]{2,}", span) is not None
    if token == "[PHONE]":
        date = r"\d{4}[-/.]\d{1,2}[-/.]\d{1,2}|\d{1,2}[-/.]\d{1,2}[-/.]\d{2,4}"
        return (
            7 <= len(digits) <= 15
            and re.fullmatch(r"[+0-9 ()./-]+", span) is not None
            and re.fullmatch(date, span.strip()) is None
        )
    if token == "[IBAN]":
        s = span.replace(" ", "")
        return int("".join(str(int(ch, 36)) for ch in s[4:] + s[:4])) % 97 == 1
    if token == "[CARD]":
        return 13 <= len(digits) <= 19 and _luhn_check_digit(digits[:-1]) == int(digits[-1])
    try:
        ip = ipaddress.ip_address(span)
    except ValueError:
        return False
    return ip.version == (4 if token == "[IPV4]" else 6)


def test_real_text_has_no_false_positives(pii_sql: str) -> None:
    """Over real public text (OpenAssistant messages, AlpacaEval instructions and answers,
    ~6,500 texts, 3 M characters): few texts change, and every replaced span is judged personal
    data by an independent Python check (email shape, phone digits, Luhn, mod 97, ipaddress)."""
    if not REALDATA.exists():
        pytest.skip(f"no real data at {REALDATA}: real-text redaction check skipped")
    texts = _real_texts()
    redacted = [r for r, _ in _run(pii_sql, texts)]
    changed = [(t, r) for t, r in zip(texts, redacted, strict=True) if t != r]
    assert len(texts) > 5000
    assert len(changed) < 0.01 * len(texts)
    wrong: list[str] = []
    replaced = 0
    for before, after in changed:
        ops = difflib.SequenceMatcher(None, before, after, autojunk=False).get_opcodes()
        for op, a1, a2, b1, b2 in ops:
            if op == "equal":
                continue
            replaced += 1
            token, span = after[b1:b2], before[a1:a2]
            if token not in TOKENS or not _is_personal(token, span):
                wrong.append(f"{span!r} -> {token!r} in ...{before[max(0, a1 - 30) : a2 + 30]!r}")
    assert replaced > 0
    assert not wrong, "\n".join(wrong)
