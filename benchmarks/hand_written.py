"""The hand-written limit of the dbt build (issue 14): the same work in as few DuckDB statements
as it allows, written independently of the models, from the definitions they document.

    bench.feedback          feedback deduped on event_id (first received), its user and actor
                            ids as keyed hashes, its text redacted (what stg_feedback does)
    bench.wide              interactions deduped (event_id, then output_id), user_key hashed,
                            attribution, the latest outcomes, every feedback / evaluation /
                            label aggregate and the comments: the wide fact
    bench.versions_weekly   the outcome-per-version marts' interaction columns, per week and
    bench.versions_daily    per day

The speed limit of benchmarks/bench_dbt.py and bench_scale.py, and an independent
implementation tests/test_marts.py compares with the build. The hash key comes in as a
parameter (`hand_written(warehouse, key)`), as FLOOP_HASH_KEY does for dbt.
"""

from __future__ import annotations

from pathlib import Path

import duckdb

# Redaction, stage by stage (emails, then IP addresses, then IBANs and card numbers kept only
# when their checksum holds, then phone numbers): temporary macros of the connection.
_HEX = "[0-9A-Fa-f]{1,4}"
_OCTET = "(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])"
_IPV4 = rf"{_OCTET}(\.{_OCTET}){{3}}"
_IPV6 = (
    rf"({_HEX}(:{_HEX}){{0,5}})?::({_HEX}:){{0,5}}{_IPV4}|({_HEX}:){{6}}{_IPV4}"
    rf"|{_HEX}(:{_HEX}){{7}}|({_HEX}:){{1,7}}:({_HEX}(:{_HEX}){{0,6}})?|::{_HEX}(:{_HEX}){{0,6}}"
)
_PHONE = (
    r"(\+|\b00)[1-9][0-9]{0,2}([ .\-/]?(\([0-9]{1,4}\)|[0-9]{1,5})){2,6}\b"
    r"|\(0[0-9]{1,4}\)[ ]?[0-9]{3,}([ \-][0-9]{2,})*\b"
    r"|\b0[1-9][0-9]{1,4}[ /\-][0-9]{3,}([ \-][0-9]{2,})*\b"
    r"|\([0-9]{3}\)[ ]?[0-9]{3}[ .\-][0-9]{4}\b"
    r"|\b[0-9]{3}[.\-][0-9]{3}[.\-][0-9]{4}\b"
)
_CARD = (
    r"\b([2-6][0-9]{3}[ -][0-9]{4}[ -][0-9]{4}[ -][0-9]{4}[ -][0-9]{1,3}"
    r"|[2-6][0-9]{3}[ -][0-9]{4}[ -][0-9]{4}[ -][0-9]{1,4}"
    r"|[2-6][0-9]{3}[ -][0-9]{6}[ -][0-9]{4,5}|[2-6][0-9]{12,18})\b"
)
_IBAN = r"\b[A-Z]{2}[0-9]{2}( ?[A-Z0-9]{4}){2,7}( ?[A-Z0-9]{1,4})?\b"

