using IdeaScale.Portal.Tests.Infrastructure;

using Microsoft.Data.Sqlite;

namespace IdeaScale.Portal.Tests.Health;

/// <summary>/health/ready follows the database; /health/live does not look at it.</summary>
public sealed class HealthEndpointsTests
{
    private static readonly Uri Ready = new("/health/ready", UriKind.Relative);
    private static readonly Uri Live = new("/health/live", UriKind.Relative);

    [Fact]
    public async Task Ready_DatabaseFolderGone_Answers503UntilItIsBack()
    {
        using var factory = new PortalFactory();
        using var client = factory.CreateLoopbackClient();
        Assert.Equal(200, (int)(await client.GetAsync(Ready)).StatusCode);

        var moved = factory.DataDirectory + "-moved";
        SqliteConnection.ClearAllPools();
        Directory.Move(factory.DataDirectory, moved);
        try
        {
            var ready = await client.GetAsync(Ready);
            Assert.Equal(503, (int)ready.StatusCode);
            Assert.Equal("Unhealthy", await ready.Content.ReadAsStringAsync());
            Assert.Equal(200, (int)(await client.GetAsync(Live)).StatusCode);
        }
        finally
        {
            SqliteConnection.ClearAllPools();
            Directory.Move(moved, factory.DataDirectory);
        }

        Assert.Equal(200, (int)(await client.GetAsync(Ready)).StatusCode);
    }

    [Fact]
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
        // gone; on PostgreSQL, for example, a role without rights on the restored tables.
        await using var admin = new SqliteConnection($"Data Source={factory.DatabasePath}");
        await admin.OpenAsync();
        await ExecuteAsync(admin, "ALTER TABLE \"Workspaces\" RENAME TO \"WorkspacesAway\"");
        try
        {
            Assert.Equal(503, (int)(await client.GetAsync(Ready)).StatusCode);
            Assert.Equal(200, (int)(await client.GetAsync(Live)).StatusCode);
        }
        finally
        {
            await ExecuteAsync(admin, "ALTER TABLE \"WorkspacesAway\" RENAME TO \"Workspaces\"");
        }

        Assert.Equal(200, (int)(await client.GetAsync(Ready)).StatusCode);
    }

    private static async Task ExecuteAsync(SqliteConnection connection, string sql)
    {
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        await command.ExecuteNonQueryAsync();
    }
}
