{#- A stable pseudo-random number in (0, 1] from a key: the first 13 hex digits (52 bits) of
    the key's md5, plus one, over 2^52. The same key gives the same number on every run and
    engine, so a sample drawn with it does not reshuffle between runs. -#}
{% macro stable_unit_hash(expr) -%}
    {#- sqlfluff's jinja templater has no `adapter`: there it lints the default SQL -#}
    {%- if adapter is defined -%}
        {{ return(adapter.dispatch('stable_unit_hash', 'floop')(expr)) }}
    {%- else -%}
        {{ return(default__stable_unit_hash(expr)) }}
    {%- endif -%}
{%- endmacro %}

{% macro default__stable_unit_hash(expr) -%}
    ((cast(('0x' || substr(md5(cast({{ expr }} as varchar)), 1, 13)) as bigint) + 1)
        / 4503599627370496.0)
{%- endmacro %}

{% macro spark__stable_unit_hash(expr) -%}
    ((cast(conv(substr(md5(cast({{ expr }} as string)), 1, 13), 16, 10) as bigint) + 1)
        / cast(4503599627370496 as double))
{%- endmacro %}

{#- The elements of a list column as one comma-separated string (null for a null list). -#}
{% macro list_to_string(expr) -%}
    {#- sqlfluff's jinja templater has no `adapter`: there it lints the default SQL -#}
    {%- if adapter is defined -%}
        {{ return(adapter.dispatch('list_to_string', 'floop')(expr)) }}
    {%- else -%}
        {{ return(default__list_to_string(expr)) }}
    {%- endif -%}
{%- endmacro %}

{% macro default__list_to_string(expr) -%}
    array_to_string({{ expr }}, ', ')
{%- endmacro %}

{% macro spark__list_to_string(expr) -%}
    array_join({{ expr }}, ', ')
{%- endmacro %}

{#- The distinct-ordered values of a string column of a group, comma-separated. -#}
{% macro string_list_agg(expr) -%}
    {%- if adapter is defined -%}
        {{ return(adapter.dispatch('string_list_agg', 'floop')(expr)) }}
    {%- else -%}
        {{ return(default__string_list_agg(expr)) }}
    {%- endif -%}
{%- endmacro %}

{% macro default__string_list_agg(expr) -%}
    string_agg({{ expr }}, ', ' order by {{ expr }})
{%- endmacro %}

{% macro spark__string_list_agg(expr) -%}
    array_join(sort_array(collect_list({{ expr }})), ', ')
{%- endmacro %}

{#- A date N days after a date. -#}
{% macro add_days(date_expr, days) -%}
    {%- if adapter is defined -%}
        {{ return(adapter.dispatch('add_days', 'floop')(date_expr, days)) }}
    {%- else -%}
        {{ return(default__add_days(date_expr, days)) }}
    {%- endif -%}
{%- endmacro %}

{% macro default__add_days(date_expr, days) -%}
    cast({{ date_expr }} + {{ days }} as date)
{%- endmacro %}

{% macro spark__add_days(date_expr, days) -%}
    date_add({{ date_expr }}, {{ days }})
{%- endmacro %}
