"""`graphflow.viz.render`: one entry point for every output format.

>>> import graphflow as tf
>>> @tf.function(jit_compile=False)
... def f(x):
...     with tf.name_scope("sq"):
...         return tf.reduce_sum(x * x)
>>> print(render(f, tf.ones(3), format="txt", stage="traced"))
%0 = param x() [3] float32
[sq (2)]
  %1 = multiply(%0, %0) [3] float32
  %2 = reduce_sum(%1) [] float32
"""
import html as _html
import json

from . import html as _h


def _concrete(obj, args):
    if hasattr(obj, "get_concrete_function"):
        return obj.get_concrete_function(*args)
    return obj


def render(obj, *example_args, path=None, stage=None, format="html", title=None,
           adjoints="grouped"):
    """Render a `tf.function` (traced on `example_args`), a ConcreteFunction or a Graph.

    format: "html" (interactive page with every stage), "svg" (default view), "dot", "json"
    or "txt"; stage: a stage name ("traced", "dce", "fuse", ...; default: all stages for html,
    the last one otherwise); adjoints: "grouped" (under gradients/...), "hidden" or, for the
    page and the svg, "mirror" (a column per order beside the forward nodes) -- the page's
    initial mode.
    Returns the text, and writes it to `path` when given.
    """
    if adjoints not in ("grouped", "hidden", "mirror") or \
            (adjoints == "mirror" and format not in ("html", "svg")):
        raise ValueError(f"render: adjoints={adjoints!r} with format={format!r}: use grouped or "
                         "hidden (mirror: the html page and the svg draw it)")
    cf = _concrete(obj, example_args)
    stages = _h.stages_of(cf)
    if stage is not None:
        names = [n for n, _ in stages]
        if stage not in names:
            raise KeyError(f"render: no stage {stage!r}; stages: {names}")
        stages = [stages[names.index(stage)]]
    title = title or getattr(getattr(cf, "function", None), "name", None) or "graphflow graph"
    if format == "html":
        out = _h.render_html(stages, title, adjoints, sources=_h.kernel_sources(cf))
    elif format in ("svg", "dot", "txt", "json"):
        views = _h.stage_views(stages if format == "json" else stages[-1:])
        if format == "json":
            out = json.dumps({"title": title, "consts": _h.CONSTS, "stages": views}, default=str)
        else:
            out = _h.svg(views[0], mode=adjoints) if format == "svg" else \
                {"dot": _h.dot, "txt": _h.text}[format](views[0])
    else:
        raise ValueError(f"render: unknown format {format!r} (html, svg, dot, json, txt)")
    if path is not None:
        with open(path, "w") as f:
            f.write(out)
    return out


class Page:
    """A rendered graph: `.text` (html, svg, dot, json or txt), `.format`, `.html` (the
    page, when html), `save(path)`; shown inline in Jupyter (`_repr_html_`: the page in an
    isolated iframe, so several pages in one notebook do not share ids or state).

    >>> Page("<svg/>", "svg")._repr_html_()
    '<svg/>'
    """

    def __init__(self, text, format="html"):
        self.text, self.format = text, format

    @property
    def html(self):
        return self.text if self.format == "html" else None

    def save(self, path):
        with open(path, "w") as f:
            f.write(self.text)
        return path

    def _repr_html_(self):
        if self.format == "svg":
            return self.text
        if self.format != "html":
            return "<pre>" + _html.escape(self.text) + "</pre>"
        return ('<iframe style="width:100%;height:640px;border:1px solid #cbd5e1" '
                f'sandbox="allow-scripts" srcdoc="{_html.escape(self.text, quote=True)}"></iframe>')

    def __str__(self):
        return self.text


def visualize(cf, path=None, stage=None, format="html", title=None):
    """`ConcreteFunction.visualize`: `render` wrapped in a `Page` (inline in notebooks)."""
    return Page(render(cf, path=path, stage=stage, format=format, title=title), format)
