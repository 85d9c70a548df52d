using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Diagnostics;

namespace IdeaScale.Portal.Data.Interceptors;

/// <summary>
/// Stamps SCIM resources on save: Created on insert, LastModified and Version on every insert or update,
/// and the normalised unique keys. Time comes from <see cref="TimeProvider"/> so tests control it.
/// </summary>
public sealed class AuditStampInterceptor(TimeProvider time) : SaveChangesInterceptor
{
    public override InterceptionResult<int> SavingChanges(DbContextEventData eventData, InterceptionResult<int> result)
    {
        Stamp(eventData.Context);
        return result;
    }

    public override ValueTask<InterceptionResult<int>> SavingChangesAsync(
        DbContextEventData eventData, InterceptionResult<int> result, CancellationToken cancellationToken = default)
    {
        Stamp(eventData.Context);
        return ValueTask.FromResult(result);
    }

    private void Stamp(DbContext? context)
    {
        if (context is null)
        {
            return;
        }

        // Whole microseconds: PostgreSQL's timestamp precision, so the meta.created/lastModified (and the version derived
        // from them) a write answers with are the ones every later read returns, on both providers.
        var now = time.GetUtcNow().UtcDateTime;
        now = now.AddTicks(-(now.Ticks % TimeSpan.TicksPerMicrosecond));
        foreach (var entry in context.ChangeTracker.Entries())
        {
            if (entry.State is not (EntityState.Added or EntityState.Modified))
            {
                continue;
            }

            switch (entry.Entity)
            {
                case WorkspaceMember m:
                    m.NormalizedUserName = Normalize(m.UserName);
                    break;
                case WorkspaceGroup g:
                    g.NormalizedDisplayName = Normalize(g.DisplayName);
                    break;
                case Workspace w:
                    w.Host = HostOf(w.PublicUrl);
                    if (entry.State == EntityState.Added && w.Created == default)
                    {
                        w.Created = now;
                    }

                    break;
            }

            if (entry.Entity is IScimResource r)
            {
                if (entry.State == EntityState.Added)
                {
                    r.Created = now;
                    r.Version = 1;
                }
                else
                {
                    r.Version++;
                }

                r.LastModified = now;
            }
        }
    }

    /// <summary>The normalisation used for case-insensitive unique keys (userName, group displayName).</summary>
    public static string Normalize(string value) => value.ToUpperInvariant();

    public static string HostOf(string url) =>
        Uri.TryCreate(url, UriKind.Absolute, out var uri) ? Workspace.NormaliseHost(uri.Host) : "";
}
