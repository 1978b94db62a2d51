"""Keras 3's `model.summary()` text, character for character: the box table Keras 3.15 prints
through rich when stdout is not a terminal (column widths from `positions` reduced as rich
reduces them, cells word-wrapped, long words cut with `…`, the header aligned to the bottom),
and the ` Total params: 27,243 (106.42 KB)` lines. KERAS_315 is what Keras 3.15 (TF 2.21
backend) printed for the same five models (80-column non-terminal stdout)."""
import pytest

from graphflow import keras

from conftest import summary_rows

KERAS_315 = """\
Model: "mnist_model"
┏━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━━━━┓
┃ Layer (type)                    ┃ Output Shape           ┃       Param # ┃
┡━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━━━━┩
│ img (InputLayer)                │ (None, 28, 28, 1)      │             0 │
├─────────────────────────────────┼────────────────────────┼───────────────┤
│ conv (Conv2D)                   │ (None, 26, 26, 16)     │           160 │
├─────────────────────────────────┼────────────────────────┼───────────────┤
│ pool (MaxPooling2D)             │ (None, 13, 13, 16)     │             0 │
├─────────────────────────────────┼────────────────────────┼───────────────┤
│ flat (Flatten)                  │ (None, 2704)           │             0 │
├─────────────────────────────────┼────────────────────────┼───────────────┤
│ hidden (Dense)                  │ (None, 10)             │        27,050 │
├─────────────────────────────────┼────────────────────────┼───────────────┤
│ head (Dense)                    │ (None, 3)              │            33 │
└─────────────────────────────────┴────────────────────────┴───────────────┘
 Total params: 27,243 (106.42 KB)
 Trainable params: 27,243 (106.42 KB)
 Non-trainable params: 0 (0.00 B)
Model: "seq"
┏━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━━━━┓
┃ Layer (type)                    ┃ Output Shape           ┃       Param # ┃
┡━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━━━━┩
│ d1 (Dense)                      │ (None, 4)              │            16 │
├─────────────────────────────────┼────────────────────────┼───────────────┤
│ batch_normalization             │ (None, 4)              │            16 │
│ (BatchNormalization)            │                        │               │
├─────────────────────────────────┼────────────────────────┼───────────────┤
│ d2 (Dense)                      │ (None, 2)              │            10 │
└─────────────────────────────────┴────────────────────────┴───────────────┘
 Total params: 42 (168.00 B)
 Trainable params: 34 (136.00 B)
 Non-trainable params: 8 (32.00 B)
Model: "unbuilt"
┏━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━━━━┓
┃ Layer (type)                    ┃ Output Shape           ┃       Param # ┃
┡━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━━━━┩
│ u1 (Dense)                      │ ?                      │   0 (unbuilt) │
├─────────────────────────────────┼────────────────────────┼───────────────┤
│ u2 (Dense)                      │ ?                      │   0 (unbuilt) │
└─────────────────────────────────┴────────────────────────┴───────────────┘
 Total params: 0 (0.00 B)
 Trainable params: 0 (0.00 B)
 Non-trainable params: 0 (0.00 B)
Model: "two_in"
┏━━━━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━┳━━━━━━━━━━━━━━━━━━━┓
┃ Layer (type)        ┃ Output Shape      ┃    Param # ┃ Connected to      ┃
┡━━━━━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━╇━━━━━━━━━━━━━━━━━━━┩
│ input_layer_1       │ (None, 5)         │          0 │ -                 │
│ (InputLayer)        │                   │            │                   │
├─────────────────────┼───────────────────┼────────────┼───────────────────┤
│ dense_5 (Dense)     │ (None, 2)         │         12 │ input_layer_1[0]… │
├─────────────────────┼───────────────────┼────────────┼───────────────────┤
│ b (InputLayer)      │ (None, 5)         │          0 │ -                 │
├─────────────────────┼───────────────────┼────────────┼───────────────────┤
│ concatenate         │ (None, 7)         │          0 │ dense_5[0][0],    │
│ (Concatenate)       │                   │            │ b[0][0]           │
└─────────────────────┴───────────────────┴────────────┴───────────────────┘
 Total params: 12 (48.00 B)
 Trainable params: 12 (48.00 B)
 Non-trainable params: 0 (0.00 B)
Model: "lstm_model"
┏━━━━━━━━━━━━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━┳━━━━━━━┓
┃ Layer (type)                ┃ Output Shape          ┃    Param # ┃ Trai… ┃
┡━━━━━━━━━━━━━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━╇━━━━━━━┩
│ seq_in (InputLayer)         │ (None, 6, 3)          │          0 │   -   │
├─────────────────────────────┼───────────────────────┼────────────┼───────┤
│ lstm (LSTM)                 │ [(None, 6, 4), (None, │        128 │   Y   │
│                             │ 4), (None, 4)]        │            │       │
├─────────────────────────────┼───────────────────────┼────────────┼───────┤
│ inner (Sequential)          │ (None, 3)             │         15 │   Y   │
├─────────────────────────────┼───────────────────────┼────────────┼───────┤
│    └ dense (Dense)          │ (None, 3)             │         15 │   N   │
├─────────────────────────────┼───────────────────────┼────────────┼───────┤
│    └ dropout (Dropout)      │ (None, 3)             │          0 │   -   │
└─────────────────────────────┴───────────────────────┴────────────┴───────┘
 Total params: 143 (572.00 B)
 Trainable params: 128 (512.00 B)
 Non-trainable params: 15 (60.00 B)
"""