MACROS = [
    # Luhn: from the right, every second digit doubled (its digit sum: the table), sum % 10 = 0
    """create or replace temp macro bench_luhn_ok(c) as (
        list_sum([
            case when i % 2 = 0
                then [0, 2, 4, 6, 8, 1, 3, 5, 7, 9][cast(d as integer) + 1]
                else cast(d as integer) end
            for d, i in string_split(reverse(regexp_replace(c, '[^0-9]', '', 'g')), '')
        ]) % 10 = 0
    )""",
    # ISO 13616: the first four characters moved to the end, letters as 10..35, mod 97 = 1
    """create or replace temp macro bench_iban_ok(c) as (
        list_reduce(
            list_prepend(0, [cast(x as integer) for x in string_split(array_to_string([
                case when ch between '0' and '9' then ch else cast(ascii(ch) - 55 as varchar) end
                for ch in string_split(
                    substr(replace(c, ' ', ''), 5) || left(replace(c, ' ', ''), 4), '')
            ], ''), '')]),
            lambda acc, x: (acc * 10 + x) % 97
        ) = 1
    )""",
    """create or replace temp macro bench_replace_all(t, found, token) as (
        list_reduce(list_prepend(t, found), lambda acc, f: replace(acc, f, token))
    )""",
    f"""create or replace temp macro bench_redact_nets(t) as (
        regexp_replace(regexp_replace(regexp_replace(t,
            '[\\p{{L}}\\p{{N}}._%+\\-]+@[\\p{{L}}\\p{{N}}.\\-]+\\.\\p{{L}}{{2,}}', '[EMAIL]', 'g'),
            '(^|[^0-9A-Za-z_:.])({_IPV6})', '\\1[IPV6]', 'g'),
            '\\b{_IPV4}\\b', '[IPV4]', 'g')
    )""",
    f"""create or replace temp macro bench_redact_ibans(t) as bench_replace_all(t,
        [x for x in regexp_extract_all(t, '{_IBAN}', 0) if bench_iban_ok(x)], '[IBAN]')""",
    f"""create or replace temp macro bench_redact_cards(t) as bench_replace_all(t,
        [x for x in regexp_extract_all(t, '{_CARD}', 0) if bench_luhn_ok(x)], '[CARD]')""",
    f"""create or replace temp macro bench_redact(t) as regexp_replace(
        bench_redact_cards(bench_redact_ibans(bench_redact_nets(t))),
        '(^|[^0-9A-Za-z_.\\-/])({_PHONE})', '\\1[PHONE]', 'g')""",
    """create or replace temp macro bench_hash(v) as (
        case when v is not null then sha256(getvariable('bench_hash_key') || '|' || v) end
    )""",
]

_FIRST_RECEIVED = "partition by event_id order by _ingested_at, _source_file, _line_number"

FEEDBACK_SQL = f"""
select event_id, output_id, feedback_type, feedback_value, actor_role, "timestamp",
    bench_hash(user_id) as user_key, bench_hash(actor_id) as actor_key,
    bench_redact(feedback_text) as feedback_text_redacted
from raw.feedback_events
qualify row_number() over ({_FIRST_RECEIVED}) = 1
"""

