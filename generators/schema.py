"""Compile the declaration into pydantic models, one per content type.

Each declared field becomes an annotated type whose validator is the kind's
function from ``fields.py``; a type and each object field become TypedDicts
that forbid unknown keys. pydantic then does what it is good at: walking the structure,
collecting every error with its location, and producing JSON Schema.
"""

from __future__ import annotations

from typing import Annotated, Any

from typing_extensions import NotRequired, Required, TypedDict

from pydantic import ConfigDict, PlainValidator, TypeAdapter, ValidationError, WithJsonSchema
from pydantic import AfterValidator, BeforeValidator, ValidationInfo
from pydantic_core import PydanticCustomError

from .declaration import ContentType, Declaration, FieldSpec
from .fields import SCALAR_VALIDATORS, FieldContext, FieldError, closest_key, describe
from .values import Image



def _json_schema(spec: FieldSpec, vocabularies: dict) -> dict:
    """The JSON Schema of one scalar field, for editors' tools."""
    base: dict[str, Any] = {"title": spec.label}
    if spec.help:
        base["description"] = spec.help
    if spec.example is not None:
        base["examples"] = [spec.example]
    kind = spec.kind
    if kind == "texte":
        base["type"] = "string"
        if spec.max_chars:
            base["maxLength"] = spec.max_chars
        if spec.pattern:
            base["pattern"] = spec.pattern
    elif kind == "entier":
        base["type"] = "integer"
    elif kind in ("nombre", "pourcentage", "montant"):
        base["type"] = "number"
        if kind == "pourcentage":
            base.update(minimum=0, maximum=100)
        if kind == "montant":
            base["minimum"] = 0
    elif kind == "booleen":
        base["type"] = "boolean"
    elif kind == "date":
        base.update(type="string", pattern=r"^\d{4}(-\d{2}(-\d{2})?)?$")
    elif kind == "date_heure":
        base.update(type="string", pattern=r"^\d{4}-\d{2}-\d{2}([ T]\d{2}:\d{2})?$")
    elif kind == "url":
        base.update(type="string", format="uri")
    elif kind == "email":
        base.update(type="string", format="email")
    elif kind == "siret":
        base.update(type="string", pattern=r"^\d{14}$")
    elif kind in ("slug", "reference"):
        base.update(type="string", pattern=r"^[a-z0-9]+(-[a-z0-9]+)*$")
        if spec.target:
            base["x-portail-reference"] = spec.target
    elif kind == "reference_ou_texte":
        base["type"] = "string"
        base["x-portail-reference"] = spec.target
    elif kind == "terme":
        vocabulary = vocabularies[spec.vocabulary]
        base["type"] = "string"
        base["enum"] = list(vocabulary.terms)
        base["x-portail-vocabulaire"] = vocabulary.name
    elif kind == "coordonnees":
        base.update(
            type="object",
            properties={"lat": {"type": "number", "minimum": -90, "maximum": 90}, "lon": {"type": "number", "minimum": -180, "maximum": 180}},
            required=["lat", "lon"],
            additionalProperties=False,
        )
    else:  # telephone, territoire, fichier
        base["type"] = "string"
        base["x-portail-type"] = kind
    return base


def _scalar_annotation(spec: FieldSpec, declaration: Declaration) -> object:
    check = SCALAR_VALIDATORS[spec.kind]

    def validate(value: object, info: ValidationInfo) -> object:
        if value is None or (isinstance(value, str) and not value.strip()):
            if spec.required:
                raise PydanticCustomError("empty_value", "empty_value", {"key": spec.name})
            return None
        ctx: FieldContext = info.context
        try:
            return check(value, spec, ctx)
        except FieldError as error:
            raise PydanticCustomError(error.code, error.code, dict(error.params)) from None

    return Annotated[Any, PlainValidator(validate), WithJsonSchema(_json_schema(spec, declaration.vocabularies))]


def _as_list(spec: FieldSpec):
    def wrap(value: object) -> object:
        if value is None or value == []:
            if spec.required:
                raise PydanticCustomError("empty_value", "empty_value", {"key": spec.name})
            return []
        if isinstance(value, dict):
            if spec.item and spec.item.kind in ("objet", "image", "coordonnees"):
                return [value]
            raise PydanticCustomError("wrong_type", "wrong_type", {"expected": "une liste", "got": describe(value)})
        return value if isinstance(value, list) else [value]

    return wrap


def _object_guard(spec: FieldSpec):
    def guard(value: object) -> object:
        if value is not None and not isinstance(value, dict):
            raise PydanticCustomError(
                "wrong_type", "wrong_type", {"expected": f"un groupe de champs ({', '.join(spec.fields or {})})", "got": describe(value)}
            )
        return value

    return guard


