"""`tf.train.Checkpoint`, `CheckpointManager`, `latest_checkpoint`, `load_checkpoint`,
`list_variables`: object-based checkpoints.

A checkpoint saves the Variables reachable from its root by attribute name (the object graph):
`tf.train.Checkpoint(step=..., net=net, optimizer=opt)` saves `net`'s variables under keys such
as `net/l1/kernel/.ATTRIBUTES/VARIABLE_VALUE` (TF's key names), a Keras optimizer's `iterations`
and learning rate, and its slot variables under the key of the variable they belong to
(`net/l1/kernel/.OPTIMIZER_SLOT/optimizer/m/.ATTRIBUTES/VARIABLE_VALUE`); the layers of
Sequential and functional models are `layer_with_weights-<i>` (and `layer-<i>`), as in TF's
Keras checkpoints, so either kind restores the other. Restoring matches keys
by path, so any object with the same attribute structure restores (a `Checkpoint` standing in
for a layer included); a Variable assigned later to an attribute of a restored `Checkpoint`
object takes its value then (TF's deferred restoration, for `Checkpoint` objects and optimizer
slots only).

File format (graphflow's own; TensorFlow cannot read it, nor graphflow TF's files): a checkpoint
`prefix` is two files, `prefix.index` (JSON: format tag, keys with shapes and dtypes) and
`prefix.data-00000-of-00001` (a numpy `.npz` archive of the values). The directory's
`checkpoint` state file is TF's text format (`model_checkpoint_path: "ckpt-3"`).

>>> import tempfile, os, graphflow as tf
>>> d = tempfile.mkdtemp()
>>> v = tf.Variable([1.0, 2.0])
>>> ckpt = tf.train.Checkpoint(v=v)
>>> path = ckpt.save(os.path.join(d, "ckpt"))
>>> os.path.basename(path)
'ckpt-1'
>>> _ = v.assign([0.0, 0.0])
>>> _ = ckpt.restore(tf.train.latest_checkpoint(d))
>>> v.numpy()
array([1., 2.], dtype=float32)
"""
import io
import json
import os
import re

import numpy as np

from . import dtypes as _dt
from .module import Module
from .tensor import Variable

__all__ = ["Checkpoint", "CheckpointManager", "ListWrapper", "latest_checkpoint", "load_checkpoint",
           "list_variables", "CheckpointReader"]

FORMAT = "graphflow-checkpoint-1"
VALUE = ".ATTRIBUTES/VARIABLE_VALUE"
SLOT = ".OPTIMIZER_SLOT"
_STATE_FILE = "checkpoint"


# ------------------------------------------------------------------ the object graph
def _container_items(value, name):
    if isinstance(value, dict):
        return [(f"{name}/{k}", v) for k, v in value.items()]
    return [(f"{name}/{i}", v) for i, v in enumerate(value)]


def _stateful(x):
    """A non-Variable object with a saved state of its own (a `tf.data` iterator's position):
    it has `_checkpoint_state()`, `_restore_checkpoint_state(array)` and a `CHECKPOINT_KEY`."""
    return hasattr(type(x), "_checkpoint_state")


def _keras():
    """keras's (Model, Sequential, Optimizer), imported at the first checkpoint rather than with
    graphflow (`tf.keras` is loaded on first use)."""
    from .keras.models import Model, Sequential
    from .keras.optimizers import Optimizer
    return Model, Sequential, Optimizer


def _trackable(x):
    return isinstance(x, (Variable, Module, _keras()[2], Checkpoint)) or _stateful(x)


