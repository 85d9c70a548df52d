using System.Collections.Concurrent;
using System.Data.Common;
using System.Globalization;
using System.Runtime.ExceptionServices;

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
/// row) on a long-lived connection (<see cref="ReadSessions"/>), without EF Core's change tracker, SaveChanges pipeline
/// and per-request connection. It stores exactly what SaveChanges stores (UserWriterTests compares the rows column by
/// column): the audit stamps the <see cref="AuditStampInterceptor"/> sets on insert, and every column bound through its
/// property's own type mapping. The SQL is generated from the EF model (tables, columns, quoting, parameter syntax), so
/// it follows the schema and the provider. A duplicate userName (the unique index on the normalised column, also under
/// concurrent creates) is 409 uniqueness, nothing written.
/// <para>
/// New users are written by group commit. An IdP's first sync sends POSTs from several clients at once; with one write
/// transaction each, they queued on SQLite's write lock (each waiter in SQLite's busy handler, the busy_timeout pragma:
/// sleeps of 1, 2, 5 … up to 100 ms between polls, so the lock sat idle while the waiters slept; README "Architecture")
/// and each paid a whole commit: the WAL frames of every index page it touched, the lock
/// handoff, a thread woken. Now a caller queues its user; the first caller while no batch runs leads: it begins the
/// write transaction (SQLite: BEGIN IMMEDIATE, the write lock), takes every user waiting at that moment (up to
/// <see cref="MaxBatch"/>), writes each in its own savepoint, commits once, hands the lead to the first user that
/// queued meanwhile, and releases the batch's callers. A lone request leads at once with itself (no window to wait
/// for company); under load the next batch forms while the current one writes and commits. A batch takes its turn at
/// the in-process write gate first (<see cref="ReadSessions.EnterWriteAsync"/>), so it does not sleep in SQLite's busy
/// handler while this process's other prepared writers write. Each caller returns only after the commit of its batch (a 201 is as durable as before), and a failed statement rolls back to that user's
/// savepoint only: a duplicate userName in a batch is that request's 409 while the others commit (on PostgreSQL too,
/// where a unique violation aborts the transaction up to the savepoint). A caller cancelled while it waits leaves the
/// queue; the batch itself runs uncancelled, so one caller's abort never costs the others their users. If the
/// transaction itself fails (its begin, a rollback, the commit), every user of the batch fails with that error, as
/// each would have alone. PUT and PATCH keep one transaction per request (<see cref="BeginUpdateAsync"/>).
/// </para>
/// </summary>
public sealed class UserWriter
{
    /// <summary>Rows of one kind per INSERT (more are inserted by further INSERTs): few command texts, each prepared once per connection.</summary>
    internal const int MaxRowsPerStatement = 8;

    /// <summary>
    /// Users one batch writes at most: a bounded wait for the last of them, and on PostgreSQL fewer subtransactions
    /// (one savepoint per user) than the 64 a backend keeps in its cache before snapshots get slower.
    /// </summary>
    internal const int MaxBatch = 32;

    /// <summary>The savepoint each user of a batch is written in (released before the next user's).</summary>
    private const string Savepoint = "scim_user";

    private readonly Lock gate = new();

    /// <summary>Users waiting for a batch, first come first; the leader's own user is first.</summary>
    private readonly LinkedList<Pending> waiting = [];

    /// <summary>True while a caller leads a batch (or has been handed the lead): the others wait in <see cref="waiting"/>.</summary>
    private bool leading;

    private long batches;

    /// <summary>Write transactions (batches) committed so far.</summary>
    internal long Batches => Interlocked.Read(ref batches);

    /// <summary>Users queued and not yet taken by a batch.</summary>
    internal int Waiting
    {
        get
        {
            lock (gate)
            {
                return waiting.Count;
            }
        }
    }

    /// <summary>Whether a batch runs (or its leader is about to start it).</summary>
    internal bool Leading
    {
        get
        {
            lock (gate)
            {
                return leading;
            }
        }
    }

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

    /// <summary>
    /// Stamps a new user and inserts it with its value and address rows, in the next batch (see the class); returns
    /// once that batch is committed. A duplicate userName is 409 with <paramref name="uniquenessDetail"/>, nothing
    /// written; a caller cancelled before its batch reaches it writes nothing and gets an
    /// <see cref="OperationCanceledException"/> (once its insert has run, its user commits with the batch).
    /// </summary>
    public async Task InsertAsync(WorkspaceMember user, string uniquenessDetail, CancellationToken ct)
    {
        ct.ThrowIfCancellationRequested();

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

        var pending = new Pending(user, uniquenessDetail, ct);
        bool lead;
        lock (gate)
        {
            pending.Node = waiting.AddLast(pending);
            lead = !leading;
            leading = true;
        }

        if (!lead)
        {
            await using (ct.Register(static state =>
            {
                var (writer, waiter) = ((UserWriter, Pending))state!;
                writer.Withdraw(waiter);
            }, (this, pending)))
            {
                lead = await pending.Turn.Task;
            }
        }

        if (lead)
        {
            await LeadAsync();
        }

        pending.Failure?.Throw();
    }

    /// <summary>
    /// One caller's new user: its turn (true: it leads the next batch; false: its batch is done, see
    /// <see cref="Failure"/>), and its place in <see cref="waiting"/> until a batch takes it.
    /// </summary>
    private sealed class Pending(WorkspaceMember user, string uniquenessDetail, CancellationToken ct)
    {
        public WorkspaceMember User => user;

        public string UniquenessDetail => uniquenessDetail;

        public CancellationToken Cancellation => ct;

