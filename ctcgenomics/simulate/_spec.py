"""The simulation spec: loading, schema validation and checks against the reference."""

from __future__ import annotations

import copy
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

import jsonschema
import yaml

from ctcgenomics._ids import validate_id
from ctcgenomics.simulate._reference import Reference, load_reference


class SpecError(ValueError):
    """The simulation spec is invalid; the message names the file, the field and the fix."""


@dataclass(frozen=True)
class Amplification:
    """Whole-genome-amplification artefacts of one cell (see ``docs/simulator.md``)."""

    bias_sd: float
    """SD of the smooth log-normal coverage field along the genome."""
    bias_length: int
    """Correlation length (bp) of that field."""
    dispersion: float
    """Gamma variance of the per-cluster, per-allele amplification factor (0 = none)."""
    cluster_length: int
    """Length (bp) of the amplification clusters the gamma factor applies to."""
    error_rate: float
    """Cell-private amplification errors per bp."""
    error_af: tuple[float, float]
    """Range of the allele fraction of an amplification error (uniform)."""
    block_sd: float = 0.0
    """SD of an independent log-normal coverage factor per ``block_length`` block, shared
    by both haplotypes: the locus-to-locus amplification efficiency that makes adjacent
    100 kb bins of MDA cells differ (MAPD), unlike the smooth waves of ``bias_sd``."""
    block_length: int = 25_000
    """Length (bp) of those blocks."""


#: Defaults per WGA chemistry. MDA: locus-to-locus efficiency blocks of 25 kb (log SD
#: 0.45) give MAPD about 0.35 at 100 kb bins and ~300 reads per bin, the middle of the
#: 0.30-0.45 of real MDA cells, on top of Mb-scale waves and per-haplotype clusters
#: (allelic imbalance). PicoPLEX (DOP-PCR-like, quasi-linear): fewer, wider waves (3 Mb)
#: and little locus noise (MAPD about 0.15-0.2 at 100 kb). MALBAC and Ampli1 in between.
#: Orders of magnitude follow published single-cell benchmarks (docs/simulator.md); they
#: are starting points, not fitted values.
WGA_DEFAULTS: dict[str, Amplification] = {
    "MDA": Amplification(0.15, 1_000_000, 0.5, 2_000, 1e-5, (0.05, 0.35), 0.45, 25_000),
    "MALBAC": Amplification(0.25, 1_000_000, 0.2, 2_000, 1e-5, (0.05, 0.35), 0.3, 50_000),
    "Ampli1": Amplification(0.25, 1_000_000, 0.3, 2_000, 1e-5, (0.05, 0.35), 0.25, 50_000),
    "PicoPLEX": Amplification(0.2, 10_000_000, 0.15, 2_000, 1e-5, (0.05, 0.35), 0.12, 100_000),
    "none": Amplification(0.0, 1_000_000, 0.0, 2_000, 0.0, (0.05, 0.35), 0.0, 25_000),
}


@dataclass(frozen=True)
class Segment:
    """Allele-specific copy number over ``chrom:start-end`` (0-based half-open)."""

    chrom: str
    start: int
    end: int
    cn_a: int
    cn_b: int


@dataclass(frozen=True)
class VariantSpec:
    """A variant on haplotype ``allele``; ``pos`` is 1-based, ``ref``/``alt`` VCF-style."""

    name: str
    chrom: str
    pos: int
    ref: str
    alt: str
    allele: str | None = "a"
    copies: int = 1
    cells: tuple[str, ...] | None = None


@dataclass(frozen=True)
class GermlineSpec:
    """Germline heterozygous SNPs shared by every cell of the spec (one individual)."""

    het_snp_rate: float = 0.0
    n_het_snps: int | None = None
    snps: tuple[VariantSpec, ...] = ()


@dataclass(frozen=True)
class CloneSpec:
    """A clone: own segments and variants, plus everything inherited from ``parent``."""

    name: str
    parent: str | None = None
    whole_genome_doubling: bool = False
    segments: tuple[Segment, ...] = ()
    variants: tuple[VariantSpec, ...] = ()


