"""Rebuild the real-reads SNV test slice from the guacamole test resources (run once).

Input (github.com/hammerlab/guacamole, Apache-2.0, commit 9d330aeb, src/test/resources/):
``tumor.chr20.tough.sam``, ``normal.chr20.tough.sam`` (real Illumina reads of the
ICGC-TCGA DREAM somatic-mutation challenge synthetic set: one normal genome's reads split
in two, somatic SNVs spiked into the "tumour" half with BAMSurgeon), ``truth.chr20.vcf``
(the spike-ins) and ``grch37.partial.fasta`` (GRCh37 windows around the loci).

Output: one contig ``dream_chr20_slice`` made of the 33 read windows (each padded with 500
N on both sides, so mate positions stay on the contig), the reads of both samples moved
onto it (read group = sample), and the spike-in SNVs in those windows as ``truth.vcf``
with their GRCh37 chr20 position in INFO/GRCh37_POS.

    python tests/data/snv_dream/make_slice.py /path/to/guacamole/src/test/resources
"""

from __future__ import annotations

import sys
from pathlib import Path

import pysam

PAD = 500
CONTIG = "dream_chr20_slice"
OUT = Path(__file__).parent


def read_partial_fasta(path: Path) -> list[tuple[int, int, str]]:
    """Windows of chr20 as (0-based start, end, sequence); header `>20:start-end/len`."""
    out, name, seq = [], None, []
    for line in [*path.read_text().splitlines(), ">"]:
        if line.startswith(">"):
            if name and name.startswith("20:"):
                span = name.split(":")[1].split("/")[0]
                start, end = map(int, span.split("-"))
                out.append((start, end, "".join(seq).upper()))
            name, seq = line[1:], []
        else:
            seq.append(line.strip())
    return out


def main(resources: Path) -> None:
    windows = read_partial_fasta(resources / "grch37.partial.fasta")
    truth = [
        line.split("\t")
        for line in (resources / "truth.chr20.vcf").read_text().splitlines()
        if not line.startswith("#")
    ]
    snvs = {
        int(t[1]): (t[3], t[4])
        for t in truth
        if len(t[3]) == 1 and len(t[4]) == 1 and t[4] in "ACGT"
    }
    # keep the windows that hold a spike-in SNV and are covered by the reads
    with pysam.AlignmentFile(str(resources / "tumor.chr20.tough.sam")) as sam:
        starts = sorted({r.reference_start for r in sam})
    keep = [
        w
        for w in windows
        if any(w[0] < p <= w[0] + len(w[2]) for p in snvs)
        and any(w[0] <= s < w[0] + len(w[2]) for s in starts)
    ]
    offsets, parts, pos = [], [], 0
    for start, _end, seq in keep:
        offsets.append((start, start + len(seq), pos + PAD))
        parts.append("N" * PAD + seq + "N" * PAD)
        pos += len(seq) + 2 * PAD
    sequence = "".join(parts)
    fasta = OUT / "ref.fa"
    fasta.write_text(
        f">{CONTIG}\n" + "\n".join(sequence[i : i + 60] for i in range(0, len(sequence), 60)) + "\n"
    )
    pysam.faidx(str(fasta))

    def move(p0: int) -> int | None:
        for start, end, off in offsets:
            if start <= p0 < end:
                return off + p0 - start
        return None

    header = {
        "HD": {"VN": "1.6", "SO": "coordinate"},
        "SQ": [{"SN": CONTIG, "LN": len(sequence)}],
    }
    for sample, src in (("CTC", "tumor"), ("WBC", "normal")):
        header["RG"] = [{"ID": sample, "SM": sample}]
        out_path = OUT / f"{sample}.bam"
        with (
            pysam.AlignmentFile(str(resources / f"{src}.chr20.tough.sam")) as sam,
            pysam.AlignmentFile(str(out_path), "wb", header=header) as out,
        ):
            reads = []
            for r in sam:
                new = move(r.reference_start)
                if new is None:
                    continue
                shift = new - r.reference_start
                a = pysam.AlignedSegment(out.header)
                a.query_name = r.query_name
                a.flag = r.flag
                a.reference_id = 0
                a.reference_start = new
                a.mapping_quality = r.mapping_quality
                a.cigarstring = r.cigarstring
                a.next_reference_id = 0 if r.next_reference_id == r.reference_id else -1
                a.next_reference_start = max(r.next_reference_start + shift, 0)
                a.template_length = r.template_length
                a.query_sequence = r.query_sequence
                a.query_qualities = r.query_qualities
                a.set_tag("RG", sample)
                reads.append(a)
            for a in sorted(reads, key=lambda x: x.reference_start):
                out.write(a)
        pysam.index(str(out_path))
    lines = [
        "##fileformat=VCFv4.2",
        f"##contig=<ID={CONTIG},length={len(sequence)}>",
        '##INFO=<ID=GRCh37_POS,Number=1,Type=Integer,Description="Position on GRCh37 chr20">',
        "#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO",
    ]
    for p, (ref, alt) in sorted(snvs.items()):
        new = move(p - 1)
        if new is None:
            continue
        assert sequence[new] == ref, (p, ref, sequence[new])
        lines.append(f"{CONTIG}\t{new + 1}\t.\t{ref}\t{alt}\t.\tPASS\tGRCh37_POS={p}")
    (OUT / "truth.vcf").write_text("\n".join(lines) + "\n")
    print(f"{len(keep)} windows, {len(lines) - 4} spike-in SNVs, contig {len(sequence)} bp")


if __name__ == "__main__":
    main(Path(sys.argv[1]))
