using IdeaScale.Portal.Tests.Infrastructure;

using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace IdeaScale.Portal.Tests.Health;

/// <summary>/health/ready follows the database; /health/live does not look at it.</summary>
public sealed class HealthEndpointsTests
{
    private static readonly Uri Ready = new("/health/ready", UriKind.Relative);
    private static readonly Uri Live = new("/health/live", UriKind.Relative);

    [Fact]
    public async Task Ready_DatabaseUnreachable_Answers503UntilItIsBack()
    {
        using var factory = new PortalFactory();
        using var client = factory.CreateLoopbackClient();
        Assert.Equal(200, (int)(await client.GetAsync(Ready)).StatusCode);

        // SQLite: the file's folder is gone. PostgreSQL: the database refuses connections and the open ones end.
        await using var outage = await DatabaseOutage.StartAsync(factory);
        var ready = await client.GetAsync(Ready);
        Assert.Equal(503, (int)ready.StatusCode);
        Assert.Equal("Unhealthy", await ready.Content.ReadAsStringAsync());
        Assert.Equal(200, (int)(await client.GetAsync(Live)).StatusCode);

        await outage.DisposeAsync();
        Assert.Equal(200, (int)(await client.GetAsync(Ready)).StatusCode);
    }

    [Fact]
    [Trait("Provider", "Sqlite")] // overwrites the SQLite file
    public async Task Ready_DatabaseFileIsNotADatabase_Answers503()
    {
        using var factory = new PortalFactory();
        using var client = factory.CreateLoopbackClient();
        Assert.Equal(200, (int)(await client.GetAsync(Ready)).StatusCode);

        SqliteConnection.ClearAllPools();
        await File.WriteAllTextAsync(factory.DatabasePath, string.Concat(Enumerable.Repeat("not a database ", 500)));

        Assert.Equal(503, (int)(await client.GetAsync(Ready)).StatusCode);
        Assert.Equal(200, (int)(await client.GetAsync(Live)).StatusCode);
    }

    [Fact]
    public async Task Ready_DatabaseReachableButTablesMissing_Answers503UntilTheyAreBack()
    {
        using var factory = new PortalFactory();
        using var client = factory.CreateLoopbackClient();
        Assert.Equal(200, (int)(await client.GetAsync(Ready)).StatusCode);

        // The server answers (Database.CanConnectAsync is true) but the app cannot read its data: here a table is
        // gone; on PostgreSQL, for example, a role without rights on the restored tables. Same SQL on both providers.
        await ExecuteAsync(factory, "ALTER TABLE \"Workspaces\" RENAME TO \"WorkspacesAway\"");
        try
        {
            Assert.Equal(503, (int)(await client.GetAsync(Ready)).StatusCode);
            Assert.Equal(200, (int)(await client.GetAsync(Live)).StatusCode);
        }
        finally
        {
            await ExecuteAsync(factory, "ALTER TABLE \"WorkspacesAway\" RENAME TO \"Workspaces\"");
        }

        Assert.Equal(200, (int)(await client.GetAsync(Ready)).StatusCode);
    }

    private static async Task ExecuteAsync(PortalFactory factory, string sql)
    {
        await using var scope = factory.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<PortalDbContext>();
        await db.Database.ExecuteSqlRawAsync(sql);
    }

    /// <summary>The app's database made unreachable, until disposed.</summary>
    private sealed class DatabaseOutage : IAsyncDisposable
    {
        private readonly PortalFactory factory;
        private bool ended;

        private DatabaseOutage(PortalFactory factory) => this.factory = factory;

        public static async Task<DatabaseOutage> StartAsync(PortalFactory factory)
        {
            var outage = new DatabaseOutage(factory);
            if (PortalFactory.Provider == DatabaseProvider.PostgreSql)
            {
                await outage.AllowConnectionsAsync(false);
            }
            else
            {
                SqliteConnection.ClearAllPools();
                Directory.Move(factory.DataDirectory, factory.DataDirectory + "-moved");
            }

            return outage;
        }

        public async ValueTask DisposeAsync()
        {
            if (ended)
            {
                return;
            }

            ended = true;
            if (PortalFactory.Provider == DatabaseProvider.PostgreSql)
            {
                await AllowConnectionsAsync(true);
            }
            else
            {
                SqliteConnection.ClearAllPools();
                Directory.Move(factory.DataDirectory + "-moved", factory.DataDirectory);
            }
        }

        private async Task AllowConnectionsAsync(bool allow)
        {
            var database = new Npgsql.NpgsqlConnectionStringBuilder(factory.ConnectionString).Database;
            await using var admin = new Npgsql.NpgsqlConnection(PortalFactory.PostgresServer + ";Database=postgres");
            await admin.OpenAsync();
            await using var command = admin.CreateCommand();
            command.CommandText = $"ALTER DATABASE \"{database}\" ALLOW_CONNECTIONS {(allow ? "true" : "false")}"
                + (allow ? "" : $"; SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{database}'");
            await command.ExecuteNonQueryAsync();
            Npgsql.NpgsqlConnection.ClearAllPools();
        }
    }
}