        public TaskCompletionSource<bool> Turn { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        /// <summary>In <see cref="waiting"/> (null once a batch took it or it was withdrawn).</summary>
        public LinkedListNode<Pending>? Node { get; set; }

        /// <summary>Handed the lead: it no longer can be withdrawn (the batch it leads takes it first).</summary>
        public bool Promoted { get; set; }

        /// <summary>Why its user was not written (null: committed).</summary>
        public ExceptionDispatchInfo? Failure { get; set; }
    }

    /// <summary>A waiting caller was cancelled: it leaves the queue unless a batch already took it or it leads one.</summary>
    private void Withdraw(Pending pending)
    {
        lock (gate)
        {
            if (pending.Node is null || pending.Promoted)
            {
                return;
            }

            waiting.Remove(pending.Node);
            pending.Node = null;
        }

        pending.Turn.TrySetCanceled(pending.Cancellation);
    }

    /// <summary>
    /// One batch: the write transaction first (SQLite: the write lock), then every user waiting at that moment (up to
    /// <see cref="MaxBatch"/>), each in its own savepoint, one commit; then the lead goes to the first user that queued
    /// meanwhile and the batch's callers are released. Nothing here is cancelled by one caller.
    /// </summary>
    private async Task LeadAsync()
    {
        var batch = new List<Pending>(MaxBatch);
        ReadSessions.WriteTurn? turn = null;
        ReadSessions.Session? session = null;
        try
        {
            turn = await sessions.EnterWriteAsync(CancellationToken.None);
            session = await sessions.RentAsync(CancellationToken.None);
            await using (var transaction = session.BeginWrite())
            {
                Take(batch);
                foreach (var pending in batch)
                {
                    await WriteAsync(session, transaction, pending);
                }

                await transaction.CommitAsync(CancellationToken.None);
            }

            Interlocked.Increment(ref batches);
            sessions.Return(session);
        }
        catch (Exception e)
        {
            // The transaction failed (its begin, a rollback to a savepoint, the commit): none of its users is written.
            session?.Dispose();
            if (batch.Count == 0)
            {
                Take(batch);
            }

            var failure = ExceptionDispatchInfo.Capture(e);
            foreach (var pending in batch)
            {
                pending.Failure ??= failure;
            }
        }
        finally
        {
            turn?.Dispose();
        }

        Pending? next = null;
        lock (gate)
        {
            if (waiting.First is { } first)
            {
                next = first.Value;
                next.Promoted = true;
            }
            else
            {
                leading = false;
            }
        }

        next?.Turn.TrySetResult(true);
        foreach (var pending in batch)
        {
            pending.Turn.TrySetResult(false);
        }
    }

    /// <summary>Takes the users waiting now, first come first, up to <see cref="MaxBatch"/>.</summary>
    private void Take(List<Pending> batch)
    {
        lock (gate)
        {
            while (batch.Count < MaxBatch && waiting.First is { } first)
            {
                waiting.RemoveFirst();
                first.Value.Node = null;
                batch.Add(first.Value);
            }
        }
    }

    /// <summary>
    /// One user of a batch in its savepoint: the user, its value rows, its address rows. A failed statement (a
    /// duplicate userName: 409; anything else as it was thrown) rolls back to the savepoint, so only this user's rows
    /// go (PostgreSQL: the transaction is usable again after a unique violation); the batch goes on.
    /// </summary>
    private async Task WriteAsync(ReadSessions.Session session, DbTransaction transaction, Pending pending)
    {
        if (pending.Cancellation.IsCancellationRequested)
        {
            pending.Failure = ExceptionDispatchInfo.Capture(new OperationCanceledException(pending.Cancellation));
            return;
        }

        var user = pending.User;
        await transaction.SaveAsync(Savepoint);
        try
        {
            await InsertAsync(session, transaction, member, [user], CancellationToken.None);
            await InsertAsync(session, transaction, value, user.Values, CancellationToken.None);
            await InsertAsync(session, transaction, address, user.Addresses, CancellationToken.None);
        }
        catch (Exception e)
        {
            await transaction.RollbackAsync(Savepoint);
            await transaction.ReleaseAsync(Savepoint);
            pending.Failure = e is DbException db && PortalDatabase.IsUniqueViolation(db)
                ? ExceptionDispatchInfo.Capture(ScimException.Uniqueness(pending.UniquenessDetail))
                : ExceptionDispatchInfo.Capture(e);
            return;
        }

        await transaction.ReleaseAsync(Savepoint);
    }

    /// <summary>
    /// The write transaction of one PUT or PATCH on a rented session, after its turn at the in-process write gate
    /// (<see cref="ReadSessions.EnterWriteAsync"/>; SQLite: then BEGIN IMMEDIATE, the database's write lock;
    /// PostgreSQL: read committed, the load takes the user's row lock). The session goes back to the pool once
    /// the transaction is committed or rolled back; a session whose rollback fails is closed.
    /// </summary>
    public Task<Update> BeginUpdateAsync(CancellationToken ct) => Update.BeginAsync(sessions, ct);

    /// <summary>See <see cref="BeginUpdateAsync"/>.</summary>
    public sealed class Update(ReadSessions sessions, ReadSessions.Session session, DbTransaction transaction, ReadSessions.WriteTurn turn) : IUpdateTransaction
    {
        /// <summary>The turn at the write gate first (SQLite), then a rented session and its write transaction.</summary>
        public static async Task<Update> BeginAsync(ReadSessions sessions, CancellationToken ct)
        {
            var turn = await sessions.EnterWriteAsync(ct);
            ReadSessions.Session? session = null;
            try
            {
                session = await sessions.RentAsync(ct);
                return new Update(sessions, session, session.BeginWrite(), turn);
            }
            catch
            {
                session?.Dispose();
                turn.Dispose();
                throw;
            }
        }

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
            finally
            {
                turn.Dispose();
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
