using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace IdeaScale.Portal.Scim.Logging;

/// <summary>
/// Prunes the provisioning log at start and then every <see cref="ProvisioningLogOptions.PruneInterval"/>: the IdP's
/// request rows (ActorKind IdentityProvider) older than <see cref="ProvisioningLogOptions.RetentionDays"/>, and the
/// audit rows of admin, customer-success and system actions older than
/// <see cref="ProvisioningLogOptions.AuditRetentionDays"/>. 0 keeps the rows of that kind forever (the default for
/// audit rows: an access change stays on record when the request log of the same day is gone). Each delete is one
/// range of the (ActorKind, OccurredAt) index: it visits only the rows it deletes, however many audit rows are kept.
/// </summary>
public sealed partial class ProvisioningLogRetention(
    IDbContextFactory<PortalDbContext> dbFactory,
    IOptions<ScimAccessOptions> options,
    TimeProvider time,
    ILogger<ProvisioningLogRetention> logger) : BackgroundService
{
    /// <summary>Deletes the expired rows now; returns how many were deleted.</summary>
    public async Task<int> PruneAsync(CancellationToken ct = default)
    {
        var log = options.Value.ProvisioningLog;
        if (log.RetentionDays <= 0 && log.AuditRetentionDays <= 0)
        {
            return 0;
        }

        var now = time.GetUtcNow().UtcDateTime;
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var deleted = 0;
        if (log.RetentionDays > 0)
        {
            var cutoff = now.AddDays(-log.RetentionDays);
            var requests = await db.ProvisioningEvents
                .Where(e => e.ActorKind == ActorKind.IdentityProvider && e.OccurredAt < cutoff)
                .ExecuteDeleteAsync(ct);
            if (requests > 0)
            {
                LogPruned(logger, requests, "IdP request", log.RetentionDays);
            }

            deleted += requests;
        }

        if (log.AuditRetentionDays > 0)
        {
            var cutoff = now.AddDays(-log.AuditRetentionDays);

            // Spelled as equalities (an IN list of the index's leading column) rather than "!= IdentityProvider",
            // which no index serves.
            var audits = await db.ProvisioningEvents
                .Where(e => (e.ActorKind == ActorKind.WorkspaceAdmin || e.ActorKind == ActorKind.CustomerSuccess || e.ActorKind == ActorKind.System)
                    && e.OccurredAt < cutoff)
                .ExecuteDeleteAsync(ct);
            if (audits > 0)
            {
                LogPruned(logger, audits, "audit", log.AuditRetentionDays);
            }

            deleted += audits;
        }

        return deleted;
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(options.Value.ProvisioningLog.PruneInterval, time);
        try
        {
            do
            {
                try
                {
                    await PruneAsync(stoppingToken);
                }
                catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
                {
                    return;
                }
#pragma warning disable CA1031 // Pruning is retried on the next tick; it must not stop the host.
                catch (Exception ex)
#pragma warning restore CA1031
                {
                    LogPruneFailed(logger, ex);
                }
            }
            while (await timer.WaitForNextTickAsync(stoppingToken));
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Pruned {Count} {Kind} rows of the provisioning log older than {Days} days")]
    private static partial void LogPruned(ILogger logger, int count, string kind, int days);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Pruning the provisioning log failed")]
    private static partial void LogPruneFailed(ILogger logger, Exception ex);
}
