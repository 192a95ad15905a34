-- Warns (does not fail) for every experiment seen in events without a config in
-- experiments/: it is analysed with equal planned weights and the defaults of
-- seeds/experiment_defaults.csv, which may not be what its owner planned.
{{ config(severity='warn') }}

with config as (
    select experiment_id, workflow, first_exposure_at, is_configured
    from {{ ref('int_experiment_config') }}
),

final as (
    select experiment_id, workflow, first_exposure_at
    from config
    where not is_configured
)

select * from final
