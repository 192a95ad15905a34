{#- The clock for every time judgement: env var FLOOP_NOW (ISO 8601, offset allowed), which
    floop sets for the dbt child process only (floop.dbt.run_dbt, the floop-dbt launcher under
    Dagster; a dbt var would make dbt re-parse the whole project on every run), else the current
    time; always a naive UTC timestamp. -#}
{% macro floop_now() -%}
    {%- if adapter is defined -%}
        {{ return(adapter.dispatch('floop_now', 'floop')()) }}
    {%- else -%}
        {{ return(default__floop_now()) }}
    {%- endif -%}
{%- endmacro %}

{% macro default__floop_now() -%}
    {%- set now = env_var('FLOOP_NOW', '') -%}
    {%- if now -%}
        cast(cast('{{ now }}' as timestamptz) at time zone 'UTC' as timestamp)
    {%- else -%}
        cast(current_timestamp at time zone 'UTC' as timestamp)
    {%- endif -%}
{%- endmacro %}

{#- the spark profile's session time zone is UTC: a zoned timestamp cast to timestamp_ntz is
    its UTC wall clock -#}
{% macro spark__floop_now() -%}
    {%- set now = env_var('FLOOP_NOW', '') -%}
    {%- if now -%}
        cast(cast('{{ now }}' as timestamp_ltz) as timestamp_ntz)
    {%- else -%}
        cast(current_timestamp() as timestamp_ntz)
    {%- endif -%}
{%- endmacro %}

{#- ISO week (Monday start) of a UTC timestamp, as the date of its Monday. -#}
{% macro iso_week(ts) -%}
    cast(date_trunc('week', {{ ts }}) as date)
{%- endmacro %}

{#- ISO week label, e.g. 2026-W47 (ISO year, so late December can belong to next year). -#}
{% macro iso_week_label(ts) -%}
    {%- if adapter is defined -%}
        {{ return(adapter.dispatch('iso_week_label', 'floop')(ts)) }}
    {%- else -%}
        {{ return(default__iso_week_label(ts)) }}
    {%- endif -%}
{%- endmacro %}

{% macro default__iso_week_label(ts) -%}
    strftime({{ ts }}, '%G-W%V')
{%- endmacro %}

{#- Spark has no ISO week-year pattern: the ISO year is the year of the week's Thursday -#}
{% macro spark__iso_week_label(ts) -%}
    (cast(year(date_add(cast(date_trunc('week', {{ ts }}) as date), 3)) as string)
        || '-W' || lpad(cast(weekofyear({{ ts }}) as string), 2, '0'))
{%- endmacro %}