WIDE_SQL = f"""
with interactions as (
    select * from (
        select * from raw.interaction_events
        qualify row_number() over ({_FIRST_RECEIVED}) = 1
    )
    qualify row_number() over (partition by output_id order by "timestamp", event_id) = 1
),
feedback as (
    select f.*, coalesce(w.trust_weight, 0.0) as w
    from bench.feedback f
    left join reference.actor_role_weights w on f.actor_role = w.actor_role
),
fb as (
    select output_id,
        count(*) filter (where feedback_type = 'thumbs' and feedback_value > 0) as up,
        count(*) filter (where feedback_type = 'thumbs' and feedback_value < 0) as down,
        coalesce(sum(w) filter (where feedback_type = 'thumbs' and feedback_value > 0), 0) as wup,
        coalesce(sum(w) filter (where feedback_type = 'thumbs' and feedback_value < 0), 0) as wdown,
        avg(feedback_value) filter (where feedback_type = 'rating') as rating_mean,
        count(*) filter (where feedback_type = 'edit') as edits,
        avg(feedback_value) filter (where feedback_type = 'edit') as edit_mean,
        bool_or(feedback_type = 'retry') as retried,
        bool_or(feedback_type = 'abandon') as abandoned,
        bool_or(feedback_type = 'escalation') as escalated,
        bool_or(feedback_type = 'copy') as copied,
        min(feedback_value) filter (where feedback_type = 'first_action') as first_action_ms,
        count(*) filter (where feedback_type = 'doc_click') as doc_clicks,
        string_agg(feedback_text_redacted, ' | ' order by "timestamp")
            filter (where feedback_type = 'comment' and feedback_text_redacted is not null)
            as comments,
        min("timestamp") as first_feedback_at
    from feedback group by output_id
),
ev as (
    select output_id, count(*) as evals, count(*) filter (where eval_passed) as passed,
        count(eval_passed) as verdicts
    from (
        select * from raw.evaluation_events
        qualify row_number() over ({_FIRST_RECEIVED}) = 1
    ) group by output_id
),
lb as (
    select output_id, count(*) as labels from (
        select * from raw.label_events
        qualify row_number() over ({_FIRST_RECEIVED}) = 1
    ) group by output_id
),
outcomes as (
    select o.task_id, o.outcome_metric_value, o."timestamp",
        o.outcome_metric_name = wf.primary_outcome_metric as is_primary
    from (
        select * from raw.outcome_events
        qualify row_number() over ({_FIRST_RECEIVED}) = 1
    ) o
    left join reference.workflows wf on o.task_type = wf.task_type
    qualify row_number() over (
        partition by o.task_id, o.outcome_metric_name
        order by o."timestamp" desc, o._ingested_at desc, o.event_id desc) = 1
),
task_outcome as (
    select task_id, max(outcome_metric_value) as primary_value
    from outcomes where is_primary group by task_id
),
ranked as (
    select *,
        case when not coalesce(is_shadow, false) then row_number() over (
            partition by task_id, coalesce(is_shadow, false)
            order by "timestamp" desc, output_id desc) end as rk
    from interactions
)
select
    r.output_id,
    r.task_id,
    r.task_type,
    r.model_id,
    r.model_version,
    r.prompt_version,
    coalesce(r.knowledge_version, '(none)') as knowledge_version,
    r.server_latency_ms,
    r.input_tokens,
    r.output_tokens,
    bench_hash(r.user_id) as user_key,
    cast(date_trunc('week', r."timestamp") as date) as interaction_week,
    cast(r."timestamp" as date) as interaction_date,
    coalesce(r.is_shadow, false) as is_shadow,
    coalesce(r.rk = 1, false) as carries_outcome,
    coalesce(r.rk > 1, false) as is_superseded,
    case when not coalesce(r.is_shadow, false) then t.primary_value end as primary_outcome_value,
    coalesce(fb.up, 0) as thumbs_up_count,
    coalesce(fb.down, 0) as thumbs_down_count,
    coalesce(fb.wup, 0.0) as weighted_thumbs_up,
    coalesce(fb.wdown, 0.0) as weighted_thumbs_down,
    fb.rating_mean,
    coalesce(fb.edits, 0) as edit_count,
    fb.edit_mean as edit_distance_mean,
    coalesce(fb.retried, false) as is_retried,
    coalesce(fb.abandoned, false) as is_abandoned,
    coalesce(fb.escalated, false) as is_escalated,
    coalesce(fb.copied, false) as is_copied,
    fb.first_action_ms as time_to_first_action_ms,
    coalesce(fb.doc_clicks, 0) as doc_click_count,
    fb.comments as comments_redacted,
    coalesce(fb.first_feedback_at < r."timestamp", false) as has_feedback_before_interaction,
    coalesce(ev.evals, 0) as eval_count,
    coalesce(ev.verdicts, 0) as eval_verdict_count,
    coalesce(ev.passed, 0) as eval_passed_count,
    coalesce(lb.labels, 0) as label_count
from ranked r
left join fb on r.output_id = fb.output_id
left join ev on r.output_id = ev.output_id
left join lb on r.output_id = lb.output_id
left join task_outcome t on r.task_id = t.task_id
"""


