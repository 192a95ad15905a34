"""Taxonomy version changes and Pearson's chi-squared test of a label's value distribution
before and after each (floop.taxonomy_changes: the 2 x K table of label counts, previous version
and new version, over the K values either version used). A Python model because SQL has no
chi-squared distribution; it only sees the aggregated rows of int_label_version_distribution
(one per label_name, version and value). On the spark target the SQL model of the same name
(int_taxonomy_change_tests.sql) stands in for it, over the same function's output
(docs/scale-out.md)."""

from floop.taxonomy_changes import taxonomy_change_tests


def model(dbt, session):
    dbt.config(materialized="table")
    return taxonomy_change_tests(dbt.ref("int_label_version_distribution"))
