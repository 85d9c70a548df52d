using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace IdeaScale.Portal.Scim.Logging;

/// <summary>
/// Deletes provisioning-log rows older than <see cref="ProvisioningLogOptions.RetentionDays"/> (0 keeps them
/// forever), at start and then every <see cref="ProvisioningLogOptions.PruneInterval"/>.
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
        var days = options.Value.ProvisioningLog.RetentionDays;
        if (days <= 0)
        {
            return 0;
        }

        var cutoff = time.GetUtcNow().UtcDateTime.AddDays(-days);
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var deleted = await db.ProvisioningEvents.Where(e => e.OccurredAt < cutoff).ExecuteDeleteAsync(ct);
        if (deleted > 0)
        {
            LogPruned(logger, deleted, days);
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

    [LoggerMessage(Level = LogLevel.Information, Message = "Pruned {Count} provisioning-log rows older than {Days} days")]
    private static partial void LogPruned(ILogger logger, int count, int days);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Pruning the provisioning log failed")]
    private static partial void LogPruneFailed(ILogger logger, Exception ex);
}
