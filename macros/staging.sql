{#- The staging dedupe, written once: the same event sent twice is kept once, the first
    received (ingest order: load time, then file, then line). `relation` is a CTE or relation
    with raw bookkeeping columns (_ingested_at, _source_file, _line_number). -#}
{% macro dedupe_events(relation) -%}
    select *
    from {{ relation }}
    qualify row_number() over (
        partition by event_id order by _ingested_at, _source_file, _line_number
    ) = 1
{%- endmacro %}