@dataclass(frozen=True)
class CellSpec:
    """One simulated single-cell library."""

    id: str
    patient: str
    draw: str
    role: str
    clone: str
    assay: str
    wga: str
    n_read_pairs: int | None
    mean_depth: float | None
    dropout_rate: float
    amplification: Amplification
    dropout_range: tuple[float, float] | None = None
    """``(low, high)`` when the dropout rate varies along the genome (``dropout_rate`` is
    then its mean); ``None`` for a constant rate."""

    @property
    def panel(self) -> bool:
        """Whether reads are restricted to the targets (``panel`` or ``exome`` assay)."""
        return self.assay in {"panel", "exome"}


@dataclass(frozen=True)
class SimulationSpec:
    """A validated simulation spec (see :func:`load_spec`)."""

    source: str
    seed: int
    reference: Path
    read_length: int
    insert_mean: float
    insert_sd: float
    sequencing_error_rate: float
    duplicate_rate: float
    dropout_window: int
    germline: GermlineSpec
    targets: Path | None
    target_regions: tuple[tuple[str, int, int], ...]
    target_padding: int
    clones: dict[str, CloneSpec]
    variants: tuple[VariantSpec, ...]
    cells: tuple[CellSpec, ...]
    raw: dict[str, Any] = field(repr=False, compare=False, default_factory=dict)
    dropout_length: int = 500_000
    """Correlation length (bp) of dropout rates that vary along the genome."""

    def cell(self, cell_id: str) -> CellSpec:
        """Return the cell with ID ``cell_id``."""
        for c in self.cells:
            if c.id == cell_id:
                return c
        raise SpecError(
            f"simulation spec {self.source}: no cell {cell_id!r}; known cells: "
            + ", ".join(c.id for c in self.cells)
        )

    def load_reference(self) -> Reference:
        """Load the reference genome (cached)."""
        return load_reference(self.reference)


def _schema() -> dict[str, Any]:
    text = resources.files("ctcgenomics.simulate").joinpath("spec.schema.yaml").read_text()
    return yaml.safe_load(text)


def load_spec(
    spec: str | os.PathLike[str] | Mapping[str, Any],
    *,
    base_dir: str | os.PathLike[str] | None = None,
) -> SimulationSpec:
    """Load, validate and resolve a simulation spec.

    Parameters
    ----------
    spec
        Path to a YAML spec, or the spec as a mapping.
    base_dir
        Folder that relative paths are resolved against; defaults to the spec file's
        folder (or the working directory for a mapping).

    Returns
    -------
    SimulationSpec
        The validated spec, with defaults filled and the reference checked.

    Raises
    ------
    SpecError
        If the spec breaks the schema, names unknown clones/cells/contigs, has variants
        whose ``ref`` does not match the reference, or has invalid IDs.
    FileNotFoundError
        If the spec, the reference or the targets BED does not exist.
    """
    if isinstance(spec, Mapping):
        data = copy.deepcopy(dict(spec))
        source = "<dict>"
        base = Path(base_dir) if base_dir is not None else Path.cwd()
    else:
        path = Path(spec)
        if not path.is_file():
            raise FileNotFoundError(f"simulation spec {path} not found")
        source = str(path)
        try:
            data = yaml.safe_load(path.read_text())
        except yaml.YAMLError as err:
            raise SpecError(f"simulation spec {path} is not valid YAML: {err}") from err
        base = Path(base_dir) if base_dir is not None else path.resolve().parent
    if not isinstance(data, dict):
        raise SpecError(f"simulation spec {source}: expected a mapping at the top level")
    _validate_schema(data, source)
    return _build(data, source, base)


def _validate_schema(data: dict[str, Any], source: str) -> None:
    validator = jsonschema.Draft202012Validator(_schema())
    errors = sorted(validator.iter_errors(data), key=lambda e: [str(p) for p in e.absolute_path])
    if not errors:
        return
    lines = []
    for err in errors[:10]:
        where = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in err.absolute_path)
        lines.append(f"  {where.lstrip('.') or '<top level>'}: {err.message}")
    more = f"\n  ... and {len(errors) - 10} more" if len(errors) > 10 else ""
    raise SpecError(
        f"simulation spec {source} is invalid (fix these fields; see docs/simulator.md):\n"
        + "\n".join(lines)
        + more
    )


