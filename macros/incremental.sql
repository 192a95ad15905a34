{#- The incremental watermark, written once: the newest `column` already in this model, as a
    scalar subquery; 1900-01-01 while the model is empty, so everything counts as new. -#}
{% macro watermark(column) -%}
    (select coalesce(max({{ column }}), timestamp '1900-01-01') from {{ this }})
{%- endmacro %}
