"""The feedback filter of a dataset policy: a tiny boolean language ("thumbs down or edit
distance > 0.5") compiled to a SQL expression over the columns of `marts.fct_interactions`.
Only whitelisted names, numbers and operators are accepted, so a policy cannot inject SQL."""

from __future__ import annotations

import re
from collections.abc import Callable

# Names usable in a feedback filter. Booleans are predicates; numbers are compared.
FEEDBACK_PREDICATES: dict[str, str] = {
    "thumbs_down": "coalesce(thumbs_down_count, 0) > 0",
    "thumbs_up": "coalesce(thumbs_up_count, 0) > 0",
    "edited": "coalesce(edit_count, 0) > 0",
    "commented": "coalesce(comment_count, 0) > 0",
    "copied": "coalesce(is_copied, false)",
    "retried": "coalesce(is_retried, false)",
    "abandoned": "coalesce(is_abandoned, false)",
    "escalated": "coalesce(is_escalated, false)",
    "labeled": "coalesce(label_count, 0) > 0",
    "golden": "coalesce(is_golden, false)",
    "has_outcome": "coalesce(carries_outcome, false)",
}
FEEDBACK_NUMBERS: dict[str, str] = {
    "edit_distance": "edit_distance_mean",
    "rating": "rating_mean",
    "thumbs_down_count": "thumbs_down_count",
    "thumbs_up_count": "thumbs_up_count",
    "label_agreement": "label_agreement",
    "outcome_value": "primary_outcome_value",
    "eval_passed_count": "eval_passed_count",
    "eval_count": "eval_count",
    "latency_ms": "server_latency_ms",
}
# Deeper nesting than any real filter needs is refused (see compile_feedback_filter).
MAX_NESTING = 50
_COMPARATORS = ("<=", ">=", "!=", "=", "<", ">")
_BOOL_WORDS = ("and", "or", "not")


_TOKEN = re.compile(r"\s*(<=|>=|!=|=|<|>|\(|\)|-?\d+(?:\.\d+)?|[A-Za-z_][A-Za-z0-9_]*)")


def _tokens(text: str) -> list[str]:
    out: list[str] = []
    pos = 0
    text = text.strip()
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        if not m:
            raise ValueError(f"an expression of names, and/or/not, comparisons (at {text[pos:]!r})")
        out.append(m.group(1))
        pos = m.end()
    # Multi-word names ("thumbs down", "edit distance") become one name ("thumbs_down").
    merged: list[str] = []
    for tok in out:
        is_word = re.fullmatch(r"[A-Za-z_]\w*", tok) and tok.lower() not in _BOOL_WORDS
        prev_word = (
            merged
            and re.fullmatch(r"[A-Za-z_]\w*", merged[-1])
            and merged[-1].lower() not in _BOOL_WORDS
        )
        if is_word and prev_word:
            merged[-1] = f"{merged[-1]}_{tok}"
        else:
            merged.append(tok.lower() if is_word or tok.lower() in _BOOL_WORDS else tok)
    return merged


def compile_feedback_filter(text: str) -> str:
    """'thumbs down or edit distance > 0.5' -> a SQL boolean over fct_interactions columns.

    Only whitelisted names, numbers and operators are accepted, so a policy cannot inject SQL.
    Comparisons on a null value are false (coalesce), so unknown never passes a filter.
    """
    toks = _tokens(text)
    pos = 0
    depth = 0

    def peek() -> str | None:
        return toks[pos] if pos < len(toks) else None

    def take() -> str:
        nonlocal pos
        if pos >= len(toks):
            raise ValueError("a complete expression (it ends too early)")
        pos += 1
        return toks[pos - 1]

    def expr_or() -> str:
        parts = [expr_and()]
        while peek() == "or":
            take()
            parts.append(expr_and())
        return parts[0] if len(parts) == 1 else "(" + " or ".join(parts) + ")"

    def expr_and() -> str:
        parts = [expr_not()]
        while peek() == "and":
            take()
            parts.append(expr_not())
        return parts[0] if len(parts) == 1 else "(" + " and ".join(parts) + ")"

    def nested(parse: Callable[[], str]) -> str:
        """PARSE one level deeper; a bounded depth keeps a hostile filter from exhausting the
        interpreter's stack (5,000 nested parentheses once raised RecursionError)."""
        nonlocal depth
        depth += 1
        if depth > MAX_NESTING:
            raise ValueError(f"at most {MAX_NESTING} nested parentheses or 'not's")
        try:
            return parse()
        finally:
            depth -= 1

    def expr_not() -> str:
        if peek() == "not":
            take()
            return f"(not {nested(expr_not)})"
        return atom()

    def atom() -> str:
        tok = take()
        if tok == "(":
            inner = nested(expr_or)
            if take() != ")":
                raise ValueError("a closing parenthesis")
            return inner
        if tok in FEEDBACK_PREDICATES:
            return f"({FEEDBACK_PREDICATES[tok]})"
        if tok in FEEDBACK_NUMBERS:
            op = take()
            if op not in _COMPARATORS:
                raise ValueError(f"a comparison after {tok!r} ({' '.join(_COMPARATORS)})")
            num = take()
            if not re.fullmatch(r"-?\d+(?:\.\d+)?", num):
                raise ValueError(f"a number after {tok} {op}")
            return f"coalesce({FEEDBACK_NUMBERS[tok]} {op} {num}, false)"
        names = sorted([*FEEDBACK_PREDICATES, *FEEDBACK_NUMBERS])
        raise ValueError(f"a known name ({', '.join(names)}) instead of {tok!r}")

    sql = expr_or()
    if pos != len(toks):
        raise ValueError(f"and/or between terms (unexpected {toks[pos]!r})")
    return sql
