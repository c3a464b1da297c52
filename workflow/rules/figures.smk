# Figures: one rule plot_<name> for every figure of the registry workflow/figures.yaml, saving
# inline HTML, SVG, PNG and the Vega-Lite spec (figures.style paper: also PDF and caption); the
# SVG is filed in `snakemake --report` with the figure's caption, under its research question.


for name, fig in FIGURES.items():

    rule:
        """Draw one figure of the registry (workflow/figures.yaml) from its tables."""
        name:
            f"plot_{name}"
        input:
            **figure_inputs(name),
        output:
            **figure_files(name)
            | {
                "svg": report(
                    figure_files(name)["svg"],
                    caption=f"../../{fig['caption']}",
                    category=fig["category"],
                    subcategory=fig["subcategory"],
                )
            },
        log:
            f"logs/plot_{name}.log",
        benchmark:
            f"benchmarks/plot_{name}.tsv"
        conda:
            "../envs/hfreuse.yaml"
        threads: 1
        resources:
            mem_mb=2000,
        params:
            builder=fig["builder"],
            args=figure_args(name),
            style=figure_style(config),
            absent=figure_absent(name),
        script:
            "../scripts/plot_figure.py"
