-- Helpers of the experiment and version gates (models/marts/gates).

-- z with P(Z > z) = p for a standard normal Z, 0 < p <= 0.5: Abramowitz & Stegun 26.2.23
-- (absolute error < 4.5e-4), plain arithmetic so every engine runs it. Used for the ranks of
-- distribution-free quantile intervals, where an error of 4.5e-4 in z moves no rank.
{% macro normal_upper_quantile(p) -%}
    (
        sqrt(-2 * ln({{ p }}))
        - (2.515517 + 0.802853 * sqrt(-2 * ln({{ p }})) + 0.010328 * (-2 * ln({{ p }})))
        / (
            1
            + 1.432788 * sqrt(-2 * ln({{ p }}))
            + 0.189269 * (-2 * ln({{ p }}))
            + 0.001308 * power(sqrt(-2 * ln({{ p }})), 3)
        )
    )
{%- endmacro %}

{#- A candidate's guardrails summed up, over its rows of (metric, guardrail_status): how many
    breached, held and in all, and the names of the breached and of the unproven ones
    (inconclusive or without data), comma-separated by name. One definition for experiment
    arms (int_gate_candidates) and ramps (int_ramp_candidates). Aggregates: use in a grouped
    select. -#}
{% macro guardrail_tally() -%}
    count(*) filter (where guardrail_status = 'breached') as guardrails_breached,
    count(*) filter (where guardrail_status = 'held') as guardrails_held,
    count(*) as guardrails,
    -- not dbt's listagg: on Spark it drops the order and gives '' for no value
    {{ string_agg_ordered(
        "case when guardrail_status = 'breached' then metric end",
        "', '",
        "metric"
    ) }} as breached_guardrails,
    {{ string_agg_ordered(
        "case when guardrail_status in ('inconclusive', 'no_data') then metric end",
        "', '",
        "metric"
    ) }} as unproven_guardrails
{%- endmacro %}
