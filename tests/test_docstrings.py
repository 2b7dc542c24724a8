"""Every public function and method of the library documents its parameters (`Args:`).

"Public": a module-level function or a method of a module-level class whose name does not
start with "_". A method that overrides one of a base class (Keras, keras-hub or zoo)
inherits that contract and is exempt; so is a function without parameters.
"""
import ast
import importlib
import pathlib

REPO = pathlib.Path(__file__).resolve().parent.parent


def _module(path):
    parts = list(path.relative_to(REPO).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _params(fn):
    return [a.arg for a in fn.args.posonlyargs + fn.args.args + fn.args.kwonlyargs if a.arg not in ("self", "cls")]


def _overrides(module, class_name, method):
    cls = getattr(importlib.import_module(module), class_name, None)
    return cls is not None and any(method in vars(base) for base in cls.__mro__[1:])


def undocumented():
    missing = []
    for path in sorted((REPO / "zoo").rglob("*.py")):
        tree = ast.parse(path.read_text())
        for node in tree.body:
            found = []
            if isinstance(node, ast.FunctionDef):
                found.append((None, node))
            elif isinstance(node, ast.ClassDef) and not node.name.startswith("_"):
                found += [(node.name, n) for n in node.body if isinstance(n, ast.FunctionDef)]
            for owner, fn in found:
                if fn.name.startswith("_") or not _params(fn) or "Args:" in (ast.get_docstring(fn) or ""):
                    continue
                if owner and _overrides(_module(path), owner, fn.name):
                    continue
                where = f"{owner}.{fn.name}" if owner else fn.name
                missing.append(f"{path.relative_to(REPO)}:{fn.lineno} {where}")
    return missing


def test_public_functions_document_their_arguments():
    missing = undocumented()
    assert not missing, "no Args: section in\n" + "\n".join(missing)


if __name__ == "__main__":
    print("\n".join(undocumented()))
