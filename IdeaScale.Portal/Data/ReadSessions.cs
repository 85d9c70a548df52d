using System.Collections.Concurrent;
using System.Data;
using System.Data.Common;

using IdeaScale.Portal.Data.Interceptors;

using Microsoft.Data.Sqlite;

namespace IdeaScale.Portal.Data;

/// <summary>
/// Long-lived connections for the reads identity providers run on every sync (GET /Users/{id}, the userName
/// lookup) and the write they run most (a new user, <see cref="Scim.Users.UserWriter"/>), each keeping its commands prepared. The load benchmark found that compiling the statements was most of
/// such a read: Microsoft.Data.Sqlite finalizes a command's prepared statements when its connection closes, and the
/// pooled EF connection closes after every request, so every request compiled its statements again. A session is
/// rented for one read and returned; at most <see cref="MaxIdle"/> stay open. Reads see every committed write: each
/// statement runs in its own read transaction (WAL), ended when its reader is disposed. On PostgreSQL the same code
/// runs on Npgsql connections (no SQLite pragma, no SQLite transaction): Npgsql prepares the repeated statements on
/// the server itself (<c>Max Auto Prepare</c>, set by <see cref="PortalDatabase"/>).
/// </summary>
public sealed partial class ReadSessions(PortalDatabase database, ILogger<ReadSessions> logger) : IDisposable
{
    /// <summary>Open sessions kept between reads: more than the concurrent reads one process serves on a few cores.</summary>
    internal const int MaxIdle = 16;

    private readonly ConcurrentBag<Session> idle = [];
    private readonly SemaphoreSlim writeGate = new(1, 1);
    private int idleCount;
    private volatile bool disposed;
    private int opened;

    /// <summary>Connections opened so far (sessions are reused, so this stays at the peak of concurrent reads).</summary>
    internal int Opened => opened;

    public async ValueTask<Session> RentAsync(CancellationToken ct)
    {
        if (idle.TryTake(out var session))
        {
            Interlocked.Decrement(ref idleCount);
            return session;
        }

        Interlocked.Increment(ref opened);
        var connection = database.CreateConnection();
        await connection.OpenAsync(ct);
        if (connection is SqliteConnection)
        {
            await using var pragmas = connection.CreateCommand();
            pragmas.CommandText = SqlitePragmaInterceptor.Pragmas;
            await pragmas.ExecuteNonQueryAsync(ct);
        }

        return new Session(connection);
    }

    /// <summary>
    /// The in-process write gate (SQLite): the prepared writers of this process (a batch of new users, a PUT or PATCH
    /// of a user, a batch of provisioning-log rows) take turns here, asynchronously and first come first, before they
    /// begin their write transaction, instead of meeting on SQLite's write lock. There a waiter sleeps in SQLite's busy
    /// handler (busy_timeout: 1, 2, 5 … up to 100 ms between polls; measured in provisioning, where a batch of new
    /// users and the provisioning log's batch met), and the lock sat idle until it woke. Writers outside the gate (EF's
    /// SaveChanges elsewhere, another process) still meet the busy handler, as before. A holder must not wait for
    /// another writer. PostgreSQL locks rows, not the database: no gate there (the turn is free).
    /// </summary>
    public async ValueTask<WriteTurn> EnterWriteAsync(CancellationToken ct)
    {
        if (database.IsPostgreSql)
        {
            return new WriteTurn(null);
        }

        await writeGate.WaitAsync(ct);
        return new WriteTurn(writeGate);
    }

    /// <summary>A writer's turn at the gate of <see cref="EnterWriteAsync"/>, given back on dispose (once).</summary>
    public sealed class WriteTurn(SemaphoreSlim? gate) : IDisposable
    {
        private SemaphoreSlim? gate = gate;

        public void Dispose() => Interlocked.Exchange(ref gate, null)?.Release();
    }

    /// <summary>Gives a session back after a read that completed; a session whose read failed is disposed instead.</summary>
    public void Return(Session session)
    {
        if (disposed || Interlocked.Increment(ref idleCount) > MaxIdle)
        {
            Interlocked.Decrement(ref idleCount);
            session.Dispose();
            return;
        }

        idle.Add(session);
    }

    public void Dispose()
    {
        disposed = true;
        writeGate.Dispose();
        while (idle.TryTake(out var session))
        {
            session.Dispose();
        }
    }

    internal void LogRead(string text) => LogCommand(logger, text);

    internal void LogWrite(string text) => LogWriteCommand(logger, text);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Executed prepared read command {CommandText}")]
    private static partial void LogCommand(ILogger logger, string commandText);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Executed prepared write command {CommandText}")]
    private static partial void LogWriteCommand(ILogger logger, string commandText);

    /// <summary>One open connection and the commands prepared on it, used by one read at a time.</summary>
    public sealed class Session(DbConnection connection) : IDisposable
    {
        private readonly Dictionary<string, DbCommand> commands = new(StringComparer.Ordinal);

        /// <summary>
        /// The command for this text, prepared on first use and kept with the connection, with the parameters it was
        /// first given: set their values, do not replace them (a prepared Npgsql command keeps the instances it bound).
        /// </summary>
        public DbCommand Command(string text, DbTransaction? transaction = null)
        {
            if (!commands.TryGetValue(text, out var command))
            {
                command = connection.CreateCommand();
                command.CommandText = text;
                commands[text] = command;
            }

            command.Transaction = transaction;
            return command;
        }

        /// <summary>
        /// A read transaction, so the statements of one read see one snapshot (and SQLite takes its WAL read lock
        /// once, not once per statement). Deferred on SQLite: it never takes the write lock. Repeatable read on
        /// PostgreSQL: one snapshot for all statements (read committed would take one per statement).
        /// </summary>
        public DbTransaction BeginRead() => connection is SqliteConnection sqlite
            ? sqlite.BeginTransaction(deferred: true)
            : connection.BeginTransaction(IsolationLevel.RepeatableRead);

        /// <summary>
        /// A write transaction (the prepared writes of a new user): on SQLite BEGIN IMMEDIATE, which takes the write
        /// lock first, as EF's transactions do (waiting up to busy_timeout); read committed on PostgreSQL, EF's default.
        /// </summary>
        public DbTransaction BeginWrite() => connection is SqliteConnection sqlite
            ? sqlite.BeginTransaction(deferred: false)
            : connection.BeginTransaction(IsolationLevel.ReadCommitted);

        public void Dispose()
        {
            foreach (var command in commands.Values)
            {
                command.Dispose();
            }

            connection.Dispose();
        }
    }
}