def versions_sql(period: str) -> str:
    """The interaction columns of the outcome-per-version mart of PERIOD (interaction_week or
    interaction_date), over non-shadow interactions."""
    return f"""
select task_type, model_id, model_version, prompt_version, knowledge_version,
    {period} as period_start,
    count(*) as interactions,
    count(distinct task_id) as distinct_tasks,
    count(*) filter (where carries_outcome) as tasks_attributed,
    count(*) filter (where carries_outcome and primary_outcome_value is not null)
        as tasks_with_outcome,
    count(*) filter (where carries_outcome and primary_outcome_value > 0)
        as primary_outcome_rate_numerator,
    avg(primary_outcome_value) filter (where carries_outcome) as primary_outcome_value_mean,
    sum(thumbs_up_count) as thumbs_up_count,
    sum(thumbs_down_count) as thumbs_down_count,
    sum(weighted_thumbs_up) as weighted_thumbs_up,
    sum(weighted_thumbs_down) as weighted_thumbs_down,
    sum(edit_count) as edit_count,
    count(*) filter (where is_retried) as retry_rate_numerator,
    count(*) filter (where is_abandoned) as abandon_rate_numerator,
    count(*) filter (where is_escalated) as escalation_rate_numerator,
    quantile_cont(server_latency_ms, 0.5) as server_latency_p50_ms,
    quantile_cont(server_latency_ms, 0.95) as server_latency_p95_ms,
    coalesce(sum(input_tokens), 0) as input_tokens_total,
    coalesce(sum(output_tokens), 0) as output_tokens_total,
    sum(eval_passed_count) as eval_pass_rate_numerator,
    sum(eval_verdict_count) as eval_pass_rate_denominator
from bench.wide
where not is_shadow
group by all
"""


# The columns bench.versions_* share with marts.fct_version_outcomes_weekly / _daily (on their
# rows with interactions; period_start is their interaction_week / interaction_date).
VERSION_COLUMNS = [
    "task_type", "model_id", "model_version", "prompt_version", "knowledge_version",
    "period_start", "interactions", "distinct_tasks", "tasks_attributed", "tasks_with_outcome",
    "primary_outcome_rate_numerator", "primary_outcome_value_mean", "thumbs_up_count",
    "thumbs_down_count", "weighted_thumbs_up", "weighted_thumbs_down", "edit_count",
    "retry_rate_numerator", "abandon_rate_numerator", "escalation_rate_numerator",
    "server_latency_p50_ms", "server_latency_p95_ms", "input_tokens_total",
    "output_tokens_total", "eval_pass_rate_numerator", "eval_pass_rate_denominator",
]  # fmt: skip

STATEMENTS = [
    ("bench.feedback", FEEDBACK_SQL),
    ("bench.wide", WIDE_SQL),
    ("bench.versions_weekly", versions_sql("interaction_week")),
    ("bench.versions_daily", versions_sql("interaction_date")),
]

# The columns bench.wide shares with marts.fct_interactions.
COMPARED_COLUMNS = [
    "output_id", "task_id", "task_type", "model_id", "model_version", "prompt_version",
    "server_latency_ms", "input_tokens", "output_tokens", "user_key", "interaction_week",
    "interaction_date", "is_shadow", "carries_outcome",
    "is_superseded", "primary_outcome_value", "thumbs_up_count", "thumbs_down_count",
    "weighted_thumbs_up", "weighted_thumbs_down", "rating_mean", "edit_count",
    "edit_distance_mean", "is_retried", "is_abandoned", "is_escalated", "is_copied",
    "time_to_first_action_ms", "doc_click_count", "comments_redacted",
    "has_feedback_before_interaction", "eval_count", "eval_verdict_count", "eval_passed_count",
    "label_count",
]  # fmt: skip


def hand_written(warehouse: Path, key: str) -> None:
    """The limit's tables (schema bench) in WAREHOUSE, hashing with KEY."""
    con = duckdb.connect(str(warehouse))
    try:
        con.execute("set TimeZone = 'UTC'")
        con.execute("set variable bench_hash_key = ?", [key])
        for macro in MACROS:
            con.execute(macro)
        con.execute("create schema if not exists bench")
        for table, sql in STATEMENTS:
            con.execute(f"create or replace table {table} as {sql}")
    finally:
        con.close()