def _children(obj):
    """(name, child) pairs of one node of the object graph: public attributes first, sorted."""
    Model, Sequential, Optimizer = _keras()
    if isinstance(obj, Checkpoint):
        items = list(obj._objects.items())
    elif isinstance(obj, Optimizer):
        items = [("iter", obj.iterations)]
        if getattr(obj, "_lr", None) is not None:
            items.append(("learning_rate", obj._lr))
    else:
        ignored = getattr(obj, "_TF_MODULE_IGNORED_PROPERTIES", ())
        items = sorted(((k, v) for k, v in vars(obj).items() if k not in ignored),
                       key=lambda kv: (kv[0].startswith("_"), kv[0]))
        if type(obj) in (Model, Sequential):   # functional / Sequential: TF's layer names first
            layers = obj.layers
            weighted = [lyr for lyr in layers if lyr.weights]
            items = ([(f"layer_with_weights-{i}", lyr) for i, lyr in enumerate(weighted)]
                     + [(f"layer-{i}", lyr) for i, lyr in enumerate(layers)] + items)
    out = []
    for name, value in items:
        if _trackable(value):
            out.append((name, value))
        elif isinstance(value, (list, tuple, dict)):
            stack = [(name, value)]
            while stack:   # containers of trackables: `layers/0`, `weights/kernel`, ...
                n, c = stack.pop(0)
                for cn, cv in _container_items(c, n):
                    if _trackable(cv):
                        out.append((cn, cv))
                    elif isinstance(cv, (list, tuple, dict)):
                        stack.append((cn, cv))
    return out


def object_graph(root, aliases=None):
    """Breadth-first walk of the object graph from `root`: ({id: path} of every object, first
    (shortest) path wins, [(path, Variable)], [(path, optimizer)], [(path, other object)] with
    the root first). `aliases` (a list) receives (other path, path) of objects reached again."""
    paths, variables, optimizers, nodes = {id(root): ""}, [], [], [("", root)]
    queue = [root]
    while queue:
        obj = queue.pop(0)
        base = paths[id(obj)]
        for name, child in _children(obj):
            path = f"{base}/{name}" if base else name
            if id(child) in paths:
                if aliases is not None and paths[id(child)]:
                    aliases.append((path, paths[id(child)]))
                continue
            paths[id(child)] = path
            if isinstance(child, Variable):
                variables.append((path, child))
            else:
                if isinstance(child, _keras()[2]):
                    optimizers.append((path, child))
                nodes.append((path, child))
                queue.append(child)
    return paths, variables, optimizers, nodes


def alias_keys(root, keys):
    """{other key: key} for the `keys` reachable from `root` along a second path too (a
    Variable listed and also mapped: either restores it)."""
    found = []
    object_graph(root, found)
    out = {}
    for alias, canon in found:
        for k in keys:
            if k.startswith(canon + "/") and SLOT not in k[len(canon):]:
                a = alias + k[len(canon):]
                if a not in keys:
                    out.setdefault(a, k)
    return out


def collect(root, states=True):
    """{checkpoint key: Variable} of everything reachable from `root` (slots included; with
    `states`, stateful objects such as dataset iterators too: see `value_of`)."""
    paths, variables, optimizers, nodes = object_graph(root)
    out = {f"{p}/{VALUE}": v for p, v in variables}
    if states:
        out.update((f"{p}/{o.CHECKPOINT_KEY}", o) for p, o in nodes if _stateful(o))
    for opath, opt in optimizers:
        for vid, slots in opt._slots.items():
            var = opt._tracked.get(vid)
            if var is not None and id(var) in paths:
                for sname, svar in slots.items():
                    out[f"{paths[id(var)]}/{SLOT}/{opath}/{sname}/{VALUE}"] = svar
    return out


# ------------------------------------------------------------------ files
def _data_path(prefix):
    return f"{prefix}.data-00000-of-00001"


