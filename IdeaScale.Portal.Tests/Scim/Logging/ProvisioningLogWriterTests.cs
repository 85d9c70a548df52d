using System.Globalization;
using System.Text.RegularExpressions;

using IdeaScale.Portal.Scim.Logging;
using IdeaScale.Portal.Tests.Scim.Credentials;

using Microsoft.EntityFrameworkCore;

namespace IdeaScale.Portal.Tests.Scim.Logging;

/// <summary>
/// The provisioning-log writer coalesces a burst into one batch written in one transaction by one prepared INSERT
/// (the load benchmark's finding: a write per request, and later a multi-row INSERT bound by name, were dominant
/// costs of a trivial SCIM request), without losing a row or delaying <see cref="ProvisioningLogWriter.FlushAsync"/>. The factory's clock is fake, so the batch window never
/// passes unless a test advances it.
/// </summary>
public sealed partial class ProvisioningLogWriterTests
{
    [Fact]
    public async Task FlushAsync_AfterBurst_WritesEveryRowInOneBatch()
    {
        using var factory = AccessFactory.With(BatchLogging());
        var writer = factory.Get<ProvisioningLogWriter>();
        var before = Batches(factory).Count;

        for (var i = 0; i < 30; i++)
        {
            await writer.EnqueueAsync(Row(factory, i));
        }

        await writer.FlushAsync();

        Assert.Equal([30], Batches(factory).Skip(before));
        Assert.Equal(30, (await Written(factory)).Count);
    }

    [Fact]
    public async Task FlushAsync_LargeBurst_WritesEveryRowInOrderInOneBatch()
    {
        using var factory = AccessFactory.With(BatchLogging());
        var writer = factory.Get<ProvisioningLogWriter>();
        var before = Batches(factory).Count;
        const int count = 307;

        for (var i = 0; i < count; i++)
        {
            await writer.EnqueueAsync(Row(factory, i));
        }

        await writer.FlushAsync();

        Assert.Equal([count], Batches(factory).Skip(before));
        Assert.Equal(Enumerable.Range(0, count).Select(i => $"row {i}"), (await Written(factory)).Select(e => e.Summary));
    }

    [Fact]
    public async Task FlushAsync_StoresValuesAsSaveChangesDoes()
    {
        using var factory = new AccessFactory();
        var writer = factory.Get<ProvisioningLogWriter>();
        var workspaceId = await factory.WithDbAsync(db => db.Workspaces.Where(w => w.Slug == "ides").Select(w => w.Id).SingleAsync());
        var at = new DateTime(2026, 3, 4, 5, 6, 7, DateTimeKind.Utc).AddTicks(1234560); // to the microsecond, as PostgreSQL stores it
        var full = new ProvisioningEvent
        {
            WorkspaceId = workspaceId,
            OccurredAt = at,
            ActorKind = ActorKind.IdentityProvider,
            Actor = "test: Microsoft Entra ID",
            Operation = ProvisioningOperation.MembershipChange,
            Outcome = EventOutcome.Failure,
            Method = "PATCH",
            Path = "/scim/v2/Groups/x",
            ResourceType = "Group",
            ResourceId = "x",
            StatusCode = 412,
            DurationMs = 17,
            ClientIp = "127.0.0.1",
            Summary = "patched: members",
        };
        var empty = new ProvisioningEvent { OccurredAt = at, ActorKind = ActorKind.System, Actor = "test", Operation = ProvisioningOperation.Read, Outcome = EventOutcome.Success };

        await writer.EnqueueAsync(full);
        await writer.EnqueueAsync(empty);
        await writer.FlushAsync();

        var rows = await Written(factory);
        Assert.Equivalent(new[] { full, empty }.Select(Shape), rows.Select(Shape), strict: true);
        // Filters in SQL (the log page's) must match the stored forms: enums as text, the workspace id, the time.
        Assert.Equal(1, await factory.WithDbAsync(db => db.ProvisioningEvents.CountAsync(e =>
            e.WorkspaceId == workspaceId && e.Operation == ProvisioningOperation.MembershipChange && e.OccurredAt >= at && e.Outcome == EventOutcome.Failure)));
    }

