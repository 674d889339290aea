"""Seed spread of notebook 08's trained automata: the evidence behind its hidden test bounds.

Notebook 08 trains two neural cellular automata (mel and linear canvases, 20 x 32 cells) and its
hidden tests require that the pictures grown from the seed reach a masked L1 below a bound, after
``N_GROW`` steps and again after ``N_GROW + N_EXTRA`` steps (stability). A student's correct
implementation draws its random numbers in its own way, so its run is like a run of the model
answer with another seed. This script trains the model answer (the notebook's own cells, loaded
with ``_notebook_code.cell_sources``) with several training seeds and prints, per seed, the masked
L1 in dB at the evaluation seeds the tests use, plus the CPU time of the training. No timing is
asserted: the machine may be shared (see the load).

Usage::

    python benchmarks/bench_08_nca.py                      # training seeds 0-4, 2 processes
    python benchmarks/bench_08_nca.py --seeds 0 1 --jobs 1
    python benchmarks/bench_08_nca.py --seeds 0 1 2 3 4 5 6 7 8 9 --jobs 1  # the notebook's figures (~10 min)
    python benchmarks/bench_08_nca.py --set GRAM_WEIGHT=10 --set N_ITERS=300   # try a variant
    python benchmarks/bench_08_nca.py --root /tmp/variant    # a modified copy of the notebook
"""

from __future__ import annotations

import argparse
import os
import time
from multiprocessing import Pool

from _notebook_code import _python_only, cell_sources

ASSIGNMENT = "08_nca_spectrograms"
EVAL_GROW = (3, 101, 202)        # generator seeds of the visible and hidden test_trained_nca checks
EVAL_STABLE = (4, 505)           # generator seeds of test_stable_nca (visible, hidden)
CELLS_BEFORE_DATA = ["imports", "dual_spectrograms"]
CELLS_AFTER_DATA = ["canvas", "perceive", "UpdateRule", "living_mask", "nca_step", "test_rules",
                    "gram_matrix", "masked_l1_db", "random_features", "nca_loss", "training_setup",
                    "training_state", "train_step", "save_snapshot", "training_loop"]


def _run(cells: dict, ns: dict, names: list[str]) -> None:
    for name in names:
        exec(compile(_python_only(cells[name]), f"<{ASSIGNMENT}:{name}>", "exec"), ns)


def train_one(args: tuple[int, dict, str | None]) -> dict:
    """Train with one seed (the notebook's TRAIN_SEED) and evaluate like the tests do."""
    seed, overrides, root = args
    import matplotlib

    matplotlib.use("Agg")
    cells = cell_sources(ASSIGNMENT, root)
    ns: dict = {"__name__": "bench_08"}
    _run(cells, ns, CELLS_BEFORE_DATA)
    ns["tqdm"] = lambda iterable, **kwargs: _Quiet(iterable)
    y, sr = ns["data"].load_example("violin", sr=22050)
    ns["HOP"] = 256
    ns["M_db"], ns["S_db"] = ns["dual_spectrograms"](y, sr)
    for name in CELLS_AFTER_DATA:
        if name == "training_state":
            ns["TRAIN_SEED"] = seed
            for key, value in overrides.items():
                ns[key] = value
        _run(cells, ns, [name])
        if name == "training_loop":
            break
        if name == "training_setup":
            cpu0 = time.process_time()
    cpu = time.process_time() - cpu0
    torch, masked_l1_db, to_db = ns["torch"], ns["masked_l1_db"], ns["to_db"]

    def l1(name: str, n_steps: int, gen_seed: int) -> float:
        with torch.no_grad():
            grid = ns["grow"](ns["rules"][name], ns["make_seed"](*ns["targets"][name].shape), n_steps,
                              torch.Generator().manual_seed(gen_seed))
        return float(masked_l1_db(to_db(grid)[0], ns["targets"][name]))

    out = {"seed": seed, "cpu_s": cpu}
    for name in ("mel", "linear"):
        out[f"{name}_grow"] = max(l1(name, ns["N_GROW"], s) for s in EVAL_GROW)
        out[f"{name}_stable"] = max(l1(name, ns["N_GROW"] + ns["N_EXTRA"], s) for s in EVAL_STABLE)
        out[f"{name}_x4"] = l1(name, ns["N_GROW"] + 4 * ns["N_EXTRA"], 7)
    hist = ns["history"]
    out["loss_ratio"] = float(sum(hist[-50:]) / 50 / (sum(hist[:10]) / 10))
    ns["SNAPSHOT_TMP"].cleanup()     # pool workers end without running finalizers: no leaked folders
    return out


class _Quiet:
    """A stand-in for tqdm: iterates silently and accepts set_postfix."""

    def __init__(self, iterable):
        self.iterable = iterable

    def __iter__(self):
        return iter(self.iterable)

    def set_postfix(self, **kwargs):
        pass


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2, 3, 4])
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--set", action="append", default=[], metavar="NAME=VALUE",
                        help="override a notebook constant before training (a Python literal)")
    parser.add_argument("--root", default=None,
                        help="folder holding 08_nca_spectrograms/ (default: solutions/), to try a variant")
    opts = parser.parse_args()
    overrides = {k: eval(v) for k, v in (item.split("=", 1) for item in opts.set)}
    print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores; overrides: {overrides or 'none'}")
    with Pool(opts.jobs) as pool:
        rows = pool.map(train_one, [(s, overrides, opts.root) for s in opts.seeds])
    head = (f"{'seed':>4} {'CPU s':>6} {'loss ratio':>10} | {'mel L1':>7} {'stable':>7} {'x4':>6} | "
            f"{'lin L1':>7} {'stable':>7} {'x4':>6}")
    print("masked L1 in dB: worst over the tests' generator seeds after N_GROW steps (L1), after "
          "N_GROW + N_EXTRA (stable), and after N_GROW + 4 N_EXTRA (x4)")
    print(head)
    print("-" * len(head))
    for r in rows:
        print(f"{r['seed']:>4} {r['cpu_s']:>6.1f} {r['loss_ratio']:>10.3f} | {r['mel_grow']:>7.2f} "
              f"{r['mel_stable']:>7.2f} {r['mel_x4']:>6.2f} | {r['linear_grow']:>7.2f} "
              f"{r['linear_stable']:>7.2f} {r['linear_x4']:>6.2f}")
    for key in ("mel_grow", "mel_stable", "linear_grow", "linear_stable"):
        values = [r[key] for r in rows]
        print(f"{key:>14}: mean {sum(values) / len(values):.2f}, max {max(values):.2f} dB")


if __name__ == "__main__":
    main()
