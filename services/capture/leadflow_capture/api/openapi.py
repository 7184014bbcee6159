"""Request bodies for endpoints that read their body by hand (JSON or a form), so their OpenAPI
document still says what they take."""

MAX_BATCH = 1000

# A body read by hand can be malformed, too large, of another type, or invalid.
BODY_PROBLEMS: dict[int | str, dict] = {400: {}, 413: {}, 415: {}, 422: {}}


def schema_ref(model: str) -> dict:
    return {"$ref": f"#/components/schemas/{model}"}


def request_body(schema: dict, *content_types: str) -> dict:
    """`openapi_extra` for a required body of this schema (JSON unless content types are named)."""
    types = content_types or ("application/json",)
    return {"requestBody": {"required": True, "content": {name: {"schema": schema} for name in types}}}


def one_or_many(model: str, plural: str) -> dict:
    """One item, or `{plural: [...]}` with up to MAX_BATCH of them."""
    many = {
        "type": "object",
        "required": [plural],
        "properties": {plural: {"type": "array", "maxItems": MAX_BATCH, "items": schema_ref(model)}},
    }
    return {"oneOf": [schema_ref(model), many]}