L = keras.layers
def models():
    """The five models (and summary() arguments) KERAS_315 was printed for."""
    inputs = keras.Input(shape=(28, 28, 1), name="img")
    x = L.Conv2D(16, 3, activation="relu", name="conv")(inputs)
    x = L.MaxPooling2D(2, name="pool")(x)
    x = L.Flatten(name="flat")(x)
    x = L.Dense(10, name="hidden")(x)
    y = L.Dense(3, name="head")(x)
    yield keras.Model(inputs, y, name="mnist_model"), {}
    yield keras.Sequential([keras.Input((3,)), L.Dense(4, name="d1"),
                            L.BatchNormalization(name="batch_normalization"),
                            L.Dense(2, name="d2")], name="seq"), {}
    yield keras.Sequential([L.Dense(4, name="u1"), L.Dense(2, name="u2")], name="unbuilt"), {}
    a = keras.Input((5,), name="input_layer_1"); b = keras.Input((5,), name="b")
    c = L.Concatenate(name="concatenate")([L.Dense(2, name="dense_5")(a), b])
    yield keras.Model([a, b], c, name="two_in"), {}
    inp = keras.Input((6, 3), name="seq_in")
    seq, h, cc = L.LSTM(4, return_sequences=True, return_state=True, name="lstm")(inp)
    inner = keras.Sequential([keras.Input((4,)), L.Dense(3, name="dense"),
                              L.Dropout(0.1, name="dropout")], name="inner")
    inner.layers[0].trainable = False
    yield (keras.Model(inp, [seq, inner(h)], name="lstm_model"),
           dict(expand_nested=True, show_trainable=True))


@pytest.fixture
def eighty_columns(monkeypatch):
    monkeypatch.setenv("COLUMNS", "80")   # what a pipe or log gives Keras (rich's default)


def test_summary_text_equals_keras_315(eighty_columns):
    out = []
    for m, kw in models():
        m.summary(print_fn=out.append, **kw)
    assert len(out) == 5   # print_fn gets each summary in one call, as Keras 3
    assert "".join(out) == KERAS_315


def test_summary_prints_to_stdout_and_layer_range(eighty_columns, capsys):
    (m, _), *_ = models()
    m.summary()
    assert capsys.readouterr().out == KERAS_315[:KERAS_315.index('Model: "seq"')]
    m.summary(layer_range=("pool", "hidden"))
    rows = summary_rows(capsys.readouterr().out)
    assert rows == [["pool (MaxPooling2D)", "(None, 13, 13, 16)", "0"],
                    ["flat (Flatten)", "(None, 2704)", "0"],
                    ["hidden (Dense)", "(None, 10)", "27,050"]]
    with pytest.raises(ValueError, match="layer_range"):
        m.summary(layer_range=("nothing", "here"))


