"""Pearson's chi-squared test of a label's value distribution before and after each taxonomy
version change: the 2 x K table of label counts (previous version, new version) over the K
values either version used (scipy.stats.chi2_contingency, no continuity correction). A Python
model because SQL has no chi-squared distribution; it only sees the aggregated rows of
int_label_version_distribution (one per label_name, version and value)."""

import pandas as pd
from scipy import stats

COLUMNS = {
    "label_name": "string",
    "taxonomy_version": "string",
    "previous_taxonomy_version": "string",
    "chi2_statistic": "Float64",
    "degrees_of_freedom": "Int64",
    "p_value": "Float64",
}


def change_test(before: dict[str, int], after: dict[str, int]) -> tuple[float, int, float]:
    """(statistic, degrees of freedom, p-value) of the 2 x K table of BEFORE and AFTER counts."""
    values = sorted(set(before) | set(after))
    table = [[before.get(v, 0) for v in values], [after.get(v, 0) for v in values]]
    if len(values) < 2 or not all(sum(row) for row in table):
        return float("nan"), 0, float("nan")
    statistic, p_value, dof, _ = stats.chi2_contingency(table, correction=False)
    return float(statistic), int(dof), float(p_value)


def model(dbt, session):
    dbt.config(materialized="table")
    dist = dbt.ref("int_label_version_distribution").df()
    rows = []
    changes = dist[dist["previous_taxonomy_version"].notna()]
    for (name, version, previous), _ in changes.groupby(
        ["label_name", "taxonomy_version", "previous_taxonomy_version"]
    ):
        mine = dist[dist["label_name"] == name]
        before = mine[mine["taxonomy_version"] == previous]
        after = mine[mine["taxonomy_version"] == version]
        statistic, dof, p_value = change_test(
            dict(zip(before["label_value"], before["label_count"].astype(int), strict=True)),
            dict(zip(after["label_value"], after["label_count"].astype(int), strict=True)),
        )
        rows.append((name, version, previous, statistic, dof, p_value))
    frame = pd.DataFrame(rows, columns=list(COLUMNS))
    return frame.astype(COLUMNS)
