using System.Text.Json.Serialization;

using IdeaScale.Portal.Scim.Protocol;

namespace IdeaScale.Portal.Scim.Errors;

/// <summary>The RFC 7644 §3.12 error body. <c>status</c> is a string on the wire.</summary>
public sealed record ScimError(
    [property: JsonIgnore] int StatusCode,
    [property: JsonPropertyName("scimType"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? ScimType,
    [property: JsonPropertyName("detail")] string Detail)
{
    [JsonPropertyName("schemas")]
    public IReadOnlyList<string> Schemas { get; } = [ScimConstants.ErrorSchema];

    [JsonPropertyName("status")]
    public string Status => StatusCode.ToString(System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>The longest detail written; a longer one (echoing a long input) is cut.</summary>
    public const int MaxDetailLength = 500;

    /// <summary>Client input quoted in a detail, cut to <paramref name="max"/> characters so the answer stays small.</summary>
    public static string Excerpt(string text, int max = 100) => text.Length <= max ? text : string.Concat(text.AsSpan(0, max), "…");
}
