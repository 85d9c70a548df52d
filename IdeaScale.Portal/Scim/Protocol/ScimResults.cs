using System.Buffers;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace IdeaScale.Portal.Scim.Protocol;

/// <summary>Writes a SCIM body as <c>application/scim+json</c>, with an optional ETag and Location.</summary>
public sealed class ScimResult(int status, object? body, string? etag = null, string? location = null) : IResult
{
    private static readonly JsonWriterOptions WriterOptions = new() { Encoder = ScimJson.Options.Encoder, Indented = ScimJson.Options.WriteIndented };

    public int StatusCode { get; } = status;
    public object? Body { get; } = body;

    /// <summary>A body written straight to JSON (users), instead of serialising <see cref="Body"/>.</summary>
    public Action<Utf8JsonWriter>? Write { get; init; }

    public async Task ExecuteAsync(HttpContext httpContext)
    {
        var response = httpContext.Response;
        response.StatusCode = StatusCode;
        if (etag is not null)
        {
            response.Headers.ETag = etag;
        }

        if (location is not null)
        {
            response.Headers.Location = location;
        }

        response.ContentType = ScimConstants.MediaType;
        if (Write is not null)
        {
            var buffer = new ArrayBufferWriter<byte>(4096);
            await using (var writer = new Utf8JsonWriter(buffer, WriterOptions))
            {
                Write(writer);
            }

            response.ContentLength = buffer.WrittenCount;
            await response.Body.WriteAsync(buffer.WrittenMemory, httpContext.RequestAborted);
            return;
        }

        if (Body is null)
        {
            response.ContentLength = 0;
            return;
        }

        await JsonSerializer.SerializeAsync(response.Body, Body, Body.GetType(), ScimJson.Options, httpContext.RequestAborted);
    }

    public static ScimResult Ok(object body) => new(StatusCodes.Status200OK, body);

    /// <summary>A single resource, with its ETag header equal to meta.version.</summary>
    public static ScimResult Resource(JsonObject resource, long version, int status = StatusCodes.Status200OK, string? location = null) =>
        new(status, resource, ETags.For(version), location);

    /// <summary>A single resource written by <paramref name="write"/>, with its ETag header equal to meta.version.</summary>
    public static ScimResult Resource(Action<Utf8JsonWriter> write, long version, int status = StatusCodes.Status200OK, string? location = null) =>
        new(status, null, ETags.For(version), location) { Write = write };

    /// <summary>An RFC 7644 §3.4.2 list response whose resources are written by <paramref name="writeResource"/>.</summary>
    public static ScimResult List<T>(int total, int startIndex, IReadOnlyList<T> resources, Action<Utf8JsonWriter, T> writeResource) =>
        new(StatusCodes.Status200OK, null)
        {
            Write = writer =>
            {
                writer.WriteStartObject();
                writer.WriteStartArray("schemas");
                writer.WriteStringValue(ScimConstants.ListResponseSchema);
                writer.WriteEndArray();
                writer.WriteNumber("totalResults", total);
                writer.WriteNumber("startIndex", startIndex);
                writer.WriteNumber("itemsPerPage", resources.Count);
                writer.WriteStartArray("Resources");
                foreach (var resource in resources)
                {
                    writeResource(writer, resource);
                }

                writer.WriteEndArray();
                writer.WriteEndObject();
            },
        };

    public static ScimResult NoContent(string? etag = null) => new(StatusCodes.Status204NoContent, null, etag);

    public static ScimResult NotModified(long version) => new(StatusCodes.Status304NotModified, null, ETags.For(version));
}
