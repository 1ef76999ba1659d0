"""Where to look: target regions, forced sites (hotspots, user sites) and work chunks."""

from __future__ import annotations

import functools
import gzip
import logging
import os
from collections.abc import Mapping
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import numpy as np
import pandas as pd
import pysam

log = logging.getLogger(__name__)

HOTSPOTS_FILE = "cancer_hotspots_hg38.vcf.gz"


class SiteFileError(ValueError):
    """A BED/VCF of targets or sites is malformed or does not match the reference."""


@dataclass(frozen=True)
class Chunk:
    """A window of the genome processed in one go (0-based, half-open)."""

    contig: str
    start: int
    end: int


def packaged_hotspots_path() -> Path:
    """Path of the packaged cancer hotspot VCF (cancerhotspots.org v2 + 3dhotspots.org)."""
    return Path(str(resources.files("ctcgenomics.data") / "annotation" / HOTSPOTS_FILE))


def _open_text(path: str | os.PathLike[str]):
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"{path}: file not found")
    with open(path, "rb") as fh:
        magic = fh.read(2)
    return gzip.open(path, "rt") if magic == b"\x1f\x8b" else open(path)


def read_bed(
    path: str | os.PathLike[str], *, contig_lengths: Mapping[str, int] | None = None
) -> pd.DataFrame:
    """Read a BED file (0-based, half-open) into ``contig, start, end`` columns.

    Parameters
    ----------
    path
        BED file (plain or gzipped); ``track``/``browser``/``#`` lines are skipped.
    contig_lengths
        The reference's contigs and lengths. When given, regions are checked against
        them: a region starting at or past its contig's end is an error (another genome
        build), one reaching past the end is clipped with a warning, and regions on
        contigs the reference lacks are dropped with a warning (an error if that leaves
        none: e.g. ``17`` against ``chr17``).

    Raises
    ------
    SiteFileError
        Naming the file and line when a line has fewer than 3 columns or bad coordinates,
        or (with ``contig_lengths``) a region lies outside its contig or no region is on a
        contig of the reference.
    """
    rows = []
    unknown: dict[str, int] = {}  # contig -> first line
    clipped: list[str] = []
    with _open_text(path) as fh:
        for i, line in enumerate(fh, start=1):
            if not line.strip() or line.startswith(("#", "track", "browser")):
                continue
            parts = line.rstrip("\n").split("\t")
            try:
                contig, start, end = parts[0], int(parts[1]), int(parts[2])
            except (IndexError, ValueError):
                raise SiteFileError(
                    f"{path}, line {i}: expected tab-separated 'contig start end' (BED), "
                    f"got {line.strip()[:60]!r}"
                ) from None
            if start < 0 or end <= start:
                raise SiteFileError(
                    f"{path}, line {i}: need 0 <= start < end (BED is 0-based half-open), "
                    f"got {start}-{end}"
                )
            if contig_lengths is not None:
                if contig not in contig_lengths:
                    unknown.setdefault(contig, i)
                    continue
                length = contig_lengths[contig]
                if start >= length:
                    raise SiteFileError(
                        f"{path}, line {i}: region {contig}:{start}-{end} starts past the end "
                        f"of {contig} ({length:,} bp in the reference): the BED is of another "
                        "genome build; use targets of the reference's build (liftover)"
                    )
                if end > length:
                    clipped.append(f"line {i} ({contig}:{start}-{end})")
                    end = length
            rows.append((contig, start, end))
    if contig_lengths is not None:
        _report_bed_contigs(path, rows, unknown, clipped, contig_lengths)
    return pd.DataFrame(rows, columns=["contig", "start", "end"])


def _report_bed_contigs(
    path: str | os.PathLike[str],
    rows: list[tuple[str, int, int]],
    unknown: dict[str, int],
    clipped: list[str],
    contig_lengths: Mapping[str, int],
) -> None:
    """Raise if no BED region is on a reference contig; warn about the regions left out."""
    if unknown and not rows:
        raise SiteFileError(
            f"{path}: no region is on a contig of the reference (BED has e.g. "
            f"{sorted(unknown)[:3]}, line {min(unknown.values())}; reference "
            f"{sorted(contig_lengths)[:3]}); rename the BED's contigs to the reference's "
            "(e.g. 17 -> chr17: sed 's/^/chr/') or use targets of the same reference"
        )
    if unknown:
        log.warning(
            "%s: regions on %d contig(s) absent from the reference are left out: %s",
            path,
            len(unknown),
            ", ".join(f"{c} (first on line {n})" for c, n in sorted(unknown.items())[:10]),
        )
    if clipped:
        log.warning(
            "%s: %d region(s) reach past their contig's end and are clipped to it: %s",
            path,
            len(clipped),
            ", ".join(clipped[:5]),
        )