def test_summary_wider_line_is_cropped_at_the_terminal(eighty_columns, capsys):
    """Keras 3.15: line_length=100 lays the table out 100 wide and rich's 80-column console
    crops each line (the Param # column falls off)."""
    m = keras.Sequential([keras.Input((10,), dtype="int32"),
                          keras.layers.Embedding(100, 8, name="emb"),
                          keras.layers.GlobalAveragePooling1D(name="gap"),
                          keras.layers.Dense(1, name="out")])
    m.summary(line_length=100)
    lines = capsys.readouterr().out.splitlines()
    assert lines[1] == "┏" + "━" * 44 + "┳" + "━" * 33 + "┳"
    assert lines[4] == "│ emb (Embedding)" + " " * 28 + "│ (None, 10, 8)" + " " * 19 + "│"
    assert lines[-3] == " Total params: 809 (3.16 KB)"


def test_run_time_dims_show_as_none_as_keras_315(eighty_columns):
    """A layer whose output has a run-time dim (text of any length, video of any number of
    frames) shows None there, as Keras 3.15 - not the trace's symbolic size
    (`floordiv(d0_1 - 7, 3) + 1`) nor the size a shape probe ran with (8)."""
    layers = keras.layers
    inputs = keras.Input(shape=(None,), dtype="int64", name="tokens")
    x = layers.Embedding(100, 8, name="emb")(inputs)
    x = layers.Conv1D(8, 7, activation="relu", strides=3, name="conv")(x)
    x = layers.GlobalMaxPooling1D(name="pool")(x)
    m1 = keras.Model(inputs, layers.Dense(1, name="out")(x), name="text_cnn")
    inp = layers.Input(shape=(None, 8, 8, 1), name="frames")
    x = layers.ConvLSTM2D(4, (5, 5), padding="same", return_sequences=True, name="convlstm")(inp)
    y = layers.Conv3D(1, (3, 3, 3), padding="same", name="conv3d")(x)
    m2 = keras.Model(inp, y, name="video")
    out = []
    m1.summary(print_fn=out.append)
    m2.summary(print_fn=out.append)
    assert "".join(out) == RUN_TIME_DIMS_315


RUN_TIME_DIMS_315 = """\
Model: "text_cnn"
┏━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━━━━┓
┃ Layer (type)                    ┃ Output Shape           ┃       Param # ┃
┡━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━━━━┩
│ tokens (InputLayer)             │ (None, None)           │             0 │
├─────────────────────────────────┼────────────────────────┼───────────────┤
│ emb (Embedding)                 │ (None, None, 8)        │           800 │
├─────────────────────────────────┼────────────────────────┼───────────────┤
│ conv (Conv1D)                   │ (None, None, 8)        │           456 │
├─────────────────────────────────┼────────────────────────┼───────────────┤
│ pool (GlobalMaxPooling1D)       │ (None, 8)              │             0 │
├─────────────────────────────────┼────────────────────────┼───────────────┤
│ out (Dense)                     │ (None, 1)              │             9 │
└─────────────────────────────────┴────────────────────────┴───────────────┘
 Total params: 1,265 (4.94 KB)
 Trainable params: 1,265 (4.94 KB)
 Non-trainable params: 0 (0.00 B)
Model: "video"
┏━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━━━━┓
┃ Layer (type)                    ┃ Output Shape           ┃       Param # ┃
┡━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━━━━┩
│ frames (InputLayer)             │ (None, None, 8, 8, 1)  │             0 │
├─────────────────────────────────┼────────────────────────┼───────────────┤
│ convlstm (ConvLSTM2D)           │ (None, None, 8, 8, 4)  │         2,016 │
├─────────────────────────────────┼────────────────────────┼───────────────┤
│ conv3d (Conv3D)                 │ (None, None, 8, 8, 1)  │           109 │
└─────────────────────────────────┴────────────────────────┴───────────────┘
 Total params: 2,125 (8.30 KB)
 Trainable params: 2,125 (8.30 KB)
 Non-trainable params: 0 (0.00 B)
"""