def _resolve(base: Path, value: str) -> Path:
    p = Path(value).expanduser()
    return p if p.is_absolute() else (base / p).resolve()


def _variant(d: Mapping[str, Any], default_name: str) -> VariantSpec:
    cells = d.get("cells")
    return VariantSpec(
        name=str(d.get("name", default_name)),
        chrom=str(d["chrom"]),
        pos=int(d["pos"]),
        ref=str(d.get("ref", "")).upper(),
        alt=str(d["alt"]).upper(),
        allele=d.get("allele", "a"),
        copies=int(d.get("copies", 1)),
        cells=tuple(str(c) for c in cells) if cells is not None else None,
    )


@dataclass(frozen=True)
class _Checker:
    """Checks a spec's loci and variants against its reference; errors name the field."""

    source: str
    ref_path: Path
    reference: Reference

    def fail(self, where: str, msg: str) -> SpecError:
        """Return the error for field ``where`` of the spec."""
        return SpecError(f"simulation spec {self.source}: {where}: {msg}")

    def locus(self, where: str, chrom: str, start: int, end: int) -> None:
        """Refuse a contig not in the reference and a region outside it or empty."""
        reference = self.reference
        if chrom not in reference.contigs:
            raise self.fail(
                where,
                f"contig {chrom!r} is not in the reference {self.ref_path.name} "
                f"(contigs: {', '.join(reference.contigs[:5])}"
                f"{'...' if len(reference.contigs) > 5 else ''})",
            )
        n = int(reference.lengths[reference.contig_index(chrom)])
        if not 0 <= start < end <= n:
            raise self.fail(
                where, f"{chrom}:{start}-{end} is outside the contig (length {n}) or empty"
            )

    def variant(self, where: str, v: VariantSpec, *, germline: bool) -> VariantSpec:
        """Check ref against the reference (germline: fill it in) and the variant's form."""
        self.locus(where, v.chrom, v.pos - 1, v.pos - 1 + max(len(v.ref), 1))
        actual = self.reference.base(v.chrom, v.pos - 1, max(len(v.ref), 1))
        if germline and not v.ref:
            v = VariantSpec(v.name, v.chrom, v.pos, actual, v.alt, v.allele, v.copies, v.cells)
        if v.ref != actual:
            raise self.fail(
                where,
                f"ref {v.ref!r} does not match the reference base(s) {actual!r} at "
                f"{v.chrom}:{v.pos} (1-based); fix 'pos' or 'ref'",
            )
        if "N" in actual:
            raise self.fail(where, f"{v.chrom}:{v.pos} is an N in the reference")
        if v.ref == v.alt:
            raise self.fail(where, f"alt equals ref ({v.ref}) at {v.chrom}:{v.pos}")
        is_snv = len(v.ref) == len(v.alt) == 1
        is_indel = (len(v.ref) == 1) != (len(v.alt) == 1) and v.ref[0] == v.alt[0]
        if not (is_snv or is_indel):
            raise self.fail(
                where,
                f"{v.ref}>{v.alt} is neither an SNV nor a VCF-style indel (ref and alt must "
                "share their first base and one of them be a single base)",
            )
        return v


