"""Loading .coverage files: covgap's numbers are coverage.py's, under every configuration."""

from __future__ import annotations

import contextlib
import os
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import coverage_json, measure_copy, run_coverage

from covgap.collect.coverage.coverage_data import LoadOptions, load_coverage_data
from covgap.errors import DataError


def load(project: Path, **options: object) -> object:
    return load_coverage_data(LoadOptions(project_dir=project, **options))  # type: ignore[arg-type]


def test_basic_equals_coverage_json(measured_basic: Path, equals_coverage_json) -> None:
    """Totals, files and functions equal coverage json's on a branch-measured project."""
    project = load(measured_basic)
    equals_coverage_json(project, coverage_json(measured_basic))
    assert project.branch_measured
    assert project.input_kind == "coverage-data"


def test_regions_partition_each_file(measured_basic: Path) -> None:
    """The functions plus the module-level region add up to the file's numbers."""
    project = load(measured_basic)
    for file in project.files:
        total = sum((r.numbers for r in file.regions[1:]), file.regions[0].numbers)
        assert total == file.numbers, file.path


def test_qualified_method_names(measured_basic: Path) -> None:
    """Methods carry their class (Stock.reserve) and nested functions their parent."""
    project = load(measured_basic)
    stock = next(f for f in project.files if f.path.endswith("stock.py"))
    names = {r.name for r in stock.regions}
    assert {
        "",
        "Stock.add",
        "Stock.reserve",
        "Stock.report",
        "restock_all",
        "restock_all.bump",
    } <= names


def test_never_imported_file_counts_as_zero(measured_basic: Path) -> None:
    """A file under `source` that no test imported is reported at 0%, not dropped."""
    project = load(measured_basic)
    shipping = next(f for f in project.files if f.path.endswith("shipping.py"))
    assert shipping.numbers.percent_covered == 0.0
    assert shipping.numbers.statements > 0


def test_branch_off(tmp_path: Path, equals_coverage_json) -> None:
    """Line-only data gives line-only numbers, equal to coverage's."""
    project_dir = tmp_path / "basic"
    shutil.copytree(Path(__file__).parents[2] / "fixtures" / "projects" / "basic", project_dir)
    pyproject = project_dir / "pyproject.toml"
    pyproject.write_text(pyproject.read_text().replace("branch = true", "branch = false"))
    run_coverage(project_dir, "run", "-m", "pytest", "-q", "-p", "no:cacheprovider")
    project = load(project_dir)
    assert not project.branch_measured
    assert project.totals.branches == 0
    equals_coverage_json(project, coverage_json(project_dir))


def test_report_omit_is_honoured(basic_copy: Path, equals_coverage_json) -> None:
    """[report] omit removes files exactly as coverage report does."""
    pyproject = basic_copy / "pyproject.toml"
    pyproject.write_text(
        pyproject.read_text() + "\n[tool.coverage.report.omit]\n"
        if False
        else pyproject.read_text().replace(
            "[tool.coverage.report]\n", '[tool.coverage.report]\nomit = ["*/shipping.py"]\n'
        )
    )
    project = load(basic_copy)
    assert not any(f.path.endswith("shipping.py") for f in project.files)
    equals_coverage_json(project, coverage_json(basic_copy))


def test_exclusions_are_honoured(basic_copy: Path, equals_coverage_json) -> None:
    """A project's exclude_also patterns remove lines the way coverage does."""
    pyproject = basic_copy / "pyproject.toml"
    pyproject.write_text(
        pyproject.read_text().replace(
            'exclude_also = ["if TYPE_CHECKING:"]',
            'exclude_also = ["if TYPE_CHECKING:", "def currency"]',
        )
    )
    project = load(basic_copy)
    pricing = next(f for f in project.files if f.path.endswith("pricing.py"))
    assert "currency" not in {r.name for r in pricing.regions if r.numbers.statements}
    equals_coverage_json(project, coverage_json(basic_copy))


