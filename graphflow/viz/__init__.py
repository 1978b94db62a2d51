"""Graph visualizer: traced, differentiated, optimized and fused graphs as a standalone,
interactive HTML page (grouped by name scope, collapsible, searchable), or as SVG, DOT, JSON or
text. `render(...)` is the API; `python -m graphflow.viz` (or `graphflow-viz`) the CLI."""
from .api import render
from .html import render_html, save_html

__all__ = ["render", "render_html", "save_html"]
