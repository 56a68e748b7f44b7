"""carexport.jsondoc: the strict JSON reader every command and the API share."""

from __future__ import annotations

import json
import os
import threading
from pathlib import Path

import pytest
from hypothesis import event, given, settings
from hypothesis import strategies as st

from carexport import jsondoc
from carexport.errors import InvalidInput


def problems(data: bytes | str, **limits: int) -> list[tuple[str, str, str]]:
    with pytest.raises(InvalidInput) as refused:
        jsondoc.parse(data, source="DOC.json", **limits)
    return [(p.location, p.reason, p.kind) for p in refused.value.problems]


def test_reads_plain_json_into_plain_dicts_and_lists() -> None:
    value = jsondoc.parse(b'{"a": [1, 2.5, "x", null, true], "b": {}}', source="S")
    assert value == {"a": [1, 2.5, "x", None, True], "b": {}}
    assert type(value) is dict


@pytest.mark.parametrize("data", [b'\xef\xbb\xbf{"a": 1}', '\ufeff{"a": 1}'])
def test_accepts_a_utf8_byte_order_mark(data: bytes | str) -> None:
    assert jsondoc.parse(data, source="S") == {"a": 1}


def test_refuses_a_duplicate_key_naming_its_path() -> None:
    doc = '{"application": {"destination_country": "KZ", "destination_country": "RU"}}'
    [(where, reason, kind)] = problems(doc)
    assert where == "application.destination_country"
    assert "duplicate key" in reason
    assert kind == "duplicate_key"


@pytest.mark.parametrize(
    ("doc", "where", "kind"),
    [
        ('{"a": NaN}', "a", "not_a_number"),
        ('{"a": [Infinity]}', "a[0]", "not_a_number"),
        ('{"a": -Infinity}', "a", "not_a_number"),
        ('{"a": 1e400}', "a", "number_out_of_range"),
        ('{"a": ' + "9" * 5000 + "}", "a", "number_out_of_range"),
        ('{"vin": "LGX\\u0000"}', "vin", "nul_character"),
        ('{"a": ["\\ud800"]}', "a[0]", "lone_surrogate"),
        ('{"\\u0000": 1}', "\x00", "nul_character"),
    ],
)
def test_refuses_values_no_store_or_encoder_can_take(doc: str, where: str, kind: str) -> None:
    [(location, _, found)] = problems(doc)
    assert (location, found) == (where, kind)


@pytest.mark.parametrize(
    "data", [b"\xff\xfe{}", b'{"a": "\xc3"}', b'{"a": 1', b"", b"{not json", b"[1,]"]
)
def test_refuses_what_is_not_utf8_json_as_the_document(data: bytes) -> None:
    [(where, reason, _)] = problems(data)
    assert where == "(document)"
    assert reason.startswith(("not UTF-8", "not valid JSON"))


def test_refuses_nesting_beyond_the_limit_at_its_path() -> None:
    [(where, reason, kind)] = problems('{"a": [[[1]]]}', max_depth=3)
    assert (where, kind) == ("a[0][0]", "too_deep")
    assert "3 levels" in reason
    assert jsondoc.parse('{"a": [[1]]}', source="S", max_depth=3) == {"a": [[1]]}


@pytest.mark.parametrize("depth", [5_000, 100_000])
def test_refuses_pathological_nesting_without_recursion_error(depth: int) -> None:
    [(where, _, kind)] = problems("[" * depth + "]" * depth)
    assert (where, kind) == ("(document)", "too_deep")


def test_never_echoes_more_than_the_limit() -> None:
    key = "k" * 1_000_000
    found = problems(f'{{"{key}": 1, "{key}": 2}}', max_echo_chars=50)
    [(where, _, _)] = found
    assert len(where) < 100
    assert "1000000 characters" in where


def test_refuses_a_text_longer_than_the_limit_when_given_one() -> None:
    doc = '{"vin": "' + "L" * 10_001 + '", "ok": "' + "L" * 10_000 + '"}'
    assert problems(doc, max_text_chars=10_000) == [
        ("vin", "longer than 10000 characters", "too_long")
    ]
    assert jsondoc.parse(doc, source="S")["vin"] == "L" * 10_001  # no limit by default


def test_lists_at_most_twenty_problems() -> None:
    doc = "[" + ",".join(["NaN"] * 500) + "]"
    found = problems(doc)
    assert len(found) == jsondoc.MAX_PROBLEMS + 1
    assert "480 more" in found[-1][1]


@given(st.binary(max_size=200))
def test_any_bytes_give_a_value_or_input_problems(data: bytes) -> None:
    refusal: InvalidInput | None = None
    try:
        jsondoc.parse(data, source="S")
    except InvalidInput as refused:
        refusal = refused
    assert refusal is None or refusal.problems


