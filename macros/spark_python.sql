{#- Where the table of a dbt Python model is on the spark target: dbt-spark runs Python models
    on Databricks only, so the floop step between the Spark build's phases (floop.spark_stats)
    computes it with the same function and writes it as one Parquet file under Spark's
    warehouse folder, `<spark.sql.warehouse.dir>/floop_python/<model>/`
    (Layout.spark_python_outputs); the SQL model of the same name reads it from there. -#}
{% macro floop_python_output(model_name) -%}
    {%- if adapter is defined -%}
        {{- return(adapter.dispatch('floop_python_output', 'floop')(model_name)) -}}
    {%- else -%}
        {#- sqlfluff's jinja templater has no `adapter`: a relation its DuckDB dialect parses -#}
        {{- return("read_parquet('floop_python/" ~ model_name ~ "/*.parquet')") -}}
    {%- endif -%}
{%- endmacro %}


{% macro default__floop_python_output(model_name) -%}
    {#- parsed on every target; only a build on another target than Spark is an error -#}
    {%- if execute -%}
        {%- do exceptions.raise_compiler_error(
            model_name ~ ": the dbt Python model builds it on this target, not floop's Parquet"
        ) -%}
    {%- endif -%}
{%- endmacro %}


{% macro spark__floop_python_output(model_name) -%}
    {#- the session's own setting (the profile's, as floop passes it): where the tables are -#}
    {%- set warehouse = 'spark-warehouse' -%}
    {%- if execute -%}
        {%- set warehouse = run_query('set spark.sql.warehouse.dir').rows[0][1] -%}
    {%- endif -%}
    parquet.`{{ warehouse }}/floop_python/{{ model_name }}`
{%- endmacro %}


{#- Whether the target is Spark: enables the SQL models that stand in for the dbt Python models
    there (`target` is undefined in sqlfluff's jinja templater). -#}
{% macro floop_on_spark() -%}
    {{- return(target is defined and target.type == 'spark') -}}
{%- endmacro %}
