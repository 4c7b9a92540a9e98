"""JSON values <-> DynamoDB attribute values (the typed `{"S": ...}` form the low-level
client speaks), and the size of an item as DynamoDB counts it against its 400 KB limit.

Both backends marshal through here, so a value the memory store accepts is one DynamoDB
accepts and reads back identically. Never imports boto3, never uses Decimal, never pickles.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from faasgi.state.store import NotJSON

AttributeValue = dict[str, Any]

# The table design (docs/state.md): every item has these attributes and no others.
#: Partition key (S, HASH).
PARTITION = "pk"
#: Sort key (S, RANGE).
SORT = "sk"
#: Write counter for optimistic locking (N): 1 on create, +1 on every write.
VERSION = "version"
#: Expiry in epoch seconds (N), the table's TTL attribute; absent when the item never expires.
EXPIRES_AT = "expires_at"
#: The stored JSON value, marshalled by `to_attribute`.
VALUE = "value"

#: DynamoDB numbers keep 38 significant digits; larger ints would be rounded.
_INT_LIMIT = 10**38
#: Below this magnitude DynamoDB rejects a number (its range is 1E-130 .. 9.9E+125).
_SMALLEST_NUMBER = 1e-130

#: A UTF-16 surrogate code point: JSON's `"\ud800"` escape decodes to one, but it has no
#: UTF-8 form, so neither DynamoDB nor any JSON reader on the other side could take it.
_SURROGATE = re.compile("[\ud800-\udfff]")

_NO_UTF8 = "it has no UTF-8 form, and DynamoDB stores text as UTF-8"

_INF = float("inf")
_NULL: AttributeValue = {"NULL": True}
_TRUE: AttributeValue = {"BOOL": True}
_FALSE: AttributeValue = {"BOOL": False}


def to_attribute(value: Any) -> AttributeValue:
    """The attribute value for a JSON value (or bytes); `NotJSON` says where it is not JSON.

    Floats: DynamoDB normalises numbers ("2.0" is read back as "2") and has a narrower range
    than a float, so a float that a number would turn into an int or reject (integral values
    such as 2.0 or 1e300, magnitudes under 1e-130) is stored as a one-element string set
    holding its `repr`; JSON itself never produces a set, so reading it back is unambiguous.
    """
    kind = type(value)
    if kind is str:
        if not value.isascii():
            _check_text(value)
        return {"S": value}
    if kind is dict:
        return {"M": _map(value)}
    if kind is bool:
        return _TRUE if value else _FALSE
    if kind is int:
        return {"N": _int_text(value)}
    if kind is float:
        return _float(value)
    if value is None:
        return _NULL
    if kind is list or kind is tuple:
        return {"L": _list(value)}
    if kind is bytes:
        return {"B": value}
    return _subclass(value)


def _map(value: Mapping[Any, Any]) -> dict[str, AttributeValue]:
    encoded: dict[str, AttributeValue] = {}
    for key, item in value.items():
        if not isinstance(key, str):
            raise NotJSON(f"has the key {key!r}; JSON objects need str keys")
        if not key:
            # A map key is an attribute name, which DynamoDB requires to be non-empty
            # (https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/HowItWorks.NamingRulesDataTypes.html).
            raise NotJSON("has the key ''; DynamoDB refuses an empty name in a map")
        if not key.isascii() and _SURROGATE.search(key):
            raise NotJSON(f"has the key {key!r}, with a lone surrogate: {_NO_UTF8}")
        try:
            encoded[str(key)] = to_attribute(item)
        except NotJSON as error:
            error.path.insert(0, f"[{key!r}]")
            raise
    return encoded


def _list(value: list[Any] | tuple[Any, ...]) -> list[AttributeValue]:
    encoded: list[AttributeValue] = []
    for index, item in enumerate(value):
        try:
            encoded.append(to_attribute(item))
        except NotJSON as error:
            error.path.insert(0, f"[{index}]")
            raise
    return encoded


def _subclass(value: Any) -> AttributeValue:
    """The slow path: subclasses of the JSON types (IntEnum, OrderedDict, ...) and bytes-likes."""
    if isinstance(value, bool):
        return _TRUE if value else _FALSE
    if isinstance(value, int):
        return {"N": _int_text(int(value))}
    if isinstance(value, float):
        return _float(float(value))
    if isinstance(value, str):
        return to_attribute(str(value))
    if isinstance(value, (bytearray, memoryview)):
        return {"B": bytes(value)}
    if isinstance(value, Mapping):
        return {"M": _map(value)}
    if isinstance(value, (list, tuple)):
        return {"L": _list(value)}
    raise NotJSON(
        f"is a {type(value).__name__}, which is not a JSON value; store str, int, float, "
        "bool, None, bytes, lists and dicts with str keys (dates as ISO strings, say)"
    )


def _check_text(text: str) -> None:
    found = _SURROGATE.search(text)
    if found is not None:
        raise NotJSON(
            f"is text with a lone surrogate ({found.group()!r} at index {found.start()}): "
            + _NO_UTF8
        )


def _int_text(value: int) -> str:
    if -_INT_LIMIT < value < _INT_LIMIT:
        return str(value)
    raise NotJSON(f"= {value} has more than 38 digits, more than a DynamoDB number keeps")


def _float(value: float) -> AttributeValue:
    if value != value or value in (_INF, -_INF):
        raise NotJSON(f"= {value!r}: JSON has no NaN or Infinity")
    if value.is_integer() or abs(value) < _SMALLEST_NUMBER:
        return {"SS": [repr(value)]}
    return {"N": repr(value)}


def from_attribute(attribute: Mapping[str, Any]) -> Any:
    """The JSON value (or bytes) an attribute value written by `to_attribute` stands for."""
    for tag, data in attribute.items():
        if tag == "S":
            return data
        if tag == "M":
            return {key: from_attribute(item) for key, item in data.items()}
        if tag == "N":
            # A float keeps its point or exponent through DynamoDB's normalisation (integral
            # floats never take this path, see to_attribute); an int never has one.
            if "." in data or "e" in data or "E" in data:
                return float(data)
            return int(data)
        if tag == "BOOL":
            return bool(data)
        if tag == "NULL":
            return None
        if tag == "L":
            return [from_attribute(item) for item in data]
        if tag == "B":
            return bytes(data)
        if tag == "SS" and len(data) == 1:
            return float(data[0])
        raise ValueError(f"attribute {{{tag!r}: ...}} was not written by faasgi.state")
    raise ValueError("an empty attribute value")


def table_item(
    partition: str, sort: str, value: AttributeValue, version: int, expires_at: int | None
) -> dict[str, AttributeValue]:
    """The whole item as the table holds it (what DynamoDB sizes against its limit)."""
    item = {
        PARTITION: {"S": partition},
        SORT: {"S": sort},
        VERSION: {"N": str(version)},
        VALUE: value,
    }
    if expires_at is not None:
        item[EXPIRES_AT] = {"N": str(expires_at)}
    return item


def item_size(item: Mapping[str, Mapping[str, Any]]) -> int:
    """Bytes an item counts against DynamoDB's 400 KB limit, by the rules in the DynamoDB
    developer guide ("DynamoDB item sizes and formats",
    https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/CapacityUnitCalculations.html):
    every attribute name and map key in UTF-8 plus its value; strings in UTF-8, binary raw,
    numbers one byte per two significant digits plus one, booleans and nulls one byte,
    lists and maps 3 bytes plus their elements plus 1 byte per element."""
    return sum(_utf8_len(name) + _size(value) for name, value in item.items())


def _size(attribute: Mapping[str, Any]) -> int:
    for tag, data in attribute.items():
        if tag == "S":
            return _utf8_len(data)
        if tag == "N":
            return _number_size(data)
        if tag == "B":
            return len(data)
        if tag in ("BOOL", "NULL"):
            return 1
        if tag == "M":
            return 3 + sum(_utf8_len(key) + _size(value) + 1 for key, value in data.items())
        if tag == "L":
            return 3 + sum(_size(value) + 1 for value in data)
        if tag == "SS":
            return sum(_utf8_len(value) for value in data)
        if tag == "NS":
            return sum(_number_size(value) for value in data)
        if tag == "BS":
            return sum(len(value) for value in data)
    return 0


def _utf8_len(text: str) -> int:
    return len(text) if text.isascii() else len(text.encode("utf-8"))


def _number_size(text: str) -> int:
    mantissa = text.lstrip("+-").split("e")[0].split("E")[0].replace(".", "")
    digits = len(mantissa.strip("0")) or 1
    return (digits + 1) // 2 + 1
