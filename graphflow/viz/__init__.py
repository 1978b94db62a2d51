"""Graph visualizer: traced, differentiated, optimized and fused graphs as a standalone,
interactive HTML page (grouped by name scope, collapsible, searchable), or as SVG, DOT, JSON or
text. `render(...)` is the API; `python -m graphflow.viz` (or `graphflow-viz`) the CLI."""
from ..function import VISUALIZERS
from .api import Page, render, visualize
from .html import render_html, save_html

if visualize not in VISUALIZERS:      # ConcreteFunction.visualize / _repr_html_
    VISUALIZERS.append(visualize)

__all__ = ["Page", "render", "render_html", "save_html", "visualize"]
