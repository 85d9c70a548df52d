using IdeaScale.Portal.Tests.Scim.Credentials;
using IdeaScale.Portal.Workspaces;

using Microsoft.EntityFrameworkCore;

namespace IdeaScale.Portal.Tests.Workspaces;

public sealed class ProvisioningLogTests : IClassFixture<ProvisioningLogTests.SeededLog>
{
    private readonly SeededLog seeded;

    public ProvisioningLogTests(SeededLog seeded) => this.seeded = seeded;

    /// <summary>
    /// 60 ides rows one minute apart (newest = Base), cycling operations and outcomes, plus acme rows with the same
    /// text that must never show up in ides's log.
    /// </summary>
    public sealed class SeededLog : IAsyncLifetime
    {
        public AccessFactory Factory { get; } = new();
        public DateTime Base { get; private set; }

        public async Task InitializeAsync()
        {
            Base = new DateTime(2026, 1, 10, 12, 0, 0, DateTimeKind.Utc);
            ProvisioningOperation[] ops = [ProvisioningOperation.Create, ProvisioningOperation.Update, ProvisioningOperation.Deactivate, ProvisioningOperation.List];
            await Factory.WithDbAsync(async db =>
            {
                var ides = await db.Workspaces.Where(w => w.Slug == "ides").Select(w => w.Id).SingleAsync();
                var acme = await db.Workspaces.Where(w => w.Slug == "acme").Select(w => w.Id).SingleAsync();
                for (var i = 0; i < 60; i++)
                {
                    db.ProvisioningEvents.Add(Row(ides, Base.AddMinutes(-i), ops[i % 4], i % 5 == 0 ? EventOutcome.Failure : EventOutcome.Success,
                        $"/scim/v2/Users/user-{i:D2}", i == 7 ? "userName changed to \"Grace_Hopper\", 100% done, = formula" : i == 8 ? "=HYPERLINK(\"http://evil\")" : $"row {i}"));
                }

                for (var i = 0; i < 5; i++)
                {
                    db.ProvisioningEvents.Add(Row(acme, Base.AddMinutes(-i), ProvisioningOperation.Create, EventOutcome.Success, $"/scim/v2/Users/user-{i:D2}", $"row {i}"));
                }

                await db.SaveChangesAsync();
            });
        }

        public Task DisposeAsync()
        {
            Factory.Dispose();
            return Task.CompletedTask;
        }

        private static ProvisioningEvent Row(Guid ws, DateTime at, ProvisioningOperation op, EventOutcome outcome, string path, string summary) => new()
        {
            WorkspaceId = ws,
            OccurredAt = at,
            ActorKind = ActorKind.IdentityProvider,
            Actor = "Okta",
            Operation = op,
            Outcome = outcome,
            Method = "POST",
            Path = path,
            ResourceType = "User",
            ResourceId = path.Split('/')[^1],
            StatusCode = outcome == EventOutcome.Success ? 201 : 400,
            Summary = summary,
        };
    }

    [Fact]
    public async Task QueryAsync_PagesInTheDatabaseNewestFirstWithTotal()
    {
        var log = seeded.Factory.Get<ProvisioningLog>();
        var admin = await seeded.Factory.PrincipalAsync(DemoSeeder.AdminEmail("ides"));

        var first = await log.QueryAsync(admin, new ProvisioningLogQuery("ides", Take: 25));
        var third = await log.QueryAsync(admin, new ProvisioningLogQuery("ides", Skip: 50, Take: 25));

        Assert.Equal(60, first.TotalCount);
        Assert.Equal(25, first.Items.Count);
        Assert.Equal(seeded.Base, first.Items[0].OccurredAt);
        Assert.True(first.Items.Zip(first.Items.Skip(1)).All(p => p.First.OccurredAt > p.Second.OccurredAt));
        Assert.Equal(10, third.Items.Count);
        Assert.Equal("user-59", third.Items[^1].ResourceId);
    }

