-- One decision per candidate version against its incumbent (int_gate_candidates): every
-- gate's result and a reason list. The rule, in order:
--   unhealthy          the SRM gate or the assignment gate fails (the numbers cannot be trusted)
--   rollback           a guardrail is breached, the primary lift is significantly negative,
--                      the golden gate or the shadow gate fails
--   insufficient_data  an arm (or a side of a ramp) is below the minimum units, or a shadow
--                      has < 30 paired inputs
--   promote            an experiment arm whose primary lift is significantly positive (the
--                      sequential interval, Holm-adjusted p < alpha), or a ramping version
--                      whose primary-outcome difference has its sequential interval above 0,
--                      AND whose offline eval (golden gate) passes, with no guardrail breached
--   keep_running       otherwise.
-- No gate reads user feedback: safety and quality gates are evaluations and outcomes only.
-- the text type of casts: varchar on DuckDB, string on Spark (macros/engine.sql)
{%- set text = string_type() %}
with candidates as (
    select * from {{ ref('int_gate_candidates') }}
),

gated as (
    select
        *,
        case
            when candidate_kind <> 'experiment' then 'not_applicable'
            when is_srm then 'fail'
            else 'pass'
        end as srm_gate,
        case
            when candidate_kind <> 'experiment' then 'not_applicable'
            when unplanned_arms > 0 then 'fail'
            when multiple_exposure_units > 0.01 * exposed_units then 'fail'
            else 'pass'
        end as assignment_gate,
        case
            when candidate_kind = 'experiment' and min_arm_units < minimum_units_per_arm
                then 'fail'
            when candidate_kind = 'shadow' and shadow_pairs < 30 then 'fail'
            when candidate_kind = 'ramp' and min_arm_units < minimum_units_per_arm then 'fail'
            else 'pass'
        end as sample_gate,
        case
            when candidate_kind = 'shadow' then 'not_applicable'
            when primary_error is not null then 'no_data'
            when candidate_kind = 'ramp' and primary_difference_seq_ci_low > 0 then 'positive'
            when candidate_kind = 'ramp' and primary_difference_seq_ci_high < 0 then 'negative'
            when candidate_kind = 'ramp' then 'inconclusive'
            when primary_seq_p_value_holm < alpha and primary_lift_seq_ci_low > 0
                then 'positive'
            when primary_seq_p_value_holm < alpha and primary_lift_seq_ci_high < 0
                then 'negative'
            else 'inconclusive'
        end as primary_gate,
        case
            when candidate_kind = 'shadow' then 'not_applicable'
            when guardrails_breached > 0 then 'breached'
            when guardrails_held = guardrails then 'held'
            else 'inconclusive'
        end as guardrail_gate,
        candidate_golden_pass_rate - incumbent_golden_pass_rate as golden_pass_rate_diff,
        1.959963984540054 * sqrt(
            candidate_golden_pass_rate * (1 - candidate_golden_pass_rate)
            / nullif(candidate_golden_evaluations, 0)
            + incumbent_golden_pass_rate * (1 - incumbent_golden_pass_rate)
            / nullif(incumbent_golden_evaluations, 0)
        ) as golden_half_width,
        case
            when candidate_kind <> 'shadow' then 'not_applicable'
            when shadow_pairs < 30 then 'insufficient'
            when shadow_pass_rate_diff_ci_high < -non_inferiority_margin then 'fail'
            when shadow_pass_rate_diff_ci_low >= -non_inferiority_margin then 'pass'
            else 'inconclusive'
        end as shadow_gate
    from candidates
),

with_golden as (
    select
        *,
        case
            when candidate_version = incumbent_version then 'pass'
            when
                coalesce(candidate_golden_evaluations, 0) = 0
                or coalesce(incumbent_golden_evaluations, 0) = 0
                then 'no_data'
            when golden_pass_rate_diff - golden_half_width >= -non_inferiority_margin
                then 'pass'
            when golden_pass_rate_diff + golden_half_width < -non_inferiority_margin
                then 'fail'
            else 'inconclusive'
        end as golden_gate
    from gated
),

decided as (
    select
        *,
        case
            when srm_gate = 'fail' or assignment_gate = 'fail' then 'unhealthy'
            when
                guardrail_gate = 'breached' or primary_gate = 'negative'
                or golden_gate = 'fail' or shadow_gate = 'fail'
                then 'rollback'
            when sample_gate = 'fail' then 'insufficient_data'
            when
                candidate_kind in ('experiment', 'ramp') and primary_gate = 'positive'
                and golden_gate = 'pass' and guardrail_gate <> 'breached'
                then 'promote'
            else 'keep_running'
        end as decision
    from with_golden
),

