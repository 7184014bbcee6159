"""A lead's own attributes (a form's fields beyond the known ones, an import's columns): what
they may be, checked whole and said in words, one error a value."""

from typing import Any

from pydantic import WithJsonSchema

from leadflow_common.errors import FieldError

MAX_ATTRIBUTES = 50
MAX_NAME = 64
MAX_TEXT = 500

# What the API documents; `attribute_errors` checks it (pydantic's check of the union said four
# errors for one value too long: "attributes.notes.constrained-str", ".int", ".float", ".bool").
ATTRIBUTES_SCHEMA = WithJsonSchema(
    {
        "type": "object",
        "maxProperties": MAX_ATTRIBUTES,
        "propertyNames": {"minLength": 1, "maxLength": MAX_NAME},
        "additionalProperties": {
            "anyOf": [
                {"type": "string", "maxLength": MAX_TEXT},
                {"type": "integer"},
                {"type": "number"},
                {"type": "boolean"},
            ]
        },
    }
)


def attribute_errors(attributes: dict[str, Any]) -> list[FieldError]:
    errors = []
    for name, value in attributes.items():
        if not isinstance(value, str | int | float | bool):
            errors.append(
                FieldError(name=f"attributes.{name}", message="must be a string, number or boolean")
            )
        elif isinstance(value, str) and len(value) > MAX_TEXT:
            errors.append(FieldError(name=f"attributes.{name}", message=f"at most {MAX_TEXT} characters"))
        elif not name.strip():
            errors.append(FieldError(name="attributes", message="an attribute needs a name"))
        elif len(name) > MAX_NAME:
            message = f"attribute names have at most {MAX_NAME} characters"
            errors.append(FieldError(name=f"attributes.{name}", message=message))
    if len(attributes) > MAX_ATTRIBUTES:
        errors.append(FieldError(name="attributes", message=f"at most {MAX_ATTRIBUTES} attributes"))
    return errors
