using Microsoft.Extensions.Options;

using OpenIddict.Abstractions;

namespace IdeaScale.Portal.Scim.Credentials.OAuth;

/// <summary>
/// Keeps OpenIddict's token and authorization tables from growing without bound: every
/// <see cref="OAuthPruningOptions.Interval"/> (on the app's <see cref="TimeProvider"/>) it deletes, with OpenIddict's own
/// <see cref="IOpenIddictTokenManager.PruneAsync"/> and <see cref="IOpenIddictAuthorizationManager.PruneAsync"/>, the
/// rows created more than <see cref="OAuthPruningOptions.MinimumAge"/> ago that are dead: expired, revoked, redeemed or
/// otherwise not valid tokens (and tokens of such authorizations), and authorizations that are not valid or ad-hoc
/// without tokens. Live tokens and authorizations stay whatever their age. Every instance may run it; the deletes are
/// idempotent. A failed run is logged and retried at the next interval.
/// </summary>
public sealed partial class OAuthPruning(
    IServiceScopeFactory scopes, IOptions<OAuthOptions> options, TimeProvider time, ILogger<OAuthPruning> logger) : BackgroundService
{
    /// <summary>Prunes once now; returns how many token and authorization rows went.</summary>
    public async Task<(long Tokens, long Authorizations)> PruneAsync(CancellationToken ct = default)
    {
        var threshold = time.GetUtcNow() - options.Value.Pruning.MinimumAge;
        await using var scope = scopes.CreateAsyncScope();
        var tokens = await scope.ServiceProvider.GetRequiredService<IOpenIddictTokenManager>().PruneAsync(threshold, ct);
        var authorizations = await scope.ServiceProvider.GetRequiredService<IOpenIddictAuthorizationManager>().PruneAsync(threshold, ct);
        if (tokens + authorizations > 0)
        {
            LogPruned(logger, tokens, authorizations);
        }

        return (tokens, authorizations);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var interval = options.Value.Pruning.Interval;
        if (interval <= TimeSpan.Zero)
        {
            return;
        }

        using var timer = new PeriodicTimer(interval, time);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken))
            {
                try
                {
                    await PruneAsync(stoppingToken);
                }
                catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
                {
                    throw;
                }
#pragma warning disable CA1031 // A failed prune must not stop the host; the next interval retries.
                catch (Exception ex)
#pragma warning restore CA1031
                {
                    LogPruneFailed(logger, ex);
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Shutting down.
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Pruned {Tokens} OAuth token and {Authorizations} authorization rows")]
    private static partial void LogPruned(ILogger logger, long tokens, long authorizations);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Pruning OAuth tokens and authorizations failed")]
    private static partial void LogPruneFailed(ILogger logger, Exception ex);
}
