"""Graph visualizer: render traced, differentiated and fused graphs as a standalone HTML page."""
from .html import render_html, save_html

__all__ = ["render_html", "save_html"]
