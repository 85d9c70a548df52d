using System.Data.Common;
using System.Runtime.CompilerServices;

using Microsoft.EntityFrameworkCore.Diagnostics;

namespace IdeaScale.Portal.Scim.Auth;

/// <summary>
/// Clears <see cref="ScimAccessCache"/> whenever a command writes one of the tables authentication and gating read
/// (credentials, SCIM settings, SSO configurations, workspaces, OAuth clients, secrets and authorizations), and again when the transaction that wrote it
/// commits. It sees every write made through any <see cref="PortalDbContext"/> of this process, SaveChanges and
/// ExecuteUpdate/ExecuteDelete alike, so no code path that changes access can forget to invalidate.
/// </summary>
public sealed class ScimAccessInvalidator(ScimAccessCache cache) : DbCommandInterceptor, IDbTransactionInterceptor
{
    private static readonly string[] WatchedTables =
    [
        "\"ScimCredentials\"", "\"ScimSettings\"", "\"SsoConfigurations\"", "\"Workspaces\"",
        // OAuth clients, their secrets, OpenIddict applications and authorizations (Scim/Credentials); not
        // OpenIddictTokens, written on every token issuance.
        "\"ScimOAuthClients\"", "\"ScimOAuthSecrets\"", "\"OpenIddictApplications\"", "\"OpenIddictAuthorizations\"",
    ];

    /// <summary>Transactions that wrote a watched table and have not committed yet.</summary>
    private readonly ConditionalWeakTable<DbTransaction, object> writers = [];

    public override int NonQueryExecuted(DbCommand command, CommandExecutedEventData eventData, int result)
    {
        Observe(command);
        return result;
    }

    public override ValueTask<int> NonQueryExecutedAsync(DbCommand command, CommandExecutedEventData eventData, int result, CancellationToken cancellationToken = default)
    {
        Observe(command);
        return ValueTask.FromResult(result);
    }

    // SaveChanges reads back generated values, so its INSERT/UPDATE/DELETE batches run as readers.
    public override DbDataReader ReaderExecuted(DbCommand command, CommandExecutedEventData eventData, DbDataReader result)
    {
        Observe(command);
        return result;
    }

    public override ValueTask<DbDataReader> ReaderExecutedAsync(DbCommand command, CommandExecutedEventData eventData, DbDataReader result, CancellationToken cancellationToken = default)
    {
        Observe(command);
        return ValueTask.FromResult(result);
    }

    public void TransactionCommitted(DbTransaction transaction, TransactionEndEventData eventData) => Committed(transaction);

    public Task TransactionCommittedAsync(DbTransaction transaction, TransactionEndEventData eventData, CancellationToken cancellationToken = default)
    {
        Committed(transaction);
        return Task.CompletedTask;
    }

    private void Observe(DbCommand command)
    {
        if (!WritesWatchedTable(command.CommandText))
        {
            return;
        }

        cache.Invalidate();
        if (command.Transaction is { } transaction)
        {
            writers.AddOrUpdate(transaction, transaction);
        }
    }

    private void Committed(DbTransaction transaction)
    {
        if (writers.Remove(transaction))
        {
            cache.Invalidate();
        }
    }

    /// <summary>True for a command that inserts, updates or deletes rows of a watched table (not for reads).</summary>
    internal static bool WritesWatchedTable(string sql)
    {
        var text = sql.AsSpan().TrimStart();
        if (text.StartsWith("SELECT", StringComparison.OrdinalIgnoreCase) || text.StartsWith("PRAGMA", StringComparison.OrdinalIgnoreCase))
        {
            return false;
        }

        if (text.IndexOf("INSERT", StringComparison.OrdinalIgnoreCase) < 0 && text.IndexOf("UPDATE", StringComparison.OrdinalIgnoreCase) < 0
            && text.IndexOf("DELETE", StringComparison.OrdinalIgnoreCase) < 0)
        {
            return false;
        }

        foreach (var table in WatchedTables)
        {
            if (text.IndexOf(table, StringComparison.Ordinal) >= 0)
            {
                return true;
            }
        }

        return false;
    }
}
