using System.Globalization;

using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Storage;

namespace IdeaScale.Portal.Data.AccessChanges;

/// <summary>
/// What this instance knows of the database's access version, and the signal for every in-memory cache of access
/// facts (<see cref="Changed"/>). Two sources raise it: a commit in this process that changed access
/// (<see cref="AccessChangeInterceptor"/>, at once), and <see cref="EnsureCurrentAsync"/>, which reads the version
/// row (one indexed single-row read on a prepared command, <see cref="ReadSessions"/>) and raises it when another
/// instance has bumped it. Request paths that trust cached access facts call <see cref="EnsureCurrentAsync"/> before
/// using them, so a change committed on any instance is honoured by the next request everywhere, without a lifetime.
/// </summary>
/// <remarks>It takes the service provider, not the context factory: the factory's options include the interceptor
/// that depends on this class.</remarks>
public sealed class AccessVersion(ReadSessions sessions, IServiceProvider services)
{
    private long known = -1;
    private string? query;

    /// <summary>Raised when access may have changed: drop cached credentials, switches, clients.</summary>
    public event Action? Changed;

    /// <summary>The highest version this instance has seen (-1 before the first read).</summary>
    public long Known => Volatile.Read(ref known);

    /// <summary>Reads the version; raises <see cref="Changed"/> (before returning) when it is higher than the one last seen.</summary>
    public async ValueTask EnsureCurrentAsync(CancellationToken ct)
    {
        var session = await sessions.RentAsync(ct);
        long current;
        try
        {
            var command = session.Command(query ??= Query());
            current = Convert.ToInt64(await command.ExecuteScalarAsync(ct), CultureInfo.InvariantCulture);
        }
        catch
        {
            session.Dispose();
            throw;
        }

        sessions.Return(session);
        Observe(current);
    }

    /// <summary>A commit of this process changed access (the interceptor saw it): tell the caches now.</summary>
    internal void OnLocalChange() => Changed?.Invoke();

    private void Observe(long current)
    {
        // Monotonic: two requests reading out of order never move it back (which would invalidate twice, not miss).
        var seen = Volatile.Read(ref known);
        while (current > seen)
        {
            var previous = Interlocked.CompareExchange(ref known, current, seen);
            if (previous == seen)
            {
                Changed?.Invoke();
                return;
            }

            seen = previous;
        }
    }

    private string Query()
    {
        using var db = services.GetRequiredService<IDbContextFactory<PortalDbContext>>().CreateDbContext();
        var sql = db.GetService<ISqlGenerationHelper>();
        var entity = db.Model.FindEntityType(typeof(AccessVersionRow))!;
        var table = entity.GetTableName()!;
        var value = entity.FindProperty(nameof(AccessVersionRow.Value))!.GetColumnName();
        var id = entity.FindProperty(nameof(AccessVersionRow.Id))!.GetColumnName();
        return $"SELECT {sql.DelimitIdentifier(value)} FROM {sql.DelimitIdentifier(table)} WHERE {sql.DelimitIdentifier(id)} = {AccessVersionRow.SingletonId}";
    }
}
