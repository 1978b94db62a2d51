"""Keras 3 optimizers and options beyond the basics: update trajectories (four steps by hand
-chosen gradients) against Keras 3.15 (JAX backend; numbers produced offline and hard-coded),
hand-computed single steps, learning-rate schedules, configs, and training in fit."""
import numpy as np
import pytest

import graphflow as tf

O = tf.keras.optimizers
S = O.schedules
W0 = np.array([1.0, -2.0, 0.5], "float32")
GS = [np.array([0.3, -0.1, 0.8], "float32"), np.array([-0.5, 0.2, 0.1], "float32"),
      np.array([0.05, 0.4, -0.7], "float32"), np.array([0.2, 0.2, 0.2], "float32")]
CASES = {
 "Adadelta": lambda: O.Adadelta(learning_rate=0.5),
 "Adamax": lambda: O.Adamax(learning_rate=0.1),
 "Nadam": lambda: O.Nadam(learning_rate=0.1),
 "Ftrl": lambda: O.Ftrl(learning_rate=0.1),
 "Ftrl_reg": lambda: O.Ftrl(learning_rate=0.2, learning_rate_power=-0.3, l1_regularization_strength=0.01, l2_regularization_strength=0.1, l2_shrinkage_regularization_strength=0.05, beta=0.2, initial_accumulator_value=0.5),
 "Lion": lambda: O.Lion(learning_rate=0.1),
 "Adam_wd_clipnorm": lambda: O.Adam(learning_rate=0.1, weight_decay=0.1, clipnorm=0.5),
 "SGD_globalclip": lambda: O.SGD(learning_rate=0.1, momentum=0.9, global_clipnorm=0.3),
 "RMSprop_clipvalue": lambda: O.RMSprop(learning_rate=0.1, clipvalue=0.25),
 "Adam_ema": lambda: O.Adam(learning_rate=0.1, use_ema=True, ema_momentum=0.5),
 "SGD_ema_overwrite": lambda: O.SGD(learning_rate=0.1, use_ema=True, ema_momentum=0.5, ema_overwrite_frequency=3),
 "Adam_accum": lambda: O.Adam(learning_rate=0.1, gradient_accumulation_steps=2),
 "Nadam_accum": lambda: O.Nadam(learning_rate=0.1, gradient_accumulation_steps=2),
 "SGD_cosine": lambda: O.SGD(learning_rate=S.CosineDecay(0.1, 3, alpha=0.1)),
 "Adam_expdecay": lambda: O.Adam(learning_rate=S.ExponentialDecay(0.1, 2, 0.5, staircase=True)),
 "Lion_wd": lambda: O.Lion(learning_rate=0.1, weight_decay=0.5),
 "Adamax_accum_ema": lambda: O.Adamax(learning_rate=0.1, gradient_accumulation_steps=2, use_ema=True, ema_momentum=0.7),
}

SCHEDULES = {
 "CosineDecay": (S.CosineDecay(0.1, 10, alpha=0.2), [0, 3, 10, 15]),
 "CosineDecay_warmup": (S.CosineDecay(0.01, 10, alpha=0.0, warmup_target=0.1, warmup_steps=5), [0, 2, 5, 9, 15, 30]),
 "CosineDecayRestarts": (S.CosineDecayRestarts(0.1, 4, t_mul=2.0, m_mul=0.5, alpha=0.1), [0, 2, 4, 7, 12, 13, 30]),
 "CosineDecayRestarts_t1": (S.CosineDecayRestarts(0.1, 4, t_mul=1.0, m_mul=0.9), [0, 3, 4, 9]),
 "PolynomialDecay": (S.PolynomialDecay(0.1, 10, end_learning_rate=0.01, power=2.0), [0, 5, 10, 20]),
 "PolynomialDecay_cycle": (S.PolynomialDecay(0.1, 10, end_learning_rate=0.01, power=0.5, cycle=True), [0, 5, 10, 15, 25]),
 "ExponentialDecay": (S.ExponentialDecay(0.1, 4, 0.3), [0, 2, 4, 7]),
 "InverseTimeDecay": (S.InverseTimeDecay(0.1, 4, 0.5, staircase=True), [0, 3, 4, 9]),
 "PiecewiseConstantDecay": (S.PiecewiseConstantDecay([3, 6], [0.1, 0.05, 0.01]), [0, 3, 4, 6, 7]),
}