def read_sites(path: str | os.PathLike[str]) -> pd.DataFrame:
    """Read user-supplied sites from a VCF (alleles forced) or a BED (regions forced).

    Returns
    -------
    pandas.DataFrame
        ``contig, pos (1-based), ref, alt`` for VCF records (one row per ALT allele),
        or ``contig, start, end`` (0-based) with empty ``ref``/``alt`` for BED regions,
        plus a ``kind`` column (``allele`` or ``region``).
    """
    name = str(path).lower()
    if name.endswith((".vcf", ".vcf.gz", ".bcf")):
        rows = []
        try:
            with pysam.VariantFile(str(path)) as vf:
                for rec in vf:
                    for alt in rec.alts or ():
                        rows.append((rec.chrom, rec.pos, rec.ref.upper(), alt.upper(), "allele"))
        except (OSError, ValueError) as err:
            raise SiteFileError(f"{path}: cannot read as VCF ({err}); check the file") from err
        return pd.DataFrame(rows, columns=["contig", "pos", "ref", "alt", "kind"])
    bed = read_bed(path)
    bed["kind"] = "region"
    return bed


def load_hotspots(
    path: str | os.PathLike[str] | None = None, *, regions: pd.DataFrame | None = None
) -> pd.DataFrame:
    """Load a hotspot VCF into a table with gene and HGVSp per allele.

    Parameters
    ----------
    path
        Hotspot VCF; defaults to the packaged cancerhotspots.org/3dhotspots.org table.
        Gene and HGVSp are read from ``HOTSPOT_GENE``/``HOTSPOT_HGVSp`` or, failing
        those, ``HOTSPOT3D_*``.
    regions
        Only alleles inside these ``contig, start, end`` regions (0-based); read through
        the tabix index when there is one (the packaged table has one), which is much
        faster than parsing the whole table for a panel.

    Returns
    -------
    pandas.DataFrame
        ``contig, pos (1-based), ref, alt, gene, hgvsp, source``.
    """
    path = str(packaged_hotspots_path() if path is None else path)
    if regions is not None and Path(f"{path}.tbi").exists():
        lines = []
        with pysam.TabixFile(path) as tbx:
            contigs = set(tbx.contigs)
            for rec in merge_intervals(regions).itertuples(index=False):
                if rec.contig in contigs:
                    lines.extend(tbx.fetch(rec.contig, int(rec.start), int(rec.end)))
        fields = [line.split("\t") for line in lines]
        frame = pd.DataFrame(
            [(f[0], int(f[1]), f[3], f[4], f[7]) for f in fields],
            columns=["contig", "pos", "ref", "alt", "info"],
        )
        return _parse_hotspots(frame)
    table = _load_hotspots(path).copy()
    if regions is None:
        return table
    keep = np.zeros(len(table), dtype=bool)
    for rec in regions.itertuples(index=False):
        keep |= (
            (table["contig"] == rec.contig) & (table["pos"] > rec.start) & (table["pos"] <= rec.end)
        ).to_numpy()
    return table[keep].reset_index(drop=True)


@functools.lru_cache(maxsize=4)
def _load_hotspots(path: str) -> pd.DataFrame:
    """Parse a hotspot VCF once per process (the packaged table has ~25k alleles)."""
    frame = pd.read_csv(
        _open_text(path),
        sep="\t",
        comment="#",
        header=None,
        usecols=[0, 1, 3, 4, 7],
        names=["contig", "pos", "ref", "alt", "info"],
        dtype={"contig": str},
    )
    return _parse_hotspots(frame)


