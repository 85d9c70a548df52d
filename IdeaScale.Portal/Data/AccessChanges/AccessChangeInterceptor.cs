using System.Collections.Concurrent;
using System.Data.Common;
using System.Runtime.CompilerServices;

using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Diagnostics;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Metadata;
using Microsoft.EntityFrameworkCore.Storage;

namespace IdeaScale.Portal.Data.AccessChanges;

/// <summary>
/// Bumps the access version (<see cref="AccessVersionRow"/>) inside the transaction of every write to a guarded
/// table, and tells this process's caches after the commit (<see cref="AccessVersion.OnLocalChange"/>).
/// <list type="bullet">
/// <item>SaveChanges: the change tracker says whether a guarded entity (<see cref="AccessChangeModel.GuardsAccess{T}"/>)
/// is added, modified or deleted; the save then always runs in a transaction, and the bump is the transaction's last
/// statement before it commits. Because the row is updated (not inserted), concurrent changes queue on its row lock
/// and the versions become visible in commit order.</item>
/// <item>ExecuteUpdate/ExecuteDelete bypass the change tracker: a non-query command on one of the guarded tables (the
/// model's table names) bumps after it runs (or before its transaction commits), unless it runs in a
/// <see cref="NeutralScope"/> (the last-use bookkeeping on credentials, which changes no one's access).</item>
/// </list>
/// </summary>
public sealed class AccessChangeInterceptor(AccessVersion version) : SaveChangesInterceptor, IDbTransactionInterceptor, IDbCommandInterceptor
{
    private static readonly AsyncLocal<bool> InNeutralScope = new();

    /// <summary>
    /// Bulk commands run inside this scope write guarded tables without changing anyone's access (the last-use
    /// bookkeeping on credentials): they do not bump the version.
    /// </summary>
    public static IDisposable NeutralScope()
    {
        InNeutralScope.Value = true;
        return new EndNeutral();
    }

    private sealed class EndNeutral : IDisposable
    {
        public void Dispose() => InNeutralScope.Value = false;
    }

    private sealed class Pending
    {
        public bool Bumped;
        public AutoTransactionBehavior? Restore;
    }

    /// <summary>Contexts whose current save or transaction wrote a guarded table.</summary>
    private readonly ConditionalWeakTable<DbContext, Pending> pending = [];
    private readonly ConcurrentDictionary<IModel, (string[] Tables, string Bump)> statements = new();

    public override InterceptionResult<int> SavingChanges(DbContextEventData eventData, InterceptionResult<int> result)
    {
        Saving(eventData.Context);
        return result;
    }

    public override ValueTask<InterceptionResult<int>> SavingChangesAsync(DbContextEventData eventData, InterceptionResult<int> result, CancellationToken cancellationToken = default)
    {
        Saving(eventData.Context);
        return ValueTask.FromResult(result);
    }

    public override int SavedChanges(SaveChangesCompletedEventData eventData, int result)
    {
        Saved(eventData.Context);
        return result;
    }

    public override ValueTask<int> SavedChangesAsync(SaveChangesCompletedEventData eventData, int result, CancellationToken cancellationToken = default)
    {
        Saved(eventData.Context);
        return ValueTask.FromResult(result);
    }

    public override void SaveChangesFailed(DbContextErrorEventData eventData) => Saved(eventData.Context);

    public override Task SaveChangesFailedAsync(DbContextErrorEventData eventData, CancellationToken cancellationToken = default)
    {
        Saved(eventData.Context);
        return Task.CompletedTask;
    }

    public InterceptionResult TransactionCommitting(DbTransaction transaction, TransactionEventData eventData, InterceptionResult result)
    {
        if (Due(eventData.Context) is { } p)
        {
            using var command = BumpCommand(eventData.Context!, transaction.Connection!, transaction);
            command.ExecuteNonQuery();
            p.Bumped = true;
        }

        return result;
    }

    public async ValueTask<InterceptionResult> TransactionCommittingAsync(DbTransaction transaction, TransactionEventData eventData, InterceptionResult result, CancellationToken cancellationToken = default)
    {
        if (Due(eventData.Context) is { } p)
        {
            await using var command = BumpCommand(eventData.Context!, transaction.Connection!, transaction);
            await command.ExecuteNonQueryAsync(cancellationToken);
            p.Bumped = true;
        }

        return result;
    }

    public void TransactionCommitted(DbTransaction transaction, TransactionEndEventData eventData) => Committed(eventData.Context);

    public Task TransactionCommittedAsync(DbTransaction transaction, TransactionEndEventData eventData, CancellationToken cancellationToken = default)
    {
        Committed(eventData.Context);
        return Task.CompletedTask;
    }

    public void TransactionRolledBack(DbTransaction transaction, TransactionEndEventData eventData) => Forget(eventData.Context);

