using System.Collections.Concurrent;

using IdeaScale.Portal.Data.AccessChanges;

using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace IdeaScale.Portal.Scim.Credentials;

/// <summary>Last-use facts of one SCIM token, as stored on <see cref="ScimCredential"/>.</summary>
public sealed record CredentialUse(
    DateTime? LastUsedAt, string? LastUsedIp, string? LastUsedClient,
    DateTime? LastSuccessAt, DateTime? LastFailureAt, int? LastFailureStatus)
{
    public static CredentialUse From(ScimCredential c) =>
        new(c.LastUsedAt, c.LastUsedIp, c.LastUsedUserAgent, c.LastSuccessAt, c.LastFailureAt, c.LastFailureStatus);

    /// <summary>Combines two observations, keeping the newest value of each fact.</summary>
    public CredentialUse Merge(CredentialUse? other)
    {
        if (other is null)
        {
            return this;
        }

        var newerUse = (other.LastUsedAt ?? DateTime.MinValue) > (LastUsedAt ?? DateTime.MinValue);
        var newerFailure = (other.LastFailureAt ?? DateTime.MinValue) > (LastFailureAt ?? DateTime.MinValue);
        return new CredentialUse(
            newerUse ? other.LastUsedAt : LastUsedAt,
            newerUse ? other.LastUsedIp : LastUsedIp,
            newerUse ? other.LastUsedClient : LastUsedClient,
            Max(LastSuccessAt, other.LastSuccessAt),
            newerFailure ? other.LastFailureAt : LastFailureAt,
            newerFailure ? other.LastFailureStatus : LastFailureStatus);
    }

    private static DateTime? Max(DateTime? a, DateTime? b) => (a ?? DateTime.MinValue) >= (b ?? DateTime.MinValue) ? a : b;
}

