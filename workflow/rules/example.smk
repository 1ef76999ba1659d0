# The bundled example: simulate the reads named in the cell sheet (only when
# config["example_simulation"] names a simulation spec; real data skips this).
if config.get("example_simulation"):

    rule simulate_example:
        input:
            spec=config["example_simulation"],
        output:
            fastq=expand(
                "{path}", path=[p for col in ("fq1", "fq2") for p in CELLS[col] if p]
            ),
        params:
            outdir=lambda wildcards, output: str(Path(output.fastq[0]).parent.parent),
        threads: 1
        resources:
            **scaled(mem_mb=2000, runtime=30),
        log:
            "logs/simulate_example/simulate.log",
        benchmark:
            "results/benchmarks/simulate_example/simulate.tsv"
        shell:
            "ctcg simulate --spec {input.spec:q} --outdir {params.outdir:q} > {log:q} 2>&1"