def test_parallel_pieces_are_combined_without_touching_them(
    tmp_path: Path, equals_coverage_json
) -> None:
    """Uncombined parallel data files are read together; the files themselves stay as they were."""
    project_dir = measure_copy("basic", tmp_path / "basic", "--parallel-mode")
    pieces = sorted(project_dir.glob(".coverage.*"))
    assert pieces and not (project_dir / ".coverage").exists()
    before = {p: p.read_bytes() for p in pieces}
    project = load(project_dir)
    assert {p: p.read_bytes() for p in sorted(project_dir.glob(".coverage.*"))} == before
    assert not (project_dir / ".coverage").exists()
    run_coverage(project_dir, "combine", "--keep", "-q")
    equals_coverage_json(project, coverage_json(project_dir))


def test_paths_remapping(tmp_path: Path, equals_coverage_json) -> None:
    """Data measured elsewhere loads once [paths] maps the old location to this checkout."""
    measured = measure_copy("basic", tmp_path / "ci-machine" / "basic")
    moved = tmp_path / "laptop" / "basic"
    shutil.copytree(measured, moved)
    shutil.rmtree(measured)
    with pytest.raises(DataError) as error:
        load(moved)
    assert error.value.slug == "no-source"
    assert "[paths]" in (error.value.hint or "")
    pyproject = moved / "pyproject.toml"
    pyproject.write_text(
        pyproject.read_text() + f'\n[tool.coverage.paths]\nsource = ["src/", "{measured}/src/"]\n'
    )
    project = load(moved)
    equals_coverage_json(project, coverage_json(moved))


def test_a_wildcard_result_path_names_the_setting(tmp_path: Path, equals_coverage_json) -> None:
    """A [paths] entry whose first path is a pattern (PyJWT's ``"*/site-packages"``): coverage.py
    7.18 refuses to combine with it; covgap's line then says which setting, in which file, to
    change. Older coverage.py combines, and covgap equals it."""
    project_dir = measure_copy("basic", tmp_path / "basic", "--parallel-mode")
    pyproject = project_dir / "pyproject.toml"
    pyproject.write_text(
        pyproject.read_text() + '\n[tool.coverage.paths]\nsource = ["*/site-packages", "src/"]\n'
    )
    refused = subprocess.run(
        [sys.executable, "-m", "coverage", "combine", "--keep", "-q"],
        cwd=project_dir,
        capture_output=True,
        text=True,
        check=False,
    )
    if refused.returncode == 0:
        equals_coverage_json(load(project_dir), coverage_json(project_dir))
        return
    assert "Result path" in refused.stdout + refused.stderr
    with pytest.raises(DataError) as error:
        load(project_dir)
    assert "cannot combine parallel data files" in str(error.value)
    assert "[paths]" in (error.value.hint or "") and "pyproject.toml" in (error.value.hint or "")


def test_cache_gives_identical_results(basic_copy: Path) -> None:
    """A second load answers from the cache and equals the first to the last line."""
    cache = basic_copy / ".covgap" / "cache.sqlite3"
    first = load(basic_copy, cache_path=cache)
    second = load(basic_copy, cache_path=cache)
    assert first.parsed_files == 4 and first.cached_files == 0
    assert second.parsed_files == 0 and second.cached_files == 4
    assert first.files == second.files
    assert (basic_copy / ".covgap" / ".gitignore").read_text().strip().endswith("*")


def test_new_measurement_reuses_the_parse(basic_copy: Path, equals_coverage_json) -> None:
    """Unchanged sources measured anew: nothing is parsed again; the numbers are the new ones."""
    cache = basic_copy / ".covgap" / "cache.sqlite3"
    first = load(basic_copy, cache_path=cache)
    run_coverage(
        basic_copy, "run", "-m", "pytest", "-q", "-p", "no:cacheprovider", "tests/test_stock.py"
    )
    second = load(basic_copy, cache_path=cache)
    assert (second.parsed_files, second.cached_files) == (0, 4)
    assert second.totals != first.totals
    equals_coverage_json(second, coverage_json(basic_copy))


