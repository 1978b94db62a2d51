"""keras.utils.plot_model: a picture of a model's layer graph (one box per layer, arrows along
the tensors), drawn with Pillow - no pydot or graphviz needed. `model_to_dot`-style text is
available as `layer_graph(model)` (nodes and edges).

>>> import tempfile, os, graphflow as tf
>>> inp = tf.keras.Input((4,), name="x")
>>> model = tf.keras.Model(inp, tf.keras.layers.Dense(2, name="out")(inp))
>>> layer_graph(model)
(['x', 'out'], [('x', 'out')])
>>> path = os.path.join(tempfile.mkdtemp(), "m.png")
>>> plot_model(model, path, show_shapes=True)
>>> os.path.getsize(path) > 0
True
"""
import numpy as np

from ..nest import flatten
from .layers import KerasTensor
from .models import Sequential


def layer_graph(model):
    """(layer names in order, edges (from, to)) of a functional or Sequential model."""
    if isinstance(model, Sequential):
        try:
            inputs = model.inputs
        except AttributeError:
            inputs = []
        names = [t._input_layer.name for t in inputs] + [l.name for l in model.layers]
        return names, list(zip(names[:-1], names[1:]))
    if not model.__dict__.get("_functional"):
        return [model.name], []
    names = [t._input_layer.name for t in flatten(model._fn_inputs)[0]]
    edges = []
    for node in model._fn_nodes:
        if node.layer.name not in names:
            names.append(node.layer.name)
        for kt in flatten((node.inputs, node.kwargs))[0]:
            if isinstance(kt, KerasTensor):
                src = kt._input_layer if kt._node is None else kt._node.layer
                if (src.name, node.layer.name) not in edges:
                    edges.append((src.name, node.layer.name))
    return names, edges


def _shapes_text(x):
    shapes = [tuple(t.shape) for t in flatten(x)[0] if hasattr(t, "shape")]
    return ", ".join(str(s) for s in shapes) if shapes else "?"


def _io_shapes(model):
    """{layer name: (input text, output text)} from the layer graph's KerasTensors (the
    shapes of the model's first call of each layer; unknown dims are None)."""
    out = {}
    if isinstance(model, Sequential):
        try:
            x = model.inputs[0]
        except AttributeError:
            return out
        out[x._input_layer.name] = (_shapes_text(x), _shapes_text(x))
        for layer in model.layers:
            kt = layer.__dict__.get("_sym_output")
            if kt is not None:
                out[layer.name] = (_shapes_text(x), _shapes_text(kt))
                x = kt
        return out
    for t in flatten(model.__dict__.get("_fn_inputs", []))[0]:
        out[t._input_layer.name] = (_shapes_text(t), _shapes_text(t))
    for node in model.__dict__.get("_fn_nodes", []):
        ins = [v for v in flatten((node.inputs, node.kwargs))[0] if isinstance(v, KerasTensor)]
        out.setdefault(node.layer.name, (_shapes_text(ins), _shapes_text(node.outputs)))
    return out


def _label(layer, shapes, show_shapes, show_dtype, show_layer_names):
    title = f"{layer.name} ({type(layer).__name__})" if show_layer_names else \
        type(layer).__name__
    lines = [title]
    if show_shapes:
        ins, outs = shapes.get(layer.name, ("?", "?"))
        lines += [f"input = {ins}", f"output = {outs}"]
    if show_dtype:
        lines.append(f"dtype = {layer.dtype}")
    return lines


def plot_model(model, to_file="model.png", show_shapes=False, show_dtype=False,
               show_layer_names=True, rankdir="TB", dpi=96, **kwargs):
    """Draw the model's layer graph to `to_file` (PNG/JPEG/GIF/BMP by its extension), top to
    bottom (rankdir="TB") or left to right ("LR"); returns None (Keras 3 without IPython)."""
    try:
        from PIL import Image, ImageDraw, ImageFont
    except ImportError:
        raise ImportError("plot_model needs Pillow: pip install pillow") from None
    names, edges = layer_graph(model)
    by_name = {l.name: l for l in getattr(model, "operations", model.layers)}
    for t in (model.inputs if hasattr(model, "inputs") else []) or []:
        by_name.setdefault(t._input_layer.name, t._input_layer)
    rank = {n: 0 for n in names}
    for _ in names:   # longest path from an input: a layer sits one rank below its inputs
        for a, b in edges:
            rank[b] = max(rank[b], rank[a] + 1)
    font = ImageFont.load_default()
    shapes = _io_shapes(model) if show_shapes else {}
    labels = {n: _label(by_name[n], shapes, show_shapes, show_dtype, show_layer_names)
              if n in by_name else [n] for n in names}
    char_w, line_h, pad, gap = 7, 14, 8, 40
    size = {n: (max(len(s) for s in labels[n]) * char_w + 2 * pad,
                len(labels[n]) * line_h + 2 * pad) for n in names}
    rows = {}
    for n in names:
        rows.setdefault(rank[n], []).append(n)
    horizontal = rankdir == "LR"
    pos, along = {}, gap
    for r in sorted(rows):
        across = gap
        depth = max((size[n][0] if horizontal else size[n][1]) for n in rows[r])
        for n in rows[r]:
            w, h = size[n]
            pos[n] = (along, across) if horizontal else (across, along)
            across += (h if horizontal else w) + gap
        along += depth + gap
    width = max(pos[n][0] + size[n][0] for n in names) + gap
    height = max(pos[n][1] + size[n][1] for n in names) + gap
    img = Image.new("RGB", (int(width), int(height)), "white")
    draw = ImageDraw.Draw(img)
    for a, b in edges:
        (xa, ya), (wa, ha) = pos[a], size[a]
        (xb, yb), (wb, hb) = pos[b], size[b]
        start = (xa + wa, ya + ha / 2) if horizontal else (xa + wa / 2, ya + ha)
        end = (xb, yb + hb / 2) if horizontal else (xb + wb / 2, yb)
        draw.line([start, end], fill="black", width=1)
        d = np.subtract(end, start)
        d = d / max(np.hypot(*d), 1e-9)
        left = np.add(end, -8 * d + 4 * np.array([-d[1], d[0]]))
        right = np.add(end, -8 * d - 4 * np.array([-d[1], d[0]]))
        draw.polygon([end, tuple(left), tuple(right)], fill="black")
    for n in names:
        x, y = pos[n]
        w, h = size[n]
        draw.rectangle([x, y, x + w, y + h], outline="black", fill="#eef3ff")
        for i, s in enumerate(labels[n]):
            draw.text((x + pad, y + pad + i * line_h), s, fill="black", font=font)
    img.save(to_file, dpi=(dpi, dpi))
    return None
