using System.Data.Common;

using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;

using Npgsql;

namespace IdeaScale.Portal.Data;

/// <summary>The database engines the portal runs on (<c>Database:Provider</c>).</summary>
public enum DatabaseProvider
{
    /// <summary>An embedded SQLite file: the default, nothing to install, one app instance.</summary>
    Sqlite,

    /// <summary>A PostgreSQL server: what a deployment with several app instances uses.</summary>
    PostgreSql,
}

/// <summary>
/// The configured database: which provider, and the connection string (<c>ConnectionStrings:Portal</c>, with a
/// relative SQLite path made absolute). The one place that knows both providers' error codes and connections, so the
/// rest of the app stays provider-neutral.
/// </summary>
public sealed record PortalDatabase(DatabaseProvider Provider, string ConnectionString)
{
    public const string DefaultSqliteConnectionString = "Data Source=App_Data/portal.db";

    public bool IsPostgreSql => Provider == DatabaseProvider.PostgreSql;

    /// <summary>Reads <c>Database:Provider</c> and <c>ConnectionStrings:Portal</c>; a bad value stops the start with a clear message.</summary>
    public static PortalDatabase FromConfiguration(IConfiguration configuration, string contentRoot)
    {
        var name = configuration["Database:Provider"];
        var provider = string.IsNullOrWhiteSpace(name) || name.Equals("Sqlite", StringComparison.OrdinalIgnoreCase)
            ? DatabaseProvider.Sqlite
            : name.Equals("PostgreSQL", StringComparison.OrdinalIgnoreCase) || name.Equals("Postgres", StringComparison.OrdinalIgnoreCase)
                ? DatabaseProvider.PostgreSql
                : throw new InvalidOperationException($"Database:Provider '{name}' is not supported; use 'Sqlite' (the default) or 'PostgreSQL'.");
        var connectionString = configuration.GetConnectionString("Portal");
        if (provider == DatabaseProvider.PostgreSql)
        {
            if (string.IsNullOrWhiteSpace(connectionString))
            {
                throw new InvalidOperationException(
                    "Database:Provider is PostgreSQL but ConnectionStrings:Portal is empty; set it, e.g. ConnectionStrings__Portal='Host=db;Database=portal;Username=portal;Password=…'.");
            }

            var csb = new NpgsqlConnectionStringBuilder(connectionString);
            if (string.IsNullOrEmpty(csb.Database))
            {
                throw new InvalidOperationException("ConnectionStrings:Portal for PostgreSQL must name a Database.");
            }

            // Npgsql prepares a statement on the server once it has run twice on a connection (the reads IdPs repeat,
            // EF's own queries), unless the connection string says otherwise.
            if (!connectionString.Contains("Max Auto Prepare", StringComparison.OrdinalIgnoreCase))
            {
                csb.MaxAutoPrepare = 64;
            }

            return new PortalDatabase(provider, csb.ConnectionString);
        }

        return new PortalDatabase(provider, ResolveSqlitePath(string.IsNullOrWhiteSpace(connectionString) ? DefaultSqliteConnectionString : connectionString, contentRoot));
    }

    /// <summary>A new, closed connection to the database.</summary>
    public DbConnection CreateConnection() => IsPostgreSql ? new NpgsqlConnection(ConnectionString) : new SqliteConnection(ConnectionString);

    /// <summary>True when the save failed on a unique index (a concurrent duplicate), on either provider.</summary>
    public static bool IsUniqueViolation(DbUpdateException exception) => exception is not DbUpdateConcurrencyException && exception.InnerException switch
    {
        // SQLITE_CONSTRAINT (19) with SQLITE_CONSTRAINT_UNIQUE (2067) or PRIMARYKEY (1555).
        SqliteException sqlite => sqlite.SqliteErrorCode == 19 && sqlite.SqliteExtendedErrorCode is 2067 or 1555,
        PostgresException postgres => postgres.SqlState == PostgresErrorCodes.UniqueViolation,
        _ => false,
    };

    /// <summary>True when an ADO.NET command failed on a unique index (the prepared writes), on either provider.</summary>
    public static bool IsUniqueViolation(DbException exception) => exception switch
    {
        SqliteException sqlite => sqlite.SqliteErrorCode == 19 && sqlite.SqliteExtendedErrorCode is 2067 or 1555,
        PostgresException postgres => postgres.SqlState == PostgresErrorCodes.UniqueViolation,
        _ => false,
    };

    /// <summary>Makes a relative SQLite file path relative to the content root and creates its folder.</summary>
    private static string ResolveSqlitePath(string connectionString, string contentRoot)
    {
        var csb = new SqliteConnectionStringBuilder(connectionString);
        if (csb.DataSource is { Length: > 0 } source && source != ":memory:" && !source.StartsWith("file:", StringComparison.Ordinal)
            && csb.Mode != SqliteOpenMode.Memory)
        {
            csb.DataSource = Path.GetFullPath(source, contentRoot);
            Directory.CreateDirectory(Path.GetDirectoryName(csb.DataSource)!);
        }

        return csb.ToString();
    }
}
