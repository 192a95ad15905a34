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
