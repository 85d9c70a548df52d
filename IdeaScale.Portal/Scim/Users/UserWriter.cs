using System.Collections.Concurrent;
using System.Data.Common;
using System.Globalization;

using IdeaScale.Portal.Data.Interceptors;
using IdeaScale.Portal.Scim.Errors;
using IdeaScale.Portal.Scim.Resources;

using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Metadata;
using Microsoft.EntityFrameworkCore.Storage;

namespace IdeaScale.Portal.Scim.Users;

/// <summary>
/// The write IdPs run most: a new user (POST /Users, every user of a first sync), as <see cref="UserMapper"/> mapped it
/// from the attribute registry, inserted with one prepared INSERT per table (the user, then each value and address
/// row) on a long-lived connection (<see cref="ReadSessions"/>) in one write transaction, without EF Core's change
/// tracker, SaveChanges pipeline and per-request connection. It stores exactly what SaveChanges stores
/// (UserWriterTests compares the rows column by column): the audit stamps the <see cref="AuditStampInterceptor"/> sets
/// on insert, and every column bound through its property's own type mapping. The SQL is generated from the EF model
/// (tables, columns, quoting, parameter syntax), so it follows the schema and the provider. A duplicate userName
/// (the unique index on the normalised column, also under concurrent creates) is 409 uniqueness, nothing written.
/// </summary>
public sealed class UserWriter
{
    /// <summary>Rows of one kind per INSERT (more are inserted by further INSERTs): few command texts, each prepared once per connection.</summary>
    internal const int MaxRowsPerStatement = 8;

    private readonly ReadSessions sessions;
    private readonly TimeProvider time;
    private readonly ISqlGenerationHelper sql;
    private readonly Table member;
    private readonly Table value;
    private readonly Table address;
    private readonly ConcurrentDictionary<(string Head, int Rows), Statement> statements = new();
    private readonly ConcurrentDictionary<(Table Table, string Columns), Statement> updates = new();

    /// <summary>
    /// A table's INSERT up to its VALUES, and the properties bound for each row, in order; for UPDATE and DELETE its
    /// delimited name, its key, and every stored property but the key (what a change compares).
    /// </summary>
    private sealed record Table(string Head, IProperty[] Columns, string Name, StoreObjectIdentifier Id, IProperty Key, IProperty[] Compared);

    /// <summary>An INSERT of some rows: its text and its parameters' names, row after row.</summary>
    private sealed record Statement(string Text, string[] Names);

    public UserWriter(IDbContextFactory<PortalDbContext> contexts, ReadSessions sessions, TimeProvider time)
    {
        this.sessions = sessions;
        this.time = time;
        using var db = contexts.CreateDbContext();
        sql = db.GetService<ISqlGenerationHelper>();
        member = TableOf(db.Model.FindEntityType(typeof(WorkspaceMember))!);
        value = TableOf(db.Model.FindEntityType(typeof(MemberValue))!);
        address = TableOf(db.Model.FindEntityType(typeof(MemberAddress))!);
    }

    private Table TableOf(IEntityType entity)
    {
        var table = StoreObjectIdentifier.Table(entity.GetTableName()!, entity.GetSchema());
        // Every stored property except a key the database generates (the rows' identity column).
        var columns = UserReader.Stored(entity)
            .Where(p => !(p.IsPrimaryKey() && p.ValueGenerated == ValueGenerated.OnAdd && p.ClrType != typeof(Guid)))
            .ToArray();
        var name = sql.DelimitIdentifier(entity.GetTableName()!, entity.GetSchema());
        var key = entity.FindPrimaryKey()!.Properties.Single();
        return new Table(
            $"INSERT INTO {name} ({string.Join(", ", columns.Select(p => sql.DelimitIdentifier(p.GetColumnName(table)!)))}) VALUES ",
            columns, name, table, key, [.. UserReader.Stored(entity).Where(p => !p.IsPrimaryKey())]);
    }

