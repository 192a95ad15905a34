{#- Incremental models by date partition on Spark (issue 17; docs/scale-out.md).

    The models configured with floop_incremental_strategy() / floop_partition_by(column) are
    delete+insert on their unique_key on DuckDB and insert_overwrite of date partitions on
    Spark (Parquet tables, no Delta). Their incremental query selects the KEYS touched since
    the last run, not whole partitions; overwriting each partition with those rows alone would
    drop the rest of it. So on Spark the insert_overwrite strategy below writes, for every
    partition the run touches, the partition's complete new content:

      R     the model's incremental rows (dbt-spark's temp view), materialized once as the
            table <model>__floop_stage: R reads the model itself (watermarks, keys already
            staged), and the steps below change the model, so R must not be re-evaluated
      P     the partitions of R, and the partitions where R's keys lived before (a key may move:
            a re-sent event with another date)
      new   R, plus the existing rows of P whose key is not in R: exactly what DuckDB's
            delete+insert leaves in those partitions; partitions outside P hold no key of R
      empty the partitions of P that `new` leaves without rows: dynamic partition overwrite
            writes only partitions that get rows, so these are dropped explicitly

    Reading the model while overwriting its partitions is allowed in dynamic mode (Spark
    writes to a staging folder and swaps the partitions in at commit; tried on Spark 4). The
    insert runs before anything is dropped, so a failed insert leaves the table as it was.
    Key equality is `=`, as DuckDB's delete+insert (`where key in (...)`): a null key matches
    nothing. The partition column must be non-null (checked: a row in a null partition would
    never be matched by P). -#}

{#- The incremental strategy of a date-partitioned model: delete+insert on DuckDB,
    insert_overwrite on Spark. -#}
{% macro floop_incremental_strategy() -%}
    {%- set on_spark = target is defined and target.type == 'spark' -%}
    {{- return('insert_overwrite' if on_spark else 'delete+insert') -}}
{%- endmacro %}


{#- The partition column of a date-partitioned model: COLUMN on Spark; none on DuckDB (whose
    partition_by applies to DuckLake only). -#}
{% macro floop_partition_by(column) -%}
    {{- return(column if target is defined and target.type == 'spark' else none) -}}
{%- endmacro %}


{#- dbt-spark's insert_overwrite SQL (called by its incremental materialization after it has
    created the temp view SOURCE_RELATION of the model's incremental rows), replaced for
    floop's keyed, date-partitioned models as described above. Returns the last statement
    (the materialization's `main`); the steps before it run here. -#}
{% macro get_insert_overwrite_sql(source_relation, target_relation, existing_relation) -%}
    {%- set partition_by = config.get('partition_by') -%}
    {%- set unique_key = config.get('unique_key') -%}
    {%- set parts = [partition_by] if partition_by is string else (partition_by or []) -%}
    {%- if parts | length != 1 or not unique_key -%}
        {%- do exceptions.raise_compiler_error(
            'floop: insert_overwrite needs one partition_by column and a unique_key '
            ~ '(macros/spark_incremental.sql)') -%}
    {%- endif -%}
    {%- set part = parts[0] -%}
    {%- set keys = [unique_key] if unique_key is string else unique_key -%}
    {%- set columns = adapter.get_columns_in_relation(target_relation) -%}
    {%- set cols = columns | map(attribute='quoted') | join(', ') -%}
    {%- set stage_name = target_relation.identifier ~ '__floop_stage' -%}
    {%- set stage = target_relation.incorporate(path={'identifier': stage_name}) -%}
    {%- set key_match -%}
        {%- for k in keys %}{{ ' and ' if not loop.first }}s.{{ k }} = t.{{ k }}{% endfor -%}
    {%- endset -%}

    {%- do run_query('drop table if exists ' ~ stage) -%}
    {%- do run_query('create table ' ~ stage ~ ' using parquet as select * from '
        ~ source_relation) -%}
    {%- set null_query = 'select count(*) from ' ~ stage ~ ' where ' ~ part ~ ' is null' -%}
    {%- set nulls = run_query(null_query).columns[0].values()[0] -%}
    {%- if nulls > 0 -%}
        {%- do exceptions.raise_compiler_error(
            'floop: ' ~ nulls ~ ' rows of ' ~ target_relation ~ ' have a null partition column '
            ~ part ~ ' (macros/spark_incremental.sql)') -%}
    {%- endif -%}

    {%- set touched -%}
        select {{ part }} from {{ stage }}
        union
        select t.{{ part }} from {{ target_relation }} as t
        where exists (select 1 from {{ stage }} as s where {{ key_match }})
    {%- endset -%}
    {#- the partitions where R's keys lived that keep no row: every old row's key is in R,
        and R has no row there -#}
    {%- set emptied -%}
        select cast(t.{{ part }} as string) as part_value
        from {{ target_relation }} as t
        left join (select distinct {{ keys | join(', ') }}, true as in_stage from {{ stage }}) as s
            on {{ key_match }}
        where t.{{ part }} not in (select {{ part }} from {{ stage }})
        group by t.{{ part }}
        having bool_or(s.in_stage is not null) and bool_and(s.in_stage is not null)
    {%- endset -%}
    {%- set emptied_values = run_query(emptied).columns[0].values() -%}

    {%- call statement('floop_overwrite_partitions') -%}
        insert overwrite table {{ target_relation }} partition ({{ part }})
        select {{ cols }} from {{ stage }}
        union all
        select {{ cols }} from (
            select t.* from {{ target_relation }} as t
            where
                t.{{ part }} in ({{ touched }})
                and not exists (select 1 from {{ stage }} as s where {{ key_match }})
        )
    {%- endcall -%}
    {%- for value in emptied_values -%}
        {%- do run_query('alter table ' ~ target_relation ~ ' drop if exists partition ('
            ~ part ~ " = '" ~ value ~ "')") -%}
    {%- endfor -%}
    {%- do run_query('drop table if exists ' ~ stage) -%}
    {#- the materialization's main statement: the partitions changed under Spark's cache -#}
    refresh table {{ target_relation }}
{%- endmacro %}
