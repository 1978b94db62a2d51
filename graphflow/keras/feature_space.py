"""`keras.utils.FeatureSpace`: one object that preprocesses a dict of structured-data features
(normalize/rescale/discretize numbers, look up or hash categories, cross pairs of features)
and encodes them as one concatenated float vector (or a dict), as Keras 3. It is adapted on a
dataset of feature dicts, called on batches, and gives the functional `get_inputs()` /
`get_encoded_features()` for an end-to-end model.

>>> import numpy as np
>>> fs = FeatureSpace({"x": "float_normalized", "c": FeatureSpace.string_categorical(
...     num_oov_indices=0)}, output_mode="concat")
>>> fs.adapt({"x": np.array([1., 3.], np.float32), "c": np.array(["a", "b"])})
>>> fs({"x": np.array([1., 3.], np.float32), "c": np.array(["b", "a"])}).numpy().tolist()
[[1.0, 0.0, -1.0], [0.0, 1.0, 1.0]]
"""
import itertools

import numpy as np

from ..data.dataset import Dataset
from ..ops import math_ops as _m, shape_ops as _s
from ..tensor import Tensor, convert_to_tensor
from . import layers as _layers
from .layers import Layer
from .conv_layers import Rescaling
from .preprocessing import CategoryEncoding, Discretization, Normalization
from .text_layers import (HashedCrossing, Hashing, IntegerLookup, StringLookup,
                          TextVectorization)

_COUNTER = itertools.count()


def _auto_name(prefix):
    return f"{prefix}_{next(_COUNTER)}"


class Cross:
    """A crossing of features (hashed into `crossing_dim` bins)."""

    def __init__(self, feature_names, crossing_dim, output_mode="one_hot"):
        if output_mode not in ("int", "one_hot"):
            raise ValueError("Invalid value for argument `output_mode`. Expected one of "
                             f"{{'int', 'one_hot'}}. Received: output_mode={output_mode}")
        self.feature_names = tuple(feature_names)
        self.crossing_dim = crossing_dim
        self.output_mode = output_mode

    @property
    def name(self):
        return "_X_".join(self.feature_names)

    def get_config(self):
        return {"feature_names": self.feature_names, "crossing_dim": self.crossing_dim,
                "output_mode": self.output_mode}


class Feature:
    """One feature: its input dtype, preprocessing layer and output mode."""

    def __init__(self, dtype, preprocessor, output_mode):
        if output_mode not in ("int", "one_hot", "float"):
            raise ValueError("Invalid value for argument `output_mode`. Expected one of "
                             f"{{'int', 'one_hot', 'float'}}. Received: output_mode={output_mode}")
        self.dtype, self.preprocessor, self.output_mode = dtype, preprocessor, output_mode

    def get_config(self):
        return {"dtype": self.dtype, "preprocessor": self.preprocessor.get_config(),
                "output_mode": self.output_mode}


def _lookup_feature(dtype, lookup, kind, max_tokens, num_oov_indices, output_mode, name):
    name = name or _auto_name(kind)
    return Feature(dtype, lookup(name=f"{name}_preprocessor", max_tokens=max_tokens,
                                 num_oov_indices=num_oov_indices), output_mode)


class _Identity(Layer):
    def call(self, inputs):
        return _m.cast(inputs, "float32")


