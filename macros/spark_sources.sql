{#- The raw sources on an engine without dbt-duckdb's `external_location` (the on-run-start
    hook of dbt_project.yml). DuckDB: nothing to do (the sources' meta.external_location reads
    the lake or the raw schema). Spark: the sources' schemas (`raw`, `registry`) become tables
    over the Parquet event log (var `lake` / env FLOOP_LAKE, required), rebuilt on every run
    so that new files are seen:

      <schema>.<table>__files  every Parquet file under the table's lake folder, with the
                               source's declared columns (a file without a column reads null,
                               a folder with no load yet reads empty; `_schema.parquet` is
                               skipped as every `_` file is by Spark)
      <schema>.<table>         a view of the committed rows: the loads the ledger names
                               (floop.lake.committed_sql, the same rule as DuckDB's)

    Sources the lake does not hold (load_waivers, written by `floop waive`; the export
    registry) are empty Parquet tables created when missing. -#}
{% macro floop_prepare_sources() -%}
    {{- return(adapter.dispatch('floop_prepare_sources', 'floop')()) -}}
{%- endmacro %}


{% macro default__floop_prepare_sources() -%}
{%- endmacro %}


{#- DuckDB type of a source column -> Spark type (timestamps are naive: the spark profile sets
    spark.sql.timestampType to TIMESTAMP_NTZ, so `timestamp` means DuckDB's). -#}
{% macro floop_spark_type(duckdb_type) -%}
    {%- set t = duckdb_type | lower -%}
    {%- if t.endswith('[]') -%}
        array<{{ floop_spark_type(t[:-2]) }}>
    {%- elif t in ('varchar', 'json', 'text') -%}
        string
    {%- else -%}
        {{ t }}
    {%- endif -%}
{%- endmacro %}


{#- The lake folder of a raw table: event tables under their event type's name. -#}
{% macro floop_lake_folder(table) -%}
    {%- if table.endswith('_events') and table != 'duplicate_events' -%}
        {{ table[:-7] }}
    {%- else -%}
        {{ table }}
    {%- endif -%}
{%- endmacro %}


{% macro spark__floop_prepare_sources() -%}
    {%- if not execute -%}{{ return('') }}{%- endif -%}
    {%- set lake = var('lake') or env_var('FLOOP_LAKE', '') -%}
    {%- if not lake -%}
        {%- do exceptions.raise_compiler_error(
            "the spark target reads raw events from the Parquet event log: set FLOOP_LAKE "
            ~ "(floop run --engine spark --lake DIR does) or the var lake"
        ) -%}
    {%- endif -%}
    {%- set not_in_lake = ['load_waivers', 'dataset_manifests'] -%}
    {%- set views = [] -%}
    {%- for src in graph.sources.values() | sort(attribute='unique_id') -%}
        {%- set columns = [] -%}
        {%- for col in src.columns.values() -%}
            {%- do columns.append('`' ~ col.name ~ '` ' ~ floop_spark_type(col.data_type)) -%}
        {%- endfor -%}
        {%- set table = src.schema ~ '.' ~ src.identifier -%}
        {%- do run_query('create schema if not exists ' ~ src.schema) -%}
        {%- if src.identifier in not_in_lake -%}
            {%- do run_query('create table if not exists ' ~ table ~ ' (' ~ columns | join(', ')
                ~ ') using parquet') -%}
        {%- else -%}
            {%- set files = table ~ '__files' -%}
            {%- do run_query('drop view if exists ' ~ table) -%}
            {%- do run_query('drop table if exists ' ~ files) -%}
            {%- do run_query('create table ' ~ files ~ ' (' ~ columns | join(', ')
                ~ ") using parquet options (path '" ~ lake ~ '/' ~ floop_lake_folder(src.identifier)
                ~ "', recursiveFileLookup 'true')") -%}
            {%- if src.identifier == 'ingest_ledger' -%}
                {%- do views.append('create view ' ~ table ~ ' as select * from ' ~ files) -%}
            {%- else -%}
                {%- set load_col = '_load_id' if src.identifier.endswith('_events')
                    and src.identifier != 'duplicate_events' else 'load_id' -%}
                {%- do views.append('create view ' ~ table ~ ' as select * from ' ~ files
                    ~ ' where ' ~ load_col ~ ' in (select load_id from ' ~ src.schema
                    ~ '.ingest_ledger__files)') -%}
            {%- endif -%}
        {%- endif -%}
    {%- endfor -%}
    {#- the views after every file table: a view's query is checked when it is created -#}
    {%- for statement in views -%}
        {%- do run_query(statement) -%}
    {%- endfor -%}
{%- endmacro %}


{#- The pre-hook of stg_dataset_manifests: the registry DDL on DuckDB; nothing on Spark, where
    floop_prepare_sources creates the table. -#}
{% macro registry_pre_hook() -%}
    {{- return([] if target is defined and target.type == 'spark' else registry_ddl()) -}}
{%- endmacro %}