def _parse_hotspots(frame: pd.DataFrame) -> pd.DataFrame:
    info = frame["info"].astype(str)

    def field(key: str) -> pd.Series:
        return info.str.extract(f"(?:^|;){key}=([^;]*)", expand=False).fillna("")

    gene = field("HOTSPOT_GENE")
    gene = gene.where(gene != "", field("HOTSPOT3D_GENE"))
    gene = gene.where(gene != "", field("HOTSPOTNC_GENE"))
    hgvsp = field("HOTSPOT_HGVSp")
    hgvsp = hgvsp.where(hgvsp != "", field("HOTSPOT3D_HGVSp"))
    source = np.where(
        info.str.contains("HOTSPOT_GENE="),
        "cancerhotspots",
        np.where(info.str.contains("HOTSPOT3D_GENE="), "3dhotspots", "hotspots_noncoding"),
    )
    rows = pd.DataFrame(
        {
            "contig": frame["contig"],
            "pos": frame["pos"].astype(int),
            "ref": frame["ref"].str.upper(),
            "alt": frame["alt"].astype(str).str.upper().str.split(","),
            "gene": gene,
            "hgvsp": hgvsp,
            "source": source,
        }
    ).explode("alt")
    out = rows[["contig", "pos", "ref", "alt", "gene", "hgvsp", "source"]]
    # The table lists some alleles twice (cancerhotspots and 3D); keep the first.
    return out.drop_duplicates(["contig", "pos", "ref", "alt"]).reset_index(drop=True)


def merge_intervals(frame: pd.DataFrame, *, pad: int = 0) -> pd.DataFrame:
    """Merge overlapping/adjacent ``contig, start, end`` intervals after padding them."""
    if frame.empty:
        return pd.DataFrame(columns=["contig", "start", "end"])
    df = frame[["contig", "start", "end"]].copy()
    df["start"] = (df["start"] - pad).clip(lower=0)
    df["end"] = df["end"] + pad
    out = []
    for contig, grp in df.sort_values(["contig", "start"]).groupby("contig", sort=False):
        cur_s, cur_e = None, None
        for s, e in zip(grp["start"], grp["end"], strict=True):
            if cur_s is None:
                cur_s, cur_e = s, e
            elif s <= cur_e:
                cur_e = max(cur_e, e)
            else:
                out.append((contig, cur_s, cur_e))
                cur_s, cur_e = s, e
        out.append((contig, cur_s, cur_e))
    return pd.DataFrame(out, columns=["contig", "start", "end"])


def make_chunks(
    contig_lengths: dict[str, int],
    *,
    targets: pd.DataFrame | None = None,
    forced: pd.DataFrame | None = None,
    pad: int,
    max_chunk: int,
) -> list[Chunk]:
    """Windows to process: padded targets plus forced sites, or the whole genome.

    Parameters
    ----------
    contig_lengths
        Contigs of the reference and their lengths.
    targets
        Target regions (panel/exome BED); ``None`` means whole genome.
    forced
        Forced sites: alleles (``pos``) or regions (``start``/``end``), always examined.
    pad
        Padding around targets and forced sites, so nearby indels are seen.
    max_chunk
        Longest window held in memory at once.
    """
    parts = []
    if targets is None:
        parts.append(
            pd.DataFrame(
                [(c, 0, n) for c, n in contig_lengths.items()], columns=["contig", "start", "end"]
            )
        )
    else:
        parts.append(targets[["contig", "start", "end"]])
    if forced is not None and not forced.empty:
        f = forced.copy()
        if "pos" in f and f["pos"].notna().any():
            alleles = f[f["pos"].notna()]
            parts.append(
                pd.DataFrame(
                    {
                        "contig": alleles["contig"],
                        "start": alleles["pos"].astype(int) - 1,
                        "end": alleles["pos"].astype(int) - 1 + alleles["ref"].str.len(),
                    }
                )
            )
        if "start" in f and f["start"].notna().any():
            regions = f[f["start"].notna()]
            parts.append(regions[["contig", "start", "end"]].astype({"start": int, "end": int}))
    merged = merge_intervals(pd.concat(parts, ignore_index=True), pad=pad)
    chunks = []
    for rec in merged.itertuples(index=False):
        if rec.contig not in contig_lengths:
            continue
        end = min(int(rec.end), contig_lengths[rec.contig])
        for s in range(int(rec.start), end, max_chunk):
            chunks.append(Chunk(rec.contig, s, min(s + max_chunk, end)))
    return chunks