final as (
    select
        candidate_id,
        candidate_kind,
        workflow,
        experiment_id,
        candidate_version,
        incumbent_version,
        decision,
        concat_ws(
            '; ',
            case
                when srm_gate = 'fail'
                    then
                        'SRM: units per arm do not match the planned weights (p = '
                        || cast(srm_p_value as {{ text }}) || ' < 0.001)'
            end,
            case
                when unplanned_arms > 0
                    then
                        'broken assignment: ' || cast(unplanned_arms as {{ text }})
                        || ' arm(s) seen that the config does not plan'
                when assignment_gate = 'fail'
                    then
                        'broken assignment: ' || cast(multiple_exposure_units as {{ text }})
                        || ' of '
                        || cast(exposed_units as {{ text }})
                        || ' units saw more than one arm'
            end,
            case
                when candidate_kind = 'experiment' and sample_gate = 'fail'
                    then
                        'minimum sample not reached: smallest arm has '
                        || cast(min_arm_units as {{ text }}) || ' of '
                        || cast(minimum_units_per_arm as {{ text }}) || ' units'
            end,
            case
                when candidate_kind = 'ramp' and sample_gate = 'fail'
                    then
                        'minimum sample not reached: the smaller side has '
                        || cast(min_arm_units as {{ text }}) || ' of '
                        || cast(minimum_units_per_arm as {{ text }}) || ' tasks with an outcome'
            end,
            case
                when primary_gate = 'no_data'
                    then 'primary outcome: no test (' || primary_error || ')'
                when candidate_kind = 'ramp'
                    then
                        'primary outcome difference '
                        || cast(round(100 * primary_difference, 2) as {{ text }})
                        || ' pp vs the incumbent within days (sequential CI '
                        || cast(round(100 * primary_difference_seq_ci_low, 2) as {{ text }})
                        || ' to '
                        || cast(round(100 * primary_difference_seq_ci_high, 2) as {{ text }})
                        || ' pp): ' || primary_gate
                when primary_gate <> 'not_applicable'
                    then
                        'primary outcome lift ' || cast(round(100 * primary_lift, 2) as {{ text }})
                        || '% (sequential CI '
                        || cast(round(100 * primary_lift_seq_ci_low, 2) as {{ text }})
                        || '% to ' || cast(round(100 * primary_lift_seq_ci_high, 2) as {{ text }})
                        || '%, Holm p = ' || cast(round(primary_seq_p_value_holm, 4) as {{ text }})
                        || '): ' || primary_gate
            end,
            case
                when guardrail_gate = 'breached'
                    then 'guardrail breached: ' || breached_guardrails
                when guardrail_gate = 'held' then 'guardrails held'
                when guardrail_gate = 'inconclusive'
                    then 'guardrails not yet shown to hold: ' || unproven_guardrails
            end,
            case
                when golden_gate = 'pass' and candidate_version = incumbent_version
                    then 'golden: same version as the incumbent (' || candidate_version || ')'
                when golden_gate = 'no_data'
                    then
                        'golden: no golden runs for ' || concat_ws(
                            ' and ',
                            case
                                when coalesce(candidate_golden_evaluations, 0) = 0
                                    then candidate_version
                            end,
                            case
                                when coalesce(incumbent_golden_evaluations, 0) = 0
                                    then incumbent_version
                            end
                        )
                else
                    'golden pass rate ' || cast(round(candidate_golden_pass_rate, 3) as {{ text }})
                    || ' vs ' || cast(round(incumbent_golden_pass_rate, 3) as {{ text }})
                    || ': ' || golden_gate
            end,
            case
                when shadow_gate <> 'not_applicable'
                    then
                        'shadow vs production on ' || cast(shadow_pairs as {{ text }})
                        || ' paired inputs (' || shadow_evaluator_id || '): pass rate diff '
                        || cast(round(shadow_pass_rate_diff, 3) as {{ text }}) || ' (95% CI '
                        || cast(round(shadow_pass_rate_diff_ci_low, 3) as {{ text }}) || ' to '
                        || cast(round(shadow_pass_rate_diff_ci_high, 3) as {{ text }}) || '): '
                        || shadow_gate
            end,
            case
                when candidate_kind = 'experiment' and not is_configured
                    then 'no config in experiments/: equal planned weights and the defaults'
            end,
            case
                when candidate_kind = 'shadow'
                    then 'shadow only: promotion needs an online experiment'
            end,
            case
                when candidate_kind = 'ramp'
                    then
                        'ramping outside an experiment since '
                        || cast(ramp_first_date as {{ text }}) || ': '
                        || cast(round(100 * ramp_latest_share, 1) as {{ text }})
                        || '% of the latest day''s tasks (not randomized: no SRM test)'
            end
        ) as reasons,
        srm_gate,
        srm_p_value,
        assignment_gate,
        multiple_exposure_units,
        sample_gate,
        min_arm_units,
        minimum_units_per_arm,
        primary_gate,
        primary_lift,
        primary_lift_seq_ci_low,
        primary_lift_seq_ci_high,
        primary_seq_p_value_holm,
        primary_chance_to_win,
        primary_difference,
        primary_difference_seq_ci_low,
        primary_difference_seq_ci_high,
        guardrail_gate,
        breached_guardrails,
        golden_gate,
        candidate_golden_pass_rate,
        incumbent_golden_pass_rate,
        golden_pass_rate_diff,
        shadow_gate,
        shadow_pairs,
        shadow_pass_rate_diff,
        shadow_pass_rate_diff_ci_low,
        shadow_pass_rate_diff_ci_high,
        ramp_first_date,
        ramp_latest_share,
        is_configured,
        non_inferiority_margin,
        alpha
    from decided
)

select * from final
