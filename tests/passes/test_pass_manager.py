"""The pass manager on a toy IR: registry, pipelines, requires, verification, callbacks."""

import io
import json
from dataclasses import dataclass

import pytest
from rich.console import Console
from rich.table import Table

from qcompile.errors import InternalError, IRVerifyError, PassError
from qcompile.passes import manager
from qcompile.passes import (
    DumpDir, Pass, PassManager, PrintIRAfter, TimePasses, available_passes, get_pass,
    parse_pipeline, register_pass,
)


@dataclass(frozen=True)
class ToyIR:
    """A list of op names; invalid if it contains 'bad'."""

    ops: tuple

    def to_text(self):
        return "".join(f"%{i} = {op}\n" for i, op in enumerate(self.ops))

    def stats(self):
        return {"ops": len(self.ops), "adds": self.ops.count("add")}

    def verify(self):
        if "bad" in self.ops:
            raise IRVerifyError("op 'bad' is not allowed")


class MutableIR:
    def __init__(self, ops):
        self.ops = list(ops)

    def to_text(self):
        return " ".join(self.ops) + "\n"

    def stats(self):
        return {"ops": len(self.ops)}

    def verify(self):
        pass


class ToyCount(Pass):
    name = "toy-count"
    kind = "analysis"
    description = "Counts ops into the property set."

    def run(self, ir, properties):
        properties["toy_count"] = len(ir.ops)
        properties["toy_kinds"] = frozenset(ir.ops)


class ToyAppend(Pass):
    name = "toy-append"
    kind = "transformation"
    description = "Appends an op, count times."
    options = {"op": "add", "count": 1, "scale": 1.0, "strict": False}

    def run(self, ir, properties):
        return ToyIR(ir.ops + (self.options["op"],) * self.options["count"])


class ToyUsesCount(Pass):
    name = "toy-uses-count"
    kind = "transformation"
    requires = ("toy-count",)
    description = "Appends 'n<count>' using the toy-count analysis."

    def run(self, ir, properties):
        return ToyIR(ir.ops + (f"n{properties['toy_count']}",))


class ToyPreserving(Pass):
    name = "toy-preserving"
    kind = "transformation"
    preserves = ("toy-count",)
    description = "Renames ops without changing their number."

    def run(self, ir, properties):
        return ToyIR(tuple(op.upper() for op in ir.ops))


class ToyMutator(Pass):
    name = "toy-mutator"
    kind = "transformation"
    description = "Wrongly mutates its input."

    def run(self, ir, properties):
        ir.ops.append("oops")
        return MutableIR(ir.ops)


class ToyBadAnalysis(Pass):
    name = "toy-bad-analysis"
    kind = "analysis"
    description = "Wrongly returns a value."

    def run(self, ir, properties):
        return ir


class ToyNoResult(Pass):
    name = "toy-no-result"
    kind = "transformation"
    description = "Wrongly returns nothing."

    def run(self, ir, properties):
        return None


class ToyCycleA(Pass):
    name = "toy-cycle-a"
    kind = "analysis"
    requires = ("toy-cycle-b",)
    description = "Requires toy-cycle-b."

    def run(self, ir, properties):
        properties["a"] = 1


class ToyCycleB(Pass):
    name = "toy-cycle-b"
    kind = "analysis"
    requires = ("toy-cycle-a",)
    description = "Requires toy-cycle-a."

    def run(self, ir, properties):
        properties["b"] = 1


class ToyRequiresTransform(Pass):
    name = "toy-requires-transform"
    kind = "transformation"
    requires = ("toy-append",)
    description = "Wrongly requires a transformation."

    def run(self, ir, properties):
        return ir


IR0 = ToyIR(("input", "mul"))
TOY_PASSES = (ToyCount, ToyAppend, ToyUsesCount, ToyPreserving, ToyMutator, ToyBadAnalysis,
              ToyNoResult, ToyCycleA, ToyCycleB, ToyRequiresTransform)


@pytest.fixture(autouse=True, scope="module")
def _toy_registry():
    """Register the toy passes for this module only, so other tests never see them."""
    available_passes()  # discover the real passes before taking the snapshot
    saved = dict(manager._REGISTRY)
    for cls in TOY_PASSES:
        register_pass(cls)
    yield
    manager._REGISTRY.clear()
    manager._REGISTRY.update(saved)


