-- Outcome per version: task_type x model_id x model_version x prompt_version x
-- knowledge_version x interaction_week x tenant_id, over non-shadow interactions. The definitions
-- live in the version_outcomes_select macro, shared by the weekly, daily and tenant marts.
{{ version_outcomes_select('interaction_week', extra_grain=['tenant_id']) }}

select * from final