    /// <summary>Stamps and inserts a new user with its value and address rows; a duplicate userName is 409 with <paramref name="uniquenessDetail"/>.</summary>
    public async Task InsertAsync(WorkspaceMember user, string uniquenessDetail, CancellationToken ct)
    {
        // As the AuditStampInterceptor stamps an insert: whole microseconds (PostgreSQL's precision), version 1.
        var now = time.GetUtcNow().UtcDateTime;
        now = now.AddTicks(-(now.Ticks % TimeSpan.TicksPerMicrosecond));
        user.NormalizedUserName = AuditStampInterceptor.Normalize(user.UserName);
        user.Created = now;
        user.LastModified = now;
        user.Version = 1;
        foreach (var row in user.Values)
        {
            row.MemberId = user.Id;
        }

        foreach (var row in user.Addresses)
        {
            row.MemberId = user.Id;
        }

        var session = await sessions.RentAsync(ct);
        try
        {
            await using (var transaction = session.BeginWrite())
            {
                await InsertAsync(session, transaction, member, [user], ct);
                await InsertAsync(session, transaction, value, user.Values, ct);
                await InsertAsync(session, transaction, address, user.Addresses, ct);
                await transaction.CommitAsync(ct);
            }
        }
        catch (DbException e) when (PortalDatabase.IsUniqueViolation(e))
        {
            sessions.Return(session);
            throw ScimException.Uniqueness(uniquenessDetail);
        }
        catch
        {
            session.Dispose();
            throw;
        }

        sessions.Return(session);
    }

    /// <summary>
    /// The write transaction of one PUT or PATCH on a rented session (SQLite: BEGIN IMMEDIATE, the database's write
    /// lock; PostgreSQL: read committed, the load takes the user's row lock). The session goes back to the pool once
    /// the transaction is committed or rolled back; a session whose rollback fails is closed.
    /// </summary>
    public async Task<Update> BeginUpdateAsync(CancellationToken ct)
    {
        var session = await sessions.RentAsync(ct);
        try
        {
            return new Update(sessions, session, session.BeginWrite());
        }
        catch
        {
            session.Dispose();
            throw;
        }
    }

    /// <summary>See <see cref="BeginUpdateAsync"/>.</summary>
    public sealed class Update(ReadSessions sessions, ReadSessions.Session session, DbTransaction transaction) : IUpdateTransaction
    {
        private bool committed;

        public ReadSessions.Session Session => session;

        public DbTransaction Transaction => transaction;

        public async Task CommitAsync(CancellationToken ct)
        {
            await transaction.CommitAsync(ct);
            committed = true;
        }

        public async ValueTask DisposeAsync()
        {
            try
            {
                if (!committed)
                {
                    await transaction.RollbackAsync();
                }

                await transaction.DisposeAsync();
            }
            catch (DbException)
            {
                session.Dispose();
                return;
            }
            catch (InvalidOperationException)
            {
                session.Dispose();
                return;
            }

            sessions.Return(session);
        }
    }

    /// <summary>What a user loaded for update held: each compared column of the user and of each of its rows, by reference.</summary>
    public sealed record Snapshot(object?[] Member, Dictionary<object, object?[]> Rows, MemberValue[] Values, MemberAddress[] Addresses);

    /// <summary>The user's columns and rows as loaded, before a change is applied to them.</summary>
    public Snapshot Take(WorkspaceMember user)
    {
        var rows = new Dictionary<object, object?[]>(ReferenceEqualityComparer.Instance);
        foreach (var row in user.Values)
        {
            rows[row] = ValuesOf(value, row);
        }

        foreach (var row in user.Addresses)
        {
            rows[row] = ValuesOf(address, row);
        }

        return new Snapshot(ValuesOf(member, user), rows, [.. user.Values], [.. user.Addresses]);
    }