# name: [variable after each of the 4 steps, after finalize_variable_values] (Keras 3.15)
KERAS = {
    "Adadelta": [[[0.9992929100990295, -1.9992929697036743, 0.49929288029670715], [1.0001561641693115, -2.0001919269561768, 0.49916568398475647], [1.0000404119491577, -2.0013656616210938, 0.499837189912796], [0.9996001720428467, -2.002089023590088, 0.49960625171661377]], None],
    "Adamax": [[[0.9000000357627869, -1.9000000953674316, 0.40000003576278687], [0.9242105484008789, -1.9289474487304688, 0.34599870443344116], [0.9358088374137878, -1.9749805927276611, 0.3442424237728119], [0.932388186454773, -2.022214412689209, 0.33570417761802673]], None],
    "Nadam": [[[0.8937212228775024, -1.893721342086792, 0.39372122287750244], [0.9776313304901123, -1.9818875789642334, 0.37388721108436584], [0.9718678593635559, -2.07723069190979, 0.4373943507671356], [0.9376710057258606, -2.132505416870117, 0.4161452353000641]], None],
    "Ftrl": [[[0.20569905638694763, -0.06292368471622467, 0.22319826483726501], [0.28107690811157227, -0.1145634651184082, 0.2116512507200241], [0.27356043457984924, -0.18640558421611786, 0.2745130956172943], [0.24476779997348785, -0.22021175920963287, 0.2568354308605194]], None],
    "Ftrl_reg": [[[-0.033513143658638, 0.0457107238471508, -0.042247433215379715], [0.047788068652153015, 0.0076797292567789555, -0.05717942491173744], [0.03858065605163574, -0.058983948081731796, 0.040781185030937195], [0.004694548435509205, -0.09252740442752838, 0.011801117099821568]], None],
    "Lion": [[[0.8999999761581421, -1.899999976158142, 0.4000000059604645], [1.0, -2.0, 0.30000001192092896], [0.8999999761581421, -2.0999999046325684, 0.4000000059604645], [0.7999999523162842, -2.1999998092651367, 0.30000001192092896]], None],
    "Adam_wd_clipnorm": [[[0.8900024890899658, -1.8800060749053955, 0.3950013518333435], [0.9267177581787109, -1.9117977619171143, 0.3109610080718994], [0.9486005306243896, -1.9671363830566406, 0.3053119480609894], [0.9407358169555664, -2.0301523208618164, 0.28297489881515503]], None],
    "SGD_globalclip": [[[0.9895377159118652, -1.996512532234192, 0.47210055589675903], [1.0075078010559082, -2.0043282508850098, 0.4415138363838196], [1.0218238830566406, -2.0262181758880615, 0.4399831295013428], [1.017387866973877, -2.063239574432373, 0.4212850034236908]], None],
    "RMSprop_clipvalue": [[[0.6837747693061829, -1.6837880611419678, 0.18377476930618286], [0.9131895303726196, -1.9694994688034058, 0.06091666221618652], [0.865380585193634, -2.2116355895996094, 0.28713923692703247], [0.6953991055488586, -2.383171319961548, 0.12379279732704163]], None],
    "Adam_ema": [[[0.9000017046928406, -1.9000037908554077, 0.40000104904174805], [0.9293573498725891, -1.9366132020950317, 0.32427978515625], [0.9465053081512451, -2.006183385848999, 0.3220049738883972], [0.9409841895103455, -2.0816650390625, 0.30946317315101624]], [0.9357882738113403, -2.0219554901123047, 0.3257679343223572]],
    "SGD_ema_overwrite": [[[0.9700000286102295, -1.9900000095367432, 0.41999998688697815], [1.0199999809265137, -2.009999990463257, 0.4099999964237213], [1.0049999952316284, -2.0250000953674316, 0.44749999046325684], [0.9850000143051147, -2.0450000762939453, 0.4274999797344208]], [0.9950000047683716, -2.0350000858306885, 0.4375]],
    "Adam_accum": [[[1.0, -2.0, 0.5], [1.0999962091445923, -2.0999929904937744, 0.4000013768672943], [1.0999962091445923, -2.0999929904937744, 0.4000013768672943], [1.0837234258651733, -2.184403896331787, 0.37758731842041016]], None],
    "Nadam_accum": [[[1.0, -2.0, 0.5], [1.106278657913208, -2.106278657913208, 0.39372125267982483], [1.106278657913208, -2.106278657913208, 0.39372125267982483], [1.0309877395629883, -2.2082417011260986, 0.4370537996292114]], None],
    "SGD_cosine": [[[0.9700000286102295, -1.9900000095367432, 0.41999998688697815], [1.008750081062317, -2.005500078201294, 0.41224998235702515], [1.0071251392364502, -2.0185000896453857, 0.4349999725818634], [1.0051251649856567, -2.0205001831054688, 0.43299996852874756]], None],
    "Adam_expdecay": [[[0.9000017046928406, -1.9000037908554077, 0.40000104904174805], [0.9293573498725891, -1.9366132020950317, 0.32427978515625], [0.9379312992095947, -1.9713982343673706, 0.3231423795223236], [0.9351707696914673, -2.009139060974121, 0.3168714940547943]], None],
    "Lion_wd": [[[0.8499999642372131, -1.7999999523162842, 0.375], [0.9074999690055847, -1.809999942779541, 0.2562499940395355], [0.7621249556541443, -1.8194999694824219, 0.3434374928474426], [0.624018669128418, -1.8285249471664429, 0.22626563906669617]], None],
    "Adamax_accum_ema": [[[1.0, -2.0, 0.5], [1.0999999046325684, -2.0999996662139893, 0.40000003576278687], [1.0999999046325684, -2.0999996662139893, 0.40000003576278687], [1.0852631330490112, -2.1605260372161865, 0.38185325264930725]], [1.095578908920288, -2.1181576251983643, 0.3945560157299042]]}