def write_values(prefix, values, aliases=None):
    """Write {key: array} as checkpoint `prefix` (`.index` + `.data-00000-of-00001`);
    `aliases` ({other key: key}) are stored in the index."""
    d = os.path.dirname(prefix)
    if d:
        os.makedirs(d, exist_ok=True)
    arrays = {k: np.asarray(v) for k, v in values.items()}
    buf = io.BytesIO()
    np.savez(buf, **{f"t{i}": a for i, a in enumerate(arrays.values())})
    with open(_data_path(prefix), "wb") as f:
        f.write(buf.getvalue())
    index = {"format": FORMAT, "keys": [[k, list(a.shape), a.dtype.str]
                                        for k, a in arrays.items()],
             "aliases": dict(aliases or {})}
    with open(prefix + ".index", "w") as f:
        json.dump(index, f)
    return prefix


def read_values(prefix, aliases=False):
    """{key: array} of checkpoint `prefix` (a clear error if it is missing or not ours); with
    `aliases`, also ({other key: key}) the index's aliases."""
    if not os.path.exists(prefix + ".index"):
        raise FileNotFoundError(f"no checkpoint at {prefix!r} (expected {prefix}.index and "
                                f"{_data_path(prefix)})")
    with open(prefix + ".index") as f:
        try:
            index = json.load(f)
        except ValueError:
            index = None
    if not isinstance(index, dict) or index.get("format") != FORMAT:
        raise ValueError(f"{prefix}: not a graphflow checkpoint (graphflow cannot read "
                         "TensorFlow's checkpoint files)")
    with np.load(_data_path(prefix)) as z:
        values = {k: z[f"t{i}"] for i, (k, _, _) in enumerate(index["keys"])}
    return (values, dict(index.get("aliases", {}))) if aliases else values


def _state_path(directory):
    return os.path.join(directory, _STATE_FILE)


def _write_state(directory, latest, all_paths):
    rel = [os.path.relpath(p, directory) for p in all_paths]
    lines = [f'model_checkpoint_path: "{os.path.relpath(latest, directory)}"']
    lines += [f'all_model_checkpoint_paths: "{p}"' for p in rel]
    with open(_state_path(directory), "w") as f:
        f.write("\n".join(lines) + "\n")


def _read_state(directory):
    """(latest path, [all paths]) from the directory's `checkpoint` file, or (None, [])."""
    try:
        with open(_state_path(directory)) as f:
            text = f.read()
    except OSError:
        return None, []
    def full(p):
        return p if os.path.isabs(p) else os.path.join(directory, p)
    latest = re.search(r'^model_checkpoint_path:\s*"(.*)"', text, re.M)
    alls = [full(p) for p in re.findall(r'^all_model_checkpoint_paths:\s*"(.*)"', text, re.M)]
    return (full(latest.group(1)) if latest else None), alls


def latest_checkpoint(checkpoint_dir, latest_filename=None):
    """The newest checkpoint's prefix in `checkpoint_dir` (from its `checkpoint` state file),
    or None when there is none (`tf.train.latest_checkpoint`).

    >>> import tempfile
    >>> latest_checkpoint(tempfile.mkdtemp()) is None
    True
    """
    latest, _ = _read_state(checkpoint_dir)
    return latest if latest is not None and os.path.exists(latest + ".index") else None


def _resolve(path):
    if os.path.isdir(path):
        latest = latest_checkpoint(path)
        if latest is None:
            raise FileNotFoundError(f"no checkpoint in directory {path!r}")
        return latest
    return path


class CheckpointReader:
    """The keys and values of a checkpoint file (`tf.train.load_checkpoint`)."""

    def __init__(self, path):
        self._values = read_values(_resolve(path))

    def get_variable_to_shape_map(self):
        return {k: list(v.shape) for k, v in self._values.items()}

    def get_variable_to_dtype_map(self):
        return {k: _dt.as_dtype(v.dtype) for k, v in self._values.items()}

    def has_tensor(self, key):
        return key in self._values

    def get_tensor(self, key):
        if key not in self._values:
            raise KeyError(f"checkpoint has no key {key!r}")
        return self._values[key].copy()


def load_checkpoint(ckpt_dir_or_file):
    """A `CheckpointReader` of a checkpoint prefix or of a directory's latest checkpoint."""
    return CheckpointReader(ckpt_dir_or_file)