def test_cache_misses_when_a_file_changes(basic_copy: Path) -> None:
    """Editing one source file re-parses that file only."""
    cache = basic_copy / ".covgap" / "cache.sqlite3"
    load(basic_copy, cache_path=cache)
    shipping = basic_copy / "src" / "inventory" / "shipping.py"
    shipping.write_text(shipping.read_text() + "\n\ndef extra() -> int:\n    return 1\n")
    again = load(basic_copy, cache_path=cache)
    assert (again.parsed_files, again.cached_files) == (1, 3)
    changed = next(f for f in again.files if f.path.endswith("shipping.py"))
    assert "extra" in {r.name for r in changed.regions}


def test_foreign_cache_file_is_left_alone(basic_copy: Path) -> None:
    """A SQLite file that is not covgap's is neither used nor changed."""
    cache = basic_copy / ".covgap" / "cache.sqlite3"
    cache.parent.mkdir()
    with contextlib.closing(sqlite3.connect(cache)) as connection, connection:
        connection.execute("CREATE TABLE precious (x)")
    before = cache.read_bytes()
    project = load(basic_copy, cache_path=cache)
    assert cache.read_bytes() == before
    assert any("not a covgap cache" in note for note in project.notes)
    assert project.parsed_files == 4


def test_corrupt_cache_file_does_not_stop_the_run(basic_copy: Path) -> None:
    """A cache file that is not SQLite at all is reported in a note; the plan still comes."""
    cache = basic_copy / ".covgap" / "cache.sqlite3"
    cache.parent.mkdir()
    cache.write_bytes(b"garbage" * 100)
    project = load(basic_copy, cache_path=cache)
    assert project.files
    assert any("cache" in note for note in project.notes)
    assert cache.read_bytes() == b"garbage" * 100


def test_many_files_parse_in_parallel(tmp_path: Path, equals_coverage_json) -> None:
    """Worker processes give the same numbers as coverage json on a 40-file package."""
    project_dir = tmp_path / "many"
    package = project_dir / "many"
    package.mkdir(parents=True)
    (package / "__init__.py").write_text("")
    for index in range(40):
        (package / f"m{index}.py").write_text(
            f"def f(x):\n    if x > {index}:\n        return x\n    return -x\n\n"
            "class C:\n    def g(self, y):\n        for i in range(y):\n            if i % 2:\n"
            "                return i\n        return None\n"
        )
    (project_dir / "test_many.py").write_text(
        "import importlib\n\ndef test_some():\n"
        "    for i in range(0, 40, 3):\n        importlib.import_module(f'many.m{i}').f(i + 1)\n"
    )
    (project_dir / ".coveragerc").write_text("[run]\nbranch = True\nsource = many\n")
    run_coverage(project_dir, "run", "-m", "pytest", "-q", "-p", "no:cacheprovider")
    parallel = load(project_dir, jobs=2)
    serial = load(project_dir, jobs=1)
    assert parallel.files == serial.files
    equals_coverage_json(parallel, coverage_json(project_dir))


@pytest.mark.parametrize(
    "content",
    [
        pytest.param(b"", id="empty-file"),
        pytest.param(b"this is not a database, just text\n" * 20, id="text"),
        pytest.param(b"SQLite format 3\x00" + b"\x00" * 200, id="truncated-sqlite"),
    ],
)
def test_corrupt_data_file(tmp_path: Path, content: bytes) -> None:
    """A data file coverage.py cannot read is one DataError naming the file."""
    (tmp_path / ".coverage").write_bytes(content)
    with pytest.raises(DataError) as error:
        load(tmp_path)
    assert error.value.path == ".coverage"
    assert (tmp_path / ".coverage").read_bytes() == content


