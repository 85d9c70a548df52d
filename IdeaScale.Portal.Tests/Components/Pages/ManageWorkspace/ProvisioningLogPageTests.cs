using Bunit;

using IdeaScale.Portal.Components.Pages.ManageWorkspace;

using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

using MudBlazor;

namespace IdeaScale.Portal.Tests.Components.Pages.ManageWorkspace;

public sealed class ProvisioningLogPageTests : IAsyncDisposable
{
    private readonly PortalPageContext ctx = new();

    [Fact]
    public async Task Render_DemoWorkspace_ShowsItsEventsNewestFirst()
    {
        var total = await ctx.WithDbAsync(async db =>
        {
            var id = await db.Workspaces.Where(w => w.Slug == "ides").Select(w => w.Id).SingleAsync();
            return await db.ProvisioningEvents.CountAsync(e => e.WorkspaceId == id);
        });

        var cut = ctx.Render<ProvisioningLog>(p => p.Add(x => x.Slug, "ides"));

        cut.WaitForAssertion(() => Assert.Equal(Math.Min(total, 25), cut.FindAll("tbody tr").Count), TimeSpan.FromSeconds(10));
        Assert.Contains("409", cut.FindAll("tbody tr")[0].TextContent, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Render_UnauthenticatedRequest_ShowsUnauthenticatedNotAClient()
    {
        var cut = ctx.Render<ProvisioningLog>(p => p.Add(x => x.Slug, "ides"));
        cut.WaitForAssertion(() => Assert.True(cut.FindAll("tbody tr").Count > 2), TimeSpan.FromSeconds(10));

        var operation = cut.FindComponent<MudSelect<ProvisioningOperation?>>();
        await cut.InvokeAsync(() => operation.Instance.ValueChanged.InvokeAsync(ProvisioningOperation.AuthenticationFailure));

        cut.WaitForAssertion(() => Assert.Single(cut.FindAll("tbody tr")), TimeSpan.FromSeconds(10));
        var row = cut.Find("tbody tr");
        Assert.Equal("unauthenticated", row.QuerySelector("[data-testid=actor-unauthenticated]")!.TextContent.Trim());
        Assert.DoesNotContain("Entra", row.TextContent, StringComparison.Ordinal);
    }

    [Fact]
    public async Task OutcomeFilter_Failure_ShowsOnlyFailuresAndExportLinkCarriesFilter()
    {
        var cut = ctx.Render<ProvisioningLog>(p => p.Add(x => x.Slug, "ides"));
        cut.WaitForAssertion(() => Assert.True(cut.FindAll("tbody tr").Count > 2), TimeSpan.FromSeconds(10));

        var outcome = cut.FindComponent<MudSelect<EventOutcome?>>();
        await cut.InvokeAsync(() => outcome.Instance.ValueChanged.InvokeAsync(EventOutcome.Failure));

        cut.WaitForAssertion(() => Assert.Equal(2, cut.FindAll("tbody tr").Count), TimeSpan.FromSeconds(10));
        Assert.All(cut.FindAll("[data-testid=outcome-chip]"), c => Assert.Contains("Failure", c.TextContent, StringComparison.Ordinal));
        Assert.Contains("outcome=Failure", cut.Find("a[data-testid=log-export]").GetAttribute("href"), StringComparison.Ordinal);
    }

    [Fact]
    public async Task OperationAndTextFilters_NarrowTheRowsOnTheServer()
    {
        var cut = ctx.Render<ProvisioningLog>(p => p.Add(x => x.Slug, "ides"));
        cut.WaitForAssertion(() => Assert.True(cut.FindAll("tbody tr").Count > 2), TimeSpan.FromSeconds(10));

        var operation = cut.FindComponent<MudSelect<ProvisioningOperation?>>();
        await cut.InvokeAsync(() => operation.Instance.ValueChanged.InvokeAsync(ProvisioningOperation.Create));
        cut.WaitForAssertion(() => Assert.Equal(7, cut.FindAll("tbody tr").Count), TimeSpan.FromSeconds(10));

        var text = cut.FindComponents<MudTextField<string>>().Single();
        await cut.InvokeAsync(() => text.Instance.ValueChanged.InvokeAsync("grace.hopper"));

        cut.WaitForAssertion(() => Assert.Single(cut.FindAll("tbody tr")), TimeSpan.FromSeconds(10));
        Assert.Contains("Created grace.hopper@ides.example", cut.Find("tbody tr").TextContent, StringComparison.Ordinal);
        var href = cut.Find("a[data-testid=log-export]").GetAttribute("href")!;
        Assert.Contains("operation=Create", href, StringComparison.Ordinal);
        Assert.Contains("text=grace.hopper", href, StringComparison.Ordinal);
    }

    [Fact]
    public async Task TimeRangeFilter_ExcludesEventsOutsideTheRange()
    {
        await ctx.WithDbAsync(async db =>
        {
            var ides = await db.Workspaces.SingleAsync(w => w.Slug == "ides");
            db.ProvisioningEvents.Add(new ProvisioningEvent
            {
                WorkspaceId = ides.Id,
                OccurredAt = new DateTime(2020, 3, 15, 10, 0, 0, DateTimeKind.Utc),
                Actor = "Okta",
                ActorKind = ActorKind.IdentityProvider,
                Operation = ProvisioningOperation.Update,
                Outcome = EventOutcome.Success,
                Summary = "old event",
            });
            return await db.SaveChangesAsync();
        });
        var cut = ctx.Render<ProvisioningLog>(p => p.Add(x => x.Slug, "ides"));
        cut.WaitForAssertion(() => Assert.True(cut.FindAll("tbody tr").Count > 2), TimeSpan.FromSeconds(10));

        var range = cut.FindComponent<MudDateRangePicker>();
        await cut.InvokeAsync(() => range.Instance.DateRangeChanged.InvokeAsync(new DateRange(new DateTime(2020, 3, 15), new DateTime(2020, 3, 15))));

        cut.WaitForAssertion(() => Assert.Single(cut.FindAll("tbody tr")), TimeSpan.FromSeconds(10));
        Assert.Contains("old event", cut.Find("tbody tr").TextContent, StringComparison.Ordinal);
        Assert.Contains("from=2020-03-15T00%3A00%3A00Z", cut.Find("a[data-testid=log-export]").GetAttribute("href"), StringComparison.Ordinal);
    }

    [Fact]
    public void QueryString_OutcomeInTheUrl_SelectsOnlyThoseRows()
    {
        ctx.Services.GetRequiredService<Microsoft.AspNetCore.Components.NavigationManager>().NavigateTo("/workspaces/ides/manage/provisioning-log?outcome=Failure");
        var cut = ctx.Render<ProvisioningLog>(p => p.Add(x => x.Slug, "ides"));

        cut.WaitForAssertion(() => Assert.Equal(2, cut.FindAll("tbody tr").Count), TimeSpan.FromSeconds(10));
        Assert.All(cut.FindAll("[data-testid=outcome-chip]"), c => Assert.Contains("Failure", c.TextContent, StringComparison.Ordinal));
        Assert.Contains("outcome=Failure", cut.Find("a[data-testid=log-export]").GetAttribute("href"), StringComparison.Ordinal);
    }

    [Fact]
    public async Task FilterChange_PutsTheFiltersIntoTheUrl()
    {
        var navigation = ctx.Services.GetRequiredService<Microsoft.AspNetCore.Components.NavigationManager>();
        var cut = ctx.Render<ProvisioningLog>(p => p.Add(x => x.Slug, "ides"));
        cut.WaitForAssertion(() => Assert.True(cut.FindAll("tbody tr").Count > 2), TimeSpan.FromSeconds(10));

        var outcome = cut.FindComponent<MudSelect<EventOutcome?>>();
        await cut.InvokeAsync(() => outcome.Instance.ValueChanged.InvokeAsync(EventOutcome.Failure));

        Assert.EndsWith("/workspaces/ides/manage/provisioning-log?outcome=Failure", navigation.Uri, StringComparison.Ordinal);
        cut.WaitForAssertion(() => Assert.Equal(2, cut.FindAll("tbody tr").Count), TimeSpan.FromSeconds(10));
    }

    [Fact]
    public async Task ResourceInTheUrl_ShowsOnlyThatMembersRowsWithItsName()
    {
        var memberId = Guid.NewGuid().ToString();
        await ctx.WithDbAsync(async db =>
        {
            var ws = await db.Workspaces.Where(w => w.Slug == "ides").Select(w => w.Id).SingleAsync();
            db.ProvisioningEvents.Add(new ProvisioningEvent
            {
                WorkspaceId = ws,
                OccurredAt = DateTime.UtcNow,
                ActorKind = ActorKind.IdentityProvider,
                Actor = "Microsoft Entra ID",
                Operation = ProvisioningOperation.Update,
                Outcome = EventOutcome.Success,
                Method = "PATCH",
                Path = "/scim/v2/Users/" + memberId,
                ResourceType = "User",
                ResourceId = memberId,
                StatusCode = 200,
                Subject = "url.member@ides.example",
                Summary = "updated user url.member@ides.example: title: A → B",
            });
            return await db.SaveChangesAsync();
        });

        ctx.Services.GetRequiredService<Microsoft.AspNetCore.Components.NavigationManager>().NavigateTo("/workspaces/ides/manage/provisioning-log?resource=" + memberId);
        var cut = ctx.Render<ProvisioningLog>(p => p.Add(x => x.Slug, "ides"));

        cut.WaitForAssertion(() => Assert.Single(cut.FindAll("tbody tr")), TimeSpan.FromSeconds(10));
        var subject = cut.Find("[data-testid=log-subject]");
        Assert.Equal("url.member@ides.example", subject.TextContent.Trim());
        Assert.Equal($"/workspaces/ides/manage/members?member={memberId}", subject.GetAttribute("href"));
        Assert.Contains(memberId, cut.Find("[data-testid=log-resource-filter]").TextContent, StringComparison.Ordinal);
    }

    public async ValueTask DisposeAsync() => await ctx.DisposeAllAsync();
}
