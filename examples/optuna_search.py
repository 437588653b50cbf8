#!/usr/bin/env python3
"""Optuna drives staticnet trials: a study over the digits search of examples/search.rs.

Each trial runs the trial binary (examples/search_trial.rs) on one hyperparameter set,
passed as JSON on its command line, and reads its standard output line by line:
`epoch <n> val_loss <x>` after every epoch, reported to Optuna as the intermediate value
of step n, so that the Hyperband pruner can stop (kill) the process early, and a last line
`val_loss <x>`, the trial's value (the best validation loss over its epochs).

    cargo build --release --example search_trial
    pip install optuna
    python3 examples/optuna_search.py --trials 12 --epochs 27

The study is stored in SQLite in a temporary directory. The same script spreads trials
over machines: create a database that every machine reaches, and run this script on each
with `--storage postgresql://user:password@host/db` (or `mysql://...`) and the same
`--study-name`; Optuna hands each process its own trials, and each process runs the trial
binary locally.

It first runs the default configuration (`{}`: the defaults of examples/search.rs), and
exits with status 1 unless the study finds a configuration at least as good.
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile

import optuna


def run_trial(binary, params, epochs, seed, trial=None):
    """Runs the trial binary on `params`; reports each epoch to `trial` and prunes."""
    config = dict(params, epochs=epochs, seed=seed)
    proc = subprocess.Popen([binary, json.dumps(config)], stdout=subprocess.PIPE, text=True)
    final = None
    try:
        for line in proc.stdout:
            fields = line.split()
            if len(fields) == 4 and fields[0] == "epoch" and fields[2] == "val_loss":
                step, value = int(fields[1]), float(fields[3])
                if trial is not None:
                    trial.report(value, step)
                    if trial.should_prune():
                        raise optuna.TrialPruned(f"pruned after epoch {step}: val_loss {value:.4f}")
            elif len(fields) == 2 and fields[0] == "val_loss":
                final = float(fields[1])
    finally:
        if proc.poll() is None:
            proc.kill()
        status = proc.wait()
    if final is None or status != 0:
        raise RuntimeError(f"{binary} {json.dumps(config)} failed (exit status {status})")
    return final


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--binary", default=os.path.join("target", "release", "examples", "search_trial"))
    parser.add_argument("--trials", type=int, default=12)
    parser.add_argument("--epochs", type=int, default=27)
    parser.add_argument("--seed", type=int, default=0, help="seeds the sampler and every trial's training")
    parser.add_argument("--storage", help="an Optuna storage URL (default: SQLite in a temporary directory)")
    parser.add_argument("--study-name", default="staticnet-digits")
    args = parser.parse_args()
    optuna.logging.set_verbosity(optuna.logging.WARNING)

    default = run_trial(args.binary, {}, args.epochs, args.seed)
    print(f"default configuration: val_loss {default:.4f}")

    def objective(trial):
        params = {
            "lr": trial.suggest_float("lr", 1e-4, 3e-2, log=True),
            "weight_decay": trial.suggest_float("weight_decay", 1e-5, 1e-1, log=True),
            "dropout": trial.suggest_float("dropout", 0.0, 0.5),
            "batch_size": trial.suggest_categorical("batch_size", [16, 32, 64]),
            "hidden": trial.suggest_categorical("hidden", [16, 32, 64]),
        }
        return run_trial(args.binary, params, args.epochs, args.seed, trial)

    def show(study, trial):
        # A pruned trial's value is its last intermediate value.
        value = f", val_loss {trial.value:.4f}" if trial.value is not None else ""
        print(f"trial {trial.number}: {trial.state.name.lower()}{value} {trial.params}")

    with tempfile.TemporaryDirectory() as tmp:
        storage = args.storage or f"sqlite:///{os.path.join(tmp, 'optuna.db')}"
        study = optuna.create_study(
            study_name=args.study_name,
            storage=storage,
            load_if_exists=True,
            direction="minimize",
            sampler=optuna.samplers.TPESampler(seed=args.seed),
            pruner=optuna.pruners.HyperbandPruner(min_resource=1, max_resource=args.epochs, reduction_factor=3),
        )
        study.optimize(objective, n_trials=args.trials, callbacks=[show])
        states = [t.state for t in study.trials]
        complete = states.count(optuna.trial.TrialState.COMPLETE)
        pruned = states.count(optuna.trial.TrialState.PRUNED)
        best = study.best_trial
        print(f"{len(states)} trials: {complete} complete, {pruned} pruned")
        print(f"best trial {best.number}: val_loss {best.value:.4f} {best.params}")
    ok = best.value <= default
    verdict = "at least as good" if ok else "WORSE"
    print(f"optuna val_loss {best.value:.4f} vs default {default:.4f}: {verdict}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