def test_foreign_sqlite_data_file(tmp_path: Path) -> None:
    """An SQLite database that is not coverage data is refused, not misread."""
    with contextlib.closing(sqlite3.connect(tmp_path / ".coverage")) as connection, connection:
        connection.execute("CREATE TABLE t (x)")
    before = (tmp_path / ".coverage").read_bytes()
    with pytest.raises(DataError) as error:
        load(tmp_path)
    assert error.value.slug == "bad-data-file"
    assert (tmp_path / ".coverage").read_bytes() == before, (
        "coverage.py must not get to add its tables"
    )


def test_missing_data_file(tmp_path: Path) -> None:
    """No data file and no parallel pieces: one error that says how to measure."""
    with pytest.raises(DataError) as error:
        load(tmp_path)
    assert error.value.slug == "no-data-file"
    assert "coverage run" in (error.value.hint or "")


def test_empty_data_set(tmp_path: Path) -> None:
    """A data file that measured nothing is an error, not a 100% plan."""
    from coverage import CoverageData

    data = CoverageData(basename=str(tmp_path / ".coverage"))
    data.add_lines({})
    data.write()
    with pytest.raises(DataError) as error:
        load(tmp_path)
    assert error.value.slug == "empty-data"


def test_syntax_error_in_source(basic_copy: Path) -> None:
    """A source file that no longer parses is named, with the way out."""
    (basic_copy / "src" / "inventory" / "pricing.py").write_text("def broken(:\n    pass\n")
    with pytest.raises(DataError) as error:
        load(basic_copy)
    assert error.value.slug == "not-python"
    assert error.value.path is not None and error.value.path.endswith("pricing.py")


def test_syntax_error_skipped_under_ignore_errors(basic_copy: Path) -> None:
    """[report] ignore_errors skips the broken file, like coverage report, with a note."""
    (basic_copy / "src" / "inventory" / "pricing.py").write_text("def broken(:\n    pass\n")
    pyproject = basic_copy / "pyproject.toml"
    pyproject.write_text(
        pyproject.read_text().replace(
            "[tool.coverage.report]\n", "[tool.coverage.report]\nignore_errors = true\n"
        )
    )
    project = load(basic_copy)
    assert not any(f.path.endswith("pricing.py") for f in project.files)
    assert any("pricing.py" in note for note in project.notes)


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs on this system")
@pytest.mark.timeout(60)
def test_a_source_that_is_a_fifo_is_never_opened(basic_copy: Path) -> None:
    """A measured source replaced by a FIFO (reading it would wait for a writer forever) is
    named as not a regular file; under [report] ignore_errors it is skipped with a note."""
    pricing = basic_copy / "src" / "inventory" / "pricing.py"
    pricing.unlink()
    os.mkfifo(pricing)
    with pytest.raises(DataError) as error:
        load(basic_copy)
    assert (error.value.slug, error.value.message) == (
        "not-regular-file",
        "not a regular file (a FIFO)",
    )
    assert error.value.path == str(pricing)
    pyproject = basic_copy / "pyproject.toml"
    pyproject.write_text(
        pyproject.read_text().replace(
            "[tool.coverage.report]\n", "[tool.coverage.report]\nignore_errors = true\n"
        )
    )
    project = load(basic_copy)
    assert not any(f.path.endswith("pricing.py") for f in project.files)
    note = f"{pricing}: not a regular file (a FIFO); skipped under [report] ignore_errors"
    assert note in project.notes


def test_non_utf8_first_lines_are_an_error(basic_copy: Path) -> None:
    """Non-UTF-8 bytes where Python looks for a coding line: coverage.py cannot read it either."""
    pricing = basic_copy / "src" / "inventory" / "pricing.py"
    pricing.write_bytes(
        pricing.read_bytes().replace(
            b'"""Prices and discounts."""', b'"""Prices \xe9 discounts."""'
        )
    )
    with pytest.raises(DataError) as error:
        load(basic_copy)
    assert error.value.slug == "bad-encoding"
    assert error.value.path is not None and error.value.path.endswith("pricing.py")


