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


def test_graph_def_text_of_a_control_flow_graph():
    # intro to graphs prints `get_concrete_function(...).graph.as_graph_def()` (its simple_relu
    # is tested in test_tf_api_function.py); here a loop's graph
    @tf.function
    def countdown(n):
        while n > 0:
            n -= 1
        return n

    gd = countdown.get_concrete_function(tf.constant(3)).graph.as_graph_def()
    text = str(gd)
    assert text.startswith("node {\n  name: \"n\"") and "versions {" in text
    names = {n.name for n in gd.node}
    assert all(i.lstrip("^") in names for n in gd.node for i in n.input)
    assert any(n.op == "while_loop" for n in gd.node), [n.op for n in gd.node]
    assert int(countdown(tf.constant(3))) == 0


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
