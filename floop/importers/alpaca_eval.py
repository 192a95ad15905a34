"""AlpacaEval results (tatsu-lab/alpaca_eval `results/<generator>/`) -> contract events.

`model_outputs.json[.gz]`: one record per instruction answered by a generator -> an
`interaction` (is_shadow = true: an offline generation no user was served). The judge's
`*_annotations.json[.gz]`: one record per instruction, the generator (`generator_2`) against
the fixed baseline (`generator_1`) -> an `evaluation` of that response with eval_metric
`preference` and eval_value = the judge's preference as AlpacaEval encodes it (1 = the baseline
wins, 2 = the model wins, fractional for the weighted judge, 1.5 or 0 = a draw), eval_passed =
preference > 1.5 (null for a draw), and the evaluation's own model and prompt version.

Both files derive the response id from (generator, instruction), so they meet whatever their
import order. A generator name `<model_id>-<digits>[_<prompt>]` gives model_id, model_version
(the digits) and prompt_version (the suffix, else `default`). AlpacaEval records no time, tokens
or latency: every event is stamped RESULTS_AT, output_tokens counts whitespace-separated words
(a stand-in) and server_latency_ms is 0 (shadow rows stay out of the latency marts). A record
without a usable preference keeps eval_value out, so ingest quarantines it (AlpacaEval drops
such records too). docs/import.md has the table.
"""

from __future__ import annotations

import hashlib
import math
import re
from typing import Any

from floop.importers.events import event_id, input_hash, make_event
from floop.importers.mapping import FieldMapping
from floop.importers.sources import ImportFileError, SourceFile

Record = dict[str, Any]

RESULTS_AT = "2024-01-01T00:00:00Z"
TASK_TYPE = "alpaca_eval"
EVALUATOR_VERSION = "alpaca_eval-2.0"
_VERSIONED = re.compile(r"^(?P<model>.+)-(?P<version>\d+)$")


def convert(source: SourceFile, mapping: FieldMapping) -> tuple[list[Record], int]:
    """The file's events and how many records were not imported (none: every record is one)."""
    records = _records(source)
    if all("preference" in r for r in records):
        return [_evaluation(r, mapping) for r in records], 0
    return [_interaction(r, mapping) for r in records], 0


def _records(source: SourceFile) -> list[Record]:
    docs = source.documents
    records = docs[0] if len(docs) == 1 and isinstance(docs[0], list) else docs
    if not records or not all(
        isinstance(r, dict) and isinstance(r.get("instruction"), str) for r in records
    ):
        raise ImportFileError(
            f"{source.path}: not AlpacaEval results (a list of records with `instruction`)"
        )
    return records


def split_generator(generator: str) -> tuple[str, str, str]:
    """(model_id, model_version, prompt_version) of an AlpacaEval generator name."""
    base, _, prompt = generator.partition("_")
    m = _VERSIONED.match(base)
    model_id, model_version = (m["model"], m["version"]) if m else (base, "unversioned")
    return model_id, model_version, prompt or "default"


def output_id(generator: str, instruction: str) -> str:
    digest = hashlib.sha256(f"{generator}\x1f{instruction}".encode()).hexdigest()
    return f"alpaca-{digest[:24]}"


def _context(record: Record, mapping: FieldMapping, oid: str) -> dict[str, Any]:
    ctx = mapping.context([record], oid)
    ctx["task_type"] = ctx["task_type"] or TASK_TYPE
    ctx["task_id"] = "alpaca-" + input_hash(record["instruction"])[:24]
    return ctx


def _interaction(record: Record, mapping: FieldMapping) -> Record:
    generator = str(record.get("generator") or "")
    model_id, model_version, prompt_version = split_generator(generator)
    oid = output_id(generator, record["instruction"])
    output = record.get("output")
    return make_event(
        "interaction",
        event_id("alpaca_eval", "interaction", generator, record["instruction"]),
        RESULTS_AT,
        **_context(record, mapping, oid),
        output_id=oid,
        input_hash=input_hash(record["instruction"]),
        prompt_version=prompt_version,
        model_id=model_id,
        model_version=model_version,
        output_tokens=len(output.split()) if isinstance(output, str) else None,
        server_latency_ms=0,
        is_shadow=True,
    )


def _evaluation(record: Record, mapping: FieldMapping) -> Record:
    generator = str(record.get("generator_2") or "")
    model_id, model_version, prompt_version = split_generator(generator)
    oid = output_id(generator, record["instruction"])
    pref = record.get("preference")
    value = float(pref) if isinstance(pref, int | float) and math.isfinite(pref) else None
    ctx = _context(record, mapping, oid)
    return make_event(
        "evaluation",
        event_id("alpaca_eval", "evaluation", generator, record["instruction"]),
        RESULTS_AT,
        tenant_id=ctx["tenant_id"],
        trace_id=oid,
        output_id=oid,
        evaluator_id=str(record.get("annotator") or "alpaca_eval_judge"),
        evaluator_version=EVALUATOR_VERSION,
        eval_metric="preference",
        eval_value=value,
        eval_passed=value > 1.5 if value is not None and 1 <= value <= 2 and value != 1.5 else None,
        prompt_version=prompt_version,
        model_id=model_id,
        model_version=model_version,
    )
