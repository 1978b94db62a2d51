"""placeholder"""


def simplify(graph):
    return graph