    [Fact]
    public async Task EnqueueAsync_WindowPasses_WritesWithoutFlush()
    {
        using var factory = new AccessFactory();
        var writer = factory.Get<ProvisioningLogWriter>();

        await writer.EnqueueAsync(Row(factory, 0));

        // The writer arms its window when it takes the row; advancing the clock on every poll lets it pass whenever that was.
        Assert.True(await EventuallyAsync(factory, 1, () => factory.Time.Advance(TimeSpan.FromMilliseconds(100))));
    }

    [Fact]
    public async Task EnqueueAsync_BatchFull_WritesWithoutWaitingForTheWindow()
    {
        using var factory = AccessFactory.With(new Dictionary<string, string?>(BatchLogging()) { ["Scim:ProvisioningLog:BatchSize"] = "5" });
        var writer = factory.Get<ProvisioningLogWriter>();
        var before = Batches(factory).Count;

        for (var i = 0; i < 5; i++)
        {
            await writer.EnqueueAsync(Row(factory, i));
        }

        // The fake clock never moves: only a full batch can trigger this write. The writer reports the batch after
        // its commit, so wait for the report, not only for the rows.
        Assert.True(await EventuallyAsync(factory, 5, () => { }));
        for (var i = 0; i < 500 && Batches(factory).Count == before; i++)
        {
            await Task.Delay(20);
        }

        Assert.Equal([5], Batches(factory).Skip(before));
    }

    [Fact]
    public async Task Loop_RunsOnAThreadOfItsOwn_NotOnTheThreadPool()
    {
        // A batch is synchronous SQLite work; on a pool thread it held up the requests of a server with a one-thread
        // pool (a server pinned to one core), so the loop has a thread of its own.
        using var factory = AccessFactory.With(BatchLogging());
        var writer = factory.Get<ProvisioningLogWriter>();
        await writer.EnqueueAsync(Row(factory, 0));
        await writer.FlushAsync();

        static bool Started(string line) => line.Contains("Provisioning-log writer started on a thread of its own", StringComparison.Ordinal);
        Assert.Single(factory.Logs.Lines, Started);
        Assert.DoesNotContain(factory.Logs.PoolThreadLines, Started);
    }

    private static ProvisioningEvent Row(AccessFactory factory, int i) => new()
    {
        OccurredAt = factory.Time.GetUtcNow().UtcDateTime,
        ActorKind = ActorKind.IdentityProvider,
        Actor = "test",
        Operation = ProvisioningOperation.Read,
        Outcome = EventOutcome.Success,
        Summary = $"row {i}",
    };

    private static object Shape(ProvisioningEvent e) => new
    {
        e.WorkspaceId,
        e.OccurredAt,
        e.ActorKind,
        e.Actor,
        e.Operation,
        e.Outcome,
        e.Method,
        e.Path,
        e.ResourceType,
        e.ResourceId,
        e.StatusCode,
        e.DurationMs,
        e.ClientIp,
        e.Summary,
    };

    private static Task<List<ProvisioningEvent>> Written(AccessFactory factory) =>
        factory.WithDbAsync(db => db.ProvisioningEvents.AsNoTracking().Where(e => e.Actor.StartsWith("test")).OrderBy(e => e.Id).ToListAsync());

    /// <summary>Polls the database until <paramref name="expected"/> rows are there (false if they never come).</summary>
    private static async Task<bool> EventuallyAsync(AccessFactory factory, int expected, Action poke)
    {
        for (var i = 0; i < 500; i++)
        {
            poke();
            if ((await Written(factory)).Count >= expected)
            {
                return true;
            }

            await Task.Delay(20);
        }

        return false;
    }

    private static Dictionary<string, string?> BatchLogging() => new()
    {
        ["Logging:LogLevel:" + typeof(ProvisioningLogWriter).FullName] = "Debug",
    };

    /// <summary>The sizes of the batches the writer reports having written, each in one transaction.</summary>
    private static List<int> Batches(AccessFactory factory) =>
        [.. factory.Logs.Lines.Select(l => BatchLine().Match(l)).Where(m => m.Success).Select(m => int.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture))];

    [GeneratedRegex(@"Wrote (\d+) provisioning-log rows in one transaction")]
    private static partial Regex BatchLine();
}
