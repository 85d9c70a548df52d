using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;

using Npgsql;

namespace IdeaScale.Portal.Data;

/// <summary>
/// The start-up lock on PostgreSQL: instances starting at once against one server serialise on a session-level
/// advisory lock taken in the server's maintenance database (<c>postgres</c>), which exists before the app's database
/// does. The first creates the database, migrates, seeds and creates the first Data Protection key; the others wait,
/// then find nothing left to do. The lock key is derived from the database name, so apps with other databases on the
/// same server never wait for each other. A role that may not connect to <c>postgres</c> takes the same lock in the
/// app's own database instead (which then must exist already). SQLite: an exclusive lock file next to the database.
/// </summary>
internal static partial class DatabaseStartup
{
    public const string MaintenanceDatabase = "postgres";

    public static async Task<IAsyncDisposable> LockAsync(PortalDatabase database, ILogger logger, CancellationToken ct = default)
    {
        if (!database.IsPostgreSql)
        {
            return await SqliteFileLockAsync(database, ct);
        }

        var target = new NpgsqlConnectionStringBuilder(database.ConnectionString);
        var name = target.Database!;
        var key = LockKey(name);
        var maintenance = new NpgsqlConnectionStringBuilder(database.ConnectionString) { Database = MaintenanceDatabase, Pooling = false };
        NpgsqlConnection connection;
        var inMaintenance = true;
        try
        {
            connection = await OpenAsync(maintenance.ConnectionString, ct);
        }
        catch (PostgresException ex) when (ex.SqlState is PostgresErrorCodes.InvalidCatalogName or PostgresErrorCodes.InsufficientPrivilege
            or PostgresErrorCodes.InvalidAuthorizationSpecification)
        {
            LogNoMaintenanceDatabase(logger, MaintenanceDatabase, ex.SqlState);
            connection = await OpenAsync(new NpgsqlConnectionStringBuilder(database.ConnectionString) { Pooling = false }.ConnectionString, ct);
            inMaintenance = false;
        }

        try
        {
            // No command timeout: an instance waits as long as the one holding the lock takes to migrate and seed (a
            // holder that dies closes its session, which releases the lock); the host's stopping token cancels the wait.
            await using (var lockCommand = new NpgsqlCommand("SELECT pg_advisory_lock(@key)", connection) { CommandTimeout = 0 })
            {
                lockCommand.Parameters.AddWithValue("key", key);
                await lockCommand.ExecuteNonQueryAsync(ct);
            }

            if (inMaintenance)
            {
                await using var exists = new NpgsqlCommand("SELECT 1 FROM pg_database WHERE datname = @name", connection);
                exists.Parameters.AddWithValue("name", name);
                if (await exists.ExecuteScalarAsync(ct) is null)
                {
                    await using var create = new NpgsqlCommand($"CREATE DATABASE \"{name.Replace("\"", "\"\"", StringComparison.Ordinal)}\" ENCODING 'UTF8'", connection);
                    await create.ExecuteNonQueryAsync(ct);
                    LogCreated(logger, name);
                }
            }

            return new AdvisoryLock(connection, key);
        }
        catch
        {
            await connection.DisposeAsync();
            throw;
        }
    }

    /// <summary>A stable 64-bit key for the database name (the first 8 bytes of a SHA-256).</summary>
    internal static long LockKey(string databaseName) =>
        BinaryPrimitives.ReadInt64BigEndian(SHA256.HashData(Encoding.UTF8.GetBytes("IdeaScale.Portal start-up " + databaseName)));

    private static async Task<NpgsqlConnection> OpenAsync(string connectionString, CancellationToken ct)
    {
        var connection = new NpgsqlConnection(connectionString);
        try
        {
            await connection.OpenAsync(ct);
            return connection;
        }
        catch
        {
            await connection.DisposeAsync();
            throw;
        }
    }

    private sealed class AdvisoryLock(NpgsqlConnection connection, long key) : IAsyncDisposable
    {
        public async ValueTask DisposeAsync()
        {
            try
            {
                await using var unlock = new NpgsqlCommand("SELECT pg_advisory_unlock(@key)", connection);
                unlock.Parameters.AddWithValue("key", key);
                await unlock.ExecuteNonQueryAsync();
            }
            finally
            {
                // Closing the session releases the lock in any case.
                await connection.DisposeAsync();
            }
        }
    }

    /// <summary>
    /// SQLite: an exclusive lock on a file next to the database (flock, honoured across processes and within one),
    /// so two processes started at once on a new file do not both create it. In-memory databases need none.
    /// </summary>
    private static async Task<IAsyncDisposable> SqliteFileLockAsync(PortalDatabase database, CancellationToken ct)
    {
        var source = new Microsoft.Data.Sqlite.SqliteConnectionStringBuilder(database.ConnectionString).DataSource;
        if (string.IsNullOrEmpty(source) || source == ":memory:" || source.StartsWith("file:", StringComparison.Ordinal))
        {
            return NoLock.Instance;
        }

        var path = source + ".startup-lock";
        var deadline = DateTime.UtcNow.AddMinutes(2);
        while (true)
        {
            try
            {
                return new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None, 1, FileOptions.DeleteOnClose);
            }
            catch (IOException) when (DateTime.UtcNow < deadline)
            {
                await Task.Delay(50, ct);
            }
        }
    }

    private sealed class NoLock : IAsyncDisposable
    {
        public static readonly NoLock Instance = new();

        public ValueTask DisposeAsync() => ValueTask.CompletedTask;
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Created the PostgreSQL database {Database}")]
    private static partial void LogCreated(ILogger logger, string database);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Cannot connect to the maintenance database {Maintenance} ({SqlState}); taking the start-up lock in the app's database, which must exist")]
    private static partial void LogNoMaintenanceDatabase(ILogger logger, string maintenance, string sqlState);
}