    /// <summary>
    /// Writes what a PUT or PATCH changed since <paramref name="before"/>, inside the caller's write transaction (which
    /// holds the lock: SQLite's write lock, PostgreSQL's row lock): the user's changed columns with the stamps the
    /// <see cref="AuditStampInterceptor"/> sets on update (version + 1, lastModified, the normalised userName), checked
    /// against the version it was loaded with (as EF's concurrency token is: a lost check is a
    /// <see cref="DbUpdateConcurrencyException"/>); then the value and address rows that were removed (DELETE), changed
    /// (UPDATE of their changed columns) or added (INSERT). A change of rows only is a change of the user too: its version
    /// moves, so its ETag does. Nothing changed: nothing is written and the version stays (false). A duplicate userName
    /// is 409 uniqueness.
    /// </summary>
    public async Task<bool> UpdateAsync(
        ReadSessions.Session session, DbTransaction transaction, Snapshot before, WorkspaceMember user, string uniquenessDetail, CancellationToken ct)
    {
        user.NormalizedUserName = AuditStampInterceptor.Normalize(user.UserName);
        var columns = Changed(member, before.Member, user);
        var removed = new List<object>();
        var rowChanges = new List<(Table Table, object Row, List<IProperty> Columns)>();
        var added = new List<(Table Table, object Row)>();
        Compare(value, before, before.Values, user.Values, user.Id, removed, rowChanges, added);
        Compare(address, before, before.Addresses, user.Addresses, user.Id, removed, rowChanges, added);
        if (columns.Count == 0 && removed.Count == 0 && rowChanges.Count == 0 && added.Count == 0)
        {
            return false;
        }

        var loadedVersion = user.Version;
        var now = time.GetUtcNow().UtcDateTime;
        user.LastModified = now.AddTicks(-(now.Ticks % TimeSpan.TicksPerMicrosecond));
        user.Version = loadedVersion + 1;
        var version = member.Compared.Single(p => p.Name == nameof(WorkspaceMember.Version));
        var lastModified = member.Compared.Single(p => p.Name == nameof(WorkspaceMember.LastModified));
        columns.Remove(lastModified);
        columns.Add(version);
        columns.Add(lastModified);
        try
        {
            var bound = columns.ConvertAll(p => (p, p.GetGetter().GetClrValue(user)));
            bound.Add((member.Key, user.Id));
            bound.Add((version, loadedVersion));
            if (await ExecuteAsync(session, transaction, UpdateFor(member, columns, version), bound, ct) != 1)
            {
                throw new DbUpdateConcurrencyException($"The user {user.Id} changed after it was loaded (version {loadedVersion}).");
            }

            foreach (var row in removed)
            {
                var table = row is MemberValue ? value : address;
                await ExecuteAsync(session, transaction, DeleteFor(table), [(table.Key, table.Key.GetGetter().GetClrValue(row))], ct);
            }

            foreach (var (table, row, changed) in rowChanges)
            {
                var values = changed.ConvertAll(p => (p, p.GetGetter().GetClrValue(row)));
                values.Add((table.Key, table.Key.GetGetter().GetClrValue(row)));
                await ExecuteAsync(session, transaction, UpdateFor(table, changed, null), values, ct);
            }

            await InsertAsync(session, transaction, value, [.. added.Where(a => a.Table == value).Select(a => (MemberValue)a.Row)], ct);
            await InsertAsync(session, transaction, address, [.. added.Where(a => a.Table == address).Select(a => (MemberAddress)a.Row)], ct);
        }
        catch (DbException e) when (PortalDatabase.IsUniqueViolation(e))
        {
            throw ScimException.Uniqueness(uniquenessDetail);
        }

        return true;
    }

    private static object?[] ValuesOf(Table table, object row) => [.. table.Compared.Select(p => p.GetGetter().GetClrValue(row))];

    /// <summary>The compared properties whose value differs from the snapshot's, by each property's value comparer (as EF detects changes).</summary>
    private static List<IProperty> Changed(Table table, object?[] before, object row)
    {
        var changed = new List<IProperty>();
        for (var i = 0; i < table.Compared.Length; i++)
        {
            var property = table.Compared[i];
            if (!property.GetValueComparer().Equals(before[i], property.GetGetter().GetClrValue(row)))
            {
                changed.Add(property);
            }
        }

        return changed;
    }

    /// <summary>Sorts one kind of rows: loaded and gone, loaded and changed, new (which get the user's id).</summary>
    private static void Compare<T>(
        Table table, Snapshot before, T[] loaded, List<T> current, Guid userId,
        List<object> removed, List<(Table, object, List<IProperty>)> changed, List<(Table, object)> added)
        where T : class
    {
        var kept = new HashSet<object>(current, ReferenceEqualityComparer.Instance);
        removed.AddRange(loaded.Where(r => !kept.Contains(r)));
        foreach (var row in current)
        {
            if (before.Rows.TryGetValue(row, out var was))
            {
                if (Changed(table, was, row) is { Count: > 0 } columns)
                {
                    changed.Add((table, row, columns));
                }
            }
            else
            {
                switch (row)
                {
                    case MemberValue v:
                        v.MemberId = userId;
                        break;
                    case MemberAddress a:
                        a.MemberId = userId;
                        break;
                }

                added.Add((table, row));
            }
        }
    }