def list_variables(ckpt_dir_or_file):
    """[(key, shape)] of a checkpoint, sorted by key (`tf.train.list_variables`).

    >>> import tempfile, os, graphflow as tf
    >>> p = tf.train.Checkpoint(w=tf.Variable([[1.0, 2.0]])).write(os.path.join(tempfile.mkdtemp(), "c"))
    >>> tf.train.list_variables(p)
    [('w/.ATTRIBUTES/VARIABLE_VALUE', [1, 2])]
    """
    return sorted(CheckpointReader(ckpt_dir_or_file).get_variable_to_shape_map().items())


def load_variable(ckpt_dir_or_file, name):
    """The value (numpy) a checkpoint holds under key `name` (`tf.train.load_variable`).

    >>> import tempfile, os, graphflow as tf
    >>> p = tf.train.Checkpoint(w=tf.Variable([1.0, 2.0])).write(os.path.join(tempfile.mkdtemp(), "c"))
    >>> tf.train.load_variable(p, "w/.ATTRIBUTES/VARIABLE_VALUE").tolist()
    [1.0, 2.0]
    """
    return CheckpointReader(ckpt_dir_or_file).get_tensor(name)


# ------------------------------------------------------------------ restore
class LoadStatus:
    """What a restore matched: `assert_consumed` (every checkpoint value went to a Variable,
    every Variable found got a value), `assert_existing_objects_matched` (every Variable found
    got a value), `expect_partial` (silence), as TF's status object."""

    def __init__(self, path, unused_keys, unmatched_variables):
        self.path = path
        self.unused_keys = sorted(unused_keys)
        self.unmatched_variables = sorted(unmatched_variables)

    def assert_existing_objects_matched(self):
        if self.unmatched_variables:
            raise AssertionError(f"restore from {self.path}: no value for "
                                 f"{self.unmatched_variables}")
        return self

    def assert_consumed(self):
        self.assert_existing_objects_matched()
        if self.unused_keys:
            raise AssertionError(f"restore from {self.path}: unused checkpoint values "
                                 f"{self.unused_keys}")
        return self

    def assert_nontrivial_match(self):
        return self

    def expect_partial(self):
        return self

    def run_restore_ops(self, session=None):
        return None

    def initialize_or_restore(self, session=None):
        return None


def value_of(x):
    """The array a checkpoint stores for `x` (a Variable's value, an iterator's state)."""
    return x._checkpoint_state() if _stateful(x) else x.numpy()


def _assign(var, value, key):
    if _stateful(var):
        return var._restore_checkpoint_state(value)
    if tuple(var.shape) != tuple(value.shape):
        raise ValueError(f"restoring {key!r}: the checkpoint holds shape {list(value.shape)}, "
                         f"the Variable '{var.name}' has shape {list(var.shape)}")
    var.assign(value.astype(var.dtype.np, copy=False))


def restore_into(root, values, path, aliases=None):
    """Assign `values` ({key: array}; `aliases` {other key: key}) to the Variables reachable
    from `root`; optimizer slots are created for variables the checkpoint has slots of.
    Returns a `LoadStatus`."""
    aliases = aliases or {}
    _, variables, optimizers, _ = object_graph(root)
    for opath, opt in optimizers:   # create the slots the checkpoint holds values for
        need = []
        for vpath, var in variables:
            prefix = f"{vpath}/{SLOT}/{opath}/"
            if id(var) not in opt._slots and any(k.startswith(prefix) for k in values):
                need.append(var)
        if need:
            built = getattr(opt, "_built_variables", None)
            opt.build(need)
            if built is not None:
                opt._built_variables = built
    targets = collect(root)
    used = set()
    for key, var in targets.items():
        src = key if key in values else aliases.get(key)
        if src in values:
            _assign(var, values[src], key)
            used.add(src)
    unmatched = [k for k in targets if k not in values and aliases.get(k) not in values]
    unused = set(values) - used
    pending = {k: values[k] for k in unused}
    pending.update({a: values[k] for a, k in aliases.items() if k in unused})
    _defer(root, pending)
    return LoadStatus(path, unused, unmatched)