def test_non_utf8_later_lines_are_read_like_coverage(
    basic_copy: Path, equals_coverage_json
) -> None:
    """Undecodable bytes further down are replaced as coverage.py replaces them, with a note."""
    pricing = basic_copy / "src" / "inventory" / "pricing.py"
    pricing.write_bytes(pricing.read_bytes().replace(b"def currency(", b"# caf\xe9\ndef currency("))
    project = load(basic_copy)
    assert any("pricing.py" in note and "encoding" in note for note in project.notes)
    equals_coverage_json(project, coverage_json(basic_copy))


def test_broken_coverage_config(basic_copy: Path) -> None:
    """A coverage config coverage.py rejects is a configuration error."""
    from covgap.errors import ConfigError

    (basic_copy / ".coveragerc").write_text("[run]\nbranch = maybe\n")
    with pytest.raises(ConfigError):
        load(basic_copy)


def test_data_file_plus_parallel_pieces(tmp_path: Path, equals_coverage_json) -> None:
    """A data file with uncombined pieces beside it is read as coverage.py 7.14+ reports read it."""
    import coverage

    project_dir = tmp_path / "basic"
    shutil.copytree(Path(__file__).parents[2] / "fixtures" / "projects" / "basic", project_dir)
    pytest_args = ["-m", "pytest", "-q", "-p", "no:cacheprovider"]
    run_coverage(project_dir, "run", *pytest_args, "tests/test_pricing.py")  # .coverage
    run_coverage(project_dir, "run", "--parallel-mode", *pytest_args, "tests/test_stock.py")
    pieces = sorted(project_dir.glob(".coverage.*"))
    assert pieces and (project_dir / ".coverage").exists()
    before = {p: p.read_bytes() for p in [project_dir / ".coverage", *pieces]}
    project = load(project_dir)
    assert {p: p.read_bytes() for p in before} == before, "covgap changed the data files"
    stock = next(f for f in project.files if f.path.endswith("stock.py"))
    if coverage.version_info >= (7, 14):
        assert stock.numbers.covered_units > 0, "the piece's data was left out"
        # coverage json combines the pieces into .coverage first, exactly as covgap read them
        equals_coverage_json(project, coverage_json(project_dir))
    else:  # older coverage.py reports ignore the pieces when the data file exists
        assert stock.numbers.covered_units == 0


def test_templates_compiled_to_python_are_left_out_with_a_note(tmp_path: Path) -> None:
    """A Jinja2 template run under `source` is measured by coverage.py under its own name; it
    is not Python, so it is left out with a note instead of stopping the plan."""
    project_dir = tmp_path / "site"
    (project_dir / "pages" / "templates").mkdir(parents=True)
    (project_dir / "pages" / "__init__.py").write_text("")
    (project_dir / "pages" / "templates" / "page.txt.j2").write_text(
        "{% for item in items %}{{ item }}…{% endfor %}\n"
    )
    (project_dir / "pages" / "render.py").write_text(
        "import jinja2\nfrom pathlib import Path\n\n"
        "def render(items):\n"
        "    loader = jinja2.FileSystemLoader(Path(__file__).parent / 'templates')\n"
        "    template = jinja2.Environment(loader=loader).get_template('page.txt.j2')\n"
        "    return template.render(items=items)\n"
    )
    (project_dir / "test_render.py").write_text(
        "from pages.render import render\n\ndef test_render():\n    assert render([1]) == '1…'\n"
    )
    (project_dir / "pyproject.toml").write_text(
        '[tool.coverage.run]\nbranch = true\nsource = ["pages"]\n'
        '[tool.pytest.ini_options]\npythonpath = ["."]\n'
    )
    run_coverage(project_dir, "run", "-m", "pytest", "-q", "-p", "no:cacheprovider")
    project = load(project_dir)
    assert [f.path for f in project.files] == ["pages/__init__.py", "pages/render.py"]
    (note,) = [n for n in project.notes if "not Python source" in n]
    assert "pages/templates/page.txt.j2" in note
