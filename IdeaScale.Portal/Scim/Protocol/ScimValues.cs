using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;

using IdeaScale.Portal.Scim.Compatibility;
using IdeaScale.Portal.Scim.Errors;
using IdeaScale.Portal.Scim.Schema;

namespace IdeaScale.Portal.Scim.Protocol;

/// <summary>
/// The canonical JSON representation of a resource, driven by the registry: core attributes at the root under
/// their canonical names, extension attributes in an object under their schema URN. Incoming bodies and PATCH
/// values are canonicalised (names matched case-insensitively, types checked, known IdP quirks accepted) before
/// the PATCH engine or a mapper touches them.
/// </summary>
public static class ScimValues
{
    /// <summary>
    /// Canonicalises a POST/PUT body. Attributes this server does not know are ignored (RFC 7644 §3.3 leaves it
    /// open; IdPs send extras such as Entra's <c>roles: []</c> on other servers' schemas). readOnly attributes
    /// (id, meta, groups) are ignored, as RFC 7644 §3.5.1 allows.
    /// </summary>
    public static JsonObject Canonicalize(JsonObject body, ScimResourceType type)
    {
        var result = new JsonObject();
        foreach (var (key, value) in body)
        {
            if (string.Equals(key, "schemas", StringComparison.OrdinalIgnoreCase))
            {
                continue;
            }

            if (type.Schema(key) is { } extension && !ReferenceEquals(extension, type.Core))
            {
                if (value is null)
                {
                    continue;
                }

                if (value is not JsonObject inner)
                {
                    throw ScimException.InvalidValue($"'{extension.Id}' must be an object.");
                }

                foreach (var (innerKey, innerValue) in inner)
                {
                    Set(result, type, extension.Id + ":" + innerKey, innerValue, ignoreUnknown: true, ignoreReadOnly: true);
                }

                continue;
            }

            Set(result, type, key, value, ignoreUnknown: true, ignoreReadOnly: true);
        }

        return result;
    }

    /// <summary>
    /// Sets one attribute (or sub-attribute) of a canonical representation from a path such as <c>userName</c>,
    /// <c>name.givenName</c> or a URN-qualified extension path. Used for bodies and for keys of PATCH values.
    /// </summary>
    public static void Set(JsonObject resource, ScimResourceType type, string path, JsonNode? value, bool ignoreUnknown, bool ignoreReadOnly)
    {
        var resolved = type.Resolve(IdpQuirks.ExtensionPath(type, path));
        if (resolved?.Attribute is not { } attribute)
        {
            if (ignoreUnknown)
            {
                return;
            }

            throw ScimException.InvalidPath($"'{path}' is not an attribute of {type.Name}.");
        }

        if (attribute.Mutability == Mutability.ReadOnly || resolved.SubAttribute?.Mutability == Mutability.ReadOnly)
        {
            if (ignoreReadOnly)
            {
                return;
            }

            throw ScimException.Mutability($"'{path}' is read-only.");
        }

        var container = Container(resource, type, attribute, create: true)!;
        if (resolved.SubAttribute is { } sub)
        {
            if (attribute.MultiValued)
            {
                throw ScimException.InvalidPath($"'{path}' names a sub-attribute of a multi-valued attribute; use a value filter.");
            }

            var parent = container[attribute.Name] as JsonObject ?? new JsonObject();
            SetOrRemove(parent, sub.Name, Coerce(sub, value, path));
            SetOrRemove(container, attribute.Name, parent.Count == 0 ? null : parent);
            return;
        }

        SetOrRemove(container, attribute.Name, Coerce(attribute, value, path));
    }

    /// <summary>The object holding an attribute: the resource itself for core attributes, else the extension's object.</summary>
    public static JsonObject? Container(JsonObject resource, ScimResourceType type, ScimAttribute attribute, bool create)
    {
        if (attribute.SchemaId == type.Core.Id)
        {
            return resource;
        }

        if (resource[attribute.SchemaId] is JsonObject existing)
        {
            return existing;
        }

        if (!create)
        {
            return null;
        }

        var created = new JsonObject();
        resource[attribute.SchemaId] = created;
        return created;
    }

    /// <summary>Removes empty extension objects after a change.</summary>
    public static void Tidy(JsonObject resource, ScimResourceType type)
    {
        foreach (var extension in type.Extensions)
        {
            if (resource[extension.Id] is JsonObject { Count: 0 })
            {
                resource.Remove(extension.Id);
            }
        }
    }