def _defer(root, pending):
    """Hand the unused values to the `Checkpoint` objects whose paths prefix them, so that a
    Variable assigned later to one of their attributes is restored then."""
    if not pending:
        return
    objs = {p: o for p, o in object_graph(root)[3] if isinstance(o, Checkpoint)}
    for key, value in pending.items():
        parts = key[:-len("/" + VALUE)].split("/") if key.endswith(VALUE) else None
        if not parts or SLOT in parts:
            continue
        for k in range(len(parts) - 1, -1, -1):   # the nearest Checkpoint object above it
            owner = "/".join(parts[:k])
            if owner in objs:
                objs[owner]._pending["/".join(parts[k:])] = (key, value)
                break


# ------------------------------------------------------------------ Checkpoint
class Checkpoint:
    """Groups trackable objects (Variables, `tf.Module`s, Keras layers/models/optimizers, other
    Checkpoints) by keyword name for saving and restoring (`tf.train.Checkpoint`).

    `save(prefix)` writes `prefix-<n>` (n counts saves: `save_counter`) and records it in the
    directory's `checkpoint` file; `write(prefix)` writes exactly `prefix`; `restore(path)` /
    `read(path)` assign the saved values (path None: nothing to restore, as TF).

    >>> import tempfile, os, graphflow as tf
    >>> step = tf.Variable(5)
    >>> p = tf.train.Checkpoint(step=step).write(os.path.join(tempfile.mkdtemp(), "w"))
    >>> new = tf.Variable(0)
    >>> _ = tf.train.Checkpoint(step=new).read(p).assert_consumed()
    >>> int(new)
    5
    """

    def __init__(self, root=None, **kwargs):
        object.__setattr__(self, "_objects", {})
        object.__setattr__(self, "_pending", {})
        object.__setattr__(self, "_save_counter", None)
        if root is not None:
            kwargs = dict(kwargs, root=root)
        for k, v in kwargs.items():
            setattr(self, k, v)

    def __setattr__(self, name, value):
        if not name.startswith("_") and type(value) is list:
            value = ListWrapper(value, self, name)
        object.__setattr__(self, name, value)
        if not name.startswith("_") and (_trackable(value) or isinstance(value, (list, dict))):
            self._objects[name] = value
            self._take_pending(name, value)
            if isinstance(value, (list, dict)):
                for k, v in (value.items() if isinstance(value, dict) else enumerate(value)):
                    self._take_pending(f"{name}/{k}", v)

    def _take_pending(self, path, value):
        """A value restored before `value` was attached at `path` (deferred restoration)."""
        hit = self._pending.pop(path, None) if isinstance(value, Variable) else None
        if hit is not None:
            _assign(value, hit[1], hit[0])

    @property
    def save_counter(self):
        """The number of `save` calls (an int64 Variable, saved with the checkpoint)."""
        if self._save_counter is None:
            object.__setattr__(self, "_save_counter", Variable(0, dtype=_dt.int64,
                                                               trainable=False,
                                                               name="save_counter"))
            self._objects.setdefault("save_counter", self._save_counter)
        return self._save_counter

    def write(self, file_prefix, options=None):
        """Write the checkpoint to exactly `file_prefix`; returns it. (As TF, `save_counter`
        is written once it exists: after a `save`, a `restore` or a read of it.)"""
        values = {k: value_of(v) for k, v in collect(self).items()}
        return write_values(os.fspath(file_prefix), values, alias_keys(self, values))

    def save(self, file_prefix, options=None):
        """Write `file_prefix-<save_counter + 1>`, record it as the directory's latest; returns
        the path."""
        self.save_counter.assign_add(1)
        path = self.write(f"{os.fspath(file_prefix)}-{int(self.save_counter.numpy())}")
        directory = os.path.dirname(path) or "."
        _, alls = _read_state(directory)
        _write_state(directory, path, [p for p in alls if p != path] + [path])
        return path

    def read(self, save_path, options=None):
        """Restore from `save_path` (written by `write` or `save`); returns a load status."""
        return self.restore(save_path)

    def restore(self, save_path, options=None):
        """Assign the values saved at `save_path` (a prefix or a directory) to the matching
        Variables; None restores nothing. Returns a `LoadStatus`."""
        if save_path is None:
            return LoadStatus(None, (), ())
        path = _resolve(os.fspath(save_path))
        values, aliases = read_values(path, aliases=True)
        if any(k.startswith("save_counter/") for k in values):
            self.save_counter  # noqa: B018 (made, so the saved count is restored)
        return restore_into(self, values, path, aliases)


