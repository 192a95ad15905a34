{#- A stable pseudo-random number in (0, 1] from a key: the first 13 hex digits (52 bits) of
    the key's md5, plus one, over 2^52. The same key gives the same number on every run and
    engine, so a sample drawn with it does not reshuffle between runs. -#}
{% macro stable_unit_hash(expr) -%}
    {{ return(adapter.dispatch('stable_unit_hash', 'floop')(expr)) }}
{%- endmacro %}

{% macro default__stable_unit_hash(expr) -%}
    ((cast(('0x' || substr(md5(cast({{ expr }} as varchar)), 1, 13)) as bigint) + 1)
        / 4503599627370496.0)
{%- endmacro %}

{% macro spark__stable_unit_hash(expr) -%}
    ((cast(conv(substr(md5(cast({{ expr }} as string)), 1, 13), 16, 10) as bigint) + 1)
        / 4503599627370496.0)
{%- endmacro %}

{#- The elements of a list column as one comma-separated string (null for a null list). -#}
{% macro list_to_string(expr) -%}
    {{ return(adapter.dispatch('list_to_string', 'floop')(expr)) }}
{%- endmacro %}

{% macro default__list_to_string(expr) -%}
    array_to_string({{ expr }}, ', ')
{%- endmacro %}

{% macro spark__list_to_string(expr) -%}
    array_join({{ expr }}, ', ')
{%- endmacro %}
