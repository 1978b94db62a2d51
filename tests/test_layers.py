"""The package's import layers (see graphflow/__init__.py): imports point down only.

Reads every `import` in graphflow/ (top-level and inside functions), maps each module to its
layer and fails on an import of a higher layer, on an import cycle among module top levels, on
bottom-of-file imports and on private names imported across modules.
"""
import ast
import os

import networkx as nx
import pytest

PKG = os.path.join(os.path.dirname(__file__), "..", "graphflow")

#: (layer, module prefixes), lowest first. A module belongs to the first layer with the longest
#: matching prefix; a new module must be placed here (the test fails for unplaced modules).
LAYERS = [
    ("base", ["graphflow.errors", "graphflow.dtypes", "graphflow.nest", "graphflow.nest_api", "graphflow.digraph",
              "graphflow.indexing", "graphflow.shapes", "graphflow.blas_threads", "graphflow.lazy",
              "graphflow.farmhash", "graphflow.tensor_format"]),
    ("op table + trace state", ["graphflow.ops.registry", "graphflow.state"]),
    ("values", ["graphflow.tensor"]),
    ("dispatch + IR", ["graphflow.dispatch", "graphflow.graph", "graphflow.evaluate",
                       "graphflow.graph_def"]),
    ("ops", ["graphflow.ops", "graphflow.ragged", "graphflow.ragged_traced", "graphflow.strings",
             "graphflow.sparse",
             "graphflow.sparse_embedding", "graphflow.edit_distance",
             "graphflow.io", "graphflow.indexed_slices", "graphflow.audio",
             "graphflow.strings_unicode",
             "graphflow.linalg_operators", "graphflow.linalg_extras",
             "graphflow.image_jpeg"]),
    ("autodiff + control flow", ["graphflow.autodiff", "graphflow.tape", "graphflow.control_ops",
                                 "graphflow.control_flow", "graphflow.custom_gradient",
                                 "graphflow.py_func", "graphflow.api_extras", "graphflow.lookup",
                                 "graphflow.core_extras", "graphflow.extension_type", "graphflow.types_api",
                                 "graphflow.ctc_decode", "graphflow.nn_compat",
                                 "graphflow.compat_api"]),
    ("passes", ["graphflow.passes"]),
    ("backends", ["graphflow.backends"]),
    ("function", ["graphflow.autograph", "graphflow.function", "graphflow.module"]),
    ("applications", ["graphflow.keras", "graphflow.viz", "graphflow.distribute",
                      "graphflow.data", "graphflow.debugging", "graphflow.summary",
                      "graphflow.checkpoint", "graphflow.saved_model", "graphflow.experimental",
                      "graphflow.test_util"]),
    ("package", ["graphflow"]),
]


def _modules():
    out = {}
    for root, _, files in os.walk(PKG):
        for f in files:
            if f.endswith(".py"):
                path = os.path.join(root, f)
                rel = os.path.relpath(path, os.path.join(PKG, ".."))[:-3].replace(os.sep, ".")
                name = rel[:-len(".__init__")] if rel.endswith(".__init__") else rel
                out[name] = (path, f == "__init__.py")
    return out


MODULES = _modules()


def layer_of(mod):
    best = None
    for i, (_, prefixes) in enumerate(LAYERS):
        for p in prefixes:
            if (mod == p or mod.startswith(p + ".")) and (best is None or len(p) > best[1]):
                best = (i, len(p))
    return None if best is None else best[0]


def _resolve(mod, is_pkg, node):
    """The graphflow modules an import statement names (a `from X import y` of a submodule
    names the submodule)."""
    if isinstance(node, ast.Import):
        return [a.name for a in node.names if a.name.startswith("graphflow")]
    if node.level:
        base = mod.split(".") if is_pkg else mod.split(".")[:-1]
        base = base[:len(base) - node.level + 1]
        target = ".".join(base + ([node.module] if node.module else []))
    else:
        target = node.module or ""
    if not target.startswith("graphflow"):
        return []
    out = []
    for a in node.names:
        sub = f"{target}.{a.name}"
        out.append(sub if sub in MODULES else target)
    return out


def _imports():
    """[(module, imported module, lineno, top_level, names)] for every graphflow import."""
    rows = []
    for mod, (path, is_pkg) in MODULES.items():
        tree = ast.parse(open(path).read())
        top = {id(n) for n in tree.body}
        for node in ast.walk(tree):
            if isinstance(node, (ast.Import, ast.ImportFrom)):
                for target in _resolve(mod, is_pkg, node):
                    rows.append((mod, target, node.lineno, id(node) in top,
                                 [a.name for a in node.names]))
    return rows


IMPORTS = _imports()


def test_every_module_has_a_layer():
    missing = sorted(m for m in MODULES if layer_of(m) is None)
    assert not missing, f"modules not placed in LAYERS: {missing}"


def test_imports_point_down():
    bad = []
    for mod, target, line, _, _ in IMPORTS:
        if target == "graphflow" or target not in MODULES:
            continue
        lm, lt = layer_of(mod), layer_of(target)
        if lt > lm:
            bad.append(f"{mod}:{line} imports {target} ({LAYERS[lt][0]} above {LAYERS[lm][0]})")
    assert not bad, "upward imports:\n" + "\n".join(bad)


def test_no_import_cycles():
    g = nx.DiGraph()
    for mod, target, _, top, _ in IMPORTS:
        if top and target in MODULES and target != mod and not mod.startswith(target + "."):
            g.add_edge(mod, target)
    cycles = list(nx.simple_cycles(g))
    assert not cycles, f"import cycles among module top levels: {cycles[:5]}"


@pytest.mark.parametrize("mod", sorted(MODULES))
def test_no_bottom_of_file_imports(mod):
    path, _ = MODULES[mod]
    tree = ast.parse(open(path).read())
    seen_code = False
    for node in tree.body:
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            assert not seen_code, (f"{mod}:{node.lineno}: import after code (imports belong at "
                                   "the top; a needed cycle means a layer is wrong)")
        elif isinstance(node, (ast.FunctionDef, ast.ClassDef, ast.AsyncFunctionDef)):
            seen_code = True


def test_no_private_names_across_modules():
    bad = sorted({f"{mod}:{line} imports {n} from {target}"
                  for mod, target, line, _, names in IMPORTS
                  for n in names if n.startswith("_") and not n.startswith("__") and target != mod})
    assert not bad, "private names imported across modules:\n" + "\n".join(bad)
