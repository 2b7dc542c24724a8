"""The `zoo` command line: list | show | train | generate | bench | leaderboard.

User mistakes print one line on stderr and exit 2, never a traceback. TensorFlow's
start-up lines are kept off the screen; `--verbose` (anywhere on the line) shows them.

Example:
    zoo list
    zoo show gpt-nano
    zoo train gpt-nano --set train.steps=200
    zoo generate gpt-nano --prompt "To be, or not" --max-new-tokens 64
"""
import argparse
import json
import sys


class _Parser(argparse.ArgumentParser):
    def error(self, message):
        raise SystemExit(_fail(f"{self.prog}: {message} (see `{self.prog} --help`)"))


def _fail(message):
    print(f"error: {message}", file=sys.stderr)
    return 2


def _stopped(e):
    print(f"stopped: {e}", file=sys.stderr)
    return e.exit_code


def cmd_list(args):
    """`zoo list`: print a table of the registered models (name, family, parameters, context, trained).

    Args:
        args: the parsed argparse namespace; `args.family` limits the table to one family
            (None: all).
    """
    from zoo.hub import describe
    from zoo.registry import list_models

    rows = [describe(s.name) for s in list_models(args.family)]
    print(f"{'name':<13} {'family':<7} {'params':>10} {'ctx':>5}  trained  description")
    for d in rows:
        trained = "yes" if d["trained_preset"] else "-"
        print(f"{d['name']:<13} {d['family']:<7} {d['parameters']:>10,} {d['max_sequence_length']:>5}  "
              f"{trained:<7}  {d['description']}")


def cmd_show(args):
    """`zoo show NAME`: print a model's `zoo.hub.describe` dict as JSON.

    Args:
        args: the parsed argparse namespace (`args.name`: a registered model name).
    """
    from zoo.hub import describe

    print(json.dumps(describe(args.name), indent=2))


def cmd_train(args):
    """`zoo train RECIPE`: train a recipe, on `--workers` local workers when more than one.

    Args:
        args: the parsed argparse namespace (`recipe`, `set` overrides, `out`, `resume`,
            `workers`).

    Returns:
        With more than one worker, the chief's exit code (`launch_workers`); else None
        (the run's final metrics are printed as JSON).
    """
    from zoo.training.run import train_recipe

    if args.workers and args.workers > 1:
        from zoo.training.launch import launch_workers

        return launch_workers(args.workers, args.recipe, args.set or [], args.out, args.resume)
    result = train_recipe(args.recipe, overrides=args.set or [], out=args.out,
                          resume=True if args.resume else None)
    print(json.dumps({k: result[k] for k in ("val_loss", "val_bpb", "train_seconds", "preset", "run_dir")
                      if k in result}, indent=2))


def cmd_generate(args):
    """`zoo generate NAME --prompt TEXT`: print the prompt's continuation (seq2seq: the output only).

    Args:
        args: the parsed argparse namespace (`name`, `prompt`, `max_new_tokens`, `sampler`,
            `temperature`, `top_k`, `top_p`, `num_beams`, `seed`, `stream`, `draft`,
            `draft_tokens`).
    """
    from zoo.generation.api import generate
    from zoo.generation.seq2seq import is_seq2seq_ref

    lead = "" if is_seq2seq_ref(args.name) else args.prompt  # seq2seq: the output only
    kwargs = dict(max_new_tokens=args.max_new_tokens, sampler=args.sampler, temperature=args.temperature,
                  top_k=args.top_k, top_p=args.top_p, num_beams=args.num_beams, seed=args.seed)
    if args.draft:
        kwargs.update(draft=args.draft, draft_tokens=args.draft_tokens)
    if args.stream:
        pieces = generate(args.name, [args.prompt], stream=True, **kwargs)
        print(lead, end="", flush=True)
        for piece in pieces:
            print(piece[0], end="", flush=True)
        print()
        return
    print(lead + generate(args.name, [args.prompt], **kwargs)[0])


def cmd_bench(args):
    """`zoo bench ...`: run benchmark suites with `benchmarks/run.py`'s own options.

    Args:
        args: the parsed argparse namespace; `args.bench_args` are passed to
            `benchmarks.run.main`.

    Returns:
        The exit code of `benchmarks.run.main`.
    """
    from benchmarks.run import main as bench_main

    return bench_main(args.bench_args)


def cmd_export(args):
    """`zoo export NAME OUT`: export a model for serving (see `zoo.export.export`).

    Args:
        args: the parsed argparse namespace (`name`: registered name or preset directory,
            `out`: output directory, `format`: saved_model, keras or preset).
    """
    from zoo.export import export

    print(f"wrote {export(args.name, args.format, args.out)}")


def cmd_leaderboard(args):
    """`zoo leaderboard`: regenerate the leaderboard README from the results JSON.

    Args:
        args: the parsed argparse namespace (`args.dir`: the leaderboard directory; None:
            the repo's leaderboard/).
    """
    from benchmarks.leaderboard import write_leaderboard

    path = write_leaderboard(args.dir)
    print(f"wrote {path}")