/// <summary>
/// Records when each SCIM token and OAuth client was last used (time, IP, client, last success, last failure) without a database
/// write per request: observations are coalesced in memory per credential and written in the background every
/// <see cref="LastUseOptions.FlushInterval"/>, and once more on shutdown. The portal merges <see cref="Pending"/>
/// so it never shows stale facts.
/// </summary>
public sealed partial class ScimCredentialUsage(
    IDbContextFactory<PortalDbContext> dbFactory,
    TimeProvider time,
    IOptions<ScimAccessOptions> options,
    ILogger<ScimCredentialUsage> logger) : BackgroundService
{
    private readonly ConcurrentDictionary<Guid, CredentialUse> pending = new();
    private readonly SemaphoreSlim flushing = new(1, 1);

    /// <summary>
    /// Whether a response status counts as a failure of the integration (for last failure and health). Not found,
    /// conflict and precondition failures are ordinary protocol answers (Entra probes for users that don't exist).
    /// </summary>
    public static bool IsFailure(int status) => status >= 400 && status is not (404 or 409 or 412);

    public void Record(Guid credentialId, DateTime at, string? ip, string? client, int status)
    {
        var failure = IsFailure(status);
        var use = new CredentialUse(at, Truncate(ip, 64), Truncate(client, 512), failure ? null : at, failure ? at : null, failure ? status : null);
        pending.AddOrUpdate(credentialId, use, (_, existing) => existing.Merge(use));
    }

    /// <summary>Observations not yet written to the database, if any.</summary>
    public CredentialUse? Pending(Guid credentialId) => pending.TryGetValue(credentialId, out var use) ? use : null;

    /// <summary>Writes every pending observation now (one UPDATE per used credential).</summary>
    public async Task FlushAsync(CancellationToken ct = default)
    {
        await flushing.WaitAsync(ct);
        try
        {
            if (pending.IsEmpty)
            {
                return;
            }

            await using var db = await dbFactory.CreateDbContextAsync(ct);
            foreach (var id in pending.Keys)
            {
                if (!pending.TryRemove(id, out var use))
                {
                    continue;
                }

                // Every instance flushes its own observations: each fact is only ever moved forward, so an instance
                // whose observation is older than the stored one (another instance flushed a later use) changes
                // nothing, whatever order the flushes arrive in. Neutral: last-use facts change no one's access.
                using var neutral = AccessChangeInterceptor.NeutralScope();
                var updated = await db.ScimCredentials.Where(c => c.Id == id).ExecuteUpdateAsync(s => s
                    .SetProperty(c => c.LastUsedIp, c => c.LastUsedAt == null || c.LastUsedAt < use.LastUsedAt ? use.LastUsedIp : c.LastUsedIp)
                    .SetProperty(c => c.LastUsedUserAgent, c => c.LastUsedAt == null || c.LastUsedAt < use.LastUsedAt ? use.LastUsedClient : c.LastUsedUserAgent)
                    .SetProperty(c => c.LastUsedAt, c => c.LastUsedAt == null || c.LastUsedAt < use.LastUsedAt ? use.LastUsedAt : c.LastUsedAt)
                    .SetProperty(c => c.LastSuccessAt, c => use.LastSuccessAt != null && (c.LastSuccessAt == null || c.LastSuccessAt < use.LastSuccessAt) ? use.LastSuccessAt : c.LastSuccessAt)
                    .SetProperty(c => c.LastFailureStatus, c => use.LastFailureAt != null && (c.LastFailureAt == null || c.LastFailureAt < use.LastFailureAt) ? use.LastFailureStatus : c.LastFailureStatus)
                    .SetProperty(c => c.LastFailureAt, c => use.LastFailureAt != null && (c.LastFailureAt == null || c.LastFailureAt < use.LastFailureAt) ? use.LastFailureAt : c.LastFailureAt), ct);
                if (updated == 0)
                {
                    // Not a token: an OAuth client (Scim/Credentials) records its last use the same way.
                    await db.ScimOAuthClients.Where(c => c.Id == id).ExecuteUpdateAsync(s => s
                        .SetProperty(c => c.LastUsedIp, c => c.LastUsedAt == null || c.LastUsedAt < use.LastUsedAt ? use.LastUsedIp : c.LastUsedIp)
                        .SetProperty(c => c.LastUsedClient, c => c.LastUsedAt == null || c.LastUsedAt < use.LastUsedAt ? use.LastUsedClient : c.LastUsedClient)
                        .SetProperty(c => c.LastUsedAt, c => c.LastUsedAt == null || c.LastUsedAt < use.LastUsedAt ? use.LastUsedAt : c.LastUsedAt)
                        .SetProperty(c => c.LastSuccessAt, c => use.LastSuccessAt != null && (c.LastSuccessAt == null || c.LastSuccessAt < use.LastSuccessAt) ? use.LastSuccessAt : c.LastSuccessAt)
                        .SetProperty(c => c.LastFailureStatus, c => use.LastFailureAt != null && (c.LastFailureAt == null || c.LastFailureAt < use.LastFailureAt) ? use.LastFailureStatus : c.LastFailureStatus)
                        .SetProperty(c => c.LastFailureAt, c => use.LastFailureAt != null && (c.LastFailureAt == null || c.LastFailureAt < use.LastFailureAt) ? use.LastFailureAt : c.LastFailureAt), ct);
                }
            }
        }
        finally
        {
            flushing.Release();
        }
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(options.Value.LastUse.FlushInterval, time);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken))
            {
                await FlushSafelyAsync(stoppingToken);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Shutting down; StopAsync flushes once more.
        }
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken);
        await FlushSafelyAsync(cancellationToken);
    }

    public override void Dispose()
    {
        flushing.Dispose();
        base.Dispose();
    }

    private async Task FlushSafelyAsync(CancellationToken ct)
    {
        try
        {
            await FlushAsync(ct);
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
        }
#pragma warning disable CA1031 // A failed background flush must not stop the host; the next one retries with newer facts.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            LogFlushFailed(logger, ex);
        }
    }

    private static string? Truncate(string? value, int max) => value is null || value.Length <= max ? value : value[..max];

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not write SCIM token last-use facts")]
    private static partial void LogFlushFailed(ILogger logger, Exception ex);
}
