{#- Model contracts on Spark. The contracts spell DuckDB's types (varchar, varchar[],
    timestamp, json) and dbt-spark compares them as written, so on the spark target a
    contract enforces the column names and their order, and the types where the DuckDB type
    maps to one Spark type (floop_spark_type: varchar and json -> string, varchar[] ->
    array<string>, timestamp -> timestamp_ntz, hugeint -> bigint). Spark enforces no constraints (not null,
    primary key) on Parquet tables: the data tests still run. DuckDB enforces all of it. -#}
{% macro spark__get_assert_columns_equivalent(sql) -%}
    {%- set contract = [] -%}
    {%- for col in model['columns'].values() -%}
        {%- do contract.append((col.name | lower, floop_spark_contract_type(col.data_type))) -%}
    {%- endfor -%}
    {%- set built = [] -%}
    {%- for col in get_column_schema_from_query(sql) -%}
        {%- do built.append((col.name | lower, col.dtype | lower)) -%}
    {%- endfor -%}
    {%- if contract != built -%}
        {%- set diffs = [] -%}
        {%- for i in range([contract | length, built | length] | max) -%}
            {%- set want = contract[i] if i < contract | length else ('-', '-') -%}
            {%- set got = built[i] if i < built | length else ('-', '-') -%}
            {%- if want != got and want[1] != 'any' or want[0] != got[0] -%}
                {%- do diffs.append(want[0] ~ ' ' ~ want[1] ~ ' <> ' ~ got[0] ~ ' ' ~ got[1]) -%}
            {%- endif -%}
        {%- endfor -%}
        {%- if diffs -%}
            {%- do exceptions.raise_compiler_error(
                'This model has an enforced contract that failed (spark: column names, order '
                ~ 'and mapped types): ' ~ diffs | join('; ')) -%}
        {%- endif -%}
    {%- endif -%}
{%- endmacro %}


{#- The Spark type a contract's DuckDB type means; `any` for types without one. -#}
{% macro floop_spark_contract_type(data_type) -%}
    {%- set t = floop_spark_type(data_type or '') | trim -%}
    {#- Spark has no 128-bit integer: DuckDB's hugeint sums are bigint there -#}
    {{- return({'timestamp': 'timestamp_ntz', 'integer': 'int', 'hugeint': 'bigint'}.get(t, t)
        or 'any') -}}
{%- endmacro %}
