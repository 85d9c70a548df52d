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
}
