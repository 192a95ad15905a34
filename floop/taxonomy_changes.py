"""The table of the dbt model `int_taxonomy_change_tests`: each taxonomy version change of a
label and Pearson's chi-squared test of the label's value distribution before and after it —
the 2 x K table of label counts (previous version, new version) over the K values either
version used (scipy.stats.chi2_contingency, no continuity correction), with the counts on both
sides. Python because SQL has no chi-squared distribution; it only sees the aggregated rows of
int_label_version_distribution (one per label_name, version and value). The dbt Python model
calls `taxonomy_change_tests` on DuckDB; on Spark the floop step between the build's phases
calls it on the same rows read from Parquet (floop.spark_stats)."""

from __future__ import annotations

from typing import Any

import pandas as pd
from scipy import stats

COLUMNS = {
    "label_name": "string",
    "taxonomy_version": "string",
    "previous_taxonomy_version": "string",
    "changed_at": "datetime64[us]",
    "labels_before": "int64",
    "labels_after": "int64",
    "values_before": "int64",
    "values_after": "int64",
    "undeclared_before": "int64",
    "undeclared_after": "int64",
    "chi2_statistic": "Float64",
    "degrees_of_freedom": "int64",
    "p_value": "Float64",
}


def change_test(before: dict[str, int], after: dict[str, int]) -> tuple[float, int, float]:
    """(statistic, degrees of freedom, p-value) of the 2 x K table of BEFORE and AFTER counts;
    NaN and 0 degrees of freedom when the table has fewer than two values or an empty row."""
    values = sorted(set(before) | set(after))
    table = [[before.get(v, 0) for v in values], [after.get(v, 0) for v in values]]
    if len(values) < 2 or not all(sum(row) for row in table):
        return float("nan"), 0, float("nan")
    statistic, p_value, dof, _ = stats.chi2_contingency(table, correction=False)
    return float(statistic), int(dof), float(p_value)


def _side(frame: pd.DataFrame) -> tuple[dict[str, int], int, int, int]:
    """(value -> count, labels, values used, undeclared labels) of one version's rows."""
    counts = dict(zip(frame["label_value"], frame["label_count"].astype(int), strict=True))
    undeclared = int(frame.loc[~frame["is_declared_value"].astype(bool), "label_count"].sum())
    return counts, int(sum(counts.values())), len(counts), undeclared


def taxonomy_change_tests(distribution: Any) -> pd.DataFrame:
    """The model's rows from DISTRIBUTION, the rows of int_label_version_distribution (a DuckDB
    relation: anything with `.df()`)."""
    dist = distribution.df()
    rows = []
    changes = dist[dist["previous_taxonomy_version"].notna()]
    for (name, version, previous), after_rows in changes.groupby(
        ["label_name", "taxonomy_version", "previous_taxonomy_version"]
    ):
        mine = dist[dist["label_name"] == name]
        before, n_before, k_before, u_before = _side(mine[mine["taxonomy_version"] == previous])
        after, n_after, k_after, u_after = _side(after_rows)
        statistic, dof, p_value = change_test(before, after)
        changed_at = after_rows["version_first_labeled_at"].min()
        rows.append(
            (
                name,
                version,
                previous,
                changed_at,
                n_before,
                n_after,
                k_before,
                k_after,
                u_before,
                u_after,
                statistic,
                dof,
                p_value,
            )
        )
    frame = pd.DataFrame(rows, columns=list(COLUMNS))
    return frame.astype(COLUMNS)
