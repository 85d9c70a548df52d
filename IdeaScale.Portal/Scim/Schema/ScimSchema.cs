namespace IdeaScale.Portal.Scim.Schema;

/// <summary>A schema (RFC 7643 §7): a URN, a name and its attributes.</summary>
public sealed record ScimSchema(string Id, string Name, string Description, IReadOnlyList<ScimAttribute> Attributes)
{
    public ScimAttribute? Attribute(string name) =>
        Attributes.FirstOrDefault(a => string.Equals(a.Name, name, StringComparison.OrdinalIgnoreCase));
}

/// <summary>A resource type (RFC 7643 §6): its endpoint, core schema and schema extensions.</summary>
public sealed record ScimResourceType(
    string Name,
    string Endpoint,
    string Description,
    Type EntityType,
    ScimSchema Core,
    IReadOnlyList<ScimSchema> Extensions,
    IReadOnlyList<ScimAttribute> Common)
{
    public IEnumerable<ScimSchema> Schemas => Extensions.Prepend(Core);

    public ScimSchema? Schema(string urn) =>
        Schemas.FirstOrDefault(s => string.Equals(s.Id, urn, StringComparison.OrdinalIgnoreCase));

    /// <summary>
    /// Resolves an attribute path as it appears in filters, PATCH paths, sortBy and attributes= (RFC 7644 §3.10):
    /// <c>userName</c>, <c>name.givenName</c>, <c>emails.value</c>, or a URN-qualified form such as
    /// <c>urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value</c>. Names are matched
    /// case-insensitively. Returns null when the path names no attribute of this resource type.
    /// </summary>
    public ResolvedPath? Resolve(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        var schema = Core;
        var rest = path;
        if (path.StartsWith("urn:", StringComparison.OrdinalIgnoreCase))
        {
            // The longest schema URN that prefixes the path, followed by ':' (attribute) or nothing (whole schema).
            var match = Schemas.Where(s => path.StartsWith(s.Id, StringComparison.OrdinalIgnoreCase)
                    && (path.Length == s.Id.Length || path[s.Id.Length] == ':'))
                .MaxBy(s => s.Id.Length);
            if (match is null)
            {
                return null;
            }

            schema = match;
            rest = path.Length == match.Id.Length ? "" : path[(match.Id.Length + 1)..];
            if (rest.Length == 0)
            {
                return new ResolvedPath(schema, null, null);
            }
        }

        var dot = rest.IndexOf('.', StringComparison.Ordinal);
        var attrName = dot < 0 ? rest : rest[..dot];
        var subName = dot < 0 ? null : rest[(dot + 1)..];

        var attribute = schema.Attribute(attrName)
            ?? (ReferenceEquals(schema, Core) ? Common.FirstOrDefault(a => string.Equals(a.Name, attrName, StringComparison.OrdinalIgnoreCase)) : null);
        if (attribute is null && ReferenceEquals(schema, Core) && !path.StartsWith("urn:", StringComparison.OrdinalIgnoreCase))
        {
            // EntraUnqualifiedExtensionAttribute (see Compatibility/IdpQuirks): Entra filters on "manager eq ..."
            // without the enterprise URN. An unqualified name no core attribute has resolves to the one extension
            // attribute of that name, when exactly one extension has it.
            var candidates = Extensions.Select(e => (Schema: e, Attribute: e.Attribute(attrName))).Where(c => c.Attribute is not null).ToList();
            if (candidates.Count == 1)
            {
                (schema, attribute) = candidates[0];
            }
        }

        if (attribute is null)
        {
            return null;
        }

        if (subName is null)
        {
            return new ResolvedPath(schema, attribute, null);
        }

        var sub = attribute.SubAttribute(subName);
        return sub is null ? null : new ResolvedPath(schema, attribute, sub);
    }
}

/// <summary>A resolved attribute path: schema, attribute and optional sub-attribute.</summary>
public sealed record ResolvedPath(ScimSchema Schema, ScimAttribute? Attribute, ScimAttribute? SubAttribute)
{
    /// <summary>The attribute the path ends at (the sub-attribute when there is one).</summary>
    public ScimAttribute? Target => SubAttribute ?? Attribute;

    /// <summary>Canonical spelling, e.g. "name.givenName", or URN-qualified for extension attributes.</summary>
    public string Canonical
    {
        get
        {
            var local = Attribute is null ? "" : SubAttribute is null ? Attribute.Name : $"{Attribute.Name}.{SubAttribute.Name}";
            return Attribute is null ? Schema.Id : Schema.Id == Attribute.SchemaId && IsCoreOrCommon ? local : $"{Schema.Id}:{local}";
        }
    }

    private bool IsCoreOrCommon => Schema.Id is Protocol.ScimConstants.UserSchema or Protocol.ScimConstants.GroupSchema;
}