    public static void SetOrRemove(JsonObject target, string name, JsonNode? value)
    {
        if (value is null)
        {
            target.Remove(name);
        }
        else
        {
            target[name] = value;
        }
    }

    /// <summary>
    /// Checks and normalises a value for an attribute: null stays null (unassigned), multi-valued attributes
    /// become arrays, complex values objects with canonical sub-attribute names (unknown and read-only
    /// sub-attributes dropped), scalars are type-checked. A wrong type is 400 invalidValue.
    /// </summary>
    public static JsonNode? Coerce(ScimAttribute attribute, JsonNode? value, string path)
    {
        value = IdpQuirks.ManagerValue(attribute, value);
        if (value is null || (value is JsonValue v && v.GetValueKind() == JsonValueKind.Null))
        {
            return null;
        }

        if (attribute.MultiValued)
        {
            var items = value as JsonArray ?? (value is JsonObject ? new JsonArray(value.DeepClone()) : null)
                ?? throw ScimException.InvalidValue($"'{path}' must be an array.");
            var result = new JsonArray();
            foreach (var item in items)
            {
                if (CoerceElement(attribute, item, path) is { } element)
                {
                    result.Add(element);
                }
            }

            return result;
        }

        return attribute.IsComplex ? CoerceComplex(attribute, value, path) : CoerceScalar(attribute, value, path);
    }

    /// <summary>One value of a multi-valued attribute. A bare scalar is taken as its "value" sub-attribute.</summary>
    public static JsonNode? CoerceElement(ScimAttribute attribute, JsonNode? item, string path)
    {
        if (item is null)
        {
            return null;
        }

        if (!attribute.IsComplex)
        {
            return CoerceScalar(attribute, item, path);
        }

        if (item is JsonValue && attribute.ValueSubAttribute is not null)
        {
            item = new JsonObject { ["value"] = item.DeepClone() };
        }

        return CoerceComplex(attribute, item, path);
    }

    private static JsonObject? CoerceComplex(ScimAttribute attribute, JsonNode value, string path)
    {
        if (value is not JsonObject obj)
        {
            throw ScimException.InvalidValue($"'{path}' must be an object.");
        }

        var result = new JsonObject();
        foreach (var (key, subValue) in obj)
        {
            var sub = attribute.SubAttribute(key);
            if (sub is null || sub.Mutability == Mutability.ReadOnly)
            {
                continue;
            }

            if (CoerceScalar(sub, subValue, path + "." + sub.Name) is { } coerced)
            {
                result[sub.Name] = coerced;
            }
        }

        return result.Count == 0 ? null : result;
    }

    public static JsonNode? CoerceScalar(ScimAttribute attribute, JsonNode? value, string path)
    {
        if (value is null || (value is JsonValue n && n.GetValueKind() == JsonValueKind.Null))
        {
            return null;
        }

        if (value is not JsonValue json)
        {
            throw ScimException.InvalidValue($"'{path}' must be a single {TypeName(attribute.Type)} value.");
        }

        var kind = json.GetValueKind();
        switch (attribute.Type)
        {
            case AttributeType.Boolean:
                if (kind is JsonValueKind.True or JsonValueKind.False)
                {
                    return JsonValue.Create(kind == JsonValueKind.True);
                }

                return IdpQuirks.TryStringBoolean(json, out var b) ? JsonValue.Create(b)
                    : throw ScimException.InvalidValue($"'{path}' must be a boolean.");
            case AttributeType.Integer or AttributeType.Decimal:
                return kind == JsonValueKind.Number ? json.DeepClone() : throw ScimException.InvalidValue($"'{path}' must be a number.");
            case AttributeType.DateTime:
                return kind == JsonValueKind.String && DateTimeOffset.TryParse(json.GetValue<string>(), CultureInfo.InvariantCulture, DateTimeStyles.None, out _)
                    ? json.DeepClone() : throw ScimException.InvalidValue($"'{path}' must be an xsd:dateTime string.");
            default:
                return kind == JsonValueKind.String ? JsonValue.Create(json.GetValue<string>())
                    : throw ScimException.InvalidValue($"'{path}' must be a string.");
        }
    }

    public static string TypeName(AttributeType type) => type switch
    {
        AttributeType.DateTime => "dateTime",
        _ => type.ToString().ToLowerInvariant(),
    };
}