def _build(data: dict[str, Any], source: str, base: Path) -> SimulationSpec:
    """Check a schema-valid spec against its reference and build the simulation spec."""
    ref_path = _resolve(base, data["reference"])
    chk = _Checker(source, ref_path, load_reference(ref_path))
    clones = _clones(data["clones"], chk)
    cells = _cells(data, clones, chk)
    ids = {c.id for c in cells}
    variants = []
    for i, v in enumerate(data.get("variants", [])):
        vs = chk.variant(f"variants[{i}]", _variant(v, f"var{i + 1}"), germline=False)
        unknown = [c for c in vs.cells or () if c not in ids]
        if unknown:
            raise chk.fail(f"variants[{i}].cells", f"unknown cell(s) {', '.join(unknown)}")
        variants.append(vs)
    germline = _germline(data.get("germline", {}), chk)

    targets, regions = None, ()
    if "targets" in data:
        targets = _resolve(base, data["targets"])
        regions = read_targets(targets, chk.reference)

    ins = data.get("insert_size", {"mean": 300, "sd": 40})
    read_length = int(data.get("read_length", 100))
    return SimulationSpec(
        source=source,
        seed=int(data["seed"]),
        reference=ref_path,
        read_length=read_length,
        insert_mean=float(ins["mean"]),
        insert_sd=float(ins["sd"]),
        sequencing_error_rate=float(data.get("sequencing_error_rate", 0.001)),
        duplicate_rate=float(data.get("duplicate_rate", 0.0)),
        dropout_window=int(data.get("dropout_window", 2000)),
        germline=germline,
        targets=targets,
        target_regions=regions,
        target_padding=int(data.get("target_padding", 0)),
        clones=clones,
        variants=tuple(variants),
        cells=tuple(cells),
        raw=data,
        dropout_length=int(data.get("dropout_length", 500_000)),
    )


def _clones(clones_raw: dict[str, Any], chk: _Checker) -> dict[str, CloneSpec]:
    """Clones with their segments and variants checked; no unknown parent, no cycle."""
    source = chk.source
    clones: dict[str, CloneSpec] = {}
    for name, c in clones_raw.items():
        validate_id(name, what="clone name", where=f"simulation spec {source}, clones")
        c = c or {}
        parent = c.get("parent")
        if parent is not None and parent not in clones_raw:
            raise chk.fail(
                f"clones.{name}.parent", f"unknown clone {parent!r}; define it in 'clones'"
            )
        segs = []
        for i, s in enumerate(c.get("segments", [])):
            where = f"clones.{name}.segments[{i}]"
            chk.locus(where, s["chrom"], s["start"], s["end"])
            segs.append(Segment(s["chrom"], s["start"], s["end"], s["cn_a"], s["cn_b"]))
        variants = tuple(
            chk.variant(
                f"clones.{name}.variants[{i}]", _variant(v, f"{name}_var{i + 1}"), germline=False
            )
            for i, v in enumerate(c.get("variants", []))
        )
        clones[name] = CloneSpec(
            name, parent, bool(c.get("whole_genome_doubling", False)), tuple(segs), variants
        )
    for name in clones:  # reject cycles in the parent chain
        seen, cur = [name], clones[name].parent
        while cur is not None:
            if cur in seen:
                raise chk.fail(
                    f"clones.{name}.parent", f"cycle in clone ancestry: {' -> '.join([*seen, cur])}"
                )
            seen.append(cur)
            cur = clones[cur].parent
    return clones


def _cells(data: dict[str, Any], clones: dict[str, CloneSpec], chk: _Checker) -> list[CellSpec]:
    """Every cell with ``cell_defaults`` applied; IDs unique, clones known."""
    defaults = data.get("cell_defaults", {})
    cells: list[CellSpec] = []
    ids: set[str] = set()
    for i, raw in enumerate(data["cells"]):
        where = f"cells[{i}]"
        c = {**defaults, **raw}
        if "n_read_pairs" in raw or "mean_depth" in raw:  # a cell's own amount wins
            for key in ("n_read_pairs", "mean_depth"):
                if key not in raw:
                    c.pop(key, None)
        cid = validate_id(c["id"], what="cell ID", where=f"simulation spec {chk.source}, {where}")
        if cid in ids:
            raise chk.fail(where, f"duplicate cell ID {cid!r}; cell IDs must be unique")
        ids.add(cid)
        cells.append(_cell(c, cid, where, clones, chk, has_targets="targets" in data))
    return cells


