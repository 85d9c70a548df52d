using IdeaScale.Portal.Scim.Errors;

namespace IdeaScale.Portal.Scim.Protocol;

/// <summary>Weak entity tags (RFC 7644 §3.14) from the resource's <see cref="IScimResource.Version"/>.</summary>
public static class ETags
{
    public static string For(long version) => $"W/\"{version}\"";

    /// <summary>Whether an If-Match / If-None-Match header value lists this version (or "*").
    /// Comparison is weak (RFC 9110 §8.8.3.2): W/ prefixes are ignored.</summary>
    public static bool Matches(string header, long version)
    {
        foreach (var raw in header.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
        {
            var tag = raw.StartsWith("W/", StringComparison.OrdinalIgnoreCase) ? raw[2..] : raw;
            if (tag == "*" || tag.Trim('"') == version.ToString(System.Globalization.CultureInfo.InvariantCulture))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>Throws 412 when the request's If-Match does not list the current version.</summary>
    public static void CheckIfMatch(HttpRequest request, long version)
    {
        var header = request.Headers.IfMatch.ToString();
        if (header.Length > 0 && !Matches(header, version))
        {
            throw ScimException.PreconditionFailed($"The resource has changed: its version is {For(version)}.");
        }
    }

    public static bool HasIfMatch(HttpRequest request) => request.Headers.IfMatch.Count > 0;

    /// <summary>
    /// The answer to a write whose optimistic-concurrency check (the Version token) failed on its last attempt. With
    /// If-Match the client asked to change exactly the version it sent: 412. Without If-Match the client asked for no
    /// precondition, so it never gets 412: writes of one resource are serialised (a transaction around load and
    /// save) and a lost check is retried from a fresh load; when the retries run out (a database that does not lock
    /// the row, under heavy contention) it is 503 with Retry-After, nothing written.
    /// </summary>
    public static ScimException ConcurrentChange(HttpRequest request) => HasIfMatch(request)
        ? ScimException.PreconditionFailed("The resource was changed by another request.")
        : ScimException.ServiceUnavailable("The resource is being changed by other requests at the same time; nothing was written. Retry the request.")
            .WithHeader("Retry-After", "1");
}
