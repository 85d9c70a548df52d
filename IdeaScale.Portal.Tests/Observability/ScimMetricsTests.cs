using System.Diagnostics.Metrics;

using IdeaScale.Portal.Observability;
using IdeaScale.Portal.Scim.Logging;
using IdeaScale.Portal.Tests.Infrastructure;
using IdeaScale.Portal.Tests.Scim;
using IdeaScale.Portal.Tests.Scim.Credentials;
using IdeaScale.Portal.Workspaces;

using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.Metrics.Testing;

namespace IdeaScale.Portal.Tests.Observability;

/// <summary>
/// The SCIM meters over real HTTP (Kestrel on loopback), read with a collector bound to the app's own
/// <see cref="IMeterFactory"/>, so parallel tests' apps do not mix in.
/// </summary>
public sealed class ScimMetricsTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    private const string NewUser = """{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"metrics.user@ides.example"}""";

    [Fact]
    public async Task RecordRequest_CreatedConflictInvalidFilterAndUnauthenticated_CountedWithWorkspaceOperationStatusAndScimType()
    {
        using var factory = new PortalFactory();
        using var client = factory.CreateLoopbackClient(PortalFactory.IdesToken);
        using var anonymous = factory.CreateLoopbackClient();
        var meters = factory.Services.GetRequiredService<IMeterFactory>();
        using var requests = new MetricCollector<long>(meters, ScimMetrics.MeterName, "scim.requests");
        using var durations = new MetricCollector<double>(meters, ScimMetrics.MeterName, "scim.request.duration");

        Assert.Equal(201, (int)(await client.PostJsonAsync("/scim/v2/Users", NewUser)).Response.StatusCode);
        ScimHttp.AssertError(await client.PostJsonAsync("/scim/v2/Users", NewUser), 409, "uniqueness");
        ScimHttp.AssertError(await client.GetJsonAsync("/scim/v2/Users?filter=" + Uri.EscapeDataString("userName xx \"a\"")), 400, "invalidFilter");
        Assert.Equal(401, (int)(await anonymous.GetAsync(new Uri("/scim/v2/Users", UriKind.Relative))).StatusCode);

        await requests.WaitForMeasurementsAsync(4, Patience);
        await durations.WaitForMeasurementsAsync(4, Patience);
        (string?, string?, object?, string?)[] expected =
        [
            ("ides", "create", 201, null),
            ("ides", "list", 400, "invalidFilter"),
            (null, "authentication_failure", 401, null),
            ("ides", "create", 409, "uniqueness"),
        ];
        var counted = requests.GetMeasurementSnapshot();
        Assert.All(counted, m => Assert.Equal(1, m.Value));
        Assert.Equal(expected, counted.Select(m => Tags(m.Tags)).OrderBy(t => (int)t.Status!));
        var timed = durations.GetMeasurementSnapshot();
        Assert.Equal(expected, timed.Select(m => Tags(m.Tags)).OrderBy(t => (int)t.Status!));
        Assert.All(timed, m => Assert.True(m.Value > 0, "a request takes some time"));
    }

    [Fact]
    public async Task RecordCacheLookup_RepeatedTokenHitsAndRegenerationInvalidates()
    {
        using var factory = new AccessFactory();
        using var client = factory.CreateLoopbackClient(PortalFactory.IdesToken);
        var meters = factory.Services.GetRequiredService<IMeterFactory>();
        using var lookups = new MetricCollector<long>(meters, ScimMetrics.MeterName, "scim.access_cache.lookups");
        using var invalidations = new MetricCollector<long>(meters, ScimMetrics.MeterName, "scim.access_cache.invalidations");

        // The instance's first request reads the access version for the first time, which clears the (still empty) cache.
        ScimAssert.Ok(await client.GetAsync(new Uri("/scim/v2/Users", UriKind.Relative)));
        Assert.Equal(
            [("credential", "miss"), ("workspace", "miss")],
            lookups.GetMeasurementSnapshot().Select(CacheTags).Order());
        invalidations.Clear();
        lookups.Clear();

        ScimAssert.Ok(await client.GetAsync(new Uri("/scim/v2/Users", UriKind.Relative)));
        ScimAssert.Ok(await client.GetAsync(new Uri("/scim/v2/Users", UriKind.Relative)));

        Assert.Equal(
            [("credential", "hit"), ("credential", "hit"), ("workspace", "hit"), ("workspace", "hit")],
            lookups.GetMeasurementSnapshot().Select(CacheTags).Order());
        Assert.Empty(invalidations.GetMeasurementSnapshot());

        var admin = await factory.PrincipalAsync(DemoSeeder.AdminEmail("ides"));
        var issued = await factory.Get<ScimAdministration>().RegenerateTokenAsync(admin, "ides", TokenGracePeriod.None, await factory.CurrentTokenIdAsync("ides"));
        Assert.NotEmpty(invalidations.GetMeasurementSnapshot());
        lookups.Clear();

        using var fresh = factory.CreateLoopbackClient(issued.Token);
        ScimAssert.Ok(await fresh.GetAsync(new Uri("/scim/v2/Users", UriKind.Relative)));
        Assert.Contains(("credential", "miss"), lookups.GetMeasurementSnapshot().Select(CacheTags));
    }

    [Fact]
    [Trait("Provider", "Sqlite")] // blocks the writer with a second connection holding SQLite's write lock
    public async Task ObserveProvisioningLogQueue_WriterBlocked_ShowsWaitingRowsThenNoneOnceWritten()
    {
        using var factory = new PortalFactory(null, new Dictionary<string, string?>
        {
            // One row per batch and no window: the writer takes one row and blocks on it, the others stay queued.
            ["Scim:ProvisioningLog:BatchSize"] = "1",
            ["Scim:ProvisioningLog:BatchWindow"] = "00:00:00",
            ["Scim:RateLimit:RequestsPerSecond"] = "0",
        });
        using var client = factory.CreateLoopbackClient(PortalFactory.IdesToken);
        using var depth = new MetricCollector<int>(factory.Services.GetRequiredService<IMeterFactory>(), ScimMetrics.MeterName, "scim.provisioning_log.queue.depth");
        var before = await CountEventsAsync(factory);

        await using (var blocker = new SqliteConnection($"Data Source={factory.DatabasePath}"))
        {
            await blocker.OpenAsync();
            await ExecuteAsync(blocker, "BEGIN IMMEDIATE");
            for (var i = 0; i < 4; i++)
            {
                ScimAssert.Ok(await client.GetAsync(new Uri("/scim/v2/Users?count=1", UriKind.Relative)));
            }

            // The writer holds at most one row (its blocked batch of one); wait for the recorder to have queued all four.
            Assert.True(await EventuallyAsync(() =>
            {
                depth.RecordObservableInstruments();
                return depth.LastMeasurement?.Value >= 3;
            }), $"queue depth {depth.LastMeasurement?.Value}");
            await ExecuteAsync(blocker, "ROLLBACK");
        }

        await factory.Services.GetRequiredService<ProvisioningLogWriter>().FlushAsync();
        depth.RecordObservableInstruments();
        Assert.Equal(0, depth.LastMeasurement?.Value);
        Assert.Equal(before + 4, await CountEventsAsync(factory));
    }

    [Fact]
    [Trait("Provider", "Sqlite")] // breaks the table under the writer through the SQLite file
    public async Task RecordLogDropped_BatchFails_CountsTheRowsAndTheWriterKeepsWriting()
    {
        using var factory = new PortalFactory(null, new Dictionary<string, string?> { ["Scim:ProvisioningLog:BatchWindow"] = "00:00:00" });
        using var client = factory.CreateLoopbackClient(PortalFactory.IdesToken);
        using var dropped = new MetricCollector<long>(factory.Services.GetRequiredService<IMeterFactory>(), ScimMetrics.MeterName, "scim.provisioning_log.dropped");
        var writer = factory.Services.GetRequiredService<ProvisioningLogWriter>();
        var table = await WithDbAsync(factory, db => Task.FromResult(db.Model.FindEntityType(typeof(ProvisioningEvent))!.GetTableName()!));
        await writer.FlushAsync();

        await using var admin = new SqliteConnection($"Data Source={factory.DatabasePath}");
        await admin.OpenAsync();
        await ExecuteAsync(admin, $"ALTER TABLE \"{table}\" RENAME TO \"{table}Away\"");
        ScimAssert.Ok(await client.GetAsync(new Uri("/scim/v2/Users?count=1", UriKind.Relative)));
        await writer.FlushAsync();

        var measurement = Assert.Single(dropped.GetMeasurementSnapshot());
        Assert.Equal(1, measurement.Value);
        Assert.Equal("write_failed", measurement.Tags[ScimMetrics.DropReasonTag]);

        await ExecuteAsync(admin, $"ALTER TABLE \"{table}Away\" RENAME TO \"{table}\"");
        var before = await CountEventsAsync(factory);
        ScimAssert.Ok(await client.GetAsync(new Uri("/scim/v2/Users?count=1", UriKind.Relative)));
        await writer.FlushAsync();
        Assert.Equal(before + 1, await CountEventsAsync(factory));
        Assert.Single(dropped.GetMeasurementSnapshot());
    }

    private static (string? Workspace, string? Operation, object? Status, string? ScimType) Tags(IReadOnlyDictionary<string, object?> tags) => (
        tags.GetValueOrDefault(ScimMetrics.WorkspaceTag) as string,
        tags.GetValueOrDefault(ScimMetrics.OperationTag) as string,
        tags.GetValueOrDefault(ScimMetrics.StatusCodeTag),
        tags.GetValueOrDefault(ScimMetrics.ScimTypeTag) as string);

    private static (string?, string?) CacheTags(CollectedMeasurement<long> m)
    {
        Assert.Equal(1, m.Value);
        return (m.Tags[ScimMetrics.CacheEntryTag] as string, m.Tags[ScimMetrics.CacheResultTag] as string);
    }

    private static async Task<bool> EventuallyAsync(Func<bool> condition)
    {
        for (var attempt = 0; attempt < 300; attempt++)
        {
            if (condition())
            {
                return true;
            }

            await Task.Delay(100);
        }

        return false;
    }

    private static async Task ExecuteAsync(SqliteConnection connection, string sql)
    {
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        await command.ExecuteNonQueryAsync();
    }

    private static Task<int> CountEventsAsync(PortalFactory factory) => WithDbAsync(factory, db => db.ProvisioningEvents.CountAsync());

    private static async Task<T> WithDbAsync<T>(PortalFactory factory, Func<PortalDbContext, Task<T>> action)
    {
        await using var scope = factory.Services.CreateAsyncScope();
        return await action(scope.ServiceProvider.GetRequiredService<PortalDbContext>());
    }
}