def read_variant_sites(
    path: str | os.PathLike[str],
    reference: str | os.PathLike[str],
    *,
    regions: pd.DataFrame | None = None,
    af_field: str | None = None,
    what: str = "germline VCF",
) -> pd.DataFrame:
    """Read a germline or population-frequency VCF, checked against the reference.

    Parameters
    ----------
    path
        VCF/BCF (bgzipped and indexed for speed when ``regions`` is given).
    reference
        FASTA the BAMs were aligned to.
    regions
        Only records in these ``contig, start, end`` regions (0-based), through the index
        when there is one.
    af_field
        INFO field with the alternative allele frequency (``AF`` for gnomAD); ``None``
        for a plain list of sites.
    what
        How the file is named in errors.

    Returns
    -------
    pandas.DataFrame
        ``contig, pos (1-based), ref, alt`` (+ ``af``), one row per alternative allele;
        ``attrs["contigs"]`` holds the contigs the file covers.

    Raises
    ------
    SiteFileError
        If the file cannot be read, shares no contig name with the reference, declares a
        contig of another length (another build), or its REF alleles disagree with the
        reference at more than 10 % of the records checked (another build).
    """
    fasta = pysam.FastaFile(str(reference))
    ref_len = dict(zip(fasta.references, fasta.lengths, strict=True))
    fix = (
        "use a VCF of the same build and contig names as the reference (e.g. "
        "`bcftools annotate --rename-chrs` for 17 vs chr17; liftover for GRCh37 vs GRCh38)"
    )
    try:
        vf = pysam.VariantFile(str(path))
    except (OSError, ValueError) as err:
        raise SiteFileError(f"{what} {path}: cannot read as VCF ({err}); check the file") from err
    rows = []
    checked = mismatched = 0
    example = ""
    with vf:
        header = {c: vf.header.contigs[c].length for c in vf.header.contigs}
        shared = set(header) & set(ref_len)
        if header and not shared:
            raise SiteFileError(
                f"{what} {path}: no contig name in common with the reference (VCF has e.g. "
                f"{sorted(header)[:3]}, reference {sorted(ref_len)[:3]}); {fix}"
            )
        for name in sorted(shared):
            if header[name] is not None and header[name] != ref_len[name]:
                raise SiteFileError(
                    f"{what} {path}: contig {name} has length {header[name]} in the VCF header "
                    f"but {ref_len[name]} in the reference: another genome build; {fix}"
                )
        if af_field is not None and af_field not in vf.header.info:
            raise SiteFileError(
                f"{what} {path}: no INFO field {af_field!r} (allele frequency) in the header; "
                "pass the field that holds it (gnomAD: AF)"
            )
        indexed = vf.index is not None if hasattr(vf, "index") else False
        if regions is not None and indexed:
            merged = merge_intervals(regions)
            records = (
                rec
                for r in merged.itertuples(index=False)
                if r.contig in header
                for rec in vf.fetch(r.contig, int(r.start), int(r.end))
            )
        else:
            records = iter(vf)
        n_records = n_on_ref = 0
        for rec in records:
            n_records += 1
            if rec.chrom not in ref_len:
                continue
            n_on_ref += 1
            checked += 1
            if rec.pos + len(rec.ref) - 1 > ref_len[rec.chrom]:
                # A record past the end of the contig cannot be of this build.
                mismatched += 1
                example = example or (
                    f"{rec.chrom}:{rec.pos} past the end of {rec.chrom} "
                    f"({ref_len[rec.chrom]:,} bp in the reference)"
                )
            else:
                actual = fasta.fetch(rec.chrom, rec.pos - 1, rec.pos - 1 + len(rec.ref)).upper()
                if actual != rec.ref.upper():
                    mismatched += 1
                    example = example or (
                        f"{rec.chrom}:{rec.pos} REF {rec.ref}, reference {actual}"
                    )
            afs = rec.info.get(af_field) if af_field is not None else None
            if afs is not None and not isinstance(afs, tuple):
                afs = (afs,)
            for i, alt in enumerate(rec.alts or ()):
                af = (
                    float(afs[i])
                    if afs is not None and i < len(afs) and afs[i] is not None
                    else np.nan
                )
                rows.append((rec.chrom, rec.pos, rec.ref.upper(), alt.upper(), af))
        if n_records and not n_on_ref and not header:
            raise SiteFileError(
                f"{what} {path}: none of its {n_records} records is on a contig of the "
                f"reference {sorted(ref_len)[:3]}; {fix}"
            )
    fasta.close()
    if checked >= 5 and mismatched > 0.1 * checked:
        raise SiteFileError(
            f"{what} {path}: REF alleles disagree with the reference at {mismatched} of "
            f"{checked} records (e.g. {example}): another genome build; {fix}"
        )
    out = pd.DataFrame(rows, columns=["contig", "pos", "ref", "alt", "af"])
    if af_field is None:
        out = out.drop(columns="af")
    out.attrs["contigs"] = sorted(set(header) | set(out["contig"]))
    return out