# schedule values at the steps above (Keras 3.15)
KERAS_SCHEDULES = {
    "CosineDecay": [0.10000000149011612, 0.08351141214370728, 0.020000001415610313, 0.020000001415610313],
    "CosineDecay_warmup": [0.009999999776482582, 0.04600000008940697, 0.10000000149011612, 0.06545084714889526, 0.0, 0.0],
    "CosineDecayRestarts": [0.10000000149011612, 0.05499999597668648, 0.055000003427267075, 0.04111037775874138, 0.032499998807907104, 0.03228383511304855, 0.021141916513442993],
    "CosineDecayRestarts_t1": [0.10000000149011612, 0.014644661918282509, 0.08999999612569809, 0.0691378265619278],
    "PolynomialDecay": [0.10000000149011612, 0.032499998807907104, 0.009999999776482582, 0.009999999776482582],
    "PolynomialDecay_cycle": [0.10000000149011612, 0.07363960891962051, 0.009999999776482582, 0.054999999701976776, 0.04674234986305237],
    "ExponentialDecay": [0.10000000149011612, 0.054772257804870605, 0.030000001192092896, 0.012160802260041237],
    "InverseTimeDecay": [0.10000000149011612, 0.10000000149011612, 0.06666667014360428, 0.05000000074505806],
    "PiecewiseConstantDecay": [0.10000000149011612, 0.10000000149011612, 0.05000000074505806, 0.05000000074505806, 0.009999999776482582]}


def _run(opt, traced=False):
    v = tf.Variable(W0.copy())
    step = (lambda g: opt.apply_gradients([(g, v)]))
    if traced:
        opt.build([v])
        step = tf.function(step)
    out = []
    for g in GS:
        step(tf.constant(g))
        out.append(v.numpy().copy())
    return v, out


@pytest.mark.parametrize("name", sorted(CASES))
def test_optimizer_trajectory_matches_keras(name):
    traj, final = KERAS[name]
    opt = CASES[name]()
    v, out = _run(opt)
    np.testing.assert_allclose(np.array(out), traj, rtol=2e-5, atol=2e-6)
    if final is not None:
        opt.finalize_variable_values([v])
        np.testing.assert_allclose(v.numpy(), final, rtol=2e-5, atol=2e-6)
    # the same updates from a traced step (one trace serves every step)
    _, out = _run(CASES[name](), traced=True)
    np.testing.assert_allclose(np.array(out), traj, rtol=2e-5, atol=2e-6)


