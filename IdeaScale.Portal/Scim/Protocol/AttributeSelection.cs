using System.Text.Json.Nodes;

using IdeaScale.Portal.Scim.Schema;

namespace IdeaScale.Portal.Scim.Protocol;

/// <summary>
/// RFC 7644 §3.4.2.5 <c>attributes</c> / <c>excludedAttributes</c>, resolved against the registry. Attributes
/// returned "always" (id, schemas, meta) are always kept; "never" (password) never. Names the resource type does
/// not have are ignored. The handlers ask <see cref="Includes"/> before loading rows, so an excluded
/// multi-valued attribute (a group's members) is not loaded at all.
/// </summary>
public sealed class AttributeSelection
{
    private readonly ScimResourceType type;
    private readonly HashSet<string>? requested;
    private readonly HashSet<string> excluded;

    private AttributeSelection(ScimResourceType type, HashSet<string>? requested, HashSet<string> excluded)
    {
        this.type = type;
        this.requested = requested;
        this.excluded = excluded;
    }

    public static AttributeSelection All(ScimResourceType type) => new(type, null, []);

    public static AttributeSelection Parse(ScimResourceType type, string? attributes, string? excludedAttributes) =>
        new(type, attributes is null ? null : Keys(type, attributes), excludedAttributes is null ? [] : Keys(type, excludedAttributes));

    /// <summary>True when <c>attributes</c> was given but names no attribute (e.g. <c>?attributes=</c>): the 204 policy of PATCH.</summary>
    public bool RequestsNothing => requested is { Count: 0 };

    /// <summary>No attributes or excludedAttributes: the full default representation (<see cref="Apply"/> changes nothing).</summary>
    public bool IsAll => requested is null && excluded.Count == 0;

    /// <summary>Whether a top-level attribute is returned (asked before loading its rows).</summary>
    public bool Includes(ScimAttribute attribute) => Includes(attribute.SchemaId, attribute, null);

    /// <summary>
    /// Whether <see cref="Apply"/> keeps this attribute of a resource: <see cref="Includes(ScimAttribute)"/>, except that
    /// the full representation keeps everything it has.
    /// </summary>
    public bool Keeps(ScimAttribute attribute) => IsAll || Includes(attribute.SchemaId, attribute, null);

    /// <summary>Whether <see cref="Apply"/> keeps a sub-attribute of a kept complex attribute (always for id and meta).</summary>
    public bool Keeps(ScimAttribute attribute, ScimAttribute sub) => IsAll || IsAlways(attribute) || Includes(attribute.SchemaId, attribute, sub);


    /// <summary>Whether the attribute (optionally one sub-attribute) belongs in the response.</summary>
    private bool Includes(string schemaId, ScimAttribute attribute, ScimAttribute? sub)
    {
        var target = sub ?? attribute;
        if (IsAlways(attribute))
        {
            return true;
        }

        if (attribute.Returned == Returned.Never || target.Returned == Returned.Never)
        {
            return false;
        }

        var key = Key(schemaId, attribute.Name);
        var subKey = sub is null ? null : key + "." + sub.Name.ToLowerInvariant();
        if (requested is not null)
        {
            return requested.Contains(key) || (subKey is null ? requested.Any(r => r.StartsWith(key + ".", StringComparison.Ordinal)) : requested.Contains(subKey));
        }

        return target.Returned != Returned.Request && !excluded.Contains(key) && (subKey is null || !excluded.Contains(subKey));
    }

    /// <summary>Removes what the selection does not return from a full representation.</summary>
    public JsonObject Apply(JsonObject resource)
    {
        if (requested is null && excluded.Count == 0)
        {
            return resource;
        }

        foreach (var schema in type.Schemas)
        {
            var container = ReferenceEquals(schema, type.Core) ? resource : resource[schema.Id] as JsonObject;
            if (container is null)
            {
                continue;
            }

            var attributes = ReferenceEquals(schema, type.Core) ? schema.Attributes.Concat(type.Common) : schema.Attributes;
            foreach (var attribute in attributes)
            {
                if (!container.ContainsKey(attribute.Name))
                {
                    continue;
                }

                if (!Includes(schema.Id, attribute, null))
                {
                    container.Remove(attribute.Name);
                    continue;
                }

                if (!IsAlways(attribute) && attribute.IsComplex)
                {
                    foreach (var obj in Elements(container[attribute.Name]))
                    {
                        foreach (var sub in attribute.SubAttributes.Where(s => obj.ContainsKey(s.Name) && !Includes(schema.Id, attribute, s)))
                        {
                            obj.Remove(sub.Name);
                        }
                    }
                }
            }

            if (!ReferenceEquals(schema, type.Core) && container.Count == 0)
            {
                resource.Remove(schema.Id);
            }
        }

        if (resource["schemas"] is JsonArray schemas)
        {
            var present = schemas.Select(s => s!.GetValue<string>()).Where(s => s == type.Core.Id || resource.ContainsKey(s)).ToList();
            resource["schemas"] = new JsonArray([.. present.Select(s => JsonValue.Create(s))]);
        }

        return resource;
    }

    /// <summary>id and meta (and schemas, which is not an attribute) are returned whatever the request asks.</summary>
    private static bool IsAlways(ScimAttribute attribute) => attribute.Returned == Returned.Always || attribute.Storage == Storage.Meta;

    private static IEnumerable<JsonObject> Elements(JsonNode? node) => node switch
    {
        JsonObject o => [o],
        JsonArray a => a.OfType<JsonObject>(),
        _ => [],
    };

    private static string Key(string schemaId, string name) => (schemaId + ":" + name).ToLowerInvariant();

    private static HashSet<string> Keys(ScimResourceType type, string list)
    {
        var keys = new HashSet<string>(StringComparer.Ordinal);
        foreach (var item in list.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
        {
            if (type.Resolve(item) is { Attribute: { } attribute } resolved)
            {
                var key = Key(resolved.Schema.Id, attribute.Name);
                keys.Add(resolved.SubAttribute is { } sub ? key + "." + sub.Name.ToLowerInvariant() : key);
            }
        }

        return keys;
    }
}
