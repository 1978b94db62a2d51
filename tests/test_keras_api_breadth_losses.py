"""Keras 3 losses beyond the basics: values against Keras 3.15 (JAX backend, numbers produced
offline and hard-coded here), numpy references, configs, serialize/deserialize and `get`."""
import numpy as np
import pytest

import graphflow as tf

L = tf.keras.losses

YP = (((np.arange(12).reshape(3, 4) * 0.37) % 1) * 0.9 + 0.05).astype("float32")
YB = (np.arange(12).reshape(3, 4) % 3 == 0).astype("float32")
YOH = np.eye(4, dtype="float32")[[1, 3, 0]]
YPN = YP / YP.sum(-1, keepdims=True)
LOGITS = (YP - 0.5) * 4
SW = np.array([1.0, 0.5, 2.0], "float32")

# name: (loss, y_true, y_pred, [default reduction, with SW, reduction="sum"]) from Keras 3.15
CASES = {
    "MeanSquaredLogarithmicError": (lambda: L.MeanSquaredLogarithmicError(), YB * 3, YP * 2,
                                    [0.7997288703918457, 0.8931903839111328, 2.399186611175537]),
    "CosineSimilarity": (lambda: L.CosineSimilarity(), YB - 0.3, YP - 0.5,
                         [0.6685113906860352, 0.6393542885780334, 2.0055341720581055]),
    "LogCosh": (lambda: L.LogCosh(), YB, YP * 3,
                [0.803563117980957, 0.9397749900817871, 2.410689353942871]),
    "Poisson": (lambda: L.Poisson(), YB * 2, YP,
                [1.681882381439209, 1.8246768712997437, 5.045647144317627]),
    "Hinge": (lambda: L.Hinge(), YB, YP - 0.5,
              [1.157500147819519, 1.3279167413711548, 3.4725003242492676]),
    "Hinge_pm1": (lambda: L.Hinge(), 2 * YB - 1, YP - 0.5,
                  [1.157500147819519, 1.3279167413711548, 3.4725003242492676]),
    "SquaredHinge": (lambda: L.SquaredHinge(), YB, YP - 0.5,
                     [1.3927196264266968, 1.5912336111068726, 4.178158760070801]),
    "CategoricalHinge": (lambda: L.CategoricalHinge(), YOH, YP,
                         [1.1109999418258667, 1.1606667041778564, 3.3329999446868896]),
    "BinaryFocal": (lambda: L.BinaryFocalCrossentropy(), YB, YP,
                    [0.8486340045928955, 1.0029184818267822, 2.5459020137786865]),
    "BinaryFocal_bal_logits": (
        lambda: L.BinaryFocalCrossentropy(apply_class_balancing=True, alpha=0.3, gamma=1.5,
                                          from_logits=True, label_smoothing=0.1), YB, LOGITS,
        [0.3362151086330414, 0.4018855094909668, 1.0086452960968018]),
    "CategoricalFocal": (lambda: L.CategoricalFocalCrossentropy(), YOH, YPN,
                         [0.12842048704624176, 0.12066014856100082, 0.3852614760398865]),
    "CategoricalFocal_logits": (
        lambda: L.CategoricalFocalCrossentropy(alpha=0.5, gamma=3.0, from_logits=True,
                                               label_smoothing=0.2), YOH, LOGITS,
        [0.35297223925590515, 0.3416464328765869, 1.058916687965393]),
    "Dice": (lambda: L.Dice(), YB, YP, [0.8324540853500366, None, 0.8324540853500366]),
    "Dice_axis": (lambda: L.Dice(axis=1), YB, YP, [0.8311362266540527, None, 2.493408679962158]),
    "Tversky": (lambda: L.Tversky(alpha=0.3, beta=0.7), YB, YP,
                [0.8422912955284119, None, 0.8422912955284119]),
    "Tversky_axis": (lambda: L.Tversky(axis=1), YB, YP,
                     [0.8311362266540527, None, 2.493408679962158]),
    "KLDivergence": (lambda: L.KLDivergence(), YOH * 0.9 + 0.025, YPN,
                     [0.8137950301170349, 0.8344020843505859, 2.44138503074646]),
    "Huber": (lambda: L.Huber(delta=0.3), YB, YP,
              [0.15370704233646393, 0.1737890988588333, 0.461121141910553]),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_loss_values_match_keras(name):
    make, yt, yp, (plain, weighted, summed) = CASES[name]
    loss = make()
    np.testing.assert_allclose(float(loss(yt, yp)), plain, rtol=2e-5, atol=1e-6)
    if weighted is not None:
        np.testing.assert_allclose(float(loss(yt, yp, sample_weight=SW)), weighted, rtol=2e-5)
    loss.reduction = "sum"
    np.testing.assert_allclose(float(loss(yt, yp)), summed, rtol=2e-5, atol=1e-6)
    # the config rebuilds an equal loss
    again = type(loss).from_config(loss.get_config())
    np.testing.assert_allclose(float(again(yt, yp)), summed, rtol=1e-6, atol=1e-7)


def test_loss_functions_against_numpy():
    yt, yp = YB * 3, YP * 2
    np.testing.assert_allclose(
        L.msle(yt, yp).numpy(), np.mean((np.log1p(yp) - np.log1p(np.maximum(yt, 1e-7))) ** 2, -1),
        rtol=1e-5)
    np.testing.assert_allclose(L.logcosh(YB, YP * 3).numpy(),
                               np.mean(np.log(np.cosh(YP * 3 - YB)), -1), rtol=1e-5)
    np.testing.assert_allclose(L.poisson(YB, YP).numpy(),
                               np.mean(YP - YB * np.log(YP + 1e-7), -1), rtol=1e-5)
    np.testing.assert_allclose(L.hinge(YB, YP).numpy(),
                               np.mean(np.maximum(1 - (2 * YB - 1) * YP, 0), -1), rtol=1e-6)
    # labels that are not all 0/1 are left alone
    yt = np.array([[0.5, -1.0]], "float32")
    np.testing.assert_allclose(L.squared_hinge(yt, [[0.2, 0.3]]).numpy(),
                               [np.mean(np.maximum(1 - yt * [0.2, 0.3], 0) ** 2)], rtol=1e-6)
    cos = L.cosine_similarity(YB - 0.3, YP - 0.5).numpy()
    a, b = YB - 0.3, YP - 0.5
    ref = -np.sum(a * b, -1) / np.linalg.norm(a, axis=-1) / np.linalg.norm(b, axis=-1)
    np.testing.assert_allclose(cos, ref, rtol=1e-5)
    np.testing.assert_allclose(float(L.cosine_similarity([[0., 0.]], [[1., 2.]])[0]), 0.0)


def test_reduction_names():
    assert L.Reduction.all() == ("auto", "none", "sum", "sum_over_batch_size")
    with pytest.raises(ValueError, match="Invalid Reduction Key"):
        L.Reduction.validate("average")
    per = L.Poisson(reduction=L.Reduction.NONE)(YB, YP)
    assert per.shape == (3,)
    np.testing.assert_allclose(float(L.Poisson(reduction="mean")(YB, YP)), per.numpy().mean(),
                               rtol=1e-6)
    # Keras 3: sum of weighted losses / sum of weights
    w = L.Poisson(reduction="mean_with_sample_weight")(YB, YP, sample_weight=SW)
    np.testing.assert_allclose(float(w), float(np.sum(per.numpy() * SW) / SW.sum()), rtol=1e-6)
    with pytest.raises(ValueError, match="reduction"):
        L.Poisson(reduction="avg")


def test_get_serialize_deserialize():
    for name, cls in [("msle", L.MeanSquaredLogarithmicError), ("logcosh", L.LogCosh),
                      ("log_cosh", L.LogCosh), ("poisson", L.Poisson), ("hinge", L.Hinge),
                      ("squared_hinge", L.SquaredHinge), ("categorical_hinge", L.CategoricalHinge),
                      ("cosine_similarity", L.CosineSimilarity), ("dice", L.Dice),
                      ("tversky", L.Tversky), ("CategoricalFocalCrossentropy",
                                               L.CategoricalFocalCrossentropy),
                      ("binary_focal_crossentropy", L.BinaryFocalCrossentropy), ("bce",
                                                                               L.BinaryCrossentropy)]:
        assert type(L.get(name)) is cls, name
    cfg = L.serialize(L.BinaryFocalCrossentropy(gamma=3.0, name="f"))
    assert cfg["class_name"] == "BinaryFocalCrossentropy" and cfg["module"] == "keras.losses"
    assert cfg["config"]["gamma"] == 3.0 and cfg["config"]["name"] == "f"
    back = L.deserialize(cfg)
    assert type(back) is L.BinaryFocalCrossentropy and back.gamma == 3.0 and back.name == "f"
    assert L.serialize(L.hinge) == {"module": "builtins", "class_name": "function",
                                    "config": "hinge", "registered_name": "function"}
    assert L.deserialize(L.serialize(L.hinge)) is L.hinge
    assert type(L.get({"class_name": "Tversky", "config": {"alpha": 0.2}})) is L.Tversky
    # Keras 3's configs load (Keras writes only name and reduction for Huber)
    assert L.Huber.from_config({"name": "huber_loss", "reduction": "sum_over_batch_size"}).name \
        == "huber_loss"


def test_new_losses_train_in_fit():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(64, 3)).astype("float32")
    y = (x[:, :1] > 0).astype("float32")
    for loss in ["hinge", "squared_hinge", L.BinaryFocalCrossentropy(), "poisson", "log_cosh"]:
        model = tf.keras.Sequential([tf.keras.Input((3,)),
                                     tf.keras.layers.Dense(1, activation="sigmoid")])
        model.compile(optimizer=tf.keras.optimizers.Adam(0.05), loss=loss)
        h = model.fit(x, y, epochs=5, batch_size=16, verbose=0).history["loss"]
        assert h[-1] < h[0], (loss, h)


def test_sparse_crossentropy_with_unknown_dims_checks_them_when_the_graph_runs():
    """Labels (None, None) and logits (None, None, k) traced with distinct unknown dims (an
    input_signature, reduce_retracing) are compatible, as in TF; a mismatch raises at run time."""
    lf = L.SparseCategoricalCrossentropy(from_logits=True)

    @tf.function(input_signature=[tf.TensorSpec([None, None], tf.int32),
                                  tf.TensorSpec([None, None, 5])])
    def f(y, p):
        return lf(y, p)

    y = np.array([[1, 2, 0], [4, 3, 1]], np.int32)
    p = np.random.default_rng(0).normal(size=(2, 3, 5)).astype("float32")
    np.testing.assert_allclose(f(y, p).numpy(), lf(y, p).numpy(), rtol=1e-6)
    with pytest.raises(tf.errors.InvalidArgumentError, match="labels must have shape"):
        f(y, p[:, :2])
