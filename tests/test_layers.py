"""The import graph of zoo/ and benchmarks/ runs downward only, without cycles.

DESIGN.md principle 7: errors/paths → registry → data, models → training, generation,
scaling → metrics (library) → benchmarks → CLI; nothing in zoo/ imports benchmarks/.

The graph is read from the source with `ast`, so it counts every import: those at module
level and the lazy ones inside functions (a lazy import still ties the two modules
together; it only hides the tie from `python -c "import x"`). An edge goes to the module
named in the statement: `from zoo.models import gpt` is an edge to `zoo.models.gpt`,
`from zoo.registry import MODELS` one to `zoo.registry`. The parent packages that
Python runs on the way (`zoo/__init__.py`) are not counted as edges, or every module would
sit in one cycle with the package facade.

`benchmarks/suites/` loads its modules by name (importlib), which `ast` cannot see: each
suite is a plug-in that registers itself on import.

Run `python tests/test_layers.py` to print the graph's violations without pytest.
"""
import ast
import pathlib

REPO = pathlib.Path(__file__).resolve().parent.parent
ROOTS = ("zoo", "benchmarks")

# The layer of each repo module, by the longest dotted prefix listed here. A module may
# import modules of its own layer or lower. Every module must match an entry, so a new
# package has to be placed here on purpose.
LAYERS = {
    # 0: the ground floor: error type and did-you-mean, paths, small leaf utilities and
    # the metrics (pure functions, as lm-eval's api/metrics.py sits at its bottom).
    "zoo.errors": 0,
    "zoo.paths": 0,
    "zoo.console": 0,
    "zoo.atomic": 0,
    "zoo.metrics": 0,
    "zoo.baselines": 0,
    # 1: the registry of model specs.
    "zoo.registry": 1,
    # 2: data and models (the families register their sizes into the registry).
    "zoo.data": 2,
    "zoo.models": 2,
    "zoo.presets": 2,
    "zoo.preset_check": 2,
    # 3: what runs models: training, generation, scaling, evaluation, the hub, export,
    # and the package facade `zoo/__init__.py` (its lazy get/train/generate).
    "zoo.training": 3,
    "zoo.generation": 3,
    "zoo.scaling": 3,
    "zoo.evaluation": 3,
    "zoo.hub": 3,
    "zoo.export": 3,
    "zoo": 3,
    # 4: the benchmark harness, its suites and the leaderboard.
    "benchmarks": 4,
    # 5: the command line (`zoo bench` and `zoo leaderboard` run the benchmarks).
    "zoo.cli": 5,
}
BENCHMARKS = LAYERS["benchmarks"]

# Known exceptions, each with its reason. Nothing else is exempt.
ALLOWED_UPWARD: set = set()


def module_name(path):
    parts = list(path.relative_to(REPO).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def repo_modules():
    """{module name: path} for every .py file under the roots."""
    found = {}
    for root in ROOTS:
        for path in sorted((REPO / root).rglob("*.py")):
            found[module_name(path)] = path
    return found


def _resolve(name, modules):
    """The repo module a dotted import name refers to: itself, else its nearest parent."""
    while name:
        if name in modules:
            return name
        name = name.rpartition(".")[0]
    return None


def imports_of(module, path, modules):
    """The set of repo modules that `module` imports anywhere in its source."""
    tree = ast.parse(path.read_text(), filename=str(path))
    is_package = path.name == "__init__.py"
    targets = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:  # relative: `from . import x`, `from .y import z`
                base = module.split(".") if is_package else module.split(".")[:-1]
                base = base[: len(base) - (node.level - 1)]
                prefix = ".".join(base + ([node.module] if node.module else []))
            else:
                prefix = node.module
            # `from pkg import sub` names the submodule when there is one.
            names = [f"{prefix}.{alias.name}" for alias in node.names]
            names = [n if n in modules else prefix for n in names]
        else:
            continue
        for name in names:
            target = _resolve(name, modules)
            if target is not None and target != module:
                targets.add(target)
    return targets


def import_graph():
    modules = repo_modules()
    return {m: imports_of(m, p, modules) for m, p in modules.items()}


def layer_of(module):
    key = _resolve(module, LAYERS)
    assert key is not None, f"{module} has no layer: place it in LAYERS in tests/test_layers.py"
    return LAYERS[key]


def strongly_connected(graph):
    """Tarjan's algorithm: the strongly connected components of `graph` (iterative)."""
    index, low, on_stack, stack, components = {}, {}, set(), [], []
    counter = 0
    for start in sorted(graph):
        if start in index:
            continue
        work = [(start, iter(sorted(graph[start])))]
        index[start] = low[start] = counter
        counter += 1
        stack.append(start)
        on_stack.add(start)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is None:
                work.pop()
                if work:
                    parent = work[-1][0]
                    low[parent] = min(low[parent], low[node])
                if low[node] == index[node]:
                    component = set()
                    while True:
                        member = stack.pop()
                        on_stack.discard(member)
                        component.add(member)
                        if member == node:
                            break
                    components.append(component)
            elif child not in index:
                index[child] = low[child] = counter
                counter += 1
                stack.append(child)
                on_stack.add(child)
                work.append((child, iter(sorted(graph[child]))))
            elif child in on_stack:
                low[node] = min(low[node], index[child])
    return components


def library_imports_of_benchmarks(graph):
    """Edges from the library (zoo/ below the benchmarks' layer: all but the CLI) into benchmarks/."""
    return sorted((m, t) for m, ts in graph.items() for t in ts
                  if m.split(".")[0] == "zoo" and layer_of(m) < BENCHMARKS and t.split(".")[0] == "benchmarks")


def upward_imports(graph):
    return sorted((m, t) for m, ts in graph.items() for t in ts
                  if layer_of(t) > layer_of(m) and (m, t) not in ALLOWED_UPWARD)


def cycles(graph):
    return sorted(sorted(c) for c in strongly_connected(graph) if len(c) > 1)


def test_graph_sees_lazy_and_relative_imports():
    graph = import_graph()
    # zoo/__init__.py imports zoo.hub only inside get(): a lazy import is an edge.
    assert "zoo.hub" in graph["zoo"]
    assert len(graph) > 50


def test_every_module_has_a_layer():
    for module in import_graph():
        layer_of(module)


def test_library_does_not_import_benchmarks():
    assert library_imports_of_benchmarks(import_graph()) == []


def test_imports_run_downward():
    assert upward_imports(import_graph()) == []


def test_no_import_cycles():
    assert cycles(import_graph()) == []


def test_cycle_finder_finds_a_cycle():
    # A three-module ring and a self-contained pair: the checker must report both.
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"e"}, "e": {"d"}, "f": {"a"}}
    assert cycles(graph) == [["a", "b", "c"], ["d", "e"]]


if __name__ == "__main__":
    g = import_graph()
    for label, found in (("zoo -> benchmarks", library_imports_of_benchmarks(g)),
                         ("upward", upward_imports(g)), ("cycles", cycles(g))):
        print(f"{label}: {len(found)}")
        for item in found:
            print("  ", item)
