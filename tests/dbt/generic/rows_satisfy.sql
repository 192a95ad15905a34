{#- Every row satisfies a SQL boolean expression (null counts as a failure). Fails with the
    offending rows. -#}
{% test rows_satisfy(model, expression) %}

with final as (
    select *
    from {{ model }}
    where not coalesce(({{ expression }}), false)
)

select * from final

{% endtest %}