# ---- registry and options --------------------------------------------------------------
def test_available_passes_lists_name_kind_description():
    listed = {name: (kind, desc) for name, kind, desc in available_passes()}
    assert listed["toy-count"] == ("analysis", "Counts ops into the property set.")
    assert listed["toy-append"][0] == "transformation"


def test_get_pass_unknown_name_suggests_close_names():
    with pytest.raises(PassError, match="did you mean 'toy-append'"):
        get_pass("toy-apend")


def test_pass_options_defaults_and_validation():
    p = get_pass("toy-append", count=2)
    assert p.options == {"op": "add", "count": 2, "scale": 1.0, "strict": False}
    assert get_pass("toy-append", scale=2).options["scale"] == 2.0  # int accepted for float
    with pytest.raises(PassError, match="has no option 'cuont'; did you mean 'count'"):
        ToyAppend(cuont=1)
    with pytest.raises(PassError, match="must be of type int"):
        ToyAppend(count="many")
    with pytest.raises(PassError, match="must be of type bool"):
        ToyAppend(strict=1)
    with pytest.raises(PassError, match="takes no options"):
        ToyCount(x=1)


def test_register_pass_rejects_bad_definitions():
    with pytest.raises(ValueError):
        register_pass(type("Bad", (Pass,), {"name": "Bad_Name", "description": "x"}))
    with pytest.raises(ValueError):
        register_pass(type("Bad", (Pass,), {"name": "toy-k", "kind": "other", "description": "x"}))
    with pytest.raises(ValueError):
        register_pass(type("Other", (Pass,), {"name": "toy-count", "kind": "analysis",
                                              "description": "clash"}))


# ---- pipelines -------------------------------------------------------------------------
def test_parse_pipeline_names_and_typed_options():
    passes = parse_pipeline("toy-count, toy-append{op=mul,count=3,scale=0.5,strict=true},toy-count")
    assert [p.name for p in passes] == ["toy-count", "toy-append", "toy-count"]
    assert passes[1].options == {"op": "mul", "count": 3, "scale": 0.5, "strict": True}


def test_parse_pipeline_quoted_string():
    (p,) = parse_pipeline('toy-append{op="a,b}"}')
    assert p.options["op"] == "a,b}"


@pytest.mark.parametrize("text, column, words", [
    ("toy-count,,toy-append", 11, "expected a pass name"),
    ("toy-append{count=1", 19, "expected ',' or '}'"),
    ("toy-append{count}", 17, "expected '='"),
    ("toy-append{count=}", 18, "expected an option value"),
    ("toy-count toy-append", 11, "expected ',' between passes"),
    ("toy-count,toy-apend", 11, "unknown pass 'toy-apend'"),
    ("toy-count,toy-append{cnt=2}", 11, "has no option 'cnt'"),
    ("toy-append{count=1,count=2}", 20, "given twice"),
])
def test_parse_pipeline_errors_give_the_column(text, column, words):
    with pytest.raises(PassError) as info:
        parse_pipeline(text)
    err = info.value
    assert words in err.message
    assert f"at column {column} " in err.message
    assert err.location.column == column
    rendered = str(err).splitlines()
    assert rendered[-1] == "    " + " " * (column - 1) + "^"


@pytest.mark.parametrize("text", ["", "   "])
def test_parse_pipeline_empty(text):
    with pytest.raises(PassError, match="pipeline is empty"):
        parse_pipeline(text)


# ---- running ---------------------------------------------------------------------------
def test_transformations_chain_and_records():
    pm = PassManager([get_pass("toy-append"), get_pass("toy-append", op="mul", count=2)])
    out = pm.run(IR0)
    assert out.ops == ("input", "mul", "add", "mul", "mul")
    assert IR0.ops == ("input", "mul")
    r1, r2 = pm.records
    assert (r1.index, r1.name, r1.kind) == (1, "toy-append", "transformation")
    assert r1.stats_before == {"ops": 2, "adds": 0} and r1.stats_after == {"ops": 3, "adds": 1}
    assert r2.stats_before == r1.stats_after and r2.stats_after == {"ops": 5, "adds": 1}
    assert r1.seconds >= 0


