using System.Globalization;

namespace IdeaScale.Benchmarks.Load;

/// <summary>The database the benchmark runs the app and the reference on (--provider sqlite|postgresql).</summary>
internal enum BenchProvider
{
    Sqlite,
    PostgreSql,
}

internal static class BenchProviders
{
    public static BenchProvider Parse(string? value) => value?.ToLowerInvariant() switch
    {
        null or "" or "sqlite" => BenchProvider.Sqlite,
        "postgresql" or "postgres" => BenchProvider.PostgreSql,
        _ => throw new ArgumentException($"--provider must be sqlite or postgresql, not '{value}'."),
    };

    /// <summary>The app's Database:Provider value.</summary>
    public static string AppSetting(this BenchProvider provider) => provider == BenchProvider.PostgreSql ? "PostgreSQL" : "Sqlite";

    public static string DisplayName(this BenchProvider provider) => provider == BenchProvider.PostgreSql ? "PostgreSQL" : "SQLite";

    /// <summary>A database of its own on the server of <paramref name="serverConnection"/> (no Database key), named after the run.</summary>
    public static string PostgreSqlDatabase(string serverConnection, string name) =>
        new Npgsql.NpgsqlConnectionStringBuilder(serverConnection) { Database = name }.ToString();

    public static string RunSuffix(DateTime started) => started.ToString("yyyyMMdd'_'HHmmss", CultureInfo.InvariantCulture);
}
