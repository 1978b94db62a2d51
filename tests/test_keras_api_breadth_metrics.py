"""Keras 3 metrics beyond the basics: streaming values (two update_state calls, and sample
weights) against Keras 3.15 (JAX backend; numbers produced offline and hard-coded), numpy
references, configs, string names and use inside compile/fit/evaluate."""
import numpy as np
import pytest

import graphflow as tf

M = tf.keras.metrics
P = (((np.arange(24).reshape(6, 4) * 0.377) % 1) * 0.9 + 0.05).astype("float32")
YB = ((np.arange(24).reshape(6, 4) * 7) % 5 < 2).astype("float32")
YI = np.array([1, 3, 0, 2, 2, 1])
YOH = np.eye(4, dtype="float32")[YI]
SW = np.array([1.0, 0.5, 2.0, 0.0, 1.5, 1.0], "float32")
R = (np.arange(12).reshape(6, 2) * 0.7 % 3).astype("float32")
RP = (R + ((np.arange(12).reshape(6, 2) * 0.31) % 1) - 0.5).astype("float32")
CASES = {
 "AUC": (lambda: M.AUC(), YB, P),
 "AUC_PR": (lambda: M.AUC(curve="PR"), YB, P),
 "AUC_PR_minoring": (lambda: M.AUC(curve="PR", summation_method="minoring", num_thresholds=50), YB, P),
 "AUC_ROC_majoring": (lambda: M.AUC(summation_method="majoring", num_thresholds=10), YB, P),
 "AUC_thresholds": (lambda: M.AUC(thresholds=[0.2, 0.5, 0.7]), YB, P),
 "AUC_multilabel": (lambda: M.AUC(multi_label=True), YB, P),
 "AUC_multilabel_lw": (lambda: M.AUC(multi_label=True, label_weights=[1, 2, 0.5, 1]), YB, P),
 "AUC_logits": (lambda: M.AUC(from_logits=True, num_thresholds=20), YB, (P - 0.5) * 3),
 "AUC_PRGAIN": (lambda: M.AUC(curve="PRGAIN", num_thresholds=20), YB, P),
 "TP": (lambda: M.TruePositives(thresholds=[0.3, 0.6]), YB, P),
 "FP": (lambda: M.FalsePositives(), YB, P),
 "TN": (lambda: M.TrueNegatives(thresholds=0.4), YB, P),
 "FN": (lambda: M.FalseNegatives(), YB, P),
 "Precision_topk": (lambda: M.Precision(top_k=2), YB, P),
 "Precision_classid": (lambda: M.Precision(class_id=1, thresholds=0.3), YB, P),
 "Recall_topk_classid": (lambda: M.Recall(top_k=2, class_id=2), YB, P),
 "Recall_thresholds": (lambda: M.Recall(thresholds=[0.2, 0.5, 0.8]), YB, P),
 "PrecisionAtRecall": (lambda: M.PrecisionAtRecall(0.6), YB, P),
 "RecallAtPrecision": (lambda: M.RecallAtPrecision(0.4, num_thresholds=50), YB, P),
 "SensitivityAtSpecificity": (lambda: M.SensitivityAtSpecificity(0.7), YB, P),
 "SpecificityAtSensitivity": (lambda: M.SpecificityAtSensitivity(0.5, class_id=1), YB, P),
 "F1_none": (lambda: M.F1Score(), YOH, P),
 "F1_macro_thr": (lambda: M.F1Score(average="macro", threshold=0.5), YB, P),
 "F1_weighted": (lambda: M.F1Score(average="weighted"), YB, P),
 "FBeta_micro": (lambda: M.FBetaScore(average="micro", beta=2.0, threshold=0.4), YB, P),
 "R2": (lambda: M.R2Score(), R, RP),
 "R2_none": (lambda: M.R2Score(class_aggregation=None), R, RP),
 "R2_vw_adj": (lambda: M.R2Score(class_aggregation="variance_weighted_average", num_regressors=2), R, RP),
 "MeanIoU": (lambda: M.MeanIoU(num_classes=4), YI, np.argmax(P, -1)),
 "IoU": (lambda: M.IoU(num_classes=4, target_class_ids=[1, 2], ignore_class=0), YI, np.argmax(P, -1)),
 "OneHotMeanIoU": (lambda: M.OneHotMeanIoU(num_classes=4), YOH, P),
 "SparseTopK": (lambda: M.SparseTopKCategoricalAccuracy(k=2), YI, P),
 "KLD": (lambda: M.KLDivergence(), YOH * 0.9 + 0.025, P / P.sum(-1, keepdims=True)),
 "Hinge": (lambda: M.Hinge(), YB, P - 0.5),
 "SquaredHinge": (lambda: M.SquaredHinge(), YB, P - 0.5),
 "CategoricalHinge": (lambda: M.CategoricalHinge(), YOH, P),
 "LogCoshError": (lambda: M.LogCoshError(), YB, P),
 "CosineSimilarity": (lambda: M.CosineSimilarity(), YB - 0.3, P - 0.5),
 "Poisson": (lambda: M.Poisson(), YB, P),
 "MSLE": (lambda: M.MeanSquaredLogarithmicError(), YB, P),
}

