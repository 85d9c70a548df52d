using IdeaScale.Portal.Scim.Auth;
using IdeaScale.Portal.Tests.Infrastructure;

using Microsoft.Data.Sqlite;

namespace IdeaScale.Portal.Tests.Scim.Auth;

/// <summary>
/// Authentication and gating answer from memory (the load benchmark's finding), and never at the price of a
/// revoked token being accepted: changes made through the app clear the cache at once (ScimGatingTests,
/// TokenRotationTests), and changes it cannot see are picked up after Scim:AccessCacheSeconds.
/// </summary>
public sealed class ScimAccessCacheTests
{
    private static readonly Uri Config = new("scim/v2/ServiceProviderConfig", UriKind.Relative);

    [Fact]
    public async Task Request_Repeated_ReadsNeitherCredentialNorWorkspace() =>
        Assert.Equal(0, await AccessQueriesOfSecondRequestAsync(CommandLogging()));

    [Fact]
    public async Task Request_WithCacheOff_ReadsCredentialAndWorkspaceOnceEach() =>
        Assert.Equal(2, await AccessQueriesOfSecondRequestAsync(new Dictionary<string, string?>(CommandLogging()) { ["Scim:AccessCacheSeconds"] = "0" }));

    [Fact]
    public async Task Request_AfterChangeByAnotherProcess_RefusedOnceTheCacheLifetimeHasPassed()
    {
        using var factory = new AccessFactory();
        using var client = factory.Scim(PortalFactory.IdesToken);
        using (var first = await client.GetAsync(Config))
        {
            ScimAssert.Ok(first);
        }

        // Another node sharing the database disables SCIM: nothing in this process sees the write.
        await using (var other = new SqliteConnection($"Data Source={factory.DatabasePath}"))
        {
            await other.OpenAsync();
            await using var command = other.CreateCommand();
            command.CommandText = "UPDATE \"ScimSettings\" SET \"Enabled\" = 0 WHERE \"WorkspaceId\" = (SELECT \"Id\" FROM \"Workspaces\" WHERE \"Slug\" = 'ides')";
            Assert.Equal(1, await command.ExecuteNonQueryAsync());
        }

        factory.Time.Advance(TimeSpan.FromSeconds(11));
        using var later = await client.GetAsync(Config);

        var body = await ScimAssert.ErrorAsync(later, 403);
        Assert.Equal(ScimAuthentication.ScimDisabledDetail, body.GetProperty("detail").GetString());
    }

    [Theory]
    [InlineData("UPDATE \"ScimSettings\" SET \"Enabled\" = @p0 WHERE \"Id\" = @p1", true)]
    [InlineData("INSERT INTO \"ScimCredentials\" (\"Id\") VALUES (@p0) RETURNING 1", true)]
    [InlineData("DELETE FROM \"SsoConfigurations\" WHERE \"Id\" = @p0", true)]
    [InlineData("UPDATE \"Workspaces\" SET \"Host\" = @p0", true)]
    [InlineData("SELECT \"w\".\"Id\" FROM \"Workspaces\" AS \"w\"", false)]
    [InlineData("INSERT INTO \"ProvisioningEvents\" (\"WorkspaceId\") VALUES (@p0)", false)]
    [InlineData("UPDATE \"Members\" SET \"Title\" = @p0", false)]
    public void WritesWatchedTable_ClassifiesCommands(string sql, bool expected) =>
        Assert.Equal(expected, ScimAccessInvalidator.WritesWatchedTable(sql));

    /// <summary>How many credential and workspace reads the second of two identical, successful requests runs.</summary>
    private static async Task<int> AccessQueriesOfSecondRequestAsync(Dictionary<string, string?> settings)
    {
        using var factory = AccessFactory.With(settings);
        using var client = factory.Scim(PortalFactory.IdesToken, host: "ides.localhost");
        using (await client.GetAsync(Config))
        {
        }

        var before = AccessQueries(factory);
        using var response = await client.GetAsync(Config);
        Assert.Equal(System.Net.HttpStatusCode.OK, response.StatusCode);
        return AccessQueries(factory) - before;
    }

    private static Dictionary<string, string?> CommandLogging() => new()
    {
        ["Logging:LogLevel:Microsoft.EntityFrameworkCore.Database.Command"] = "Information",
    };

    private static int AccessQueries(AccessFactory factory) =>
        factory.Logs.Lines.Count(l => l.Contains("Executed DbCommand", StringComparison.Ordinal)
            && (l.Contains("FROM \"Workspaces\"", StringComparison.Ordinal) || l.Contains("FROM \"ScimCredentials\"", StringComparison.Ordinal)));
}
