using System.Text.Json.Nodes;
using IdeaScale.Portal.Scim.Compatibility;
using IdeaScale.Portal.Scim.Errors;
using IdeaScale.Portal.Scim.Schema;

namespace IdeaScale.Portal.Scim.Patching;

/// <summary>
/// A resolved PATCH path (RFC 7644 §3.5.2 "PATH" rule): the attribute, an optional valuePath filter selecting
/// values of a multi-valued attribute, and an optional sub-attribute after the filter.
/// </summary>
public sealed class PatchTarget(ResolvedPath path, object? filter, ScimAttribute? subAttribute = null, string? text = null)
{
    public ResolvedPath Path { get; } = path;
    public object? Filter { get; } = filter;

    /// <summary>The sub-attribute after a value filter (<c>emails[type eq "work"].value</c>).</summary>
    public ScimAttribute? SubAttribute { get; } = subAttribute;

    public string Text { get; } = text ?? path.Canonical;

    public static PatchTarget Parse(ScimResourceType type, string path)
    {
        var text = IdpQuirks.ExtensionPath(type, path.Trim());
        if (text.Contains('[', StringComparison.Ordinal))
        {
            throw ScimException.InvalidPath($"'{path}': value filters in paths are not supported yet.");
        }

        var resolved = type.Resolve(text) ?? throw ScimException.InvalidPath($"'{path}' is not an attribute of {type.Name}.");
        return new PatchTarget(resolved, null, null, path);
    }

    public bool Matches(ScimAttribute attribute, JsonObject element) => Filter is null;

    /// <summary>The value a filter of <c>eq</c> comparisons describes (for EntraAddCreatesFilteredValue), or null.</summary>
    public JsonObject? EqualityElement(ScimAttribute attribute) => null;

    /// <summary>The ids of <c>members[value eq "a" or value eq "b"]</c>, or null for any other filter.</summary>
    public IReadOnlyList<string>? ValueIds() => null;
}