def _cell(
    c: dict[str, Any],
    cid: str,
    where: str,
    clones: dict[str, CloneSpec],
    chk: _Checker,
    *,
    has_targets: bool,
) -> CellSpec:
    """One cell (defaults applied): IDs, clone, assay, amplification and dropout checked."""
    source = chk.source
    for key in ("patient", "draw", "clone"):
        if key not in c:
            raise chk.fail(where, f"missing {key!r} (set it on the cell or in cell_defaults)")
    validate_id(c["patient"], what="patient ID", where=f"simulation spec {source}, {where}")
    validate_id(c["draw"], what="draw ID", where=f"simulation spec {source}, {where}")
    if c["clone"] not in clones:
        raise chk.fail(
            f"{where}.clone", f"unknown clone {c['clone']!r}; known: {', '.join(clones)}"
        )
    if ("n_read_pairs" in c) == ("mean_depth" in c):
        raise chk.fail(where, "set exactly one of 'n_read_pairs' and 'mean_depth'")
    assay = c.get("assay", "wgs")
    if assay != "wgs" and not has_targets:
        raise chk.fail(f"{where}.assay", f"assay {assay!r} needs a 'targets' BED in the spec")
    wga = c.get("wga", "MDA")
    amp = {**WGA_DEFAULTS[wga].__dict__, **c.get("amplification", {})}
    amp["error_af"] = tuple(amp["error_af"])
    if amp["error_af"][0] > amp["error_af"][1]:
        raise chk.fail(f"{where}.amplification.error_af", "expected [low, high] with low <= high")
    dropout = c.get("dropout_rate", 0.0)
    dropout_range = None
    if isinstance(dropout, list):
        if dropout[0] > dropout[1]:
            raise chk.fail(f"{where}.dropout_rate", "expected [low, high] with low <= high")
        dropout_range = (float(dropout[0]), float(dropout[1]))
        dropout = sum(dropout_range) / 2
    return CellSpec(
        id=cid,
        patient=c["patient"],
        draw=c["draw"],
        role=c.get("role", "ctc"),
        clone=c["clone"],
        assay=assay,
        wga=wga,
        n_read_pairs=c.get("n_read_pairs"),
        mean_depth=c.get("mean_depth"),
        dropout_rate=float(dropout),
        amplification=Amplification(**amp),
        dropout_range=dropout_range,
    )


def _germline(g: dict[str, Any], chk: _Checker) -> GermlineSpec:
    """Germline SNP rate or count, and listed SNPs (ref filled in from the reference)."""
    snps = tuple(
        chk.variant(
            f"germline.snps[{i}]",
            _variant({**s, "allele": s.get("allele")}, f"snp{i + 1}"),
            germline=True,
        )
        for i, s in enumerate(g.get("snps", []))
    )
    return GermlineSpec(float(g.get("het_snp_rate", 0.0)), g.get("n_het_snps"), snps)


def read_targets(path: Path, reference: Reference) -> tuple[tuple[str, int, int], ...]:
    """Read a BED of targets (0-based half-open), checking contigs and bounds.

    Parameters
    ----------
    path
        BED file; ``#``, ``track`` and ``browser`` lines are skipped.
    reference
        The reference the targets must lie on.

    Returns
    -------
    tuple of (chrom, start, end)
        The targets in file order.
    """
    if not path.is_file():
        raise FileNotFoundError(f"targets BED {path} not found; fix 'targets' in the spec")
    out = []
    for n, line in enumerate(path.read_text().splitlines(), start=1):
        if not line.strip() or line.startswith(("#", "track", "browser")):
            continue
        fields = line.split("\t")
        try:
            chrom, start, end = fields[0], int(fields[1]), int(fields[2])
        except (IndexError, ValueError) as err:
            raise SpecError(
                f"targets BED {path}, line {n}: expected tab-separated chrom, start, end "
                f"(integers), got {line!r}"
            ) from err
        if chrom not in reference.contigs:
            raise SpecError(
                f"targets BED {path}, line {n}: contig {chrom!r} is not in the reference"
            )
        length = int(reference.lengths[reference.contig_index(chrom)])
        if not 0 <= start < end <= length:
            raise SpecError(
                f"targets BED {path}, line {n}: {chrom}:{start}-{end} is empty or outside the "
                f"contig (length {length})"
            )
        out.append((chrom, start, end))
    if not out:
        raise SpecError(f"targets BED {path} has no targets")
    return tuple(out)
