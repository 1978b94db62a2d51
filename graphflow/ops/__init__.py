"""The ops: the op table (`registry`) and the primitives declared in it, under TF's names.

`math_ops` and `shape_ops` also give Tensor and Variable their operators (they register in
`tensor.OPERATORS`): `a + b` is `math_ops.add(a, b)`, `a[i]` is `shape_ops.getitem(a, i)`.
"""