# name: [result after two batches, result with sample weights] from Keras 3.15
KERAS = {
    "AUC": [0.6285713911056519, 0.550000011920929],
    "AUC_PR": [0.564668595790863, 0.5241867303848267],
    "AUC_PR_minoring": [0.5104963779449463, 0.46348947286605835],
    "AUC_ROC_majoring": [0.6714285612106323, 0.610714316368103],
    "AUC_thresholds": [0.6285714507102966, 0.6071428656578064],
    "AUC_multilabel": [0.6875000596046448, 0.6420454382896423],
    "AUC_multilabel_lw": [0.6666667461395264, 0.6414141058921814],
    "AUC_logits": [0.6321428418159485, 0.5607143044471741],
    "AUC_PRGAIN": [0.44563028216362, 0.2762795388698578],
    "TP": [[7.0, 6.0], [6.0, 5.0]],
    "FP": [5.0, 3.0],
    "TN": [7.0, 7.5],
    "FN": [3.0, 4.0],
    "Precision_topk": [0.5, 0.4166666567325592],
    "Precision_classid": [0.3333333432674408, 0.0833333358168602],
    "Recall_topk_classid": [1.0, 1.0],
    "Recall_thresholds": [[0.699999988079071, 0.699999988079071, 0.20000000298023224], [0.6000000238418579, 0.6000000238418579, 0.05000000074505806]],
    "PrecisionAtRecall": [0.75, 0.7058823704719543],
    "RecallAtPrecision": [1.0, 1.0],
    "SensitivityAtSpecificity": [0.699999988079071, 0.6000000238418579],
    "SpecificityAtSensitivity": [0.75, 0.8181818127632141],
    "F1_none": [[0.0, 0.3999999463558197, 0.3999999463558197, 0.0], [0.0, 0.5714284777641296, 0.4999999701976776, 0.0]],
    "F1_macro_thr": [0.6499999761581421, 0.5775161981582642],
    "F1_weighted": [0.3199999928474426, 0.33124998211860657],
    "FBeta_micro": [0.6481481194496155, 0.5714285969734192],
    "R2": [0.8749706745147705, 0.8995281457901001],
    "R2_none": [[0.8869090676307678, 0.8630322217941284], [0.9197775721549988, 0.8792787194252014]],
    "R2_vw_adj": [0.851258397102356, 0.8898994326591492],
    "MeanIoU": [0.125, 0.25],
    "IoU": [0.2916666865348816, 0.5],
    "OneHotMeanIoU": [0.125, 0.25],
    "SparseTopK": [0.6666666865348816, 0.6666666865348816],
    "KLD": [1.2050114870071411, 1.3183413743972778],
    "Hinge": [0.9378250241279602, 0.9436375498771667],
    "SquaredHinge": [0.9444255828857422, 0.9664368033409119],
    "CategoricalHinge": [1.2065500020980835, 1.1794750690460205],
    "LogCoshError": [0.1182895302772522, 0.12473968416452408],
    "CosineSimilarity": [0.2777285575866699, 0.14073634147644043],
    "Poisson": [0.8773496150970459, 0.9258022308349609],
    "MSLE": [0.13284103572368622, 0.13790404796600342]}


