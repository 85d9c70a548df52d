using System.Text.Json.Nodes;

using IdeaScale.Portal.Scim.Compatibility;
using IdeaScale.Portal.Scim.Schema;

namespace IdeaScale.Portal.Scim.Protocol;

/// <summary>
/// RFC 7644 §3.4.2.5 <c>attributes</c> / <c>excludedAttributes</c>, resolved against the registry. Each entry is in
/// attribute notation (§3.10): <c>userName</c>, <c>name.givenName</c>, URN-qualified
/// (<c>urn:…:enterprise:2.0:User:department</c>), or a bare schema URN naming all of that schema's attributes.
/// <c>attr[filter]</c> names <c>attr</c> (<see cref="IdpQuirks.WithoutValueFilter"/>). An entry the resource type does
/// not serve is 400 invalidValue naming it: answering less than asked, silently, would look like data loss.
/// Attributes returned "always" (id, schemas, meta) are always kept; "never" (password) never. The handlers ask
/// <see cref="Includes"/> before loading rows, so an excluded multi-valued attribute (a group's members) is not
/// loaded at all.
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
        new(type, attributes is null ? null : Keys(type, AttributesParameter, attributes),
            excludedAttributes is null ? [] : Keys(type, ExcludedAttributesParameter, excludedAttributes));

    public const string AttributesParameter = "attributes";
    public const string ExcludedAttributesParameter = "excludedAttributes";

    /// <summary>
    /// For POST /.search at the root, which answers several resource types: an entry no type serves is 400
    /// invalidValue; <see cref="KnownTo"/> then gives each type the entries it serves.
    /// </summary>
    public static void CheckKnownToAny(IReadOnlyList<ScimResourceType> types, string parameter, string? list)
    {
        foreach (var entry in Entries(list))
        {
            if (!types.Any(t => Resolve(t, entry) is not null))
            {
                throw Unknown(parameter, entry, "any resource type");
            }
        }
    }

    /// <summary>The entries of a list that <paramref name="type"/> serves (null stays null: no list given).</summary>
    public static string? KnownTo(ScimResourceType type, string? list) =>
        list is null ? null : string.Join(',', Entries(list).Where(e => Resolve(type, e) is not null));

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

        var schema = SchemaKey(schemaId);
        var key = Key(schemaId, attribute.Name);
        var subKey = sub is null ? null : key + "." + sub.Name.ToLowerInvariant();
        if (requested is not null)
        {
            return requested.Contains(schema) || requested.Contains(key)
                || (subKey is null ? requested.Any(r => r.StartsWith(key + ".", StringComparison.Ordinal)) : requested.Contains(subKey));
        }

        return target.Returned != Returned.Request && !excluded.Contains(schema) && !excluded.Contains(key) && (subKey is null || !excluded.Contains(subKey));
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

    /// <summary>A whole schema (its URN as an entry); never equal to an attribute's key, which has a name after the URN.</summary>
    private static string SchemaKey(string schemaId) => schemaId.ToLowerInvariant();

    /// <summary>"schemas" is returned always and is no attribute: accepted as an entry, it selects nothing more.</summary>
    private const string SchemasEntry = "schemas";

    private static HashSet<string> Keys(ScimResourceType type, string parameter, string list)
    {
        var keys = new HashSet<string>(StringComparer.Ordinal);
        foreach (var entry in Entries(list))
        {
            switch (Resolve(type, entry))
            {
                case null:
                    throw Unknown(parameter, entry, type.Name);
                case { Attribute: null } schema:
                    keys.Add(SchemaKey(schema.Schema.Id));
                    break;
                case { Attribute: { } attribute } resolved:
                    var key = Key(resolved.Schema.Id, attribute.Name);
                    keys.Add(resolved.SubAttribute is { } sub ? key + "." + sub.Name.ToLowerInvariant() : key);
                    break;
            }
        }

        return keys;
    }

    /// <summary>
    /// What an entry names: an attribute (and sub-attribute), a whole schema (Attribute null), or nothing (null).
    /// <c>schemas</c>, returned always like id, is taken as id: selecting it adds nothing.
    /// </summary>
    private static ResolvedPath? Resolve(ScimResourceType type, string entry)
    {
        if (string.Equals(entry, SchemasEntry, StringComparison.OrdinalIgnoreCase))
        {
            return type.Resolve("id");
        }

        return IdpQuirks.WithoutValueFilter(entry) is { } name ? type.Resolve(IdpQuirks.ExtensionPath(type, name)) : null;
    }

    /// <summary>The comma-separated entries of a list, trimmed; a comma inside a value filter's brackets or quotes does not split.</summary>
    private static List<string> Entries(string? list)
    {
        var entries = new List<string>();
        if (list is null)
        {
            return entries;
        }

        var depth = 0;
        var quoted = false;
        var start = 0;
        for (var i = 0; i < list.Length; i++)
        {
            var c = list[i];
            if (quoted)
            {
                quoted = c != '"' || list[i - 1] == '\\';
            }
            else if (c == '"')
            {
                quoted = true;
            }
            else if (c == '[' || c == ']')
            {
                depth += c == '[' ? 1 : -1;
            }
            else if (c == ',' && depth <= 0)
            {
                Add(list[start..i]);
                start = i + 1;
                depth = 0;
            }
        }

        Add(list[start..]);
        return entries;

        void Add(string entry)
        {
            if (entry.Trim() is { Length: > 0 } trimmed)
            {
                entries.Add(trimmed);
            }
        }
    }

    private static Errors.ScimException Unknown(string parameter, string entry, string of) =>
        Errors.ScimException.InvalidValue($"'{Errors.ScimError.Excerpt(entry)}' in {parameter} is not an attribute of {of}.");
}
