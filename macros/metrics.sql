{#- Metric formulas, written once and used by every model. -#}

{#- successes / trials, null when there are no trials (never a division by zero). -#}
{% macro safe_rate(successes, trials) -%}
    (cast({{ successes }} as double) / nullif(cast({{ trials }} as double), 0))
{%- endmacro %}

{#- 95% Wilson score interval of a proportion (z = 1.96), lower and upper bound.
    centre = (p + z^2/2n) / (1 + z^2/n), half-width = z*sqrt(p(1-p)/n + z^2/4n^2) / (1 + z^2/n).
    Null when trials = 0; clamped to [0, 1] against rounding. Unlike the normal approximation it stays inside [0, 1] and behaves
    for small n and for p near 0 or 1. -#}
{% macro wilson_low(successes, trials, z=1.96) -%}
    {{ _wilson_bound(successes, trials, z, '-') }}
{%- endmacro %}

{% macro wilson_high(successes, trials, z=1.96) -%}
    {{ _wilson_bound(successes, trials, z, '+') }}
{%- endmacro %}

{% macro _wilson_bound(successes, trials, z, sign) -%}
    (case when coalesce({{ trials }}, 0) > 0 then
        {{ 'greatest(0.0, ' if sign == '-' else 'least(1.0, ' }}(
            (cast({{ successes }} as double) / {{ trials }} + {{ z }} * {{ z }} / (2.0 * {{ trials }}))
            {{ sign }} {{ z }} * sqrt(
                (cast({{ successes }} as double) / {{ trials }})
                * (1 - cast({{ successes }} as double) / {{ trials }}) / {{ trials }}
                + {{ z }} * {{ z }} / (4.0 * {{ trials }} * {{ trials }})
            )
        ) / (1 + {{ z }} * {{ z }} / {{ trials }}))
    end)
{%- endmacro %}

{#- The five columns every rate carries: numerator, denominator, rate and its 95% Wilson
    interval, named <name>_numerator, <name>_denominator, <name>, <name>_ci_low, <name>_ci_high. -#}
{% macro rate_columns(name, successes, trials) -%}
    {{ successes }} as {{ name }}_numerator,
    {{ trials }} as {{ name }}_denominator,
    {{ safe_rate(successes, trials) }} as {{ name }},
    {{ wilson_low(successes, trials) }} as {{ name }}_ci_low,
    {{ wilson_high(successes, trials) }} as {{ name }}_ci_high
{%- endmacro %}

{#- Difference of two proportions p1 - p2 (treatment minus baseline) with a 95% interval by the
    normal approximation: se = sqrt(p1(1-p1)/n1 + p2(1-p2)/n2). Null when either n is 0. -#}
{% macro prop_diff(s1, n1, s2, n2) -%}
    ({{ safe_rate(s1, n1) }} - {{ safe_rate(s2, n2) }})
{%- endmacro %}

{% macro prop_diff_se(s1, n1, s2, n2) -%}
    sqrt(
        {{ safe_rate(s1, n1) }} * (1 - {{ safe_rate(s1, n1) }}) / nullif({{ n1 }}, 0)
        + {{ safe_rate(s2, n2) }} * (1 - {{ safe_rate(s2, n2) }}) / nullif({{ n2 }}, 0)
    )
{%- endmacro %}

{% macro prop_diff_columns(name, s1, n1, s2, n2, z=1.96) -%}
    {{ prop_diff(s1, n1, s2, n2) }} as {{ name }},
    {{ prop_diff(s1, n1, s2, n2) }} - {{ z }} * {{ prop_diff_se(s1, n1, s2, n2) }} as {{ name }}_ci_low,
    {{ prop_diff(s1, n1, s2, n2) }} + {{ z }} * {{ prop_diff_se(s1, n1, s2, n2) }} as {{ name }}_ci_high
{%- endmacro %}

{#- Thumbs-up share: up / (up + down); works for raw counts and trust-weighted sums. -#}
{% macro thumbs_up_share(up, down) -%}
    {{ safe_rate(up, '(' ~ up ~ ' + ' ~ down ~ ')') }}
{%- endmacro %}

{#- Mean of a numeric column with its 95% interval by the normal approximation (z = 1.96):
    mean +- z * sample sd / sqrt(n); null below 2 values. Aggregates: use in a grouped select,
    named <name>_mean, <name>_stddev, <name>_ci_low, <name>_ci_high. -#}
{% macro mean_columns(name, value, z=1.96) -%}
    avg({{ value }}) as {{ name }}_mean,
    stddev_samp({{ value }}) as {{ name }}_stddev,
    avg({{ value }}) - {{ z }} * stddev_samp({{ value }}) / sqrt(count({{ value }})) as {{ name }}_ci_low,
    avg({{ value }}) + {{ z }} * stddev_samp({{ value }}) / sqrt(count({{ value }})) as {{ name }}_ci_high
{%- endmacro %}

{#- The version signals (robust thumbs, flagged and capped votes, golden verdicts) summed over a
    group: every one is additive, so a week is the sum of its days. Aggregates: use in a
    grouped select (int_version_signals_daily, int_version_signals_weekly). -#}
{% macro version_signal_sums() -%}
    sum(robust_weighted_thumbs_up) as robust_weighted_thumbs_up,
    sum(robust_weighted_thumbs_down) as robust_weighted_thumbs_down,
    cast(sum(flagged_thumbs_votes) as bigint) as flagged_thumbs_votes,
    cast(sum(capped_thumbs_votes) as bigint) as capped_thumbs_votes,
    cast(sum(golden_verdict_count) as bigint) as golden_verdict_count,
    cast(sum(golden_passed_count) as bigint) as golden_passed_count
{%- endmacro %}
