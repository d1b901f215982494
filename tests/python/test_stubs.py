"""python/seek/_C.pyi agrees with the built seek._C: every function of the module and every
member of Tensor has a stub entry and no entry names something the module lacks
(scripts/gen_stubs.py rewrites the file; this test is its --check)."""
import importlib.util
import pathlib

import seek

ROOT = pathlib.Path(__file__).resolve().parents[2]


def _gen_stubs():
    spec = importlib.util.spec_from_file_location("gen_stubs", ROOT / "scripts" / "gen_stubs.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def test_committed_stubs_match_the_extension():
    gen = _gen_stubs()
    text = gen.STUB.read_text()
    new, changes = gen.generate(seek._C, text)
    assert new == text, "python/seek/_C.pyi disagrees with seek._C (run scripts/gen_stubs.py): " + ", ".join(changes)


def test_the_check_sees_a_missing_and_a_stale_entry():
    gen = _gen_stubs()
    text = gen.STUB.read_text()
    broken = text.replace("    def exp(self) -> Tensor: ...\n", "", 1)
    broken = broken.replace("class Tensor:\n", "class Tensor:\n    def no_such_method(self) -> Tensor: ...\n", 1)
    assert broken != text
    new, changes = gen.generate(seek._C, broken)
    assert "missing: Tensor.exp" in changes
    assert "stale: Tensor.no_such_method" in changes
    assert "no_such_method" not in new
    assert "def exp(self) -> Tensor: ..." in new
