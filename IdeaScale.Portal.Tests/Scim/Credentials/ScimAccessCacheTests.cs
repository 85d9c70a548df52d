using IdeaScale.Portal.Data.AccessChanges;
using IdeaScale.Portal.Scim.Credentials;
using IdeaScale.Portal.Scim.Logging;
using IdeaScale.Portal.Tests.Infrastructure;

using Microsoft.EntityFrameworkCore;

namespace IdeaScale.Portal.Tests.Scim.Credentials;

/// <summary>
/// Authentication and gating answer from memory (the load benchmark's finding), and never at the price of a
/// revoked token being accepted: changes made through the app, on any instance, clear the cache before the next request
/// (ScimGatingTests, TokenRotationTests, SeveralInstancesTests: the access version), and writes made outside the app are
/// picked up after Scim:AccessCacheSeconds.
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
    public async Task Request_AfterWriteOutsideTheApp_RefusedOnceTheCacheLifetimeHasPassed()
    {
        using var factory = new AccessFactory();
        using var client = factory.Scim(PortalFactory.IdesToken);
        using (var first = await client.GetAsync(Config))
        {
            ScimAssert.Ok(first);
        }

        // Someone disables SCIM by hand in SQL: the access version does not move.
        await ExecuteAsync(factory, DisableIdes);
        using (var soon = await client.GetAsync(Config))
        {
            ScimAssert.Ok(soon);
        }

        factory.Time.Advance(TimeSpan.FromSeconds(11));
        using var later = await client.GetAsync(Config);

        var body = await ScimAssert.ErrorAsync(later, 403);
        Assert.Equal(ScimAuthentication.ScimDisabledDetail, body.GetProperty("detail").GetString());
    }

    [Fact]
    public async Task Request_AfterAnotherInstanceBumpedTheAccessVersion_RefusedOnTheNextRequest()
    {
        using var factory = new AccessFactory();
        using var client = factory.Scim(PortalFactory.IdesToken);
        using (var first = await client.GetAsync(Config))
        {
            ScimAssert.Ok(first);
        }

        // What another instance's commit does: the change and the version bump in one transaction.
        await ExecuteAsync(factory, DisableIdes + "; UPDATE \"AccessVersion\" SET \"Value\" = \"Value\" + 1 WHERE \"Id\" = 1");
        using var next = await client.GetAsync(Config);

        var body = await ScimAssert.ErrorAsync(next, 403);
        Assert.Equal(ScimAuthentication.ScimDisabledDetail, body.GetProperty("detail").GetString());
    }

    [Fact]
    public async Task SaveChanges_OfAGuardedEntity_BumpsTheVersionOnce_OfOthersNot()
    {
        using var factory = new AccessFactory();
        var before = await VersionAsync(factory);

        await factory.WithDbAsync(async db =>
        {
            var settings = await db.ScimSettings.FirstAsync();
            settings.EnabledChangedBy = "test";
            var workspace = await db.Workspaces.FirstAsync();
            workspace.Name += " (renamed)";
            await db.SaveChangesAsync();
        });
        var afterGuarded = await VersionAsync(factory);
        await factory.WithDbAsync(async db =>
        {
            (await db.Members.FirstAsync()).Title = "Engineer";
            await db.SaveChangesAsync();
        });

        Assert.Equal(before + 1, afterGuarded);
        Assert.Equal(afterGuarded, await VersionAsync(factory));
    }

    [Fact]
    public async Task BulkWrites_OfAGuardedTable_BumpTheVersion_LastUseBookkeepingNot()
    {
        using var factory = new AccessFactory();
        var before = await VersionAsync(factory);

        await factory.WithDbAsync(db => db.ScimSettings.ExecuteUpdateAsync(s => s.SetProperty(x => x.EnabledChangedBy, "bulk")));
        var afterBulk = await VersionAsync(factory);
        using (var client = factory.Scim(PortalFactory.IdesToken))
        using (var response = await client.GetAsync(Config))
        {
            ScimAssert.Ok(response);
        }

        await factory.Get<ScimCredentialUsage>().FlushAsync();

        Assert.Equal(before + 1, afterBulk);
        Assert.Equal(afterBulk, await VersionAsync(factory));
        Assert.NotNull(await factory.WithDbAsync(db => db.ScimCredentials.Where(c => c.LastUsedAt != null).Select(c => c.LastUsedAt).FirstOrDefaultAsync()));
    }

    private const string DisableIdes = "UPDATE \"ScimSettings\" SET \"Enabled\" = false WHERE \"WorkspaceId\" = (SELECT \"Id\" FROM \"Workspaces\" WHERE \"Slug\" = 'ides')";

    private static Task<long> VersionAsync(AccessFactory factory) =>
        factory.WithDbAsync(db => db.AccessVersion.AsNoTracking().Select(v => v.Value).SingleAsync());

    /// <summary>Runs SQL on a connection of its own, as another process would (no interceptor of this app sees it).</summary>
    private static async Task ExecuteAsync(PortalFactory factory, string sql)
    {
        await using var connection = new PortalDatabase(PortalFactory.Provider, factory.ConnectionString).CreateConnection();
        await connection.OpenAsync();
        foreach (var statement in sql.Split("; "))
        {
            await using var command = connection.CreateCommand();
            command.CommandText = statement;
            Assert.Equal(1, await command.ExecuteNonQueryAsync());
        }
    }

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
