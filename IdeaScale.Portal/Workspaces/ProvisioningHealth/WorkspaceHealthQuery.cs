using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace IdeaScale.Portal.Workspaces.ProvisioningHealth;

/// <summary>
/// Reads the facts of <see cref="WorkspaceHealth"/> for any number of workspaces in a fixed number of aggregate
/// queries (never one per workspace), so the CS console and the dashboard show every workspace's status at the cost
/// of one: the IdP request rows of the activity window grouped by workspace (range of the (ActorKind, OccurredAt)
/// index, or of (WorkspaceId, OccurredAt) for a single workspace), their active cycle slots, the credentials' last
/// use and grace ends, and the last token regeneration (audit rows, (WorkspaceId, Operation, OccurredAt)).
/// Provider-neutral: only Count/Min/Max, date parts and integer division, translated alike on SQLite and PostgreSQL.
/// </summary>
public sealed class WorkspaceHealthQuery(IOptions<ProvisioningHealthOptions> options, TimeProvider time)
{
    public ProvisioningHealthOptions Options => options.Value;

    /// <summary>The status of each workspace of <paramref name="workspaceIds"/> (all workspaces when null).</summary>
    public async Task<IReadOnlyDictionary<Guid, WorkspaceHealth>> ForAsync(
        PortalDbContext db, IReadOnlyCollection<Guid>? workspaceIds, CancellationToken ct = default)
    {
        var now = time.GetUtcNow().UtcDateTime;
        var facts = await FactsAsync(db, workspaceIds, now, ct);
        var ids = workspaceIds ?? (IReadOnlyCollection<Guid>)facts.Keys.ToList();
        return ids.Distinct().ToDictionary(id => id, id => WorkspaceHealth.Assess(facts.GetValueOrDefault(id, HealthFacts.None), now, options.Value));
    }

    /// <summary>The status of one workspace.</summary>
    public async Task<WorkspaceHealth> ForAsync(PortalDbContext db, Guid workspaceId, CancellationToken ct = default) =>
        (await ForAsync(db, [workspaceId], ct))[workspaceId];

    internal async Task<Dictionary<Guid, HealthFacts>> FactsAsync(
        PortalDbContext db, IReadOnlyCollection<Guid>? workspaceIds, DateTime now, CancellationToken ct)
    {
        var o = options.Value;
        var activityFrom = now - o.ActivityWindow;
        var failureFrom = now - (o.FailureWindow < o.ActivityWindow ? o.FailureWindow : o.ActivityWindow);
        var slotMinutes = (int)Math.Clamp(o.CycleSlot.TotalMinutes, 1, 60);
        var ids = workspaceIds?.Distinct().ToList();
        if (ids is { Count: 0 })
        {
            return [];
        }

        var requests = db.ProvisioningEvents.AsNoTracking()
            .Where(e => e.ActorKind == ActorKind.IdentityProvider && e.OccurredAt >= activityFrom && e.WorkspaceId != null);
        var regenerations = db.ProvisioningEvents.AsNoTracking()
            .Where(e => e.Operation == ProvisioningOperation.TokenRegenerated && e.Outcome == EventOutcome.Success && e.WorkspaceId != null);
        var credentials = db.ScimCredentials.AsNoTracking();
        var clients = db.ScimOAuthClients.AsNoTracking();
        if (ids is not null)
        {
            requests = requests.Where(e => ids.Contains(e.WorkspaceId!.Value));
            regenerations = regenerations.Where(e => ids.Contains(e.WorkspaceId!.Value));
            credentials = credentials.Where(c => ids.Contains(c.WorkspaceId));
            clients = clients.Where(c => ids.Contains(c.WorkspaceId));
        }

        // Failures as ScimCredentialUsage.IsFailure counts them: 404, 409 and 412 are ordinary protocol answers.
        var window = await requests.GroupBy(e => e.WorkspaceId!.Value)
            .Select(g => new
            {
                Id = g.Key,
                Requests = g.Count(e => e.OccurredAt >= failureFrom),
                Failures = g.Count(e => e.OccurredAt >= failureFrom && e.StatusCode >= 400 && e.StatusCode != 404 && e.StatusCode != 409 && e.StatusCode != 412),
                First = g.Min(e => e.OccurredAt),
                Last = g.Max(e => e.OccurredAt),
                LastAccepted = g.Max(e => e.StatusCode != 401 ? (DateTime?)e.OccurredAt : null),
            })
            .ToListAsync(ct);
        // Active cycle slots: distinct (day, hour, slot of the hour) per workspace, counted in the database.
        var slots = await requests
            .GroupBy(e => new { Id = e.WorkspaceId!.Value, e.OccurredAt.Date, e.OccurredAt.Hour, Slot = e.OccurredAt.Minute / slotMinutes })
            .Select(g => g.Key.Id)
            .GroupBy(id => id)
            .Select(g => new { Id = g.Key, Count = g.Count() })
            .ToDictionaryAsync(s => s.Id, s => s.Count, ct);

        var tokens = await credentials.GroupBy(c => c.WorkspaceId)
            .Select(g => new
            {
                Id = g.Key,
                LastUsed = g.Max(c => c.LastUsedAt),
                GraceEnded = g.Max(c => c.ExpiresAt != null && c.ExpiresAt <= now ? c.ExpiresAt : null),
            })
            .ToDictionaryAsync(t => t.Id, ct);
        var clientUse = await clients.GroupBy(c => c.WorkspaceId)
            .Select(g => new { Id = g.Key, LastUsed = g.Max(c => c.LastUsedAt) })
            .ToDictionaryAsync(c => c.Id, c => c.LastUsed, ct);
        var regenerated = await regenerations.GroupBy(e => e.WorkspaceId!.Value)
            .Select(g => new { Id = g.Key, At = g.Max(e => e.OccurredAt) })
            .ToDictionaryAsync(r => r.Id, r => r.At, ct);

        var result = new Dictionary<Guid, HealthFacts>();
        foreach (var id in window.Select(w => w.Id).Concat(tokens.Keys).Concat(clientUse.Keys).Distinct())
        {
            var w = window.FirstOrDefault(x => x.Id == id);
            var token = tokens.GetValueOrDefault(id);
            DateTime? replaced = Latest(regenerated.TryGetValue(id, out var r) ? r : null, token?.GraceEnded);
            result[id] = new HealthFacts(
                w?.Requests ?? 0, w?.Failures ?? 0, w?.First, w?.Last, w?.LastAccepted, slots.GetValueOrDefault(id),
                Latest(Latest(token?.LastUsed, clientUse.GetValueOrDefault(id)), w?.Last), replaced);
        }

        return result;
    }

    private static DateTime? Latest(DateTime? a, DateTime? b) => a is null ? b : b is null ? a : a > b ? a : b;
}
