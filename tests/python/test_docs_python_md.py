"""The Python snippets of docs/python.md run as they are: every ```python block, in order,
in one namespace (as a reader pasting them into one interpreter), and print what their
comments say."""
import contextlib
import io
import pathlib
import re

DOC = pathlib.Path(__file__).resolve().parents[2] / "docs" / "python.md"


def python_blocks():
    return re.findall(r"```python\n(.*?)```", DOC.read_text(), flags=re.S)


def test_every_python_snippet_runs():
    blocks = python_blocks()
    assert len(blocks) >= 7
    namespace = {"__name__": "docs_python_md"}
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        for i, code in enumerate(blocks):
            exec(compile(code, f"{DOC.name}[python block {i}]", "exec"), namespace)
    printed = out.getvalue().splitlines()
    # a few of the results the comments promise
    assert printed[0] == "tensor([4.]) seek.Size([2, 1]) 8.0"
    assert printed[1] == "[[4.0, 4.0], [0.0, 0.0]]"
    assert "tensor([ 3., 12., 27.])" in printed
    assert "['scale', 'fc1.weight', 'fc1.bias', 'fc2.weight', 'fc2.bias']" in printed
    assert "['scale', 'steps']" in printed
    assert printed.count("seek.Size([32, 1, 28, 28]) seek.Size([32])") == 3
    assert "tensor([0, 1, 4, 9])" in printed
    assert "0.030 0.030" in printed
    assert "272186 seek.Size([2, 10])" in printed