@pytest.mark.parametrize("name", sorted(SCHEDULES))
def test_schedule_values_match_keras(name):
    sched, steps = SCHEDULES[name]
    got = [float(sched(t)) for t in steps]
    np.testing.assert_allclose(got, KERAS_SCHEDULES[name], rtol=1e-5, atol=1e-7)
    again = type(sched).from_config(sched.get_config())
    np.testing.assert_allclose([float(again(t)) for t in steps], got, rtol=1e-6)


def test_hand_computed_first_steps():
    g, w = GS[0].astype(np.float64), W0.astype(np.float64)
    # Adamax step 1: m = 0.1 g, u = |g|, w -= lr m / ((1 - 0.9) (u + eps))
    v, out = _run(O.Adamax(learning_rate=0.1))
    np.testing.assert_allclose(out[0], w - 0.1 * (0.1 * g) / (0.1 * (np.abs(g) + 1e-7)), rtol=1e-5)
    # Lion step 1: w -= lr sign((1 - b1) g)
    _, out = _run(O.Lion(learning_rate=0.1))
    np.testing.assert_allclose(out[0], w - 0.1 * np.sign(g), rtol=1e-6)
    # Adadelta step 1: acc_g = 0.05 g^2, delta = -sqrt(eps) g / sqrt(acc_g + eps)
    _, out = _run(O.Adadelta(learning_rate=1.0))
    delta = -np.sqrt(1e-7) * g / np.sqrt(0.05 * g * g + 1e-7)
    np.testing.assert_allclose(out[0], w + delta, rtol=1e-4)
    # Ftrl (defaults) step 1: acc = 0.1 + g^2, linear = g - (sqrt(acc) - sqrt(0.1)) / lr * w,
    # w = -linear / (sqrt(acc) / lr)
    _, out = _run(O.Ftrl(learning_rate=0.1))
    acc = 0.1 + g * g
    lin = g - (np.sqrt(acc) - np.sqrt(0.1)) / 0.1 * w
    np.testing.assert_allclose(out[0], -lin / (np.sqrt(acc) / 0.1), rtol=1e-5)


def test_gradient_accumulation_updates_every_n_steps():
    opt = O.SGD(learning_rate=1.0, gradient_accumulation_steps=2)
    _, out = _run(opt)
    np.testing.assert_allclose(out[0], W0)                                  # accumulated only
    np.testing.assert_allclose(out[1], W0 - (GS[0] + GS[1]) / 2, rtol=1e-6)
    np.testing.assert_allclose(out[2], out[1])
    np.testing.assert_allclose(out[3], out[1] - (GS[2] + GS[3]) / 2, rtol=1e-6)
    assert int(opt.iterations.numpy()) == 4 and float(opt.update_count()) == 2.0
    with pytest.raises(ValueError, match="gradient_accumulation_steps"):
        O.SGD(gradient_accumulation_steps=1)


def test_new_optimizers_train_and_round_trip():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(128, 3)).astype("float32")
    y = x @ np.array([[1.0], [-2.0], [0.5]], "float32") + 0.3
    for make in [lambda: O.Adadelta(1.0), lambda: O.Adamax(0.05), lambda: O.Nadam(0.05),
                 lambda: O.Ftrl(0.5), lambda: O.Lion(0.05),
                 lambda: O.Adam(S.CosineDecay(0.05, 40, warmup_target=0.1, warmup_steps=5)),
                 lambda: O.SGD(S.PolynomialDecay(0.05, 40), use_ema=True),
                 lambda: O.Adam(0.05, gradient_accumulation_steps=2, clipnorm=1.0)]:
        opt = make()
        model = tf.keras.Sequential([tf.keras.Input((3,)), tf.keras.layers.Dense(1)])
        model.compile(optimizer=opt, loss="mse", jit_compile=False)
        h = model.fit(x, y, epochs=6, batch_size=32, verbose=0).history["loss"]
        assert h[-1] < (0.995 if isinstance(opt, O.Adadelta) else 0.8) * h[0], (type(opt).__name__, h)
        cfg = O.serialize(opt)
        again = O.deserialize(cfg)
        assert type(again) is type(opt) and again.get_config() == opt.get_config()
    assert type(O.get("nadam")) is O.Nadam and type(O.get("Lion")) is O.Lion
    for name in ["adadelta", "adamax", "ftrl"]:
        assert type(O.get(name)).__name__.lower() == name


