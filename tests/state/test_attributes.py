"""Marshalling and item sizes (faasgi/state/attributes.py), against the DynamoDB developer
guide: which attribute types a value becomes, and how many bytes an item counts."""

from __future__ import annotations

from typing import Any

import pytest

from faasgi.state.attributes import from_attribute, item_size, to_attribute


@pytest.mark.parametrize(
    ("value", "attribute"),
    [
        ("text", {"S": "text"}),
        (42, {"N": "42"}),
        (1.5, {"N": "1.5"}),
        (True, {"BOOL": True}),
        (None, {"NULL": True}),
        (b"\x00", {"B": b"\x00"}),
        ([1, "a"], {"L": [{"N": "1"}, {"S": "a"}]}),
        ({"a": {"b": []}}, {"M": {"a": {"M": {"b": {"L": []}}}}}),
    ],
    ids=repr,
)
def test_json_values_become_dynamodb_native_attributes(value: Any, attribute: Any) -> None:
    assert to_attribute(value) == attribute


@pytest.mark.parametrize("value", [2.0, -0.0, 1e300, 5e-324, 1e20], ids=repr)
def test_floats_a_dynamodb_number_would_not_keep_become_one_element_string_sets(
    value: float,
) -> None:
    # DynamoDB normalises "2.0" to "2" and refuses magnitudes outside 1e-130 .. 1e126.
    assert to_attribute(value) == {"SS": [repr(value)]}
    assert repr(from_attribute({"SS": [repr(value)]})) == repr(value)


def test_numbers_read_back_in_dynamodbs_normalised_form_keep_their_type() -> None:
    assert from_attribute({"N": "0.00000015"}) == 1.5e-7
    assert isinstance(from_attribute({"N": "100"}), int)
    assert isinstance(from_attribute({"N": "1E-7"}), float)


@pytest.mark.parametrize("attribute", [{"SS": ["a", "b"]}, {"NS": ["1"]}, {}])
def test_attributes_faasgi_never_writes_are_refused(attribute: Any) -> None:
    with pytest.raises(ValueError, match="attribute"):
        from_attribute(attribute)


@pytest.mark.parametrize(
    ("item", "size"),
    [
        # name bytes + UTF-8 bytes of the string
        ({"name": {"S": "abc"}}, 4 + 3),
        ({"n": {"S": "żółw"}}, 1 + 7),
        # a number: 1 byte per two significant digits, plus 1
        ({"n": {"N": "123.45"}}, 1 + 3 + 1),
        ({"n": {"N": "1000"}}, 1 + 1 + 1),
        ({"b": {"B": b"\x00\x01"}}, 1 + 2),
        ({"t": {"BOOL": True}, "z": {"NULL": True}}, 1 + 1 + 1 + 1),
        # list or map: 3 bytes, plus each element and 1 byte per element
        ({"l": {"L": [{"S": "ab"}, {"N": "1"}]}}, 1 + 3 + (2 + 1) + (2 + 1)),
        ({"m": {"M": {"k": {"S": "v"}}}}, 1 + 3 + (1 + 1 + 1)),
        ({"e": {"M": {}}}, 1 + 3),
    ],
)
def test_item_size_follows_the_dynamodb_rules(item: Any, size: int) -> None:
    assert item_size(item) == size


def test_an_item_is_sized_by_its_names_and_values_as_the_developer_guide_adds_them() -> None:
    """The worked rule of "DynamoDB item sizes and formats": every attribute name and map
    key counts its UTF-8 bytes next to its value's."""
    item = {
        "pk": {"S": "user#ż"},  # 2 + 7
        "version": {"N": "12"},  # 7 + (1 + 1)
        "value": {"M": {"tags": {"L": [{"S": "a"}, {"BOOL": True}]}, "": {"NULL": True}}},
    }
    value = 3 + (4 + (3 + (1 + 1) + (1 + 1)) + 1) + (0 + 1 + 1)
    assert item_size(item) == (2 + 7) + (7 + 2) + (5 + value)


def test_a_lone_surrogate_is_refused_as_not_json_rather_than_failing_to_encode() -> None:
    from faasgi.state import NotJSON

    with pytest.raises(NotJSON, match="lone surrogate"):
        to_attribute({"desc": "ok \ud800"})
