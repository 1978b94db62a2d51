"""The box table `Model.summary()` prints, laid out as Keras 3 lays it out with `rich` (whose
plain-text output is what a log or a pipe shows): column widths from `positions`, rich's
width reduction when padding overflows the line, word wrapping inside cells, a long word cut
with `…`, and the HEAVY_HEAD box (a heavy header, a light line between rows).

Pure Python (no `rich` dependency): the layout rules are rich's, applied to plain text.

>>> print(box_table(["Layer (type)", "Param #"], [["dense (Dense)", "12"]],
...                 [0.7, 1.0], ["left", "right"], 30), end="")
┏━━━━━━━━━━━━━━━━━━━┳━━━━━━━━┓
┃                   ┃  Param ┃
┃ Layer (type)      ┃      # ┃
┡━━━━━━━━━━━━━━━━━━━╇━━━━━━━━┩
│ dense (Dense)     │     12 │
└───────────────────┴────────┘
"""
import re
import shutil

_WORD = re.compile(r"\s*\S+\s*")


def terminal_columns():
    """The terminal's width (the `COLUMNS` variable, else the terminal, else 80), as Keras's
    summary reads it.

    >>> terminal_columns() > 0
    True
    """
    return shutil.get_terminal_size().columns


def column_widths(positions, line_length):
    """Each column's width including its 1-space padding on both sides, after rich's even
    reduction to fit `line_length` less the borders (Keras gives every column a fixed width
    `int(pos * line_length) - previous`).

    >>> column_widths([0.45, 0.80, 1.0], 76)
    [33, 24, 15]
    """
    widths, current = [], 0
    for pos in positions:
        width = int(pos * line_length) - current if pos <= 1 else int(pos) - current
        if width < 4:
            raise ValueError(f"Model.summary: insufficient console width to print the "
                             f"summary (line_length={line_length}, positions={positions})")
        widths.append(width)
        current += width
    line_length = current if positions[-1] > 1 else line_length
    max_width = line_length - (len(widths) + 1)
    widths = [w + 2 for w in widths]
    excess = sum(widths) - max_width
    if excess > 0:   # rich's ratio_reduce with equal ratios
        total_ratio, out = len(widths), []
        for w in widths:
            cut = min(w, round(excess / total_ratio))
            out.append(w - cut)
            excess -= cut
            total_ratio -= 1
        widths = out
    return widths


def _divide(text, width):
    """rich's `divide_line` without folding: offsets where `text` breaks into lines."""
    breaks, offset = [], 0
    for m in _WORD.finditer(text):
        start, word = m.start(), m.group(0)
        length = len(word.rstrip())
        if width - offset >= length:
            offset += len(word)
        elif length > width:
            if start:
                breaks.append(start)
            offset = len(word)
        elif offset and start:
            breaks.append(start)
            offset = len(word)
    return breaks


def wrap_cell(text, width, justify="left"):
    """The lines of one cell `width` characters wide: words wrapped as rich wraps them, a
    word longer than the cell cut with `…`, then justified ("left", "right", "center").

    >>> wrap_cell("batch_normalization (BatchNormalization)", 31)
    ['batch_normalization            ', '(BatchNormalization)           ']
    >>> wrap_cell("input_layer_1[0][0]", 17)
    ['input_layer_1[0]…']
    """
    if width < 1:   # a column squeezed to its padding shows nothing
        return [""]
    lines = []
    for para in str(text).split("\n"):
        cuts = [0] + _divide(para, width) + [len(para)]
        for a, b in zip(cuts, cuts[1:]):
            line = para[a:b]
            if len(line) > width:   # trailing spaces beyond the width go first
                trail = len(line) - len(line.rstrip())
                line = line[:len(line) - min(trail, len(line) - width)]
            if justify != "left":
                line = line.rstrip()
            if len(line) > width:
                line = line[:width - 1] + "…"
            if justify == "right":
                line = " " * (width - len(line)) + line
            elif justify == "center":
                line = " " * ((width - len(line)) // 2) + line
            lines.append(line + " " * (width - len(line)))
    return lines


def box_table(header, rows, positions, alignment, line_length):
    """The whole table as text (one line per row of text, each ending in a newline): rich's
    `Table(show_lines=True, width=line_length)` with the HEAVY_HEAD box, as Keras 3's summary
    builds it (see the module example); lines wider than the terminal are cropped, as rich's
    console crops them."""
    widths = column_widths(positions, line_length)
    text = _table_text(header, rows, alignment, widths)
    cols = terminal_columns()
    return "".join(line[:cols] + "\n" for line in text.splitlines())


def _table_text(header, rows, alignment, widths):
    def rule(left, fill, mid, right):
        return left + mid.join(fill * w for w in widths) + right + "\n"

    def row_text(cells, bar, bottom=False):
        cols = [wrap_cell(c, w - 2, j) for c, w, j in zip(cells, widths, alignment)]
        height = max(len(c) for c in cols)
        if bottom:   # rich aligns the header's cells to the bottom, the body's to the top
            cols = [[" " * (w - 2)] * (height - len(c)) + c for c, w in zip(cols, widths)]
        out = ""
        for i in range(height):
            parts = [" " + (c[i] if i < len(c) else " " * (w - 2)) + " "
                     for c, w in zip(cols, widths)]
            out += bar + bar.join(parts) + bar + "\n"
        return out

    text = rule("┏", "━", "┳", "┓") + row_text(header, "┃", bottom=True)
    text += rule("┡", "━", "╇", "┩")
    for i, r in enumerate(rows):
        if i:
            text += rule("├", "─", "┼", "┤")
        text += row_text(r, "│")
    return text + rule("└", "─", "┴", "┘")