def test_requires_runs_the_analysis_first():
    pm = PassManager([get_pass("toy-uses-count")])
    out = pm.run(IR0)
    assert [r.name for r in pm.records] == ["toy-count", "toy-uses-count"]
    assert pm.records[0].required_by == "toy-uses-count"
    assert pm.records[0].written == ("toy_count", "toy_kinds")
    assert out.ops[-1] == "n2"


def test_required_analysis_is_not_rerun_while_valid():
    pm = PassManager([get_pass("toy-count"), get_pass("toy-uses-count")])
    pm.run(IR0)
    assert [r.name for r in pm.records] == ["toy-count", "toy-uses-count"]
    assert pm.records[0].required_by is None


def test_transformation_invalidates_analyses():
    pm = PassManager([get_pass("toy-count"), get_pass("toy-append"), get_pass("toy-uses-count")])
    out = pm.run(IR0)
    assert [r.name for r in pm.records] == ["toy-count", "toy-append", "toy-count",
                                           "toy-uses-count"]
    assert out.ops[-1] == "n3"  # the count of the appended IR, not the stale one


def test_stale_results_leave_the_property_set():
    pm = PassManager([get_pass("toy-count"), get_pass("toy-append")])
    pm.run(IR0)
    assert "toy_count" not in pm.properties


def test_preserves_keeps_an_analysis_valid():
    pm = PassManager([get_pass("toy-count"), get_pass("toy-preserving"),
                      get_pass("toy-uses-count")])
    out = pm.run(IR0)
    assert [r.name for r in pm.records] == ["toy-count", "toy-preserving", "toy-uses-count"]
    assert out.ops == ("INPUT", "MUL", "n2")


def test_requiring_a_transformation_is_an_error():
    with pytest.raises(PassError, match="only analyses can be required"):
        PassManager([get_pass("toy-requires-transform")]).run(IR0)


def test_requires_cycle_is_an_error():
    with pytest.raises(PassError, match="cycle: toy-cycle-a -> toy-cycle-b -> toy-cycle-a"):
        PassManager([get_pass("toy-cycle-a")]).run(IR0)


def test_verify_after_each_pass_names_the_failing_pass():
    pm = PassManager([get_pass("toy-append"), get_pass("toy-append", op="bad")], verify=True)
    with pytest.raises(InternalError) as info:   # a pass that breaks the IR is a bug
        pm.run(IR0)
    assert "after pass 'toy-append' (2)" in info.value.message
    assert "op 'bad' is not allowed" in info.value.message


def test_verify_off_does_not_verify():
    out = PassManager([get_pass("toy-append", op="bad")]).run(IR0)
    assert out.ops[-1] == "bad"


def test_verify_checks_the_input_ir():
    with pytest.raises(IRVerifyError, match="input IR is invalid"):
        PassManager([get_pass("toy-count")], verify=True).run(ToyIR(("bad",)))


def test_mutating_a_pass_input_is_caught_in_verify_mode():
    with pytest.raises(InternalError, match="'toy-mutator' mutated its input"):
        PassManager([get_pass("toy-mutator")], verify=True).run(MutableIR(["a"]))


def test_analysis_must_not_return_ir():
    with pytest.raises(PassError, match="analysis 'toy-bad-analysis' returned a value"):
        PassManager([get_pass("toy-bad-analysis")]).run(IR0)


def test_transformation_must_return_ir():
    with pytest.raises(PassError, match="returned no IR"):
        PassManager([get_pass("toy-no-result")]).run(IR0)


# ---- callbacks -------------------------------------------------------------------------
PIPELINE = "toy-append{count=2},toy-uses-count,toy-preserving"


def test_print_ir_after_all():
    buf = io.StringIO()
    PassManager(parse_pipeline(PIPELINE), callbacks=[PrintIRAfter("all", stream=buf)]).run(IR0)
    text = buf.getvalue()
    headers = [line for line in text.splitlines() if line.startswith("// -----")]
    assert headers == ["// ----- IR after toy-append (1) -----",
                       "// ----- IR after toy-count (2) -----",
                       "// ----- IR after toy-uses-count (3) -----",
                       "// ----- IR after toy-preserving (4) -----"]
    assert text.endswith("%4 = N4\n")


