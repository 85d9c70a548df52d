using System.Globalization;

using IdeaScale.Portal.Scim.Tenancy;

using Microsoft.Extensions.Options;

namespace IdeaScale.Portal.Scim.Logging;

/// <summary>
/// Caps what requests that failed authentication can write into a workspace's provisioning log: anyone can send
/// them, naming any workspace's host. Per workspace (and once more for requests naming no workspace) at most
/// <see cref="ProvisioningLogOptions.UnauthenticatedRowsPerWindow"/> of them are recorded one by one per
/// <see cref="ProvisioningLogOptions.UnauthenticatedWindow"/>; the rest, and every request the per-IP limit refused
/// (429), are only counted. When the window has passed, one summary row per workspace says how many were not
/// recorded, so the admins still see that something is knocking. The state is a few numbers per workspace, so
/// memory is bounded too. Summaries are written when the next unauthenticated request of the workspace arrives after
/// the window, by a background pass once per window, and on shutdown.
/// </summary>
public sealed class UnauthenticatedRequestLog(
    ProvisioningLogWriter writer, TimeProvider time, IOptions<ScimAccessOptions> options) : BackgroundService
{
    private readonly int cap = Math.Max(0, options.Value.ProvisioningLog.UnauthenticatedRowsPerWindow);
    private readonly TimeSpan window = options.Value.ProvisioningLog.UnauthenticatedWindow > TimeSpan.Zero
        ? options.Value.ProvisioningLog.UnauthenticatedWindow : TimeSpan.FromMinutes(10);

    private readonly Dictionary<Guid, Window> windows = [];
    private readonly Lock gate = new();

    /// <summary>Requests naming no workspace's host are counted under this key (WorkspaceId null in the log).</summary>
    private static readonly Guid NoWorkspace = Guid.Empty;

    private sealed class Window(DateTime start)
    {
        public DateTime Start { get; } = start;
        public int Recorded { get; set; }
        public int Suppressed { get; set; }
        public DateTime FirstSuppressed { get; set; }
        public DateTime LastSuppressed { get; set; }
    }

    /// <summary>
    /// Whether this unauthenticated request of <paramref name="workspaceId"/> is recorded one by one. False (only
    /// counted) when the workspace's allowance for the window is used up or the request was refused by the per-IP
    /// limit (<paramref name="rateLimited"/>). Writes the summary of the workspace's previous window when it has ended.
    /// </summary>
    public async ValueTask<bool> AdmitAsync(Guid? workspaceId, DateTime at, bool rateLimited)
    {
        var key = workspaceId ?? NoWorkspace;
        ProvisioningEvent? summary = null;
        bool admitted;
        lock (gate)
        {
            if (!windows.TryGetValue(key, out var current) || at >= current.Start + window)
            {
                summary = current is null ? null : Summarise(key, current);
                current = new Window(at);
                windows[key] = current;
            }

            admitted = !rateLimited && current.Recorded < cap;
            if (admitted)
            {
                current.Recorded++;
            }
            else
            {
                if (current.Suppressed == 0)
                {
                    current.FirstSuppressed = at;
                }

                current.Suppressed++;
                current.LastSuppressed = at;
            }
        }

        if (summary is not null)
        {
            await writer.EnqueueAsync(summary);
        }

        return admitted;
    }

    /// <summary>
    /// Queues the summaries of every window that has ended (every window when <paramref name="all"/>) and forgets
    /// them. Summaries are queued while the windows are taken (the queue only waits when it is full), so when this
    /// returns every summary a concurrent flush took is queued too.
    /// </summary>
    public async Task FlushAsync(bool all = false, CancellationToken ct = default)
    {
        var now = time.GetUtcNow().UtcDateTime;
        var overflow = new List<ProvisioningEvent>();
        lock (gate)
        {
            foreach (var (key, w) in windows.ToList())
            {
                if (all || now >= w.Start + window)
                {
                    windows.Remove(key);
                    if (Summarise(key, w) is { } row && !writer.TryEnqueue(row))
                    {
                        overflow.Add(row);
                    }
                }
            }
        }

        foreach (var row in overflow)
        {
            await writer.EnqueueAsync(row, ct);
        }
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(window, time);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken))
            {
                await FlushAsync(all: false, stoppingToken);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Shutting down; StopAsync writes what is left.
        }
    }

    /// <summary>Runs before the writer stops (registered after it), so the last summaries are still written.</summary>
    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken);
        try
        {
            await FlushAsync(all: true, cancellationToken);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // Shutdown ran out of time: the summaries not yet queued are lost, the rows recorded so far are not.
        }
    }

    private ProvisioningEvent? Summarise(Guid key, Window w) => w.Suppressed == 0 ? null : new ProvisioningEvent
    {
        WorkspaceId = key == NoWorkspace ? null : key,
        OccurredAt = w.LastSuppressed,
        ActorKind = ActorKind.IdentityProvider,
        Actor = ScimClients.Unauthenticated,
        Operation = ProvisioningOperation.AuthenticationFailure,
        Outcome = EventOutcome.Failure,
        Summary = string.Create(CultureInfo.InvariantCulture,
            $"{w.Suppressed} further unauthenticated requests between {w.FirstSuppressed:u} and {w.LastSuppressed:u} were not recorded one by one (more than {cap} in {window.TotalMinutes:0.#} minutes, or refused by the per-IP limit)."),
    };
}