    [Fact]
    public async Task QueryAsync_FiltersByTimeRangeOperationsOutcomeAndText()
    {
        var log = seeded.Factory.Get<ProvisioningLog>();
        var csm = await seeded.Factory.PrincipalAsync(DemoSeeder.CsmEmail);

        var range = await log.QueryAsync(csm, new ProvisioningLogQuery("ides", From: seeded.Base.AddMinutes(-9), To: seeded.Base.AddMinutes(-4)));
        Assert.Equal(["user-05", "user-06", "user-07", "user-08", "user-09"], range.Items.Select(e => e.ResourceId));

        var ops = await log.QueryAsync(csm, new ProvisioningLogQuery("ides", Operations: [ProvisioningOperation.Deactivate, ProvisioningOperation.Create], Take: 100));
        Assert.Equal(30, ops.TotalCount);
        Assert.All(ops.Items, e => Assert.Contains(e.Operation, new[] { ProvisioningOperation.Deactivate, ProvisioningOperation.Create }));

        var failures = await log.QueryAsync(csm, new ProvisioningLogQuery("ides", Outcome: EventOutcome.Failure, Operations: [ProvisioningOperation.Create], Take: 100));
        Assert.Equal(["user-00", "user-20", "user-40"], failures.Items.Select(e => e.ResourceId));

        Assert.Equal("user-07", Assert.Single((await log.QueryAsync(csm, new ProvisioningLogQuery("ides", Text: "grace_hopper"))).Items).ResourceId);
        Assert.Equal("user-07", Assert.Single((await log.QueryAsync(csm, new ProvisioningLogQuery("ides", Text: "100%"))).Items).ResourceId);
        Assert.Equal("user-33", Assert.Single((await log.QueryAsync(csm, new ProvisioningLogQuery("ides", Text: "USER-33"))).Items).ResourceId);
        Assert.Equal(60, (await log.QueryAsync(csm, new ProvisioningLogQuery("ides", Text: "okta"))).TotalCount);
        Assert.Equal(0, (await log.QueryAsync(csm, new ProvisioningLogQuery("ides", Text: "_x_"))).TotalCount);
    }

    [Fact]
    public async Task QueryAsync_NeverReturnsAnotherWorkspacesRowsAndRefusesOutsiders()
    {
        var log = seeded.Factory.Get<ProvisioningLog>();
        var idesAdmin = await seeded.Factory.PrincipalAsync(DemoSeeder.AdminEmail("ides"));
        var acmeAdmin = await seeded.Factory.PrincipalAsync(DemoSeeder.AdminEmail("acme"));

        var acme = await log.QueryAsync(acmeAdmin, new ProvisioningLogQuery("acme", Text: "user-0", Take: 100));
        Assert.Equal(5, acme.TotalCount);
        await Assert.ThrowsAsync<UnauthorizedAccessException>(() => log.QueryAsync(acmeAdmin, new ProvisioningLogQuery("ides")));
        await Assert.ThrowsAsync<UnauthorizedAccessException>(() => log.QueryAsync(idesAdmin, new ProvisioningLogQuery("acme")));
        var idesRowId = (await log.QueryAsync(idesAdmin, new ProvisioningLogQuery("ides", Take: 1))).Items[0].Id;
        Assert.Null(await log.GetAsync(acmeAdmin, "acme", idesRowId));
        Assert.NotNull(await log.GetAsync(idesAdmin, "ides", idesRowId));
    }

    [Fact]
    public async Task WriteCsvAsync_StreamsEveryMatchingRowQuotedAndFormulaSafe()
    {
        var log = seeded.Factory.Get<ProvisioningLog>();
        var admin = await seeded.Factory.PrincipalAsync(DemoSeeder.AdminEmail("ides"));
        var exported = new List<ProvisioningLogEntry>();
        await foreach (var e in log.ExportAsync(admin, new ProvisioningLogQuery("ides", Take: 5)))
        {
            exported.Add(e);
        }

        Assert.Equal(60, exported.Count);

        using var writer = new StringWriter();
        await log.WriteCsvAsync(admin, new ProvisioningLogQuery("ides", Text: "grace"), writer);
        var lines = writer.ToString().Split("\r\n", StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(2, lines.Length);
        Assert.StartsWith("OccurredAtUtc,ActorKind,Actor,Operation,Outcome", lines[0], StringComparison.Ordinal);
        // The summary, quoted, then the Subject column (none for this row).
        Assert.EndsWith("\"userName changed to \"\"Grace_Hopper\"\", 100% done, = formula\",", lines[1], StringComparison.Ordinal);

        using var formula = new StringWriter();
        await log.WriteCsvAsync(admin, new ProvisioningLogQuery("ides", Text: "HYPERLINK"), formula);
        Assert.EndsWith(",\"'=HYPERLINK(\"\"http://evil\"\")\",", formula.ToString().TrimEnd(), StringComparison.Ordinal);
    }
}