@pytest.mark.filterwarnings("ignore:.*truncated to the metric")   # IoU's int weights, as Keras
@pytest.mark.parametrize("name", sorted(CASES))
def test_metric_values_match_keras(name):
    make, t, p = CASES[name]
    streamed, weighted = KERAS[name]
    m = make()
    m.update_state(t[:3], p[:3])
    m.update_state(t[3:], p[3:])
    np.testing.assert_allclose(np.asarray(m.result()), streamed, rtol=2e-5, atol=2e-6)
    m2 = make()
    m2.update_state(t, p, sample_weight=SW)
    np.testing.assert_allclose(np.asarray(m2.result()), weighted, rtol=2e-5, atol=2e-6)
    # reset and config round trip
    m.reset_state()
    again = type(m).from_config(m.get_config())
    again.update_state(t, p, sample_weight=SW)
    np.testing.assert_allclose(np.asarray(again.result()), weighted, rtol=2e-5, atol=2e-6)


def test_auc_roc_against_numpy_ranks():
    """With many thresholds, ROC AUC approaches the rank statistic P(score+ > score-)."""
    rng = np.random.default_rng(1)
    y = rng.integers(0, 2, 400)
    s = np.clip(rng.normal(0.35 + 0.3 * y, 0.2), 0, 1).astype("float32")
    m = M.AUC(num_thresholds=2000)
    m.update_state(y, s)
    pos, neg = s[y == 1], s[y == 0]
    ref = np.mean(pos[:, None] > neg[None, :]) + 0.5 * np.mean(pos[:, None] == neg[None, :])
    np.testing.assert_allclose(float(m.result()), ref, atol=2e-3)


def test_confusion_counts_against_numpy():
    thr = [0.1, 0.45, 0.9]
    c = M.confusion_counts(YB, P, thr, sample_weight=SW)
    w = np.broadcast_to(SW[:, None], P.shape)
    for i, t in enumerate(thr):
        pred = P > t
        np.testing.assert_allclose(c["tp"].numpy()[i], np.sum(w * (pred & (YB > 0))), rtol=1e-6)
        np.testing.assert_allclose(c["tn"].numpy()[i], np.sum(w * (~pred & (YB == 0))), rtol=1e-6)


def test_string_names_and_serialize():
    for name, cls in [("auc", M.AUC), ("AUC", M.AUC), ("f1_score", M.F1Score),
                      ("r2_score", M.R2Score), ("true_positives", M.TruePositives),
                      ("TrueNegatives", M.TrueNegatives), ("kl_divergence", M.KLDivergence),
                      ("msle", M.MeanSquaredLogarithmicError), ("hinge", M.Hinge),
                      ("squared_hinge", M.SquaredHinge), ("poisson", M.Poisson),
                      ("log_cosh_error", M.LogCoshError), ("cosine_similarity", M.CosineSimilarity),
                      ("sparse_top_k_categorical_accuracy", M.SparseTopKCategoricalAccuracy)]:
        m = M.get(name)
        assert type(m) is cls and m.name == name, name
    cfg = M.serialize(M.AUC(curve="PR", num_thresholds=7, multi_label=True, name="prauc"))
    assert cfg["class_name"] == "AUC" and cfg["config"]["curve"] == "PR"
    back = M.deserialize(cfg)
    assert (back.name, back.num_thresholds, back.curve, back.multi_label) == \
        ("prauc", 7, "PR", True)
    assert M.get(M.poisson).name == "poisson"
    assert M.deserialize("poisson") is M.poisson
    with pytest.raises(ValueError, match="beta"):
        M.FBetaScore(beta=2)
    with pytest.raises(ValueError, match="curve"):
        M.AUC(curve="XY")