def test_print_ir_after_selected_names():
    buf = io.StringIO()
    PassManager(parse_pipeline(PIPELINE),
                callbacks=[PrintIRAfter({"toy-uses-count"}, stream=buf)]).run(IR0)
    assert buf.getvalue() == ("// ----- IR after toy-uses-count (3) -----\n"
                              "%0 = input\n%1 = mul\n%2 = add\n%3 = add\n%4 = n4\n")


def test_print_ir_defaults_to_stdout(capsys):
    PassManager([get_pass("toy-append")], callbacks=[PrintIRAfter()]).run(IR0)
    assert "// ----- IR after toy-append (1) -----" in capsys.readouterr().out


def _dump(path):
    PassManager(parse_pipeline(PIPELINE), callbacks=[DumpDir(path)]).run(IR0)
    return {p.name: p.read_bytes() for p in sorted(path.iterdir())}


def test_dump_dir_files_and_contents(tmp_path):
    files = _dump(tmp_path / "d")
    assert sorted(files) == ["00-input.ir", "00-input.json",
                             "01-toy-append.ir", "01-toy-append.json",
                             "02-toy-count.ir", "02-toy-count.json",
                             "03-toy-uses-count.ir", "03-toy-uses-count.json",
                             "04-toy-preserving.ir", "04-toy-preserving.json", "index.html"]
    assert files["01-toy-append.ir"].decode() == "%0 = input\n%1 = mul\n%2 = add\n%3 = add\n"
    meta = json.loads(files["02-toy-count.json"])
    assert meta["pass"] == "toy-count" and meta["kind"] == "analysis"
    assert meta["required_by"] == "toy-uses-count"
    assert meta["properties"] == {"toy_count": 4, "toy_kinds": ["add", "input", "mul"]}
    assert meta["stats_before"] == meta["stats_after"] == {"adds": 2, "ops": 4}
    assert "seconds" not in meta
    meta1 = json.loads(files["01-toy-append.json"])
    assert meta1["options"]["count"] == 2
    assert meta1["stats_before"] == {"adds": 0, "ops": 2}


def test_dump_dir_is_byte_identical_across_runs(tmp_path):
    """Every IR and JSON file; index.html shows each pass's time, which varies."""
    a, b = _dump(tmp_path / "a"), _dump(tmp_path / "b")
    assert a.pop("index.html") and b.pop("index.html")
    assert a == b


def test_dump_dir_replaces_old_dumps_only(tmp_path):
    d = tmp_path / "d"
    d.mkdir()
    (d / "07-old-pass.ir").write_text("stale")
    (d / "notes.txt").write_text("mine")
    files = _dump(d)
    assert "07-old-pass.ir" not in files
    assert files["notes.txt"] == b"mine"


def test_time_passes_table_and_text():
    timer = TimePasses()
    PassManager(parse_pipeline(PIPELINE), callbacks=[timer]).run(IR0)
    assert [r[1] for r in timer.rows] == ["toy-append", "toy-count", "toy-uses-count",
                                          "toy-preserving"]
    assert timer.rows[0][4] == "adds 0→2, ops 2→4"
    table = timer.table()
    assert isinstance(table, Table) and table.row_count == 5
    console = Console(file=io.StringIO(), width=120, color_system=None)
    console.print(table)
    rendered = console.file.getvalue()
    assert "toy-uses-count" in rendered and "total" in rendered
    lines = timer.text().splitlines()
    assert lines[0].split() == ["#", "pass", "kind", "ms", "%", "changes"]
    assert lines[1].split()[:3] == ["1", "toy-append", "transformation"]
    assert lines[-1].split()[0] == "total"
    assert timer.total == pytest.approx(sum(r[3] for r in timer.rows))


def test_print_ir_after_accepts_a_single_name():
    buf = io.StringIO()
    PassManager(parse_pipeline(PIPELINE), callbacks=[PrintIRAfter("toy-count", stream=buf)]).run(IR0)
    assert buf.getvalue().startswith("// ----- IR after toy-count (2) -----\n")
    assert buf.getvalue().count("// -----") == 1


def test_time_passes_flattens_nested_stats():
    from qcompile.passes.manager import _stat_changes

    before = {"nodes": 3, "ops": {"add": 2, "attention": 1}}
    after = {"nodes": 5, "ops": {"add": 2, "linear": 4}}
    assert _stat_changes(before, after) == "nodes 3→5, ops.attention 1→-, ops.linear -→4"
