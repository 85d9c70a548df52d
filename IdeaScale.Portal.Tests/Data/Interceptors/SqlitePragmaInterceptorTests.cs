using System.Data.Common;

using IdeaScale.Portal.Tests.Infrastructure;

using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace IdeaScale.Portal.Tests.Data.Interceptors;

/// <summary>The SQLite settings are applied once per physical connection and hold on every open, pooled or new.</summary>
[Trait("Provider", "Sqlite")]
public sealed class SqlitePragmaInterceptorTests
{
    [Fact]
    public async Task ConnectionOpened_PooledReopenAndNewPhysicalConnection_AllHaveTheSettings()
    {
        using var factory = new PortalFactory();
        var contexts = factory.Services.GetRequiredService<IDbContextFactory<PortalDbContext>>();

        var first = await SettingsAsync(contexts);
        var pooled = await SettingsAsync(contexts);
        SqliteConnection.ClearAllPools();
        var fresh = await SettingsAsync(contexts);

        var expected = ("wal", 1L, 10000L, 1L);
        Assert.Equal(expected, first);
        Assert.Equal(expected, pooled);
        Assert.Equal(expected, fresh);
    }

    private static async Task<(string JournalMode, long Synchronous, long BusyTimeout, long ForeignKeys)> SettingsAsync(IDbContextFactory<PortalDbContext> contexts)
    {
        await using var db = await contexts.CreateDbContextAsync();
        await db.Database.OpenConnectionAsync();
        try
        {
            var connection = db.Database.GetDbConnection();
            return ((string)(await ScalarAsync(connection, "PRAGMA journal_mode"))!, (long)(await ScalarAsync(connection, "PRAGMA synchronous"))!,
                (long)(await ScalarAsync(connection, "PRAGMA busy_timeout"))!, (long)(await ScalarAsync(connection, "PRAGMA foreign_keys"))!);
        }
        finally
        {
            await db.Database.CloseConnectionAsync();
        }
    }

    private static async Task<object?> ScalarAsync(DbConnection connection, string sql)
    {
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        return await command.ExecuteScalarAsync();
    }
}
