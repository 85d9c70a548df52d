using System.Globalization;
using System.Net;
using System.Threading.RateLimiting;

using Microsoft.Extensions.Options;

namespace IdeaScale.Portal.Security;

/// <summary>One fixed-window limit: at most <see cref="PermitLimit"/> attempts per <see cref="Window"/>.</summary>
public sealed class SignInLimit
{
    /// <summary>Attempts allowed per window; 0 turns this limit off.</summary>
    public int PermitLimit { get; set; }

    public TimeSpan Window { get; set; } = TimeSpan.FromMinutes(1);
}

/// <summary>Settings of <see cref="SignInThrottle"/> (configuration section <c>SignIn:Throttle</c>).</summary>
public sealed class SignInThrottleOptions
{
    public const string Section = "SignIn:Throttle";

    /// <summary>Sign-in attempts (password, authenticator code, recovery code, passkey) per client IP address.</summary>
    public SignInLimit PerIp { get; set; } = new() { PermitLimit = 20, Window = TimeSpan.FromMinutes(1) };

    /// <summary>Sign-in attempts per e-mail address typed, whether or not an account has it (so the limit reveals nothing).</summary>
    public SignInLimit PerAccount { get; set; } = new() { PermitLimit = 10, Window = TimeSpan.FromMinutes(5) };
}

/// <summary>
/// Throttles sign-in attempts per client IP and per account name, before any password is checked, with
/// System.Threading.RateLimiting (the limiters behind ASP.NET Core rate limiting) in fixed windows. Identity's lockout
/// (<c>SignIn:Lockout</c>) stops guessing one account's password; this stops one address from trying many accounts,
/// and bounds the password hashing one client can make the server do. Behind a reverse proxy the IP is the forwarded
/// client address (see <see cref="ReverseProxySetup"/>).
/// </summary>
public sealed class SignInThrottle : IDisposable
{
    private readonly PartitionedRateLimiter<string>? perIp;
    private readonly PartitionedRateLimiter<string>? perAccount;

    public SignInThrottle(IOptions<SignInThrottleOptions> options)
    {
        perIp = Create(options.Value.PerIp);
        perAccount = Create(options.Value.PerAccount);
    }

    /// <summary>
    /// Counts one attempt against the client's address and against <paramref name="account"/> (the e-mail typed, or
    /// the account's id in the second step); null when allowed, else how long to wait.
    /// </summary>
    public TimeSpan? TryAcquire(IPAddress? client, string? account)
    {
        var ipKey = client is null ? "" : (client.IsIPv4MappedToIPv6 ? client.MapToIPv4() : client).ToString();
        if (Acquire(perIp, ipKey) is { } ipWait)
        {
            return ipWait;
        }

        return string.IsNullOrEmpty(account) ? null : Acquire(perAccount, account.Trim().ToUpperInvariant());
    }

    /// <summary>The message the sign-in pages show for a throttled attempt.</summary>
    public static string Message(TimeSpan wait) =>
        string.Create(CultureInfo.InvariantCulture, $"Too many sign-in attempts. Wait {Math.Max(1, (int)Math.Ceiling(wait.TotalSeconds))} seconds, then try again.");

    /// <summary>Marks the page's response as throttled: 429 with Retry-After (seconds).</summary>
    public static void Reject(HttpContext context, TimeSpan wait)
    {
        context.Response.StatusCode = StatusCodes.Status429TooManyRequests;
        context.Response.Headers.RetryAfter = Math.Max(1, (int)Math.Ceiling(wait.TotalSeconds)).ToString(CultureInfo.InvariantCulture);
    }

    public void Dispose()
    {
        perIp?.Dispose();
        perAccount?.Dispose();
    }

    private static TimeSpan? Acquire(PartitionedRateLimiter<string>? limiter, string key)
    {
        if (limiter is null)
        {
            return null;
        }

        using var lease = limiter.AttemptAcquire(key);
        if (lease.IsAcquired)
        {
            return null;
        }

        return lease.TryGetMetadata(MetadataName.RetryAfter, out var wait) ? wait : TimeSpan.FromSeconds(1);
    }

    private static PartitionedRateLimiter<string>? Create(SignInLimit limit)
    {
        if (limit.PermitLimit <= 0)
        {
            return null;
        }

        var window = new FixedWindowRateLimiterOptions
        {
            PermitLimit = limit.PermitLimit,
            Window = limit.Window > TimeSpan.Zero ? limit.Window : TimeSpan.FromMinutes(1),
            QueueLimit = 0,
            AutoReplenishment = true,
        };
        return PartitionedRateLimiter.Create<string, string>(key => RateLimitPartition.GetFixedWindowLimiter(key, _ => window));
    }
}
