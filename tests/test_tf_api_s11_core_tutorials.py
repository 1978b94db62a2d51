"""TF "Core APIs" guides and tutorials (tensorflow.org/guide/core and /tutorials:
tests/data/tf_guides/tut_*.py, downloads replaced by generated data of the same shape and dtype,
small sizes) run unchanged with `import graphflow as tf`: every printed line equals what TF 2.21
(+ Keras 3.15) printed (tests/data/tf_guides/tut_*.tf_output.txt), numbers within float32 rounding.
Random initializations are replaced by fixed ones (assigned, or passed as the tutorial's own
`weight_init`), so losses and accuracies are TF's to the printed digit."""
import numpy as np
import pytest

from test_tf_guides_output import check_guide


@pytest.fixture(autouse=True)
def _numpy_print_options():
    """A tutorial may set NumPy's print options for the process (Basic regression's
    np.set_printoptions(precision=3)); the next script prints with the defaults, as in its own
    TF run."""
    saved = np.get_printoptions()
    yield
    np.set_printoptions(**saved)


@pytest.mark.parametrize("name", ["tut_core_quickstart", "tut_core_logreg", "tut_core_mlp",
                                  "tut_core_optimizers", "tut_core_matrix_approx"])
def test_core_tutorial_output_matches_tf(name, tmp_path):
    check_guide(name, tmp_path)


@pytest.mark.parametrize("name", ["tut_autoencoder", "tut_fgsm", "tut_segmentation",
                                  "tut_nmt_attention", "tut_load_text", "tut_basic_regression",
                                  "tut_imbalanced", "tut_style_transfer", "tut_deepdream",
                                  "tut_custom_layers_embeddings"])
def test_tutorial_output_matches_tf(name, tmp_path):
    """Intro to Autoencoders (dense, conv denoising, anomaly threshold), Adversarial FGSM
    (MobileNetV2 weights=None, sign of the input gradient), Image segmentation (U-Net on a
    MobileNetV2 feature extractor, pix2pix upsample blocks, one fit), Neural machine
    translation with attention (ShapeChecker, regex standardization, ragged TextVectorization in
    tf.data, Encoder/CrossAttention/Decoder, masked loss, greedy translate), Load text
    (text_dataset_from_directory, binary/int TextVectorization, TextLineDataset per file with a
    loop-variable label, StaticVocabularyTable, padded_batch), Basic regression (Normalization
    adapt over all columns and one, linear / DNN models, .keras save and reload), Classification
    on imbalanced data (confusion-count / precision / recall / AUC / PR-AUC metrics on fixed
    predictions, the log-odds output bias, class_weight's weighted loss, sample_from_datasets
    oversampling, EarlyStopping(restore_best_weights)), Neural style transfer (VGG19 weights=None
    feature extractor, einsum gram matrices, sobel edges, total variation, a traced Adam step on
    a tf.Variable image), DeepDream (InceptionV3 weights=None, a tf.function with an
    input_signature whose tf.range loop holds a GradientTape, traced once; tf.roll), Custom
    layers + Word embeddings (add_weight, a ResnetIdentityBlock model, re.escape(punctuation)
    standardization, TextVectorization in a Sequential, embedding weights export)."""
    check_guide(name, tmp_path)


def test_dtensor_import_works_and_names_say_not_supported():
    # "Distributed training with Core APIs" starts `from tensorflow.experimental import dtensor`
    import graphflow as tf
    from graphflow.experimental import dtensor
    assert tf.experimental.dtensor is dtensor
    assert {"Mesh", "Layout", "create_mesh", "DVariable", "UNSHARDED"} <= set(dir(dtensor))
    with pytest.raises(NotImplementedError, match=r"dtensor\.create_mesh: graphflow has no "
                       r"DTensor.*MirroredStrategy"):
        dtensor.create_mesh([("batch", 8)], devices=[f"CPU:{i}" for i in range(8)])
    with pytest.raises(NotImplementedError, match="dtensor.UNSHARDED"):
        dtensor.Layout([dtensor.UNSHARDED.value], None)
    with pytest.raises(AttributeError):
        dtensor.not_a_dtensor_name
