using System.Net;

using IdeaScale.Portal.Tests.Infrastructure;

using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace IdeaScale.Portal.Tests.Components.Pages.ManageWorkspace;

/// <summary>One app for the export tests, with hostile log rows added once.</summary>
public sealed class ExportFixture : IDisposable
{
    // Every export test signs the same admin in on this one host, more often than the per-account and
    // per-address sign-in limits allow; the limits themselves are tested in SignInLockoutTests.
    public PortalFactory Factory { get; } = new(null, new Dictionary<string, string?>
    {
        ["Seed:DemoProvisioningLog"] = "true",
        ["SignIn:Throttle:PerIp:PermitLimit"] = "0",
        ["SignIn:Throttle:PerAccount:PermitLimit"] = "0",
    });

    public void Dispose() => Factory.Dispose();
}

public sealed class ProvisioningLogExportTests : IClassFixture<ExportFixture>
{
    private const string ExportPath = "/workspaces/ides/manage/provisioning-log/export.csv";
    private readonly PortalFactory factory;

    public ProvisioningLogExportTests(ExportFixture fixture)
    {
        factory = fixture.Factory;
        SeedHostileEventsOnce().GetAwaiter().GetResult();
    }

    [Fact]
    public async Task Export_AsWorkspaceAdmin_ReturnsCsvWithHeaderAndEveryEventOfTheWorkspace()
    {
        using var client = await FormSignIn.SignedInClientAsync(factory, "admin@ides.example", PortalFactory.AdminPassword);

        var response = await client.GetAsync(ExportPath);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/csv", response.Content.Headers.ContentType?.MediaType);
        Assert.Contains("attachment", response.Content.Headers.ContentDisposition?.ToString() ?? "", StringComparison.Ordinal);
        var lines = SplitLines(await response.Content.ReadAsStringAsync());
        Assert.Equal("OccurredAtUtc,ActorKind,Actor,Operation,Outcome,Method,Path,ResourceType,ResourceId,StatusCode,DurationMs,ClientIp,Summary,Subject", lines[0]);
        Assert.Equal(await CountAsync(slug: "ides"), lines.Count - 1);
        Assert.DoesNotContain(lines, l => l.Contains("acme-only-event", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Export_CellsStartingWithFormulaCharacters_ArePrefixedWithQuote()
    {
        using var client = await FormSignIn.SignedInClientAsync(factory, "admin@ides.example", PortalFactory.AdminPassword);

        var csv = await client.GetStringAsync(ExportPath + "?text=hostile");

        var lines = SplitLines(csv);
        Assert.Equal(2, lines.Count);
        var row = lines[1];
        Assert.Contains(",'@evil.example,", row, StringComparison.Ordinal);
        Assert.Contains("\"'=HYPERLINK(\"\"http://x.example\"\",\"\"hostile\"\")\"", row, StringComparison.Ordinal);
        Assert.Contains(",'-1+1,", row, StringComparison.Ordinal);
        Assert.Contains(",'+ip,", row, StringComparison.Ordinal);
        Assert.DoesNotContain(",=", row, StringComparison.Ordinal);
        Assert.DoesNotContain(",@", row, StringComparison.Ordinal);
    }

    /// <summary>OWASP's CSV-injection list beyond the plain four: TAB, CR, LF, whitespace before a formula, fullwidth forms.</summary>
    [Theory]
    [InlineData("\t=1+1")]
    [InlineData("\r=1+1")]
    [InlineData("\n=1+1")]
    [InlineData("\tcmd")]
    [InlineData(" =HYPERLINK(\"http://x.example\")")]
    [InlineData("   +1")]
    [InlineData("\u3000@SUM(A1)")]
    [InlineData("\uFF1D1+1")]
    [InlineData("\uFF0B1")]
    [InlineData("\uFF0D1")]
    [InlineData("\uFF20SUM(A1)")]
    [InlineData("\uFE62\uFE631")]
    [InlineData("\u22121+1")]
    public async Task Export_CellsWithOtherFormulaLeads_ArePrefixedWithQuote(string hostile)
    {
        var marker = "csvlead-" + Guid.NewGuid().ToString("N");
        await using (var scope = factory.Services.CreateAsyncScope())
        {
            var db = scope.ServiceProvider.GetRequiredService<PortalDbContext>();
            var ides = await db.Workspaces.SingleAsync(w => w.Slug == "ides");
            db.ProvisioningEvents.Add(new ProvisioningEvent
            {
                WorkspaceId = ides.Id,
                OccurredAt = DateTime.UtcNow,
                ActorKind = ActorKind.IdentityProvider,
                Actor = hostile,
                Operation = ProvisioningOperation.Update,
                Outcome = EventOutcome.Success,
                ResourceId = marker,
                Summary = hostile + " " + marker,
            });
            await db.SaveChangesAsync();
        }

        using var client = await FormSignIn.SignedInClientAsync(factory, "admin@ides.example", PortalFactory.AdminPassword);
        var rows = ParseCsv(await client.GetStringAsync(ExportPath + "?text=" + marker));

        Assert.Equal(2, rows.Count);
        var header = rows[0];
        var row = rows[1];
        Assert.Equal("'" + hostile, row[header.IndexOf("Actor")]);
        Assert.Equal("'" + hostile + " " + marker, row[header.IndexOf("Summary")]);
        Assert.Equal(marker, row[header.IndexOf("ResourceId")]);
    }

    [Theory]
    [InlineData("plain text")]
    [InlineData(" leading space then text")]
    [InlineData("a-b=c")]
    public void NeutraliseFormula_OrdinaryText_IsUnchanged(string text) =>
        Assert.Equal(text, IdeaScale.Portal.Workspaces.ProvisioningLog.NeutraliseFormula(text));

    [Fact]
    public async Task Export_WithOutcomeFilter_ReturnsOnlyMatchingRows()
    {
        using var client = await FormSignIn.SignedInClientAsync(factory, "admin@ides.example", PortalFactory.AdminPassword);

        var lines = SplitLines(await client.GetStringAsync(ExportPath + "?outcome=Failure"));

        var failures = await CountAsync("ides", EventOutcome.Failure);
        Assert.True(failures > 0);
        Assert.Equal(failures, lines.Count - 1);
        Assert.All(lines.Skip(1), l => Assert.Contains(",Failure,", l, StringComparison.Ordinal));
    }

    [Fact]
    public async Task Export_AsAdminOfAnotherWorkspace_Returns404()
    {
        using var client = await FormSignIn.SignedInClientAsync(factory, "admin@acme.example", PortalFactory.AdminPassword);

        var response = await client.GetAsync(ExportPath);

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.DoesNotContain("OccurredAtUtc", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Export_Anonymous_RedirectsToSignIn()
    {
        using var client = FormSignIn.NewClient(factory);

        var response = await client.GetAsync(ExportPath);

        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        Assert.Contains("/Account/Login", response.Headers.Location!.ToString(), StringComparison.OrdinalIgnoreCase);
    }

    /// <summary>RFC 4180: quoted fields may hold commas, quotes (doubled) and line breaks; records end with CRLF.</summary>
    private static List<List<string>> ParseCsv(string csv)
    {
        var records = new List<List<string>>();
        var record = new List<string>();
        var field = new System.Text.StringBuilder();
        var quoted = false;
        for (var i = 0; i < csv.Length; i++)
        {
            var c = csv[i];
            if (quoted)
            {
                if (c == '"' && i + 1 < csv.Length && csv[i + 1] == '"')
                {
                    field.Append('"');
                    i++;
                }
                else if (c == '"')
                {
                    quoted = false;
                }
                else
                {
                    field.Append(c);
                }
            }
            else if (c == '"')
            {
                quoted = true;
            }
            else if (c == ',')
            {
                record.Add(field.ToString());
                field.Clear();
            }
            else if (c == '\r' && i + 1 < csv.Length && csv[i + 1] == '\n')
            {
                record.Add(field.ToString());
                field.Clear();
                records.Add(record);
                record = [];
                i++;
            }
            else
            {
                field.Append(c);
            }
        }

        return records;
    }

    private static List<string> SplitLines(string csv) =>
        csv.Split("\r\n", StringSplitOptions.RemoveEmptyEntries).ToList();

    private async Task<int> CountAsync(string slug, EventOutcome? outcome = null)
    {
        await using var scope = factory.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<PortalDbContext>();
        return await db.ProvisioningEvents.CountAsync(e => e.WorkspaceId == db.Workspaces.Single(w => w.Slug == slug).Id
            && (outcome == null || e.Outcome == outcome));
    }

    private async Task SeedHostileEventsOnce()
    {
        await using var scope = factory.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<PortalDbContext>();
        if (await db.ProvisioningEvents.AnyAsync(e => e.Actor == "@evil.example"))
        {
            return;
        }

        var ides = await db.Workspaces.SingleAsync(w => w.Slug == "ides");
        var acme = await db.Workspaces.SingleAsync(w => w.Slug == "acme");
        db.ProvisioningEvents.Add(new ProvisioningEvent
        {
            WorkspaceId = ides.Id,
            OccurredAt = DateTime.UtcNow,
            ActorKind = ActorKind.IdentityProvider,
            Actor = "@evil.example",
            Operation = ProvisioningOperation.Update,
            Outcome = EventOutcome.Success,
            Method = "PATCH",
            Path = "/scim/v2/Users/hostile",
            ResourceType = "User",
            ResourceId = "-1+1",
            StatusCode = 200,
            ClientIp = "+ip",
            Summary = "=HYPERLINK(\"http://x.example\",\"hostile\")",
        });
        db.ProvisioningEvents.Add(new ProvisioningEvent
        {
            WorkspaceId = acme.Id,
            OccurredAt = DateTime.UtcNow,
            ActorKind = ActorKind.IdentityProvider,
            Actor = "Okta",
            Operation = ProvisioningOperation.Create,
            Outcome = EventOutcome.Success,
            Summary = "acme-only-event",
        });
        await db.SaveChangesAsync();
    }
}
