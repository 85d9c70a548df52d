using System.Globalization;
using System.Text;
using System.Threading.RateLimiting;

using IdeaScale.Portal.Workspaces.ConnectionTest;

using Microsoft.Extensions.Options;

namespace IdeaScale.Portal.Scim.Credentials.OAuth;

/// <summary>
/// Rate limit of the token endpoint: a token bucket per client id (from HTTP Basic or the form's client_id) and one
/// per client IP, each refilled per minute. A refused request gets 429 with Retry-After and an OAuth error body,
/// before OpenIddict checks any secret (so guessing costs the guesser, not our CPU). The form is buffered here and
/// read again by OpenIddict from the same buffer. A platform client of OAuth:Clients (Okta's, one client id shared by
/// every customer) has no per-client bucket: one customer's refreshes must not throttle another's; the per-IP limit
/// still applies.
/// The SCIM page's connection test (its requests carry <see cref="ConnectionTestMarker"/>, which only this process can
/// send) counts in buckets of its own, per client id and one for all tests, with the same limits: an admin testing again
/// and again is limited (and sees the 429 explained) but never uses up the identity provider's allowance, so a test
/// cannot lock Entra out of its next token request.
/// </summary>
public sealed class OAuthTokenRateLimit : IDisposable
{
    private readonly PartitionedRateLimiter<string>? perClient;
    private readonly PartitionedRateLimiter<string>? perIp;
    private readonly HashSet<string> platformClients;

    private readonly ConnectionTestMarker connectionTest;

    public OAuthTokenRateLimit(IOptions<OAuthOptions> options, ConnectionTestMarker connectionTest)
    {
        this.connectionTest = connectionTest;
        platformClients = options.Value.Clients.Values.Select(c => c.ClientId).ToHashSet(StringComparer.Ordinal);
        var o = options.Value.TokenRateLimit;
        perClient = Create(o.PerClientPerMinute);
        perIp = Create(o.PerIpPerMinute);
    }

    private static PartitionedRateLimiter<string>? Create(int perMinute) => perMinute <= 0 ? null
        : PartitionedRateLimiter.Create<string, string>(key => RateLimitPartition.GetTokenBucketLimiter(key, _ => new TokenBucketRateLimiterOptions
        {
            TokenLimit = perMinute,
            TokensPerPeriod = perMinute,
            ReplenishmentPeriod = TimeSpan.FromMinutes(1),
            QueueLimit = 0,
            AutoReplenishment = true,
        }));

    public async Task InvokeAsync(HttpContext context, RequestDelegate next)
    {
        var ip = context.Connection.RemoteIpAddress?.ToString() ?? "unknown";
        var clientId = ClientIdFromBasic(context.Request.Headers.Authorization.ToString());
        if (clientId is null && context.Request.HasFormContentType)
        {
            var form = await context.Request.ReadFormAsync(context.RequestAborted);
            clientId = form["client_id"].ToString();
        }

        // Partition keys: an IP address or a client id for everyone else; "test:" ones (no IP or client id has that form) for the test.
        var probe = connectionTest.IsProbe(context.Request);
        using var ipLease = perIp?.AttemptAcquire(probe ? "test:" : ip);
        using var clientLease = string.IsNullOrEmpty(clientId) || ipLease is { IsAcquired: false } || platformClients.Contains(clientId)
            ? null
            : perClient?.AttemptAcquire(probe ? "test:" + clientId : clientId);
        var refused = ipLease is { IsAcquired: false } ? ipLease : clientLease is { IsAcquired: false } ? clientLease : null;
        if (refused is null)
        {
            await next(context);
            return;
        }

        var retryAfter = refused.TryGetMetadata(MetadataName.RetryAfter, out var wait) ? Math.Max(1, (int)Math.Ceiling(wait.TotalSeconds)) : 60;
        context.Response.StatusCode = StatusCodes.Status429TooManyRequests;
        context.Response.Headers.RetryAfter = retryAfter.ToString(CultureInfo.InvariantCulture);
        context.Response.Headers.CacheControl = "no-store";
        await context.Response.WriteAsJsonAsync(new Dictionary<string, string>
        {
            ["error"] = "temporarily_unavailable",
            ["error_description"] = "Too many token requests. Retry after the time given in the Retry-After header.",
        }, context.RequestAborted);
    }

    /// <summary>The user name of an HTTP Basic header (RFC 6749 §2.3.1: form-encoded), or null.</summary>
    internal static string? ClientIdFromBasic(string header)
    {
        const string prefix = "Basic ";
        if (!header.StartsWith(prefix, StringComparison.OrdinalIgnoreCase) || header.Length > 4096)
        {
            return null;
        }

        var buffer = new byte[header.Length];
        if (!Convert.TryFromBase64String(header[prefix.Length..].Trim(), buffer, out var written))
        {
            return null;
        }

        var decoded = Encoding.UTF8.GetString(buffer, 0, written);
        var colon = decoded.IndexOf(':', StringComparison.Ordinal);
        return colon <= 0 ? null : Uri.UnescapeDataString(decoded[..colon].Replace('+', ' '));
    }

    public void Dispose()
    {
        perClient?.Dispose();
        perIp?.Dispose();
    }
}
