#!/bin/sh
# Bulk germline genotypes of each individual, called independently of ctcgenomics with
# bcftools (mpileup | call -m, one sample at a time, default filters), at every
# position where some individual is called non-reference. Writes expected.tsv; run once
# from this folder (bcftools 1.x on PATH). Not used by the tests.
set -eu
tmp=$(mktemp -d)
tab=$(printf "\t")  # a site with an indel: its variant record sorts before the reference one
for s in HG00100 HG00101 HG00102; do
    bcftools mpileup -a AD,DP -f ref.fa "$s.bam" 2>/dev/null \
        | bcftools call -m -Oz -o "$tmp/$s.vcf.gz" 2>/dev/null
    bcftools index "$tmp/$s.vcf.gz"
done
for s in HG00100 HG00101 HG00102; do
    bcftools view -H -i 'GT!="0/0" && GT!="./."' "$tmp/$s.vcf.gz" | cut -f 2
done | sort -nu > "$tmp/pos.txt"
printf 'sample\tpos\tref\talt\tgt\tref_reads\talt_reads\tqual\n' > expected.tsv
for s in HG00100 HG00101 HG00102; do
    while read -r p; do
        bcftools query -r "17:$p" -f "$s\t%POS\t%REF\t%ALT\t[%GT]\t[%AD{0}]\t[%AD{1}]\t%QUAL\n" \
            "$tmp/$s.vcf.gz" | awk -v p="$p" '$2 == p' | sort -t "$tab" -k5,5r | head -n 1
    done < "$tmp/pos.txt"
done | sed 's/\t\.\t/\t<ref>\t/' >> expected.tsv
rm -r "$tmp"
