using System.Data.Common;
using System.Runtime.CompilerServices;

using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore.Diagnostics;

namespace IdeaScale.Portal.Data.Interceptors;

/// <summary>
/// Per-connection SQLite settings for concurrent writers: WAL (readers never block the writer), a busy
/// timeout (writers queue instead of failing with "database is locked"), and enforced foreign keys.
/// They are applied once per physical connection: Microsoft.Data.Sqlite pools connections and a pooled
/// connection keeps its settings, while EF Core opens and closes the connection around every query, so
/// running them on every open cost a few statements per query (measured by IdeaScale.Benchmarks).
/// </summary>
public sealed class SqlitePragmaInterceptor : DbConnectionInterceptor
{
    internal const string Pragmas = "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA busy_timeout=10000; PRAGMA foreign_keys=ON;";

    /// <summary>Native connections that already have the settings; entries go away with the native connection.</summary>
    private static readonly ConditionalWeakTable<object, object> Configured = [];

    public override void ConnectionOpened(DbConnection connection, ConnectionEndEventData eventData)
    {
        if (!NeedsPragmas(connection, out var handle))
        {
            return;
        }

        using (var command = connection.CreateCommand())
        {
            command.CommandText = Pragmas;
            command.ExecuteNonQuery();
        }

        MarkConfigured(handle);
    }

    public override async Task ConnectionOpenedAsync(DbConnection connection, ConnectionEndEventData eventData, CancellationToken cancellationToken = default)
    {
        if (!NeedsPragmas(connection, out var handle))
        {
            return;
        }

        await using (var command = connection.CreateCommand())
        {
            command.CommandText = Pragmas;
            await command.ExecuteNonQueryAsync(cancellationToken);
        }

        MarkConfigured(handle);
    }

    private static bool NeedsPragmas(DbConnection connection, out object? handle)
    {
        handle = (connection as SqliteConnection)?.Handle;
        return handle is null || !Configured.TryGetValue(handle, out _);
    }

    private static void MarkConfigured(object? handle)
    {
        if (handle is not null)
        {
            Configured.AddOrUpdate(handle, handle);
        }
    }
}