    /// <summary>UPDATE of some columns by key (and, for the user, its loaded version): one text per set of columns.</summary>
    private Statement UpdateFor(Table table, List<IProperty> columns, IProperty? concurrencyToken)
    {
        var key = string.Join(",", columns.Select(p => p.Name));
        return updates.GetOrAdd((table, key), _ =>
        {
            var names = new List<string>();
            string Parameter()
            {
                var name = string.Create(CultureInfo.InvariantCulture, $"p{names.Count}");
                names.Add(sql.GenerateParameterName(name));
                return sql.GenerateParameterNamePlaceholder(name);
            }

            string Column(IProperty p) => sql.DelimitIdentifier(p.GetColumnName(table.Id)!);
            var set = string.Join(", ", columns.Select(p => $"{Column(p)} = {Parameter()}"));
            var where = $"{Column(table.Key)} = {Parameter()}" + (concurrencyToken is null ? "" : $" AND {Column(concurrencyToken)} = {Parameter()}");
            return new Statement($"UPDATE {table.Name} SET {set} WHERE {where}", [.. names]);
        });
    }

    private Statement DeleteFor(Table table) => updates.GetOrAdd((table, "DELETE"), _ => new Statement(
        $"DELETE FROM {table.Name} WHERE {sql.DelimitIdentifier(table.Key.GetColumnName(table.Id)!)} = {sql.GenerateParameterNamePlaceholder("p0")}",
        [sql.GenerateParameterName("p0")]));

    /// <summary>
    /// Runs a prepared statement, each value bound through its property's type mapping; the command's own parameter
    /// objects get the new values (a prepared Npgsql command keeps the instances it was prepared with).
    /// </summary>
    private async Task<int> ExecuteAsync(
        ReadSessions.Session session, DbTransaction transaction, Statement statement, List<(IProperty Property, object? Value)> values, CancellationToken ct)
    {
        var command = session.Command(statement.Text, transaction);
        var first = command.Parameters.Count == 0;
        for (var i = 0; i < values.Count; i++)
        {
            var (property, value) = values[i];
            var parameter = property.GetRelationalTypeMapping().CreateParameter(command, statement.Names[i], value, property.IsNullable);
            if (first)
            {
                command.Parameters.Add(parameter);
            }
            else
            {
                command.Parameters[i].Value = parameter.Value;
            }
        }

        sessions.LogWrite(statement.Text);
        return await command.ExecuteNonQueryAsync(ct);
    }

    /// <summary>
    /// Inserts the rows, at most <see cref="MaxRowsPerStatement"/> per INSERT, each value bound through its property's
    /// type mapping (a Guid, a time or an enum as the provider stores it, as SaveChanges binds it). The command's own
    /// parameter objects get the new values: a prepared Npgsql command keeps the instances it was prepared with.
    /// </summary>
    private async Task InsertAsync<T>(ReadSessions.Session session, DbTransaction transaction, Table table, IReadOnlyList<T> rows, CancellationToken ct)
        where T : class
    {
        for (var start = 0; start < rows.Count; start += MaxRowsPerStatement)
        {
            var count = Math.Min(MaxRowsPerStatement, rows.Count - start);
            var statement = statements.GetOrAdd((table.Head, count), k => StatementFor(table, k.Rows));
            var command = session.Command(statement.Text, transaction);
            var first = command.Parameters.Count == 0;
            var index = 0;
            for (var r = start; r < start + count; r++)
            {
                foreach (var property in table.Columns)
                {
                    var parameter = property.GetRelationalTypeMapping()
                        .CreateParameter(command, statement.Names[index], property.GetGetter().GetClrValue(rows[r]), property.IsNullable);
                    if (first)
                    {
                        command.Parameters.Add(parameter);
                    }
                    else
                    {
                        command.Parameters[index].Value = parameter.Value;
                    }

                    index++;
                }
            }

            sessions.LogWrite(statement.Text);
            await command.ExecuteNonQueryAsync(ct);
        }
    }

    private Statement StatementFor(Table table, int rows)
    {
        var names = new List<string>();
        var tuples = new List<string>();
        for (var r = 0; r < rows; r++)
        {
            var row = table.Columns.Select((_, c) => string.Create(CultureInfo.InvariantCulture, $"p{r * table.Columns.Length + c}")).ToList();
            names.AddRange(row.Select(sql.GenerateParameterName));
            tuples.Add("(" + string.Join(", ", row.Select(sql.GenerateParameterNamePlaceholder)) + ")");
        }

        return new Statement(table.Head + string.Join(", ", tuples), [.. names]);
    }
}