def build_parser():
    """The `zoo` argument parser; each subcommand sets `func` to its `cmd_*` function."""
    p = _Parser(prog="zoo", description=__doc__.split("\n")[0])
    p.add_argument("--verbose", action="store_true",
                   help="show TensorFlow's own start-up and C++ log lines (may follow any command)")
    sub = p.add_subparsers(dest="command", required=True, parser_class=_Parser)
    s = sub.add_parser("list", help="registered models")
    s.add_argument("--family")
    s.set_defaults(func=cmd_list)
    s = sub.add_parser("show", help="parameters, FLOPs per token and config of a model")
    s.add_argument("name")
    s.set_defaults(func=cmd_show)
    s = sub.add_parser("train", help="train a recipe (a recipes/ name or a YAML path)")
    s.add_argument("recipe")
    s.add_argument("--set", action="append", metavar="KEY=VALUE", help="override a recipe leaf")
    s.add_argument("--out", help="run directory (default $ZOO_HOME/runs/NAME)")
    s.add_argument("--resume", action="store_true", help="continue from the run's last checkpoint")
    s.add_argument("--workers", type=int, default=1,
                   help="launch N local MultiWorkerMirroredStrategy workers (TF_CONFIG on 127.0.0.1)")
    s.set_defaults(func=cmd_train)
    s = sub.add_parser("generate", help="generate text from a model")
    s.add_argument("name")
    s.add_argument("--prompt", required=True)
    s.add_argument("--max-new-tokens", type=int, default=64)
    s.add_argument("--sampler", default="greedy")
    s.add_argument("--temperature", type=float, default=1.0)
    s.add_argument("--top-k", type=int)
    s.add_argument("--top-p", type=float)
    s.add_argument("--num-beams", type=int, default=1)
    s.add_argument("--seed", type=int, default=0)
    s.add_argument("--stream", action="store_true")
    s.add_argument("--draft", metavar="NAME", help="a smaller causal LM with the same tokenizer: speculative "
                   "greedy decoding (same output, fewer target passes)")
    s.add_argument("--draft-tokens", type=int, default=4, help="tokens the draft proposes per round")
    s.set_defaults(func=cmd_generate)
    s = sub.add_parser("bench", help="run benchmark suites (same as benchmarks/run.py)", add_help=False)
    s.add_argument("bench_args", nargs=argparse.REMAINDER, help="see benchmarks/run.py --help")
    s.set_defaults(func=cmd_bench)
    s = sub.add_parser("export", help="export a model for serving (keras, preset or SavedModel)")
    s.add_argument("name", help="registered name or preset directory")
    s.add_argument("out", help="output directory")
    s.add_argument("--format", default="saved_model", help="saved_model (default), keras or preset")
    s.set_defaults(func=cmd_export)
    s = sub.add_parser("leaderboard", help="regenerate leaderboard/README.md from results JSON")
    s.add_argument("--dir", default=None, help="leaderboard directory (default: the repo's leaderboard/)")
    s.set_defaults(func=cmd_leaderboard)
    return p


# Commands that never import TensorFlow.
_NO_TENSORFLOW = ("list", "show")


def take_verbose(argv):
    """Remove --verbose from argv (it may follow any command); True if it was there.

    Args:
        argv: the command-line arguments, changed in place.

    Returns:
        True if --verbose was there; otherwise whether verbose output is already on
        (`zoo.console.is_verbose`, e.g. ZOO_VERBOSE=1).
    """
    from zoo import console

    if "--verbose" not in argv:
        return console.is_verbose()
    while "--verbose" in argv:
        argv.remove("--verbose")
    console.set_verbose()
    return True


def main(argv=None):
    """Run the `zoo` command line; user mistakes become one line on stderr.

    Args:
        argv: the arguments after the program name; None: `sys.argv[1:]`.

    Returns:
        The exit code: 0 on success, 2 for a user error, 130 when interrupted, or the
        command's own code.
    """
    from zoo import console
    from zoo.errors import ZooError

    argv = sys.argv[1:] if argv is None else list(argv)
    if argv[:1] == ["bench"]:  # all of benchmarks/run.py's options pass through
        from benchmarks.run import main as bench_main

        return bench_main(argv[1:])
    take_verbose(argv)
    args = build_parser().parse_args(argv)
    if args.command not in _NO_TENSORFLOW:
        console.import_tensorflow()
    try:
        rc = args.func(args)
    except ZooError as e:
        return _fail(str(e).splitlines()[0]) if not hasattr(e, "exit_code") else _stopped(e)
    except KeyboardInterrupt:
        print("\ninterrupted: rerun the same command to resume from the last checkpoint/result",
              file=sys.stderr)
        return 130
    except OSError as e:  # unwritable output, full disk: the user's environment, not a bug
        return _fail(f"{e.strerror or e}: {getattr(e, 'filename', '') or ''}".strip())
    return rc or 0


if __name__ == "__main__":
    sys.exit(main())
