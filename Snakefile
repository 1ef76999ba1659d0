# ctcgenomics: run `snakemake` at the repository root. The workflow itself is
# workflow/Snakefile (the snakemake-workflows entry point, also usable as a module).


include: "workflow/Snakefile"


# An included file's default target does not carry over to the file including it, so
# the root names its own: everything rule `all` of workflow/Snakefile asks for.
rule default:
    input:
        all_targets,
    default_target: True
    localrule: True
