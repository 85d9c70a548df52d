using System.Buffers;
using System.IO.Pipelines;
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

    /// <summary>
    /// A body streamed to the response as it is written (groups: members as they are read), with no Content-Length.
    /// Everything that can fail on the request's input must have been checked before: once writing starts, the status
    /// is sent.
    /// </summary>
    public Func<Utf8JsonWriter, PipeWriter, CancellationToken, Task>? Stream { get; init; }

    /// <summary>Disposed after the body is written, whether or not it completed (the read the stream comes from).</summary>
    public IAsyncDisposable? Owned { get; init; }

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
        if (Stream is not null)
        {
            try
            {
                var pipe = response.BodyWriter;
                await using (var writer = new Utf8JsonWriter(pipe, WriterOptions))
                {
                    await Stream(writer, pipe, httpContext.RequestAborted);
                }

                await pipe.FlushAsync(httpContext.RequestAborted);
            }
            finally
            {
                if (Owned is not null)
                {
                    await Owned.DisposeAsync();
                }
            }

            return;
        }

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

    /// <summary>
    /// An RFC 7644 §3.4.2 list response whose resources are written by <paramref name="writeResource"/>; with cursor
    /// paging (RFC 9865) <paramref name="startIndex"/> is null and the cursors are written.
    /// </summary>
    public static ScimResult List<T>(int total, int? startIndex, IReadOnlyList<T> resources, Action<Utf8JsonWriter, T> writeResource,
        string? nextCursor = null, string? previousCursor = null) =>
        new(StatusCodes.Status200OK, null)
        {
            Write = writer =>
            {
                WriteListStart(writer, total, startIndex, resources.Count, nextCursor, previousCursor);
                foreach (var resource in resources)
                {
                    writeResource(writer, resource);
                }

                writer.WriteEndArray();
                writer.WriteEndObject();
            },
        };

    /// <summary>A single resource streamed by <paramref name="stream"/>, with its ETag header equal to meta.version.</summary>
    public static ScimResult Streamed(Func<Utf8JsonWriter, PipeWriter, CancellationToken, Task> stream, long? version, IAsyncDisposable? owned,
        int status = StatusCodes.Status200OK, string? location = null) =>
        new(status, null, version is { } v ? ETags.For(v) : null, location) { Stream = stream, Owned = owned };

    /// <summary>Writes the opening of an RFC 7644 §3.4.2 list response up to the start of its Resources array.</summary>
    public static void WriteListStart(Utf8JsonWriter writer, int total, int? startIndex, int itemsPerPage, string? nextCursor = null, string? previousCursor = null)
    {
        writer.WriteStartObject();
        writer.WriteStartArray("schemas");
        writer.WriteStringValue(ScimConstants.ListResponseSchema);
        writer.WriteEndArray();
        writer.WriteNumber("totalResults", total);
        if (startIndex is { } index)
        {
            writer.WriteNumber("startIndex", index);
        }

        writer.WriteNumber("itemsPerPage", itemsPerPage);
        if (nextCursor is not null)
        {
            writer.WriteString("nextCursor", nextCursor);
        }

        if (previousCursor is not null)
        {
            writer.WriteString("previousCursor", previousCursor);
        }

        writer.WriteStartArray("Resources");
    }

    public static ScimResult NoContent(string? etag = null) => new(StatusCodes.Status204NoContent, null, etag);

    public static ScimResult NotModified(long version) => new(StatusCodes.Status304NotModified, null, ETags.For(version));
}
