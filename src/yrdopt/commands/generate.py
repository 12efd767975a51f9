"""``yrdopt generate``: write a synthetic instance of any size (see :mod:`yrdopt.generate`)."""

from __future__ import annotations

from pathlib import Path

import typer

from ..cli_common import console, run_guarded
from ..errors import InstanceError, Problem


def register(app: typer.Typer) -> None:
    @app.command("generate")
    def generate(
        regions: int = typer.Option(41, "--regions", help="number of regions"),
        chains: int = typer.Option(30, "--chains", help="number of industry chains"),
        segments: int = typer.Option(4, "--segments", help="segments per chain (rd, manufacturing, testing, ...)"),
        seed: int = typer.Option(0, "--seed", help="random seed: the same seed writes the same file"),
        out: Path = typer.Option(..., "--out", "-o", help="instance file to write (.yaml or .json)"),
        tightness: float = typer.Option(1.4, "--tightness", help="total quota / total demand per resource (> 1.02)"),
        csv_threshold: int = typer.Option(60, "--csv-threshold",
                                          help="above this many regions, distances and site costs go to CSV files"),
        force: bool = typer.Option(False, "--force", help="replace OUT (and its CSV files) if they exist"),
    ) -> None:
        """Write a valid synthetic instance with the structure of the YRD problem."""
        from ..generate import generate_dict, generated_files, write_generated
        from ..io import load_instance

        def go():
            problems = [Problem("command line", f"--{k}", v, "an integer >= 1")
                        for k, v in (("regions", regions), ("chains", chains), ("segments", segments)) if v < 1]
            if tightness <= 1.02:
                problems.append(Problem("command line", "--tightness", tightness, "a number above 1.02"))
            if out.suffix.lower() not in (".yaml", ".yml", ".json"):
                problems.append(Problem("command line", "--out", str(out), "a file name ending in .yaml, .yml or .json"))
            if problems:
                raise InstanceError(problems)
            taken = [p for p in generated_files(out, regions, csv_threshold=csv_threshold) if p.exists()]
            if taken and not force:  # an instance file may be hand-edited: as `yrdopt template` does
                raise InstanceError([Problem("command line", "--out", "a file that exists",
                                             f"a file that does not exist yet ({' and '.join(map(str, taken))} "
                                             f"{'exists' if len(taken) == 1 else 'exist'}; pass --force to replace)")])
            data = generate_dict(regions, chains, segments, seed, tightness=tightness)
            path = write_generated(data, out, csv_threshold=csv_threshold)
            return path, load_instance(path)  # re-read: what we wrote validates

        path, inst = run_guarded(go)
        n_seg = sum(len(c.segments) for c in inst.chains)
        console.print(f"wrote {path}: {len(inst.regions)} regions in {len(inst.provinces)} provinces, "
                      f"{len(inst.chains)} chains, {n_seg} segments (seed {seed})", highlight=False)
