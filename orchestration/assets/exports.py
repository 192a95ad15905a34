"""One asset per dataset policy, downstream of the marts it reads."""

from pathlib import Path

import dagster as dg

from floop.dataset_manifest import verify
from floop.export import export_dataset
from orchestration.clock import DAILY, ONE_DAY_PER_RUN, as_of
from orchestration.resources import FloopPaths


def policy_names(policies_dir: Path) -> list[str]:
    return sorted(p.stem for p in Path(policies_dir).glob("*.yml"))


def build_export_assets(
    policies_dir: Path, upstream: list[dg.AssetKey]
) -> list[dg.AssetsDefinition]:
    return [_export_asset(name, upstream) for name in policy_names(policies_dir)]


def _export_asset(policy: str, upstream: list[dg.AssetKey]) -> dg.AssetsDefinition:
    @dg.asset(
        name=policy,
        key_prefix=["exports"],
        group_name="exports",
        deps=upstream,
        partitions_def=DAILY,
        backfill_policy=ONE_DAY_PER_RUN,
        kinds={"parquet"},
        description=f"Dataset export by policy policies/{policy}.yml, with its manifest.",
    )
    def export_asset(context: dg.AssetExecutionContext, floop: FloopPaths) -> dg.MaterializeResult:
        day = as_of(context)
        manifest = export_dataset(
            Path(floop.policies_dir) / f"{policy}.yml",
            Path(floop.warehouse),
            day,
            Path(floop.exports),
        )
        problems = verify(manifest)
        if problems:
            raise dg.Failure(f"export {policy} does not verify: {problems[:5]}")
        return dg.MaterializeResult(metadata={"manifest": str(manifest), "as_of": day.isoformat()})

    return export_asset