def test_reads_at_most_the_limit_plus_one_byte(tmp_path: Path) -> None:
    big = tmp_path / "big.json"
    with big.open("wb") as handle:  # sparse: 2 GB on paper, nothing on disk
        handle.truncate(2 * 1024**3)
    with pytest.raises(InvalidInput) as refused:
        jsondoc.read_bounded(big, max_bytes=1024)
    assert "larger than 1024 bytes" in str(refused.value)


def test_refuses_an_endless_device() -> None:
    with pytest.raises(InvalidInput) as refused:
        jsondoc.read_bounded(Path("/dev/zero"), max_bytes=4096)
    assert "larger than 4096 bytes" in str(refused.value)


def test_reads_a_fifo_as_a_file(tmp_path: Path) -> None:
    fifo = tmp_path / "doc.json"
    os.mkfifo(fifo)
    writer = threading.Thread(target=fifo.write_bytes, args=(b'{"a": 1}',))
    writer.start()
    try:
        assert jsondoc.read_bounded(fifo, max_bytes=1024) == b'{"a": 1}'
    finally:
        writer.join()


@pytest.mark.parametrize(
    ("make", "reason"),
    [
        (lambda p: None, "no such file"),
        (lambda p: p.mkdir(), "is a directory"),
    ],
    ids=["missing", "directory"],
)
def test_says_why_a_path_cannot_be_read(tmp_path: Path, make: object, reason: str) -> None:
    path = tmp_path / "doc.json"
    make(path)  # type: ignore[operator]
    with pytest.raises(InvalidInput) as refused:
        jsondoc.read_bounded(path, max_bytes=10)
    assert reason in str(refused.value)
    assert str(path) in str(refused.value)


# Texts that hit every check: NUL, a lone surrogate, non-ASCII, quotes and backslashes,
# and lengths on both sides of the limit below.
_TEXTS = st.text(st.sampled_from(["a", "L", "中", "é", "\x00", "\ud800", '"', "\\"]), max_size=6)


def _json(value: object) -> str:
    """`value` as JSON text; a dict given as a list of pairs may repeat a key."""
    if isinstance(value, tuple):
        pairs = ", ".join(f"{json.dumps(k)}: {_json(v)}" for k, v in value)
        return "{" + pairs + "}"
    if isinstance(value, list):
        return "[" + ", ".join(_json(v) for v in value) + "]"
    return json.dumps(value)


_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | _TEXTS,
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.lists(
            st.tuples(st.sampled_from(["a", "b", "中", "\x00"]) | _TEXTS, inner), max_size=4
        ).map(tuple)
    ),
    max_leaves=20,
)


@given(_VALUES, st.integers(1, 5), st.integers(1, 6))
def test_the_quick_copy_answers_as_the_walk_with_field_paths(
    value: object, max_depth: int, max_text_chars: int
) -> None:
    # parse copies a clean document without field paths and walks again with them at
    # the first problem: its answer must be the full walk's, value or problems alike.
    text = _json(value)
    parsed = json.loads(
        text,
        object_pairs_hook=jsondoc._object,
        parse_constant=jsondoc._constant,
        parse_float=jsondoc._float,
        parse_int=jsondoc._int,
    )
    walk = jsondoc._Walk("S", max_depth, jsondoc.DEFAULT_MAX_ECHO_CHARS, max_text_chars)
    expected = walk.value(parsed, "", 0)
    limits = {"max_depth": max_depth, "max_text_chars": max_text_chars}
    if walk.problems:
        shown = walk.problems[: jsondoc.MAX_PROBLEMS]
        found = problems(text, **limits)[: jsondoc.MAX_PROBLEMS]
        assert found == [(p.location, p.reason, p.kind) for p in shown]
    else:
        value = jsondoc.parse(text, source="S", **limits)
        assert value == expected
        assert json.dumps(value) == json.dumps(expected)  # plain dicts, in the same order


# Texts for the clean path's byte checks: brackets and quotes inside texts, escapes of
# every kind, and lengths around the limit.
_CLEAN_TEXTS = st.text(
    st.sampled_from([*["a", "中", "[", "]", "{", "}", '"', "\\", "\n", "é"] * 4, "\x00", "\ud800"]),
    max_size=8,
)
_CLEAN_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | _CLEAN_TEXTS,
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.lists(
            st.tuples(st.sampled_from(["a", "b", "[", "\\"]) | _CLEAN_TEXTS, inner), max_size=4
        ).map(tuple)
    ),
    max_leaves=24,
)


def _any_json(value: object, ascii_only: bool, indent: str) -> str:
    """`value` as JSON text with or without \\u escapes, spaced or not; NaN and ±inf as
    Python writes them (which the reader must refuse)."""
    if isinstance(value, tuple):
        pairs = f",{indent}".join(
            f"{json.dumps(k, ensure_ascii=ascii_only)}: {_any_json(v, ascii_only, indent)}"
            for k, v in value
        )
        return "{" + indent + pairs + "}"
    if isinstance(value, list):
        return "[" + f",{indent}".join(_any_json(v, ascii_only, indent) for v in value) + "]"
    return json.dumps(value, ensure_ascii=ascii_only)