# An image is an object with a path and its text alternative; whether ``alt``
# is required depends on ``decoratif``, which ``content.py`` checks on the raw
# data so that it is reported even when ``src`` is wrong too.
IMAGE_FIELDS = {
    "src": FieldSpec(name="src", kind="fichier", required=True, label="Chemin de l'image", help="relatif au fichier de contenu"),
    "alt": FieldSpec(name="alt", kind="texte", label="Texte alternatif", help="ce que montre l'image"),
    "decoratif": FieldSpec(name="decoratif", kind="booleen", label="Image décorative", help="oui si l'image n'apporte aucune information"),
    "legende": FieldSpec(name="legende", kind="texte", label="Légende"),
}


def _image_input(value: object) -> object:
    if isinstance(value, str):
        return {"src": value}
    if value is not None and not isinstance(value, dict):
        raise PydanticCustomError("wrong_type", "wrong_type", {"expected": "une image (src et alt)", "got": describe(value)})
    return value


def _image_value(value: dict) -> Image:
    decorative = bool(value.get("decoratif"))
    return Image(
        src=value["src"],
        alt="" if decorative else (value.get("alt") or ""),
        decorative=decorative,
        caption=value.get("legende"),
    )


def annotation_for(spec: FieldSpec, declaration: Declaration, model_name: str) -> object:
    if spec.kind == "image":
        typed = build_model(f"{model_name}_{spec.name}", IMAGE_FIELDS, declaration, spec.label)
        return Annotated[typed, BeforeValidator(_image_input), AfterValidator(_image_value)]
    if spec.kind == "liste":
        assert spec.item is not None
        item = annotation_for(spec.item, declaration, model_name)
        return Annotated[list[item], BeforeValidator(_as_list(spec))]  # type: ignore[valid-type]
    if spec.kind == "objet":
        model = build_model(f"{model_name}_{spec.name}", spec.fields or {}, declaration, spec.label)
        return Annotated[model, BeforeValidator(_object_guard(spec))]
    return _scalar_annotation(spec, declaration)


def build_model(name: str, fields: dict[str, FieldSpec], declaration: Declaration, title: str = "") -> type:
    """A TypedDict for a group of declared fields: pydantic validates straight
    into plain dicts keyed by the declared names (absent optional fields stay
    absent), which is both faster than models and what the generators want."""
    annotations: dict[str, Any] = {}
    for field_name, spec in fields.items():
        annotation = annotation_for(spec, declaration, name)
        annotations[field_name] = Required[annotation] if spec.required else NotRequired[annotation]
    typed = TypedDict(name, annotations)  # type: ignore[misc, operator]
    typed.__pydantic_config__ = ConfigDict(extra="forbid", title=title or name)  # type: ignore[attr-defined]
    return typed


class CompiledType:
    """A content type's model, plus helpers to validate one field alone."""

    def __init__(self, ctype: ContentType, declaration: Declaration) -> None:
        self.ctype = ctype
        self.declaration = declaration
        self.model = TypeAdapter(build_model(f"Contenu_{ctype.name}", ctype.fields, declaration, ctype.label))
        self._adapters: dict[str, TypeAdapter] = {}

    def validate(self, data: dict, ctx: FieldContext) -> tuple[dict | None, list[dict]]:
        """(values by field name, None on error), list of pydantic error dicts."""
        try:
            return self.model.validate_python(data, context=ctx), []
        except ValidationError as error:
            return None, error.errors(include_url=False)

    def validate_field(self, name: str, value: object, ctx: FieldContext) -> object:
        """One field alone; None if it fails (its error is reported elsewhere)."""
        if name not in self._adapters:
            spec = self.ctype.fields[name]
            self._adapters[name] = TypeAdapter(annotation_for(spec, self.declaration, f"Champ_{name}"))
        try:
            return self._adapters[name].validate_python(value, context=ctx)
        except ValidationError:
            return None

    def json_schema(self) -> dict:
        schema = self.model.json_schema()
        schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
        schema["description"] = self.ctype.description
        return schema

    def known_keys(self, path: tuple) -> list[str]:
        """Declared keys at ``path`` (for suggesting the right spelling)."""
        fields = self.ctype.fields
        for part in path:
            if isinstance(part, int):
                continue
            spec = fields.get(part)
            if spec is None:
                return []
            spec = spec.item or spec
            fields = IMAGE_FIELDS if spec.kind == "image" else (spec.fields or {})
        return list(fields)


def compile_declaration(declaration: Declaration) -> dict[str, CompiledType]:
    return {name: CompiledType(ctype, declaration) for name, ctype in declaration.types.items()}


__all__ = ["CompiledType", "compile_declaration", "closest_key"]