def test_metrics_in_compile_fit_evaluate():
    tf.keras.utils.set_random_seed(3)
    rng = np.random.default_rng(0)
    x = rng.normal(size=(96, 4)).astype("float32")
    y = (x[:, :1] + 0.3 * x[:, 1:2] > 0).astype("float32")
    model = tf.keras.Sequential([tf.keras.Input((4,)),
                                 tf.keras.layers.Dense(1, activation="sigmoid")])
    model.compile(optimizer=tf.keras.optimizers.Adam(0.05), loss="binary_crossentropy",
                  metrics=["AUC", M.AUC(curve="PR", name="pr_auc"), M.TruePositives(),
                           M.Precision(thresholds=[0.3, 0.7], name="p2"), "hinge",
                           M.F1Score(threshold=0.5), M.PrecisionAtRecall(0.5)],
                  jit_compile=False)
    h = model.fit(x, y, epochs=4, batch_size=32, verbose=0).history
    assert h["AUC"][-1] > h["AUC"][0] and h["loss"][-1] < h["loss"][0]
    res = model.evaluate(x, y, verbose=0, return_dict=True)
    # evaluate's metrics equal fresh metrics on the model's predictions
    pred = model.predict(x, verbose=0)
    for key, m in [("AUC", M.AUC()), ("pr_auc", M.AUC(curve="PR")),
                   ("true_positives", M.TruePositives()), ("hinge", M.Hinge()),
                   ("precision_at_recall", M.PrecisionAtRecall(0.5))]:
        m.update_state(y, pred)
        np.testing.assert_allclose(res[key], float(m.result()), rtol=1e-4, atol=1e-6)
    np.testing.assert_allclose(np.asarray(res["p2"]).ravel(), [
        np.sum((pred > t) & (y > 0)) / max(np.sum(pred > t), 1) for t in (0.3, 0.7)], rtol=1e-4)
    f1 = M.F1Score(threshold=0.5)
    f1.update_state(y, pred)
    np.testing.assert_allclose(np.asarray(res["f1_score"]).ravel(),
                               np.asarray(f1.result()).ravel(), rtol=1e-4)


def test_multilabel_auc_and_r2_in_fit():
    tf.keras.utils.set_random_seed(4)
    rng = np.random.default_rng(2)
    x = rng.normal(size=(64, 3)).astype("float32")
    y = (x[:, :2] > 0).astype("float32")
    model = tf.keras.Sequential([tf.keras.Input((3,)),
                                 tf.keras.layers.Dense(2, activation="sigmoid")])
    model.compile(optimizer=tf.keras.optimizers.Adam(0.05), loss="binary_crossentropy",
                  metrics=[M.AUC(multi_label=True), M.R2Score()], jit_compile=False)
    model.fit(x, y, epochs=2, batch_size=16, verbose=0)
    res = model.evaluate(x, y, verbose=0, return_dict=True)
    pred = model.predict(x, verbose=0)
    ref = M.AUC(multi_label=True)
    ref.update_state(y, pred)
    np.testing.assert_allclose(res["auc"], float(ref.result()), rtol=1e-4)
    ss_res = ((y - pred) ** 2).sum(0)
    ss_tot = ((y - y.mean(0)) ** 2).sum(0)
    np.testing.assert_allclose(res["r2_score"], np.mean(1 - ss_res / ss_tot), rtol=1e-4)


def test_custom_metric_add_variable_keras3_signature():
    class Best(M.Metric):
        def __init__(self, **kw):
            super().__init__(**kw)
            self.best = self.add_variable(shape=(2,), initializer=tf.keras.initializers.Constant(-1.0),
                                          aggregation="max", name="best")

        def update_state(self, values):
            self.best.assign(tf.maximum(self.best, values))

        def result(self):
            return self.best

    m = Best(name="best")
    m.update_state([0.5, -3.0])
    np.testing.assert_array_equal(m.result().numpy(), [0.5, -1.0])
    m.reset_state()
    np.testing.assert_array_equal(m.result().numpy(), [-1.0, -1.0])
