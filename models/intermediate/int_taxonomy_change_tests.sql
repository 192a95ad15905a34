{{ config(enabled=floop_on_spark()) }}
-- depends_on: {{ ref('int_label_version_distribution') }}
-- On the spark target, int_taxonomy_change_tests: the dbt Python model of that name runs on
-- DuckDB only (dbt-spark runs Python models on Databricks alone). Its rows come from the same
-- function, floop.taxonomy_changes.taxonomy_change_tests,
-- which the floop step between the Spark build's phases runs on the Parquet of the inputs
-- above (floop.spark_stats) and writes as one Parquet file; read here with the Python
-- model's column types. Grain and columns: as the Python model's (_models.yml).
with tests as (
    select * from {{ floop_python_output('int_taxonomy_change_tests') }}
),

final as (
    select
        cast(label_name as string) as label_name,
        cast(taxonomy_version as string) as taxonomy_version,
        cast(previous_taxonomy_version as string) as previous_taxonomy_version,
        cast(changed_at as timestamp) as changed_at,
        cast(labels_before as bigint) as labels_before,
        cast(labels_after as bigint) as labels_after,
        cast(values_before as bigint) as values_before,
        cast(values_after as bigint) as values_after,
        cast(undeclared_before as bigint) as undeclared_before,
        cast(undeclared_after as bigint) as undeclared_after,
        cast(chi2_statistic as double) as chi2_statistic,
        cast(degrees_of_freedom as bigint) as degrees_of_freedom,
        cast(p_value as double) as p_value
    from tests
)

select * from final
