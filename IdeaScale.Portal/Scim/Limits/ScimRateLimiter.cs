using System.Globalization;
using System.Threading.RateLimiting;

using IdeaScale.Portal.Scim.Errors;
using IdeaScale.Portal.Scim.Tenancy;

using Microsoft.Extensions.Options;

namespace IdeaScale.Portal.Scim.Limits;

/// <summary>
/// A token bucket per workspace for /scim/v2 (portal traffic is not counted). The bucket holds
/// <see cref="ScimRateLimitOptions.Burst"/> requests and refills at <see cref="ScimRateLimitOptions.RequestsPerSecond"/>
/// (once per second, or one token every 1/rate seconds below one per second). A rate of 0 turns it off.
/// Several instances: each keeps its own buckets with its share of rate and burst
/// (<see cref="ScimRateLimitOptions.Instances"/>), so the workspace's total over all instances never exceeds the limit
/// and no request waits for a shared counter; SCIM needs no session affinity, so a round-robin balancer spreads a
/// workspace's requests evenly and the shares add up to the limit.
/// <para>
/// Requests that fail authentication have no workspace to charge: they take a token of a bucket per client IP
/// (<see cref="ScimRateLimitOptions.UnauthenticatedPerIpPerMinute"/>), so one address cannot flood the
/// provisioning log or the token lookup (<see cref="AcquireUnauthenticated"/>).
/// </para>
/// </summary>
public sealed class ScimRateLimiter : IDisposable
{
    private readonly PartitionedRateLimiter<Guid>? limiter;
    private readonly PartitionedRateLimiter<string>? unauthenticated;

    public ScimRateLimiter(IOptions<ScimAccessOptions> options)
    {
        var o = options.Value.RateLimit;
        if (o.UnauthenticatedPerIpPerMinute > 0)
        {
            var perIp = new TokenBucketRateLimiterOptions
            {
                TokenLimit = o.UnauthenticatedPerIpPerMinute,
                TokensPerPeriod = o.UnauthenticatedPerIpPerMinute,
                ReplenishmentPeriod = TimeSpan.FromMinutes(1),
                QueueLimit = 0,
                AutoReplenishment = true,
            };
            unauthenticated = PartitionedRateLimiter.Create<string, string>(ip => RateLimitPartition.GetTokenBucketLimiter(ip, _ => perIp));
        }

        if (o.RequestsPerSecond <= 0)
        {
            return;
        }

        var instances = Math.Max(1, o.Instances);
        var rate = o.RequestsPerSecond / instances;
        var (tokens, period) = rate >= 1
            ? ((int)Math.Floor(rate), TimeSpan.FromSeconds(1))
            : (1, TimeSpan.FromSeconds(1 / rate));
        var bucket = new TokenBucketRateLimiterOptions
        {
            TokenLimit = Math.Max(1, o.Burst / instances),
            TokensPerPeriod = tokens,
            ReplenishmentPeriod = period,
            QueueLimit = 0,
            AutoReplenishment = true,
        };
        limiter = PartitionedRateLimiter.Create<Guid, Guid>(workspace => RateLimitPartition.GetTokenBucketLimiter(workspace, _ => bucket));
    }

    /// <summary>Takes one token of the workspace's bucket; when it is empty, throws 429 with Retry-After.</summary>
    public void Acquire(Guid workspaceId)
    {
        if (limiter is null)
        {
            return;
        }

        using var lease = limiter.AttemptAcquire(workspaceId);
        if (lease.IsAcquired)
        {
            return;
        }

        var retryAfter = lease.TryGetMetadata(MetadataName.RetryAfter, out var wait) ? Math.Max(1, (int)Math.Ceiling(wait.TotalSeconds)) : 1;
        throw ScimException.TooManyRequests("Too many requests for this workspace. Retry after the time given in the Retry-After header.")
            .WithHeader("Retry-After", retryAfter.ToString(CultureInfo.InvariantCulture));
    }

    /// <summary>
    /// Takes one token of the client IP's bucket for a request that failed authentication; when it is empty, throws
    /// 429 with Retry-After (and the request is not recorded one by one, see UnauthenticatedRequestLog).
    /// </summary>
    public void AcquireUnauthenticated(string? ip)
    {
        if (unauthenticated is null)
        {
            return;
        }

        using var lease = unauthenticated.AttemptAcquire(ip ?? "");
        if (lease.IsAcquired)
        {
            return;
        }

        var retryAfter = lease.TryGetMetadata(MetadataName.RetryAfter, out var wait) ? Math.Max(1, (int)Math.Ceiling(wait.TotalSeconds)) : 60;
        throw ScimException.TooManyRequests("Too many requests with failed authentication from this address. Retry after the time given in the Retry-After header.")
            .WithHeader("Retry-After", retryAfter.ToString(CultureInfo.InvariantCulture));
    }

    public void Dispose()
    {
        limiter?.Dispose();
        unauthenticated?.Dispose();
    }
}

/// <summary>Applies the workspace's rate limit and the request body size limit to an authenticated SCIM request.</summary>
public sealed class ScimRequestLimits(RequestDelegate next, ScimRateLimiter rateLimiter, IOptions<ScimAccessOptions> options)
{
    public Task InvokeAsync(HttpContext context, ScimTenant tenant)
    {
        rateLimiter.Acquire(tenant.WorkspaceId);

        var max = options.Value.MaxRequestBodyBytes;
        if (context.Request.ContentLength > max)
        {
            throw TooLarge();
        }

        if (context.Features.Get<Microsoft.AspNetCore.Http.Features.IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } feature)
        {
            feature.MaxRequestBodySize = max;
        }

        // Also enforced on the stream, for chunked bodies and servers without the feature (the test server).
        context.Request.Body = new LimitedReadStream(context.Request.Body, max);
        return next(context);
    }

    internal static ScimException TooLarge() => ScimException.PayloadTooLarge("The request body is larger than the server accepts.");

    private sealed class LimitedReadStream(Stream inner, long max) : Stream
    {
        private long read;

        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => read; set => throw new NotSupportedException(); }

        public override int Read(byte[] buffer, int offset, int count) => Count(inner.Read(buffer, offset, count));

        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
            Count(await inner.ReadAsync(buffer, cancellationToken));

        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

        public override void Flush()
        {
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        private int Count(int n)
        {
            read += n;
            return read > max ? throw TooLarge() : n;
        }
    }
}
