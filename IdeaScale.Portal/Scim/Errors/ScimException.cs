using System.Net;

namespace IdeaScale.Portal.Scim.Errors;

/// <summary>The RFC 7644 §3.12 scimType values.</summary>
public static class ScimErrorType
{
    public const string InvalidFilter = "invalidFilter";
    public const string TooMany = "tooMany";
    public const string Uniqueness = "uniqueness";
    public const string Mutability = "mutability";
    public const string InvalidSyntax = "invalidSyntax";
    public const string InvalidPath = "invalidPath";
    public const string NoTarget = "noTarget";
    public const string InvalidValue = "invalidValue";
    public const string InvalidVers = "invalidVers";
    public const string Sensitive = "sensitive";

    /// <summary>RFC 9865 §2.1: the cursor is not one this server issued for this query.</summary>
    public const string InvalidCursor = "invalidCursor";

    /// <summary>RFC 9865 §2.1: the cursor is older than cursorTimeout.</summary>
    public const string ExpiredCursor = "expiredCursor";

    /// <summary>RFC 9865 §2.1: count is not between 1 and maxPageSize.</summary>
    public const string InvalidCount = "invalidCount";
}

/// <summary>
/// A SCIM protocol error. Handlers throw it (or return <see cref="ScimError"/>); <see cref="ScimErrorHandling"/>
/// is the only place that turns it into an HTTP response. Messages must never contain secrets.
/// </summary>
public sealed class ScimException(int status, string? scimType, string detail) : Exception(detail)
{
    public int Status { get; } = status;
    public string? ScimType { get; } = scimType;
    public string Detail { get; } = detail;

    /// <summary>Response headers that belong to this error (WWW-Authenticate on 401, Retry-After on 429 and 503).</summary>
    public IDictionary<string, string[]> Headers { get; } = new Dictionary<string, string[]>(StringComparer.OrdinalIgnoreCase);

    public ScimError ToError() => new(Status, ScimType, Detail);

    /// <summary>Adds a response header to send with this error; returns the exception for chaining.</summary>
    public ScimException WithHeader(string name, params string[] values)
    {
        Headers[name] = values;
        return this;
    }

    public static ScimException InvalidFilter(string detail) => new(400, ScimErrorType.InvalidFilter, detail);
    public static ScimException TooMany(string detail) => new(400, ScimErrorType.TooMany, detail);
    public static ScimException Uniqueness(string detail) => new(409, ScimErrorType.Uniqueness, detail);
    public static ScimException Mutability(string detail) => new(400, ScimErrorType.Mutability, detail);
    public static ScimException InvalidSyntax(string detail) => new(400, ScimErrorType.InvalidSyntax, detail);
    public static ScimException InvalidPath(string detail) => new(400, ScimErrorType.InvalidPath, detail);
    public static ScimException NoTarget(string detail) => new(400, ScimErrorType.NoTarget, detail);
    public static ScimException InvalidValue(string detail) => new(400, ScimErrorType.InvalidValue, detail);
    public static ScimException InvalidCursor(string detail) => new(400, ScimErrorType.InvalidCursor, detail);
    public static ScimException ExpiredCursor(string detail) => new(400, ScimErrorType.ExpiredCursor, detail);
    public static ScimException InvalidCount(string detail) => new(400, ScimErrorType.InvalidCount, detail);
    public static ScimException InvalidVersion(string detail) => new(400, ScimErrorType.InvalidVers, detail);
    public static ScimException NotFound(string detail) => new((int)HttpStatusCode.NotFound, null, detail);
    public static ScimException PreconditionFailed(string detail) => new((int)HttpStatusCode.PreconditionFailed, null, detail);
    public static ScimException PayloadTooLarge(string detail) => new((int)HttpStatusCode.RequestEntityTooLarge, null, detail);
    public static ScimException UnsupportedMediaType(string detail) => new((int)HttpStatusCode.UnsupportedMediaType, null, detail);
    public static ScimException NotImplemented(string detail) => new((int)HttpStatusCode.NotImplemented, null, detail);
    public static ScimException Unauthorized(string detail) => new((int)HttpStatusCode.Unauthorized, null, detail);
    public static ScimException Forbidden(string detail) => new((int)HttpStatusCode.Forbidden, null, detail);
    public static ScimException TooManyRequests(string detail) => new((int)HttpStatusCode.TooManyRequests, null, detail);
    public static ScimException ServiceUnavailable(string detail) => new((int)HttpStatusCode.ServiceUnavailable, null, detail);
}
