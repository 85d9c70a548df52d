using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;

using IdeaScale.Portal.Scim.Schema;

namespace IdeaScale.Portal.Scim.Logging;

/// <summary>
/// What a SCIM write changed, attribute by attribute, computed from two representations the handler already holds
/// (the resource before and after the write, both from the same mapper), so it costs no database round trip. Paths
/// come from the attribute registry (habit 1): a complex attribute is listed by sub-attribute (<c>name.givenName</c>),
/// a multi-valued one as a whole (<c>emails</c>); read-only attributes (id, meta, groups) are skipped, and write-only or
/// never-returned ones (password) are reported as "changed" without a value.
/// </summary>
public static class ResourceDiff
{
    public const string Redacted = "changed";
    internal const int MaxValueLength = 200;
    internal const int MaxChanges = 60;
    private static readonly string[] AddressParts = ["streetAddress", "locality", "region", "postalCode", "country"];

    /// <summary>The changes from <paramref name="before"/> (null: the resource is new) to <paramref name="after"/>.</summary>
    public static IReadOnlyList<AttributeChange> Compare(ScimResourceType type, JsonObject? before, JsonObject after)
    {
        var old = before is null ? [] : Flatten(type, before);
        var now = Flatten(type, after);
        var changes = new List<AttributeChange>();
        foreach (var (path, value) in now)
        {
            if (!old.TryGetValue(path, out var was) || was != value)
            {
                changes.Add(new AttributeChange(path, was, value));
            }
        }

        foreach (var (path, was) in old)
        {
            if (!now.ContainsKey(path))
            {
                changes.Add(new AttributeChange(path, was, null));
            }
        }

        return changes.Count > MaxChanges ? changes[..MaxChanges] : changes;
    }

    /// <summary>The secrets a request body set (write-only or never-returned attributes, such as password), as "changed".</summary>
    public static IEnumerable<AttributeChange> SecretsIn(ScimResourceType type, JsonObject body) =>
        body.Where(p => p.Value is not null && IsSecret(type.Core.Attribute(p.Key)))
            .Select(p => new AttributeChange(type.Core.Attribute(p.Key)!.Name, null, Redacted));

    /// <summary>One line per change: <c>title: Engineer → Lead</c>, <c>password: changed</c>, <c>nickName: (none) → Al</c>.</summary>
    public static string Describe(AttributeChange change) =>
        change.After == Redacted && change.Before is null
            ? $"{change.Attribute}: {Redacted}"
            : $"{change.Attribute}: {Short(change.Before) ?? "(none)"} → {Short(change.After) ?? "(none)"}";

    private static string? Short(string? value) => value is null ? null : value.Length <= 60 ? value : value[..57] + "…";

    private static bool IsSecret(ScimAttribute? attribute) =>
        attribute is not null && (attribute.Mutability == Mutability.WriteOnly || attribute.Returned == Returned.Never);

    private static Dictionary<string, string> Flatten(ScimResourceType type, JsonObject resource)
    {
        var lines = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (key, value) in resource)
        {
            if (value is null || key == "schemas")
            {
                continue;
            }

            if (type.Schema(key) is { } extension && !ReferenceEquals(extension, type.Core))
            {
                if (value is JsonObject container)
                {
                    foreach (var (name, inner) in container)
                    {
                        Add(lines, extension.Attribute(name), inner);
                    }
                }

                continue;
            }

            var attribute = type.Core.Attribute(key) ?? type.Common.FirstOrDefault(a => string.Equals(a.Name, key, StringComparison.OrdinalIgnoreCase));
            Add(lines, attribute, value);
        }

        return lines;
    }

    private static void Add(Dictionary<string, string> lines, ScimAttribute? attribute, JsonNode? value)
    {
        if (attribute is null || value is null || attribute.Mutability == Mutability.ReadOnly || IsSecret(attribute))
        {
            return;
        }

        if (attribute.MultiValued)
        {
            if (value is JsonArray items && items.Count > 0)
            {
                lines[attribute.Name] = Cap(string.Join("; ", items.Select(Item)));
            }

            return;
        }

        if (value is JsonObject complex)
        {
            foreach (var sub in attribute.SubAttributes)
            {
                if (sub.Mutability != Mutability.ReadOnly && complex[sub.Name] is { } inner && Text(inner) is { } text)
                {
                    lines[$"{attribute.Name}.{sub.Name}"] = Cap(text);
                }
            }

            return;
        }

        if (Text(value) is { } scalar)
        {
            lines[attribute.Name] = Cap(scalar);
        }
    }

    /// <summary>One value of a multi-valued attribute: its value (or, for an address, its parts) and type, "primary" when so.</summary>
    private static string Item(JsonNode? item)
    {
        if (item is not JsonObject o)
        {
            return Text(item) ?? "";
        }

        var main = o["value"] is { } v ? Text(v)
            : o["formatted"] is { } f ? Text(f)
            : string.Join(", ", AddressParts.Select(k => o[k] is { } p ? Text(p) : null).Where(t => !string.IsNullOrEmpty(t)));
        var tags = new[] { o["type"] is { } t ? Text(t) : null, o["primary"] is JsonValue p && p.GetValueKind() == JsonValueKind.True ? "primary" : null }
            .Where(t => !string.IsNullOrEmpty(t)).ToList();
        return tags.Count == 0 ? main ?? "" : $"{main} ({string.Join(", ", tags)})";
    }

    private static string? Text(JsonNode? node) => node switch
    {
        null => null,
        JsonValue v when v.GetValueKind() == JsonValueKind.String => v.GetValue<string>(),
        JsonValue v when v.GetValueKind() is JsonValueKind.True or JsonValueKind.False => v.GetValueKind() == JsonValueKind.True ? "true" : "false",
        JsonValue v when v.GetValueKind() == JsonValueKind.Null => null,
        JsonValue v => v.ToJsonString(),
        _ => node.ToJsonString(),
    };

    private static string Cap(string value) =>
        value.Length <= MaxValueLength ? value : string.Create(CultureInfo.InvariantCulture, $"{value[..(MaxValueLength - 1)]}…");
}