    public Task TransactionRolledBackAsync(DbTransaction transaction, TransactionEndEventData eventData, CancellationToken cancellationToken = default)
    {
        Forget(eventData.Context);
        return Task.CompletedTask;
    }

    public int NonQueryExecuted(DbCommand command, CommandExecutedEventData eventData, int result)
    {
        if (BulkWriteOfGuardedTable(command, eventData.Context))
        {
            if (command.Transaction is null)
            {
                using var bump = BumpCommand(eventData.Context!, command.Connection!, null);
                bump.ExecuteNonQuery();
                version.OnLocalChange();
            }
            else
            {
                pending.GetOrCreateValue(eventData.Context!);
            }
        }

        return result;
    }

    public async ValueTask<int> NonQueryExecutedAsync(DbCommand command, CommandExecutedEventData eventData, int result, CancellationToken cancellationToken = default)
    {
        if (BulkWriteOfGuardedTable(command, eventData.Context))
        {
            if (command.Transaction is null)
            {
                await using var bump = BumpCommand(eventData.Context!, command.Connection!, null);
                await bump.ExecuteNonQueryAsync(cancellationToken);
                version.OnLocalChange();
            }
            else
            {
                pending.GetOrCreateValue(eventData.Context!);
            }
        }

        return result;
    }

    private void Saving(DbContext? context)
    {
        if (context is null || !context.ChangeTracker.Entries().Any(e => e.State is EntityState.Added or EntityState.Modified or EntityState.Deleted
            && AccessChangeModel.IsGuarded(e.Metadata)))
        {
            return;
        }

        var p = pending.GetOrCreateValue(context);
        if (context.Database.CurrentTransaction is null && context.Database.AutoTransactionBehavior != AutoTransactionBehavior.Always)
        {
            // EF skips the transaction of a one-statement save; the bump needs one to join.
            p.Restore = context.Database.AutoTransactionBehavior;
            context.Database.AutoTransactionBehavior = AutoTransactionBehavior.Always;
        }
    }

    private void Saved(DbContext? context)
    {
        if (context is not null && pending.TryGetValue(context, out var p) && p.Restore is { } behaviour)
        {
            context.Database.AutoTransactionBehavior = behaviour;
            p.Restore = null;
        }
    }

    private Pending? Due(DbContext? context) => context is not null && pending.TryGetValue(context, out var p) && !p.Bumped ? p : null;

    private void Committed(DbContext? context)
    {
        if (context is not null && pending.TryGetValue(context, out var p) && p.Bumped)
        {
            pending.Remove(context);
            version.OnLocalChange();
        }
    }

    private void Forget(DbContext? context)
    {
        if (context is not null)
        {
            pending.Remove(context);
        }
    }

    private bool BulkWriteOfGuardedTable(DbCommand command, DbContext? context)
    {
        if (context is null)
        {
            return false;
        }

        // Only data changes: INSERT/UPDATE/DELETE (migrations' DDL names the tables too), outside a neutral scope.
        if (InNeutralScope.Value)
        {
            return false;
        }

        var text = command.CommandText.AsSpan().TrimStart();
        while (text.StartsWith("--", StringComparison.Ordinal))
        {
            var end = text.IndexOf('\n');
            text = end < 0 ? [] : text[(end + 1)..].TrimStart();
        }

        if (!(text.StartsWith("UPDATE", StringComparison.OrdinalIgnoreCase) || text.StartsWith("DELETE", StringComparison.OrdinalIgnoreCase)
            || text.StartsWith("INSERT", StringComparison.OrdinalIgnoreCase)))
        {
            return false;
        }

        foreach (var table in Statements(context).Tables)
        {
            if (text.Contains(table, StringComparison.Ordinal))
            {
                return true;
            }
        }

        return false;
    }

    private DbCommand BumpCommand(DbContext context, DbConnection connection, DbTransaction? transaction)
    {
        var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = Statements(context).Bump;
        return command;
    }

    private (string[] Tables, string Bump) Statements(DbContext context) => statements.GetOrAdd(context.Model, model =>
    {
        var sql = context.GetService<ISqlGenerationHelper>();
        var entity = model.FindEntityType(typeof(AccessVersionRow))!;
        var table = sql.DelimitIdentifier(entity.GetTableName()!);
        var value = sql.DelimitIdentifier(entity.FindProperty(nameof(AccessVersionRow.Value))!.GetColumnName());
        var id = sql.DelimitIdentifier(entity.FindProperty(nameof(AccessVersionRow.Id))!.GetColumnName());
        return (AccessChangeModel.GuardedTables(model, sql), $"UPDATE {table} SET {value} = {value} + 1 WHERE {id} = {AccessVersionRow.SingletonId}");
    });
}
