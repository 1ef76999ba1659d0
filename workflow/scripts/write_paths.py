# Rule path_list: write params.paths, one per line, for an aggregation step's --*-from
# option. A script, not a shell command: the paths would not fit on a command line.
from pathlib import Path

out = Path(snakemake.output[0])  # noqa: F821 (provided by Snakemake)
tmp = out.with_name(f".{out.name}.tmp")
tmp.write_text("".join(f"{p}\n" for p in snakemake.params.paths))  # noqa: F821
tmp.replace(out)
