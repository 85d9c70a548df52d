using System.Text.Json;
using System.Text.Json.Nodes;

namespace IdeaScale.Portal.Scim.Protocol;

/// <summary>Writes a SCIM body as <c>application/scim+json</c>, with an optional ETag and Location.</summary>
public sealed class ScimResult(int status, object? body, string? etag = null, string? location = null) : IResult
{
    public int StatusCode { get; } = status;
    public object? Body { get; } = body;

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

    public static ScimResult NoContent(string? etag = null) => new(StatusCodes.Status204NoContent, null, etag);

    public static ScimResult NotModified(long version) => new(StatusCodes.Status304NotModified, null, ETags.For(version));
}