@settings(max_examples=1000)
@given(
    _CLEAN_VALUES,
    st.booleans(),
    st.sampled_from(["", " ", "\n  "]),
    st.integers(1, 5),
    st.integers(1, 12) | st.integers(13, 400),
    st.booleans(),
)
def test_the_clean_path_answers_only_for_documents_without_a_problem(
    value: object, ascii_only: bool, indent: str, max_depth: int, max_text_chars: int, raw: bool
) -> None:
    # The clean path (no walk) may send a clean document the careful way, never the other
    # way round, and what it reads is exactly what the careful way reads.
    text = _any_json(value, ascii_only, indent)
    data: bytes | str = text.encode("utf-8", "surrogatepass") if raw else text
    limits = {"max_depth": max_depth, "max_text_chars": max_text_chars}
    careful = jsondoc._Walk("S", max_depth, jsondoc.DEFAULT_MAX_ECHO_CHARS, max_text_chars)
    try:
        parsed = json.loads(
            text,
            object_pairs_hook=jsondoc._object,
            parse_constant=jsondoc._constant,
            parse_float=jsondoc._float,
            parse_int=jsondoc._int,
        )
    except (ValueError, RecursionError):
        parsed, problem = None, True
    else:
        expected = careful.value(parsed, "", 0)
        problem = bool(careful.problems)
    clean = jsondoc._clean_value(data, **limits)
    event(f"clean path: {clean is not jsondoc._NOT_CLEAN}, problem: {problem}")
    if problem:
        assert clean is jsondoc._NOT_CLEAN
    elif clean is not jsondoc._NOT_CLEAN:
        assert json.dumps(clean) == json.dumps(expected)  # same values, same key order
        assert jsondoc.parse(data, source="S", **limits) == expected


@pytest.mark.parametrize(
    "doc",
    [
        '{"a": "x\\\\"}',  # an escaped backslash before the closing quote
        '{"a": "\\"[\\"", "b": [{"c": "]]"}]}',  # escaped quotes and brackets in texts
        '{"a": "\\u4e2d\\n\\u00e9", "b": [1.5, -2, true, null]}',
        '\ufeff{"a": []}',
    ],
)
def test_the_clean_path_reads_escapes_and_brackets_in_texts(doc: str) -> None:
    expected = json.loads(doc.removeprefix("\ufeff"))
    for data in (doc, doc.encode()):
        value = jsondoc._clean_value(data, 64, 100)
        assert value == expected or value is jsondoc._NOT_CLEAN
        assert jsondoc.parse(data, source="S") == expected
    assert jsondoc._clean_value(doc.encode(), 64, 100) == expected or "[" in doc


def _long_texts() -> list[str]:
    """Documents with one text of 11 or 12 characters (the limit below is 10), at every offset
    from the start, made of letters, escaped quotes, escaped backslashes and \\u escapes."""
    docs = []
    for body in ("a" * 11, '\\"' * 11, '\\"' * 12, "\\\\" * 11, "\\u4e2d" * 11, "中" * 11):
        for pad in range(13):
            docs.append('{"k": [' + "1," * pad + '"' + body + '"]}')
            docs.append('{"' + "b" * pad + '": {"' + body + '": 1}}')
    return docs


@pytest.mark.parametrize(
    "doc",
    [
        '{"a": NaN}',
        "[Infinity]",
        "[-Infinity]",
        "[1e400]",
        "[-1e400]",
        "[" + "9" * 5000 + "]",
        '{"a": 1, "a": 2}',
        '[{"b": {"a": 1, "a": 2}}]',
        '{"a": "x\\u0000"}',
        '{"\\u0000": 1}',
        '["\\ud800"]',
        '["\\uDFFF"]',
        '["\\ud83d\\ude00", "\\udc00"]',
        "[[[[1]]]]",
        '{"a": {"b": {"c": {}}}}',
        '[[["[]"], [[0]]]]',
        *_long_texts(),
    ],
)
def test_the_clean_path_never_reads_a_document_with_a_problem(doc: str) -> None:
    for data in (doc, doc.encode()):
        assert jsondoc._clean_value(data, 3, 10) is jsondoc._NOT_CLEAN
        with pytest.raises(InvalidInput):
            jsondoc.parse(data, source="S", max_depth=3, max_text_chars=10)


def test_the_clean_path_refuses_a_lone_surrogate_in_a_python_text() -> None:
    assert jsondoc._clean_value('["\ud800"]', 64, None) is jsondoc._NOT_CLEAN
