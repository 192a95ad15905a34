"""Label taxonomies (`taxonomies/*.yml`): per label_name, the allowed values of each taxonomy
version and which version is current. The Review page answers from the current version; dbt
sees the same declarations as the seed `label_taxonomy` (written by `seed_csv`)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import yaml

from floop.config import TAXONOMIES_DIR
from floop.errors import OperationalError

SEED_HEADER = "label_name,taxonomy_version,label_value,value_order,is_current_version"


@dataclass(frozen=True)
class Taxonomy:
    label_name: str
    description: str
    current_version: str
    versions: dict[str, tuple[str, ...]]  # taxonomy_version -> allowed values, in order

    @property
    def current_values(self) -> tuple[str, ...]:
        return self.versions[self.current_version]


def load_taxonomies(folder: Path = TAXONOMIES_DIR) -> list[Taxonomy]:
    """Every taxonomy of FOLDER, sorted by label_name; OperationalError naming the file and
    the key when one does not validate."""
    found = [_load(path) for path in sorted(folder.glob("*.yml"))]
    names = [t.label_name for t in found]
    if len(set(names)) != len(names):
        raise OperationalError(f"{folder}: a label_name is declared by two taxonomy files")
    return sorted(found, key=lambda t: t.label_name)


def _load(path: Path) -> Taxonomy:
    try:
        doc = yaml.safe_load(path.read_text())
    except (OSError, yaml.YAMLError) as exc:
        raise OperationalError(f"{path}: cannot read the taxonomy: {exc}") from None
    if not isinstance(doc, dict):
        raise OperationalError(f"{path}: expected a mapping with label_name and versions")
    name, current, versions = doc.get("label_name"), doc.get("current_version"), {}
    if not isinstance(name, str) or not name:
        raise OperationalError(f"{path}: label_name: expected a non-empty string")
    for entry in doc.get("versions") or []:
        version, values = str(entry.get("version", "")), entry.get("values")
        if not version or not isinstance(values, list) or not values:
            raise OperationalError(f"{path}: versions: each needs a version and a list of values")
        if len(set(values)) != len(values) or not all(isinstance(v, str) for v in values):
            raise OperationalError(f"{path}: version {version}: values must be distinct strings")
        versions[version] = tuple(values)
    if str(current) not in versions:
        raise OperationalError(f"{path}: current_version {current!r} is not among its versions")
    return Taxonomy(name, str(doc.get("description") or ""), str(current), versions)


def seed_csv(taxonomies: list[Taxonomy]) -> str:
    """The seed `label_taxonomy` (one row per label_name, version and allowed value)."""
    lines = [SEED_HEADER]
    for tax in taxonomies:
        for version, values in tax.versions.items():
            current = "true" if version == tax.current_version else "false"
            for order, value in enumerate(values, start=1):
                lines.append(f"{tax.label_name},{version},{value},{order},{current}")
    return "\n".join(lines) + "\n"