class FeatureSpace(Layer):
    """Preprocess and encode a dict of features (see the module doc). `features` maps names to
    a Feature (from the class methods below) or a type name ("float", "float_normalized",
    "float_rescaled", "float_discretized", "integer_categorical", "string_categorical",
    "integer_hashed", "string_hashed"); `crosses` are Cross objects or tuples of names."""

    @classmethod
    def cross(cls, feature_names, crossing_dim, output_mode="one_hot"):
        return Cross(feature_names, crossing_dim, output_mode)

    @classmethod
    def feature(cls, dtype, preprocessor, output_mode):
        return Feature(dtype, preprocessor, output_mode)

    @classmethod
    def float(cls, name=None):
        name = name or _auto_name("float")
        return Feature("float32", _Identity(name=f"{name}_preprocessor"), "float")

    @classmethod
    def float_rescaled(cls, scale=1.0, offset=0.0, name=None):
        name = name or _auto_name("float_rescaled")
        return Feature("float32", Rescaling(scale=scale, offset=offset,
                                            name=f"{name}_preprocessor"), "float")

    @classmethod
    def float_normalized(cls, name=None):
        name = name or _auto_name("float_normalized")
        return Feature("float32", Normalization(axis=-1, name=f"{name}_preprocessor"), "float")

    @classmethod
    def float_discretized(cls, num_bins, bin_boundaries=None, output_mode="one_hot", name=None):
        name = name or _auto_name("float_discretized")
        return Feature("float32", Discretization(num_bins=num_bins, bin_boundaries=bin_boundaries,
                                                 name=f"{name}_preprocessor"), output_mode)

    @classmethod
    def integer_categorical(cls, max_tokens=None, num_oov_indices=1, output_mode="one_hot",
                            name=None):
        return _lookup_feature("int32", IntegerLookup, "integer_categorical", max_tokens,
                               num_oov_indices, output_mode, name)

    @classmethod
    def string_categorical(cls, max_tokens=None, num_oov_indices=1, output_mode="one_hot",
                           name=None):
        return _lookup_feature("string", StringLookup, "string_categorical", max_tokens,
                               num_oov_indices, output_mode, name)

    @classmethod
    def string_hashed(cls, num_bins, output_mode="one_hot", name=None):
        name = name or _auto_name("string_hashed")
        return Feature("string", Hashing(name=f"{name}_preprocessor", num_bins=num_bins),
                       output_mode)

    @classmethod
    def integer_hashed(cls, num_bins, output_mode="one_hot", name=None):
        name = name or _auto_name("integer_hashed")
        return Feature("int32", Hashing(name=f"{name}_preprocessor", num_bins=num_bins),
                       output_mode)

    def __init__(self, features, output_mode="concat", crosses=None, crossing_dim=32,
                 hashing_dim=32, num_discretization_bins=32, name=None):
        super().__init__(name=name)
        if not features:
            raise ValueError("The `features` argument cannot be None or empty.")
        self.crossing_dim, self.hashing_dim = crossing_dim, hashing_dim
        self.num_discretization_bins = num_discretization_bins
        self.features = {n: self._standardize_feature(n, v) for n, v in features.items()}
        self.crosses = []
        for c in crosses or ():
            if not isinstance(c, Cross):
                unknown = [k for k in c if k not in self.features]
                if unknown:
                    raise ValueError("All features referenced in the `crosses` argument should "
                                     f"be present in the `features` dict. Received unknown "
                                     f"features: {c}")
                c = Cross(c, crossing_dim=crossing_dim)
            self.crosses.append(c)
        self.crosses_by_name = {c.name: c for c in self.crosses}
        if output_mode not in ("dict", "concat"):
            raise ValueError("Invalid value for argument `output_mode`. Expected one of "
                             f"{{'dict', 'concat'}}. Received: output_mode={output_mode}")
        self.output_mode = output_mode
        self.inputs = {n: _layers.Input(shape=(1,), dtype=f.dtype, name=n)
                       for n, f in self.features.items()}
        self.preprocessors = {n: f.preprocessor for n, f in self.features.items()}
        self.crossers = {c.name: HashedCrossing(c.crossing_dim, name=c.name)
                         for c in self.crosses}
        self.one_hot_encoders = {}
        self.encoded_features = None
        self._is_adapted = False
        self._sublayers_built = False

    def _standardize_feature(self, name, feature):
        if isinstance(feature, Feature):
            return feature
        simple = {"float": self.float, "float_normalized": self.float_normalized,
                  "float_rescaled": self.float_rescaled,
                  "integer_categorical": self.integer_categorical,
                  "string_categorical": self.string_categorical}
        if feature in simple:
            return simple[feature](name=name)
        if feature == "float_discretized":
            return self.float_discretized(name=name, num_bins=self.num_discretization_bins)
        if feature in ("integer_hashed", "string_hashed"):
            return getattr(self, feature)(self.hashing_dim, name=name)
        raise ValueError(f"Invalid feature type: {feature}")

    def _adaptable(self):
        out = []
        for name, p in self.preprocessors.items():
            if isinstance(p, Normalization) and getattr(p, "input_mean", None) is not None:
                continue
            if isinstance(p, (StringLookup, IntegerLookup, TextVectorization)) and \
                    getattr(p, "_has_input_vocabulary", False):
                continue
            if isinstance(p, Discretization) and p.num_bins is None:   # boundaries given
                continue
            if hasattr(p, "adapt"):
                out.append(name)
        return out

    def adapt(self, dataset):
        """Adapt every preprocessor that learns from data (normalization statistics,
        vocabularies, bin boundaries) on its feature of `dataset` (a Dataset of feature dicts,
        or a dict of arrays)."""
        if isinstance(dataset, dict):
            dataset = Dataset.from_tensor_slices(dataset)
        elif not isinstance(dataset, Dataset):
            raise ValueError("`adapt()` can only be called on a tf.data.Dataset or a dict of "
                             f"arrays/lists. Received instead: {dataset} (of type "
                             f"{type(dataset)})")
        for name in self._adaptable():
            feature_ds = dataset.map(lambda x, name=name: x[name])
            x = next(iter(feature_ds))
            if len(x.shape) == 0:
                feature_ds = feature_ds.batch(32)
            if len(x.shape) in (0, 1):
                feature_ds = feature_ds.map(lambda v: _s.expand_dims(v, -1))
            self.preprocessors[name].adapt(feature_ds)
        self._is_adapted = True
        self.get_encoded_features()   # builds the encoders
        self.built = self._sublayers_built = True

    def _check_if_adapted(self):
        if not self._is_adapted:
            if self._adaptable():
                raise ValueError("You need to call `.adapt(dataset)` on the FeatureSpace before "
                                 "you can start using it.")
            self._is_adapted = True

    def get_inputs(self):
        """{name: keras.Input} of the features (for an end-to-end functional model)."""
        self._check_if_built()
        return self.inputs

    def get_encoded_features(self):
        """The encoded features of `get_inputs()` (a KerasTensor, or a dict of them)."""
        self._check_if_adapted()
        if self.encoded_features is None:
            pre = {n: self.preprocessors[n](x) for n, x in self.inputs.items()}
            self.encoded_features = self._merge(pre, self._cross(pre))
        return self.encoded_features

    def _check_if_built(self):
        if not self._sublayers_built:
            self._check_if_adapted()
            self.get_encoded_features()
            self._sublayers_built = True

    def _cross(self, features):
        return {c.name: self.crossers[c.name]([features[n] for n in c.feature_names])
                for c in self.crosses}

    def _cardinality(self, name):
        p = self.preprocessors.get(name) or self.crossers.get(name)
        if isinstance(p, (IntegerLookup, StringLookup)):
            return p.vocabulary_size()
        if isinstance(p, CategoryEncoding):
            return p.num_tokens
        if isinstance(p, (Discretization, HashedCrossing, Hashing)):
            return p.num_bins
        raise ValueError(f"Feature '{name}' has `output_mode='one_hot'`. However it isn't a "
                         "standard feature and the dimensionality of its output space is not "
                         "known, thus it cannot be one-hot encoded. Try using "
                         "`output_mode='int'`.")

    def _merge(self, pre, crossed):
        names = sorted(pre) + sorted(crossed)
        values = [pre[n] for n in sorted(pre)] + [crossed[n] for n in sorted(crossed)]
        out = {}
        for name, x in zip(names, values):
            spec = self.features.get(name) or self.crosses_by_name[name]
            if spec.output_mode == "one_hot":
                enc = self.one_hot_encoders.get(name)
                if enc is None:
                    if not x.dtype.is_integer:
                        raise ValueError(f"Feature '{name}' has `output_mode='one_hot'`. Thus its "
                                         "preprocessor should return an integer dtype. Instead "
                                         f"it returns a {x.dtype.name} dtype.")
                    enc = self.one_hot_encoders[name] = CategoryEncoding(
                        num_tokens=self._cardinality(name), output_mode="multi_hot")
                x = enc(x)
            if self.output_mode == "concat" and (x.dtype.is_integer or x.dtype.name == "string"):
                raise ValueError(f"Cannot concatenate features because feature '{name}' has not "
                                 f"been encoded (it has dtype {x.dtype.name}). Consider using "
                                 "`output_mode='dict'`.")
            out[name] = x
        if self.output_mode == "dict":
            return out
        parts = [_m.cast(v, "float32") if not isinstance(v, _layers.KerasTensor) else v
                 for v in out.values()]
        return _layers.Concatenate(axis=-1)(parts) if any(
            isinstance(v, _layers.KerasTensor) for v in parts) else _s.concat(parts, -1)

    def __call__(self, data):
        """Encode a dict of feature values (a batch, or one example: 0-d values)."""
        self._check_if_built()
        if not isinstance(data, dict):
            raise ValueError(f"A FeatureSpace can only be called with a dict. Received: "
                             f"data={data} (of type {type(data)})")
        data = {k: v if isinstance(v, Tensor) else convert_to_tensor(np.asarray(v))
                for k, v in data.items()}
        rebatched = False
        for name, x in data.items():
            if x.ndim == 0:
                data[name], rebatched = _s.reshape(x, (1, 1)), True
            elif x.ndim == 1:
                data[name] = _s.expand_dims(x, -1)
        pre = {n: self.preprocessors[n](data[n]) for n in self.features}
        merged = self._merge(pre, self._cross(pre))
        if rebatched:
            if self.output_mode == "concat":
                return _s.squeeze(merged, 0)
            return {n: _s.squeeze(x, 0) if x.ndim == 2 and x.shape[0] == 1 else x
                    for n, x in merged.items()}
        return merged

    def get_config(self):
        return {"features": {n: f.get_config() for n, f in self.features.items()},
                "output_mode": self.output_mode,
                "crosses": [c.get_config() for c in self.crosses],
                "crossing_dim": self.crossing_dim, "hashing_dim": self.hashing_dim,
                "num_discretization_bins": self.num_discretization_bins}
