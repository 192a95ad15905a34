{#- Every element of a list column is one of `values` (accepted_values for VARCHAR[] columns).
    Fails with one row per offending (row, element). -#}
{% test elements_accepted_values(model, column_name, values) %}

with elements as (
    select {{ list_unnest(column_name, 'element') }}
    from {{ model }}
),

final as (
    select element
    from elements
    where element is null
        or element not in (
            {%- for v in values %}'{{ v | replace("'", "''") }}'{{ "," if not loop.last }}{% endfor -%}
        )
)

select * from final

{% endtest %}
