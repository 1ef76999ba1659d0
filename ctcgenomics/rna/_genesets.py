"""Gene-set files (GMT) shipped with the package, and the sets each signature uses."""

from __future__ import annotations

import os
from importlib import resources
from pathlib import Path

GENESET_DIR = Path(str(resources.files("ctcgenomics") / "data" / "genesets"))
"""Folder of the packaged GMT files (provenance in ``DATA_LICENSES.md``)."""

DEFAULT_GMT_FILES: tuple[str, ...] = (
    "msigdb_hallmark_v7.0.symbols.gmt",
    "msigdb_c2cgp_v7.0_emt_stemness.symbols.gmt",
    "ctc_markers_curated.gmt",
)
"""GMT files read when no other files are given."""

SIGNATURE_SETS: dict[str, tuple[str, ...]] = {
    "epithelial": ("CTC_EPITHELIAL",),
    "breast_tissue": ("CTC_BREAST_TISSUE",),
    "leukocyte": ("LEUKOCYTE",),
    "platelet": ("PLATELET",),
    "emt_epithelial": ("EMT_EPITHELIAL",),
    "emt_mesenchymal": ("EMT_MESENCHYMAL",),
    "hallmark_emt": ("HALLMARK_EPITHELIAL_MESENCHYMAL_TRANSITION",),
    "stemness": (
        "BENPORATH_ES_1",
        "WONG_EMBRYONIC_STEM_CELL_CORE",
        "LIM_MAMMARY_STEM_CELL_UP",
    ),
    "proliferation": ("HALLMARK_G2M_CHECKPOINT", "HALLMARK_E2F_TARGETS"),
}
"""Default gene sets (GMT names) behind each signature; several sets are averaged."""


class GeneSetFileError(ValueError):
    """A GMT file is missing or malformed."""


def read_gmt(path: str | os.PathLike[str]) -> dict[str, list[str]]:
    """Read a GMT file (name, description, genes... tab-separated per line).

    Parameters
    ----------
    path
        A ``.gmt`` path, or the bare name of a packaged file.

    Returns
    -------
    dict
        Set name -> genes in file order.
    """
    p = Path(path)
    if not p.exists() and (GENESET_DIR / p.name).exists():
        p = GENESET_DIR / p.name
    if not p.exists():
        raise GeneSetFileError(
            f"gene-set file {path} not found; give a GMT path or one of "
            f"{sorted(f.name for f in GENESET_DIR.glob('*.gmt'))}"
        )
    sets: dict[str, list[str]] = {}
    with open(p, encoding="utf-8") as handle:
        for lineno, line in enumerate(handle, start=1):
            fields = line.rstrip("\n\r").split("\t")
            if not line.strip():
                continue
            if len(fields) < 3:
                raise GeneSetFileError(
                    f"{p}, line {lineno}: a GMT line needs name<TAB>description<TAB>gene..., "
                    f"got {len(fields)} field(s)"
                )
            sets[fields[0]] = [g for g in fields[2:] if g]
    return sets


def load_gene_sets(files: list[str] | tuple[str, ...] | None = None) -> dict[str, list[str]]:
    """Read and merge GMT files (later files override sets of the same name)."""
    merged: dict[str, list[str]] = {}
    for f in files or DEFAULT_GMT_FILES:
        merged.update(read_gmt(f))
    return merged
