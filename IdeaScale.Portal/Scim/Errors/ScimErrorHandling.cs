using System.Text.Json;

using IdeaScale.Portal.Scim.Protocol;

using Microsoft.AspNetCore.Http.Features;

namespace IdeaScale.Portal.Scim.Errors;

/// <summary>
/// The one place where failures under /scim/v2 become HTTP responses: a <see cref="ScimException"/> becomes its
/// SCIM error, malformed JSON becomes invalidSyntax, an oversized body 413, and anything unexpected a SCIM 500
/// (never an HTML page or a ProblemDetails body). Bare status codes (404 for an unknown route, 405) are also
/// given a SCIM body.
/// </summary>
public sealed partial class ScimErrorHandling(RequestDelegate next, ILogger<ScimErrorHandling> logger)
{
    public async Task InvokeAsync(HttpContext context)
    {
        try
        {
            ScimRequest.CheckTarget(context.Request);
            await next(context);
            if (context.Response is { HasStarted: false, StatusCode: >= 400 } && context.Response.ContentLength is null
                && context.Response.ContentType is null)
            {
                var status = context.Response.StatusCode;
                await WriteAsync(context, new ScimError(status, null, DetailFor(status)));
            }
        }
        catch (ScimException ex)
        {
            await WriteAsync(context, ex.ToError(), ex.Headers);
        }
        catch (JsonException)
        {
            await WriteAsync(context, ScimException.InvalidSyntax("The request body is not valid JSON.").ToError());
        }
        catch (BadHttpRequestException ex) when (ex.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            await WriteAsync(context, ScimException.PayloadTooLarge("The request body is larger than the server accepts.").ToError());
        }
        catch (BadHttpRequestException ex)
        {
            await WriteAsync(context, new ScimError(ex.StatusCode, ScimErrorType.InvalidSyntax, "The request could not be read."));
        }
        catch (OperationCanceledException) when (context.RequestAborted.IsCancellationRequested)
        {
            // The client went away; nothing to answer.
        }
#pragma warning disable CA1031 // The SCIM boundary must answer every failure with a SCIM body.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            LogUnexpected(logger, ex, context.Request.Method, context.Request.Path);
            await WriteAsync(context, new ScimError(500, null, "An unexpected error occurred. It has been logged."));
        }
    }

    private static readonly object WrittenErrorKey = new();

    /// <summary>The SCIM error written for this request, if any (the provisioning log records its detail).</summary>
    public static ScimError? WrittenError(HttpContext context) => context.Items.TryGetValue(WrittenErrorKey, out var e) ? e as ScimError : null;

    /// <summary>Writes a SCIM error body with the right status and media type.</summary>
    public static async Task WriteAsync(HttpContext context, ScimError error, IEnumerable<KeyValuePair<string, string[]>>? headers = null)
    {
        if (context.Response.HasStarted)
        {
            return;
        }

        context.Response.Clear();
        context.Response.StatusCode = error.StatusCode;
        foreach (var (name, values) in headers ?? [])
        {
            context.Response.Headers[name] = values;
        }

        if (error.Detail.Length > ScimError.MaxDetailLength)
        {
            error = error with { Detail = ScimError.Excerpt(error.Detail, ScimError.MaxDetailLength) };
        }

        context.Items[WrittenErrorKey] = error;

        context.Response.ContentType = ScimConstants.MediaType;
        var feature = context.Features.Get<IHttpResponseBodyFeature>();
        feature?.DisableBuffering();
        await JsonSerializer.SerializeAsync(context.Response.Body, error, ScimJson.Options, context.RequestAborted);
    }

    private static string DetailFor(int status) => status switch
    {
        404 => "The requested resource or endpoint was not found.",
        405 => "The HTTP method is not supported on this endpoint.",
        415 => "Send application/scim+json or application/json.",
        _ => "The request failed.",
    };

    [LoggerMessage(Level = LogLevel.Error, Message = "Unexpected error while handling SCIM {Method} {Path}")]
    private static partial void LogUnexpected(ILogger logger, Exception ex, string method, PathString path);
}
