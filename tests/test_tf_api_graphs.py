"""Graph inspection cells of TF's "Introduction to graphs" and "Better performance with
tf.function" guides: `concrete_function.graph.as_graph_def()` and `get_operations()`."""
import graphflow as tf


def test_function_guide_obtaining_graphs():
    @tf.function
    def double(a):
        return a + a

    graph = double.get_concrete_function(tf.constant(1.0)).graph
    lines = [f'{node.input} -> {node.name}' for node in graph.as_graph_def().node]
    # TF prints "[] -> a", "['a', 'a'] -> add", "['add'] -> Identity"
    assert lines[0] == "[] -> a"
    assert lines[1].startswith("['a', 'a'] -> add")
    assert [op.type for op in graph.get_operations()] == ["parameter", "add"]


def test_intro_to_graphs_graph_def_text():
    def simple_relu(x):
        if tf.greater(x, 0):
            return x
        else:
            return 0

    tf_simple_relu = tf.function(simple_relu)
    gd = tf_simple_relu.get_concrete_function(tf.constant(1)).graph.as_graph_def()
    text = str(gd)
    assert text.startswith("node {\n  name: \"x\"") and "versions {" in text
    names = {n.name for n in gd.node}
    assert all(i.lstrip("^") in names for n in gd.node for i in n.input)
    assert any(n.op == "cond" for n in gd.node) or any(n.op == "where" for n in gd.node)
    assert float(tf_simple_relu(tf.constant(-1))) == 0 and float(tf_simple_relu(tf.constant(3))) == 3


def test_scopes_and_control_inputs():
    v = tf.Variable(1.0)

    @tf.function
    def f(x):
        with tf.name_scope("block"):
            v.assign_add(x)
            return v * 2.0

    gd = f.get_concrete_function(tf.constant(1.0)).graph.as_graph_def()
    by_op = {n.op: n for n in gd.node}
    assert by_op["multiply"].name.startswith("block/multiply_")
    assert any(i.startswith("^") for n in gd.node for i in n.input)   # read after the assign
    assert by_op["parameter"].attr["dtype"] == "float32"
