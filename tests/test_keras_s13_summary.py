"""Keras 3's summary of the time-series tutorial's autoregressive FeedBack model (a subclassed
model calling an LSTMCell and an RNN(return_state=True) of it): the cell has no output shape
('?', Keras' cells have no compute_output_shape) and the RNN's outputs are a tuple, as Keras 3's
RNN.call returns them. Expected text printed by Keras 3 on TF 2.21."""
import graphflow as tf

EXPECTED = """\
Model: "feed_back"
┏━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━━━━┓
┃ Layer (type)                    ┃ Output Shape           ┃       Param # ┃
┡━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━━━━┩
│ lstm_cell (LSTMCell)            │ ?                      │           128 │
├─────────────────────────────────┼────────────────────────┼───────────────┤
│ rnn (RNN)                       │ ((2, 4), (2, 4), (2,   │           128 │
│                                 │ 4))                    │               │
├─────────────────────────────────┼────────────────────────┼───────────────┤
│ dense (Dense)                   │ (2, 3)                 │            15 │
└─────────────────────────────────┴────────────────────────┴───────────────┘
 Total params: 143 (572.00 B)
 Trainable params: 143 (572.00 B)
 Non-trainable params: 0 (0.00 B)
"""


class FeedBack(tf.keras.Model):
    def __init__(self, units, out_steps):
        super().__init__(name="feed_back")   # (names fixed: other tests take the auto ones)
        self.out_steps = out_steps
        self.lstm_cell = tf.keras.layers.LSTMCell(units, name="lstm_cell")
        self.lstm_rnn = tf.keras.layers.RNN(self.lstm_cell, return_state=True, name="rnn")
        self.dense = tf.keras.layers.Dense(3, name="dense")

    def call(self, inputs, training=None):
        x, *state = self.lstm_rnn(inputs)
        prediction = self.dense(x)
        predictions = [prediction]
        for _ in range(1, self.out_steps):
            x, state = self.lstm_cell(prediction, states=state, training=training)
            prediction = self.dense(x)
            predictions.append(prediction)
        return tf.transpose(tf.stack(predictions), [1, 0, 2])


def test_feedback_model_summary_and_rnn_state_tuple():
    m = FeedBack(4, 2)
    y = m(tf.ones((2, 5, 3)))
    assert tuple(y.shape) == (2, 2, 3)
    out = m.lstm_rnn(tf.ones((2, 5, 3)))
    assert type(out) is tuple and len(out) == 3
    lines = []
    m.summary(print_fn=lines.append)
    assert "".join(lines) == EXPECTED
