"""Write seeds/labeling/label_taxonomy.csv from taxonomies/*.yml (tests/test_taxonomy.py
fails when the two disagree): `python scripts/gen_taxonomy_seed.py`."""

from floop.config import TAXONOMY_SEED
from floop.taxonomy import load_taxonomies, seed_csv

if __name__ == "__main__":
    TAXONOMY_SEED.write_text(seed_csv(load_taxonomies()))
    print(f"wrote {TAXONOMY_SEED}")