def _twin_models(seed=0):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(32, 3)).astype("float32")
    y = (x @ np.array([[1.0], [-2.0], [0.5]], "float32")).astype("float32")
    a = tf.keras.Sequential([tf.keras.Input((3,)), tf.keras.layers.Dense(1)])
    b = tf.keras.Sequential([tf.keras.Input((3,)), tf.keras.layers.Dense(1)])
    b.set_weights(a.get_weights())
    return x, y, a, b


def test_fit_finalizes_ema_and_unscales_loss_scale_factor():
    x, y, a, b = _twin_models()
    a.compile(optimizer=O.SGD(0.05, use_ema=True, ema_momentum=0.8), loss="mse",
              jit_compile=False)
    a.fit(x, y, epochs=2, batch_size=8, shuffle=False, verbose=0)
    # the same steps by hand: after fit the weights are the moving averages (Keras 3)
    opt = O.SGD(0.05, use_ema=True, ema_momentum=0.8)
    for _ in range(2):
        for i in range(0, 32, 8):
            with tf.GradientTape() as tape:
                loss = tf.reduce_mean(tf.square(b(x[i:i + 8]) - y[i:i + 8]))
            grads = tape.gradient(loss, b.trainable_variables)
            opt.apply_gradients(zip(grads, b.trainable_variables))
    raw = [w.numpy().copy() for w in b.trainable_variables]
    opt.finalize_variable_values(b.trainable_variables)
    for wa, wb, r in zip(a.get_weights(), b.get_weights(), raw):
        np.testing.assert_allclose(wa, wb, rtol=1e-5, atol=1e-6)
        assert not np.allclose(wb, r)          # the average differs from the last iterate
    x, y, a, b = _twin_models(1)
    a.compile(optimizer=O.Adam(0.05, loss_scale_factor=128.0), loss="mse", jit_compile=False)
    b.compile(optimizer=O.Adam(0.05), loss="mse", jit_compile=False)
    ha = a.fit(x, y, epochs=2, batch_size=8, shuffle=False, verbose=0).history["loss"]
    hb = b.fit(x, y, epochs=2, batch_size=8, shuffle=False, verbose=0).history["loss"]
    np.testing.assert_allclose(ha, hb, rtol=1e-5)
    for wa, wb in zip(a.get_weights(), b.get_weights()):
        np.testing.assert_allclose(wa, wb, rtol=1e-5, atol=1e-6)


def test_swap_ema_weights_callback():
    x, y, a, _ = _twin_models(2)
    opt = O.SGD(0.05, use_ema=True, ema_momentum=0.5)
    a.compile(optimizer=opt, loss="mse", jit_compile=False)
    for i in range(0, 32, 8):   # a hand-driven loop: the weights are the last iterate
        with tf.GradientTape() as tape:
            loss = tf.reduce_mean(tf.square(a(x[i:i + 8]) - y[i:i + 8]))
        grads = tape.gradient(loss, a.trainable_variables)
        opt.apply_gradients(zip(grads, a.trainable_variables))
    raw = a.get_weights()
    avg = [m.numpy() for _, m in opt.moving_averages(a.trainable_variables)]
    k, b = avg
    expected = float(np.mean((x @ k + b - y) ** 2))
    got = a.evaluate(x, y, verbose=0, callbacks=[tf.keras.callbacks.SwapEMAWeights()])
    np.testing.assert_allclose(got, expected, rtol=1e-5)
    for w, r in zip(a.get_weights(), raw):     # swapped back afterwards
        np.testing.assert_array_equal(w, r)
    pred = a.predict(x[:2], verbose=0, callbacks=[tf.keras.callbacks.SwapEMAWeights()])
    np.testing.assert_allclose(pred, x[:2] @ k + b, rtol=1e-5)
    with pytest.raises(ValueError, match="use_ema"):
        _, _, c, _ = _twin_models(3)
        c.compile(optimizer="sgd", loss="mse")
        c.evaluate(x, y, verbose=0, callbacks=[tf.keras.callbacks.SwapEMAWeights()])
