using System.Globalization;
using System.Net.Http.Headers;
using System.Text.Json;
using System.Text.Json.Nodes;

using IdeaScale.Portal.Scim.Errors;

namespace IdeaScale.Portal.Scim.Protocol;

/// <summary>Reading SCIM requests: body media type and JSON, and list parameters.</summary>
public static class ScimRequest
{
    /// <summary>Config key of the largest page size, advertised as filter.maxResults.</summary>
    public const string MaxResultsKey = "Scim:MaxResults";
    public const int DefaultMaxResults = 200;

    private static readonly JsonDocumentOptions DocumentOptions = new() { MaxDepth = 32 };

    /// <summary>
    /// Reads the body as a JSON object. The media type must be application/scim+json or application/json
    /// (415 otherwise); malformed JSON is 400 invalidSyntax.
    /// </summary>
    public static async Task<JsonObject> ReadObjectAsync(HttpRequest request)
    {
        CheckMediaType(request);
        JsonNode? node;
        try
        {
            node = await JsonNode.ParseAsync(request.Body, null, DocumentOptions, request.HttpContext.RequestAborted);
            _ = (node as JsonObject)?.Count; // materialise now, so duplicate keys fail here
        }
        catch (Exception ex) when (ex is JsonException or ArgumentException)
        {
            throw ScimException.InvalidSyntax("The request body is not valid JSON.");
        }

        return node as JsonObject ?? throw ScimException.InvalidSyntax("The request body must be a JSON object.");
    }

    /// <summary>Deserialises a message body (PatchOp, SearchRequest) into its record.</summary>
    public static async Task<T> ReadAsync<T>(HttpRequest request)
        where T : class
    {
        var body = await ReadObjectAsync(request);
        try
        {
            return body.Deserialize<T>(ScimJson.Options) ?? throw ScimException.InvalidSyntax("The request body is empty.");
        }
        catch (JsonException)
        {
            throw ScimException.InvalidSyntax($"The request body is not a valid {typeof(T).Name}.");
        }
    }

    public static void CheckMediaType(HttpRequest request)
    {
        if (MediaTypeHeaderValue.TryParse(request.ContentType, out var type)
            && type.MediaType is { } media
            && (media.Equals(ScimConstants.MediaType, StringComparison.OrdinalIgnoreCase) || media.Equals("application/json", StringComparison.OrdinalIgnoreCase)))
        {
            return;
        }

        throw ScimException.UnsupportedMediaType("Send the request body as application/scim+json or application/json.");
    }

    /// <summary>
    /// List parameters from the query string, read by name (unknown flags such as Entra's aadOptscim062020
    /// are ignored), clamped per RFC 7644 §3.4.2.4: startIndex &lt; 1 is 1, count &lt; 0 is 0, and count is capped
    /// at <paramref name="maxResults"/>.
    /// </summary>
    public static ListQuery FromQuery(IQueryCollection query, int maxResults) => Clamp(
        Text(query, "filter"), Text(query, "sortBy"), Text(query, "sortOrder"),
        Int(query, "startIndex"), Int(query, "count"), Text(query, "attributes"), Text(query, "excludedAttributes"), maxResults);

    public static ListQuery FromSearch(SearchRequest search, int maxResults) => Clamp(
        search.Filter, search.SortBy, search.SortOrder, search.StartIndex, search.Count,
        search.Attributes is { Count: > 0 } a ? string.Join(',', a) : null,
        search.ExcludedAttributes is { Count: > 0 } e ? string.Join(',', e) : null, maxResults);

    public static int MaxResults(IConfiguration configuration) =>
        configuration.GetValue(MaxResultsKey, DefaultMaxResults) is var max && max > 0 ? max : DefaultMaxResults;

    private static ListQuery Clamp(string? filter, string? sortBy, string? sortOrder, int? startIndex, int? count, string? attributes, string? excluded, int max) =>
        new(filter, sortBy, sortOrder, Math.Max(1, startIndex ?? 1), Math.Clamp(count ?? max, 0, max), attributes, excluded);

    private static string? Text(IQueryCollection query, string name) =>
        query.TryGetValue(name, out var v) && !string.IsNullOrWhiteSpace(v.ToString()) ? v.ToString() : null;

    private static int? Int(IQueryCollection query, string name)
    {
        if (Text(query, name) is not { } text)
        {
            return null;
        }

        return long.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var value)
            ? (int)Math.Clamp(value, int.MinValue, int.MaxValue)
            : throw ScimException.InvalidValue($"'{name}' must be an integer.");
    }
}
