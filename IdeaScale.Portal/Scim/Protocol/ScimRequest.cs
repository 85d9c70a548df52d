using System.Globalization;
using System.Net.Http.Headers;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Unicode;

using IdeaScale.Portal.Scim.Errors;

namespace IdeaScale.Portal.Scim.Protocol;

/// <summary>Reading SCIM requests: body media type and JSON, and list parameters.</summary>
public static class ScimRequest
{
    /// <summary>Config key of the largest page size, advertised as filter.maxResults.</summary>
    public const string MaxResultsKey = "Scim:MaxResults";
    public const int DefaultMaxResults = 200;

    /// <summary>
    /// Depth capped; a member name repeated in any object is malformed (RFC 8259 §4: names SHOULD be unique; a
    /// repeated one would be read as whichever copy a parser keeps).
    /// </summary>
    private static readonly JsonDocumentOptions DocumentOptions = new() { MaxDepth = 32, AllowDuplicateProperties = false };

    /// <summary>
    /// Reads the body as a JSON object. The media type must be application/scim+json or application/json
    /// (415 otherwise). Anything that is not a well-formed JSON object in UTF-8 is 400 invalidSyntax, found here and
    /// not later while the body is used: invalid UTF-8, malformed JSON, a repeated member name or nesting deeper than
    /// 32 at any level, and strings that are not Unicode text (an unpaired surrogate escape such as "\ud800").
    /// </summary>
    public static async Task<JsonObject> ReadObjectAsync(HttpRequest request)
    {
        CheckMediaType(request);
        using var buffer = new MemoryStream();
        await request.Body.CopyToAsync(buffer, request.HttpContext.RequestAborted);
        var bytes = buffer.GetBuffer().AsMemory(0, (int)buffer.Length);
        if (bytes.Span.StartsWith(Utf8Bom))
        {
            bytes = bytes[Utf8Bom.Length..];
        }

        if (!Utf8.IsValid(bytes.Span))
        {
            throw ScimException.InvalidSyntax("The request body is not valid UTF-8.");
        }

        JsonElement root;
        try
        {
            using var document = JsonDocument.Parse(bytes, DocumentOptions);
            CheckText(document.RootElement);
            root = document.RootElement.Clone();
        }
        catch (JsonException ex)
        {
            throw ScimException.InvalidSyntax("The request body is not valid JSON: " + ScimError.Excerpt(ex.Message));
        }
        catch (InvalidOperationException)
        {
            throw ScimException.InvalidSyntax("The request body has a string that is not Unicode text (an unpaired surrogate escape).");
        }

        return root.ValueKind == JsonValueKind.Object
            ? JsonObject.Create(root)!
            : throw ScimException.InvalidSyntax("The request body must be a JSON object.");
    }

    private static ReadOnlySpan<byte> Utf8Bom => [0xEF, 0xBB, 0xBF];

    /// <summary>
    /// Reads every member name and string once, so a string that cannot become text fails here, and refuses a NUL
    /// (an escaped <c>\u0000</c>): PostgreSQL cannot store it in text, so both providers refuse it alike (400
    /// invalidValue) rather than one storing it and the other failing.
    /// </summary>
    private static void CheckText(JsonElement element)
    {
        switch (element.ValueKind)
        {
            case JsonValueKind.Object:
                foreach (var member in element.EnumerateObject())
                {
                    CheckStorable(member.Name, isName: true);
                    CheckText(member.Value);
                }

                break;
            case JsonValueKind.Array:
                foreach (var item in element.EnumerateArray())
                {
                    CheckText(item);
                }

                break;
            case JsonValueKind.String:
                CheckStorable(element.GetString()!, isName: false);
                break;
            default:
                break;
        }
    }

    private static void CheckStorable(string text, bool isName)
    {
        if (text.Contains('\0', StringComparison.Ordinal))
        {
            throw ScimException.InvalidValue(!isName
                ? "A string in the request body contains a NUL character (\\u0000), which cannot be stored."
                : "A member name in the request body contains a NUL character (\\u0000).");
        }
    }

    /// <summary>
    /// The request target as the host delivered it: a control character in the decoded path (such as %00) is
    /// 400 invalidSyntax. (Kestrel itself refuses a NUL in the path before the application runs, with a bare 400 that
    /// <see cref="Errors.RejectedRequestLines"/> gives a SCIM body; other hosts deliver it, and then this answers.)
    /// </summary>
    public static void CheckTarget(HttpRequest request)
    {
        var path = request.Path.Value.AsSpan();
        if (path.ContainsAnyInRange('\u0000', '\u001F') || path.Contains('\u007F'))
        {
            throw ScimException.InvalidSyntax("The request path contains a control character.");
        }
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
        Int(query, "startIndex"), Int(query, "count"), Text(query, "attributes"), Text(query, "excludedAttributes"),
        query.TryGetValue("cursor", out var cursor) ? cursor.ToString().Trim() : null, maxResults);

    public static ListQuery FromSearch(SearchRequest search, int maxResults) => Clamp(
        search.Filter, search.SortBy, search.SortOrder, search.StartIndex, search.Count,
        search.Attributes is { Count: > 0 } a ? string.Join(',', a) : null,
        search.ExcludedAttributes is { Count: > 0 } e ? string.Join(',', e) : null, search.Cursor?.Trim(), maxResults);

    public static int MaxResults(IConfiguration configuration) =>
        configuration.GetValue(MaxResultsKey, DefaultMaxResults) is var max && max > 0 ? max : DefaultMaxResults;

    /// <summary>
    /// Index paging clamps (startIndex &lt; 1 is 1, count &lt; 0 is 0). Cursor paging (RFC 9865, a <c>cursor</c>
    /// parameter, empty for the first page) takes no startIndex (400 invalidValue: one method per request) and a
    /// count from 1 (400 invalidCount); both cap count at <paramref name="max"/>.
    /// </summary>
    private static ListQuery Clamp(string? filter, string? sortBy, string? sortOrder, int? startIndex, int? count, string? attributes, string? excluded, string? cursor, int max)
    {
        if (cursor is not null)
        {
            if (startIndex is not null)
            {
                throw ScimException.InvalidValue("Use either startIndex (index paging) or cursor (cursor paging), not both.");
            }

            if (count is < 1)
            {
                throw ScimException.InvalidCount($"count must be between 1 and {max} with cursor paging.");
            }
        }

        return new(filter, sortBy, sortOrder, Math.Max(1, startIndex ?? 1), Math.Clamp(count ?? max, 0, max), attributes, excluded, cursor);
    }

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
