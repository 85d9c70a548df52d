using System.Text.Json.Nodes;

using IdeaScale.Portal.Scim.Compatibility;
using IdeaScale.Portal.Scim.Errors;
using IdeaScale.Portal.Scim.Filtering;
using IdeaScale.Portal.Scim.Protocol;
using IdeaScale.Portal.Scim.Schema;

namespace IdeaScale.Portal.Scim.Patching;

/// <summary>
/// A resolved PATCH path (RFC 7644 §3.5.2 "PATH" rule, parsed by <see cref="FilterParser.ParsePatchPath"/>): the
/// attribute, an optional valuePath filter selecting values of a multi-valued attribute, and an optional
/// sub-attribute after the filter.
/// </summary>
public sealed class PatchTarget(ResolvedPath path, FilterNode? filter, ScimAttribute? subAttribute = null, string? text = null)
{
    public ResolvedPath Path { get; } = path;
    public FilterNode? Filter { get; } = filter;

    /// <summary>The sub-attribute after a value filter (<c>emails[type eq "work"].value</c>).</summary>
    public ScimAttribute? SubAttribute { get; } = subAttribute;

    public string Text { get; } = text ?? path.Canonical;

    public static PatchTarget Parse(ScimResourceType type, string path)
    {
        var parsed = FilterParser.ParsePatchPath(IdpQuirks.ExtensionPath(type, path.Trim()));
        var resolved = type.Resolve(parsed.Attribute.ToString())
            ?? throw ScimException.InvalidPath($"'{path}' is not an attribute of {type.Name}.");
        ScimAttribute? sub = null;
        if (parsed.SubAttribute is { } subName)
        {
            sub = resolved.Attribute?.SubAttribute(subName) ?? throw ScimException.InvalidPath($"'{path}': '{subName}' is not a sub-attribute of '{resolved.Attribute?.Name}'.");
        }

        if (parsed.ValueFilter is not null && resolved.Attribute is not { MultiValued: true, IsComplex: true })
        {
            throw ScimException.InvalidPath($"'{path}': a value filter needs a multi-valued complex attribute.");
        }

        return new PatchTarget(resolved, parsed.ValueFilter, sub, path);
    }

    public bool Matches(ScimAttribute attribute, JsonObject element) =>
        Filter is null || FilterEvaluator.Matches(Filter, element, attribute);

    /// <summary>
    /// The value a filter made only of <c>eq</c> comparisons joined by <c>and</c> describes, for
    /// EntraAddCreatesFilteredValue (<c>phoneNumbers[type eq "fax"]</c> → <c>{"type":"fax"}</c>); null otherwise.
    /// </summary>
    public JsonObject? EqualityElement(ScimAttribute attribute)
    {
        var element = new JsonObject();
        return Filter is not null && Collect(Filter, attribute, element) ? element : null;
    }

    private static bool Collect(FilterNode node, ScimAttribute attribute, JsonObject element)
    {
        switch (node)
        {
            case AndNode and:
                return Collect(and.Left, attribute, element) && Collect(and.Right, attribute, element);
            case CompareNode { Op: CompareOp.Eq } compare when compare.Path.SchemaUrn is null && compare.Path.SubAttribute is null
                && attribute.SubAttribute(compare.Path.Name) is { } sub:
                var literal = compare.Value switch
                {
                    StringLiteral s => (JsonNode?)JsonValue.Create(s.Value),
                    BooleanLiteral b => JsonValue.Create(b.Value),
                    NumberLiteral n => JsonValue.Create(n.Value),
                    _ => null,
                };
                if (literal is null)
                {
                    return false;
                }

                element[sub.Name] = ScimValues.CoerceScalar(sub, literal, sub.Name);
                return true;
            default:
                return false;
        }
    }

    /// <summary>The ids of <c>members[value eq "a" or value eq "b"]</c>, or null for any other filter.</summary>
    public IReadOnlyList<string>? ValueIds()
    {
        var ids = new List<string>();
        return Filter is not null && CollectIds(Filter, ids) ? ids : null;
    }

    private static bool CollectIds(FilterNode node, List<string> ids)
    {
        switch (node)
        {
            case OrNode or:
                return CollectIds(or.Left, ids) && CollectIds(or.Right, ids);
            case CompareNode { Op: CompareOp.Eq, Value: StringLiteral id } compare
                when compare.Path is { SchemaUrn: null, SubAttribute: null } && string.Equals(compare.Path.Name, "value", StringComparison.OrdinalIgnoreCase):
                ids.Add(id.Value);
                return true;
            default:
                return false;
        }
    }
}
