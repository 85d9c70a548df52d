using System.Text.Json.Nodes;
using System.Text.Json.Serialization;

namespace IdeaScale.Portal.Scim.Protocol;

/// <summary>RFC 7644 §3.4.2 list response. <c>Resources</c> keeps its capital R.</summary>
public sealed record ListResponse(
    [property: JsonPropertyName("totalResults")] int TotalResults,
    [property: JsonPropertyName("startIndex")] int StartIndex,
    [property: JsonPropertyName("itemsPerPage")] int ItemsPerPage,
    [property: JsonPropertyName("Resources")] IReadOnlyList<JsonObject> Resources)
{
    [JsonPropertyName("schemas")]
    [JsonPropertyOrder(-1)]
    public IReadOnlyList<string> Schemas { get; } = [ScimConstants.ListResponseSchema];
}

/// <summary>RFC 7644 §3.5.2 PATCH request body.</summary>
public sealed record PatchRequest(
    [property: JsonPropertyName("schemas")] IReadOnlyList<string>? Schemas,
    [property: JsonPropertyName("Operations")] IReadOnlyList<PatchOperation>? Operations);

/// <summary>One PATCH operation, as sent (the op name is checked case-insensitively by the engine).</summary>
public sealed record PatchOperation(
    [property: JsonPropertyName("op")] string? Op,
    [property: JsonPropertyName("path")] string? Path,
    [property: JsonPropertyName("value")] JsonNode? Value);

/// <summary>RFC 7644 §3.4.3 search request (POST .search).</summary>
public sealed record SearchRequest(
    [property: JsonPropertyName("schemas")] IReadOnlyList<string>? Schemas,
    [property: JsonPropertyName("attributes")] IReadOnlyList<string>? Attributes,
    [property: JsonPropertyName("excludedAttributes")] IReadOnlyList<string>? ExcludedAttributes,
    [property: JsonPropertyName("filter")] string? Filter,
    [property: JsonPropertyName("sortBy")] string? SortBy,
    [property: JsonPropertyName("sortOrder")] string? SortOrder,
    [property: JsonPropertyName("startIndex")] int? StartIndex,
    [property: JsonPropertyName("count")] int? Count,
    [property: JsonPropertyName("cursor")] string? Cursor = null);

/// <summary>
/// The parameters of a list or search request, after RFC 7644 §3.4.2.4 clamping. <see cref="Cursor"/> is null for
/// index paging, empty for the first page of cursor paging (RFC 9865), else a nextCursor this server issued.
/// </summary>
public sealed record ListQuery(string? Filter, string? SortBy, string? SortOrder, int StartIndex, int Count, string? Attributes, string? ExcludedAttributes,
    string? Cursor = null);