class ListWrapper(list):
    """A list attribute of a `Checkpoint`: appending a Variable restores it if a restore saw a
    value for that position (TF's `ListWrapper`)."""

    def __init__(self, items, owner, name):
        super().__init__(items)
        self._owner, self._name = owner, name

    def append(self, value):
        super().append(value)
        self._owner._take_pending(f"{self._name}/{len(self) - 1}", value)

    def __repr__(self):
        return f"ListWrapper({list.__repr__(self)})"


class CheckpointManager:
    """Numbered checkpoints `<directory>/<checkpoint_name>-<n>` of one `Checkpoint`, keeping
    the newest `max_to_keep` (`tf.train.CheckpointManager`).

    >>> import tempfile, graphflow as tf
    >>> m = tf.train.CheckpointManager(tf.train.Checkpoint(v=tf.Variable(1.0)),
    ...                                tempfile.mkdtemp(), max_to_keep=2)
    >>> [os.path.basename(m.save()) for _ in range(3)]
    ['ckpt-1', 'ckpt-2', 'ckpt-3']
    >>> [os.path.basename(p) for p in m.checkpoints]
    ['ckpt-2', 'ckpt-3']
    """

    def __init__(self, checkpoint, directory, max_to_keep, keep_checkpoint_every_n_hours=None,
                 checkpoint_name="ckpt", step_counter=None, checkpoint_interval=None,
                 init_fn=None):
        self._checkpoint = checkpoint
        self.directory = os.fspath(directory)
        self.max_to_keep = max_to_keep
        self._prefix = os.path.join(self.directory, checkpoint_name)
        _, alls = _read_state(self.directory)
        self._checkpoints = [p for p in alls if os.path.exists(p + ".index")]

    @property
    def checkpoints(self):
        """The kept checkpoints, oldest first."""
        return list(self._checkpoints)

    @property
    def latest_checkpoint(self):
        return self._checkpoints[-1] if self._checkpoints else None

    @property
    def checkpoint(self):
        return self._checkpoint

    def save(self, checkpoint_number=None, check_interval=True, options=None):
        """Write the next numbered checkpoint, drop the oldest beyond `max_to_keep`; returns
        its path."""
        ckpt = self._checkpoint
        ckpt.save_counter.assign_add(1)
        n = int(ckpt.save_counter.numpy()) if checkpoint_number is None else int(checkpoint_number)
        path = ckpt.write(f"{self._prefix}-{n}")
        self._checkpoints = [p for p in self._checkpoints if p != path] + [path]
        if self.max_to_keep is not None:
            while len(self._checkpoints) > self.max_to_keep:
                old = self._checkpoints.pop(0)
                for f in (old + ".index", _data_path(old)):
                    if os.path.exists(f):
                        os.remove(f)
        _write_state(self.directory, path, self._checkpoints)
        return path

    def restore_or_initialize(self):
        if self.latest_checkpoint is not None:
            self._checkpoint.restore(self.latest_checkpoint)
            return self.latest_checkpoint
        return None
